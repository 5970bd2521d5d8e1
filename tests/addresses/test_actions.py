from typing import Any

import pytest

from ybss.addresses import actions
from ybss.addresses.models import AddressChange, AddressNode, Kind, Road, Status
from ybss.core.errors import ActionError
from ybss.divisions.models import Division

pytestmark = pytest.mark.django_db


def test_full_text_and_code_of_a_room(building: AddressNode) -> None:
    unit = actions.create_node(None, Kind.UNIT, "二单元", parent=building)
    room = actions.create_node(None, Kind.ROOM, "502室", parent=unit)
    assert room.full_text == "河北省张家口市涿鹿县涿鹿镇鼓楼社区 轩辕路 18号 阳光小区 3栋 2单元 502室"
    assert room.code.startswith(building.code + "-")
    assert room.code.startswith("130731100002-")
    assert [a.name for a in room.ancestors()] == ["18号", "阳光小区", "3栋", "2单元"]
    assert room.element_class == 60
    assert AddressChange.objects.filter(node=room, action="create").count() == 1


@pytest.mark.parametrize("spelling", ["三栋", "3幢", "3#", "3号楼", "３栋"])
def test_building_spellings_are_one_building(building: AddressNode, spelling: str) -> None:
    compound = building.parent
    with pytest.raises(ActionError) as info:
        actions.create_node(None, Kind.BUILDING, spelling, parent=compound)
    assert info.value.field == "name"
    assert "重复" in info.value.message


def test_duplicate_door_plate_is_refused(community: Division, road: Road) -> None:
    actions.create_node(None, Kind.DOORPLATE, "18号", division=community, road=road)
    with pytest.raises(ActionError, match="门牌号重复") as info:
        actions.create_node(None, Kind.DOORPLATE, "十八号", division=community, road=road)
    assert info.value.field == "name"
    assert AddressNode.objects.filter(road=road).count() == 1


def test_village_house_hangs_under_a_group(village: Division) -> None:
    group = actions.create_node(None, Kind.GROUP, "五组", division=village)
    plate = actions.create_node(None, Kind.DOORPLATE, "6", parent=group)
    assert plate.full_text == "河北省张家口市涿鹿县涿鹿镇西头堡村 5组 6号"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": Kind.ROOM, "name": "101"}, "parent"),
        ({"kind": Kind.DOORPLATE, "name": "1"}, "road"),
        ({"kind": "castle", "name": "1"}, "kind"),
        ({"kind": Kind.COMPOUND, "name": ""}, "name"),
        ({"kind": Kind.COMPOUND, "name": "<b>花园</b>"}, "name"),
        ({"kind": Kind.COMPOUND, "name": "a'; DELETE FROM x;--"}, "name"),
        ({"kind": Kind.COMPOUND, "name": "花\x07园"}, "name"),
    ],
)
def test_bad_input_names_the_field(community: Division, kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ActionError) as info:
        actions.create_node(None, division=community, **kwargs)
    assert info.value.field == field
    assert not AddressNode.objects.exists()


def test_code_from_another_county_is_refused() -> None:
    from ybss.divisions.loading import load_divisions

    load_divisions("130722100")
    other = Division.objects.filter(code__startswith="130722100", level=5).first()
    assert other is not None
    with pytest.raises(ActionError, match="不在本系统的辖区") as info:
        actions.create_node(None, Kind.COMPOUND, "阳光小区", division=other)
    assert info.value.field == "division"


def test_rooms_from_a_pattern(building: AddressNode) -> None:
    rooms = actions.batch_create_rooms(
        None, building, actions.RoomPattern(floors=6, units=2, rooms_per_floor=2)
    )
    assert len(rooms) == 24
    units = AddressNode.objects.filter(parent=building, kind=Kind.UNIT).order_by("code")
    assert [u.name for u in units] == ["1单元", "2单元"]
    numbers = list(
        AddressNode.objects.filter(parent=units[1]).order_by("code").values_list("name", flat=True)
    )
    assert numbers[0] == "101室" and numbers[-1] == "602室" and len(numbers) == 12
    assert AddressChange.objects.filter(node=building, action="batch_create").count() == 1


def test_pattern_colliding_with_an_existing_room_creates_nothing(building: AddressNode) -> None:
    unit = actions.create_node(None, Kind.UNIT, "2", parent=building)
    actions.create_node(None, Kind.ROOM, "302", parent=unit)
    before = AddressNode.objects.count()
    with pytest.raises(ActionError, match="2单元302室"):
        actions.batch_create_rooms(None, building, actions.RoomPattern(floors=6, units=2, rooms_per_floor=2))
    assert AddressNode.objects.count() == before


def test_pattern_of_100000_rooms_is_refused(building: AddressNode) -> None:
    with pytest.raises(ActionError, match="超过单次上限") as info:
        actions.batch_create_rooms(
            None, building, actions.RoomPattern(floors=99, units=30, rooms_per_floor=34)
        )
    assert info.value.field == "floors"
    assert not AddressNode.objects.filter(kind=Kind.ROOM).exists()


def test_rename_rewrites_the_subtree_text(building: AddressNode) -> None:
    actions.batch_create_rooms(None, building, actions.RoomPattern(floors=2, units=1, rooms_per_floor=1))
    compound = building.parent
    assert compound is not None
    actions.rename_node(None, compound, "锦绣家园")
    room = AddressNode.objects.get(parent__parent=building, name="201室")
    assert "锦绣家园 3栋 1单元 201室" in room.full_text
    assert "阳光小区" not in room.full_text
    assert AddressNode.objects.search("锦绣家园 201").get() == room


def test_road_rename_reaches_rooms(building: AddressNode, road: Road) -> None:
    actions.batch_create_rooms(None, building, actions.RoomPattern(floors=1, units=0, rooms_per_floor=1))
    actions.rename_road(None, road, "黄帝大街")
    room = AddressNode.objects.get(kind=Kind.ROOM)
    assert " 黄帝大街 18号 " in room.full_text


def test_merge_moves_children_and_keeps_the_source(community: Division, road: Road) -> None:
    a = actions.create_node(None, Kind.DOORPLATE, "20", division=community, road=road)
    b = actions.create_node(None, Kind.DOORPLATE, "22", division=community, road=road)
    building = actions.create_node(None, Kind.BUILDING, "1", parent=a)
    actions.batch_create_rooms(None, building, actions.RoomPattern(floors=2, units=0, rooms_per_floor=2))
    actions.merge_nodes(None, a, b)
    a.refresh_from_db()
    building.refresh_from_db()
    assert a.status == Status.MERGED and a.merged_into == b
    assert building.parent == b and building.code.startswith(b.code + "-")
    rooms = AddressNode.objects.filter(parent=building)
    assert rooms.count() == 4
    assert all(r.code.startswith(building.code + "-") and "22号" in r.full_text for r in rooms)


def test_merge_with_clashing_children_is_refused(community: Division, road: Road) -> None:
    a = actions.create_node(None, Kind.DOORPLATE, "20", division=community, road=road)
    b = actions.create_node(None, Kind.DOORPLATE, "22", division=community, road=road)
    actions.create_node(None, Kind.BUILDING, "1", parent=a)
    actions.create_node(None, Kind.BUILDING, "1", parent=b)
    with pytest.raises(ActionError, match="请先合并"):
        actions.merge_nodes(None, a, b)
    a.refresh_from_db()
    assert a.status == Status.IN_USE


def test_demolish_marks_the_subtree_and_frees_the_number(building: AddressNode) -> None:
    actions.batch_create_rooms(None, building, actions.RoomPattern(floors=2, units=1, rooms_per_floor=2))
    count = actions.demolish_node(None, building, "旧城改造")
    assert count == 1 + 1 + 4
    assert AddressNode.objects.filter(code__startswith=building.code, status=Status.IN_USE).count() == 0
    rebuilt = actions.create_node(None, Kind.BUILDING, "3", parent=building.parent)
    assert rebuilt.pk != building.pk


def test_search_within_a_prefix(building: AddressNode, village: Division) -> None:
    group = actions.create_node(None, Kind.GROUP, "3", division=village)
    actions.create_node(None, Kind.DOORPLATE, "3", parent=group)
    assert AddressNode.objects.search("阳光小区 三栋").get() == building
    assert AddressNode.objects.within(village.code).search("阳光小区").count() == 0
    assert AddressNode.objects.within(building.code).count() == 1
