"""Address linkage: every spelling of one address is one, neighbours and namesakes never are."""

from __future__ import annotations

import csv
import itertools
import re
import tempfile
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ybss.linkage import addresses as A
from ybss.linkage import scoring as S
from ybss.linkage.generate_addresses import generate

REGION = "13"
ROOM = "河北省张家口市涿鹿县人民路18号阳光小区12栋2单元302室"


def key(text: str, division_code: str = "") -> A.AddressKey:
    return A.address_key(A.parse_address(text, REGION), A.clean_division_code(division_code))


def clusters(*rows: tuple[str, ...]) -> list[list[str]]:
    return A.link(A.build_table(rows, region=REGION)).clusters()


@pytest.mark.parametrize(
    "variant",
    [
        "涿鹿县人民路18号阳光小区12-2-302",  # compact, no province or city
        "涿鹿县人民路18号阳光小区12号楼2单元302",
        "涿鹿县人民路18号阳光小区12幢2单元302室",
        "涿鹿县人民路18号阳光小区12#2单元302",
        "涿鹿县人民路十八号阳光小区十二幢二单元三〇二室",  # Chinese numerals
        "涿鹿县人民路１８号阳光小区１２栋２单元３０２室",  # full-width digits
        "張家口市涿鹿縣人民路18號陽光小區12棟2單元302室",  # traditional characters
        "河北省 张家口市 涿鹿县 人民路18号 阳光小区 12栋2单元302室",  # spaced
        "河北省张家口市涿鹿县涿鹿县人民路18号阳光小区12栋2单元302室",  # the county twice
        "涿鹿县人民路18号阳光小区12栋2单元0302室",  # a leading zero
    ],
)
def test_every_spelling_of_a_room_has_one_key(variant):
    assert key(variant) == key(ROOM)
    assert key(ROOM).level == A.LEVEL_ROOM


def test_a_village_group_written_as_an_ordinal_is_the_group():
    plain = key("涿鹿县涿鹿镇东关村3组12号")
    assert key("涿鹿县涿鹿镇东关村第三村民小组12号") == plain
    assert plain.get("village_group") == "3" and plain.get("road_no") == "12"


def test_the_division_code_column_completes_an_address_without_one():
    assert key("人民路18号").division == REGION
    assert key("人民路18号", "130731").division == "130731"
    assert key("人民路18号", "130731000000").division == "130731"  # padded to twelve digits
    assert key("人民路18号", "132530").division == "130731"  # the county's code before 2016
    # The text decides where it names a division; a code contradicting it is ignored.
    assert key("怀来县人民路18号", "130731").division == "130730"
    assert A.clean_division_code("N/A") == ""


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("涿鹿县人民路12号", "涿鹿县人民路13号"),  # neighbouring door plates
        ("涿鹿县人民路18号阳光小区2-302", "涿鹿县人民路18号阳光小区2-303"),  # neighbouring rooms
        ("涿鹿县人民路18号阳光小区3栋2单元502室", "涿鹿县人民路18号阳光小区4栋2单元502室"),
        ("涿鹿县人民路18号阳光小区3栋2单元5层502室", "涿鹿县人民路18号阳光小区3栋2单元6层502室"),
        ("涿鹿县人民路18号", "怀来县人民路18号"),  # one road and number, two counties
        ("涿鹿县人民路18号", "涿鹿县人民路18号3栋"),  # a door plate and a building behind it
        ("涿鹿县涿鹿镇东关村3组12号", "涿鹿县涿鹿镇东关村4组12号"),
    ],
)
def test_hard_negatives_stay_apart(one, other):
    assert clusters(("a", one), ("a2", one), ("b", other), ("b2", other)) == [["a", "a2"], ["b", "b2"]]
    table = A.build_table([("a", one), ("b", other)], region=REGION)
    comparison = table.compare(0, 1)
    assert any(f.level == S.CONFLICT for f in comparison.fields)
    assert comparison.score < A.DEFAULT_THRESHOLD
    # And a hard constraint: no cluster may hold both, whatever joins them.
    _, _, _, labels = table.constraints()
    a, b = table.node_of[0], table.node_of[1]
    assert [name for name, v in labels if v[a] and v[b] and v[a] != v[b]]


def test_a_road_or_compound_left_out_is_still_the_address():
    rows = [
        ("full", ROOM),
        ("no_road", "涿鹿县阳光小区12栋2单元302室"),
        ("no_compound", "涿鹿县人民路18号12栋2单元302室"),
        ("no_county", "人民路18号阳光小区12-2-302"),
    ]
    assert clusters(*rows) == [["full", "no_compound", "no_county", "no_road"]]


def test_a_road_of_the_same_sound_is_a_typo_another_sound_another_road():
    assert clusters(("a", "涿鹿县人民路18号"), ("b", "涿鹿县仁民路18号")) == [["a", "b"]]
    assert clusters(("a", "涿鹿县人民路18号"), ("b", "涿鹿县新民路18号")) == [["a"], ["b"]]


def test_numbers_without_a_road_compound_or_village_are_not_linked():
    table = A.build_table([("a", ROOM), ("b", "涿鹿县12栋2单元302室")], region=REGION)
    assert A.link(table).clusters() == [["a"], ["b"]]
    explanation = table.compare(0, 1).explain()
    assert "anchor=missing(-15.0)" in explanation


def test_an_address_that_fits_two_that_cannot_be_one_is_left_alone():
    rows = [
        ("zl", "涿鹿县人民路18号"),
        ("zl2", "河北省张家口市涿鹿县人民路18号"),
        ("hl", "怀来县人民路18号"),
        ("bare", "人民路18号"),
        ("bare2", "人民路18号"),
    ]
    table = A.build_table(rows, region=REGION)
    assert A.link(table).clusters() == [["bare"], ["bare2"], ["hl"], ["zl", "zl2"]]
    assert "ambiguity=ambiguous(-30.0)" in table.compare(3, 0).explain()
    # With one county only, the bare copy is that county's.
    assert clusters(*rows[:2], *rows[3:]) == [["bare", "bare2", "zl", "zl2"]]


def test_an_address_naming_no_door_is_not_linked():
    linkage = A.link(A.build_table([("a", "涿鹿县"), ("b", "涿鹿县"), ("c", "")], region=REGION))
    assert linkage.clusters() == [["a"], ["b"], ["c"]]
    assert linkage.stats["unlinkable_records"] == 3


def test_the_explanation_lists_what_agreed_disagreed_and_was_missing():
    table = A.build_table(
        [
            ("a", "涿鹿县人民路18号阳光小区12栋2单元302室"),
            ("b", "河北省张家口市涿鹿县涿鹿镇阳光小区12-2-303"),
        ],
        region=REGION,
    )
    comparison = table.compare(0, 1)
    explained = {f.field: f for f in comparison.fields}
    assert explained["division"].level_name == "within"
    assert explained["road"].outcome == "missing"
    assert explained["poi"].level_name == "exact" and explained["poi"].weight == 6.0
    assert explained["room"].level_name == "conflict"
    assert "subroad" not in explained  # neither has one
    assert comparison.agreed == ["division", "poi", "building", "unit", "level"]
    assert comparison.disagreed == ["room"]
    text = comparison.explain()
    assert text.startswith("division=within(+2.0); road=missing(0); road_no=missing(0); poi=exact(+6.0)")
    weights = [float(w) for w in re.findall(r"\(([+-]?[\d.]+)\)", text)]
    assert comparison.score == pytest.approx(sum(weights))


@lru_cache(maxsize=1)
def _rows() -> tuple[tuple[str, ...], ...]:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "a.csv"
        generate(500, path, seed=21)
        with path.open(encoding="utf-8") as f:
            return tuple(tuple(r) for r in list(csv.reader(f))[1:])


def _clusters(rows: list[tuple[str, ...]]) -> set[frozenset[str]]:
    return {frozenset(c) for c in A.link(A.build_table(rows, region=REGION)).clusters()}


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False))
def test_clusters_do_not_depend_on_input_order(rng):
    rows = list(_rows())
    expected = _clusters(rows)
    rng.shuffle(rows)
    assert _clusters(rows) == expected


def test_the_generated_sample_has_duplicates_to_find():
    assert len(_clusters(list(_rows()))) < len(_rows()) * 0.7


def test_no_pair_scores_more_than_either_address_with_itself():
    # What lets the engine leave out a node too poor to link (see ybss.linkage.core).
    table = A.build_table(_rows(), region=REGION)
    nodes = range(table.node_count())
    own = [table.score_nodes(a, a) for a in nodes]
    for a, b in itertools.islice(itertools.combinations(nodes, 2), 0, None, 97):
        assert table.score_nodes(a, b) <= min(own[a], own[b])


def test_one_and_two_processes_give_the_same_result(monkeypatch):
    from ybss.linkage import core

    monkeypatch.setattr(A, "PARALLEL_MIN_TEXTS", 0)
    monkeypatch.setattr(core, "PARALLEL_MIN_PAIRS", 0)
    monkeypatch.setattr(core, "SCORE_CHUNK", 16)
    rows = list(_rows())
    one = A.link(A.build_table(rows, region=REGION), processes=1)
    table = A.AddressTable(region=REGION)
    for row in rows:
        table.add(*row)
    two = A.link(table, processes=2)
    assert one.representative == two.representative
    assert list(one.pairs()) == list(two.pairs())


@pytest.mark.parametrize(
    ("one", "other", "level"),
    [
        ("涿鹿县人民路18号", "河北省张家口市涿鹿县人民路十八号", S.EXACT),
        ("涿鹿县人民路18号", "涿鹿县人民路18号阳光小区3栋2单元502室", S.WITHIN),  # a unit gives the door only
        ("涿鹿县人民路18号", "涿鹿县仁民路18号", S.WITHIN),
        ("涿鹿县人民路18号", "涿鹿县人民路19号", S.DIFFERENT),
        ("涿鹿县人民路18号", "怀来县人民路18号", S.DIFFERENT),
        ("涿鹿县东关村3组12号", "涿鹿县阳光小区8栋2单元1102室", S.DIFFERENT),  # nothing in common
        ("涿鹿县3栋2单元502室", "涿鹿县阳光小区3栋2单元502室", S.DIFFERENT),  # no name shared
        ("", "涿鹿县人民路18号", S.MISSING),
    ],
)
def test_the_relation_of_two_addresses_for_units(one, other, level):
    assert A.address_relation(key(one), key(other)) == level
    assert A.address_relation(key(other), key(one)) == level
