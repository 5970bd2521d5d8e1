"""Division resolution: old names, roads named after places, repeats, ambiguity."""

from __future__ import annotations

import pytest

from ybss.addressing import Gazetteer, get_gazetteer, parse, standard_text


@pytest.fixture(scope="module")
def jinan() -> Gazetteer:
    return get_gazetteer("3701")


def _kinds(text: str, gz: Gazetteer) -> list[tuple[str, str]]:
    return [(e.kind, e.raw) for e in parse(text, gazetteer=gz).elements]


def test_abolished_city_resolves_to_where_its_name_lives_on(jinan: Gazetteer) -> None:
    r = parse("莱芜市", gazetteer=jinan)
    assert r.division_code == "370116"  # 济南市莱芜区
    assert not r.ambiguous
    assert any("莱芜市" in w and "济南市莱芜区" in w for w in r.warnings)
    assert standard_text(r) == "山东省济南市莱芜区"


def test_old_city_then_current_district_is_that_district(jinan: Gazetteer) -> None:
    r = parse("山东省莱芜市钢城区府前大街78号", gazetteer=jinan)
    assert r.division_code == "370117"
    assert r.get("city").raw == "莱芜市"  # type: ignore[union-attr]
    assert r.get("district").code == "370117"  # type: ignore[union-attr]
    assert standard_text(r).startswith("山东省济南市钢城区府前大街78号")


def test_abolished_county_renamed_in_place(jinan: Gazetteer) -> None:
    r = parse("莱芜市莱城区凤城街道", gazetteer=jinan)
    assert r.division_code == "370116001"


def test_renamed_prefecture(jinan: Gazetteer) -> None:
    assert parse("襄樊市樊城区人民路2号", gazetteer=jinan).division_code == "420606"
    assert parse("铜仁地区碧江区", gazetteer=jinan).division_code == "520602"


def test_merged_county_with_two_successors_stays_ambiguous(hangzhou: Gazetteer) -> None:
    r = parse("江干区", gazetteer=hangzhou)
    assert r.ambiguous
    assert {c.code for c in r.candidates} == {"330102", "330114"}
    assert r.division_code == "3301"


@pytest.mark.parametrize(
    ("text", "code", "road"),
    [
        ("北海市重庆路5号", "4505", "重庆路"),
        ("广西壮族自治区北海市海城区重庆路5号", "450502", "重庆路"),
        ("广东路12号", None, "广东路"),
        ("上海市黄浦区广东路689号", "310101", "广东路"),
        ("肇庆市端州区端州五路10号", "441202", "端州五路"),
    ],
)
def test_road_named_after_a_place_is_a_road(jinan: Gazetteer, text: str, code: str | None, road: str) -> None:
    r = parse(text, gazetteer=jinan)
    assert r.division_code == code
    assert r.value("road") == road


def test_city_name_then_district_name_sharing_a_character(jinan: Gazetteer) -> None:
    # 青岛市北区 is 青岛 + 市北区, not 青岛市 + 北区.
    r = parse("青岛市北区辽宁路145号", gazetteer=jinan)
    assert r.division_code == "370203"
    assert r.value("road") == "辽宁路"
    # 唐山 + 路北区, although 唐山路 reads as a road.
    assert parse("河北唐山路北区凤凰东巷201号", gazetteer=jinan).division_code == "130203"


def test_redundant_repeats(jinan: Gazetteer) -> None:
    r = parse("浙江省-金华市-义乌市义乌市稠城街道工人北路18号", gazetteer=get_gazetteer(None))
    assert r.division_code == "330782001"
    assert [k for k, _ in _kinds("浙江省-金华市-义乌市义乌市稠城街道工人北路18号", jinan)][:5] == [
        "province",
        "city",
        "district",
        "district",
        "town",
    ]
    # Written a third time, it is no longer a division.
    assert len(parse("杭州" * 50, gazetteer=jinan).elements) < 50


def test_short_names_before_compound_words_are_compounds(jinan: Gazetteer) -> None:
    assert _kinds("康乐小区3-2-302", jinan)[0] == ("poi", "康乐小区")
    assert _kinds("江南公寓25-4-1102", jinan)[0] == ("poi", "江南公寓")
    assert _kinds("东方苑4-6-601", jinan)[0] == ("poi", "东方苑")
    # …but not a county followed by its own township.
    assert _kinds("涿鹿涿鹿镇", get_gazetteer("130731"))[0] == ("district", "涿鹿")


def test_ambiguous_names_are_never_resolved_arbitrarily(jinan: Gazetteer) -> None:
    r = parse("朝阳区建国路88号", gazetteer=jinan)
    assert r.ambiguous and r.division_code is None
    assert {c.code for c in r.candidates} == {"110105", "220104"}
    assert parse("北京市朝阳区建国路88号", gazetteer=jinan).division_code == "110105"
    assert parse("朝阳区建国路88号", "11", gazetteer=jinan).division_code == "110105"


def test_default_region_and_region_alias(zhuolu: Gazetteer) -> None:
    a = parse("轩辕路18号", default_region="130731", gazetteer=zhuolu)
    b = parse("轩辕路18号", region="130731", gazetteer=zhuolu)
    assert a.division_code == b.division_code == "130731"
    assert a.division_from_region
    with pytest.raises(ValueError):
        parse("轩辕路18号", default_region="13", region="33", gazetteer=zhuolu)


def test_village_group_and_house_number_are_two_elements(zhuolu: Gazetteer) -> None:
    r = parse("涿鹿县涿鹿镇西头堡村五组16号", gazetteer=zhuolu)
    assert [(e.kind, e.raw, e.value) for e in r.elements][-2:] == [
        ("village_group", "五组", "5"),
        ("road_no", "16号", "16"),
    ]
    assert standard_text(r) == "河北省张家口市涿鹿县涿鹿镇西头堡村5组16号"


def test_road_sections_and_phases(jinan: Gazetteer) -> None:
    assert _kinds("成都市武侯区人民南路四段11号", jinan)[-3:] == [
        ("road", "人民南路"),
        ("subroad", "四段"),
        ("subroad_no", "11号"),
    ]
    assert _kinds("阳光小区二期3栋", jinan) == [("poi", "阳光小区"), ("subpoi", "二期"), ("building", "3栋")]
    assert _kinds("龙湖小区B区5楼", jinan) == [("poi", "龙湖小区"), ("subpoi", "B区"), ("floor", "5楼")]


def test_standard_text_and_confidence(hangzhou: Gazetteer) -> None:
    r = parse("浙江杭州西湖区文三路九十号东部软件园科技大厦三楼", gazetteer=hangzhou)
    assert standard_text(r) == "浙江省杭州市西湖区文三路90号东部软件园科技大厦3层"
    assert r.confidence == 1.0
    vague = parse("朝阳区???某处", gazetteer=hangzhou)
    assert vague.confidence < 0.8
    assert parse("", gazetteer=hangzhou).confidence == 0.0
