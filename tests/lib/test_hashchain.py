from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Any

import pytest

from ybss.lib.hashchain import (
    GENESIS,
    INSERT_WINDOW,
    Row,
    build_chain,
    canonical,
    link_hash,
    verify,
)


def record(i: int) -> dict[str, Any]:
    return {
        "who": f"user{i % 7}",
        "when": f"2025-01-01T00:00:{i % 60:02d}+08:00",
        "action": "people.view",
        "object": {"model": "people.Person", "pk": i},
        "reason": "核查户籍",
        "outcome": "ok",
        "extra": {"fields": ["id_number", "phone"], "n": i},
    }


def chain(n: int) -> list[Row]:
    return list(build_chain(record(i) for i in range(1, n + 1)))


CHAIN = chain(1000)


def at(seq: int) -> int:
    """The list position of ``seq`` in an untouched chain."""
    return seq - 1


# ---- canonical form --------------------------------------------------------


def test_canonical_is_sorted_compact_utf8() -> None:
    expected = '{"a":{"c":"张三","d":[1,2]},"b":1}'.encode()
    assert canonical({"b": 1, "a": {"d": [1, 2], "c": "张三"}}) == expected
    assert canonical({"a": 1, "b": 2}) == canonical({"b": 2, "a": 1})


def test_canonical_round_trips_through_json() -> None:
    body = canonical(record(5) | {"f": -0.5, "none": None, "t": True, "big": 2**80})
    assert canonical(json.loads(body)) == body


def test_canonical_accepts_any_mapping() -> None:
    assert canonical(MappingProxyType({"a": MappingProxyType({"b": 1})})) == b'{"a":{"b":1}}'


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_canonical_rejects_non_finite(value: float) -> None:
    with pytest.raises(ValueError, match="NaN"):
        canonical({"x": {"y": [value]}})


@pytest.mark.parametrize("value", [datetime(2025, 1, 1, tzinfo=UTC), date(2025, 1, 1)])
def test_canonical_wants_dates_as_strings(value: object) -> None:
    with pytest.raises(TypeError, match="ISO"):
        canonical({"when": value})


@pytest.mark.parametrize("value", [{1, 2}, b"x", object()])
def test_canonical_rejects_non_json(value: object) -> None:
    with pytest.raises(TypeError):
        canonical({"x": value})


def test_canonical_wants_a_mapping() -> None:
    with pytest.raises(TypeError):
        canonical([1, 2])  # type: ignore[arg-type]


def test_canonical_rejects_lone_surrogates() -> None:
    with pytest.raises(ValueError):
        canonical({"x": "\ud800"})


# ---- link hash -------------------------------------------------------------


def test_link_hash_documented_bytes() -> None:
    r = {"a": "一"}
    expected = hashlib.sha256(GENESIS.encode() + b"\n1\n" + '{"a":"一"}'.encode()).hexdigest()
    assert link_hash(GENESIS, 1, r) == expected


def test_link_hash_binds_every_part() -> None:
    base = link_hash(GENESIS, 1, {"a": 1})
    assert link_hash(GENESIS, 2, {"a": 1}) != base
    assert link_hash("1" * 64, 1, {"a": 1}) != base
    assert link_hash(GENESIS, 1, {"a": 2}) != base


@pytest.mark.parametrize(("prev", "seq"), [("0" * 63, 1), ("A" * 64, 1), (GENESIS, 0), (GENESIS, True)])
def test_link_hash_checks_arguments(prev: str, seq: int) -> None:
    with pytest.raises(ValueError):
        link_hash(prev, seq, {})


# ---- verification ----------------------------------------------------------


def test_clean_chain() -> None:
    result = verify(CHAIN)
    assert result.ok
    assert result.problem is None
    assert result.checked == 1000
    assert result.last_seq == 1000
    assert result.last_hash == CHAIN[-1][2]


def test_empty_chain() -> None:
    result = verify([])
    assert result.ok
    assert (result.checked, result.last_seq, result.last_hash) == (0, 0, GENESIS)


def test_verify_streams() -> None:
    def rows() -> Iterator[Row]:
        yield from build_chain(record(i) for i in range(1, 101))

    assert verify(rows()).checked == 100


def test_edited_row() -> None:
    rows = list(CHAIN)
    seq, prev, h, r = rows[at(500)]
    rows[at(500)] = (seq, prev, h, {**r, "reason": "随便看看"})
    result = verify(rows)
    assert not result.ok
    assert result.problem is not None
    assert (result.problem.seq, result.problem.kind) == (500, "changed")
    assert "500" in result.problem.message
    assert result.checked == 500
    assert result.last_seq == 499


def test_edited_nested_field() -> None:
    rows = list(CHAIN)
    seq, prev, h, r = rows[at(500)]
    rows[at(500)] = (seq, prev, h, {**r, "extra": {"fields": ["id_number"], "n": 500}})
    problem = verify(rows).problem
    assert problem is not None and (problem.seq, problem.kind) == (500, "changed")


def test_edited_stored_hash() -> None:
    rows = list(CHAIN)
    seq, prev, _, r = rows[at(500)]
    rows[at(500)] = (seq, prev, "f" * 64, r)
    problem = verify(rows).problem
    assert problem is not None and (problem.seq, problem.kind) == (500, "changed")


def test_removed_row() -> None:
    rows = list(CHAIN)
    del rows[at(500)]
    result = verify(rows)
    problem = result.problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (501, "removed")
    assert list(problem.missing) == [500]
    assert "500" in problem.message
    assert result.last_seq == 499


def test_removed_block() -> None:
    rows = list(CHAIN)
    del rows[at(500) : at(510)]
    problem = verify(rows).problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (510, "removed")
    assert problem.missing == range(500, 510)
    assert "500–509" in problem.message


def test_removed_first_row() -> None:
    problem = verify(CHAIN[1:]).problem
    assert problem is not None
    assert (problem.seq, problem.kind, list(problem.missing)) == (2, "removed", [1])


def test_removed_and_renumbered() -> None:
    """Row 500 deleted and later rows' seq decremented (their hashes no longer match)."""
    rows = CHAIN[:499] + [(seq - 1, prev, h, r) for seq, prev, h, r in CHAIN[500:]]
    problem = verify(rows).problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (500, "removed")
    assert len(problem.missing) == 0


def forged(after: Row, seq: int) -> Row:
    """A row with a correct own hash, linked to ``after``."""
    r = {"who": "intruder", "when": "2025-01-01T00:00:00+08:00", "action": "people.export", "outcome": "ok"}
    return (seq, after[2], link_hash(after[2], seq, r), r)


@pytest.mark.parametrize("fake_seq", [500, 501])
@pytest.mark.parametrize("fake_first", [True, False])
def test_inserted_with_duplicate_seq(fake_seq: int, fake_first: bool) -> None:
    fake = forged(CHAIN[at(500)], fake_seq)
    rows = list(CHAIN)
    # Sorted by seq, the duplicate sits next to the real row of the same
    # number, on either side.
    rows.insert(at(fake_seq) + (0 if fake_first else 1), fake)
    problem = verify(rows).problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (fake_seq, "inserted")


def test_inserted_with_shifted_seq() -> None:
    """A forged row 501, the real rows from 501 on renumbered one up (hashes left as they were)."""
    fake = forged(CHAIN[at(500)], 501)
    rows = [*CHAIN[:500], fake, *[(seq + 1, prev, h, r) for seq, prev, h, r in CHAIN[500:]]]
    result = verify(rows)
    problem = result.problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (502, "inserted")
    assert "第 501 行是插入的" in problem.message
    assert "第 500 行之后" in problem.message


def test_inserted_block_with_shifted_seq() -> None:
    fakes = list(build_chain([{"n": k} for k in range(3)], after_seq=500, after_hash=CHAIN[at(500)][2]))
    rows = [*CHAIN[:500], *fakes, *[(seq + 3, prev, h, r) for seq, prev, h, r in CHAIN[500:]]]
    problem = verify(rows).problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (504, "inserted")
    assert "第 501–503 行（共 3 行）是插入的" in problem.message


def test_inserted_block_beyond_window_still_detected() -> None:
    n = INSERT_WINDOW + 10
    fakes = list(build_chain([{"n": k} for k in range(n)], after_seq=500, after_hash=CHAIN[at(500)][2]))
    rows = [*CHAIN[:500], *fakes, *[(seq + n, prev, h, r) for seq, prev, h, r in CHAIN[500:]]]
    problem = verify(rows).problem
    assert problem is not None
    assert problem.seq == 501 + n


def test_rewritten_row_with_recomputed_hash() -> None:
    """Only row 500's hash was recomputed: row 500 looks fine, row 501 no longer links to it."""
    rows = list(CHAIN)
    seq, prev, _, r = rows[at(500)]
    edited = {**r, "outcome": "denied"}
    rows[at(500)] = (seq, prev, link_hash(prev, seq, edited), edited)
    result = verify(rows)
    problem = result.problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (501, "changed")
    assert "第 500 行" in problem.message
    assert result.last_seq == 500


def test_rewritten_first_row() -> None:
    rows = list(CHAIN)
    seq, _, _, r = rows[0]
    rows[0] = (seq, "1" * 64, link_hash("1" * 64, seq, r), r)
    problem = verify(rows).problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (1, "changed")


def test_changed_seq_without_relinking() -> None:
    rows = list(CHAIN)
    seq, prev, h, r = rows[at(500)]
    rows[at(500)] = (seq + 5, prev, h, r)
    problem = verify(rows[:500]).problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (505, "changed")


@pytest.mark.parametrize("bad", [{"x": float("nan")}, {"x": object()}])
def test_uncanonicalizable_record_is_a_change(bad: Mapping[str, Any]) -> None:
    rows = list(CHAIN)
    seq, prev, h, _ = rows[at(500)]
    rows[at(500)] = (seq, prev, h, bad)
    problem = verify(rows).problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (500, "changed")


def test_malformed_prev_hash_does_not_crash() -> None:
    rows = list(CHAIN)
    seq, _, h, r = rows[at(500)]
    rows[at(500)] = (seq, "链", h, r)
    problem = verify(rows).problem
    assert problem is not None and problem.seq == 500


# ---- anchors ---------------------------------------------------------------


def test_truncated_tail_is_invisible_without_anchor() -> None:
    assert verify(CHAIN[:900]).ok


def test_truncated_tail_detected_with_anchor() -> None:
    last_seq, _, last_hash, _ = CHAIN[-1]
    result = verify(CHAIN[:900], expected_last_seq=last_seq, expected_last_hash=last_hash)
    problem = result.problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (901, "removed")
    assert problem.missing == range(901, 1001)
    assert "第 901–1000 行（共 100 行）" in problem.message
    assert result.checked == 900


def test_truncated_tail_detected_with_seq_only_anchor() -> None:
    problem = verify(CHAIN[:999], expected_last_seq=1000).problem
    assert problem is not None
    assert (problem.seq, problem.kind, list(problem.missing)) == (1000, "removed", [1000])


def test_anchor_with_later_rows_appended() -> None:
    seq, _, h, _ = CHAIN[at(800)]
    assert verify(CHAIN, expected_last_seq=seq, expected_last_hash=h).ok


def test_whole_chain_recomputed_fails_anchor() -> None:
    seq, _, h, _ = CHAIN[at(800)]
    records = [r for *_, r in CHAIN]
    records[10] = {**records[10], "outcome": "denied"}
    rewritten = list(build_chain(records))
    assert verify(rewritten).ok
    problem = verify(rewritten, expected_last_seq=seq, expected_last_hash=h).problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (800, "changed")
    assert "检查点" in problem.message


def test_anchor_hash_needs_seq() -> None:
    with pytest.raises(ValueError):
        verify(CHAIN, expected_last_hash=CHAIN[-1][2])


def test_incremental_from_checkpoint() -> None:
    seq, _, h, _ = CHAIN[at(600)]
    result = verify(CHAIN[600:], after_seq=seq, after_hash=h)
    assert result.ok
    assert result.checked == 400
    assert result.last_seq == 1000
    wrong = verify(CHAIN[600:], after_seq=seq, after_hash="1" * 64)
    assert wrong.problem is not None and wrong.problem.seq == 601


def test_anchor_at_start_point() -> None:
    seq, _, h, _ = CHAIN[-1]
    assert verify([], after_seq=seq, after_hash=h, expected_last_seq=seq, expected_last_hash=h).ok
    result = verify([], after_seq=seq, after_hash=h, expected_last_seq=seq, expected_last_hash="2" * 64)
    assert result.problem is not None and result.problem.kind == "changed"
    with pytest.raises(ValueError):
        verify([], after_seq=seq, after_hash=h, expected_last_seq=seq - 1)


# ---- speed -----------------------------------------------------------------


def test_fast_enough() -> None:
    rows = chain(20_000)
    start = time.perf_counter()
    result = verify(rows)
    elapsed = time.perf_counter() - start
    assert result.ok and result.checked == 20_000
    assert elapsed < 1.0, f"20,000 行用了 {elapsed:.2f} 秒"
