from typing import Any

import pytest
from django.test import Client

from tests.access.conftest import IDS
from ybss.addresses import actions as address_actions
from ybss.addresses.models import AddressNode
from ybss.audit.models import Action, AuditEvent
from ybss.people.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def room(building: AddressNode) -> AddressNode:
    return address_actions.batch_create_rooms(None, building, address_actions.RoomPattern(1, 0, 1))[0]


def _post(client: Client, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data, content_type="application/json")


def test_register_list_full_and_update(alice_client: Client, room: AddressNode) -> None:
    r = _post(
        alice_client,
        "/api/v1/people/",
        {
            "name": "张伟",
            "id_number": IDS[0],
            "phone": "13812345678",
            "address": room.code,
            "valid_from": "2024-01-01",
            "relation": "02",
        },
    )
    assert r.status_code == 201, r.content
    person = r.json()
    assert person["id_number"] == "130731********1231" and person["phone"] == "138****5678"
    assert person["completeness"]["residence"] and not person["completeness"]["photo"]
    listed = alice_client.get("/api/v1/people/", {"q": "13812345678"}).json()
    assert [p["name"] for p in listed["results"]] == ["张伟"] and IDS[0] not in str(listed)
    assert (
        _post(alice_client, f"/api/v1/people/{person['id']}/full/", {"reason": "verify"}).status_code == 400
    )
    full = _post(
        alice_client, f"/api/v1/people/{person['id']}/full/", {"reason": "verify", "reason_text": "核查"}
    )
    assert full.json()["id_number"] == IDS[0] and full.json()["residences"][0]["address"] == room.code
    assert AuditEvent.objects.filter(action=Action.VIEW_FULL).count() == 1
    body = {"name": "张卫", "id_number": IDS[0], "version": 1}
    assert (
        alice_client.put(f"/api/v1/people/{person['id']}/", body, content_type="application/json").status_code
        == 200
    )
    stale = alice_client.put(f"/api/v1/people/{person['id']}/", body, content_type="application/json")
    assert stale.status_code == 400 and "version" in stale.json()


def test_api_bad_input_and_scope(alice_client: Client, carol_client: Client, room: AddressNode) -> None:
    bad = IDS[0][:-1] + ("0" if IDS[0][-1] != "0" else "1")
    r = _post(alice_client, "/api/v1/people/", {"name": "张伟", "id_number": bad})
    assert r.status_code == 400 and "id_number" in r.json()
    r = _post(carol_client, "/api/v1/people/", {"name": "张伟", "id_number": IDS[0], "address": room.code})
    assert r.status_code == 400 and r.json() == {"address": ["找不到该地址。"]}
    assert not Person.objects.exists()
    person = _post(
        alice_client,
        "/api/v1/people/",
        {"name": "张伟", "id_number": IDS[0], "address": room.code, "valid_from": "2024-01-01"},
    ).json()
    assert carol_client.get(f"/api/v1/people/{person['id']}/").status_code == 404
    moved = _post(alice_client, f"/api/v1/people/{person['id']}/move-out/", {"valid_to": "2025-01-01"})
    assert moved.status_code == 200 and moved.json()["residence_code"] == ""


def test_masked_records_carry_no_birth_date_the_full_record_does(
    alice_client: Client, room: AddressNode
) -> None:
    """A masked ID keeps the division and the last four characters; the eight digits it
    hides are the birth date, so a masked record showing that would show the number."""
    born = IDS[0][6:14]
    person = _post(
        alice_client,
        "/api/v1/people/",
        {"name": "张伟", "id_number": IDS[0], "address": room.code, "valid_from": "2024-01-01"},
    ).json()
    listed = alice_client.get("/api/v1/people/").json()["results"]
    one = alice_client.get(f"/api/v1/people/{person['id']}/").json()
    for record in (person, listed[0], one):
        assert "birth_date" not in record
        text = str(record)
        assert born not in text and f"{born[:4]}-{born[4:6]}-{born[6:]}" not in text
    full = _post(
        alice_client, f"/api/v1/people/{person['id']}/full/", {"reason": "verify", "reason_text": "核查"}
    ).json()
    assert full["birth_date"] == f"{born[:4]}-{born[4:6]}-{born[6:]}" and full["id_number"] == IDS[0]
