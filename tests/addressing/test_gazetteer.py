"""The division name index: lookups, regions, code history."""

from __future__ import annotations

import time

import pytest

from ybss.addressing import Gazetteer
from ybss.lib.divisions import DivisionRecord


def test_region_keeps_its_villages_and_all_counties(zhuolu: Gazetteer) -> None:
    assert zhuolu.lookup("涿鹿镇") == ("130731100",)
    assert zhuolu.lookup("西头堡村") == ("130731100201",)
    assert zhuolu.lookup("鼓楼社区") == ("130731100002",)
    # Counties and cities elsewhere stay, so context like 浙江杭州 is understood…
    assert zhuolu.lookup("浙江") == ("33",)
    assert set(zhuolu.lookup("西湖区")) == {"330106", "360103"}
    # …but townships and villages outside the region are left out.
    assert zhuolu.lookup("蒋村街道") == ()
    assert 3000 < len(zhuolu) < 10_000


def test_informal_names(zhuolu: Gazetteer) -> None:
    assert zhuolu.lookup("涿鹿") == ("130731",)
    assert zhuolu.lookup("杭州") == ("3301",)
    assert zhuolu.lookup("新疆") == ("65",)
    assert zhuolu.lookup("广西") == ("45",)
    assert zhuolu.lookup("延边") == ("2224",)
    assert zhuolu.lookup("恩施州") == ("4228",)
    # Committee names and traditional spelling of the query are folded.
    assert zhuolu.lookup("涿鹿鎮") == ("130731100",)


def test_placeholders_are_not_names(zhuolu: Gazetteer) -> None:
    assert zhuolu.lookup("市辖区") == ()
    assert zhuolu.lookup("省直辖县级行政区划") == ()


def test_path_fills_in_parents(zhuolu: Gazetteer) -> None:
    assert zhuolu.path("130731100201") == [
        ("13", "河北省"),
        ("1307", "张家口市"),
        ("130731", "涿鹿县"),
        ("130731100", "涿鹿镇"),
        ("130731100201", "西头堡村"),
    ]
    # Municipalities have a 市辖区 placeholder level, which is skipped.
    assert [c for c, _ in zhuolu.path("110105")] == ["11", "110105"]


def test_names_and_membership(zhuolu: Gazetteer) -> None:
    assert zhuolu.name("130731100201") == "西头堡村村民委员会"
    assert zhuolu.short_name("130731100201") == "西头堡村"
    assert "130731" in zhuolu
    assert "330106011" not in zhuolu  # a township outside the region
    assert "abc" not in zhuolu
    assert zhuolu.name("99") is None


def test_children(zhuolu: Gazetteer) -> None:
    towns = list(zhuolu.children("130731"))
    assert "130731100" in towns and "130731107" in towns
    assert all(len(c) == 9 and c.startswith("130731") for c in towns)
    assert list(zhuolu.children("130731100201")) == []


def test_old_county_codes(zhuolu: Gazetteer) -> None:
    assert zhuolu.resolve_code("132530") == ["130731"]  # 涿鹿县 before 1993
    assert zhuolu.resolve_code("130731") == ["130731"]
    assert zhuolu.resolve_code("132530100") == ["130731100"]
    assert zhuolu.resolve_code("999999") == []
    assert zhuolu.resolve_code("12") == ["12"]  # 天津市, valid as is
    assert zhuolu.resolve_code("00") == []


def test_region_given_as_old_code() -> None:
    assert Gazetteer("132530").region == "130731"
    assert Gazetteer(" 13 ").region == "13"
    assert Gazetteer("").region is None


@pytest.mark.parametrize("region", ["abc", "33x", "1" * 13])
def test_bad_region(region: str) -> None:
    with pytest.raises(ValueError, match="区划代码前缀"):
        Gazetteer(region)


def test_scan_longest_first_and_road_guard(zhuolu: Gazetteer) -> None:
    hits = zhuolu.scan("涿鹿县涿鹿镇", 3)
    assert hits[0].end == 6 and hits[0].codes == ("130731100",)
    assert zhuolu.scan("西湖路5号", 0) == []  # a road, not 西湖区
    assert zhuolu.scan("鼓楼社区居委会", 0)[0].end == 7  # committee suffix included
    assert zhuolu.scan("", 0) == []


def test_small_custom_gazetteer() -> None:
    records = [
        DivisionRecord("99", "测试省"),
        DivisionRecord("9901", "甲市"),
        DivisionRecord("990101", "东区"),
        DivisionRecord("9902", "乙市"),
        DivisionRecord("990201", "东区"),
        DivisionRecord("990101001", "新华街道"),
    ]
    gz = Gazetteer(records=records)
    assert len(gz) == 6
    assert set(gz.lookup("东区")) == {"990101", "990201"}
    assert gz.lookup("甲市") == ("9901",)
    assert gz.lookup("甲") == ()  # one-character stems are never keys


def test_national_gazetteer(national: Gazetteer) -> None:
    started = time.perf_counter()
    gz = national
    assert len(gz) == 665_276
    assert time.perf_counter() - started < 30
    assert len(gz.lookup("河东镇")) >= 7
    assert "130731107" in gz.lookup("河东镇")
    assert "330106011" in gz
    assert set(gz.lookup("蒋村街道")) == {"330106011", "610118013"}
