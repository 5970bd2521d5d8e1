"""Work shared between this process and forked helpers, in chunks taken as each process is free.

The machine the engine runs on is shared: a fixed half for each process
would leave one core idle while the other, slowed by somebody else's job,
finishes its half. Instead a shared counter hands out the next chunk to
whichever process asks first, and the results are put back in chunk order,
so the outcome is the same as in one process whatever the timing.

The helpers are forked, so they see the prepared records without copying or
pickling them; only the results travel back. Before forking, the garbage
collector is told to leave the existing objects alone (:func:`gc.freeze`):
otherwise a collection in the helper would write to every object's header
and copy the whole heap page by page.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import traceback
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any, TypeVar

T = TypeVar("T")


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off for a while, as it was afterwards.

    Reading and linking allocate millions of lists and tuples that form no
    cycles; each collection of the oldest generation would walk all of them
    again, which cost a third of the reading time at a million records.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def default_processes() -> int:
    """Two unless the machine has one core, cannot fork, or ``YBSS_LINKAGE_JOBS=1`` says so."""
    setting = os.environ.get("YBSS_LINKAGE_JOBS", "").strip()
    if setting == "1":
        return 1
    return 2 if (os.cpu_count() or 1) > 1 and can_fork() else 1


def map_chunks(work: Callable[[int], T], chunks: int, processes: int) -> list[T]:
    """``[work(0), work(1), … work(chunks - 1)]``, computed by ``processes`` processes (forked helpers)."""
    if processes < 2 or chunks < 2 or not can_fork():
        return [work(k) for k in range(chunks)]
    context = multiprocessing.get_context("fork")
    counter = context.Value("i", 0)
    helpers: list[tuple[Any, Connection]] = []
    gc.freeze()
    try:
        for _ in range(processes - 1):
            receive, send = context.Pipe(duplex=False)
            helper = context.Process(target=_helper, args=(work, chunks, counter, send), daemon=True)
            helper.start()
            send.close()
            helpers.append((helper, receive))
    finally:
        gc.unfreeze()
    results: dict[int, T] = dict(_take(work, chunks, counter))
    try:
        for _, receive in helpers:
            try:
                status, payload = receive.recv()
            except EOFError:
                raise RuntimeError("a helper process of the linkage engine ended without a result") from None
            if status != "ok":
                raise RuntimeError(f"a helper process of the linkage engine failed:\n{payload}")
            results.update(payload)
    finally:
        for helper, receive in helpers:
            receive.close()
            helper.join()
    return [results[k] for k in range(chunks)]


def _take(work: Callable[[int], T], chunks: int, counter: Any) -> list[tuple[int, T]]:
    done: list[tuple[int, T]] = []
    while True:
        with counter.get_lock():
            k = counter.value
            counter.value = k + 1
        if k >= chunks:
            return done
        done.append((k, work(k)))


def _helper(work: Callable[[int], T], chunks: int, counter: Any, send: Connection) -> None:
    # Nothing the helper allocates lives long enough to need collecting.
    gc.disable()
    try:
        result: tuple[str, Any] = ("ok", _take(work, chunks, counter))
    except BaseException:
        result = ("error", traceback.format_exc())
    send.send(result)
    send.close()
