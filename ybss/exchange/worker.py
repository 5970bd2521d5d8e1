"""Checking an import's rows in a second process while this one writes them.

A commit does two kinds of work per chunk: checking the rows (reading the file,
coercing cells, the registry's checks, address matching, looking up who is
registered) and writing them. In one process they take turns; here a forked
child checks chunk after chunk and sends the plans through a pipe, while the
parent writes what it receives in its one transaction. The child reads only what
is committed, which is why this is for handlers whose checks do not depend on
the rows written before (a handler's ``checks_apart``): what the file itself repeats
comes from what the handler remembers, not from the table.

Fork rather than a fresh interpreter: the child starts with the parent's
settings, database names and handler as they are (a test's overridden settings
included), at the cost of a system call. The child never touches the parent's
database connections (closing one would end the parent's PostgreSQL session or
disturb its SQLite locks): it keeps them referenced, opens its own and ends with
``os._exit``, as every multiprocessing child does.

The child may run a few chunks ahead of the writer (``AHEAD``): a thread of its
own sends what it has checked, so the checking goes on while the writer is busy
with a chunk and the pipe is full. The writer and its database are the slower
side; without the margin they also waited for the child whenever one chunk
happened to take it longer.

If the parent dies (killed mid-commit), the child's next send fails and it
stops; if the child dies, the parent's next receive fails and the commit is
undone like any other failed commit.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import queue
import threading
import traceback
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler
from typing import Any

from django.conf import settings
from django.db import connections

log = logging.getLogger(__name__)

# The connections the child inherited, referenced so that nothing ever closes them there.
_inherited: list[Any] = []

# Checked chunks the child may hold, pickled, beyond the one the pipe holds: about 400 KB
# each for a thousand people.
AHEAD = 4


class WorkerFailed(Exception):
    """The checking process stopped without finishing; the commit must be undone."""


def usable(handler: Any, rows: int) -> bool:
    """Whether to check this commit's rows in a second process.

    Only before the commit's transaction begins and outside any other: the child sees
    only what is committed, so everything the commit starts from must be. Not for an
    in-memory SQLite database, which a second process cannot open, nor where the
    platform cannot fork.
    """
    least = settings.YBSS_IMPORT_WORKER_ROWS
    if not getattr(handler, "checks_apart", False) or least <= 0 or rows < least:
        return False
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    connection = connections["default"]
    if connection.in_atomic_block:
        return False
    return not (connection.vendor == "sqlite" and connection.is_in_memory_db())  # type: ignore[attr-defined]


def events_from_worker(make_events: Callable[[], Iterator[Any]]) -> Iterator[Any]:
    """What ``make_events()`` yields, produced in a forked child and received here in order."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_run_child, args=(make_events, sender, receiver), name="ybss-import-check", daemon=True
    )
    child.start()
    sender.close()
    try:
        while True:
            try:
                kind, payload = receiver.recv()
            except EOFError:
                child.join(5)
                raise WorkerFailed(f"检查进程意外退出（退出码 {child.exitcode}），导入已全部撤销。") from None
            if kind == "event":
                yield payload
            elif kind == "done":
                return
            else:
                log.error("import check process failed:\n%s", payload)
                last = payload.strip().splitlines()[-1] if payload.strip() else ""
                raise WorkerFailed(f"检查进程出错：{last}")
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join()


def _run_child(make_events: Callable[[], Iterator[Any]], sender: Connection, receiver: Connection) -> None:
    receiver.close()
    # Everything inherited stays where the collector never walks it, so its pages stay
    # shared with the parent instead of being copied when a collection touches them.
    gc.freeze()
    _detach_connections()
    outbox = _Outbox(sender, AHEAD)
    try:
        for event in make_events():
            if not outbox.put(("event", event)):
                break  # the parent is gone; its transaction with it
        else:
            outbox.put(("done", None))
    except BaseException:
        outbox.put(("error", traceback.format_exc()))
    finally:
        outbox.close()
        connections.close_all()  # this process's own: the inherited ones are out of reach
        sender.close()


class _Outbox:
    """Messages to the parent, pickled here and sent in order by a thread of their own.

    ``put`` waits only when ``ahead`` messages are already waiting, and says False once
    the parent can no longer be reached; ``close`` returns when everything put has been
    sent, or could not be.
    """

    def __init__(self, sender: Connection, ahead: int) -> None:
        self._sender = sender
        self._waiting: queue.Queue[bytes | None] = queue.Queue(maxsize=ahead)
        self.broken = False
        self._thread = threading.Thread(target=self._send_all, name="ybss-import-send", daemon=True)
        self._thread.start()

    def put(self, message: tuple[str, Any]) -> bool:
        if self.broken:
            return False
        # Pickled in the caller's thread: what is sent is the event as it was put.
        self._waiting.put(bytes(ForkingPickler.dumps(message)))
        return not self.broken

    def close(self) -> None:
        self._waiting.put(None)
        self._thread.join()

    def _send_all(self) -> None:
        while (data := self._waiting.get()) is not None:
            if self.broken:
                continue  # taken off the queue all the same, so that put never blocks for good
            try:
                self._sender.send_bytes(data)
            except OSError:  # the parent is gone (BrokenPipeError) or its end is closed
                self.broken = True


def _detach_connections() -> None:
    """Make this process open connections of its own, leaving the parent's untouched."""
    from asgiref.local import Local

    _inherited.append(connections._connections)  # type: ignore[attr-defined]
    connections._connections = Local(connections.thread_critical)  # type: ignore[attr-defined]
