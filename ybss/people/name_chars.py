"""SQLite's character index of names: which people's names hold a character.

PostgreSQL answers "names containing this text" from a GIN index over each name's
characters (people migration 0005). SQLite has none, so a table of (character, person)
stands in, kept by triggers on ``people_person`` so that every way a person is written
(the actions, ``bulk_register``'s plain rows, queryset updates, fixtures) keeps it too.
The characters are those of the text the search's LIKE reads: the name followed by the
former names as stored, with ASCII lowered as SQLite's ``lower()`` and LIKE do.

SQLite drops a table's triggers whenever Django rebuilds the table (most ``AlterField``),
so :func:`install` runs after every ``migrate`` (``PeopleConfig``) and creates any that
are missing. The table's rows survive a rebuild: the people keep their ids.

A bulk insert of new people (``bulk_register``) writes their characters itself, through
:func:`filled_by_caller`: the insert trigger, run once a row and computing the characters
in SQL, was a third of the time of inserting people in an import of 144,316 rows.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from django.db import DatabaseError

from ybss.core.db import insert_grouped

TABLE = "people_person_name_chars"
# Character positions 1…N, joined instead of recursing over each text: a recursive query
# in every insert trigger cost twice as much. Longer texts (many long former names) take
# the recursive tail from N + 1.
POSITIONS = "people_person_name_positions"
MAX_POSITION = 400

TRIGGERS = (f"{TABLE}_insert", f"{TABLE}_update", f"{TABLE}_delete")


_TEXT = "lower(name || coalesce(former_names, ''))"


def _characters(row: str) -> str:
    """A query of the distinct characters of ``row``'s name and former names, as ``ch``."""
    text = f"lower({row}.name || coalesce({row}.former_names, ''))"
    return (
        f"SELECT substr(x.t, p.n, 1) AS ch FROM (SELECT {text} AS t) AS x"
        f" JOIN {POSITIONS} AS p ON p.n <= length(x.t)"
        " UNION SELECT ch FROM ("
        "WITH RECURSIVE position(i, t) AS ("
        f" SELECT {MAX_POSITION + 1}, {text} WHERE length({text}) > {MAX_POSITION}"
        " UNION ALL SELECT i + 1, t FROM position WHERE i < length(t))"
        " SELECT substr(t, i, 1) AS ch FROM position)"
    )


def _trigger_statements() -> list[str]:
    # ruff: noqa: S608 - built from this module's constants, never from values.
    return [
        f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_insert AFTER INSERT ON people_person BEGIN
            INSERT OR IGNORE INTO {TABLE} (ch, person_id) SELECT ch, new.id FROM ({_characters("new")});
        END""",
        # Django saves every column: only a change of the names rewrites their characters.
        f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_update AFTER UPDATE OF name, former_names ON people_person
        WHEN old.name IS NOT new.name OR old.former_names IS NOT new.former_names BEGIN
            DELETE FROM {TABLE} WHERE person_id = old.id AND ch IN ({_characters("old")});
            INSERT OR IGNORE INTO {TABLE} (ch, person_id) SELECT ch, new.id FROM ({_characters("new")});
        END""",
        f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_delete AFTER DELETE ON people_person BEGIN
            DELETE FROM {TABLE} WHERE person_id = old.id AND ch IN ({_characters("old")});
        END""",
    ]


def create_statements() -> list[str]:
    """The tables, the triggers, and the characters of the people already stored."""
    return [
        # Character first: the search reads one character's people; WITHOUT ROWID keeps them together.
        f"CREATE TABLE IF NOT EXISTS {TABLE} (ch text NOT NULL, person_id integer NOT NULL,"
        " PRIMARY KEY (ch, person_id)) WITHOUT ROWID",
        f"CREATE TABLE IF NOT EXISTS {POSITIONS} (n integer PRIMARY KEY)",
        f"INSERT OR IGNORE INTO {POSITIONS} (n) WITH RECURSIVE s(n) AS"
        f" (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {MAX_POSITION}) SELECT n FROM s",
        *_trigger_statements(),
        f"INSERT OR IGNORE INTO {TABLE} (ch, person_id) SELECT substr(x.t, p.n, 1), x.id"
        f" FROM (SELECT id, {_TEXT} AS t FROM people_person) AS x"
        f" JOIN {POSITIONS} AS p ON p.n <= length(x.t)",
        f"INSERT OR IGNORE INTO {TABLE} (ch, person_id) WITH RECURSIVE position(id, i, t) AS ("
        f" SELECT id, {MAX_POSITION + 1}, {_TEXT} FROM people_person WHERE length({_TEXT}) > {MAX_POSITION}"
        " UNION ALL SELECT id, i + 1, t FROM position WHERE i < length(t))"
        " SELECT substr(t, i, 1), id FROM position",
    ]


def drop_statements() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS] + [
        f"DROP TABLE IF EXISTS {TABLE}",
        f"DROP TABLE IF EXISTS {POSITIONS}",
    ]


# SQLite's lower() without ICU changes ASCII letters only; the search's LIKE folds the same.
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def characters(name: str, former_names: str | None) -> set[str]:
    """The characters the insert trigger stores for a person: ``former_names`` is the
    column's text as stored (its JSON), as the trigger reads it."""
    return set((name + (former_names or "")).translate(_ASCII_LOWER))


class CharacterWriter:
    """Writes the character rows of people inserted while the insert trigger stands aside."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor

    def add(self, people: Iterable[tuple[int, str, str | None]]) -> None:
        """``people``: (id, name, former names as stored) of people just inserted."""
        rows = sorted((ch, pk) for pk, name, former in people for ch in characters(name, former))
        if rows:
            # Several rows a statement, in key order: the B-tree is walked once, page after page.
            sql = f"INSERT OR IGNORE INTO {TABLE} (ch, person_id) VALUES (%s, %s)"
            insert_grouped(self.cursor, sql, "%s, %s", rows, ROWS_PER_STATEMENT)


ROWS_PER_STATEMENT = 100


@contextmanager
def filled_by_caller(connection: Any) -> Iterator[CharacterWriter | None]:
    """Inside the caller's transaction, the insert trigger stands aside and the caller
    writes the characters of the people it inserts, with the writer yielded.

    The trigger is dropped and created again in the same transaction: SQLite's schema
    changes are transactional, so a rollback or a crash brings it back with everything
    else, and the transaction holds the write lock, so no other connection inserts a
    person meanwhile. Yields None (and changes nothing) on other databases, or where
    the table is not there.
    """
    if connection.vendor != "sqlite":
        yield None
        return
    if not connection.in_atomic_block:
        raise RuntimeError("name_chars.filled_by_caller must run inside a transaction")
    insert_trigger = TRIGGERS[0]
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = %s", [insert_trigger])
        if cur.fetchone() is None:
            yield None
            return
        cur.execute(f"DROP TRIGGER {insert_trigger}")
        create = _trigger_statements()[0]
        try:
            yield CharacterWriter(cur)
        except BaseException:
            # The transaction is undone with the error, and the trigger with it: never
            # hide why it failed behind a second error here.
            with suppress(DatabaseError):
                cur.execute(create)
            raise
        cur.execute(create)


def install(connection: Any) -> None:
    """Create the triggers that a rebuild of people_person dropped (SQLite, after migrate)."""
    if connection.vendor != "sqlite":
        return
    tables = set(connection.introspection.table_names())
    if TABLE not in tables or "people_person" not in tables:
        return  # not migrated that far: migration 0007 creates everything
    with connection.cursor() as cur:
        for statement in _trigger_statements():
            cur.execute(statement)
