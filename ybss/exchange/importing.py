"""Bulk import: check a file row by row, then commit it in one transaction.

The same two passes serve the pages and ``ybss import``. Each pass streams the
file in chunks through a handler for its kind (persons, addresses, houses,
units), which validates rows with the registry's own checks and, on commit,
writes them through the registry's actions. A commit is one database
transaction: a bad row (in the default mode), a cancel, a crash or a killed
process leaves the registry exactly as it was.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.utils import timezone

from ybss.access.roles import Cap
from ybss.access.scope import require
from ybss.audit import log
from ybss.audit.models import Action, Outcome
from ybss.core.db import foreign_keys_checked_per_statement
from ybss.core.errors import ActionError
from ybss.lib import sheets

from . import worker
from .columns import Column, header_spec
from .models import BLOCKING, ImportJob, ImportKind, ImportMode, ImportProblem, ImportStatus, ProblemLevel

CHUNK = 1000


@dataclass
class Problem:
    key: str
    level: str
    code: str
    message: str
    value: str = ""
    candidates: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class RowPlan:
    row: int
    op: str = "create"  # create / update / unchanged / skip
    payload: Any = None
    problems: list[Problem] = field(default_factory=list)

    def __reduce__(self) -> tuple[Any, ...]:
        # Plans cross to the writing process by the thousand: rebuilt from their four
        # values, unpickling takes half the time of the default's state dictionary.
        return (RowPlan, (self.row, self.op, self.payload, self.problems))

    @property
    def blocked(self) -> bool:
        return any(p.level in BLOCKING for p in self.problems)

    def add(
        self, key: str, message: str, value: Any = "", *, code: str = "invalid", level: str = "error"
    ) -> None:
        self.problems.append(Problem(key, level, code, message, _shown(value)))


class Handler(Protocol):
    kind: str
    columns: list[Column]

    def plan(self, records: list[tuple[int, dict[str, Any]]]) -> list[RowPlan]: ...

    def apply(self, plans: list[RowPlan]) -> None: ...


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, sheets.Formula):
        return value.text[:200]
    return str(value)[:200]


class ImportCancelled(Exception):
    pass


class _Rollback(Exception):
    """Raised inside the commit transaction to undo it when rows were refused."""


# ---------------------------------------------------------------- files


def import_dir() -> Path:
    path = Path(settings.YBSS_IMPORT_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def progress_path(job: ImportJob) -> Path:
    return import_dir() / f"job-{job.pk}.progress.json"


def cancel_path(job: ImportJob) -> Path:
    return import_dir() / f"job-{job.pk}.cancel"


def rejected_path(job: ImportJob) -> Path:
    return import_dir() / f"job-{job.pk}.rejected.xlsx"


class Progress:
    """Rows done, rate and ETA, written for the page to poll and shown on a terminal.

    Also where a cancel request is noticed: a file, because the committing
    transaction must not be the one to read a database flag.
    """

    def __init__(
        self,
        job: ImportJob | None = None,
        on_update: Callable[[dict[str, Any]], None] | None = None,
        interval: float = 0.5,
    ) -> None:
        self.path = progress_path(job) if job is not None and job.pk else None
        self.cancel = cancel_path(job) if job is not None and job.pk else None
        self.on_update = on_update
        self.interval = interval
        self.phase = ""
        self.total = 0
        self.done = 0
        self.started = time.monotonic()
        self._last = 0.0

    def start(self, phase: str, total: int) -> None:
        self.phase, self.total, self.done = phase, total, 0
        self.started = time.monotonic()
        self._emit(force=True)

    def advance(self, n: int) -> None:
        self.done += n
        self._emit()

    def finish(self) -> None:
        self.total = max(self.total, self.done)
        self._emit(force=True)

    def snapshot(self) -> dict[str, Any]:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = self.done / elapsed
        left = max(self.total - self.done, 0)
        return {
            "phase": self.phase,
            "done": self.done,
            "total": max(self.total, self.done),
            "rate": round(rate, 1),
            "eta": round(left / rate, 1) if rate > 0 and self.total else None,
        }

    def _emit(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        if self.cancel is not None and self.cancel.exists():
            raise ImportCancelled
        snap = self.snapshot()
        if self.path is not None:
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(snap))
            os.replace(tmp, self.path)
        if self.on_update is not None:
            self.on_update(snap)


def read_progress(job: ImportJob) -> dict[str, Any]:
    try:
        return dict(json.loads(progress_path(job).read_text()))
    except (OSError, ValueError):
        return {}


STALE_SECONDS = 300


def reap_stale(job: ImportJob) -> ImportJob:
    """A job whose process died (killed, server restarted) stops looking busy.

    Its transaction is gone with the process, so nothing was written; after
    ``STALE_SECONDS`` without progress the job says so and can be started again.
    """
    if not job.is_running:
        return job
    try:
        last = progress_path(job).stat().st_mtime
    except OSError:
        last = job.created_at.timestamp()
    if time.time() - last < STALE_SECONDS:
        return job
    back = ImportStatus.UPLOADED if job.status == ImportStatus.CHECKING else ImportStatus.CHECKED
    error = "上次的检查或导入进程已中断（数据库未改动），可以重新开始。"
    _set_status(
        job, back if job.stored_path and Path(job.stored_path).exists() else ImportStatus.FAILED, error=error
    )
    return job


def _count_rows(path: Path, fmt: str) -> int:
    """An estimate of the data rows for the progress bar, without parsing the file."""
    if fmt == "csv":
        lines = 0
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                lines += chunk.count(b"\n")
        return max(lines - 1, 0)
    try:
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True)
        try:
            ws = wb.worksheets[0]
            return max(int(ws.max_row or 0) - 1, 0)
        finally:
            wb.close()
    except Exception:
        return 0


# ---------------------------------------------------------------- jobs


def _actor_name(actor: Any) -> str:
    return getattr(actor, "username", "") or "系统"


def _user(actor: Any) -> Any:
    from django.contrib.auth import get_user_model

    return actor if isinstance(actor, get_user_model()) else None


def _check_actor(actor: Any) -> None:
    if actor is not None and getattr(actor, "is_authenticated", False):
        require(actor, Cap.DATA_IMPORT)


def create_job(
    actor: Any, kind: str, source: BinaryIO | Path, file_name: str, mode: str = ImportMode.ALL_OR_NOTHING
) -> ImportJob:
    """Store an uploaded file for checking. Refuses hostile or unusable files outright."""
    _check_actor(actor)
    if kind not in ImportKind.values:
        raise ActionError("导入类型不在可选范围内。", field="kind")
    if mode not in ImportMode.values:
        raise ActionError("导入方式不在可选范围内。", field="mode")
    name = Path(file_name or "upload").name[:200] or "upload"
    limit = settings.YBSS_IMPORT_MAX_BYTES
    digest = hashlib.sha256()
    size = 0
    tmp = import_dir() / f"upload-{os.getpid()}-{threading.get_ident()}-{time.monotonic_ns()}"
    try:
        with open(tmp, "wb") as out:
            fh: BinaryIO = open(source, "rb") if isinstance(source, Path) else source  # noqa: SIM115
            try:
                while chunk := fh.read(1 << 20):
                    size += len(chunk)
                    if size > limit:
                        raise ActionError(
                            f"文件超过 {limit // 1024 // 1024} MB 的上限，请拆分后分批导入。",
                            field="file",
                            code="too_large",
                        )
                    digest.update(chunk)
                    out.write(chunk)
            finally:
                if isinstance(source, Path):
                    fh.close()
        try:
            fmt = sheets.inspect_file(tmp, name, max_bytes=limit)
        except sheets.SheetError as exc:
            raise ActionError(exc.message, field="file", code=exc.code) from exc
        with transaction.atomic():
            job = ImportJob.objects.create(
                kind=kind,
                mode=mode,
                user=_user(actor),
                actor_name=_actor_name(actor),
                file_name=name,
                file_sha256=digest.hexdigest(),
                file_size=size,
                file_format=fmt,
            )
            stored = import_dir() / f"job-{job.pk}.{fmt}"
            shutil.move(tmp, stored)
            job.stored_path = str(stored)
            job.save(update_fields=["stored_path"])
        return job
    finally:
        tmp.unlink(missing_ok=True)


def handler_for(job: ImportJob, actor: Any) -> Handler:
    from ybss.addresses.models import AddressProposal

    from . import handlers

    # Addresses added on request since the last check answer their rows.
    approved = AddressProposal.objects.filter(
        import_job=job.pk, state=AddressProposal.State.APPROVED, node__isnull=False
    ).values_list("import_row", "node__code")
    for row, code in approved:
        job.decisions.setdefault(str(row), {}).setdefault("address", code)

    return handlers.HANDLERS[job.kind](actor, job.decisions, job.file_name)


@dataclass
class PassResult:
    counts: dict[str, int]
    problems: list[Problem | tuple[int, Problem]]


class _Sink:
    """Collects problems and counts during a pass; stores at most a configured number of problems."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.counts: dict[str, int] = {
            "rows": 0,
            "create": 0,
            "update": 0,
            "unchanged": 0,
            "skip": 0,
            "problem_rows": 0,
            "error": 0,
            "warning": 0,
            "duplicate": 0,
            "unsure": 0,
            "missing": 0,
        }
        self.problems: list[tuple[int, Problem]] = []
        self.rejected: list[int] = []

    def file_problem(self, problem: Problem, row: int = 0) -> None:
        self.counts[problem.level] = self.counts.get(problem.level, 0) + 1
        if len(self.problems) < self.limit:
            self.problems.append((row, problem))

    def take(self, plans: Iterable[RowPlan]) -> None:
        for plan in plans:
            self.counts["rows"] += 1
            for problem in plan.problems:
                self.file_problem(problem, plan.row)
            if plan.blocked:
                self.counts["problem_rows"] += 1
                self.rejected.append(plan.row)
            else:
                self.counts[plan.op] += 1

    @property
    def blocked(self) -> bool:
        return self.counts["problem_rows"] > 0 or self.counts["error"] > 0


def _records(
    rows: Iterator[tuple[int, list[Any]]], index_of: dict[str, int]
) -> Iterator[tuple[int, dict[str, Any]]]:
    keys = list(index_of)
    if not keys:
        for number, _values in rows:
            yield number, {}
        return
    # One C call picks a full row's cells; only short rows (trailing cells missing) go cell by cell.
    pick = itemgetter(*index_of.values())
    last = max(index_of.values())
    single = len(keys) == 1
    for number, values in rows:
        if len(values) > last:
            cells = pick(values)
            yield number, dict(zip(keys, (cells,) if single else cells, strict=True))
        else:
            yield number, {key: values[i] if i < len(values) else None for key, i in index_of.items()}


_gc_lock = threading.Lock()
_gc_passes = 0
_gc_threshold: tuple[int, int, int] = (0, 0, 0)
GC_FIRST_GENERATION = 50_000


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the garbage collector less often while a pass runs.

    A pass allocates millions of small objects that die young, and each full
    collection walks everything alive: the address index, the caches. With
    Python's default thresholds that was a fifth of an import's time. Reference
    counting still frees the rows; cycles are collected, only less often. The
    setting is the process's, so the first of concurrent passes raises it and the
    last one puts it back.
    """
    global _gc_passes, _gc_threshold
    with _gc_lock:
        if _gc_passes == 0:
            _gc_threshold = gc.get_threshold()
            gc.set_threshold(max(_gc_threshold[0], GC_FIRST_GENERATION), *_gc_threshold[1:])
        _gc_passes += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_passes -= 1
            if _gc_passes == 0:
                gc.set_threshold(*_gc_threshold)


def _run_pass(
    job: ImportJob, handler: Handler, sink: _Sink, progress: Progress, *, apply: bool, apart: bool = False
) -> None:
    """Check every row of the file, and with ``apply`` write the rows that may be written.

    With ``apart`` the rows are checked in a second process while this one writes
    (``ybss.exchange.worker``); the plans, problems and writes are the same.
    """
    with _fewer_collections():
        if apart:
            events = worker.events_from_worker(lambda: _ready_to_write(_planned(job, handler), handler))
        elif apply:
            events = _ready_to_write(_planned(job, handler), handler)
        else:
            events = _planned(job, handler)
        written, next_analyze = 0, ANALYZE_FIRST
        try:
            for event in events:
                if isinstance(event, tuple):
                    sink.file_problem(event[1], event[0])
                    continue
                plans = event
                sink.take(plans)
                if apply and not (job.mode == ImportMode.ALL_OR_NOTHING and sink.blocked):
                    ok = [p for p in plans if _written(p)]
                    if ok:
                        handler.apply(ok)
                        written += len(ok)
                        if written >= next_analyze and not apart:
                            _refresh_statistics(handler)
                            next_analyze *= 4
                progress.advance(len(plans))
        finally:
            close = getattr(events, "close", None)
            if close is not None:
                close()


def _written(plan: RowPlan) -> bool:
    return not plan.blocked and plan.op in ("create", "update")


def _ready_to_write(events: Iterator[Any], handler: Handler) -> Iterator[Any]:
    """``events`` with the rows to write made ready for the writer, and only their payloads kept.

    The handler's ``prepare_writes`` (where it has one) does the part of writing that needs
    no database; where rows are checked in a second process that runs there, and what
    crosses to the writer is pickled: in a re-import most rows change nothing, and their
    payloads (the values compared, the address) made up most of what was sent.
    """
    prepare = getattr(handler, "prepare_writes", None)
    for event in events:
        if isinstance(event, list):
            for plan in event:
                if not _written(plan):
                    plan.payload = None
            if prepare is not None:
                prepare([plan for plan in event if _written(plan)])
        yield event


def _planned(job: ImportJob, handler: Handler) -> Iterator[tuple[int, Problem] | list[RowPlan]]:
    """The file's problems, as (row, problem), and its rows checked, as a list of plans per chunk."""
    path = Path(job.stored_path)
    rows = sheets.iter_rows(path, job.file_format)
    try:
        try:
            header = sheets.locate_header(
                rows, header_spec(handler.columns), required={c.key for c in handler.columns if c.required}
            )
        except sheets.SheetError as exc:
            yield 0, Problem("", ProblemLevel.ERROR, exc.code, exc.message)
            return
        for text in header.unknown:
            yield (
                header.row_number,
                Problem("", ProblemLevel.WARNING, "unknown_column", f"列“{text}”不在模板中，已忽略。", text),
            )
        if header.order_differs:
            yield (
                header.row_number,
                Problem(
                    "", ProblemLevel.WARNING, "column_order", "列的顺序与模板不同，已按表头名称识别各列。"
                ),
            )
        records = _records(header.rest, header.index_of)
        empty = True
        while chunk := list(islice(records, CHUNK)):
            empty = False
            yield handler.plan(chunk)
        if empty:
            yield header.row_number, Problem("", ProblemLevel.ERROR, "no_rows", "文件只有表头，没有数据行。")
    except sheets.SheetError as exc:
        yield 0, Problem("", ProblemLevel.ERROR, exc.code, exc.message)
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()


ANALYZE_FIRST = 5000
SQLITE_CACHE_KIB = 64 * 1024


@contextmanager
def _sqlite_cache() -> Iterator[None]:
    """A larger page cache for SQLite while a commit writes.

    SQLite's default is 2 MB; a commit of a hundred thousand people updates a dozen
    indexes whose pages then keep leaving the cache and being read back, which makes
    each insert about half again as slow. 64 MB gave the same speed as 256 MB, and
    counts against the import's memory. The cache is this connection's and is put
    back afterwards; it grows only as far as the pages really used.
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cur:
        cur.execute("PRAGMA cache_size")
        before = int(cur.fetchone()[0])
        cur.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        # Never hide why a commit failed behind a connection that can no longer answer.
        with suppress(DatabaseError), connection.cursor() as cur:
            cur.execute(f"PRAGMA cache_size = {before}")


def _refresh_statistics(handler: Handler) -> None:
    """Let PostgreSQL plan with the rows this import has written so far.

    The whole commit is one transaction, so autovacuum never sees its rows and
    the planner keeps the statistics of the tables as they were: empty tables
    stay "empty" while they fill, and the per-chunk lookups turn into full
    scans, a cost that grows with every chunk. ANALYZE inside the transaction
    counts the transaction's own rows; at 5,000, 20,000, 80,000 … rows written
    it costs a few ANALYZEs per file. The lookups of keys that matter most per
    chunk also run under ``keyed_lookups``, which keeps them on their indexes in
    between, when the statistics have fallen behind again.

    Only for a commit checked in this process: checked apart, the lookups run in
    the checking process, over what is committed, and the writer reads only by key
    (``keyed_lookups``, primary keys), so the ANALYZEs only cost (a few seconds of the
    server's time on a million rows).
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:
        for model in getattr(handler, "tables", ()):
            cur.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _store(job: ImportJob, sink: _Sink, handler: Handler) -> None:
    headers = {c.key: c.header for c in handler.columns}
    ImportProblem.objects.filter(job=job).delete()
    ImportProblem.objects.bulk_create(
        [
            ImportProblem(
                job=job,
                row=row,
                column=headers.get(p.key, ""),
                field=p.key,
                level=p.level,
                code=p.code[:32],
                message=p.message[:500],
                value=p.value[:200],
                candidates=p.candidates,
            )
            for row, p in sink.problems
        ],
        batch_size=500,
    )
    counts = dict(sink.counts)
    counts["stored_problems"] = len(sink.problems)
    job.counts = counts
    job.rows = counts["rows"]


def _audit(job: ImportJob, actor: Any, phase: str, result: str, outcome: str = Outcome.OK) -> None:
    with transaction.atomic():
        log.record(
            actor,
            Action.IMPORT,
            targets=[("import", job.pk)],
            outcome=outcome,
            actor_name=None if _user(actor) else job.actor_name,
            extra={
                "phase": phase,
                "result": result,
                "kind": job.kind,
                "mode": job.mode,
                "file_name": job.file_name,
                "sha256": job.file_sha256,
                "size": job.file_size,
                "counts": {k: v for k, v in job.counts.items() if v},
            },
        )


def _set_status(job: ImportJob, status: str, **fields: Any) -> None:
    job.status = status
    for name, value in fields.items():
        setattr(job, name, value)
    ImportJob.objects.filter(pk=job.pk).update(status=status, **fields)


def _ensure_file(job: ImportJob) -> None:
    if not job.stored_path or not Path(job.stored_path).exists():
        raise ActionError("上传的文件已不在服务器上，请重新上传。", field="file", code="gone")


def check(job: ImportJob, actor: Any, progress: Progress | None = None) -> ImportJob:
    """Validate every row against the registry as it is now; write nothing but the report."""
    _check_actor(actor)
    if job.status in (ImportStatus.DONE, ImportStatus.CANCELLED, ImportStatus.COMMITTING):
        raise ActionError("该导入任务已结束，不能再检查。", field="status", code="finished")
    _ensure_file(job)
    progress = progress or Progress(job)
    cancel_path(job).unlink(missing_ok=True)
    _set_status(job, ImportStatus.CHECKING, error="")
    handler = handler_for(job, actor)
    sink = _Sink(settings.YBSS_IMPORT_MAX_PROBLEMS)
    progress.start("check", _count_rows(Path(job.stored_path), job.file_format))
    try:
        _run_pass(job, handler, sink, progress, apply=False)
    except ImportCancelled:
        _set_status(job, ImportStatus.UPLOADED)
        return job
    except Exception as exc:
        _set_status(job, ImportStatus.FAILED, error=f"检查时出错：{exc}"[:500])
        raise
    progress.finish()
    with transaction.atomic():
        _store(job, sink, handler)
        job.status = ImportStatus.CHECKED
        job.checked_at = timezone.now()
        job.save(update_fields=["counts", "rows", "status", "checked_at"])
    _audit(job, actor, "check", "problems" if sink.blocked else "ok")
    return job


def commit(
    job: ImportJob, actor: Any, progress: Progress | None = None, *, require_check: bool = True
) -> ImportJob:
    """Apply the file in one transaction. In the default mode any refused row undoes all of it.

    The commit validates every row again (the registry may have changed since the
    check); ``require_check=False`` lets the command line skip the separate check.
    """
    _check_actor(actor)
    allowed = (ImportStatus.CHECKED,) if require_check else (ImportStatus.CHECKED, ImportStatus.UPLOADED)
    if job.status not in allowed:
        raise ActionError("请先检查文件，再确认导入。", field="status", code="not_checked")
    _ensure_file(job)
    progress = progress or Progress(job)
    cancel_path(job).unlink(missing_ok=True)
    _set_status(job, ImportStatus.COMMITTING)
    handler = handler_for(job, actor)
    sink = _Sink(settings.YBSS_IMPORT_MAX_PROBLEMS)
    total = job.rows or _count_rows(Path(job.stored_path), job.file_format)
    apart = worker.usable(handler, total)
    progress.start("commit", total)
    try:
        with _sqlite_cache(), transaction.atomic(), foreign_keys_checked_per_statement():
            _run_pass(job, handler, sink, progress, apply=True, apart=apart)
            if sink.blocked and job.mode == ImportMode.ALL_OR_NOTHING:
                raise _Rollback
            if sink.counts["rows"] == 0:
                raise _Rollback
    except _Rollback:
        with transaction.atomic():
            _store(job, sink, handler)
            job.status = ImportStatus.CHECKED
            job.checked_at = timezone.now()
            job.save(update_fields=["counts", "rows", "status", "checked_at"])
        _audit(job, actor, "commit", "refused", Outcome.FAILED)
        return job
    except ImportCancelled:
        _set_status(job, ImportStatus.CANCELLED, finished_at=timezone.now())
        _audit(job, actor, "commit", "cancelled", Outcome.FAILED)
        _cleanup(job)
        return job
    except Exception as exc:
        _set_status(job, ImportStatus.FAILED, error=f"导入时出错，已全部撤销：{exc}"[:500])
        _audit(job, actor, "commit", "error", Outcome.FAILED)
        raise
    progress.finish()
    if sink.rejected:
        write_rejected(job, handler, set(sink.rejected), sink)
    with transaction.atomic():
        _store(job, sink, handler)
        job.status = ImportStatus.DONE
        job.finished_at = timezone.now()
        job.save(update_fields=["counts", "rows", "status", "finished_at"])
    _audit(job, actor, "commit", "ok")
    _cleanup(job, keep_file=bool(sink.rejected))
    return job


def cancel(job: ImportJob, actor: Any) -> ImportJob:
    """Ask a running pass to stop, or drop a job that is waiting for its commit."""
    _check_actor(actor)
    if job.is_running:
        cancel_path(job).touch()
        return job
    if job.status in (ImportStatus.DONE, ImportStatus.CANCELLED):
        raise ActionError("该导入任务已结束。", field="status", code="finished")
    _set_status(job, ImportStatus.CANCELLED, finished_at=timezone.now())
    _audit(job, actor, "cancel", "cancelled")
    _cleanup(job)
    return job


def discard(job: ImportJob) -> None:
    """Forget the stored file of a job the command line has finished with."""
    if job.status in (ImportStatus.UPLOADED, ImportStatus.CHECKED):
        _set_status(job, ImportStatus.CANCELLED, finished_at=timezone.now())
    _cleanup(job)
    rejected_path(job).unlink(missing_ok=True)
    progress_path(job).unlink(missing_ok=True)


def mark_interrupted(job: ImportJob, actor: Any) -> None:
    """After Ctrl-C: the transaction is already rolled back; say so on the job and in the audit."""
    _set_status(job, ImportStatus.FAILED, error="导入被中断，已全部撤销。", finished_at=timezone.now())
    _audit(job, actor, "commit", "interrupted", Outcome.FAILED)
    _cleanup(job)


def _cleanup(job: ImportJob, keep_file: bool = False) -> None:
    """Uploaded files hold personal data: keep them only as long as the job needs them."""
    if not keep_file and job.stored_path:
        Path(job.stored_path).unlink(missing_ok=True)
        ImportJob.objects.filter(pk=job.pk).update(stored_path="")
        job.stored_path = ""
    cancel_path(job).unlink(missing_ok=True)


def raw_rows(
    job: ImportJob, wanted: set[int] | None = None
) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    """The header texts and the data rows of the stored file, as they are in the file."""
    _ensure_file(job)
    from . import handlers

    columns = handlers.HANDLERS[job.kind].columns
    rows = sheets.iter_rows(Path(job.stored_path), job.file_format)
    header = sheets.locate_header(rows, header_spec(columns), required={c.key for c in columns if c.required})
    order = sorted(header.index_of.items(), key=lambda item: item[1])
    by_key = {c.key: c.header for c in columns}
    headers = [by_key[k] for k, _ in order]

    def gen() -> Iterator[tuple[int, list[Any]]]:
        for number, values in header.rest:
            if wanted is not None and number not in wanted:
                continue
            yield number, [values[i] if i < len(values) else None for _, i in order]

    return headers, gen()


def write_rejected(job: ImportJob, handler: Handler, wanted: set[int], sink: _Sink) -> None:
    """The refused rows as a file in the template's layout, with what is wrong, to fix and re-upload."""
    from .reports import write_rows_workbook

    reasons: dict[int, list[str]] = {}
    for row, problem in sink.problems:
        if problem.level in BLOCKING:
            reasons.setdefault(row, []).append(problem.message)
    headers, rows = raw_rows(job, wanted)
    write_rows_workbook(rejected_path(job), headers, rows, reasons, title="退回的行")


# ---------------------------------------------------------------- running


def run(job: ImportJob, actor: Any, phase: str) -> None:
    """Start a check or a commit: in a background thread for the pages, inline in tests."""

    def work() -> None:
        try:
            (check if phase == "check" else commit)(job, actor)
        except Exception:
            if not settings.YBSS_IMPORT_BACKGROUND:
                raise
        finally:
            if settings.YBSS_IMPORT_BACKGROUND:
                close_old_connections()

    if not settings.YBSS_IMPORT_BACKGROUND:
        work()
        return
    # After the request's transaction commits (one per request on PostgreSQL, see
    # ybss/core/middleware.py): the thread's own connection must see the job it works on.
    thread = threading.Thread(target=work, name=f"import-{job.pk}-{phase}", daemon=True)
    transaction.on_commit(thread.start)
