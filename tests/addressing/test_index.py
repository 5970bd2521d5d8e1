"""AddressIndex: blocking, then scoring with match()."""

from __future__ import annotations

import pytest

from ybss.addressing import Candidate, Gazetteer, parse
from ybss.addressing.index import AddressIndex

COMMUNITY = "130731100002"


@pytest.fixture(scope="module")
def index() -> AddressIndex:
    idx = AddressIndex()
    ident = 0
    for poi, road, no, buildings in (("阳光小区", "轩辕路", "18", 12), ("幸福家园", "人民路", "5", 8)):
        idx.add(Candidate(f"{poi}", COMMUNITY, {"road": road, "road_no": no, "poi": poi}))
        for b in range(1, buildings + 1):
            idx.add(
                Candidate(
                    f"{poi}{b}", COMMUNITY, {"road": road, "road_no": no, "poi": poi, "building": str(b)}
                )
            )
            for u in (1, 2):
                for floor in range(1, 7):
                    for k in (1, 2):
                        ident += 1
                        room = str(floor * 100 + (u - 1) * 2 + k)  # 101 102 | 103 104
                        idx.add(
                            Candidate(
                                ident,
                                COMMUNITY,
                                {"road": road, "road_no": no, "poi": poi, "building": str(b), "unit": str(u),
                                 "room": room},
                            )
                        )  # fmt: skip
    # A tower with one building: its rooms may be written without the building.
    for floor in range(1, 21):
        ident += 1
        idx.add(
            Candidate(
                f"T{floor}01",
                COMMUNITY,
                {"road": "解放路", "road_no": "9", "poi": "金色大厦", "building": "1", "unit": "1",
                 "room": f"{floor}01"},
            )
        )  # fmt: skip
    # Same compound name in another community: the division tells them apart.
    idx.add(Candidate("elsewhere", "130731101201", {"road": "轩辕路", "road_no": "18", "poi": "阳光小区"}))
    return idx


def _best(index: AddressIndex, text: str, zhuolu: Gazetteer) -> tuple[object, float, str]:
    res = index.search(parse(text, "130731", gazetteer=zhuolu))
    return res[0].candidate_id, res[0].score, res[0].status


def _room_id(index: AddressIndex, zhuolu: Gazetteer, text: str) -> object:
    return _best(index, text, zhuolu)[0]


def test_exact_and_spellings(index: AddressIndex, zhuolu: Gazetteer) -> None:
    exact = _best(index, "涿鹿镇鼓楼社区轩辕路18号阳光小区3栋2单元503室", zhuolu)
    assert exact[2] == "confident"
    for text in (
        "轩辕路十八号陽光小區三幢二单元五〇三",
        "轩辕路18号阳光小区3-2-503",
        "轩辕路18号阳光小区3号楼2门503户",
    ):
        assert _best(index, text, zhuolu)[0] == exact[0]


def test_typo_missing_levels_and_room_without_unit(index: AddressIndex, zhuolu: Gazetteer) -> None:
    target = _room_id(index, zhuolu, "轩辕路18号阳光小区3栋2单元503室")
    assert _room_id(index, zhuolu, "轩辕路18号阳光小去3栋2单元503室") == target  # typo in the compound
    assert _room_id(index, zhuolu, "阳光小区3栋2单元503室") == target  # no road
    assert _room_id(index, zhuolu, "阳光小区3栋503室") == target  # room written without its unit
    assert _room_id(index, zhuolu, "解放路9号金色大厦1501") == "T1501"  # building left out


def test_parent_node_when_the_address_stops_early(index: AddressIndex, zhuolu: Gazetteer) -> None:
    assert _best(index, "轩辕路18号阳光小区3栋", zhuolu)[0] == "阳光小区3"
    assert _best(index, "轩辕路18号阳光小区", zhuolu)[0] == "阳光小区"


def test_a_room_that_does_not_exist_is_not_confident(index: AddressIndex, zhuolu: Gazetteer) -> None:
    _, _, status = _best(index, "轩辕路18号阳光小区3栋2单元999室", zhuolu)
    assert status != "confident"


def test_blocking_never_scores_the_whole_base(index: AddressIndex, zhuolu: Gazetteer) -> None:
    assert len(index) > 500
    cands = index.candidates(parse("轩辕路18号阳光小区3栋2单元503室", "130731", gazetteer=zhuolu))
    assert 0 < len(cands) <= 20
    assert index.candidates(parse("完全无关的文字", "130731", gazetteer=zhuolu)) == []


def test_top_candidates_are_returned(index: AddressIndex, zhuolu: Gazetteer) -> None:
    res = index.search("阳光小区3栋", region="130731", limit=3)
    assert 1 <= len(res) <= 3
    assert res == sorted(res, key=lambda r: -r.score)


def test_compound_aliases(index: AddressIndex, zhuolu: Gazetteer) -> None:
    target = _room_id(index, zhuolu, "轩辕路18号阳光小区3栋2单元503室")
    # Another generic word, or none: the same compound when only one fits.
    assert _room_id(index, zhuolu, "轩辕路18号阳光花园3栋2单元503室") == target
    assert _room_id(index, zhuolu, "阳光3栋2单元503室") == target
    # An old name given to the index.
    index.add_alias("poi", "向阳新村", "阳光小区")
    best = index.search("向阳新村3-2-503", region="130731")[0]
    assert best.candidate_id == target
    assert best.status == "confident"
