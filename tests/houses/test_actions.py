from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from tests.rundates import TOMORROW, at_run_time
from ybss.addresses import actions as address_actions
from ybss.addresses.models import AddressNode, Kind
from ybss.audit.models import AuditEvent
from ybss.core.errors import ActionError
from ybss.houses import actions, quality
from ybss.houses.models import House, HouseVersion, Tenancy
from ybss.people.models import Person
from ybss.units.models import Unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def house(room: AddressNode) -> House:
    return actions.create_house(None, room, use="rented", structure="rc", floor_area="86.5")


def test_create_house_on_a_room_keeps_version_and_audit(alice: Any, room: AddressNode, zhang: Person) -> None:
    house = actions.create_house(alice, room, use="self", floor_area="86.456", owner_person=zhang)
    house.refresh_from_db()
    assert house.floor_area == Decimal("86.46") and house.owner_person == zhang and house.version == 1
    row = HouseVersion.objects.get(house=house)
    assert (row.record, row.action, row.actor) == ("house", "create", alice)
    assert AuditEvent.objects.filter(action="create", target_rows__kind="house").count() == 1


def test_whole_house_on_a_village_door_plate(village: Any) -> None:
    group = address_actions.create_node(None, Kind.GROUP, "2", division=village)
    plate = address_actions.create_node(None, Kind.DOORPLATE, "7", parent=group)
    assert actions.create_house(None, plate, use="self").address == plate


def test_house_must_sit_on_a_room_or_door_plate(building: AddressNode) -> None:
    with pytest.raises(ActionError) as err:
        actions.create_house(None, building, use="self")
    assert err.value.field == "address" and "户室" in err.value.message


def test_house_on_demolished_address_is_refused(room: AddressNode) -> None:
    address_actions.demolish_node(None, room)
    with pytest.raises(ActionError) as err:
        actions.create_house(None, room, use="self")
    assert err.value.field == "address" and "拆除" in err.value.message


def test_one_active_house_per_address(house: House, room: AddressNode) -> None:
    with pytest.raises(ActionError) as err:
        actions.create_house(None, room, use="self")
    assert (err.value.field, err.value.code) == ("address", "duplicate")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"use": "castle"}, "use"),
        ({"use": "self", "structure": "straw"}, "structure"),
        ({"use": "self", "floor_area": "0"}, "floor_area"),
        ({"use": "self", "floor_area": "-3"}, "floor_area"),
        ({"use": "self", "floor_area": "10000"}, "floor_area"),
        ({"use": "self", "floor_area": "很大"}, "floor_area"),
        ({"use": "self", "last_confirmed": TOMORROW}, "last_confirmed"),
    ],
)
def test_bad_house_input_names_the_field(room: AddressNode, fields: dict[str, Any], field: str) -> None:
    with pytest.raises(ActionError) as err:
        actions.create_house(None, room, **at_run_time(fields))
    assert err.value.field == field
    assert not House.objects.exists()


def test_owner_is_a_person_or_a_unit_not_both(room: AddressNode, zhang: Person, unit: Unit) -> None:
    with pytest.raises(ActionError) as err:
        actions.create_house(None, room, use="business", owner_person=zhang, owner_unit=unit)
    assert err.value.field == "owner_unit"
    assert actions.create_house(None, room, use="business", owner_unit=unit).owner_unit == unit


def test_owner_outside_jurisdiction_reads_as_not_found(
    alice: Any, room: AddressNode, far_person: Person, far_unit: Unit
) -> None:
    with pytest.raises(ActionError) as err:
        actions.create_house(alice, room, use="self", owner_person=far_person)
    assert (err.value.field, err.value.code) == ("owner_person", "not_found")
    with pytest.raises(ActionError) as err:
        actions.create_house(alice, room, use="self", owner_unit=far_unit)
    assert (err.value.field, err.value.code) == ("owner_unit", "not_found")


def test_update_house_with_version(alice: Any, house: House) -> None:
    house = actions.update_house(alice, house, expected_version=1, use="vacant", reason="租客已搬走")
    assert house.version == 2 and house.use == "vacant"
    row = HouseVersion.objects.filter(house=house).first()
    assert row is not None and row.changes["use"] == ["rented", "vacant"] and row.reason == "租客已搬走"
    with pytest.raises(ActionError) as err:
        actions.update_house(alice, house, expected_version=1, use="self")
    assert (err.value.field, err.value.code, err.value.message) == (
        "version",
        "conflict",
        "该记录已被他人修改，请刷新后重试。",
    )


def test_scope_and_role(carol: Any, bob: Any, house: House, room: AddressNode) -> None:
    with pytest.raises(ActionError) as err:
        actions.update_house(carol, house, expected_version=1, use="self")
    assert err.value.code == "not_found"
    with pytest.raises(PermissionDenied):
        actions.update_house(bob, house, expected_version=1, use="self")


def test_tenancy_lifecycle(house: House, zhang: Person, li: Person) -> None:
    tenancy = actions.add_tenancy(
        None,
        house,
        landlord=zhang,
        tenants=[li, li],
        valid_from=date(2024, 1, 1),
        registration_number="ZL-2024-001",
        security_agreement_signed=True,
    )
    assert list(tenancy.tenants.all()) == [li] and tenancy.is_current
    assert list(house.current_tenancies()) == [tenancy]
    ended = actions.end_tenancy(None, tenancy, expected_version=1, valid_to=date(2024, 6, 30))
    assert ended.version == 2 and not ended.is_current
    rows = HouseVersion.objects.filter(record="tenancy", record_id=tenancy.pk).order_by("version")
    assert [r.action for r in rows] == ["create", "end"]
    with pytest.raises(ActionError) as err:
        actions.end_tenancy(None, tenancy, expected_version=1, valid_to=date(2024, 7, 1))
    assert err.value.code == "conflict"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"valid_from": date(2024, 5, 1), "valid_to": date(2024, 4, 1)}, "valid_to"),
        ({"valid_from": date(2024, 5, 1), "registration_number": "<img>"}, "registration_number"),
        ({"valid_from": date(2024, 5, 1), "no_tenants": True}, "tenants"),
    ],
)
def test_bad_tenancy_input(house: House, li: Person, kwargs: dict[str, Any], field: str) -> None:
    tenants = [] if kwargs.pop("no_tenants", False) else [li]
    with pytest.raises(ActionError) as err:
        actions.add_tenancy(None, house, tenants=tenants, **kwargs)
    assert err.value.field == field
    assert not Tenancy.objects.exists()


def test_tenancy_on_demolished_address_is_refused(house: House, room: AddressNode, li: Person) -> None:
    address_actions.demolish_node(None, room)
    with pytest.raises(ActionError) as err:
        actions.add_tenancy(None, house, tenants=[li], valid_from=date(2024, 1, 1))
    assert err.value.field == "house" and "拆除" in err.value.message


def test_tenant_outside_jurisdiction_is_not_found(alice: Any, house: House, far_person: Person) -> None:
    with pytest.raises(ActionError) as err:
        actions.add_tenancy(alice, house, tenants=[far_person], valid_from=date(2024, 1, 1))
    assert (err.value.field, err.value.code) == ("tenants", "not_found")


def test_quality_findings(house: House, room: AddressNode, li: Person, building: AddressNode) -> None:
    assert list(quality.rented_without_current_tenancy()) == [house]
    tenancy = actions.add_tenancy(None, house, tenants=[li], valid_from=date(2024, 1, 1))
    assert not quality.rented_without_current_tenancy().exists()
    assert not quality.tenancies_on_self_occupied().exists()
    house = actions.update_house(None, house, expected_version=1, use="self")
    assert list(quality.tenancies_on_self_occupied()) == [tenancy]
    actions.end_tenancy(None, tenancy, expected_version=1, valid_to=date.today() - timedelta(days=1))
    assert not quality.tenancies_on_self_occupied().exists()
    house = actions.update_house(None, house, expected_version=2, use="rented")
    assert list(quality.rented_without_current_tenancy()) == [house]
    # A tenancy that starts in the future is not in force yet.
    actions.add_tenancy(None, house, tenants=[li], valid_from=date.today() + timedelta(days=10))
    assert list(quality.rented_without_current_tenancy()) == [house]
    assert not quality.rented_without_current_tenancy(House.objects.exclude(pk=house.pk)).exists()
