"""Clustering is a property of the records, not of the order they come in."""

from __future__ import annotations

import csv
import itertools
import tempfile
from functools import lru_cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ybss.linkage import link
from ybss.linkage.generate import generate

from .helpers import table


@lru_cache(maxsize=1)
def _rows() -> tuple[tuple[str, ...], ...]:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "persons.csv"
        generate(400, path, seed=11)
        with path.open(encoding="utf-8") as f:
            reader = csv.reader(f)
            next(reader)
            return tuple(tuple(r) for r in reader)


def _clusters(rows: list[tuple[str, ...]]) -> set[frozenset[str]]:
    return {frozenset(c) for c in link(table(*rows)).clusters()}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False))
def test_clusters_do_not_depend_on_input_order(rng):
    rows = list(_rows())
    expected = _clusters(rows)
    rng.shuffle(rows)
    assert _clusters(rows) == expected


@settings(max_examples=30, deadline=None)
@given(st.permutations(range(6)))
def test_ties_between_twins_do_not_depend_on_input_order(order):
    from .helpers import make_id
    from .test_engine import ADDRESS, PHONE

    one, two = make_id("20100101", "011"), make_id("20100101", "013")
    typo = one[:16] + two[16] + one[17]
    rows: list[tuple[str, ...]] = [
        ("t1", "李子涵", one, "男", "", PHONE, ADDRESS),
        ("t2", "李子轩", two, "男", "", PHONE, ADDRESS),
        ("x", "李子涵", typo, "男", "2010-01-01", PHONE, ADDRESS),
        ("y", "李子", typo, "男", "2010-01-01", PHONE, ADDRESS),
        ("z", "", "", "男", "2010-01-01", PHONE, ADDRESS),
        ("w", "李子涵", "", "", "", PHONE, ""),
    ]
    shuffled = [rows[k] for k in order]
    assert _clusters(shuffled) == _clusters(rows)


def test_the_generated_sample_has_duplicates_to_find():
    clusters = _clusters(list(_rows()))
    assert len(clusters) < len(_rows()) * 0.7


def test_shortcuts_change_nothing():
    # Without PAIRS.csv, records of one valid number are joined without comparing them;
    # the clusters must be those of comparing every pair.
    rows = list(_rows())
    assert {frozenset(c) for c in link(table(*rows), keep_pairs=False).clusters()} == _clusters(rows)


def test_same_number_floor_is_a_lower_bound():
    from ybss.linkage.engine import SAME_NUMBER_FLOOR

    t = table(*_rows())
    by_number: dict[int, list[int]] = {}
    for i, code in enumerate(t.id_code):
        if code:
            by_number.setdefault(code, []).append(i)
    checked = 0
    for records in by_number.values():
        for a, b in itertools.pairwise(records):
            assert t.compare(a, b).score >= SAME_NUMBER_FLOOR
            checked += 1
    assert checked > 50


def test_one_and_two_processes_give_the_same_result(monkeypatch):
    from ybss.linkage import engine

    # Small enough chunks that both processes take some of every stage.
    monkeypatch.setattr(engine, "PARALLEL_MIN_RECORDS", 0)
    monkeypatch.setattr(engine, "PARALLEL_MIN_PAIRS", 0)
    monkeypatch.setattr(engine, "SCORE_CHUNK", 16)
    rows = list(_rows())
    for keep_pairs in (False, True):
        one = link(table(*rows), keep_pairs=keep_pairs, processes=1)
        two = link(table(*rows), keep_pairs=keep_pairs, processes=2)
        assert one.representative == two.representative
        assert list(one.pairs()) == list(two.pairs())
        assert keep_pairs == bool(one.pair_left)
        del one.stats["seconds"], two.stats["seconds"]
        assert one.stats == two.stats
