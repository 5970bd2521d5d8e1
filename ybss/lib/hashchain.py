"""A tamper-evident, append-only hash chain for audit records.

Row ``seq`` (1, 2, 3, ... with no gaps) stores ``prev_hash`` (the previous
row's hash, :data:`GENESIS` for row 1) and ``hash = link_hash(prev_hash, seq,
record)``; the hash covers exactly these bytes, so an outside verifier can
recompute it::

    sha256(prev_hash_hex_ascii + b"\\n" + decimal_seq_ascii + b"\\n" + canonical(record))

What the chain proves, and what it does not:

* an edited, removed or inserted row breaks the chain at or right after that
  row unless the attacker also rewrites every later hash;
* someone able to rewrite the table can still recompute the whole chain, and
  cutting rows off the *end* leaves a perfectly valid shorter chain. Both are
  only detectable against an anchor held elsewhere (a checkpoint of
  ``(seq, hash)`` written periodically to another system, a signed report, a
  printout): pass it as ``expected_last_seq``/``expected_last_hash``.

Records should hold strings, ints, bools, None, lists and dicts. Floats are
accepted but fragile: a database JSON type may print them back differently
(PostgreSQL jsonb turns ``1e16`` into an integer), which changes the
canonical bytes. Storing ``canonical(record)`` as text and verifying with
``json.loads`` of that text avoids the round trip altogether.
"""

from __future__ import annotations

import hashlib
import json
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any, Literal

GENESIS = "0" * 64
HASH_CHARS = 64
# How far back an out-of-place prev_hash is looked up to tell an insertion
# from a removal. Bounded so verification stays constant-memory; a block of
# more inserted rows than this is still detected, only reported as removed.
INSERT_WINDOW = 4096

ProblemKind = Literal["changed", "removed", "inserted"]
Row = tuple[int, str, str, Mapping[str, Any]]

_HEX = frozenset("0123456789abcdef")


def _reject(value: object) -> object:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, date | time | timedelta):
        raise TypeError(f"审计记录中的 {type(value).__name__} 必须先转成 ISO 格式字符串")
    raise TypeError(f"审计记录不能包含 {type(value).__name__} 类型的值，只能用 JSON 类型")


# One encoder reused: json.dumps would build a new one per call, which shows
# when verifying millions of rows.
_ENCODER = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":"), default=_reject
)


def canonical(record: Mapping[str, Any]) -> bytes:
    """Deterministic UTF-8 JSON: sorted keys, no whitespace, no NaN/Infinity, no non-JSON types.

    Raises TypeError for values JSON cannot represent (datetimes included:
    the caller decides their string form) and ValueError for NaN/Infinity or
    strings that are not valid Unicode.
    """
    if not isinstance(record, Mapping):
        raise TypeError(f"审计记录必须是映射（dict），而不是 {type(record).__name__}")
    if not isinstance(record, dict):
        record = dict(record)
    try:
        text = _ENCODER.encode(record)
    except ValueError as e:
        raise ValueError("审计记录不能包含 NaN 或无穷大") from e
    return text.encode("utf-8")


def link_hash(prev_hash: str, seq: int, record: Mapping[str, Any]) -> str:
    """The hash of row ``seq`` following a row whose hash is ``prev_hash``."""
    if not (isinstance(prev_hash, str) and len(prev_hash) == HASH_CHARS and _HEX.issuperset(prev_hash)):
        raise ValueError("prev_hash 必须是 64 位小写十六进制")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise ValueError("seq 必须是正整数")
    return _link(prev_hash, seq, canonical(record))


def _link(prev_hash: str, seq: int, body: bytes) -> str:
    return hashlib.sha256(f"{prev_hash}\n{seq}\n".encode("ascii") + body).hexdigest()


def build_chain(
    records: Iterable[Mapping[str, Any]], *, after_seq: int = 0, after_hash: str = GENESIS
) -> Iterator[Row]:
    """``(seq, prev_hash, hash, record)`` rows chaining ``records`` onto ``(after_seq, after_hash)``."""
    seq, prev = after_seq, after_hash
    for record in records:
        seq += 1
        h = link_hash(prev, seq, record)
        yield seq, prev, h, record
        prev = h


@dataclass(frozen=True, slots=True)
class Problem:
    """Where the chain breaks.

    ``seq`` is the row at which the break shows; for a removal that is the
    first row after the gap (or, for a cut-off tail, the first missing seq).
    ``missing`` lists the removed seqs when they are known from a gap; it is
    empty when rows were renumbered to hide one.
    """

    seq: int
    kind: ProblemKind
    message: str
    missing: range = range(0)


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """``checked`` counts the rows read, the faulty one included; verification stops at the first problem.

    ``last_seq``/``last_hash`` are those of the last good row: the anchor to
    store as the next checkpoint when ``ok``.
    """

    ok: bool
    checked: int
    problem: Problem | None
    last_seq: int
    last_hash: str


def verify(
    rows: Iterable[Row],
    *,
    after_seq: int = 0,
    after_hash: str = GENESIS,
    expected_last_seq: int | None = None,
    expected_last_hash: str | None = None,
) -> VerifyResult:
    """Check ``(seq, prev_hash, hash, record)`` rows, in seq order, in one pass and constant memory.

    ``after_seq``/``after_hash`` start from a trusted checkpoint instead of
    the genesis (verify only what was appended since). ``expected_last_seq``
    (with ``expected_last_hash`` when known) is an anchor held outside the
    table: the chain must reach that seq, with that hash, or the tail was cut
    off or the history rewritten. Rows after the anchor are fine: they were
    appended later.
    """
    if expected_last_hash is not None and expected_last_seq is None:
        raise ValueError("给出 expected_last_hash 时必须同时给出 expected_last_seq")
    if expected_last_seq is not None and expected_last_seq < after_seq:
        raise ValueError("expected_last_seq 不能早于起点 after_seq")
    last_seq, last_hash = after_seq, after_hash
    if expected_last_seq == after_seq and expected_last_hash not in (None, after_hash):
        problem = Problem(after_seq, "changed", f"起点第 {after_seq} 行的哈希与检查点不符")
        return VerifyResult(False, 0, problem, last_seq, last_hash)
    recent: dict[str, int] = {}
    order: deque[str] = deque()
    checked = 0

    it = iter(rows)

    def fail(problem: Problem) -> VerifyResult:
        # With duplicate seqs the forged twin may sort first and look merely
        # changed or relinked; one row of lookahead, paid only on failure,
        # shows the duplicate for what it is.
        if problem.kind != "inserted":
            following = next(it, None)
            if following is not None and following[0] == problem.seq:
                problem = Problem(problem.seq, "inserted", _duplicate_message(problem.seq))
        return VerifyResult(False, checked, problem, last_seq, last_hash)

    for seq, prev, stored, record in it:
        checked += 1
        try:
            computed: str | None = _link(prev, seq, canonical(record))
        except (TypeError, ValueError):
            # Not canonicalizable, so not what the writer hashed.
            computed = None
        if seq <= last_seq:
            return fail(Problem(seq, "inserted", _duplicate_message(seq)))
        if seq > last_seq + 1 and prev != last_hash:
            missing = range(last_seq + 1, seq)
            return fail(Problem(seq, "removed", f"第 {seq} 行之前缺少{_span(missing)}：有行被删除", missing))
        if seq > last_seq + 1:
            return fail(Problem(seq, "changed", f"第 {seq} 行的行号被改动（与第 {last_seq} 行相接却跳号）"))
        if prev != last_hash:
            return fail(_relinked(seq, prev, computed == stored, recent, last_seq))
        if computed != stored:
            return fail(Problem(seq, "changed", f"第 {seq} 行的内容与其哈希不符：该行被改动"))
        if seq == expected_last_seq and expected_last_hash is not None and stored != expected_last_hash:
            return fail(
                Problem(
                    seq,
                    "changed",
                    f"第 {seq} 行的哈希与检查点不符：此前的链被整体重写",
                )
            )
        last_seq, last_hash = seq, stored
        recent[stored] = seq
        order.append(stored)
        if len(order) > INSERT_WINDOW:
            recent.pop(order.popleft(), None)

    if expected_last_seq is not None and last_seq < expected_last_seq:
        missing = range(last_seq + 1, expected_last_seq + 1)
        return fail(
            Problem(
                last_seq + 1,
                "removed",
                f"链在第 {last_seq} 行结束，检查点记录到第 {expected_last_seq} 行："
                f"末尾的{_span(missing)}被删除",
                missing,
            )
        )
    return VerifyResult(True, checked, None, last_seq, last_hash)


def _relinked(seq: int, prev: str, own_hash_ok: bool, recent: Mapping[str, int], last_seq: int) -> Problem:
    """Classify a row that follows its predecessor by number but not by hash."""
    earlier = recent.get(prev)
    if earlier is not None:
        # It links past the rows between: those were slipped in and the
        # later rows renumbered to make room.
        inserted = range(earlier + 1, last_seq + 1)
        return Problem(seq, "inserted", f"第 {seq} 行接在第 {earlier} 行之后：{_span(inserted)}是插入的")
    if own_hash_ok:
        # The row is intact at its original number, so what precedes it is
        # not the row it was chained to: that row was rewritten and rehashed
        # (or this row's link was, along with its own hash).
        before = f"第 {last_seq} 行" if last_seq else "链的起点"
        return Problem(seq, "changed", f"第 {seq} 行与{before}接不上：{before}或本行被改写并重算了哈希")
    return Problem(seq, "removed", f"第 {seq} 行与前一行接不上：其前有行被删除且行号被重排，或本行被改动")


def _duplicate_message(seq: int) -> str:
    return f"行号 {seq} 重复出现或顺序倒置：有伪造的行插入"


def _span(seqs: range) -> str:
    if len(seqs) == 1:
        return f"第 {seqs[0]} 行"
    return f"第 {seqs[0]}–{seqs[-1]} 行（共 {len(seqs)} 行）"
