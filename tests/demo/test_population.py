"""The demo population: reproducible, valid, and with the cases a registry must handle."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, Q

from ybss.access.models import Jurisdiction
from ybss.addresses.demo import build_demo
from ybss.addresses.models import AddressNode, Road
from ybss.audit.models import AuditEvent
from ybss.demo.population import PopulationReport, build_population, has_population, old_code
from ybss.lib.idcard import validate_id_number
from ybss.lib.phone import is_mobile
from ybss.people.models import DocType, Person, PersonVersion, Relation, Residence

pytestmark = pytest.mark.django_db

SEED = 11
PEOPLE = 700


class _Rollback(Exception):
    pass


def _snapshot() -> list[tuple[Any, ...]]:
    return list(
        Person.objects.order_by("id_number_index").values_list(
            "name", "id_number_index", "phone_index", "residence_code", "domicile_code", "birth_date"
        )
    )


@pytest.fixture
def base(community: Any) -> None:
    build_demo(seed=5, dwellings=300)


@pytest.fixture
def report(base: None) -> PopulationReport:
    return build_population(seed=SEED, people=PEOPLE)


def test_same_seed_gives_the_same_people(base: None) -> None:
    snapshots = []
    for seed in (SEED, SEED, SEED + 1):
        try:
            with transaction.atomic():
                build_population(seed=seed, people=300)
                snapshots.append(_snapshot())
                raise _Rollback
        except _Rollback:
            pass
        assert not Person.objects.exists()
    assert snapshots[0] == snapshots[1] and 200 < len(snapshots[0]) <= 310
    assert snapshots[0] != snapshots[2]


def test_population_is_valid_and_varied(report: PopulationReport) -> None:
    """One generated population (building it is the slow part), checked three ways."""
    _every_person_is_valid(report)
    _residences_are_consistent(report)
    _composition(report)


def _every_person_is_valid(report: PopulationReport) -> None:
    people = list(Person.objects.all())
    assert len(people) == report.people and 0.8 * PEOPLE < report.people <= PEOPLE + 10
    for person in people:
        if person.doc_type == DocType.RESIDENT_ID:
            checked = validate_id_number(person.id_number, gender=person.gender)
            assert checked.sex == person.gender and checked.birth_date == person.birth_date
            if person.nationality == "CHN" and person.domicile_code.startswith("130731"):
                assert person.domicile_division_id == person.domicile_code
        else:
            assert person.nationality != "CHN" and person.gender in ("1", "2") and person.birth_date
        if person.phone:
            assert is_mobile(person.phone)
        if person.birth_date and (date.today() - person.birth_date).days < 15 * 365:
            assert not person.phone
    # Locals born before 1993 mostly carry the old county code 132530, never after.
    codes = Counter(
        (p.id_number[:6], p.birth_date.year < 1993)  # type: ignore[union-attr]
        for p in people
        if p.doc_type == DocType.RESIDENT_ID
    )
    assert codes[("132530", True)] > codes[("130731", True)] and not codes[("132530", False)]
    assert len({p.id_number_index for p in people}) == len(people)
    phones = [p.phone_index for p in people if p.phone_index]
    assert len(set(phones)) == len(phones)
    assert PersonVersion.objects.filter(action="create").count() == len(people)


def _residences_are_consistent(report: PopulationReport) -> None:
    current = Residence.objects.filter(valid_to__isnull=True, is_main=True)
    assert not current.values("person").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert current.count() == report.residences
    assert set(Residence.objects.values_list("relation", flat=True)) <= set(Relation.values)
    for r in Residence.objects.select_related("person", "address"):
        assert r.person.residence_code == r.address.code
        assert r.address.kind in ("room", "doorplate") and r.valid_from <= date.today()
        assert r.person.birth_date is None or r.valid_from >= r.person.birth_date
        if r.permit_valid_to:
            assert r.permit_number and r.permit_valid_to >= r.valid_from and r.kind == "rented"
    # Children are younger than their householder (a dwelling may also hold a renting household).
    heads: dict[int, list[date]] = {}
    for r in Residence.objects.filter(relation=Relation.HOUSEHOLDER).select_related("person"):
        heads.setdefault(r.address_id, []).append(r.person.birth_date)  # type: ignore[arg-type]
    children = Residence.objects.filter(relation__in=[Relation.SON, Relation.DAUGHTER])
    for r in children.select_related("person"):
        assert any(r.person.birth_date > head for head in heads[r.address_id])  # type: ignore[operator]


def _composition(report: PopulationReport) -> None:
    people = Person.objects.all()
    migrants = people.filter(doc_type=DocType.RESIDENT_ID, domicile_code="").exclude(residence_code="")
    assert migrants.count() == report.migrants > PEOPLE // 20
    assert not migrants.filter(Q(id_number_index="") | Q(domicile_detail="")).exists()
    assert Residence.objects.filter(kind="rented", reason__in=["work", "business"]).exists()
    assert Residence.objects.exclude(permit_number="").exists()
    assert Residence.objects.filter(kind="owned").count() > Residence.objects.filter(kind="rented").count()
    foreigners = people.exclude(nationality="CHN")
    assert 0 < foreigners.count() == report.foreigners < report.people // 20
    assert not foreigners.exclude(doc_type=DocType.PASSPORT).exists()
    # 人户分离: registered in one township and living in another, or registered with no residence.
    split = [
        p
        for p in people.exclude(residence_code="").exclude(domicile_code="")
        if not p.residence_code.startswith(p.domicile_code)
    ]
    assert len(split) == report.split > 0
    away = people.filter(residence_code="", domicile_code__startswith="130731")
    assert away.count() == report.away > 0
    assert has_population()
    # One audit event per batch, naming every person.
    event = AuditEvent.objects.filter(extra__bulk__gt=0).get()
    assert event.target_rows.filter(kind="person").count() == report.people


def test_demo_command_adds_people_once(community: Any, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("demo", "--scale", "100", "--seed", "3")
    first = capsys.readouterr().out
    assert "已生成实有人口" in first and Person.objects.count() > 200
    count = Person.objects.count()
    call_command("demo", "--scale", "100", "--seed", "3")
    second = capsys.readouterr().out
    assert "演示人口已存在" in second and Person.objects.count() == count


def test_old_county_codes_come_from_the_code_history() -> None:
    assert old_code("130731") == ("132530", 1993)
    assert old_code("130732") == ("132532", 1993)  # 赤城县
    assert old_code("110105") is None  # 朝阳区 has kept its code


def test_a_second_county_gets_its_own_addresses_and_people(
    community: Any, capsys: pytest.CaptureFixture[str], settings: Any
) -> None:
    settings.YBSS_REGION = "1307"  # a prefecture-wide deployment: 张家口市
    call_command("demo", "--scale", "100", "--seed", "3", "--county", "130732")
    out = capsys.readouterr().out
    assert "赤城县：已生成实有人口" in out
    for county in ("130731", "130732"):
        assert AddressNode.objects.within(county).filter(kind__in=["room", "doorplate"]).exists()
        assert has_population(county)
    roads = list(Road.objects.filter(division__code__startswith="130732").values_list("name", flat=True))
    assert roads and not any("涿鹿" in r or "轩辕" in r for r in roads)
    # Every number is unique across both counties, and 赤城县's older locals carry its old code.
    numbers = [p.id_number for p in Person.objects.all()]
    assert len(numbers) == len(set(numbers))
    chicheng = [p for p in Person.objects.filter(residence_code__startswith="130732")]
    assert any(p.id_number.startswith("132532") for p in chicheng)
    assert Jurisdiction.objects.filter(name="赤城县公安局", kind=Jurisdiction.Kind.COUNTY_BUREAU).exists()
    count = Person.objects.count()
    call_command("demo", "--scale", "100", "--seed", "3", "--county", "130732")
    assert "赤城县：演示人口已存在" in capsys.readouterr().out
    assert Person.objects.count() == count


def test_a_county_code_that_is_not_one_is_refused(community: Any, settings: Any) -> None:
    with pytest.raises(CommandError, match="不在本系统的辖区 130731 内"):
        call_command("demo", "--scale", "100", "--county", "130732")
    settings.YBSS_REGION = ""
    with pytest.raises(CommandError, match="--county"):
        call_command("demo", "--scale", "100", "--county", "1307")
    with pytest.raises(CommandError, match="--county 999999"):
        call_command("demo", "--scale", "100", "--county", "999999")
    assert not Person.objects.exists()
