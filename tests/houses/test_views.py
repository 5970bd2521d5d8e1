from datetime import date

import pytest
from django.test import Client

from ybss.addresses.models import AddressNode
from ybss.houses import actions
from ybss.houses.models import House, Tenancy
from ybss.people.models import Person

pytestmark = pytest.mark.django_db


def test_address_without_house_shows_the_create_form(alice_client: Client, room: AddressNode) -> None:
    r = alice_client.get(f"/houses/at/{room.pk}/")
    body = r.content.decode()
    assert r.status_code == 200 and "该地址尚未登记房屋" in body and f"/houses/at/{room.pk}/new/" in body


def test_building_gets_no_create_form(alice_client: Client, building: AddressNode) -> None:
    r = alice_client.get(f"/houses/at/{building.pk}/")
    assert r.status_code == 200 and "/new/" not in r.content.decode()
    r = alice_client.post(f"/houses/at/{building.pk}/new/", {"use": "self"})
    assert r.status_code == 400 and "户室" in r.content.decode()


def test_create_edit_and_show_a_house(alice_client: Client, room: AddressNode, zhang: Person) -> None:
    r = alice_client.post(
        f"/houses/at/{room.pk}/new/",
        {"use": "rented", "structure": "rc", "floor_area": "86.5", "owner_person": zhang.pk},
    )
    assert r.status_code == 302 and r["Location"] == f"/houses/at/{room.pk}/"
    house = House.objects.get()
    body = alice_client.get(f"/houses/at/{room.pk}/").content.decode()
    assert "出租" in body and "86.50" in body and "张伟" in body
    edit = alice_client.get(f"/houses/{house.pk}/edit/").content.decode()
    assert 'name="version" value="1"' in edit
    data = {"use": "self", "version": 1, "owner_person": zhang.pk}
    assert alice_client.post(f"/houses/{house.pk}/edit/", data).status_code == 302
    r = alice_client.post(f"/houses/{house.pk}/edit/", {**data, "use": "vacant"})
    assert r.status_code == 400 and "该记录已被他人修改，请刷新后重试。" in r.content.decode()
    r = alice_client.post(f"/houses/{house.pk}/edit/", {"use": "self", "version": 2, "floor_area": "20000"})
    assert r.status_code == 400 and "建筑面积" in r.content.decode()


def test_tenancy_pages(alice_client: Client, room: AddressNode, zhang: Person, li: Person) -> None:
    house = actions.create_house(None, room, use="rented")
    r = alice_client.post(
        f"/houses/{house.pk}/tenancies/new/",
        {
            "tenants": f"{li.pk}",
            "landlord": zhang.pk,
            "valid_from": "2024-01-01",
            "registration_number": "ZL-1",
        },
    )
    assert r.status_code == 302
    tenancy = Tenancy.objects.get()
    body = alice_client.get(f"/houses/at/{room.pk}/").content.decode()
    assert "李娜" in body and "ZL-1" in body and "未签" in body
    r = alice_client.post(
        f"/houses/{house.pk}/tenancies/new/", {"tenants": "abc", "valid_from": "2024-01-01"}
    )
    assert r.status_code == 400
    r = alice_client.post(f"/houses/tenancies/{tenancy.pk}/end/", {"valid_to": "2023-01-01", "version": 1})
    assert r.status_code == 400 and "止租日期不能早于起租日期" in r.content.decode()
    r = alice_client.post(f"/houses/tenancies/{tenancy.pk}/end/", {"valid_to": "2024-06-30", "version": 1})
    assert r.status_code == 302
    tenancy.refresh_from_db()
    assert tenancy.valid_to == date(2024, 6, 30)


def test_scoping_of_house_pages(
    carol_client: Client, bob_client: Client, room: AddressNode, li: Person
) -> None:
    house = actions.create_house(None, room, use="rented")
    assert carol_client.get(f"/houses/at/{room.pk}/").status_code == 404
    assert carol_client.get(f"/houses/{house.pk}/edit/").status_code == 404
    assert (
        carol_client.get(f"/houses/at/{room.pk}/").content == carol_client.get("/houses/at/999999/").content
    )
    assert bob_client.get(f"/houses/at/{room.pk}/").status_code == 200
    assert bob_client.post(f"/houses/{house.pk}/edit/", {"use": "self", "version": 1}).status_code == 403


def test_quality_page_lists_scoped_findings(
    alice_client: Client, carol_client: Client, room: AddressNode, li: Person
) -> None:
    actions.create_house(None, room, use="rented")
    assert room.full_text in alice_client.get("/houses/quality/").content.decode()
    assert room.full_text not in carol_client.get("/houses/quality/").content.decode()
