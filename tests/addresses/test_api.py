import re

import pytest
from django.test import Client

from ybss.addresses.models import AddressNode, Kind

pytestmark = pytest.mark.django_db


def test_api_needs_authentication(client: Client) -> None:
    # 401 with a WWW-Authenticate challenge: token clients learn to send "Bearer …".
    response = client.get("/api/v1/addresses/")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Bearer"


def test_create_road_plate_building_and_rooms(alice_client: Client) -> None:
    r = alice_client.post(
        "/api/v1/roads/", {"division": "130731100", "name": "迎宾路"}, content_type="application/json"
    )
    assert r.status_code == 201, r.content
    road = r.json()["id"]
    r = alice_client.post(
        "/api/v1/addresses/",
        {"kind": "doorplate", "name": "90", "division": "130731100002", "road": road},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    plate = r.json()
    assert plate["full_text"].endswith("迎宾路 90号")
    r = alice_client.post(
        "/api/v1/addresses/",
        {"kind": "building", "name": "1号楼", "parent": plate["id"]},
        content_type="application/json",
    )
    assert r.status_code == 201
    r = alice_client.post(
        f"/api/v1/addresses/{r.json()['id']}/rooms/",
        {"floors": 3, "units": 1, "rooms_per_floor": 2},
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["created"] == 6
    r = alice_client.get("/api/v1/addresses/", {"q": "迎宾路 302", "kind": "room"})
    assert [x["name"] for x in r.json()["results"]] == ["302室"]
    r = alice_client.get("/api/v1/addresses/", {"within": plate["code"]})
    assert r.json()["count"] == 1 + 1 + 1 + 6  # plate, building, unit, rooms


def test_api_errors_name_the_field(alice_client: Client, building: AddressNode) -> None:
    r = alice_client.post(
        "/api/v1/addresses/",
        {"kind": "building", "name": "3#", "parent": building.parent_id},
        content_type="application/json",
    )
    assert r.status_code == 400
    assert "重复" in r.json()["name"][0]
    r = alice_client.post(
        f"/api/v1/addresses/{building.pk}/rooms/",
        {"floors": 99, "units": 30, "rooms_per_floor": 99},
        content_type="application/json",
    )
    assert r.status_code == 400 and "超过单次上限" in r.json()["floors"][0]
    r = alice_client.post(
        "/api/v1/roads/", {"division": "130731100", "name": ""}, content_type="application/json"
    )
    assert r.status_code == 400 and "name" in r.json()
    assert not AddressNode.objects.filter(kind=Kind.ROOM).exists()


def test_reader_gets_403_on_writes(bob_client: Client) -> None:
    r = bob_client.post(
        "/api/v1/roads/", {"division": "130731100", "name": "迎宾路"}, content_type="application/json"
    )
    assert r.status_code == 403
    assert bob_client.get("/api/v1/divisions/", {"parent": "130731"}).json()["count"] == 17


def test_schema_and_docs_are_served_locally(alice_client: Client) -> None:
    schema = alice_client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/addresses/{id}/rooms/" in schema.content
    docs = alice_client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs
    # Only addresses count: the page also carries a random CSRF token, which may spell "cdn".
    assert "https://" not in docs and "http://" not in docs
    assert not re.search(r"(cdn|jsdelivr|unpkg)[\w.-]*\.(com|net|org|io)|//cdn", docs.lower())
    assert re.search(r'src="/static/[^"]*swagger-ui-bundle[^"]*\.js"', docs)
