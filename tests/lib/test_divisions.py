import pytest

from ybss.lib import divisions as d


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("鼓楼社区居民委员会", "鼓楼社区"),
        ("多福巷社区居委会", "多福巷社区"),
        ("西头堡村村民委员会", "西头堡村"),
        ("沿山村委会", "沿山村"),
        ("新华居委会", "新华"),
        ("涿鹿镇", "涿鹿镇"),
    ],
)
def test_short_name_strips_committee_suffixes(name: str, short: str) -> None:
    assert d.short_name(name) == short


def test_levels_and_parents_follow_code_length() -> None:
    assert d.level_of("13") == 1
    assert d.level_of("130731100002") == 5
    assert d.parent_code("130731100002") == "130731100"
    assert d.parent_code("130731") == "1307"
    assert d.parent_code("13") is None
    with pytest.raises(ValueError, match="区划代码长度"):
        d.level_of("1307311")


def test_normalize_code_trims_padded_codes() -> None:
    assert d.normalize_code("130731000000") == "130731"
    assert d.normalize_code("130000000000") == "13"
    assert d.normalize_code("130731100002") == "130731100002"
    with pytest.raises(ValueError, match="只能包含数字"):
        d.normalize_code("13a731")


def test_shipped_data_is_complete_and_ordered() -> None:
    counts = {1: 0, 2: 0, 3: 0, 4: 0, 5: 0}
    seen: set[str] = set()
    for rec in d.iter_divisions():
        counts[rec.level] += 1
        parent = rec.parent_code
        assert parent is None or parent in seen, f"{rec.code} comes before its parent"
        seen.add(rec.code)
    assert counts == {1: 31, 2: 342, 3: 2978, 4: 41352, 5: 620573}


def test_abolished_codes_lead_to_successors() -> None:
    assert d.successor_codes("132530") == ["130731"]  # 涿鹿县 before 1993
    assert d.successor_codes("110103") == ["110101"]  # 崇文区 → 东城区
    assert d.successor_codes("130731") == ["130731"]
    assert d.successor_codes("999999") == []
