"""Units and the people who work there: fixtures shared with tests/houses."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.access.conftest import IDS
from ybss.addresses import actions as address_actions
from ybss.addresses.models import AddressNode, Kind
from ybss.divisions.models import Division
from ybss.lib.credit_code import credit_check_char, org_check_char
from ybss.people import actions as people_actions
from ybss.people.actions import MoveIn, PersonInput
from ybss.people.models import Person
from ybss.units import actions
from ybss.units.models import Unit


def credit_code(body: str = "MA0C1234", prefix: str = "91130731") -> str:
    """A valid GB 32100 code: ``prefix`` (authority, type, division) + 8-char organization body."""
    first17 = prefix + body + org_check_char(body)
    return first17 + credit_check_char(first17)


def wrong_check(code: str) -> str:
    return code[:-1] + ("1" if code[-1] != "1" else "2")


@pytest.fixture
def room(building: AddressNode) -> AddressNode:
    rooms = address_actions.batch_create_rooms(None, building, address_actions.RoomPattern(1, 0, 2))
    return rooms[0]


@pytest.fixture
def far_plate(db: Any) -> AddressNode:
    """A village door plate in 张家堡镇 (130731101), outside alice's station."""
    from ybss.divisions.loading import load_divisions

    load_divisions("130731101")
    village = Division.objects.filter(code__startswith="130731101", level=5).order_by("code").first()
    assert village is not None
    group = address_actions.create_node(None, Kind.GROUP, "1", division=village)
    return address_actions.create_node(None, Kind.DOORPLATE, "1", parent=group)


def make_person(name: str, number: str, address: AddressNode | None = None) -> Person:
    move = MoveIn(address, date(2020, 1, 1)) if address is not None else None
    return people_actions.register_person(None, PersonInput(name=name, id_number=number), move_in=move)


@pytest.fixture
def zhang(room: AddressNode) -> Person:
    return make_person("张伟", IDS[0], room)


@pytest.fixture
def li(room: AddressNode) -> Person:
    return make_person("李娜", IDS[1], room)


@pytest.fixture
def far_person(far_plate: AddressNode) -> Person:
    return make_person("王芳", IDS[2], far_plate)


def make_unit(address: AddressNode, name: str = "鼓楼便利店", **fields: Any) -> Unit:
    fields.setdefault("unit_type", "individual")
    return actions.create_unit(None, address, name=name, **fields)


@pytest.fixture
def unit(building: AddressNode) -> Unit:
    return make_unit(
        building, credit_code=credit_code(), special_industries=["hotel"], business_status="open"
    )


@pytest.fixture
def far_unit(far_plate: AddressNode) -> Unit:
    return make_unit(far_plate, "远方商店")
