"""The shortcuts taken for speed give exactly what the general code gives.

Each fast path (text that folding leaves alone, plain-digit numbers, the
poi/subpoi split by regex, names found once per position, official names kept
from a lookup, the lengths tried after a name's third character, entries kept
by index, codes bisected, numerals converted in place, objects made as drafts
and given their class) is checked against the slow way of computing the same
thing.
"""

from __future__ import annotations

import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from ybss.addressing import Gazetteer, ParsedAddress, parse
from ybss.addressing.gazetteer import _Memo, division_short_name
from ybss.addressing.normalize import Folded
from ybss.addressing.parser import (
    _BIT,
    _GENERIC_POI,
    _POI_SUFFIXES,
    ELEMENT_KINDS,
    NUMBER_KINDS,
    Element,
    _Div,
    _element,
    _Parser,
    _poi_split,
)
from ybss.lib.divisions import DivisionRecord, iter_divisions, short_name

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


# -- second round: the shortcuts added for issue 4's throughput target ------


def test_short_name_without_regex_matches_the_library() -> None:
    odd = ["", " 村民委员会", "村民委员会", "委员会", "X(a)(b)", "X（a）", "X村委会 ", " X", "X(a)\n"]
    for name in [rec.name for rec in iter_divisions()] + odd:
        assert division_short_name(name) == short_name(name), name


def test_every_indexed_name_is_found_through_its_head_table(zhuolu: Gazetteer) -> None:
    # The lengths tried after the third character must cover every name.
    names = [*zhuolu._formal, *zhuolu._informal, *zhuolu._historic]
    for key in names:
        found = [k for _, k, _ in zhuolu.names_at(key + "。", 0)]
        assert key in found, key
        assert found == sorted(found, key=len, reverse=True)


def test_made_entries_are_what_a_fresh_lookup_makes(zhuolu: Gazetteer) -> None:
    for key in ("涿鹿", "涿鹿县", "涿鹿镇", "西头堡村", "浙江省", "朝阳区", "城关"):
        first = {k: entry for _, k, entry in zhuolu.names_at(key, 0)}[key]
        again = zhuolu._entry(key, {}, None)  # from the dicts, not the stored row
        assert first == again
        remembered = {k: entry for _, k, entry in zhuolu.names_at(key, 0)}[key]
        assert remembered == again


def test_codes_of_every_name_are_sorted(national: Gazetteer) -> None:
    # accept() bisects the codes of an indexed name: they must be in order.
    for index in (national._formal, national._informal):
        for rows in index.values():
            if isinstance(rows, tuple):
                codes = [national._code_at(i) for i in rows]
                assert codes == sorted(codes)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["13", "1307", "130731", "130731100", "130732", "1308", "14"]), max_size=3))
def test_accept_by_bisection_matches_the_plain_filter(parents: list[str]) -> None:
    gz = Gazetteer(
        records=[
            DivisionRecord("13", "河北省"),
            DivisionRecord("1307", "张家口市"),
            DivisionRecord("1308", "承德市"),
            DivisionRecord("130731", "涿鹿县"),
            DivisionRecord("130732", "赤城县"),
            DivisionRecord("130731100", "涿鹿镇"),
            DivisionRecord("14", "山西省"),
        ]
    )
    codes = tuple(
        sorted(
            ["13", "1307", "130731", "130731100", "130731100201", "130731100202", "130732", "130732100"]
            + [f"1307311{i:02d}" for i in range(10)]
            + [f"14{i:02d}" for i in range(5)]
        )
    )
    for informal in (False, True):
        results = []
        for ordered in (False, True):
            p = _Parser("", norm.prepare(""), gz, None)
            for code in parents:
                p.chain.append(_Div(0, 0, [code], False))
            results.append((p.accept(codes, informal, 0, 0, ordered), p.warnings, [d.codes for d in p.chain]))
        assert results[0] == results[1]


_NUMERAL_TEXT = st.text(
    alphabet=st.sampled_from("一二三四五六七八九十百千〇零两廿号栋单元室组层门楼-路村A1 ,"), max_size=20
)


def _convert_numerals_reference(f: Folded) -> tuple[str, list[int], list[int]]:
    # The loop convert_numerals() used before it replaced spans in place.
    s = f.text
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    done = 0
    for m in norm._NUMERAL_RUN.finditer(s):
        i, j = m.span()
        digits = norm._to_digits(s[i:j]) if norm._is_number_run(s, i, j) else None
        if digits is None:
            continue
        out.append(s[done:i])
        starts.extend(f.starts[done:i])
        ends.extend(f.ends[done:i])
        out.append(digits)
        starts.extend([f.starts[i]] * len(digits))
        ends.extend([f.ends[j - 1]] * len(digits))
        done = j
    out.append(s[done:])
    starts.extend(f.starts[done:])
    ends.extend(f.ends[done:])
    return "".join(out), starts, ends


@settings(max_examples=400, deadline=None)
@given(_NUMERAL_TEXT)
def test_numerals_converted_in_place_match_the_copying_loop(text: str) -> None:
    f = norm.fold(text)
    got = norm.convert_numerals(f)
    assert (got.text, list(got.starts), list(got.ends)) == _convert_numerals_reference(f)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from("轩辕路十八号〇一二三１２，、 ()（）Aa栋單<b>\u200b"), max_size=24))
def test_prepare_shortcuts_match_the_general_path(text: str) -> None:
    got = norm.prepare(text)
    slow = norm.convert_numerals(norm.fold(text))
    assert (got.text, list(got.starts), list(got.ends)) == (slow.text, list(slow.starts), list(slow.ends))
    # ...and the one-to-one path of fold() gives what the per-character loop gives.
    folded = norm.fold(text)
    if folded.text == "".join(norm._fold_char(ch) for ch in text) and len(folded.text) == len(text):
        assert list(folded.starts) == list(range(len(text)))


def test_made_objects_are_ordinary_instances(zhuolu: Gazetteer) -> None:
    p = parse("河北省涿鹿县涿鹿镇轩辕路18号阳光小区3栋2单元502室", gazetteer=zhuolu)
    assert type(p) is ParsedAddress
    assert all(type(el) is Element for el in p.elements)
    rebuilt = ParsedAddress(
        p.text,
        tuple(Element(e.kind, e.value, e.raw, e.start, e.end, e.code) for e in p.elements),
        p.division_code,
        p.division_path,
        p.ambiguous,
        p.candidates,
        p.division_from_region,
        p.warnings,
        p.prepared,
    )
    assert rebuilt == p and repr(rebuilt) == repr(p) and hash(rebuilt.elements) == hash(p.elements)
    assert type(norm.prepare("轩辕路")) is norm.Folded


def test_kind_bits_are_distinct() -> None:
    assert sorted(_BIT) == sorted(ELEMENT_KINDS)
    assert len(set(_BIT.values())) == len(_BIT) and all(b & (b - 1) == 0 for b in _BIT.values())


def test_entries_made_by_several_threads_at_once() -> None:
    import threading

    from tests.addressing.corpus import load_hand

    texts = [item.input for item in load_hand()] * 3
    alone = Gazetteer("130731")
    expected = [parse(t, gazetteer=alone).as_dict() for t in texts]
    shared = Gazetteer("130731")
    len(shared)
    got: dict[int, list[dict[str, object]]] = {}

    def work(n: int) -> None:
        got[n] = [parse(t, gazetteer=shared).as_dict() for t in texts]

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert all(got[n] == expected for n in range(4))


def _unify_everywhere(text: str) -> str:
    for pattern, repl, _ in norm._SYNONYMS:
        text = pattern.sub(repl, text)
    return text


# The characters the synonym rules look at, and a few they do not.
_SYNONYM_TEXT = st.text(alphabet="0123456789AB-#号楼栋幢座门梯房户单元室层,路小区", max_size=24)


@settings(max_examples=3000, deadline=None)
@given(_SYNONYM_TEXT)
def test_synonym_rules_skipped_only_where_they_cannot_match(text: str) -> None:
    assert norm.unify(text) == _unify_everywhere(text)


def test_each_synonym_rule_still_applies() -> None:
    for text, expected in [
        ("12-2-302", "12栋2单元302室"),
        ("12栋2-302", "12栋2单元302室"),
        ("3号楼", "3栋"),
        ("5#", "5栋"),
        ("2门", "2单元"),
        ("302户", "302室"),
        ("2单元302", "2单元302室"),
    ]:
        assert norm.unify(text) == expected == _unify_everywhere(text)
