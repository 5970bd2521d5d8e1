import importlib
from typing import Any

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.db.models.signals import post_migrate

from ybss.addresses import actions
from ybss.addresses.models import AddressNode, Kind
from ybss.audit import log, sqlite
from ybss.audit.models import Action, AuditEvent, AuditHead, AuditTarget
from ybss.divisions.models import Division
from ybss.lib import hashchain

pytestmark = pytest.mark.django_db


def _events(n: int) -> None:
    with transaction.atomic():
        for i in range(n):
            log.record(
                None, Action.CREATE, targets=[("address", f"A{i}")], actor_name="tester", extra={"i": i}
            )


def test_events_chain_and_verify() -> None:
    _events(30)
    result = log.verify()
    assert result.ok and result.checked == 30
    first, second = AuditEvent.objects.order_by("seq")[:2]
    assert second.prev_hash == first.hash
    assert AuditHead.objects.get().seq == 30


def test_address_actions_are_audited_with_their_targets(community: Division) -> None:
    road = actions.create_road(None, community, "迎宾路")
    plate = actions.create_node(None, Kind.DOORPLATE, "9", division=community, road=road)
    kinds = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
    assert kinds == [Action.CREATE, Action.CREATE]
    assert AuditTarget.objects.filter(kind="address", key=plate.code).count() == 1


def test_an_action_whose_audit_write_fails_does_not_happen(monkeypatch: Any, community: Division) -> None:
    road = actions.create_road(None, community, "迎宾路")

    def broken(*args: Any, **kwargs: Any) -> None:
        raise DatabaseError("audit table unavailable")

    monkeypatch.setattr(log, "record", broken)
    with pytest.raises(DatabaseError):
        actions.create_node(None, Kind.DOORPLATE, "9", division=community, road=road)
    assert not AddressNode.objects.exists()


def test_verify_command_reports_success(capsys: pytest.CaptureFixture[str]) -> None:
    _events(5)
    call_command("audit", "verify")
    assert "共校验 5 条" in capsys.readouterr().out


def _raw(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cur:
        cur.execute(sql, params)


def _forge(seq: int, after: AuditEvent, hash_: str) -> None:
    """A row written straight into the table, linking to ``after``."""
    _raw(
        "INSERT INTO audit_auditevent (seq, at, actor_id, actor_name, ip, action, outcome, reason_code, "
        "reason_text, targets, extra, prev_hash, hash) "
        "VALUES (%s, %s, NULL, %s, '', %s, 'ok', '', '', %s, %s, %s, %s)",
        [seq, after.at, "mallory", "view_full", "[]", "{}", after.hash, hash_],
    )


@pytest.mark.skipif(connection.vendor == "postgresql", reason="PostgreSQL refuses the edit itself; see below")
def test_edited_row_is_named() -> None:
    _events(20)
    _raw("UPDATE audit_auditevent SET actor_name = %s WHERE seq = %s", ["mallory", 7])
    with pytest.raises(CommandError, match="第 7 条"):
        call_command("audit", "verify")


@pytest.mark.skipif(connection.vendor == "postgresql", reason="PostgreSQL refuses the delete itself")
def test_deleted_row_is_named() -> None:
    _events(20)
    _raw("DELETE FROM audit_auditevent WHERE seq = %s", [7])
    result = log.verify()
    assert not result.ok and result.problem is not None
    assert result.problem.kind == "removed" and 7 in result.problem.missing


def test_inserted_row_is_named() -> None:
    _events(20)
    forged = AuditEvent.objects.get(seq=7)
    # A forger copies row 7 under a new sequence number between 7 and 8 cannot
    # exist, so they renumber nothing and add a row linking to 7.
    _forge(21, forged, "f" * 64)
    result = log.verify()
    assert not result.ok and result.problem is not None
    assert result.problem.seq == 21


@pytest.mark.skipif(connection.vendor == "postgresql", reason="PostgreSQL refuses the delete itself")
def test_cut_off_tail_is_caught_by_the_head() -> None:
    _events(20)
    _raw("DELETE FROM audit_auditevent WHERE seq >= %s", [18])
    result = log.verify()
    assert not result.ok and result.problem is not None and result.problem.kind == "removed"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET actor_name = 'mallory' WHERE seq = 3",
        "DELETE FROM audit_auditevent WHERE seq = 3",
    ],
)
def test_postgresql_refuses_update_and_delete(sql: str) -> None:
    _events(5)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _raw(sql, [])
    assert log.verify().ok


@pytest.mark.parametrize("count", [1, 50, 51, 3000])
def test_every_target_of_an_event_is_indexed_small_or_bulk(count: int) -> None:
    """An event naming many records (a bulk import) takes the bulk path; both must index all."""
    keys = [f"P{i:05d}" for i in range(count)]
    with transaction.atomic():
        event_id = log.record(
            None, Action.IMPORT, targets=[("person", k) for k in reversed(keys)], actor_name="t"
        )
    rows = AuditTarget.objects.filter(event_id=event_id).order_by("key")
    assert [(r.kind, r.key) for r in rows] == [("person", k) for k in keys]
    assert AuditEvent.objects.get(pk=event_id).targets == [f"person:{k}" for k in keys]
    assert log.verify().ok


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement read path is PostgreSQL's")
def test_record_if_writes_the_hash_python_would_and_only_when_allowed() -> None:
    _events(3)
    check = ("SELECT %s::integer AS n", [7])
    with transaction.atomic():
        row, head, written = log.record_if(
            check, ("c.n < %s", [8]), None, Action.VIEW_FULL, targets=[("person", "9"), ("person", "10")]
        )
    assert row == (7,) and head is not None and head[0] == 3 and written
    event = AuditEvent.objects.get(seq=4)
    assert event.prev_hash == head[1]
    assert event.hash == hashchain.link_hash(event.prev_hash, event.seq, event.chain_record())
    assert sorted(AuditTarget.objects.filter(event_id=event.pk).values_list("key", flat=True)) == ["10", "9"]
    assert AuditHead.objects.get().hash == event.hash and log.verify().ok
    with transaction.atomic():
        row, head, written = log.record_if(check, ("c.n < %s", [7]), None, Action.VIEW_FULL)
    assert row == (7,) and head == (4, event.hash) and not written
    assert AuditEvent.objects.count() == 4 and AuditHead.objects.get().seq == 4


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement read path is PostgreSQL's")
def test_record_if_on_a_log_with_no_head_writes_nothing() -> None:
    with transaction.atomic():
        row, head, written = log.record_if(("SELECT 1 AS n", []), ("TRUE", []), None, Action.VIEW_FULL)
    assert row == (1,) and head is None and not written and not AuditEvent.objects.exists()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the trigger is SQLite's")
def test_sqlite_trigger_comes_back_after_migrate_and_matches_its_migration() -> None:
    migration = importlib.import_module(
        "ybss.audit.migrations.0005_sqlite_trigger_indexes_targets_and_moves_head"
    )
    # A change to the trigger needs a migration of its own: databases keep the old one.
    assert sqlite.create_statement() == migration.CREATE
    present = "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = %s"
    _raw(sqlite.drop_statement(), [])
    with connection.cursor() as cur:
        cur.execute(present, [sqlite.TRIGGER])
        assert cur.fetchone()[0] == 0
    config = apps.get_app_config("audit")
    post_migrate.send(sender=config, app_config=config, using="default")
    with connection.cursor() as cur:
        cur.execute(present, [sqlite.TRIGGER])
        assert cur.fetchone()[0] == 1
    _events(2)
    assert AuditTarget.objects.count() == 2 and AuditHead.objects.get().seq == 2 and log.verify().ok


def test_head_moves_only_for_the_next_event() -> None:
    """A row forged after the head's successor leaves the head where it was."""
    _events(3)
    head = AuditHead.objects.get()
    forged = AuditEvent.objects.get(seq=3)
    _forge(9, forged, "e" * 64)
    assert AuditHead.objects.get().seq == head.seq == 3
    assert not log.verify().ok
