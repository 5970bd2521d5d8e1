"""Character folding, numerals, synonyms and the per-kind number/name keys."""

from __future__ import annotations

import time
import unicodedata

import pytest

from ybss.addressing import normalize, normalize_name, normalize_number
from ybss.addressing._tables import RADICALS_SUPPLEMENT, T2S
from ybss.addressing.normalize import fold, prepare


def _is_unified(ch: str) -> bool:
    return "\u3400" <= ch <= "\u4dbf" or "\u4e00" <= ch <= "\u9fff"


def test_full_width_to_half_width() -> None:
    assert normalize("ＡＢＣ１２３") == "ABC123"
    assert normalize("文三路９０号") == "文三路90号"


def test_whitespace_removed_between_chinese_kept_between_words() -> None:
    assert normalize("文三路 　90号\t东部\n软件园") == "文三路90号东部软件园"
    assert normalize("Room  5") == "ROOM 5"


def test_punctuation_unified() -> None:
    assert normalize("杭州，西湖；文三路（东）") == "杭州,西湖,文三路(东)"
    assert normalize("5—7号") == normalize("5－7号") == "5-7号"


@pytest.mark.parametrize(
    ("radical", "standard"), [("⻄", "西"), ("⻓", "长"), ("⻔", "门"), ("⻢", "马"), ("⻩", "黄")]
)
def test_radical_supplement_mapped(radical: str, standard: str) -> None:
    assert normalize(radical) == standard


def test_every_radical_supplement_character_leaves_the_block() -> None:
    for cp in range(0x2E80, 0x2F00):
        ch = chr(cp)
        if unicodedata.category(ch) == "Cn":
            continue
        out = normalize(ch)
        assert len(out) == 1 and _is_unified(out), (hex(cp), out)
    assert len(RADICALS_SUPPLEMENT) == 115


def test_every_kangxi_radical_leaves_the_block() -> None:
    for cp in range(0x2F00, 0x2FE0):
        ch = chr(cp)
        if unicodedata.category(ch) == "Cn":
            continue
        out = normalize(ch)
        assert len(out) == 1 and _is_unified(out), (hex(cp), out)
    assert normalize("\u2fa7") == "长"  # KANGXI RADICAL LONG → 長 → 长


def test_radicals_in_an_address() -> None:
    assert normalize("⻄湖区⻓庆街") == "西湖区长庆街"


def test_traditional_to_simplified() -> None:
    assert normalize("區縣鎮鄉村號樓棟單元室門廣場東南西北華陽") == "区县镇乡村号楼栋单元室门广场东南西北华阳"
    assert normalize("軒轅路十八號") == "轩辕路18号"


def test_ambiguous_traditional_characters_left_alone() -> None:
    assert "乾" not in T2S and "著" not in T2S
    assert normalize("乾著") == "乾著"


def test_t2s_table_is_one_way() -> None:
    # A simplified output that is itself a key would make folding order-dependent.
    assert not [t for t, s in T2S.items() if s in T2S]
    assert len(T2S) >= 300


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("十八号", "18号"),
        ("三栋", "3栋"),
        ("二〇一室", "201室"),
        ("五组", "5组"),
        ("一百零五号", "105号"),
        ("二单元五〇二", "2单元502室"),
        ("轩辕路十八号阳光小区三栋二单元502室", "轩辕路18号阳光小区3栋2单元502室"),
        ("第三组", "第3组"),
        ("五楼", "5楼"),
    ],
)
def test_numbers_become_digits(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    "name", ["三里屯", "十里河", "三门峡市", "五一路", "七星村", "八一广场", "三元里", "两河口", "五楼村"]
)
def test_numerals_in_names_unchanged(name: str) -> None:
    assert normalize(name) == name


@pytest.mark.parametrize("text", ["3号楼", "三栋", "3幢", "3#", "3座", "三号楼", "3栋楼"])
def test_building_synonyms(text: str) -> None:
    assert normalize(text) == "3栋"


def test_unit_and_room_synonyms() -> None:
    assert normalize("2门502房") == "2单元502室"
    assert normalize("3梯1201户") == "3单元1201室"
    # 门 inside a name is not a unit.
    assert normalize("东门") == "东门"


def test_compact_forms() -> None:
    assert normalize("12-2-302") == "12栋2单元302室"
    assert normalize("12栋2-302") == "12栋2单元302室"
    # A telephone number is not a building-unit-room triple.
    assert normalize("0571-88886666") == "0571-88886666"


@pytest.mark.parametrize(
    ("kind", "text", "value"),
    [
        ("building", "三栋", "3"),
        ("building", "3#", "3"),
        ("building", "3号楼", "3"),
        ("building", "3幢", "3"),
        ("building", "第03栋", "3"),
        ("building", "a座", "A"),
        ("room", "502室", "502"),
        ("room", "五〇二", "502"),
        ("unit", "二单元", "2"),
        ("unit", "2门", "2"),
        ("road_no", "18号", "18"),
        ("road_no", "十八号", "18"),
        ("road_no", "5号附3号", "5附3"),
        ("road_no", "5组6号", "5组6"),
        ("road_no", "19号院", "19"),
        ("floor", "负一层", "-1"),
        ("floor", "B2", "-2"),
        ("floor", "F5", "5"),
        ("floor", "5楼", "5"),
        ("village_group", "五组", "5"),
    ],
)
def test_normalize_number(kind: str, text: str, value: str) -> None:
    assert normalize_number(kind, text) == value


def test_normalize_name() -> None:
    assert normalize_name(" 三里屯 路·") == "三里屯路"
    assert normalize_name("東部軟件園") == "东部软件园"
    assert normalize_name("阳光　小区（一期）") == "阳光小区一期"
    # A name keeps its numerals: 十里河 is not 10里河.
    assert normalize_name("十里河") == "十里河"


def test_fold_keeps_original_offsets() -> None:
    text = "杭 州\u200b市９０号"
    f = fold(text)
    assert f.text == "杭州市90号"
    for i, ch in enumerate(f.text):
        a, b = f.span(i, i + 1)
        assert fold(text[a:b]).text == ch


def test_converted_numerals_span_the_whole_run() -> None:
    text = "路一百零五号"
    f = prepare(text)
    assert f.text == "路105号"
    a, b = f.span(1, 4)
    assert text[a:b] == "一百零五"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\x00\x01\x02\x1f\x7f",
        "<b>杭州</b>",
        "\ud800\udfff",
        "😀🏠",
        "a" * 10_000,
        "十" * 10_000,
        "号" * 10_000,
        "\u0301" * 100,
    ],
)
def test_hostile_input(text: str) -> None:
    started = time.perf_counter()
    out = normalize(text)
    assert isinstance(out, str)
    assert time.perf_counter() - started < 2
    assert "\x00" not in out and "<b>" not in out


def test_control_and_tags_removed() -> None:
    assert normalize("杭\x00州\u200b") == "杭州"
    assert normalize("<b>杭州</b><br/>西湖") == "杭州西湖"
