"""ybss.core.db: bulk inserts without model instances, and long key lists as one condition."""

from __future__ import annotations

import datetime as dt
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ybss.addresses.models import AddressNode
from ybss.audit import log
from ybss.audit.models import Action, AuditEvent
from ybss.core.db import (
    _as_copy_text,
    foreign_keys_checked_per_statement,
    in_list,
    insert_many,
    insert_rows,
    keyed_lookups,
    prepared_cursor,
    value_preparer,
)
from ybss.divisions.models import Division
from ybss.people.models import Person, PersonVersion

pytestmark = pytest.mark.django_db


def _index(i: int) -> str:
    return f"{i:064x}"


@transaction.atomic
def _people(n: int, start: int = 0) -> list[int]:
    return insert_rows(
        Person,
        ("id_number_index", "name", "gender", "birth_date", "former_names"),
        [
            (_index(start + i), f"人{i}", "1", date(1990, 1, 1) + timedelta(days=i), ("曾用名",) if i else [])
            for i in range(n)
        ],
        count=n,
        constants={"nationality": "KOR"},
    )


def test_insert_rows_writes_values_constants_and_defaults() -> None:
    ids = _people(3)
    assert ids == sorted(ids) and len(set(ids)) == 3
    people = list(Person.objects.filter(pk__in=ids).order_by("pk"))
    assert [p.name for p in people] == ["人0", "人1", "人2"]
    assert [p.birth_date for p in people] == [date(1990, 1, 1), date(1990, 1, 2), date(1990, 1, 3)]
    assert people[0].former_names == [] and people[1].former_names == ["曾用名"]
    assert {p.nationality for p in people} == {"KOR"}
    # What a new instance would have: defaults, today, the time of the insert.
    first = people[0]
    assert first.version == 1 and first.last_confirmed == date.today() and first.phone_enc == ""
    assert first.merged_into_id is None and first.created_at is not None and first.updated_at is not None


def test_insert_rows_writes_dates_and_times_as_the_same_day_and_instant() -> None:
    # COPY sends them as text: an offset other than the server's, microseconds, an old date.
    beijing = dt.timezone(dt.timedelta(hours=8))
    created = dt.datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=beijing)
    updated = [dt.datetime(2001, 1, 1, 0, 0, 0, 1, tzinfo=dt.UTC), timezone.now()]
    with transaction.atomic():
        ids = insert_rows(
            Person,
            ("id_number_index", "name", "gender", "birth_date", "updated_at"),
            [(_index(i), "人", "1", date(1900, 1, 1) + timedelta(days=i), updated[i]) for i in range(2)],
            count=2,
            constants={"created_at": created, "last_confirmed": date(2020, 2, 29)},
        )
    people = list(Person.objects.filter(pk__in=ids).order_by("pk"))
    assert [p.created_at for p in people] == [created, created]
    assert [p.updated_at for p in people] == updated
    assert [p.birth_date for p in people] == [date(1900, 1, 1), date(1900, 1, 2)]
    assert {p.last_confirmed for p in people} == {date(2020, 2, 29)}


def test_a_date_for_copy_is_the_text_the_field_itself_would_give() -> None:
    field = Person._meta.get_field("birth_date")
    general = _as_copy_text(field.get_db_prep_save)
    prepare = value_preparer(field, connection, for_copy=True)
    # Dates by the short way, the rest (text, a time of day's date, nothing) by the field's.
    values = [date(1900, 1, 1), date(2024, 2, 29), date(9999, 12, 31), "2020-01-02", None]
    assert [prepare(v) for v in values] == [general(v, connection) for v in values]
    assert prepare(date(1, 1, 1)) == "0001-01-01"


@pytest.mark.parametrize("n", [1, 19, 20, 21, 47])
def test_insert_rows_writes_every_row_once_in_order_however_they_group(n: int) -> None:
    """SQLite inserts several rows a statement; a batch that does not divide evenly must
    still land whole, each row under its own key."""
    ids = _people(n)
    stored = dict(Person.objects.filter(pk__in=ids).values_list("pk", "id_number_index"))
    assert len(ids) == n == len(stored)
    assert [stored[pk] for pk in ids] == [_index(i) for i in range(n)]


def test_insert_rows_writes_each_json_value_as_given_shared_or_not() -> None:
    """JSON values are prepared once per object shared by rows; an object made for one row
    and gone by the next (so that a new one may take its id) is still written as itself."""
    shared: dict[str, Any] = {"fields": ["name"]}
    n = 300
    people = _people(n)
    with transaction.atomic():
        ids = insert_rows(
            PersonVersion,
            ("person_id", "changes"),
            ((people[i], shared if i % 3 == 0 else own(i)) for i in range(n)),
            count=n,
            constants={"version": 1, "action": "create", "actor_name": "测试"},
        )
    stored = dict(PersonVersion.objects.filter(pk__in=ids).values_list("pk", "changes"))
    assert [stored[pk] for pk in ids] == [shared if i % 3 == 0 else own(i) for i in range(n)]


def own(i: int) -> dict[str, Any]:
    # Characters that PostgreSQL's COPY text format and JSON both escape.
    return {"n": i, "s": f'张\t{i}\\"\n'}


def test_insert_rows_writes_a_json_constant_on_every_row() -> None:
    people = _people(3)
    constant = {"fields": ["名\t字", 'a\\"b']}
    with transaction.atomic():
        ids = insert_rows(
            PersonVersion,
            ("person_id",),
            ((pk,) for pk in people),
            count=3,
            constants={"version": 1, "action": "create", "actor_name": "测试", "changes": constant},
        )
    assert list(PersonVersion.objects.filter(pk__in=ids).values_list("changes", flat=True)) == [constant] * 3


def test_insert_rows_continues_the_keys_after_ordinary_saves() -> None:
    first = _people(2)
    other = Person.objects.create(id_number_index=_index(100), name="某", gender="2")
    more = _people(2, start=10)
    assert first[-1] < other.pk < more[0]


def test_insert_rows_checks_its_arguments() -> None:
    with transaction.atomic():
        with pytest.raises(ValueError):
            insert_rows(Person, ("id_number_index", "name"), [(_index(1), "某")], count=2)
        with pytest.raises(ValueError):
            insert_rows(Person, ("name",), [("某",)], count=1, constants={"name": "某"})


def test_insert_many_sets_keys_and_automatic_fields() -> None:
    people = _people(1)
    with transaction.atomic():
        versions = [
            PersonVersion(person_id=people[0], version=v, action="update", changes={"fields": ["name"]})
            for v in (2, 3)
        ]
        insert_many(versions)
    assert all(v.pk and not v._state.adding and v.at is not None for v in versions)
    stored = PersonVersion.objects.get(pk=versions[1].pk)
    assert stored.version == 3 and stored.changes == {"fields": ["name"]} and stored.at == versions[1].at


def test_in_list_finds_what_the_in_lookup_finds(building: AddressNode) -> None:
    ids = _people(5)
    keys = [_index(1), _index(3), _index(99)]
    assert set(Person.objects.filter(in_list(Person, "id_number_index", keys))) == set(
        Person.objects.filter(id_number_index__in=keys)
    )
    assert list(Person.objects.filter(in_list(Person, "id", ids[:2])).order_by("pk")) == list(
        Person.objects.filter(pk__in=ids[:2]).order_by("pk")
    )
    assert not Person.objects.filter(in_list(Person, "id", [])).exists()
    # A foreign key column, and a query that joins another table with an "id" of its own.
    codes = [building.code]
    assert list(AddressNode.objects.filter(in_list(AddressNode, "code", codes))) == [building]
    assert building.parent_id is not None
    assert AddressNode.objects.filter(in_list(AddressNode, "parent", [building.parent_id])).exists()
    division = Division.objects.get(pk=building.division_id)
    joined = AddressNode.objects.filter(
        in_list(AddressNode, "id", [building.pk]), division__name=division.name
    )
    assert list(joined) == [building]
    with pytest.raises(TypeError):
        in_list(Person, "birth_date", [1])
    with pytest.raises(TypeError):
        in_list(AuditEvent, "targets", ["x"])


def test_in_list_finds_awkward_text_values_as_the_in_lookup_does() -> None:
    # PostgreSQL gets the values joined by a separator: one that holds it, an empty one, a
    # comma, and a lone value must all still be found as themselves.
    names = ["", "甲\x1f乙", "丙,丁", "戊", "己"]
    for i, name in enumerate(names):
        Person.objects.create(id_number_index=_index(200 + i), name=name, gender="2")
    for wanted in (names, names[1:], names[2:], ["戊"], ["戊", "庚"]):
        found = set(Person.objects.filter(in_list(Person, "name", wanted)).values_list("name", flat=True))
        assert found == set(Person.objects.filter(name__in=wanted).values_list("name", flat=True))
        assert found == set(wanted) - {"庚"}


def test_keyed_lookups_holds_only_for_its_block() -> None:
    def seqscan() -> str | None:
        if connection.vendor != "postgresql":
            return None
        with connection.cursor() as cur:
            cur.execute("SHOW enable_seqscan")
            return str(cur.fetchone()[0])

    before = seqscan()
    with transaction.atomic():
        with keyed_lookups():
            assert seqscan() == ("off" if connection.vendor == "postgresql" else None)
            assert Person.objects.filter(in_list(Person, "id_number_index", [_index(1)])).count() == 0
        assert seqscan() == before
    assert seqscan() == before


def _prepared_statements() -> set[str]:
    with connection.cursor() as cur:
        cur.execute("SELECT statement FROM pg_prepared_statements")
        return {row[0] for row in cur.fetchall()}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
def test_prepared_cursor_prepares_and_still_behaves_as_django_cursors() -> None:
    sql = "SELECT %s::integer + 1 AS ybss_prepared_probe"
    with prepared_cursor() as cur:
        cur.execute(sql, [41])
        assert cur.fetchone() == (42,)
    assert any("ybss_prepared_probe" in s for s in _prepared_statements())
    # Seen by Django's query log (assertNumQueries and debug pages count it) and its
    # errors are django.db's, as with any other cursor.
    with CaptureQueriesContext(connection) as queries, prepared_cursor() as cur:
        cur.execute(sql, [1])
    assert len(queries.captured_queries) == 1
    AuditEvent.objects.create(seq=1, at=timezone.now(), action="login", prev_hash="0", hash="h")
    with pytest.raises(IntegrityError), transaction.atomic(), prepared_cursor() as cur:
        cur.execute(
            "INSERT INTO audit_auditevent (seq, at, actor_name, ip, action, outcome, reason_code, "
            "reason_text, targets, extra, prev_hash, hash) "
            "VALUES (%s, now(), '', '', 'login', 'ok', '', '', '[]', '{}', '0', 'g')",
            [1],
        )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
def test_the_sensitive_reads_audit_statement_is_prepared() -> None:
    """Django turns psycopg's preparing off unless told otherwise (ybss.settings tells it)."""
    with transaction.atomic():
        log.record_if(
            ("SELECT 1 AS n", []), ("c.n < %s", [2]), None, Action.VIEW_FULL, targets=[("person", "1")]
        )
    assert any("audit_audithead" in s and "FOR UPDATE" in s for s in _prepared_statements())


class _Undo(Exception):
    pass


def _orphan_version() -> None:
    """A version row naming a person who does not exist: refused by its foreign key."""
    PersonVersion.objects.create(person_id=10**9, version=1, action="create", actor_name="x", changes={})


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's deferred constraints")
def test_foreign_keys_checked_per_statement_refuse_at_the_statement_and_defer_again_after() -> None:
    with transaction.atomic():
        with foreign_keys_checked_per_statement(), pytest.raises(IntegrityError), transaction.atomic():
            _orphan_version()  # refused here, not when the transaction commits
        with foreign_keys_checked_per_statement():
            pass
        # Deferred again: the orphan is only refused when the check finally runs.
        with pytest.raises(_Undo), transaction.atomic():
            _orphan_version()
            with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            raise _Undo  # the orphan goes


def test_foreign_keys_checked_per_statement_changes_nothing_elsewhere() -> None:
    with transaction.atomic(), foreign_keys_checked_per_statement():
        assert Person.objects.count() == 0
