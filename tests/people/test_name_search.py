"""Name search: names that start with the text first, else names and former names that
contain it (on PostgreSQL narrowed by the character index, with the same answers)."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import User

from tests.access.conftest import IDS
from ybss.addresses import actions as address_actions
from ybss.addresses.models import AddressNode
from ybss.people import actions
from ybss.people.actions import MoveIn, PersonInput
from ybss.people.views import name_matches, people_in_scope

pytestmark = pytest.mark.django_db


def _names(user: User, q: str) -> list[str]:
    return sorted(name_matches(people_in_scope(user), q).values_list("name", flat=True))


def test_contains_search_finds_names_and_former_names_and_nothing_else(
    alice: User, carol: User, building: AddressNode
) -> None:
    room = address_actions.batch_create_rooms(None, building, address_actions.RoomPattern(1, 0, 1))[0]
    for number, name, former in [
        (IDS[0], "李张伟", []),
        (IDS[1], "王小明", ["Zhang Wei"]),
        (IDS[2], "张伟", []),
    ]:
        actions.register_person(
            None,
            PersonInput(name=name, id_number=number, former_names=former),
            move_in=MoveIn(room, date(2024, 1, 1)),
        )
    assert _names(alice, "张伟") == ["张伟"]  # a name starting with it wins
    assert _names(alice, "伟") == ["张伟", "李张伟"]  # else names that contain it
    assert _names(alice, "小明") == ["王小明"]
    assert _names(alice, "zhang wei") == ["王小明"]  # former names, in any case
    assert _names(alice, "ZHANG") == ["王小明"]
    assert _names(alice, "查无此名") == []
    assert _names(alice, "伟张") == []  # every character is there, but not the text
    assert _names(carol, "伟") == []  # and only inside the jurisdiction
