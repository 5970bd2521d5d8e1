"""A commit that checks its rows in a second process: the same report and writes, and a clean end.

The child sees only committed data, so these run with real transactions. A test's
SQLite database lives in memory, where no second process can reach it: in-process
they run on PostgreSQL, and ``test_worker_cli.py`` covers SQLite through the command.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction

from tests.exchange.conftest import make_id, person_row, write_csv
from ybss.addresses.models import AddressNode
from ybss.core.errors import ActionError
from ybss.exchange import importing, worker
from ybss.exchange.handlers.addresses import AddressesHandler
from ybss.exchange.handlers.persons import PersonsHandler
from ybss.exchange.models import ImportJob, ImportMode, ImportStatus
from ybss.lib.idcard import check_char
from ybss.people import actions
from ybss.people.actions import PersonInput
from ybss.people.models import Person, PersonVersion, Residence

needs_pg = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a second process cannot open the in-memory test database"
)


def _one_digit_off(number: str) -> str:
    body = number[:16] + ("1" if number[16] != "1" else "3")
    return body + check_char(body)


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch, settings: Any) -> list[int]:
    """Commits check apart from the first row on; counts the checking processes started."""
    settings.YBSS_IMPORT_WORKER_ROWS = 1
    monkeypatch.setattr(importing, "CHUNK", 2)
    started: list[int] = []
    real = worker.events_from_worker

    def counted(make_events: Any) -> Any:
        started.append(1)
        return real(make_events)

    monkeypatch.setattr(worker, "events_from_worker", counted)
    return started


def _job(path: Path, mode: str = ImportMode.VALID_ONLY) -> ImportJob:
    return importing.create_job(None, "persons", path, path.name, mode)


def _report(job: ImportJob) -> list[tuple[int, str, str, str]]:
    return sorted(job.problems.values_list("row", "field", "level", "code"))


@pytest.mark.django_db
def test_only_a_commit_outside_any_transaction_checks_apart(settings: Any) -> None:
    handler = PersonsHandler(None, {})
    settings.YBSS_IMPORT_WORKER_ROWS = 100
    with transaction.atomic():
        assert not worker.usable(handler, 1000)  # the child could not see what this holds
    settings.YBSS_IMPORT_WORKER_ROWS = 0
    assert not worker.usable(handler, 10**6)
    settings.YBSS_IMPORT_WORKER_ROWS = 100
    assert not worker.usable(handler, 99)
    assert not worker.usable(AddressesHandler(None, {}), 10**6)  # its rows depend on the ones before


def test_only_rows_to_write_keep_their_payload_on_the_way_to_the_writer() -> None:
    plans = [importing.RowPlan(n, op, payload=object()) for n, op in enumerate(["create", "update"], 2)]
    plans += [importing.RowPlan(n, op, payload=object()) for n, op in enumerate(["unchanged", "skip"], 4)]
    refused = importing.RowPlan(6, "create", payload=object())
    refused.add("name", "姓名不能为空。")
    plans.append(refused)
    problem = (1, importing.Problem("", "warning", "column_order", "列的顺序与模板不同。"))
    prepared: list[list[int]] = []

    class Handler:
        def prepare_writes(self, plans: list[importing.RowPlan]) -> None:
            prepared.append([p.row for p in plans])

    out = list(importing._ready_to_write(iter([problem, plans]), Handler()))  # type: ignore[arg-type]
    assert out[0] == problem
    assert [p.payload is not None for p in out[1]] == [True, True, False, False, False]
    assert prepared == [[2, 3]]  # only the rows to write are made ready for the writer


@needs_pg
@pytest.mark.django_db(transaction=True)
def test_a_commit_checked_apart_reports_and_writes_what_one_process_does(
    tmp_path: Path, rooms: list[AddressNode], forks: list[int]
) -> None:
    changed = actions.register_person(None, PersonInput(name="秦旧", id_number=make_id(seq="911")))
    same = actions.register_person(None, PersonInput(name="尤同", id_number=make_id(seq="921")))
    actions.move_in(None, same, actions.MoveIn(address=rooms[1], valid_from=date(2024, 3, 1), kind="rented"))
    number = make_id(seq="611")
    rows = [
        person_row("冯一", number, rooms[0]),
        person_row("陈二", make_id(seq="621"), rooms[1]),
        person_row("褚三", make_id(seq="631"), rooms[2]),
        person_row("冯一", number, rooms[0]),  # the same row again, in a later chunk: skipped
        person_row("冯一", _one_digit_off(number), rooms[3]),  # a near number: held back
        person_row("卫四", make_id(seq="641"), rooms[3]),
        person_row("蒋四", make_id(seq="641"), rooms[3]),  # the same number, other content: refused
        person_row("秦新", make_id(seq="911"), rooms[2]),  # a registered person, changed
        person_row("尤同", make_id(seq="921"), rooms[1]),  # a registered person, as stored
        person_row("沈五", make_id(seq="651"), "不存在的地址"),
    ]
    job = importing.check(_job(write_csv(tmp_path / "p.csv", rows)), None)
    checked, counts = _report(job), dict(job.counts)
    assert not forks  # a check writes nothing, so it runs in one process
    versions = PersonVersion.objects.count()

    job = importing.commit(job, None)
    assert forks == [1]
    assert job.status == ImportStatus.DONE
    assert _report(job) == checked and job.counts == counts
    assert (counts["create"], counts["update"], counts["unchanged"], counts["skip"]) == (4, 1, 1, 1)
    assert sorted(Person.objects.values_list("name", flat=True)) == sorted(
        ["冯一", "陈二", "褚三", "卫四", "秦新", "尤同"]
    )
    assert Residence.objects.filter(valid_to__isnull=True).count() == 6
    assert PersonVersion.objects.count() == versions + 6  # four created; one changed and moved in
    changed.refresh_from_db()
    assert changed.name == "秦新" and changed.version == 3  # changed, then moved in
    assert not multiprocessing.active_children()


def _plan_from_row(monkeypatch: pytest.MonkeyPatch, row: int, first: Callable[[], None]) -> Any:
    """Make the handler call ``first`` before checking a chunk from ``row`` on; returns the real ``plan``."""
    plan = PersonsHandler.plan

    def patched(self: PersonsHandler, records: list[tuple[int, dict[str, Any]]]) -> Any:
        if records[0][0] >= row:
            first()
        return plan(self, records)

    monkeypatch.setattr(PersonsHandler, "plan", patched)
    return plan


def _disk_error() -> None:
    raise RuntimeError("磁盘读错误")


def _file(tmp_path: Path, rooms: list[AddressNode], n: int = 8) -> Path:
    rows = [person_row(f"何{i}", make_id(seq=f"{700 + i}"), rooms[i % 4]) for i in range(n)]
    return write_csv(tmp_path / "p.csv", rows)


@needs_pg
@pytest.mark.django_db(transaction=True)
def test_an_error_in_the_checking_process_undoes_the_commit(
    tmp_path: Path, rooms: list[AddressNode], forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = _plan_from_row(monkeypatch, 6, _disk_error)
    job = _job(_file(tmp_path, rooms))
    with pytest.raises(worker.WorkerFailed, match="磁盘读错误"):
        importing.commit(job, None, require_check=False)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and "磁盘读错误" in job.error
    assert Person.objects.count() == 0  # the two chunks written before it are undone
    assert not multiprocessing.active_children()
    # The file is still there: once the cause is gone, the same job can be checked and committed.
    monkeypatch.setattr(PersonsHandler, "plan", plan)
    job.status = ImportStatus.UPLOADED
    job.save(update_fields=["status"])
    assert importing.commit(job, None, require_check=False).status == ImportStatus.DONE
    assert Person.objects.count() == 8


@needs_pg
@pytest.mark.django_db(transaction=True)
def test_a_killed_checking_process_undoes_the_commit(
    tmp_path: Path, rooms: list[AddressNode], forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    _plan_from_row(monkeypatch, 6, lambda: os.kill(os.getpid(), signal.SIGKILL))
    with pytest.raises(worker.WorkerFailed, match="意外退出"):
        importing.commit(_job(_file(tmp_path, rooms)), None, require_check=False)
    assert Person.objects.count() == 0
    assert not multiprocessing.active_children()


@needs_pg
@pytest.mark.django_db(transaction=True)
def test_a_write_that_fails_stops_the_checking_process(
    tmp_path: Path, rooms: list[AddressNode], forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    apply = PersonsHandler.apply
    calls: list[int] = []

    def conflict(self: PersonsHandler, plans: list[importing.RowPlan]) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise ActionError("该证件号码已登记。", "id_number", "duplicate")
        apply(self, plans)

    monkeypatch.setattr(PersonsHandler, "apply", conflict)
    # Still checking when the write fails: the child must be stopped, not waited for.
    _plan_from_row(monkeypatch, 10, lambda: time.sleep(30))
    job = _job(_file(tmp_path, rooms, 12))
    with pytest.raises(ActionError):
        importing.commit(job, None, require_check=False)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and forks == [1]
    assert Person.objects.count() == 0
    assert not multiprocessing.active_children()


@needs_pg
@pytest.mark.django_db(transaction=True)
def test_a_cancelled_commit_stops_its_checking_process(
    tmp_path: Path, rooms: list[AddressNode], forks: list[int]
) -> None:
    job = _job(_file(tmp_path, rooms, 12))

    def cancel_once_writing(snap: dict[str, Any]) -> None:
        if snap["done"] > 0:
            importing.cancel_path(job).touch()

    progress = importing.Progress(job, on_update=cancel_once_writing, interval=0)
    job = importing.commit(job, None, progress, require_check=False)
    assert forks == [1]
    assert job.status == ImportStatus.CANCELLED
    assert Person.objects.count() == 0
    assert not multiprocessing.active_children()


@needs_pg
@pytest.mark.django_db(transaction=True)
def test_a_commit_started_from_the_pages_checks_apart_from_its_background_thread(
    tmp_path: Path, rooms: list[AddressNode], forks: list[int], settings: Any
) -> None:
    # The web process forks from the import's thread, not from its main thread.
    settings.YBSS_IMPORT_BACKGROUND = True
    job = _job(_file(tmp_path, rooms))
    job.status = ImportStatus.CHECKED
    job.save(update_fields=["status"])
    importing.run(job, None, "commit")
    thread = next(t for t in threading.enumerate() if t.name == f"import-{job.pk}-commit")
    thread.join(60)
    assert not thread.is_alive()
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.error
    assert forks == [1] and Person.objects.count() == 8


@needs_pg
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("apart", [True, False])
def test_statistics_are_refreshed_only_where_the_writer_also_checks(
    tmp_path: Path, rooms: list[AddressNode], monkeypatch: pytest.MonkeyPatch, settings: Any, apart: bool
) -> None:
    # Checked in one process, the writer's own transaction looks its rows up: it needs the
    # planner to know them. Checked apart, the lookups read what is committed.
    settings.YBSS_IMPORT_WORKER_ROWS = 1 if apart else 0
    monkeypatch.setattr(importing, "CHUNK", 2)
    monkeypatch.setattr(importing, "ANALYZE_FIRST", 2)
    refreshed: list[int] = []
    real = importing._refresh_statistics

    def counted(handler: Any) -> None:
        refreshed.append(1)
        real(handler)

    monkeypatch.setattr(importing, "_refresh_statistics", counted)
    job = importing.commit(importing.check(_job(_file(tmp_path, rooms)), None), None)
    assert job.status == ImportStatus.DONE and Person.objects.count() == 8
    assert len(refreshed) == (0 if apart else 2)  # at 2 and 8 rows written


def test_a_plan_crosses_a_pickle_as_itself() -> None:
    plan = importing.RowPlan(7, "update", {"person": 3})
    plan.add("name", "姓名不能为空。", "", code="required")
    back = pickle.loads(pickle.dumps([plan, importing.RowPlan(8)]))  # noqa: S301 - our own bytes
    assert back == [plan, importing.RowPlan(8)] and back[0].problems[0].key == "name"
    assert back[0].problems is not plan.problems and back[1].problems == []


def _outbox_pipe(ahead: int) -> tuple[Any, worker._Outbox]:
    receiver, sender = multiprocessing.Pipe(duplex=False)
    return receiver, worker._Outbox(sender, ahead)


def test_the_outbox_sends_everything_in_order_before_it_closes() -> None:
    receiver, outbox = _outbox_pipe(2)
    got: list[Any] = []
    reader = threading.Thread(target=lambda: got.extend(receiver.recv() for _ in range(50)), daemon=True)
    reader.start()
    for i in range(50):
        assert outbox.put(("event", [i] * 1000))
    outbox.close()
    reader.join(10)
    assert [m[1][0] for m in got] == list(range(50)) and all(m[0] == "event" for m in got)


def test_the_checking_goes_on_while_the_writer_has_not_read() -> None:
    # Nothing is read yet: the checking process still gets rid of what it has checked, as many
    # chunks as the outbox holds ahead, plus what the pipe and the sending thread hold.
    receiver, outbox = _outbox_pipe(3)
    chunk = ("event", "x" * 300_000)  # more than the pipe holds
    put = threading.Thread(target=lambda: [outbox.put(chunk) for _ in range(4)], daemon=True)
    put.start()
    put.join(10)
    assert not put.is_alive()
    assert [receiver.recv() for _ in range(4)] == [chunk] * 4
    outbox.close()


def test_the_outbox_stops_without_blocking_once_the_writer_is_gone() -> None:
    receiver, outbox = _outbox_pipe(2)
    receiver.close()
    results: list[bool] = []
    put = threading.Thread(
        target=lambda: results.extend(outbox.put(("event", "x" * 100_000)) for _ in range(20)), daemon=True
    )
    put.start()
    put.join(10)
    assert not put.is_alive() and results[-1] is False
    outbox.close()
