"""ybss.people.actions.bulk_register: the checks of register_person, for a whole batch."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.access.conftest import IDS
from tests.conftest import OTHER_TOWN, make_user
from tests.rundates import TOMORROW, at_run_time
from ybss.access.roles import Role
from ybss.addresses import actions as address_actions
from ybss.addresses.models import AddressNode
from ybss.audit.models import AuditEvent
from ybss.core.errors import ActionError
from ybss.lib.idcard import check_char
from ybss.people import actions
from ybss.people.actions import MoveIn, PersonInput
from ybss.people.models import Person, PersonVersion, Residence

pytestmark = pytest.mark.django_db


def _id(birth: str, seq: str, county: str = "130731") -> str:
    base = county + birth + seq
    return base + check_char(base)


WIFE = _id("19670812", "124", "132530")


@pytest.fixture
def rooms(building: AddressNode) -> list[AddressNode]:
    return address_actions.batch_create_rooms(None, building, address_actions.RoomPattern(2, 0, 2))


def _family(room: AddressNode) -> list[tuple[PersonInput, MoveIn | None]]:
    return [
        (
            PersonInput(
                name="王建国", id_number=_id("19650304", "123"), gender="1", domicile_division="130731100"
            ),
            MoveIn(room, date(2001, 5, 1), relation="02"),
        ),
        (
            PersonInput(name="李秀英", id_number=WIFE, phone="13812345678"),
            MoveIn(room, date(2001, 5, 1), relation="10"),
        ),
        (
            PersonInput(name="王磊", id_number=_id("19920101", "135"), domicile_division="132530"),
            None,  # registered here, working in Beijing
        ),
        (
            PersonInput(name="KIM MINJUN", id_number="M12345678", doc_type="passport", nationality="kor"),
            MoveIn(room, date(2024, 1, 1), kind="rented", relation="99", reason="work"),
        ),
    ]


def test_bulk_register_writes_people_versions_residences_and_one_audit_event(
    rooms: list[AddressNode],
) -> None:
    before = AuditEvent.objects.count()
    people = actions.bulk_register(None, _family(rooms[0]))
    assert [p.name for p in people] == ["王建国", "李秀英", "王磊", "KIM MINJUN"]
    head, wife, son, guest = (Person.objects.get(pk=p.pk) for p in people)
    assert head.residence_code == rooms[0].code and head.domicile_code == "130731100"
    assert son.residence_code == "" and son.domicile_code == "130731"  # 132530 resolves to its successor
    assert wife.gender == "2" and wife.phone == "13812345678" and wife.birth_date == date(1967, 8, 12)
    assert guest.id_number == "M12345678" and guest.nationality == "KOR" and guest.gender == "0"
    assert actions.find_by_id_number("resident_id", head.id_number) == head
    assert actions.find_by_id_number("passport", "M12345678") == guest
    assert PersonVersion.objects.filter(person__in=people, version=1, action="create").count() == 4
    assert head.current_residence().address == rooms[0]  # type: ignore[union-attr]
    assert Residence.objects.filter(person__in=people).count() == 3
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None and event.extra == {"bulk": 4, "residences": 3}
    assert set(event.targets) == {f"person:{p.pk}" for p in people} | {f"address:{rooms[0].code}"}


def _bad(rows: list[tuple[PersonInput, MoveIn | None]], index: int, **change: Any) -> None:
    data, move = rows[index]
    for key, value in change.items():
        setattr(move if key in MoveIn.__dataclass_fields__ else data, key, value)


@pytest.mark.parametrize(
    ("row", "change", "field", "code"),
    [
        (1, {"id_number": WIFE[:-1] + ("1" if WIFE[-1] != "1" else "2")}, "id_number", "check_digit"),
        (1, {"gender": "1"}, "gender", "sex_mismatch"),
        (0, {"name": "王<b>"}, "name", "invalid"),
        (0, {"phone": "12345"}, "phone", "invalid"),
        (0, {"domicile_division": "999999"}, "domicile_division", "invalid"),
        (2, {"id_number": _id("19650304", "123")}, "id_number", "duplicate"),
        (3, {"kind": "castle"}, "kind", "invalid"),
        (3, {"valid_from": TOMORROW}, "valid_from", "invalid"),
        (3, {"permit_number": "X1", "permit_valid_to": date(2020, 1, 1)}, "permit_valid_to", "invalid"),
    ],
)
def test_bulk_register_refuses_a_bad_row_and_writes_nothing(
    rooms: list[AddressNode], row: int, change: dict[str, Any], field: str, code: str
) -> None:
    rows = _family(rooms[0])
    _bad(rows, row, **at_run_time(change))
    events = AuditEvent.objects.count()
    with pytest.raises(ActionError) as info:
        actions.bulk_register(None, rows)
    assert info.value.field == field and info.value.code == code
    assert info.value.message.startswith(f"第 {row + 1} 条：")
    assert not Person.objects.exists() and AuditEvent.objects.count() == events


def test_single_and_bulk_refuse_the_same_input(rooms: list[AddressNode]) -> None:
    bad = PersonInput(name="张伟", id_number=IDS[0], gender="2")
    with pytest.raises(ActionError) as single:
        actions.register_person(None, bad)
    with pytest.raises(ActionError) as bulk:
        actions.bulk_register(None, [(bad, None)])
    assert (single.value.field, single.value.code) == (bulk.value.field, bulk.value.code)
    assert bulk.value.message == f"第 1 条：{single.value.message}"


def test_bulk_register_refuses_numbers_already_registered(rooms: list[AddressNode]) -> None:
    actions.register_person(None, PersonInput(name="李秀英", id_number=WIFE))
    with pytest.raises(ActionError) as info:
        actions.bulk_register(None, _family(rooms[0]))
    assert info.value.code == "duplicate" and info.value.message.startswith("第 2 条：")
    assert Person.objects.count() == 1


def test_bulk_register_refuses_what_is_not_a_dwelling(
    rooms: list[AddressNode], building: AddressNode
) -> None:
    rows = _family(rooms[0])
    rows[3] = (rows[3][0], MoveIn(building, date(2024, 1, 1), kind="rented"))
    with pytest.raises(ActionError) as info:
        actions.bulk_register(None, rows)
    assert info.value.field == "address" and info.value.message.startswith("第 4 条：")
    assert not Person.objects.exists()


def test_bulk_register_checks_the_actors_jurisdiction(rooms: list[AddressNode]) -> None:
    outsider = make_user("zed", Role.STATION_ADMIN, OTHER_TOWN)
    with pytest.raises(ActionError) as info:
        actions.bulk_register(outsider, _family(rooms[0]))
    assert info.value.code == "not_found" and info.value.field == "address"
    insider = make_user("yan", Role.STATION_ADMIN, rooms[0].code[:9])
    people = actions.bulk_register(insider, _family(rooms[0]))
    assert len(people) == 4
    assert PersonVersion.objects.filter(actor=insider).count() == 4


def test_bulk_register_of_nothing_writes_nothing() -> None:
    assert actions.bulk_register(None, []) == []
    assert not AuditEvent.objects.exists()
