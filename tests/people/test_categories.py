import random
from datetime import date

import pytest

from ybss.addresses import actions as address_actions
from ybss.addresses.models import AddressNode
from ybss.lib.idcard import check_char
from ybss.people import actions, categories
from ybss.people.actions import MoveIn, PersonInput
from ybss.people.models import Person

pytestmark = pytest.mark.django_db
REGION = "130731"


def _id(county: str, i: int) -> str:
    base = f"{county}1985{(i % 12) + 1:02d}{(i % 27) + 1:02d}{i % 1000:03d}"
    return base + check_char(base)


def test_counts_agree_with_a_recount(building: AddressNode) -> None:
    from ybss.divisions.loading import load_divisions

    for county in ("510104", "110101"):  # migrants' home counties
        load_divisions(county)
    rooms = address_actions.batch_create_rooms(None, building, address_actions.RoomPattern(5, 2, 2))
    rng = random.Random(3)
    domiciles = ["130731100", "130731101", "510104", "110101", ""]
    for i in range(80):
        roll = rng.random()
        domicile = rng.choice(domiciles)
        if roll < 0.1:
            data = PersonInput(
                name=f"外籍{i}", id_number=f"E{i:07d}", doc_type="passport", nationality="KOR", gender="1"
            )
        else:
            county = domicile[:6] if len(domicile) >= 6 else "130731"
            data = PersonInput(name=f"居民{i}", id_number=_id(county, i), domicile_division=domicile)
        move = MoveIn(rng.choice(rooms), date(2024, 1, 1)) if rng.random() < 0.8 else None
        actions.register_person(None, data, move_in=move)
    counted = categories.count(REGION)
    recount = {name: 0 for name in categories.CATEGORIES}
    for person in Person.objects.all():
        for name in categories.of(person, REGION):
            recount[name] += 1
    assert counted == recount
    assert all(counted[name] > 0 for name in ("registered", "migrant", "foreign", "away_from_registration"))
    assert counted["living_here_registered_elsewhere"] > 0


def test_examples() -> None:
    def person(residence: str, domicile: str, nationality: str = "CHN") -> Person:
        return Person(residence_code=residence, domicile_code=domicile, nationality=nationality)

    assert categories.of(person("130731100002-0001", "130731100"), REGION) == {"registered"}
    assert categories.of(person("130731100002-0001", "510104"), REGION) == {"migrant"}
    assert categories.of(person("130731100002-0001", "", "USA"), REGION) == {"foreign"}
    assert categories.of(person("", "130731100"), REGION) == {"away_from_registration"}
    assert categories.of(person("130731100002-0001", "130731101"), REGION) == {
        "registered",
        "away_from_registration",
        "living_here_registered_elsewhere",
    }
