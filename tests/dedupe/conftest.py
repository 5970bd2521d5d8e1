"""Registry fixtures for duplicate review: people in alice's station (涿鹿镇) and carol's."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ybss.addresses import actions as address_actions
from ybss.addresses.models import AddressNode, Kind, Road
from ybss.divisions.models import Division
from ybss.lib.idcard import check_char
from ybss.people import actions as people
from ybss.people.models import Person


def valid_id(first17: str) -> str:
    return first17 + check_char(first17)


# A registered number and the same number with one digit of the sequence code mistyped;
# both carry a valid check character (the typo's was recomputed), as registry copies do.
ORIGINAL = valid_id("13073119800315241")
TYPO = valid_id("13073119800315261")


@pytest.fixture
def rooms(community: Division, road: Road) -> list[AddressNode]:
    plate = address_actions.create_node(None, Kind.DOORPLATE, "18", division=community, road=road)
    building = address_actions.create_node(None, Kind.BUILDING, "3", parent=plate)
    return [address_actions.create_node(None, Kind.ROOM, str(n), parent=building) for n in (101, 102, 201)]


@pytest.fixture
def far_room(db: Any) -> AddressNode:
    from ybss.divisions.loading import load_divisions

    load_divisions("130731101")
    village = Division.objects.filter(code__startswith="130731101", level=5).order_by("code").first()
    assert village is not None
    group = address_actions.create_node(None, Kind.GROUP, "1", division=village)
    return address_actions.create_node(None, Kind.DOORPLATE, "1", parent=group)


def register(
    name: str,
    id_number: str,
    room: AddressNode | None,
    *,
    phone: str = "",
    since: date = date(2020, 1, 1),
    doc_type: str = "resident_id",
    birth_date: date | None = None,
    gender: str = "",
) -> Person:
    return people.register_person(
        None,
        people.PersonInput(
            name=name,
            id_number=id_number,
            phone=phone,
            doc_type=doc_type,
            birth_date=birth_date,
            gender=gender,
        ),
        move_in=people.MoveIn(room, since) if room is not None else None,
    )
