"""On SQLite, a trigger finishes every audit event's write.

Each event's targets (``kind:key`` strings in its JSON) become rows of
``audit_audittarget``, so that "who has seen this person" is one indexed query, and the
head moves on to the event. ``log.record`` then writes one statement instead of three
inside every full read, where each statement's fixed cost showed in the page's time.
The head moves only for the event right after it (``seq`` one more), as the writer's
own update did; a row forged into the middle of the log does not move it.

SQLite drops a table's triggers whenever Django rebuilds the table, so the audit app
creates a missing one again after every migrate (as the people app does for its own).
"""

from __future__ import annotations

from typing import Any

TRIGGER = "audit_auditevent_appended"
EVENTS = "audit_auditevent"


def create_statement() -> str:
    return (
        "CREATE TRIGGER IF NOT EXISTS audit_auditevent_appended AFTER INSERT ON audit_auditevent BEGIN"
        ' INSERT INTO audit_audittarget (event_id, kind, "key")'
        " SELECT NEW.id, substr(j.value, 1, instr(j.value, ':') - 1),"
        " substr(j.value, instr(j.value, ':') + 1)"
        " FROM json_each(NEW.targets) AS j;"
        " UPDATE audit_audithead SET seq = NEW.seq, hash = NEW.hash WHERE id = 1 AND seq = NEW.seq - 1;"
        " END"
    )


def drop_statement() -> str:
    return f"DROP TRIGGER IF EXISTS {TRIGGER}"


def install(connection: Any) -> None:
    """Create the trigger if a rebuild of the events table dropped it (SQLite, after migrate)."""
    if connection.vendor != "sqlite":
        return
    if EVENTS not in set(connection.introspection.table_names()):
        return  # not migrated that far
    with connection.cursor() as cur:
        cur.execute(create_statement())
