"""The audited read path for personal data.

Listing masked data is ordinary scoped reading. Everything that shows more
(a full record, unmasked identifiers, a search by full ID number, an export)
goes through ``sensitive_read``: it checks the capability and the stated
purpose, applies the per-user rate limit, writes the audit row and looks for
patterns auditors should see (查询异常预警). Records are passed as
``(kind, key)`` pairs so the audit log never holds the personal data itself.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from ybss.audit import log
from ybss.audit.models import Action, AuditEvent, AuditFlag, AuditHead, Outcome
from ybss.core.errors import ActionError

from .models import PurposeReason
from .roles import Cap
from .scope import require

SENSITIVE_ACTIONS = (Action.VIEW_FULL, Action.UNMASK, Action.SEARCH_ID, Action.EXPORT)
CAPABILITY_FOR: dict[str, str] = {
    Action.VIEW_FULL: Cap.PERSON_VIEW_FULL,
    Action.UNMASK: Cap.PERSON_UNMASK,
    Action.SEARCH_ID: Cap.PERSON_SEARCH_ID,
    Action.EXPORT: Cap.PERSON_EXPORT,
}


class RateLimited(Exception):
    """Too many sensitive reads in the window; the view answers 429."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("查询过于频繁，请稍后再试。")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Purpose:
    code: str
    text: str


def purpose_from(data: Any) -> Purpose:
    """The stated purpose from a form or request body, or an ActionError naming the field."""
    code = str(data.get("reason", "") or "").strip()
    text = str(data.get("reason_text", "") or "").strip()
    if not code:
        raise ActionError("请选择查询事由。", field="reason")
    if code not in active_reason_codes():
        raise ActionError("查询事由不在可选范围内。", field="reason")
    if len(text) < 2:
        raise ActionError("请填写具体说明（至少 2 个字）。", field="reason_text")
    if len(text) > 200:
        raise ActionError("具体说明最多 200 个字。", field="reason_text")
    return Purpose(code, text)


def active_reason_codes() -> frozenset[str]:
    """The configured purposes; a tiny table read on every sensitive read, so cached briefly."""
    codes = cache.get("ybss:reasons")
    if codes is None:
        codes = frozenset(PurposeReason.objects.filter(active=True).values_list("code", flat=True))
        cache.set("ybss:reasons", codes, 60)
    return codes


def _limits() -> list[tuple[int, int]]:
    """(window seconds, most sensitive reads allowed in it)."""
    return [(60, settings.YBSS_READS_PER_MINUTE), (3600, settings.YBSS_READS_PER_HOUR)]


def _counts(user: Any) -> tuple[str, list[Any]]:
    """The user's recent sensitive reads, counted for every rate window (columns ``w0``,
    ``w1``…, in ``_limits()`` order) and for the many-full-reads flag (``full_reads``), as
    one SELECT that the covering index answers in tens of microseconds.
    """
    now = timezone.now()
    flag_window = settings.YBSS_FLAG_WINDOW_MINUTES * 60
    windows = [seconds for seconds, _ in _limits()]
    longest = max([*windows, flag_window])
    adapt = connection.ops.adapt_datetimefield_value
    params: list[Any] = [adapt(now - timedelta(seconds=s)) for s in windows]
    params += [str(Action.VIEW_FULL), adapt(now - timedelta(seconds=flag_window))]
    params += [user.pk, adapt(now - timedelta(seconds=longest)), str(Outcome.OK)]
    params += [str(a) for a in SENSITIVE_ACTIONS]
    return _counts_sql(connection.vendor, len(windows)), params


@functools.lru_cache(maxsize=8)
def _counts_sql(vendor: str, windows: int) -> str:
    """``_counts``' statement. Written out rather than built with ``aggregate``: building it
    through the ORM took fifty times as long as the database takes to answer it; and made
    once, as building even the text cost more than the answer on SQLite."""
    qn = connection.ops.quote_name
    at, action = qn("at"), qn("action")
    counts = [f"COALESCE(SUM(CASE WHEN {at} >= %s THEN 1 ELSE 0 END), 0) AS w{i}" for i in range(windows)]
    counts.append(f"COALESCE(SUM(CASE WHEN {action} = %s AND {at} >= %s THEN 1 ELSE 0 END), 0) AS full_reads")
    return (
        f"SELECT {', '.join(counts)} FROM {qn(AuditEvent._meta.db_table)} "  # noqa: S608
        f"WHERE {qn('actor_id')} = %s AND {at} >= %s AND {qn('outcome')} = %s "
        f"AND {action} IN ({', '.join(['%s'] * len(SENSITIVE_ACTIONS))})"
    )


def _as_counts(row: Sequence[Any]) -> dict[str, int]:
    windows = [seconds for seconds, _ in _limits()]
    out = {f"w{seconds}": int(n) for seconds, n in zip(windows, row, strict=False)}
    out["full_reads"] = int(row[len(windows)])
    return out


def _recent_reads(user: Any) -> tuple[dict[str, int], tuple[int, str] | None]:
    """The counts of ``_counts`` together with the audit chain's head, in one statement,
    inside the transaction that writes the read's row. SQLite needs no row lock: its
    transactions begin IMMEDIATE, holding the write lock."""
    sql, params = _counts(user)
    qn = connection.ops.quote_name
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT c.*, h.seq, h.hash FROM ({sql}) AS c LEFT JOIN "  # noqa: S608
            f"(SELECT seq, hash FROM {qn(AuditHead._meta.db_table)} WHERE id = 1{lock}) AS h ON 1 = 1",
            params,
        )
        row = cur.fetchone()
    # A log with no head row yet: the audit write creates it.
    head = None if row[-2] is None else (int(row[-2]), str(row[-1]))
    return _as_counts(row), head


def _exceeded(counts: dict[str, int]) -> int | None:
    """The window (seconds) whose limit this read would pass, if any."""
    for seconds, allowed in _limits():
        if counts[f"w{seconds}"] >= allowed:
            return seconds
    return None


def sensitive_read(
    user: Any,
    action: str,
    targets: Sequence[tuple[str, object]],
    purpose: Purpose,
    *,
    extra: dict[str, Any] | None = None,
) -> None:
    """Authorise and record one sensitive read; raises PermissionDenied or RateLimited."""
    require(user, CAPABILITY_FOR[action])
    # No savepoint of its own: if the audit row cannot be written, the whole request's
    # transaction is undone with it, which is what must happen. A refusal is recorded
    # and committed before RateLimited is raised, outside the block.
    event: dict[str, Any] = {
        "targets": targets,
        "reason_code": purpose.code,
        "reason_text": purpose.text,
        "extra": extra,
    }
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql" and len(targets) <= log.ONE_STATEMENT_TARGETS:
            # One statement counts, locks the head and, within the limits, writes the row.
            within = " AND ".join(f"c.w{i} < %s" for i in range(len(_limits())))
            row, head, written = log.record_if(
                _counts(user), (within, [allowed for _, allowed in _limits()]), user, action, **event
            )
            counts = _as_counts(row)
        else:
            counts, head = _recent_reads(user)
            written = False
        window = _exceeded(counts)
        if window is not None:
            log.record(user, Action.RATE_LIMITED, outcome=Outcome.DENIED, extra={"window": window}, head=head)
            _flag_repeated_limits(user)
        else:
            if not written:
                log.record(user, action, head=head, **event)
            _detect(user, action, counts["full_reads"])
    if window is not None:
        raise RateLimited(retry_after=window if window == 60 else 300)


def _detect(user: Any, action: str, full_reads_before: int) -> None:
    """``full_reads_before``: the user's full reads in the flag window before this one."""
    many = action == Action.VIEW_FULL and full_reads_before + 1 >= settings.YBSS_FLAG_FULL_READS
    if not many and action != Action.SEARCH_ID:
        return
    window = timezone.now() - timedelta(minutes=settings.YBSS_FLAG_WINDOW_MINUTES)
    recent = AuditEvent.objects.filter(actor_id=user.pk, at__gte=window, outcome=Outcome.OK)
    if many:
        # Only now are the records concerned read back, for the flag to name them.
        events = list(recent.filter(action=Action.VIEW_FULL).values_list("targets", flat=True))
        _raise_flag(
            user,
            AuditFlag.Pattern.MANY_FULL_READS,
            f"{settings.YBSS_FLAG_WINDOW_MINUTES} 分钟内查看完整信息 {len(events)} 次",
            sorted({t for ts in events for t in ts}),
        )
    if action == Action.SEARCH_ID:
        runs = list(
            recent.filter(action=Action.SEARCH_ID)
            .order_by("-seq")
            .values_list("extra", "targets")[: settings.YBSS_FLAG_SEQUENTIAL_SEARCHES]
        )
        if len(runs) >= settings.YBSS_FLAG_SEQUENTIAL_SEARCHES and _is_sequence([e for e, _ in runs]):
            _raise_flag(
                user,
                AuditFlag.Pattern.SEQUENTIAL_ID_SEARCH,
                f"连续 {len(runs)} 次按相邻的证件号查询（同一地区、出生日期，顺序码相近）",
                sorted({t for _, ts in runs for t in ts}),
            )


def _is_sequence(extras: list[dict[str, Any]]) -> bool:
    """Searches for IDs that share division and birth date and walk the sequence code."""
    prefixes = {e.get("id_prefix") for e in extras}
    seqs = [e.get("id_seq") for e in extras]
    if len(prefixes) != 1 or None in prefixes or any(not isinstance(s, int) for s in seqs):
        return False
    numbers = sorted(int(s) for s in seqs if s is not None)
    return len(set(numbers)) == len(numbers) and numbers[-1] - numbers[0] <= 3 * len(numbers)


def _raise_flag(user: Any, pattern: str, detail: str, targets: list[str]) -> None:
    since = timezone.now() - timedelta(minutes=settings.YBSS_FLAG_WINDOW_MINUTES)
    if AuditFlag.objects.filter(user_id=user.pk, pattern=pattern, created_at__gte=since).exists():
        return
    flag = AuditFlag.objects.create(user_id=user.pk, pattern=pattern, detail=detail, targets=targets[:500])
    log.record(
        None, Action.FLAG, extra={"flag": flag.pk, "user": user.pk, "pattern": pattern}, actor_name="系统"
    )


def _flag_repeated_limits(user: Any) -> None:
    since = timezone.now() - timedelta(minutes=settings.YBSS_FLAG_WINDOW_MINUTES)
    limited = AuditEvent.objects.filter(actor_id=user.pk, action=Action.RATE_LIMITED, at__gte=since).count()
    if limited >= 3:
        _raise_flag(user, AuditFlag.Pattern.RATE_LIMITED, f"{limited} 次超出查询频率限制", [])
