"""Writing and checking the audit log. ``record`` and ``record_if`` (a sensitive read's
one-statement form on PostgreSQL) are its only writers."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from django.db import connection, transaction
from django.db.models import DateTimeField, JSONField
from django.utils import timezone

from ybss.core.db import insert_rows, prepared_cursor
from ybss.lib import hashchain

from .context import client_ip
from .models import AuditEvent, AuditHead, AuditTarget, Outcome, chain_record_of

Target = tuple[str, object]
# Up to this many targets an event's target rows are written in the event's own statement
# on PostgreSQL; a bulk import or export naming thousands goes through COPY instead.
ONE_STATEMENT_TARGETS = 50


def record(
    actor: Any,
    action: str,
    *,
    targets: Iterable[Target] = (),
    reason_code: str = "",
    reason_text: str = "",
    outcome: str = Outcome.OK,
    extra: dict[str, Any] | None = None,
    ip: str | None = None,
    actor_name: str | None = None,
    head: tuple[int, str] | None = None,
) -> int:
    """Append one event, in the caller's transaction, and return its id.

    Must run inside ``transaction.atomic``: if the audit write fails, the
    action it records fails with it. Locking the head row serialises writers
    so the chain has no forks. ``head`` is the head's (seq, hash) when the caller
    has already locked and read it in this transaction (``access.reads``).
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record must run inside the action's transaction")
    # Plain values rather than a model instance, which cost as much as the insert inside
    # every full read on SQLite.
    fields = _fields(actor, action, targets, reason_code, reason_text, outcome, extra, ip, actor_name)
    if head is None:
        head = _locked_head()
    seq, prev_hash = head[0] + 1, head[1]
    chained = hashchain.link_hash(prev_hash, seq, chain_record_of(fields))
    fields.update(seq=seq, prev_hash=prev_hash, hash=chained)
    pairs = _pairs(fields["targets"])
    if connection.vendor == "postgresql" and len(pairs) <= ONE_STATEMENT_TARGETS:
        return _write_in_one_statement(fields, pairs)
    pk = _run_insert(_event_insert(fields))
    # On SQLite the table's trigger (ybss.audit.sqlite) indexes the targets and moves
    # the head on: two statements fewer inside every full read.
    if connection.vendor != "sqlite":
        if pairs:
            # A bulk import names thousands of records in one event.
            insert_rows(AuditTarget, ["kind", "key"], pairs, count=len(pairs), constants={"event_id": pk})
        with connection.cursor() as cur:
            cur.execute(
                f"UPDATE {_q(AuditHead)} SET seq = %s, hash = %s WHERE id = 1",  # noqa: S608
                [seq, chained],
            )
    return pk


def record_if(
    check: tuple[str, list[Any]],
    allowed: tuple[str, list[Any]],
    actor: Any,
    action: str,
    *,
    targets: Iterable[Target] = (),
    reason_code: str = "",
    reason_text: str = "",
    extra: dict[str, Any] | None = None,
) -> tuple[tuple[Any, ...], tuple[int, str] | None, bool]:
    """PostgreSQL: lock the head, run ``check`` (a SELECT of one row), and append the event
    only where ``allowed`` (a condition on the check's columns, as ``c.name``) holds, all in
    one statement.

    This is the sensitive read's path: the rate count, the head and the write used to be
    two waits for the server inside every full read. The chain hash is computed by the
    database from the locked head, over the same bytes as ``hashchain.link_hash``:
    ``sha256(prev_hash || "\\n" || seq || "\\n" || canonical(record))``; the record's canonical
    form is made here. Returns the check's row, the head as it was before (None when the
    log has no head row yet, and then nothing is written) and whether the event was written.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record_if must run inside the action's transaction")
    # No model instance: building one cost more than the rest of this function.
    fields = _fields(actor, action, targets, reason_code, reason_text, Outcome.OK, extra, None, None)
    pairs = _pairs(fields["targets"])
    check_sql, check_params = check
    allowed_sql, allowed_params = allowed
    columns, values = _event_values(fields)
    body = hashchain.canonical(chain_record_of(fields))
    params: list[Any] = [*check_params, body, *allowed_params, *values]
    params += [v for pair in pairs for v in pair]
    sql = _record_if_sql(check_sql, allowed_sql, tuple(columns), len(pairs))
    # Prepared: planning this statement took longer than running it.
    with prepared_cursor() as cur:
        cur.execute(sql, params)
        row = cur.fetchone()
    head = None if row[-3] is None else (int(row[-3]), str(row[-2]))
    return tuple(row[:-3]), head, row[-1] is not None


@functools.lru_cache(maxsize=64)
def _record_if_sql(check_sql: str, allowed_sql: str, columns: tuple[str, ...], targets: int) -> str:
    """``record_if``'s statement, the same for every read with the same number of targets."""
    qn = connection.ops.quote_name
    head_table = _q(AuditHead)
    # Typed, because the values are selected rather than listed in VALUES.
    types = {f.column: f.db_type(connection) for f in _EVENT_FIELDS}
    casts = [f"%s::{types[name]}" for name in columns]
    parts = [
        f"h AS (SELECT seq, hash FROM {head_table} WHERE id = 1 FOR UPDATE)",  # noqa: S608
        f"c AS ({check_sql})",
        "n AS (SELECT h.seq + 1 AS seq, h.hash AS prev_hash, encode(sha256(convert_to("  # noqa: S608
        "h.hash || chr(10) || (h.seq + 1)::text || chr(10), 'UTF8') || %s::bytea), 'hex') AS hash "
        f"FROM h, c WHERE {allowed_sql})",
        f"e AS (INSERT INTO {_q(AuditEvent)} ({', '.join(qn(c) for c in columns)}, seq, prev_hash, hash) "  # noqa: S608
        f"SELECT {', '.join(casts)}, n.seq, n.prev_hash, n.hash FROM n RETURNING id, seq, hash)",
    ]
    if targets:
        rows = ", ".join(["(%s, %s)"] * targets)
        parts.append(
            f"t AS (INSERT INTO {_q(AuditTarget)} (event_id, kind, {qn('key')}) "  # noqa: S608
            f"SELECT e.id, v.kind, v.k FROM e, (VALUES {rows}) AS v(kind, k))"
        )
    parts.append(
        f"u AS (UPDATE {head_table} SET seq = e.seq, hash = e.hash FROM e WHERE {head_table}.id = 1)"  # noqa: S608
    )
    return (
        f"WITH {', '.join(parts)} "  # noqa: S608
        "SELECT c.*, h.seq, h.hash, e.id FROM c LEFT JOIN h ON TRUE LEFT JOIN e ON TRUE"
    )


def _q(model: Any) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


def _fields(
    actor: Any,
    action: str,
    targets: Iterable[Target],
    reason_code: str,
    reason_text: str,
    outcome: str,
    extra: dict[str, Any] | None,
    ip: str | None,
    actor_name: str | None,
) -> dict[str, Any]:
    """A new event's field values by attribute name, all but its place in the chain."""
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return {
        "at": timezone.now(),
        "actor_id": getattr(user, "pk", None),
        "actor_name": (actor_name if actor_name is not None else getattr(user, "username", ""))[:150],
        "ip": (ip if ip is not None else client_ip())[:45],
        "action": action,
        "outcome": outcome,
        "reason_code": reason_code[:32],
        "reason_text": reason_text[:200],
        "targets": sorted({f"{kind}:{key}" for kind, key in targets}),
        "extra": extra or {},
    }


def _pairs(target_list: list[str]) -> list[tuple[str, ...]]:
    return [tuple(t.split(":", 1)) for t in target_list]


def _locked_head() -> tuple[int, str]:
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cur:
        cur.execute(f"SELECT seq, hash FROM {_q(AuditHead)} WHERE id = 1{lock}", [])  # noqa: S608
        found = cur.fetchone()
    if found is None:
        AuditHead.objects.create(pk=1, seq=0, hash=hashchain.GENESIS)
        row = AuditHead.objects.select_for_update().get(pk=1)
        found = (row.seq, row.hash)
    return int(found[0]), str(found[1])


_EVENT_FIELDS = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
# How each column's value is made ready for the database. Spelled out rather than
# ``get_db_prep_save`` per field, which cost more than the insert on every full read.
_EVENT_KINDS = [
    (
        f.column,
        f.attname,
        "json" if isinstance(f, JSONField) else "time" if isinstance(f, DateTimeField) else "",
    )
    for f in _EVENT_FIELDS
]


def _event_values(values_by_name: Mapping[str, Any]) -> tuple[list[str], list[Any]]:
    """The columns given in ``values_by_name`` (attribute names) and their database values."""
    ops = connection.ops
    columns: list[str] = []
    values: list[Any] = []
    for column, attname, kind in _EVENT_KINDS:
        if attname not in values_by_name:
            continue
        value = values_by_name[attname]
        if kind == "json":
            value = ops.adapt_json_value(value, None)
        elif kind == "time":
            value = ops.adapt_datetimefield_value(value)
        columns.append(column)
        values.append(value)
    return columns, values


def _event_insert(fields: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """The event's INSERT, from its field values by attribute name."""
    qn = connection.ops.quote_name
    columns, params = _event_values(fields)
    placeholders = ", ".join(["%s"] * len(params))
    sql = f"INSERT INTO {_q(AuditEvent)} ({', '.join(qn(c) for c in columns)}) VALUES ({placeholders})"  # noqa: S608
    return sql, params


def _targets_insert(pairs: list[tuple[str, ...]], event_id: str) -> tuple[str, list[Any]]:
    """The target rows' INSERT, ``event_id`` being the event's number or an expression."""
    qn = connection.ops.quote_name
    values = ", ".join([f"({event_id}, %s, %s)"] * len(pairs))
    sql = f"INSERT INTO {_q(AuditTarget)} (event_id, kind, {qn('key')}) VALUES {values}"  # noqa: S608
    return sql, [v for pair in pairs for v in pair]


def _run_insert(statement: tuple[str, list[Any]]) -> int:
    sql, params = statement
    pk = connection.ops.quote_name(AuditEvent._meta.pk.column)
    with connection.cursor() as cur:
        if connection.features.can_return_columns_from_insert:
            cur.execute(f"{sql} RETURNING {pk}", params)
            return int(cur.fetchone()[0])
        cur.execute(sql, params)
        return int(connection.ops.last_insert_id(cur, AuditEvent._meta.db_table, AuditEvent._meta.pk.column))


def _write_in_one_statement(fields: Mapping[str, Any], pairs: list[tuple[str, ...]]) -> int:
    """PostgreSQL: the event, its targets and the new head in one round trip (each is a
    wait for the server, and a full read pays them inside the request)."""
    qn = connection.ops.quote_name
    event_sql, params = _event_insert(fields)
    parts = [f"e AS ({event_sql} RETURNING {qn(AuditEvent._meta.pk.column)} AS id)"]
    if pairs:
        target_sql, target_params = _targets_insert(pairs, "(SELECT id FROM e)")
        parts.append(f"t AS ({target_sql})")
        params += target_params
    parts.append(f"h AS (UPDATE {_q(AuditHead)} SET seq = %s, hash = %s WHERE id = 1)")  # noqa: S608
    params += [fields["seq"], fields["hash"]]
    with connection.cursor() as cur:
        cur.execute(f"WITH {', '.join(parts)} SELECT id FROM e", params)  # noqa: S608
        return int(cur.fetchone()[0])


def _rows() -> Iterator[tuple[int, str, str, dict[str, Any]]]:
    qs = AuditEvent.objects.order_by("seq")
    for event in qs.iterator(chunk_size=5000):
        yield event.seq, event.prev_hash, event.hash, event.chain_record()


def verify() -> hashchain.VerifyResult:
    """Check the whole chain, and that it still ends where the head says."""
    with transaction.atomic():
        head = AuditHead.objects.filter(pk=1).first()
        return hashchain.verify(
            _rows(),
            expected_last_seq=head.seq if head else 0,
            expected_last_hash=head.hash if head else hashchain.GENESIS,
        )
