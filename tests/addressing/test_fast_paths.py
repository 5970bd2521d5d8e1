"""The shortcuts taken for speed give exactly what the general code gives.

Each fast path (text that folding leaves alone, plain-digit numbers, the
poi/subpoi split by regex, names found once per position, official names kept
from a lookup) is checked against the slow way of computing the same thing.
"""

from __future__ import annotations

import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from ybss.addressing import Gazetteer, parse
from ybss.addressing.gazetteer import _Memo
from ybss.addressing.parser import _GENERIC_POI, _POI_SUFFIXES, NUMBER_KINDS, Element, _element, _poi_split
from ybss.lib.divisions import DivisionRecord

# ``ybss.addressing.normalize`` is shadowed by the function of that name in
# the package namespace.
norm = sys.modules["ybss.addressing.normalize"]


def test_unchanged_class_holds_only_characters_that_fold_to_themselves() -> None:
    for cp in (*range(0x80), *range(0x3000, 0x3100), *range(0x4E00, 0xA000), *range(0xFF00, 0xFFF0)):
        ch = chr(cp)
        if norm._UNCHANGED.fullmatch(ch):
            assert ch != "<" and not ch.isspace()
            assert norm._fold_uncached(ch) == ch, hex(cp)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("轩辕路十八号阳光小区栋单元室ABCZ0189-#,()"), max_size=30))
def test_unchanged_text_folds_to_itself(text: str) -> None:
    got = norm.fold(text)
    assert got.text == "".join(norm._fold_uncached(ch) for ch in text) == text
    assert list(got.starts) == list(range(len(text)))
    assert list(got.ends) == list(range(1, len(text) + 1))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789", min_size=1, max_size=8))
def test_plain_digit_numbers_match_normalize_number(digits: str) -> None:
    for kind in NUMBER_KINDS:
        assert (digits.lstrip("0") or "0") == norm.normalize_number(kind, digits)


def test_plain_digit_values_in_a_parse(zhuolu: Gazetteer) -> None:
    p = parse("轩辕路0018号阳光小区003栋02单元0502", gazetteer=zhuolu)
    assert [(e.kind, e.value) for e in p.elements][-5:] == [
        ("road_no", "18"),
        ("poi", "阳光小区"),
        ("building", "3"),
        ("unit", "2"),
        ("room", "502"),
    ]


def _poi_split_by_loop(name: str) -> int | None:
    for i in range(2, len(name) - 1):
        for suffix in _POI_SUFFIXES:
            if name.startswith(suffix, i):
                end = i + len(suffix)
                rest = name[end:]
                if (
                    len(rest) >= 2
                    and rest not in _GENERIC_POI
                    and rest not in _POI_SUFFIXES
                    and not any(rest.startswith(g) for g in _GENERIC_POI)
                ):
                    return end
                break
    return None


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from([*_POI_SUFFIXES, "阳光", "东部", "科技", "二期", "B区", "软件", "一"]), max_size=6
    )
)
def test_poi_split_matches_trying_each_suffix(parts: list[str]) -> None:
    name = "".join(parts)
    assert _poi_split(name) == _poi_split_by_loop(name)


def test_fast_element_is_an_ordinary_element() -> None:
    fast = _element("road", "轩辕路", "軒轅路", 3, 6, None)
    slow = Element("road", "轩辕路", "軒轅路", 3, 6)
    assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)


def test_names_found_once_per_position(national: Gazetteer) -> None:
    text = "青岛市北区唐山路北区康乐小区中山北路"
    memo: _Memo = {}
    for pos in range(len(text)):
        fresh = [(h.end, h.codes, h.informal) for h in national.scan(text, pos)]
        # Asked twice with one memo, as a parse does: the same answer.
        for _ in range(2):
            shared = [(h.end, h.codes, h.informal) for h in national.scan(text, pos, memo)]
            assert shared == fresh


def test_remembered_names_do_not_reach_codes_name_cannot_find() -> None:
    # 442000 (the county-level row of 中山市) pads to the same number as 4420
    # and cannot be looked up; finding 中山市 in text must not change that.
    gz = Gazetteer(
        records=[
            DivisionRecord("44", "广东省"),
            DivisionRecord("4420", "中山市"),
            DivisionRecord("442000", "中山市"),
            DivisionRecord("442000112", "阜沙镇"),
        ]
    )
    before = (gz.name("442000"), "442000" in gz, gz.path("442000112"))
    gz.scan("中山市阜沙镇", 0)
    gz.scan("中山市阜沙镇", 3)
    assert (gz.name("442000"), "442000" in gz, gz.path("442000112")) == before
    assert gz.name("4420") == "中山市" and gz.name("442000112") == "阜沙镇"
