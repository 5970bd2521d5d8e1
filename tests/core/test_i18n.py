import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext

from ybss.addresses.models import AddressNode, Road
from ybss.divisions.models import Division


def test_chinese_is_the_default_and_english_is_available() -> None:
    with translation.override("zh-hans"):
        assert gettext("搜索") == "搜索"
    with translation.override("en"):
        assert gettext("搜索") == "Search"
        assert gettext("户室") == "Room"


@pytest.mark.django_db
def test_language_switch_changes_the_pages(alice_client: Client) -> None:
    page = alice_client.get("/addresses/search/").content.decode()
    assert "退出" in page
    alice_client.post("/i18n/setlang/", {"language": "en", "next": "/addresses/search/"})
    page = alice_client.get("/addresses/search/").content.decode()
    assert "Log out" in page and 'lang="en"' in page


def _switch(client: Client, language: str) -> None:
    response = client.post("/i18n/setlang/", {"language": language, "next": "/addresses/search/"})
    assert response.status_code == 302


def test_counts_use_english_plurals() -> None:
    with translation.override("en"):
        one = ngettext("已生成 %(count)d 户。", "已生成 %(count)d 户。", 1) % {"count": 1}
        many = ngettext("已生成 %(count)d 户。", "已生成 %(count)d 户。", 24) % {"count": 24}
    assert (one, many) == ("Created 1 room.", "Created 24 rooms.")
    with translation.override("zh-hans"):
        assert (
            ngettext("已生成 %(count)d 户。", "已生成 %(count)d 户。", 24) % {"count": 24} == "已生成 24 户。"
        )


@pytest.mark.django_db
def test_division_page_in_english(alice_client: Client, community: Division, road: Road) -> None:
    _switch(alice_client, "en")
    page = alice_client.get(reverse("addresses:division", args=[community.code])).content.decode()
    assert "Roads (1)" in page and "轩辕路" in page
    assert "New road" in page and "New address" in page
    assert "Door plates, village groups and compounds" in page
    assert 'placeholder="Search addresses: road, door plate, compound, building, room"' in page
    assert "None yet" in page  # the empty list of door plates
    assert "街路巷（" not in page and "新建地址" not in page


@pytest.mark.django_db
def test_search_and_node_pages_in_english(alice_client: Client, building: AddressNode) -> None:
    _switch(alice_client, "en")
    page = alice_client.get(reverse("addresses:search"), {"q": "阳光小区 3栋"}).content.decode()
    assert "<h1>Search addresses</h1>" in page
    assert "Results for “阳光小区 3栋”" in page
    assert "<th>Address</th><th>Type</th><th>Code</th><th>Status</th>" in page
    assert building.full_text in page and "In use" in page

    page = alice_client.get(reverse("addresses:node", args=[building.pk])).content.decode()
    assert "<dt>Standard address</dt>" in page and building.full_text in page
    assert "New sub-address (Unit, Room)" in page
    assert "Generate rooms by pattern" in page
    assert "Change history" in page and "Sub-addresses" in page
    assert "按规则生成户室" not in page


@pytest.mark.django_db
def test_form_pages_and_messages_in_english(alice_client: Client, building: AddressNode) -> None:
    _switch(alice_client, "en")
    url = reverse("addresses:node_merge", args=[building.pk])
    response = alice_client.post(url, {"target_code": "nope"})
    page = response.content.decode()
    assert response.status_code == 400
    assert f"<h1>Merge: {building.full_text}</h1>" in page
    assert 'role="alert">Merge into (code of the address to keep): No address has this code.</p>' in page
    assert "Submit" in page and "Back" in page

    response = alice_client.post(reverse("addresses:rooms_create", args=[building.pk]), {"units": 2})
    assert "Floors: This field is required." in response.content.decode()

    response = alice_client.post(
        reverse("addresses:rooms_create", args=[building.pk]),
        {"floors": 6, "units": 2, "rooms_per_floor": 2, "first_floor": 1},
        follow=True,
    )
    assert "Created 24 rooms." in response.content.decode()


@pytest.mark.django_db
def test_chinese_pages_stay_chinese(alice_client: Client, community: Division, building: AddressNode) -> None:
    _switch(alice_client, "zh-hans")
    page = alice_client.get(reverse("addresses:division", args=[community.code])).content.decode()
    assert "街路巷（1）" in page and "新建街路巷" in page and "门牌、村民小组与小区" in page
    assert "Roads" not in page and "New road" not in page

    page = alice_client.get(reverse("addresses:node", args=[building.pk])).content.decode()
    assert "新建下级（单元、户室）" in page and "按规则生成户室" in page and "<dt>标准地址</dt>" in page

    page = alice_client.post(
        reverse("addresses:node_merge", args=[building.pk]), {"target_code": "nope"}
    ).content.decode()
    assert f"<h1>合并：{building.full_text}</h1>" in page
    assert 'role="alert">合并到（保留的地址编码）：找不到该地址编码。</p>' in page

    response = alice_client.post(
        reverse("addresses:rooms_create", args=[building.pk]),
        {"floors": 6, "units": 2, "rooms_per_floor": 2, "first_floor": 1},
        follow=True,
    )
    assert "已生成 24 户。" in response.content.decode()
