from datetime import date
from typing import Any

import pytest
from django.test import Client

from tests.access.conftest import IDS
from ybss.addresses import actions as address_actions
from ybss.addresses.models import AddressNode
from ybss.audit.models import Action, AuditEvent
from ybss.people import actions
from ybss.people.actions import MoveIn, PersonInput
from ybss.people.models import Person

pytestmark = pytest.mark.django_db
PURPOSE = {"reason": "verify", "reason_text": "入户核查"}


@pytest.fixture
def rooms(building: AddressNode) -> list[AddressNode]:
    return address_actions.batch_create_rooms(None, building, address_actions.RoomPattern(2, 0, 2))


def _move_in_post(**extra: Any) -> dict[str, Any]:
    return {
        "name": "张伟",
        "doc_type": "resident_id",
        "id_number": IDS[0],
        "nationality": "CHN",
        "valid_from": "2024-03-01",
        "kind": "rented",
        "relation": "02",
        "phone": "13812345678",
        **extra,
    }


def test_room_page_lists_residents_masked_and_offers_move_in(
    alice_client: Client, rooms: list[AddressNode]
) -> None:
    page = alice_client.get(f"/addresses/n/{rooms[0].pk}/").content.decode()
    assert "居住人员" in page and f"/people/move-in/{rooms[0].pk}/" in page
    response = alice_client.post(f"/people/move-in/{rooms[0].pk}/", _move_in_post())
    assert response.status_code == 302
    page = alice_client.get(f"/addresses/n/{rooms[0].pk}/").content.decode()
    assert "张伟" in page and "130731********1231" in page and "138****5678" in page and IDS[0] not in page


def test_move_in_form_errors_name_the_field(alice_client: Client, rooms: list[AddressNode]) -> None:
    bad = IDS[0][:-1] + ("0" if IDS[0][-1] != "0" else "1")
    response = alice_client.post(f"/people/move-in/{rooms[0].pk}/", _move_in_post(id_number=bad))
    assert response.status_code == 400
    assert "证件号码：" in response.content.decode()
    response = alice_client.post(f"/people/move-in/{rooms[0].pk}/", _move_in_post(gender="2"))
    assert response.status_code == 400 and "性别：" in response.content.decode()
    response = alice_client.post(f"/people/move-in/{rooms[0].pk}/", _move_in_post(name="<b>x</b>"))
    assert response.status_code == 400 and "不允许的字符" in response.content.decode()
    assert not Person.objects.exists()


def test_full_record_timeline_and_audit(alice_client: Client, rooms: list[AddressNode]) -> None:
    person = actions.register_person(
        None, PersonInput(name="张伟", id_number=IDS[0]), move_in=MoveIn(rooms[0], date(2024, 1, 1))
    )
    actions.relocate(None, person, MoveIn(rooms[1], date(2025, 1, 1)))
    assert IDS[0] not in alice_client.get(f"/people/{person.pk}/").content.decode()
    page = alice_client.post(f"/people/{person.pk}/", PURPOSE).content.decode()
    assert IDS[0] in page and "居住轨迹" in page
    assert page.index(rooms[1].full_text) < page.index(rooms[0].full_text)  # newest first
    assert AuditEvent.objects.filter(action=Action.VIEW_FULL, actor_name="alice").count() == 1


def test_search_by_phone_and_name_is_masked_and_scoped(
    alice_client: Client, carol_client: Client, rooms: list[AddressNode]
) -> None:
    actions.register_person(
        None,
        PersonInput(name="张伟", id_number=IDS[0], phone="13812345678"),
        move_in=MoveIn(rooms[0], date(2024, 1, 1)),
    )
    page = alice_client.post("/people/search/", {"q": "138 1234 5678"}).content.decode()
    assert "张伟" in page and "138****5678" in page and "13812345678" not in page
    assert "张伟" in alice_client.post("/people/search/", {"q": "张"}).content.decode()
    assert "张伟" not in carol_client.post("/people/search/", {"q": "张"}).content.decode()


def test_search_by_id_needs_purpose(alice_client: Client, rooms: list[AddressNode]) -> None:
    actions.register_person(
        None, PersonInput(name="张伟", id_number=IDS[0]), move_in=MoveIn(rooms[0], date(2024, 1, 1))
    )
    assert alice_client.post("/people/search/id/", {"id_number": IDS[0]}).status_code == 400
    page = alice_client.post("/people/search/id/", {"id_number": IDS[0], **PURPOSE}).content.decode()
    assert "张伟" in page and IDS[0] not in page
    assert AuditEvent.objects.filter(action=Action.SEARCH_ID).count() == 1


def test_move_out_and_edit_with_version(alice_client: Client, rooms: list[AddressNode]) -> None:
    person = actions.register_person(
        None, PersonInput(name="张伟", id_number=IDS[0]), move_in=MoveIn(rooms[0], date(2024, 1, 1))
    )
    form = {
        "name": "张卫",
        "doc_type": "resident_id",
        "id_number": IDS[0],
        "nationality": "CHN",
        "version": "1",
    }
    assert alice_client.post(f"/people/{person.pk}/edit/", form).status_code == 302
    stale = alice_client.post(f"/people/{person.pk}/edit/", {**form, "name": "张为"})
    assert stale.status_code == 400 and "已被他人修改" in stale.content.decode()
    assert alice_client.post(f"/people/{person.pk}/move-out/", {"valid_to": "2025-02-01"}).status_code == 302
    person.refresh_from_db()
    assert person.name == "张卫" and person.current_residence() is None


def test_person_search_keeps_names_and_phones_out_of_urls(alice_client: Client) -> None:
    page = alice_client.get("/people/search/").content.decode()
    assert '<form method="post" class="search">' in page
    assert alice_client.put("/people/search/").status_code == 405
