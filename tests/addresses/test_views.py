from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ybss.addresses import actions
from ybss.addresses.models import AddressNode, Kind

pytestmark = pytest.mark.django_db


def test_pages_need_login(client: Client) -> None:
    response = client.get(reverse("addresses:division", args=["130731"]))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_browse_from_county_to_room(alice_client: Client, building: AddressNode) -> None:
    actions.batch_create_rooms(None, building, actions.RoomPattern(floors=1, units=1, rooms_per_floor=1))
    room = AddressNode.objects.get(kind=Kind.ROOM)
    # A station administrator starts at the station's town; the county above is a way in.
    start = alice_client.get("/addresses/").url  # type: ignore[attr-defined]
    assert start == "/addresses/d/130731100/"
    page = alice_client.get("/addresses/d/130731/").content.decode()
    assert "涿鹿镇" in page and "张家堡镇" not in page
    page = alice_client.get("/addresses/d/130731100002/").content.decode()
    assert "轩辕路" in page and "18号" in page
    page = alice_client.get(reverse("addresses:node", args=[room.pk])).content.decode()
    assert room.full_text in page
    assert "阳光小区" in page


def test_list_page_query_count_does_not_grow_with_rows(
    alice_client: Client, community: Any, road: Any
) -> None:
    url = reverse("addresses:division", args=[community.code])
    actions.create_node(None, Kind.DOORPLATE, "1", division=community, road=road)
    alice_client.get(url)  # the first request also loads the user's scope into the cache
    with CaptureQueriesContext(connection) as few:
        alice_client.get(url)
    for n in range(2, 30):
        actions.create_node(None, Kind.DOORPLATE, str(n), division=community, road=road)
    with CaptureQueriesContext(connection) as many:
        alice_client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_create_building_and_rooms_through_the_pages(alice_client: Client, building: AddressNode) -> None:
    compound = building.parent
    assert compound is not None
    response = alice_client.post(
        reverse("addresses:child_create", args=[compound.pk]), {"kind": "building", "name": "5号楼"}
    )
    assert response.status_code == 302
    new = AddressNode.objects.get(parent=compound, norm_key="5")
    response = alice_client.post(
        reverse("addresses:rooms_create", args=[new.pk]),
        {"floors": 6, "units": 2, "rooms_per_floor": 2, "first_floor": 1},
    )
    assert response.status_code == 302
    assert AddressNode.objects.within(new.code).filter(kind=Kind.ROOM).count() == 24
    page = alice_client.get(reverse("addresses:search"), {"q": "阳光小区 5栋 602"}).content.decode()
    assert "5栋 2单元 602室" in page


def test_form_errors_are_chinese_and_name_the_field(alice_client: Client, building: AddressNode) -> None:
    compound = building.parent
    assert compound is not None
    response = alice_client.post(
        reverse("addresses:child_create", args=[compound.pk]), {"kind": "building", "name": "三号楼"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "号码或名称：楼栋号重复" in body
    response = alice_client.post(
        reverse("addresses:rooms_create", args=[building.pk]),
        {"floors": 99, "units": 30, "rooms_per_floor": 40, "first_floor": 1},
    )
    assert response.status_code == 400
    assert "超过单次上限" in response.content.decode()
    assert not AddressNode.objects.filter(kind=Kind.ROOM).exists()


def test_hostile_name_is_escaped_nowhere_because_it_is_refused(alice_client: Client, community: Any) -> None:
    response = alice_client.post(
        reverse("addresses:node_create", args=[community.code]),
        {"kind": "compound", "name": "<img src=x onerror=alert(1)>"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "不允许的字符" in body
    assert "<img src=x" not in body


def test_reader_cannot_write(bob_client: Client, community: Any) -> None:
    response = bob_client.post(
        reverse("addresses:node_create", args=[community.code]), {"kind": "compound", "name": "阳光小区"}
    )
    assert response.status_code == 403
    assert not AddressNode.objects.exists()
    assert bob_client.get(reverse("addresses:division", args=[community.code])).status_code == 200


def test_rename_merge_and_demolish_pages(alice_client: Client, building: AddressNode) -> None:
    compound = building.parent
    assert compound is not None
    other = actions.create_node(None, Kind.BUILDING, "4", parent=compound)
    assert (
        alice_client.post(reverse("addresses:node_rename", args=[other.pk]), {"name": "4幢"}).status_code
        == 302
    )
    response = alice_client.post(reverse("addresses:node_merge", args=[other.pk]), {"target_code": "nope"})
    assert response.status_code == 400 and "找不到该地址编码" in response.content.decode()
    response = alice_client.post(
        reverse("addresses:node_merge", args=[other.pk]), {"target_code": building.code}
    )
    assert response.status_code == 302
    response = alice_client.post(reverse("addresses:node_demolish", args=[building.pk]), {"reason": "改造"})
    assert response.status_code == 400  # the confirmation box was not ticked
    response = alice_client.post(
        reverse("addresses:node_demolish", args=[building.pk]), {"reason": "改造", "confirm": "on"}
    )
    assert response.status_code == 302
    building.refresh_from_db()
    assert building.status == "demolished"


def test_outside_the_region_is_not_found(alice_client: Client) -> None:
    assert alice_client.get("/addresses/d/130722/").status_code == 404


def test_search_box_accepts_a_whole_free_text_address(alice_client: Client, building: AddressNode) -> None:
    actions.batch_create_rooms(None, building, actions.RoomPattern(floors=6, units=2, rooms_per_floor=2))
    typed = "涿鹿县涿鹿镇轩辕路十八号阳光小区三栋二单元502室"
    page = alice_client.get(reverse("addresses:search"), {"q": typed}).content.decode()
    assert "按地址解析匹配到的标准地址" in page
    first = page.split('class="card matches"')[1].split("</li>")[0]
    assert "阳光小区 3栋 2单元 502室" in first
