"""Canonical keys and candidate matching."""

from __future__ import annotations

import pytest

from ybss.addressing import Candidate, Gazetteer, canonical_key, element_value, match, parse


@pytest.mark.parametrize(
    "text",
    [
        "涿鹿镇轩辕路18号阳光小区3号楼2单元502室",
        "涿鹿镇轩辕路十八号阳光小区三栋二单元五〇二",
        "涿鹿镇軒轅路１８號陽光小區3幢2門502",
        "涿鹿镇 轩辕路18号 阳光小区 3# 2-502",
    ],
)
def test_spellings_share_a_key(zhuolu: Gazetteer, text: str) -> None:
    expected = "130731100|road=轩辕路|road_no=18|poi=阳光小区|building=3|unit=2|room=502"
    assert canonical_key(parse(text, gazetteer=zhuolu)) == expected


def test_key_tells_apart_different_addresses(zhuolu: Gazetteer) -> None:
    a = canonical_key(parse("涿鹿镇轩辕路18号阳光小区3栋2单元502室", gazetteer=zhuolu))
    b = canonical_key(parse("涿鹿镇轩辕路18号阳光小区3栋2单元503室", gazetteer=zhuolu))
    c = canonical_key(parse("河东镇轩辕路18号阳光小区3栋2单元502室", gazetteer=zhuolu))
    assert len({a, b, c}) == 3


def test_key_keeps_unknown_divisions_by_name(zhuolu: Gazetteer) -> None:
    key = canonical_key(parse("河东镇沿山村5组6号", gazetteer=zhuolu))
    assert key == "130731107|community=沿山村|village_group=5|road_no=6"


def test_element_value() -> None:
    assert element_value("building", "三栋") == "3"
    assert element_value("road", "軒轅 路") == "轩辕路"
    assert element_value("poi", "十里河小区") == "十里河小区"


def _candidates() -> list[Candidate]:
    base = {"road": "轩辕路", "road_no": "18号", "poi": "阳光小区"}
    return [
        Candidate("room", "130731100", {**base, "building": "3栋", "unit": "2单元", "room": "502室"}),
        Candidate("building", "130731100", {**base, "building": "三栋"}),
        Candidate("other-room", "130731100", {**base, "building": "3", "unit": "2", "room": "503"}),
        Candidate("elsewhere", "330106011", {**base, "building": "3", "unit": "2", "room": "502"}),
    ]


def test_exact_node_is_confident(zhuolu: Gazetteer) -> None:
    parsed = parse("涿鹿县涿鹿镇轩辕路十八号阳光小区三栋二单元502室", gazetteer=zhuolu)
    results = match(parsed, _candidates())
    best = results[0]
    assert best.candidate_id == "room"
    assert best.score == 1.0 and best.status == "confident" and best.confident
    assert set(best.agreed) >= {"division", "road", "road_no", "poi", "building", "unit", "room"}
    by_id = {r.candidate_id: r for r in results}
    assert by_id["building"].status == "review"
    assert by_id["building"].missing == ("unit", "room")
    assert by_id["other-room"].disagreed == ("room",)
    assert "502≠503" in by_id["other-room"].explanation
    assert by_id["other-room"].status == "no_match"  # a neighbouring room is another address
    assert by_id["elsewhere"].status == "no_match"
    assert "division" in by_id["elsewhere"].disagreed
    assert results == sorted(results, key=lambda r: -r.score)
    assert all(0.0 <= r.score <= 1.0 for r in results)


def test_parent_node_preferred_when_address_stops_at_building(zhuolu: Gazetteer) -> None:
    results = match(parse("涿鹿镇轩辕路18号阳光小区3号楼", gazetteer=zhuolu), _candidates())
    assert results[0].candidate_id == "building"
    assert results[0].status == "confident"
    assert results[1].extra  # the room node is more specific than the address


def test_tie_needs_review(zhuolu: Gazetteer) -> None:
    parsed = parse("涿鹿镇轩辕路18号", gazetteer=zhuolu)
    cands = [("a", "130731100", {"road": "轩辕路", "road_no": "18"})] * 2
    results = match(parsed, cands)
    assert [r.status for r in results] == ["review", "review"]


def test_similar_names_get_partial_credit(zhuolu: Gazetteer) -> None:
    parsed = parse("涿鹿镇轩辕路18号阳光小区", gazetteer=zhuolu)
    results = match(
        parsed,
        [
            {
                "id": 1,
                "division_code": "130731100",
                "elements": {"road": "轩辕大路", "road_no": "18", "poi": "阳光小区"},
            },
            {
                "id": 2,
                "division_code": "130731100",
                "elements": {"road": "人民路", "road_no": "18", "poi": "阳光小区"},
            },
        ],
    )
    assert results[0].candidate_id == 1
    assert "road" in results[0].agreed and "相近" in results[0].explanation
    assert "road" in results[1].disagreed
    assert 0 < results[1].score < results[0].score < 1


def test_thresholds_are_parameters(zhuolu: Gazetteer) -> None:
    parsed = parse("涿鹿镇轩辕路18号阳光小区3号楼", gazetteer=zhuolu)
    cands = [_candidates()[0]]
    assert match(parsed, cands)[0].status == "review"
    assert match(parsed, cands, confident=0.5)[0].status == "confident"
    assert match(parsed, cands, confident=0.99, review=0.99)[0].status == "no_match"


def test_string_is_parsed_with_region(zhuolu: Gazetteer) -> None:
    results = match("涿鹿镇轩辕路18号阳光小区3栋2单元502室", _candidates(), region="130731")
    assert results[0].candidate_id == "room"


def test_ambiguous_address_gets_partial_division_credit(hangzhou: Gazetteer) -> None:
    parsed = parse("朝阳区建国路88号", gazetteer=hangzhou)
    assert parsed.ambiguous
    results = match(
        parsed,
        [
            ("bj", "110105001", {"road": "建国路", "road_no": "88"}),
            ("hz", "330106", {"road": "建国路", "road_no": "88"}),
        ],
    )
    assert results[0].candidate_id == "bj"
    assert results[0].score < 1.0


def test_no_candidates_and_bad_candidates(zhuolu: Gazetteer) -> None:
    parsed = parse("轩辕路18号", gazetteer=zhuolu)
    assert match(parsed, []) == []
    with pytest.raises(TypeError, match="候选地址"):
        match(parsed, [42])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="elements"):
        match(parsed, [{"id": 1, "division_code": "1", "elements": "road"}])


def test_nothing_to_compare(zhuolu: Gazetteer) -> None:
    results = match(parse("", gazetteer=zhuolu), [Candidate(1, None, {})])
    assert results[0].score == 0.0 and results[0].status == "no_match"
    assert results[0].explanation == "无可比较的要素"
