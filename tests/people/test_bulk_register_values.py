"""bulk_register writes what register_person writes, without building a model instance per row."""

from __future__ import annotations

import pickle
from datetime import date
from typing import Any

import pytest

from tests.access.conftest import IDS
from ybss.access import crypto
from ybss.addresses import actions as address_actions
from ybss.addresses.models import AddressNode, Status
from ybss.audit.models import AuditEvent
from ybss.core.errors import ActionError
from ybss.lib.fieldcrypt import generate_index_key_string
from ybss.people import actions
from ybss.people.actions import MoveIn, PersonInput
from ybss.people.models import ID_NUMBER, PHONE, Person, PersonVersion, Residence

pytestmark = pytest.mark.django_db


@pytest.fixture
def rooms(building: AddressNode) -> list[AddressNode]:
    return address_actions.batch_create_rooms(None, building, address_actions.RoomPattern(2, 0, 2))


def _rows(rooms: list[AddressNode]) -> list[tuple[PersonInput, MoveIn | None]]:
    return [
        (
            PersonInput(name="张伟", id_number=IDS[0], phone="13812345678", domicile_division="130731100"),
            MoveIn(rooms[0], date(2024, 3, 1), kind="rented", relation="02", permit_number="P" * 40),
        ),
        (PersonInput(name="李娜", id_number=IDS[1], former_names=["李娜娜"]), None),
        (
            PersonInput(name="SMITH JOHN", id_number="E1234567", doc_type="passport", nationality="usa"),
            MoveIn(rooms[1], date(2023, 5, 6), kind="owned"),
        ),
    ]


def test_stored_values_match_register_person(rooms: list[AddressNode]) -> None:
    made = actions.bulk_register(None, _rows(rooms))
    single = actions.register_person(
        None,
        PersonInput(name="王芳", id_number=IDS[2], phone="13900001111", domicile_division="130731100"),
        move_in=MoveIn(rooms[2], date(2024, 3, 1)),
    )
    first, second, third = (Person.objects.get(pk=p.pk) for p in made)
    ring = crypto.keyring()
    # Tokens decrypt, and the indexes are the ones lookups compute.
    assert first.id_number == IDS[0] and first.phone == "13812345678"
    assert first.id_number_index == ring.blind_index(IDS[0], ID_NUMBER.context)
    assert first.phone_index == crypto.index_values(PHONE, "13812345678")[0]
    assert third.id_number_index == ring.blind_index("passport:E1234567", ID_NUMBER.context)
    assert actions.find_by_id_number("passport", "E1234567") == third
    assert second.phone_enc == "" and second.phone_index == "" and second.former_names == ["李娜娜"]
    assert third.nationality == "USA" and third.gender == "0"
    # The same columns filled the same way as a single registration.
    assert first.residence_code == rooms[0].code and first.domicile_code == "130731100"
    assert second.residence_code == "" and second.domicile_code == ""
    for person in (first, second, third, single):
        assert person.version == 1 and person.last_confirmed == date.today()
        assert person.created_at is not None and person.updated_at is not None
    residence = Residence.objects.get(person=first)
    assert residence.permit_number == "P" * 30 and residence.is_main and residence.valid_to is None
    assert residence.kind == "rented" and residence.relation == "02"
    version = PersonVersion.objects.get(person=first)
    assert version.version == 1 and version.action == "create" and version.actor_name == "系统"
    assert "phone" in version.changes["fields"] and "id15" not in version.changes["fields"]
    assert PersonVersion.objects.get(person=second).changes["fields"] != version.changes["fields"]
    # The same fields filled as the single registration, named the same way (sorted).
    assert version.changes["fields"] == PersonVersion.objects.get(person=single).changes["fields"]


def test_the_returned_people_are_the_stored_people(rooms: list[AddressNode]) -> None:
    made = actions.bulk_register(None, _rows(rooms))
    stored = list(Person.objects.filter(pk__in=[p.pk for p in made]).order_by("pk"))
    assert len(made) == 3 and made == stored and list(made) == stored
    assert made[-1] == stored[-1] and made[1:] == stored[1:]
    with pytest.raises(IndexError):
        made[3]
    first = made[0]
    assert not first._state.adding and first.domicile_division_id == "130731100"
    assert first.name == "张伟" and first.former_names == [] and made[1].former_names == ["李娜娜"]
    assert first.id_number == IDS[0] and first.phone == "13812345678"
    assert first.created_at == stored[0].created_at and first.last_confirmed == stored[0].last_confirmed
    assert first.current_residence().address == rooms[0]  # type: ignore[union-attr]


def test_one_audit_event_names_everyone(rooms: list[AddressNode]) -> None:
    before = AuditEvent.objects.count()
    made = actions.bulk_register(None, _rows(rooms))
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None and event.extra == {"bulk": 3, "residences": 2}
    expected = {f"person:{p.pk}" for p in made} | {f"address:{rooms[0].code}", f"address:{rooms[1].code}"}
    assert set(event.targets) == expected


def test_given_indexes_are_used_and_checked(rooms: list[AddressNode]) -> None:
    rows = _rows(rooms)
    with pytest.raises(ValueError):
        actions.bulk_register(None, rows, id_indexes=[("x",)])
    indexes = [crypto.index_values(ID_NUMBER, actions.index_key(d.doc_type, d.id_number)) for d, _ in rows]
    made = actions.bulk_register(None, rows, id_indexes=indexes)
    assert [Person.objects.get(pk=p.pk).id_number_index for p in made] == [i[0] for i in indexes]


def test_a_registered_number_is_refused_naming_its_row(rooms: list[AddressNode]) -> None:
    actions.register_person(None, PersonInput(name="王芳", id_number=IDS[1]))
    with pytest.raises(ActionError) as caught:
        actions.bulk_register(None, _rows(rooms))
    assert caught.value.message.startswith("第 2 条：") and caught.value.code == "duplicate"
    assert Person.objects.count() == 1 and not Residence.objects.exists()


def test_prepared_people_cross_a_pickle_and_write_what_bulk_register_writes(rooms: list[AddressNode]) -> None:
    prepared = actions.prepare_registrations(None, _rows(rooms))
    assert not Person.objects.exists()  # preparing writes nothing
    crossed = pickle.loads(pickle.dumps(prepared))  # noqa: S301 - our own bytes
    # Plain values only: the addresses travel as their ids, the number and phone already sealed.
    assert crossed[0].residence[0] == rooms[0].pk and crossed[1].residence is None
    assert IDS[0] not in repr(crossed) and "13812345678" not in repr(crossed)
    made = actions.write_registrations(None, crossed)
    first = Person.objects.get(pk=made[0].pk)
    assert first.id_number == IDS[0] and first.phone == "13812345678"
    assert first.residence_code == rooms[0].code
    assert Residence.objects.get(person=first).address == rooms[0]


def test_an_address_gone_out_of_use_after_preparing_is_refused_naming_its_row(
    rooms: list[AddressNode],
) -> None:
    prepared = actions.prepare_registrations(None, _rows(rooms))
    AddressNode.objects.filter(pk=rooms[1].pk).update(status=Status.DEMOLISHED)
    with pytest.raises(ActionError) as caught:
        actions.write_registrations(None, prepared)
    assert caught.value.message.startswith("第 3 条：") and caught.value.field == "address"
    assert not Person.objects.exists() and not Residence.objects.exists()


def test_an_address_renumbered_after_preparing_is_written_with_its_new_code(rooms: list[AddressNode]) -> None:
    prepared = actions.prepare_registrations(None, _rows(rooms))
    AddressNode.objects.filter(pk=rooms[0].pk).update(code=rooms[0].code + "9")
    made = actions.write_registrations(None, prepared)
    assert Person.objects.get(pk=made[0].pk).residence_code == rooms[0].code + "9"


def test_a_number_registered_after_preparing_is_refused_naming_its_row(rooms: list[AddressNode]) -> None:
    prepared = actions.prepare_registrations(None, _rows(rooms))
    actions.register_person(None, PersonInput(name="某某", id_number="E1234567", doc_type="passport"))
    with pytest.raises(ActionError) as caught:
        actions.write_registrations(None, prepared)
    assert caught.value.message.startswith("第 3 条：") and caught.value.code == "duplicate"
    assert Person.objects.count() == 1


def test_writing_the_same_prepared_person_twice_in_one_batch_is_refused(rooms: list[AddressNode]) -> None:
    prepared = actions.prepare_registrations(None, _rows(rooms))
    with pytest.raises(ActionError) as caught:
        actions.write_registrations(None, [*prepared, prepared[0]])
    assert caught.value.message.startswith("第 4 条：证件号码与第 1 条重复")
    assert not Person.objects.exists()


def test_a_number_registered_under_the_old_index_key_is_refused_while_keys_rotate(
    rooms: list[AddressNode], settings: Any
) -> None:
    # The unique index only sees the current key's index: a number stored under the
    # previous one must be found by looking every index up.
    actions.register_person(None, PersonInput(name="王芳", id_number=IDS[1]))
    settings.YBSS_INDEX_KEY = f"{generate_index_key_string()},{settings.YBSS_INDEX_KEY}"
    with pytest.raises(ActionError) as caught:
        actions.bulk_register(None, _rows(rooms))
    assert caught.value.message.startswith("第 2 条：") and caught.value.code == "duplicate"
    assert Person.objects.count() == 1
