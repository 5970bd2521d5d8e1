"""Scanning, merging, undoing and "different people", through the actions."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.dedupe.conftest import ORIGINAL, TYPO, register, valid_id
from tests.units.conftest import make_unit
from ybss.addresses.models import AddressNode
from ybss.audit.models import Action, AuditEvent
from ybss.core.errors import ActionError
from ybss.dedupe import actions
from ybss.dedupe.models import DuplicatePair, PairStatus
from ybss.houses import actions as house_actions
from ybss.houses.models import House, HouseVersion, Tenancy, TenancyTenant
from ybss.people import actions as people
from ybss.people.models import Person, PersonVersion, Residence
from ybss.units import actions as unit_actions
from ybss.units.models import Employment, Unit

pytestmark = pytest.mark.django_db


def _snapshot() -> dict[str, Any]:
    """Every row a merge may touch, as plain values."""
    return {
        "residences": sorted(
            Residence.objects.values_list(
                "pk", "person_id", "address_id", "valid_from", "valid_to", "is_main"
            )
        ),
        "tenants": sorted(TenancyTenant.objects.values_list("tenancy_id", "person_id")),
        "landlords": sorted(Tenancy.objects.values_list("pk", "landlord_id")),
        "owners": sorted(House.objects.values_list("pk", "owner_person_id")),
        "employments": sorted(Employment.objects.values_list("pk", "person_id", "unit_id", "valid_to")),
        "units": sorted(Unit.objects.values_list("pk", "legal_representative_id")),
        "people": sorted(
            Person.objects.values_list("pk", "merged_into_id", "residence_code", "domicile_code")
        ),
    }


@pytest.fixture
def copies(rooms: list[AddressNode]) -> tuple[Person, Person]:
    """One man twice: the older record moved once; the copy (number mistyped) owns, lets and works."""
    first = register("李建国", ORIGINAL, rooms[0], phone="13812345678", since=date(2015, 3, 1))
    people.relocate(None, first, people.MoveIn(rooms[1], date(2021, 6, 1)))
    copy = register("李建国", TYPO, rooms[1], phone="13812345678", since=date(2021, 6, 1))
    tenant = register("周租客", valid_id("13073119920202261"), None)
    house = house_actions.create_house(None, rooms[2], use="rented", owner_person=copy)
    house_actions.add_tenancy(None, house, tenants=[tenant], landlord=copy, valid_from=date(2022, 1, 1))
    shared = house_actions.create_house(None, rooms[0], use="rented")
    house_actions.add_tenancy(None, shared, tenants=[copy, first], valid_from=date(2022, 1, 1))
    unit = make_unit(rooms[2], "建国便利店")
    Unit.objects.filter(pk=unit.pk).update(legal_representative=copy)
    unit_actions.add_employment(None, unit, copy, valid_from=date(2022, 2, 1))
    return first, copy


def test_scan_proposes_the_mistyped_copy_with_its_explanation(
    alice: Any, copies: tuple[Person, Person]
) -> None:
    result = actions.scan(alice)
    assert result.created == 1
    pair = DuplicatePair.objects.get()
    assert (pair.person_l_id, pair.person_r_id) == (copies[0].pk, copies[1].pk)
    fields = {f["field"]: f for f in pair.explanation}
    assert fields["id_number"]["level"] == "near" and fields["id_number"]["outcome"] == "agree"
    assert fields["name"]["level"] == "exact"
    assert pair.score >= actions.THRESHOLD
    assert ORIGINAL not in str(pair.explanation) and "李建国" not in str(pair.explanation)
    assert AuditEvent.objects.filter(action=Action.CREATE, extra__dedupe_scan=result.run.pk).exists()


def test_merge_and_unmerge_keep_every_residence_and_history_row(
    alice: Any, copies: tuple[Person, Person]
) -> None:
    first, copy = copies
    actions.scan(alice)
    pair = DuplicatePair.objects.get()
    before = _snapshot()
    versions_before = set(PersonVersion.objects.values_list("pk", "person_id", "version", "action"))
    residences_of = {p.pk: set(p.residences.values_list("pk", flat=True)) for p in copies}

    record = actions.merge(alice, pair)
    assert record.survivor_id == first.pk and record.merged_id == copy.pk
    copy.refresh_from_db()
    assert copy.merged_into_id == first.pk
    assert (
        set(first.residences.values_list("pk", flat=True)) == residences_of[first.pk] | residences_of[copy.pk]
    )
    assert first.residences.filter(valid_to__isnull=True, is_main=True).count() == 1
    assert House.objects.get(owner_person__isnull=False).owner_person_id == first.pk
    assert Tenancy.objects.get(landlord__isnull=False).landlord_id == first.pk
    shared = Tenancy.objects.get(landlord__isnull=True)
    assert list(TenancyTenant.objects.filter(tenancy=shared).values_list("person_id", flat=True)) == [
        first.pk
    ]
    assert Employment.objects.get().person_id == first.pk
    assert Unit.objects.get().legal_representative_id == first.pk
    assert {v.action for v in PersonVersion.objects.filter(person=first)} >= {"merge"}
    assert PersonVersion.objects.filter(person=copy, action="merged").exists()
    # Nothing of either history was lost or rewritten.
    assert versions_before <= set(PersonVersion.objects.values_list("pk", "person_id", "version", "action"))
    assert HouseVersion.objects.filter(action="merge").count() == 3  # ownership, landlord, tenant
    assert DuplicatePair.objects.get().status == PairStatus.MERGED
    assert AuditEvent.objects.filter(action=Action.MERGE, extra__merge=record.pk).exists()
    # The merged record leaves lists and searches; its number finds the survivor.
    from ybss.people.views import people_in_scope

    assert copy.pk not in set(people_in_scope(alice).values_list("pk", flat=True))
    assert first.pk in set(people_in_scope(alice).values_list("pk", flat=True))
    assert people.find_by_id_number("resident_id", TYPO) == first

    actions.unmerge(alice, record)
    assert _snapshot() == before
    assert versions_before <= set(PersonVersion.objects.values_list("pk", "person_id", "version", "action"))
    assert PersonVersion.objects.filter(action="unmerge").count() == 2
    assert DuplicatePair.objects.get().status == PairStatus.PENDING


def test_merge_keeps_the_chosen_record(alice: Any, copies: tuple[Person, Person]) -> None:
    actions.scan(alice)
    record = actions.merge(alice, DuplicatePair.objects.get(), survivor=copies[1])
    assert record.survivor_id == copies[1].pk
    assert Person.objects.get(pk=copies[0].pk).merged_into_id == copies[1].pk


def test_twins_households_and_common_names_are_not_proposed(alice: Any, rooms: list[AddressNode]) -> None:
    phone = "13700001111"
    # Twins: one birth date, consecutive numbers, one room and phone, names a syllable apart.
    register("王子涵", valid_id("13073120150601123"), rooms[0], phone=phone)
    register("王子轩", valid_id("13073120150601125"), rooms[0], phone=phone)
    # Their parents share the room and the phone.
    register("王建军", valid_id("13073119850212131"), rooms[0], phone=phone)
    register("刘丽", valid_id("13073119860304142"), rooms[0], phone=phone)
    # Two 张伟 born the same day, numbers far apart.
    register("张伟", valid_id("13073119900101151"), rooms[1])
    register("张伟", valid_id("13073119900101873"), rooms[2])
    result = actions.scan(alice)
    assert result.created == 0
    assert not DuplicatePair.objects.exists()


def test_copies_without_a_resident_number_are_found_by_the_engine(
    alice: Any, rooms: list[AddressNode]
) -> None:
    born = date(1979, 8, 8)
    register("欧阳翠花", "E12345678", rooms[0], doc_type="passport", birth_date=born, phone="13911112222")
    register("歐陽翠花", "G87654321", rooms[0], doc_type="hk_mo_permit", birth_date=born, phone="13911112222")
    actions.scan(alice)
    pair = DuplicatePair.objects.get()
    assert {f["field"]: f["level"] for f in pair.explanation}["name"] == "exact"


def test_different_people_is_remembered(alice: Any, copies: tuple[Person, Person]) -> None:
    actions.scan(alice)
    pair = actions.mark_different(alice, DuplicatePair.objects.get())
    assert pair.status == PairStatus.DIFFERENT and pair.decided_by == alice
    result = actions.scan(alice, since=None)  # a full scan compares the two again …
    assert (copies[0].pk, copies[1].pk) in result.compared_pairs
    assert result.created == 0  # … and does not propose them
    assert DuplicatePair.objects.get().status == PairStatus.DIFFERENT
    with pytest.raises(ActionError, match="已核查（不同人）"):
        actions.merge(alice, pair)


def test_incremental_scan_compares_only_new_and_changed_records(
    alice: Any, copies: tuple[Person, Person], rooms: list[AddressNode]
) -> None:
    register("赵小兰", valid_id("13073119951111222"), rooms[2])
    register("钱多多", valid_id("13073119700707333"), rooms[2], phone="13812345678")
    full = actions.scan(alice)
    assert full.run.since is None and full.run.new_records == 4
    late = register("赵小兰", valid_id("13073119951111242"), rooms[2])
    again = actions.scan(alice, incremental=True)
    assert again.run.since == full.run.started_at
    assert again.run.new_records == 1
    assert again.compared_pairs and all(late.pk in pair for pair in again.compared_pairs)
    assert again.created == 1
    assert DuplicatePair.objects.count() == 2
    nothing = actions.scan(alice, incremental=True)
    assert nothing.run.new_records == 0 and nothing.compared_pairs == []


def test_pending_pair_goes_when_a_record_no_longer_matches(alice: Any, copies: tuple[Person, Person]) -> None:
    actions.scan(alice)
    copy = copies[1]
    people.update_person(
        None,
        copy,
        people.PersonInput(name="李建民", id_number=TYPO, phone="13812345678"),
        expected_version=copy.version,
    )
    result = actions.scan(alice, incremental=True)
    assert result.removed == 1 and not DuplicatePair.objects.exists()


def test_bad_input_gives_clear_chinese_errors(alice: Any, carol: Any, copies: tuple[Person, Person]) -> None:
    actions.scan(alice)
    pair = DuplicatePair.objects.get()
    with pytest.raises(ActionError, match="找不到该疑似重复记录。"):
        actions.merge(carol, pair)  # outside carol's station: as if it did not exist
    with pytest.raises(ActionError, match="找不到该疑似重复记录。"):
        actions.mark_different(carol, pair)
    record = actions.merge(alice, pair)
    with pytest.raises(ActionError, match="已核查（同一人（已合并））"):
        actions.merge(alice, pair)
    with pytest.raises(ActionError, match="找不到该合并记录。"):
        actions.unmerge(carol, record)
    actions.unmerge(alice, record)
    with pytest.raises(ActionError, match="该合并已撤销，不能再次撤销。"):
        actions.unmerge(alice, record)
    with pytest.raises(ActionError, match="该范围不在您的辖区内。"):
        actions.scan(alice, "130731101")


def test_two_current_residences_must_be_resolved_first(alice: Any, rooms: list[AddressNode]) -> None:
    register("孙悦", valid_id("13073119880808412"), rooms[0])
    register("孙悦", valid_id("13073119880808432"), rooms[1])
    actions.scan(alice)
    with pytest.raises(ActionError, match="当前居住地不同"):
        actions.merge(alice, DuplicatePair.objects.get())
    assert DuplicatePair.objects.get().status == PairStatus.PENDING


def test_the_queue_is_scoped_to_both_persons(
    alice: Any, carol: Any, copies: tuple[Person, Person], far_room: AddressNode
) -> None:
    far = register("李建国", valid_id("13073119800315211"), far_room)
    actions.scan(None)
    pairs = DuplicatePair.objects.all()
    assert pairs.count() == 3  # the two copies here, and each with the man in 张家堡镇
    assert list(actions.pairs_in_scope(alice)) == [DuplicatePair.objects.get(person_r=copies[1])]
    assert list(actions.pairs_in_scope(carol)) == []  # carol sees the far one only, never half a pair
    assert far.pk not in {p.person_r_id for p in actions.pairs_in_scope(alice)}


def test_likely_duplicates_for_the_registration_form(copies: tuple[Person, Person]) -> None:
    hits = actions.likely_duplicates("李建国", valid_id("13073119800315251"), date(1980, 3, 15))
    assert [p.pk for p, _ in hits] == [copies[0].pk, copies[1].pk] or {p.pk for p, _ in hits} == {
        copies[0].pk,
        copies[1].pk,
    }
    assert actions.likely_duplicates("李建国", valid_id("13073119800315999"), date(1980, 3, 15)) == []
    assert actions.likely_duplicates("王五", ORIGINAL, date(1980, 3, 15)) == []
