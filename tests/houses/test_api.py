import pytest
from django.test import Client

from ybss.addresses import actions as address_actions
from ybss.addresses.models import AddressNode
from ybss.houses.models import House
from ybss.people.models import Person

pytestmark = pytest.mark.django_db


def test_create_update_and_tenancies(
    alice_client: Client, room: AddressNode, zhang: Person, li: Person
) -> None:
    r = alice_client.post(
        "/api/v1/houses/",
        {"address": room.pk, "use": "rented", "floor_area": "60.00", "owner_person": zhang.pk},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    house = r.json()
    assert house["version"] == 1 and house["address_code"] == room.code
    url = f"/api/v1/houses/{house['id']}/"
    r = alice_client.patch(url, {"use": "self"}, content_type="application/json")
    assert r.status_code == 400 and "version" in r.json()
    r = alice_client.patch(url, {"use": "business", "version": 1}, content_type="application/json")
    assert r.status_code == 200 and r.json()["version"] == 2
    r = alice_client.patch(url, {"use": "vacant", "version": 1}, content_type="application/json")
    assert r.status_code == 400 and r.json() == {"version": ["该记录已被他人修改，请刷新后重试。"]}
    r = alice_client.post(
        url + "tenancies/",
        {"tenants": [li.pk], "landlord": zhang.pk, "valid_from": "2024-01-01"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["tenants"] == [li.pk]
    assert len(alice_client.get(url + "tenancies/").json()) == 1


def test_api_refuses_bad_address_and_area(
    alice_client: Client, building: AddressNode, room: AddressNode
) -> None:
    r = alice_client.post(
        "/api/v1/houses/", {"address": building.pk, "use": "self"}, content_type="application/json"
    )
    assert r.status_code == 400 and "address" in r.json()
    r = alice_client.post(
        "/api/v1/houses/",
        {"address": room.pk, "use": "self", "floor_area": "0"},
        content_type="application/json",
    )
    assert r.status_code == 400 and "floor_area" in r.json()
    assert not House.objects.exists()


def test_api_tenancy_on_demolished_address(alice_client: Client, room: AddressNode, li: Person) -> None:
    r = alice_client.post(
        "/api/v1/houses/", {"address": room.pk, "use": "rented"}, content_type="application/json"
    )
    address_actions.demolish_node(None, room)
    r = alice_client.post(
        f"/api/v1/houses/{r.json()['id']}/tenancies/",
        {"tenants": [li.pk], "valid_from": "2024-01-01"},
        content_type="application/json",
    )
    assert r.status_code == 400 and "拆除" in r.json()["house"][0]


def test_api_scoping(
    alice_client: Client, carol_client: Client, bob_client: Client, room: AddressNode
) -> None:
    r = alice_client.post(
        "/api/v1/houses/", {"address": room.pk, "use": "rented"}, content_type="application/json"
    )
    pk = r.json()["id"]
    assert carol_client.get(f"/api/v1/houses/{pk}/").status_code == 404
    assert carol_client.get("/api/v1/houses/").json()["count"] == 0
    assert bob_client.get(f"/api/v1/houses/{pk}/").status_code == 200
    r = bob_client.patch(
        f"/api/v1/houses/{pk}/", {"use": "self", "version": 1}, content_type="application/json"
    )
    assert r.status_code == 403
    r = carol_client.post(
        "/api/v1/houses/", {"address": room.pk, "use": "self"}, content_type="application/json"
    )
    assert r.status_code == 400 and r.json() == {"address": ["找不到该地址。"]}
