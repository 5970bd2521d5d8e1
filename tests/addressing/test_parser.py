"""Parsing into typed elements with spans in the original text, and division resolution."""

from __future__ import annotations

import json
import time

import pytest

from ybss.addressing import ELEMENT_KINDS, Gazetteer, ParsedAddress, parse

Expected = list[tuple[str, str, str]]  # (kind, raw, value)


def _check_spans(r: ParsedAddress) -> None:
    last = 0
    for el in r.elements:
        assert el.kind in ELEMENT_KINDS
        assert 0 <= el.start <= el.end <= len(r.text)
        assert r.text[el.start : el.end] == el.raw
        assert el.start >= last, "elements are in text order"
        last = el.start


def _triples(r: ParsedAddress) -> Expected:
    return [(e.kind, e.raw, e.value) for e in r.elements]


def test_hangzhou_full_width(hangzhou: Gazetteer) -> None:
    text = "浙江杭州西湖区文三路９０号东部软件园１号楼３单元５０２"
    r = parse(text, gazetteer=hangzhou)
    _check_spans(r)
    assert _triples(r) == [
        ("province", "浙江", "浙江省"),
        ("city", "杭州", "杭州市"),
        ("district", "西湖区", "西湖区"),
        ("road", "文三路", "文三路"),
        ("road_no", "９０号", "90"),
        ("poi", "东部软件园", "东部软件园"),
        ("building", "１号楼", "1"),
        ("unit", "３单元", "3"),
        ("room", "５０２", "502"),
    ]
    assert [(e.start, e.end) for e in r.elements][4] == (10, 13)
    assert r.division_code == "330106"
    assert r.get("district") is not None and r.get("district").code == "330106"  # type: ignore[union-attr]
    assert not r.ambiguous
    assert r.normalized == "浙江杭州西湖区文三路90号东部软件园1栋3单元502室"


def test_zhuolu_chinese_numerals(zhuolu: Gazetteer) -> None:
    text = "涿鹿县涿鹿镇轩辕路十八号阳光小区三栋二单元502室"
    r = parse(text, gazetteer=zhuolu)
    _check_spans(r)
    assert _triples(r) == [
        ("district", "涿鹿县", "涿鹿县"),
        ("town", "涿鹿镇", "涿鹿镇"),
        ("road", "轩辕路", "轩辕路"),
        ("road_no", "十八号", "18"),
        ("poi", "阳光小区", "阳光小区"),
        ("building", "三栋", "3"),
        ("unit", "二单元", "2"),
        ("room", "502室", "502"),
    ]
    assert r.division_code == "130731100"
    assert [c for c, _ in r.division_path] == ["13", "1307", "130731", "130731100"]


def test_village_group_house_number(zhuolu: Gazetteer) -> None:
    text = "河东镇沿山村5组6号"
    r = parse(text, "130731", gazetteer=zhuolu)
    _check_spans(r)
    assert _triples(r) == [
        ("town", "河东镇", "河东镇"),
        ("community", "沿山村", "沿山村"),
        ("village_group", "5组", "5"),
        ("road_no", "6号", "6"),
    ]
    assert r.division_code == "130731107"
    # 沿山村 is not in the NBS list under this 河东镇: kept by name, reported.
    assert r.get("community").code is None  # type: ignore[union-attr]
    assert any("沿山村" in w for w in r.warnings)


def test_village_group_alone(zhuolu: Gazetteer) -> None:
    r = parse("涿鹿镇西头堡村五组", gazetteer=zhuolu)
    _check_spans(r)
    assert _triples(r)[-1] == ("village_group", "五组", "5")
    assert r.division_code == "130731100201"


def test_compact_building_unit_room(zhuolu: Gazetteer) -> None:
    text = "12-2-302"
    r = parse(text, gazetteer=zhuolu)
    _check_spans(r)
    assert _triples(r) == [("building", "12", "12"), ("unit", "2", "2"), ("room", "302", "302")]
    assert [(e.start, e.end) for e in r.elements] == [(0, 2), (3, 4), (5, 8)]


def test_compact_after_building(zhuolu: Gazetteer) -> None:
    r = parse("阳光小区12栋2-302", gazetteer=zhuolu)
    _check_spans(r)
    assert _triples(r)[1:] == [("building", "12栋", "12"), ("unit", "2", "2"), ("room", "302", "302")]


@pytest.mark.parametrize("building", ["3号楼", "三栋", "3幢", "3#", "3座", "第三栋"])
def test_building_spellings(zhuolu: Gazetteer, building: str) -> None:
    text = f"阳光小区{building}2单元502室"
    r = parse(text, gazetteer=zhuolu)
    _check_spans(r)
    b = r.get("building")
    assert b is not None and b.value == "3" and b.raw == building


def test_floor_and_lettered_building(hangzhou: Gazetteer) -> None:
    r = parse("文三路478号华星时代广场A座5层502", gazetteer=hangzhou)
    _check_spans(r)
    assert _triples(r) == [
        ("road", "文三路", "文三路"),
        ("road_no", "478号", "478"),
        ("poi", "华星时代广场", "华星时代广场"),
        ("building", "A座", "A"),
        ("floor", "5层", "5"),
        ("room", "502", "502"),
    ]


def test_lane_and_subroad_number(hangzhou: Gazetteer) -> None:
    r = parse("上海市浦东新区张杨路500弄3号1203", gazetteer=hangzhou)
    _check_spans(r)
    assert r.kinds == ["province", "district", "road", "subroad", "subroad_no", "room"]
    assert r.division_code == "310115"


def test_house_number_with_annex(hangzhou: Gazetteer) -> None:
    r = parse("西湖区文三路5号附3号", "3301", gazetteer=hangzhou)
    _check_spans(r)
    assert _triples(r)[-1] == ("road_no", "5号附3号", "5附3")


def test_poi_and_subpoi(hangzhou: Gazetteer) -> None:
    r = parse("文三路90号东部软件园科技大厦3楼", gazetteer=hangzhou)
    _check_spans(r)
    assert r.value("poi") == "东部软件园"
    assert r.value("subpoi") == "科技大厦"
    assert r.value("floor") == "3"


def test_generic_suffix_stays_in_the_name(hangzhou: Gazetteer) -> None:
    r = parse("阳光花园小区3栋", gazetteer=hangzhou)
    assert r.value("poi") == "阳光花园小区"
    assert r.get("subpoi") is None


def test_traditional_and_radicals(hangzhou: Gazetteer) -> None:
    text = "杭州市⻄湖區文三路九十號"
    r = parse(text, gazetteer=hangzhou)
    _check_spans(r)
    assert r.division_code == "330106"
    assert _triples(r)[1:] == [
        ("district", "⻄湖區", "西湖区"),
        ("road", "文三路", "文三路"),
        ("road_no", "九十號", "90"),
    ]


def test_names_with_numerals_are_not_numbers(hangzhou: Gazetteer) -> None:
    r = parse("三里屯路19号", gazetteer=hangzhou)
    assert _triples(r) == [("road", "三里屯路", "三里屯路"), ("road_no", "19号", "19")]
    r = parse("十里河五组", gazetteer=hangzhou)
    assert r.value("poi") == "十里河"
    assert r.value("village_group") == "5"


def test_road_is_not_a_county(hangzhou: Gazetteer) -> None:
    r = parse("西湖路5号", gazetteer=hangzhou)
    assert r.kinds == ["road", "road_no"]
    assert r.division_code is None


def test_missing_parents_inferred(hangzhou: Gazetteer) -> None:
    r = parse("西湖区文三路", "3301", gazetteer=hangzhou)
    assert r.division_code == "330106"
    assert r.division_path == (("33", "浙江省"), ("3301", "杭州市"), ("330106", "西湖区"))
    assert not r.ambiguous


def test_township_resolves_county(hangzhou: Gazetteer) -> None:
    r = parse("蒋村街道文三路", gazetteer=hangzhou)
    assert r.division_code == "330106011"
    assert [c for c, _ in r.division_path] == ["33", "3301", "330106", "330106011"]


def test_ambiguous_district_reported(hangzhou: Gazetteer) -> None:
    r = parse("朝阳区建国路88号", gazetteer=hangzhou)
    assert r.ambiguous
    assert r.division_code is None
    assert {c.code for c in r.candidates} == {"110105", "220104"}
    assert "北京市朝阳区" in {c.name for c in r.candidates}
    assert any("朝阳区" in w and "2个区划" in w for w in r.warnings)
    assert r.get("district").code is None  # type: ignore[union-attr]


def test_ambiguity_resolved_by_context(hangzhou: Gazetteer) -> None:
    assert parse("北京市朝阳区建国路88号", gazetteer=hangzhou).division_code == "110105"
    assert parse("长春市朝阳区建国路88号", gazetteer=hangzhou).division_code == "220104"
    assert parse("吉林朝阳区", gazetteer=hangzhou).division_code == "220104"
    assert parse("江西西湖区", gazetteer=hangzhou).division_code == "360103"


def test_ambiguity_resolved_by_region(hangzhou: Gazetteer) -> None:
    r = parse("朝阳区建国路88号", "11", gazetteer=hangzhou)
    assert not r.ambiguous and r.division_code == "110105"
    assert parse("西湖区", "36", gazetteer=hangzhou).division_code == "360103"
    assert parse("西湖区", "3301", gazetteer=hangzhou).division_code == "330106"
    # A region that fits none of the candidates decides nothing.
    assert parse("西湖区", "13", gazetteer=hangzhou).ambiguous


def test_common_ancestor_of_ambiguous_candidates() -> None:
    from ybss.lib.divisions import DivisionRecord

    gz = Gazetteer(
        records=[
            DivisionRecord("99", "测试省"),
            DivisionRecord("9901", "甲市"),
            DivisionRecord("990101", "东区"),
            DivisionRecord("990102", "西区"),
            DivisionRecord("990101001", "新华街道"),
            DivisionRecord("990102001", "新华街道"),
        ]
    )
    r = parse("新华街道人民路1号", gazetteer=gz)
    assert r.ambiguous
    assert r.division_code == "9901"  # both candidates lie in 甲市
    assert parse("西区新华街道", gazetteer=gz).division_code == "990102001"


def test_region_supplies_the_division(zhuolu: Gazetteer) -> None:
    r = parse("轩辕路18号", "130731", gazetteer=zhuolu)
    assert r.division_code == "130731"
    assert r.division_from_region
    # An abolished county code is mapped to its successor.
    r = parse("轩辕路18号", "132530", gazetteer=zhuolu)
    assert r.division_code == "130731" and r.division_from_region


def test_conflicting_divisions_are_reported(zhuolu: Gazetteer) -> None:
    r = parse("河北省西湖区文三路", gazetteer=zhuolu)
    assert any("不一致" in w for w in r.warnings)
    assert r.division_code in {"330106", "360103"} or r.ambiguous


def test_default_gazetteer_by_region() -> None:
    r = parse("涿鹿镇轩辕路十八号", "130731")
    assert r.division_code == "130731100"


def test_as_dict_is_json(zhuolu: Gazetteer) -> None:
    r = parse("涿鹿县涿鹿镇轩辕路十八号", gazetteer=zhuolu)
    data = json.loads(json.dumps(r.as_dict(), ensure_ascii=False))
    assert data["division_code"] == "130731100"
    assert data["elements"][3] == {
        "kind": "road_no",
        "value": "18",
        "raw": "十八号",
        "start": 9,
        "end": 12,
        "code": None,
    }


def test_unparsed_text_is_other(zhuolu: Gazetteer) -> None:
    r = parse("涿鹿县!!阳光小区3栋@@", gazetteer=zhuolu)
    _check_spans(r)
    assert r.kinds == ["district", "poi", "building"]
    r = parse("abc", gazetteer=zhuolu)
    assert _triples(r) == [("other", "abc", "ABC")]


def test_rejects_non_string(zhuolu: Gazetteer) -> None:
    with pytest.raises(TypeError, match="字符串"):
        parse(None, gazetteer=zhuolu)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\x00" * 100,
        "\x00涿\x01鹿\x02县\x1f",
        "a" * 10_000,
        "杭州" * 5_000,
        "1" * 10_000,
        "-" * 10_000,
        "号" * 10_000,
        "十" * 10_000,
        "阳光小区3栋" * 1_700,
        "<html><body><p>涿鹿县&nbsp;涿鹿镇</p><script>alert(1)</script></body></html>",
        "\ud800\udc00\udfff",
        "😀涿鹿县😀",
        "1-2-3-4-5-6",
        "第第第栋栋栋",
        "#" * 100,
    ],
)
def test_hostile_input_never_crashes(zhuolu: Gazetteer, text: str) -> None:
    started = time.perf_counter()
    r = parse(text, "130731", gazetteer=zhuolu)
    assert time.perf_counter() - started < 2
    _check_spans(r)
    assert r.text == text


def test_html_text_still_parses(zhuolu: Gazetteer) -> None:
    text = "<p>涿鹿县涿鹿镇</p>"
    r = parse(text, gazetteer=zhuolu)
    _check_spans(r)
    assert r.division_code == "130731100"
    assert r.get("town").raw == "涿鹿镇"  # type: ignore[union-attr]


def test_abolished_county_name_resolves_to_successor(hangzhou: Gazetteer) -> None:
    r = parse("北京市崇文区", gazetteer=hangzhou)
    assert r.division_code == "110101"  # merged into 东城区 in 2010
    district = r.get("district")
    assert district is not None and district.raw == "崇文区" and district.value == "东城区"
    assert any("已撤销" in w and "东城区" in w for w in r.warnings)


def test_abolished_county_split_between_successors_is_ambiguous(hangzhou: Gazetteer) -> None:
    r = parse("杭州市江干区凯旋路88号", gazetteer=hangzhou)
    assert r.ambiguous
    assert {c.code for c in r.candidates} == {"330102", "330114"}
    assert r.division_code == "3301"  # both successors are in 杭州市
    assert r.value("road") == "凯旋路"


def test_numbered_road(hangzhou: Gazetteer) -> None:
    r = parse("白杨街道6号大街452号", gazetteer=hangzhou)
    _check_spans(r)
    assert _triples(r)[1:] == [("road", "6号大街", "6号大街"), ("road_no", "452号", "452")]
