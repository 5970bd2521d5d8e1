"""Writing and checking the audit log. ``record`` is the only writer."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from ybss.core.db import insert_rows
from ybss.lib import hashchain

from .context import client_ip
from .models import AuditEvent, AuditHead, AuditTarget, Outcome

Target = tuple[str, object]


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
) -> AuditEvent:
    """Append one event, in the caller's transaction.

    Must run inside ``transaction.atomic``: if the audit write fails, the
    action it records fails with it. Locking the head row serialises writers
    so the chain has no forks. ``head`` is the head's (seq, hash) when the caller
    has already locked and read it in this transaction (``access.reads``).
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record must run inside the action's transaction")
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    qn = connection.ops.quote_name
    head_table = qn(AuditHead._meta.db_table)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    if head is None:
        with connection.cursor() as cur:
            cur.execute(f"SELECT seq, hash FROM {head_table} WHERE id = 1{lock}", [])  # noqa: S608
            found = cur.fetchone()
        if found is None:
            AuditHead.objects.create(pk=1, seq=0, hash=hashchain.GENESIS)
            row = AuditHead.objects.select_for_update().get(pk=1)
            found = (row.seq, row.hash)
        head = (int(found[0]), str(found[1]))
    prev_seq, prev_hash = head
    target_list = sorted({f"{kind}:{key}" for kind, key in targets})
    event = AuditEvent(
        seq=prev_seq + 1,
        at=timezone.now(),
        actor_id=getattr(user, "pk", None),
        actor_name=(actor_name if actor_name is not None else getattr(user, "username", ""))[:150],
        ip=(ip if ip is not None else client_ip())[:45],
        action=action,
        outcome=outcome,
        reason_code=reason_code[:32],
        reason_text=reason_text[:200],
        targets=target_list,
        extra=extra or {},
        prev_hash=prev_hash,
    )
    event.hash = hashchain.link_hash(event.prev_hash, event.seq, event.chain_record())
    # Written with plain statements rather than Model.save: this runs inside every full
    # read, and the ORM's save machinery cost more than the database work itself.
    pairs = [tuple(t.split(":", 1)) for t in target_list]
    if len(pairs) <= 50 and connection.vendor == "postgresql":
        event.pk = _write_in_one_statement(event, pairs)
        event._state.adding = False
        return event
    event.pk = _run_insert(_event_insert(event), returning=True)
    event._state.adding = False
    if len(pairs) > 50:
        # A bulk import names thousands of records in one event.
        insert_rows(
            AuditTarget, ["kind", "key"], pairs, count=len(pairs), constants={"event_id": event.pk}
        )
    elif pairs:
        _run_insert(_targets_insert(pairs, str(int(event.pk))), returning=False)
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {head_table} SET seq = %s, hash = %s WHERE id = 1", [event.seq, event.hash])  # noqa: S608
    return event


_EVENT_FIELDS = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]


def _event_insert(event: AuditEvent) -> tuple[str, list[Any]]:
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in _EVENT_FIELDS)
    params = [f.get_db_prep_save(getattr(event, f.attname), connection) for f in _EVENT_FIELDS]
    placeholders = ", ".join(["%s"] * len(params))
    sql = f"INSERT INTO {qn(AuditEvent._meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    return sql, params


def _targets_insert(pairs: list[tuple[str, ...]], event_id: str) -> tuple[str, list[Any]]:
    """The target rows' INSERT, ``event_id`` being the event's number or an expression."""
    qn = connection.ops.quote_name
    values = ", ".join([f"({event_id}, %s, %s)"] * len(pairs))
    sql = f"INSERT INTO {qn(AuditTarget._meta.db_table)} (event_id, kind, {qn('key')}) VALUES {values}"  # noqa: S608
    return sql, [v for pair in pairs for v in pair]


def _run_insert(statement: tuple[str, list[Any]], *, returning: bool) -> int:
    sql, params = statement
    pk = connection.ops.quote_name(AuditEvent._meta.pk.column)
    with connection.cursor() as cur:
        if returning and connection.features.can_return_columns_from_insert:
            cur.execute(f"{sql} RETURNING {pk}", params)
            return int(cur.fetchone()[0])
        cur.execute(sql, params)
        if not returning:
            return 0
        return int(connection.ops.last_insert_id(cur, AuditEvent._meta.db_table, AuditEvent._meta.pk.column))


def _write_in_one_statement(event: AuditEvent, pairs: list[tuple[str, ...]]) -> int:
    """PostgreSQL: the event, its targets and the new head in one round trip (each is a
    wait for the server, and a full read pays them inside the request)."""
    qn = connection.ops.quote_name
    event_sql, params = _event_insert(event)
    parts = [f"e AS ({event_sql} RETURNING {qn(AuditEvent._meta.pk.column)} AS id)"]
    if pairs:
        target_sql, target_params = _targets_insert(pairs, "(SELECT id FROM e)")
        parts.append(f"t AS ({target_sql})")
        params += target_params
    head = qn(AuditHead._meta.db_table)
    parts.append(f"h AS (UPDATE {head} SET seq = %s, hash = %s WHERE id = 1)")  # noqa: S608
    params += [event.seq, event.hash]
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
