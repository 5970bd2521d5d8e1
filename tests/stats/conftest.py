"""A small generated county for the statistics tests: the demo's addresses and people,
plus houses, units, moves and data-quality defects, all with a fixed seed."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from ybss.addresses.demo import build_demo
from ybss.addresses.models import AddressNode, Kind
from ybss.dedupe.models import DuplicatePair, PairStatus
from ybss.demo.population import build_population
from ybss.divisions.models import Division
from ybss.houses.models import House, HouseUse, Tenancy
from ybss.people import actions as people_actions
from ybss.people.models import Person, Residence
from ybss.units.models import BusinessStatus, Licence, Unit, UnitType, encode_industries

HOMES = ["510104", "110101", "140121"]  # migrants' home counties, loaded so their divisions exist


def _homes() -> None:
    """The migrants' home divisions (a province, city and county each), written directly:
    loading them from the NBS table would read the whole country three times."""
    names = {
        "51": "四川省",
        "5101": "成都市",
        "510104": "锦江区",
        "11": "北京市",
        "1101": "市辖区",
        "110101": "东城区",
        "14": "山西省",
        "1401": "太原市",
        "140121": "清徐县",
    }
    for code in sorted(names, key=len):
        parent = code[:-2] if len(code) > 2 else None
        Division.objects.get_or_create(
            code=code,
            defaults={
                "name": names[code],
                "short_name": names[code],
                "level": len(code) // 2,
                "parent_id": parent,
            },
        )


@pytest.fixture
def world(community: Any) -> dict[str, Any]:
    rng = random.Random(7)
    today = timezone.localdate()
    _homes()
    build_demo(seed=5, dwellings=240)
    build_population(seed=11, people=600)
    people = list(Person.objects.order_by("pk"))
    migrants = [p for p in people if p.residence_code and not p.domicile_code and p.nationality == "CHN"]
    for p in migrants[: len(migrants) * 2 // 3]:
        home = rng.choice(HOMES)
        Person.objects.filter(pk=p.pk).update(domicile_division_id=home, domicile_code=home)
    ages = [0, 40, 100, 200, 300, 365, 366, 400, 800]
    for p in people:
        p.last_confirmed = today - timedelta(days=rng.choice(ages))
        if rng.random() < 0.05:
            p.birth_date = None
        if rng.random() < 0.1:
            p.photo = "photos/x.jpg"
    Person.objects.bulk_update(people, ["last_confirmed", "birth_date", "photo"], batch_size=500)
    # Moves in the last months: some people leave, their residence ends.
    living = [p for p in people if p.residence_code]
    for p in rng.sample(living, 12):
        p.refresh_from_db()
        people_actions.move_out(None, p, today - timedelta(days=rng.randint(0, 300)), "")
    recent = Residence.objects.filter(valid_to__isnull=True).order_by("pk").values_list("pk", flat=True)[:30]
    Residence.objects.filter(pk__in=list(recent)).update(valid_from=today - timedelta(days=20))
    # A defect the registry must show: a person whose code names an address they do not live at.
    away = next(p for p in people if not p.residence_code)
    room = AddressNode.objects.filter(kind=Kind.ROOM).order_by("code").first()
    assert room is not None
    Person.objects.filter(pk=away.pk).update(residence_code=room.code)

    dwellings = list(AddressNode.objects.filter(kind__in=[Kind.ROOM, Kind.DOORPLATE]).order_by("code"))
    landlords = rng.sample(people, 4)
    uses = HouseUse.values
    for i, node in enumerate(rng.sample(dwellings, min(120, len(dwellings)))):
        use = rng.choice(uses)
        house = House.objects.create(
            address=node,
            use=use,
            owner_person=landlords[i % 4] if use == HouseUse.RENTED or i % 5 == 0 else None,
            last_confirmed=today - timedelta(days=rng.choice([10, 500])),
        )
        if use == HouseUse.RENTED and rng.random() < 0.6:
            start = today - timedelta(days=rng.randint(10, 900))
            end = None if rng.random() < 0.6 else start + timedelta(days=rng.randint(0, 400))
            Tenancy.objects.create(house=house, valid_from=start, valid_to=end, landlord=house.owner_person)
    House.objects.create(address=dwellings[0], use=HouseUse.RENTED, active=False)  # history, not counted

    plates = list(AddressNode.objects.filter(kind__in=[Kind.DOORPLATE, Kind.BUILDING]).order_by("code"))
    industries = ["零售", "餐饮", "", "维修"]
    specials = [[], [], ["hotel"], ["secondhand", "logistics"], ["petrol"]]
    for i in range(60):
        unit = Unit.objects.create(
            address=rng.choice(plates),
            name=f"单位{i}",
            unit_type=rng.choice(UnitType.values),
            industry=rng.choice(industries),
            special_industries=encode_industries(rng.choice(specials)),
            business_status=BusinessStatus.CANCELLED
            if i % 13 == 0
            else rng.choice(["open", "", "suspended"]),
            legal_representative=rng.choice(people) if rng.random() < 0.6 else None,
            contact_name="联系人" if rng.random() < 0.7 else "",
            contact_phone_enc="x" if rng.random() < 0.7 else "",
            last_confirmed=today - timedelta(days=rng.choice([5, 400])),
        )
        for _ in range(rng.randint(0, 2)):
            ends = today + timedelta(days=rng.choice([-5, 0, 15, 30, 31, 45, 60, 61, 89, 90, 91, 400]))
            Licence.objects.create(
                unit=unit, kind="营业执照", number=f"L{i}", valid_from=date(2020, 1, 1), valid_to=ends
            )
    # Pairs in the duplicate review queue: waiting ones count, decided ones do not; a person in
    # two waiting pairs counts once.
    pool = sorted(living, key=lambda p: p.pk)
    for (a, b), status in zip(
        [(0, 1), (0, 2), (3, 4), (5, 6), (7, 8)],
        [PairStatus.PENDING, PairStatus.PENDING, PairStatus.PENDING, PairStatus.DIFFERENT, PairStatus.MERGED],
        strict=True,
    ):
        DuplicatePair.objects.create(person_l=pool[a], person_r=pool[b], score=10.0, status=status)
    return {"today": today, "defect": room.code}
