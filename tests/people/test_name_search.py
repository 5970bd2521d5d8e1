"""Name search: names that start with the text first, else names and former names that
contain it (narrowed by the character index, a GIN index on PostgreSQL and a table kept
by triggers on SQLite, with the same answers as reading every name)."""

from __future__ import annotations

import importlib
import random
from datetime import date

import pytest
from django.contrib.auth.models import User
from django.db import connection

from tests.access.conftest import IDS
from ybss.access.scope import scope_for
from ybss.addresses import actions as address_actions
from ybss.addresses.models import AddressNode
from ybss.people import actions
from ybss.people.actions import MoveIn, PersonInput
from ybss.people.views import NAME_CHARS, name_matches, people_in_scope, search_people

pytestmark = pytest.mark.django_db


def _names(user: User, q: str) -> list[str]:
    return sorted(name_matches(people_in_scope(user), q).values_list("name", flat=True))


def test_contains_search_finds_names_and_former_names_and_nothing_else(
    alice: User, carol: User, building: AddressNode
) -> None:
    room = address_actions.batch_create_rooms(None, building, address_actions.RoomPattern(1, 0, 1))[0]
    for number, name, former in [
        (IDS[0], "李张伟", []),
        (IDS[1], "王小明", ["Zhang Wei"]),
        (IDS[2], "张伟", []),
    ]:
        actions.register_person(
            None,
            PersonInput(name=name, id_number=number, former_names=former),
            move_in=MoveIn(room, date(2024, 1, 1)),
        )
    assert _names(alice, "张伟") == ["张伟"]  # a name starting with it wins
    assert _names(alice, "伟") == ["张伟", "李张伟"]  # else names that contain it
    assert _names(alice, "小明") == ["王小明"]
    assert _names(alice, "zhang wei") == ["王小明"]  # former names, in any case
    assert _names(alice, "ZHANG") == ["王小明"]
    assert _names(alice, "查无此名") == []
    assert _names(alice, "伟张") == []  # every character is there, but not the text
    assert _names(carol, "伟") == []  # and only inside the jurisdiction


# A varied register: Chinese names sharing characters in every order, Latin names in
# mixed case, names with letters that have case outside ASCII, names holding LIKE's
# wildcards and JSON's quotes, former names in Chinese and in pinyin, written by every
# path there is (one at a time, in bulk as plain rows, straight through the ORM,
# renamed by an action and by a queryset update, merged away, deleted).
_SURNAMES = "张王李赵刘陈"
_GIVEN = "伟明华小芳娜丽强"
_LATIN = ["BAT BATBAYAR", "Anna Smith", "anna SMITH", "JOSÉ NÚÑEZ", "José Núñez", "Иван Петров", "ИВАН"]
_ODD = ["百分%号", "下_划", "反\\斜", '引"号', "[]", "u5f20"]
_FORMER = [[], [], [], ["张小伟"], ["Zhang Wei"], ["zhang XIAOWEI", "李明"], ["José"], ["伟张"]]


def _varied_register(building: AddressNode) -> None:
    from ybss.addresses.models import Kind
    from ybss.dedupe import actions as dedupe_actions
    from ybss.divisions.loading import load_divisions
    from ybss.divisions.models import Division
    from ybss.people.models import Person

    rng = random.Random(5)
    town_rooms = address_actions.batch_create_rooms(None, building, address_actions.RoomPattern(2, 0, 3))
    load_divisions("130731101")
    village = Division.objects.filter(code__startswith="130731101", level=5).order_by("code").first()
    assert village is not None
    group = address_actions.create_node(None, Kind.GROUP, "1", division=village)
    far_room = address_actions.create_node(None, Kind.DOORPLATE, "1", parent=group)
    names = [
        rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.randint(1, 2)))
        for _ in range(50)
    ]
    names += ["伟伟", "伟张", "小明", *_LATIN]
    rows: list[tuple[PersonInput, MoveIn | None]] = []
    for i, name in enumerate(names):
        # Living in alice's town, in carol's, registered in alice's town with no residence, or nowhere.
        place = i % 4
        data = PersonInput(
            name=name,
            doc_type="passport",
            id_number=f"E{i:07d}",
            former_names=_FORMER[i % len(_FORMER)],
            domicile_division="130731100" if place == 2 else "",
        )
        move = (
            MoveIn(rng.choice(town_rooms) if place == 0 else far_room, date(2024, 1, 1))
            if place < 2
            else None
        )
        rows.append((data, move))
    for data, move in rows[:10]:
        actions.register_person(None, data, move_in=move)
    actions.bulk_register(None, rows[10:])
    # What no form lets in, but a database may hold all the same.
    for i, name in enumerate(_ODD):
        Person.objects.create(
            name=name,
            former_names=[_ODD[-1 - i], "Zhang"],
            id_number_index=f"odd-{i}",
            gender="0",
            residence_code=town_rooms[0].code if i % 2 else "",
            domicile_code="130731100" if i % 2 == 0 else "",
        )
    people = list(Person.objects.order_by("pk"))
    # Renamed: by the action (which saves every column) and by a queryset update.
    first = people[0]
    actions.update_person(
        None,
        first,
        PersonInput(
            name="欧阳娜娜",
            doc_type="passport",
            id_number="E0000000",
            former_names=[first.name, "Ouyang"],
        ),
        expected_version=first.version,
    )
    Person.objects.filter(pk__in=[p.pk for p in people[1:20:3]]).update(name="赵华强", former_names=["Zhao"])
    Person.objects.filter(pk=people[4].pk).update(former_names=[])
    # Merged away: still in the table, with its names, but no longer found.
    for gone, keep in [(people[8], people[12]), (people[13], people[17])]:
        dedupe_actions.merge(None, dedupe_actions.queue_for_review(None, keep, gone, "test"), survivor=keep)
    # Deleted: its characters go with it.
    doomed = Person.objects.create(name="删除人", former_names=["临时"], id_number_index="doomed")
    doomed.delete()


def _stored_people() -> list[tuple[int, str, str, str, str, int | None]]:
    """Every person as the database holds them: the former names as the text a LIKE reads."""
    former = "former_names::text" if connection.vendor == "postgresql" else "former_names"
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT id, name, {former}, residence_code, domicile_code, merged_into_id FROM people_person"  # noqa: S608
        )
        return list(cur.fetchall())


def _ascii_lower(text: str) -> str:
    return "".join(c.lower() if c.isascii() else c for c in text)


def _upper(text: str) -> str:
    # PostgreSQL's upper() maps one character to one.
    return "".join(c.upper() if len(c.upper()) == 1 else c for c in text)


def _brute_force(
    people: list[tuple[int, str, str, str, str, int | None]], prefixes: tuple[str, ...], q: str
) -> set[int]:
    """What the search answers, worked out by hand: inside the jurisdiction and not merged
    away; names starting with ``q`` if any, else names or former names containing it, in
    each database's own terms. SQLite's LIKE ignores the case of ASCII letters, in names and
    former names alike; on PostgreSQL a name must contain ``q`` as typed, and former names
    are compared upper-cased."""
    visible = [
        p
        for p in people
        if p[5] is None and any(code.startswith(prefix) for code in (p[3], p[4]) for prefix in prefixes)
    ]
    starting = {p[0] for p in visible if p[1].startswith(q)}
    if starting:
        return starting
    if connection.vendor == "sqlite":
        return {
            p[0]
            for p in visible
            if _ascii_lower(q) in _ascii_lower(p[1]) or _ascii_lower(q) in _ascii_lower(p[2])
        }
    return {p[0] for p in visible if q in p[1] or _upper(q) in _upper(p[2])}


def test_contains_search_answers_as_a_scan_of_every_name_would(
    alice: User, bob: User, carol: User, building: AddressNode
) -> None:
    _varied_register(building)
    people = _stored_people()
    rng = random.Random(7)
    texts = [p[1] for p in people] + [p[2] for p in people]
    queries = {c for text in texts for c in text}
    queries |= {
        name[i : i + n] for name in (p[1] for p in people) for n in (2, 3) for i in range(len(name) - n + 1)
    }
    queries |= {
        text[i : i + rng.randint(2, 6)] for text in rng.sample(texts, 40) for i in [rng.randrange(len(text))]
    }
    queries |= {q.upper() for q in list(queries)} | {q.swapcase() for q in list(queries)}
    queries |= {
        "查无此名",
        "伟张",
        "张伟",
        "zhang wei",
        "ZHANG",
        "josé",
        "JOSÉ",
        "иван",
        "Иван",
        "%",
        "_",
        "\\",
        '"',
        "[]",
    }
    answered_by_containing = 0
    for user in (alice, bob, carol):
        prefixes = scope_for(user).prefixes
        for q in sorted(queries):
            expected = _brute_force(people, prefixes, q)
            found = name_matches(people_in_scope(user), q)
            assert set(found.values_list("pk", flat=True)) == expected, (user.username, q)
            if expected and not any(name.startswith(q) for name in found.values_list("name", flat=True)):
                answered_by_containing += 1
    # The comparison means something only if many answers came from the contains search.
    assert answered_by_containing > 100


def test_contains_search_reads_the_character_index(alice: User) -> None:
    sql = str(name_matches(people_in_scope(alice), "查无此名").query)
    assert ("people_person_name_chars" if connection.vendor == "sqlite" else "@>") in sql
    # Letters with a case outside ASCII: the index cannot answer, the scan does.
    sql = str(name_matches(people_in_scope(alice), "José").query)
    assert "people_person_name_chars" not in sql and "@>" not in sql


def test_phone_search_reads_the_partial_phone_index(alice: User) -> None:
    # Only people with a phone are in the index; a search must say so for SQLite to use it.
    people = search_people(alice, "138 1234 5678")
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET LOCAL enable_seqscan = off")  # a test table is small enough to scan
        plan = people.explain()
    assert "person_phone_given" in plan


def test_the_search_expression_is_the_index_expression() -> None:
    """Written over the table's own columns, the search reads exactly as the GIN index's
    expression (people migration 0005): PostgreSQL uses an expression index only then."""
    migration = importlib.import_module("ybss.people.migrations.0005_postgresql_name_character_index")
    assert NAME_CHARS.format(name="name", former="former_names") == migration.EXPRESSION


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the character table is SQLite's")
def test_sqlite_character_table_follows_every_write(building: AddressNode) -> None:
    """The triggers of people migration 0007 keep it; a migration that rebuilds people_person
    on SQLite drops them, and this test says so."""
    _varied_register(building)
    expected = {(c, p[0]) for p in _stored_people() for c in _ascii_lower(p[1] + p[2])}
    with connection.cursor() as cur:
        cur.execute("SELECT ch, person_id FROM people_person_name_chars")
        assert set(cur.fetchall()) == expected
        cur.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'people_person'")
        assert {row[0] for row in cur.fetchall()} == {
            "people_person_name_chars_insert",
            "people_person_name_chars_update",
            "people_person_name_chars_delete",
        }


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the character table is SQLite's")
def test_sqlite_character_table_reads_past_the_positions_table(building: AddressNode) -> None:
    """Former names longer than the positions table take the recursive tail: a character
    only at their far end is still indexed, and found."""
    from ybss.people.models import Person
    from ybss.people.name_chars import MAX_POSITION

    long_former = ["Abcdefghij" * 4] * (MAX_POSITION // 40 + 2) + ["Qxyz"]
    person = Person.objects.create(name="王某", id_number_index="x", former_names=long_former)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT length(lower(name || former_names)) FROM people_person WHERE id = %s", [person.pk]
        )
        assert cur.fetchone()[0] > MAX_POSITION + 40
    expected = {(c, person.pk) for p in _stored_people() for c in _ascii_lower(p[1] + p[2])}
    with connection.cursor() as cur:
        cur.execute("SELECT ch, person_id FROM people_person_name_chars")
        assert set(cur.fetchall()) == expected


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the triggers are SQLite's")
def test_migrate_creates_the_triggers_a_table_rebuild_dropped() -> None:
    from django.apps import apps
    from django.db.models.signals import post_migrate

    with connection.cursor() as cur:
        cur.execute("DROP TRIGGER people_person_name_chars_insert")
        cur.execute("DROP TRIGGER people_person_name_chars_update")
    post_migrate.send(
        sender=apps.get_app_config("people"), app_config=apps.get_app_config("people"), using="default"
    )
    with connection.cursor() as cur:
        cur.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'people_person'")
        assert {row[0] for row in cur.fetchall()} == {
            "people_person_name_chars_insert",
            "people_person_name_chars_update",
            "people_person_name_chars_delete",
        }


def test_a_chinese_former_name_is_found(alice: User, building: AddressNode) -> None:
    room = address_actions.batch_create_rooms(None, building, address_actions.RoomPattern(1, 0, 1))[0]
    actions.register_person(
        None,
        PersonInput(name="王小明", id_number=IDS[0], former_names=["赵四海"]),
        move_in=MoveIn(room, date(2024, 1, 1)),
    )
    assert _names(alice, "四海") == ["王小明"]
    with connection.cursor() as cur:
        cur.execute("SELECT former_names FROM people_person")
        assert "赵四海" in str(cur.fetchone()[0])  # stored as characters, not \\u escapes


@pytest.mark.skipif(connection.vendor != "sqlite", reason="only SQLite stored the escapes")
def test_migration_rewrites_escaped_former_names(alice: User, building: AddressNode) -> None:
    import importlib
    import json
    from types import SimpleNamespace

    migration = importlib.import_module("ybss.people.migrations.0009_former_names_stored_as_characters")
    room = address_actions.batch_create_rooms(None, building, address_actions.RoomPattern(1, 0, 1))[0]
    person = actions.register_person(
        None, PersonInput(name="王小明", id_number=IDS[0]), move_in=MoveIn(room, date(2024, 1, 1))
    )
    with connection.cursor() as cur:  # as Django wrote it before the encoder
        cur.execute(
            "UPDATE people_person SET former_names = %s WHERE id = %s", [json.dumps(["赵四海"]), person.pk]
        )
    assert _names(alice, "四海") == []
    migration.rewrite_escaped(None, SimpleNamespace(connection=connection))
    assert _names(alice, "四海") == ["王小明"]


def test_contains_search_works_inside_another_query(alice: User, building: AddressNode) -> None:
    """Used as a subquery (an export, a count) its tables are renamed; the character
    condition must follow them."""
    from ybss.people.models import Person

    _varied_register(building)
    direct = set(name_matches(people_in_scope(alice), "伟").values_list("pk", flat=True))
    nested = Person.objects.filter(pk__in=name_matches(people_in_scope(alice), "伟").values("pk"))
    assert direct and set(nested.values_list("pk", flat=True)) == direct


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the character table is SQLite's")
def test_bulk_register_writes_the_characters_the_trigger_would(building: AddressNode) -> None:
    """``bulk_register`` writes its people's characters itself while the insert trigger
    stands aside: the same rows as the trigger writes for the same people, long former
    names and letters in every case included, and the trigger is back afterwards."""
    from ybss.people.models import Person
    from ybss.people.name_chars import MAX_POSITION

    room = address_actions.batch_create_rooms(None, building, address_actions.RoomPattern(1, 0, 1))[0]
    long_former = ["Abcdefghij" * 4] * (MAX_POSITION // 40 + 2) + ["QXYZ"]
    people = [
        ("BAT BATBAYAR", []),
        ("José Núñez", ["JOSÉ", "Zhang Wei"]),
        ("王小明", ["赵四海", "伟张"]),
        ("Иван Петров", long_former),
    ]
    rows = [
        (
            PersonInput(name=name, doc_type="passport", id_number=f"B{i:07d}", former_names=former),
            MoveIn(room, date(2024, 1, 1)),
        )
        for i, (name, former) in enumerate(people)
    ]
    bulk = [p.pk for p in actions.bulk_register(None, rows)]
    # The same people once more, one at a time, through the ORM: the trigger writes theirs.
    single = [
        Person.objects.create(name=name, former_names=former, id_number_index=f"single-{i}").pk
        for i, (name, former) in enumerate(people)
    ]

    def characters(pk: int) -> set[str]:
        with connection.cursor() as cur:
            cur.execute("SELECT ch FROM people_person_name_chars WHERE person_id = %s", [pk])
            return {row[0] for row in cur.fetchall()}

    for made, by_trigger in zip(bulk, single, strict=True):
        assert characters(made) and characters(made) == characters(by_trigger)
    assert "q" in characters(bulk[-1])  # past the positions table, lowered as SQLite lowers
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM sqlite_master WHERE name = 'people_person_name_chars_insert'")
        assert cur.fetchone()[0] == 1


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the character table is SQLite's")
def test_a_bulk_register_undone_leaves_the_trigger_and_no_characters(building: AddressNode) -> None:
    from django.db import transaction

    room = address_actions.batch_create_rooms(None, building, address_actions.RoomPattern(1, 0, 1))[0]
    rows = [(PersonInput(name="王小明", id_number=IDS[0]), MoveIn(room, date(2024, 1, 1)))]

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        actions.bulk_register(None, rows)
        raise Undo
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM people_person_name_chars")
        assert cur.fetchone()[0] == 0
        cur.execute("SELECT count(*) FROM sqlite_master WHERE name = 'people_person_name_chars_insert'")
        assert cur.fetchone()[0] == 1
    # And the trigger still writes for everyone else.
    person = actions.register_person(None, PersonInput(name="赵四海", id_number=IDS[1]))
    with connection.cursor() as cur:
        cur.execute("SELECT ch FROM people_person_name_chars WHERE person_id = %s", [person.pk])
        assert {row[0] for row in cur.fetchall()} == set("赵四海[]")
