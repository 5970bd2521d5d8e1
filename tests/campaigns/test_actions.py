from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from tests.campaigns.conftest import World, make_id, running_campaign
from ybss.addresses.models import AddressProposal, Status
from ybss.campaigns import actions
from ybss.campaigns.actions import Occupant
from ybss.campaigns.models import Campaign, Outcome, RecheckItem, Visit, WorkItem
from ybss.core.errors import ActionError
from ybss.people.models import Person, PersonVersion

pytestmark = pytest.mark.django_db


def _item(campaign: Campaign, who: Any, n: int = 0) -> WorkItem:
    return WorkItem.objects.filter(campaign=campaign, assignee=who).order_by("code")[n]


def _collect(w: World, campaign: Campaign, who: Any, n: int, seq: int, key: str = "") -> Visit:
    visit, created = actions.submit_visit(
        who,
        _item(campaign, who, n),
        outcome=Outcome.COLLECTED,
        idempotency_key=key or f"k-{who.pk}-{n}-{seq}",
        occupants=[
            Occupant(name="张" + "一二三四五六七八"[seq % 8], id_number=make_id(seq), phone="13800138000")
        ],
    )
    assert created
    return visit


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"area_codes": []}, "area_codes"),
        ({"ends_on": date.today() - timedelta(days=10)}, "ends_on"),
        ({"area_codes": ["130731101001"]}, "area_codes"),  # another station's village
        ({"collection_target": "1.5"}, "collection_target"),
        ({"recheck_rate": "abc"}, "recheck_rate"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_campaigns_are_refused(world: World, changes: dict[str, Any], field: str) -> None:
    values: dict[str, Any] = {
        "name": "采集",
        "area_codes": [world.community.code],
        "starts_on": date.today(),
        "ends_on": date.today() + timedelta(days=5),
    }
    values.update(changes)
    with pytest.raises(ActionError) as exc:
        actions.create_campaign(world.admin, **values)
    assert exc.value.field == field
    assert not Campaign.objects.exists()


def test_work_list_comes_from_the_address_roster_and_is_shared_by_building(world: World) -> None:
    campaign = running_campaign(world)
    items = WorkItem.objects.filter(campaign=campaign)
    assert sorted(items.values_list("address_id", flat=True)) == sorted(r.pk for r in world.rooms)
    per = {u.pk: items.filter(assignee=u).count() for u in (world.c1, world.c2)}
    assert per == {world.c1.pk: 4, world.c2.pk: 4}  # one building each
    for who in (world.c1, world.c2):
        assert items.filter(assignee=who).values("group_code").distinct().count() == 1
    with pytest.raises(ActionError) as exc:
        actions.build_work_list(world.admin, campaign)
    assert exc.value.field == "status"
    figures = actions.rates(campaign)
    assert figures.expected == 8 and figures.collected == 0 and figures.collection_rate == 0


def test_submit_is_idempotent_and_only_for_the_assignee(world: World) -> None:
    campaign = running_campaign(world)
    item = _item(campaign, world.c1)
    first, created = actions.submit_visit(world.c1, item, outcome=Outcome.VACANT, idempotency_key="tap-1")
    again, created_again = actions.submit_visit(
        world.c1, item, outcome=Outcome.VACANT, idempotency_key="tap-1"
    )
    assert created and not created_again and first.pk == again.pk
    assert Visit.objects.count() == 1
    item.refresh_from_db()
    assert item.attempts == 1 and item.state == WorkItem.State.PENDING
    with pytest.raises(ActionError) as exc:
        actions.submit_visit(world.c2, item, outcome=Outcome.VACANT, idempotency_key="other")
    assert exc.value.code == "not_assigned"
    with pytest.raises(ActionError) as exc:
        actions.submit_visit(world.c1, item, outcome=Outcome.VACANT, idempotency_key="tap-2")
    assert exc.value.code == "pending"
    with pytest.raises(ActionError) as exc:
        actions.submit_visit(
            world.c1, _item(campaign, world.c1, 1), outcome=Outcome.COLLECTED, idempotency_key="x"
        )
    assert exc.value.field == "occupants"


def test_approval_registers_occupants_through_the_registry(world: World) -> None:
    campaign = running_campaign(world)
    visit = _collect(world, campaign, world.c1, 0, 1)
    with pytest.raises(PermissionDenied):
        actions.approve(world.c1, visit)  # a collector is no reviewer
    assert Person.objects.count() == 0
    actions.approve(world.officer, visit)
    person = Person.objects.get()
    residence = person.current_residence()
    assert residence is not None and residence.address == visit.item.address
    version = PersonVersion.objects.get(person=person)
    assert version.actor == world.officer
    item = WorkItem.objects.get(pk=visit.item_id)
    assert item.state == WorkItem.State.DONE and item.outcome == Outcome.COLLECTED
    assert actions.rates(campaign).collected == 1
    # Collected again in a later visit of the same person elsewhere: a relocation, not a second person.
    visit2 = _collect(world, campaign, world.c2, 0, 1)
    actions.approve(world.admin, visit2)
    assert Person.objects.count() == 1
    moved = Person.objects.get().current_residence()
    assert moved is not None and moved.address == visit2.item.address


def test_reviewer_cannot_approve_own_submission(world: World) -> None:
    from tests.conftest import TOWN, make_user
    from ybss.access.roles import Role

    officer_collector = make_user("both", Role.OFFICER, TOWN)
    campaign = running_campaign(world)
    item = _item(campaign, world.c1)
    actions.reassign(world.admin, campaign, [item], officer_collector)
    visit, _ = actions.submit_visit(officer_collector, item, outcome=Outcome.VACANT, idempotency_key="own")
    with pytest.raises(ActionError) as exc:
        actions.approve(officer_collector, visit)
    assert exc.value.code == "own"
    assert actions.rates(campaign).collected == 0


def test_rejection_goes_back_with_reasons(world: World) -> None:
    campaign = running_campaign(world)
    visit = _collect(world, campaign, world.c1, 0, 2)
    with pytest.raises(ActionError):
        actions.reject(world.officer, visit, {})
    actions.reject(world.officer, visit, {"occupants.0.phone": "电话号码少一位"})
    visit.refresh_from_db()
    assert visit.state == Visit.State.REJECTED and visit.rejection == {"occupants.0.phone": "电话号码少一位"}
    item = WorkItem.objects.get(pk=visit.item_id)
    assert item.state == WorkItem.State.OPEN
    _collect(world, campaign, world.c1, 0, 2, key="again")
    assert actions.rates(campaign).pending == 1


def test_outcomes_and_how_they_count(world: World) -> None:
    campaign = running_campaign(world)
    c1 = list(WorkItem.objects.filter(campaign=campaign, assignee=world.c1).order_by("code"))
    outcomes = [Outcome.VACANT, Outcome.REFUSED, Outcome.NOBODY_HOME, Outcome.DEMOLISHED]
    for item, outcome in zip(c1, outcomes, strict=True):
        visit, _ = actions.submit_visit(world.c1, item, outcome=outcome, idempotency_key=f"o-{item.pk}")
        actions.approve(world.officer, visit)
    figures = actions.rates(campaign)
    # 8 dwellings, one demolished (off the roster): 7 expected; vacant counts as collected.
    assert figures.expected == 7 and figures.left_roster == 1
    assert figures.collected == 1 and figures.refused == 1 and figures.revisit == 1
    assert figures.collection_rate == (Decimal(1) / Decimal(7)).quantize(Decimal("0.0001"))
    assert c1[3].address.__class__.objects.get(pk=c1[3].address_id).status == Status.DEMOLISHED
    # The nobody-home address is visited again.
    again, _ = actions.submit_visit(world.c1, c1[2], outcome=Outcome.VACANT, idempotency_key="second")
    actions.approve(world.officer, again)
    c1[2].refresh_from_db()
    assert c1[2].attempts == 2 and c1[2].outcome == Outcome.VACANT


def test_wrong_address_becomes_a_proposal(world: World) -> None:
    campaign = running_campaign(world)
    item = _item(campaign, world.c1)
    with pytest.raises(ActionError) as exc:
        actions.submit_visit(world.c1, item, outcome=Outcome.WRONG_ADDRESS, idempotency_key="w")
    assert exc.value.field == "note"
    visit, _ = actions.submit_visit(
        world.c1, item, outcome=Outcome.WRONG_ADDRESS, idempotency_key="w2", note="门牌应为轩辕路22号"
    )
    actions.approve(world.officer, visit)
    assert AddressProposal.objects.get().text == "门牌应为轩辕路22号"


def test_recheck_draw_is_reproducible_once_and_never_self_verified(world: World) -> None:
    campaign = running_campaign(world, recheck_rate="0.5", recheck_threshold="0.5")
    area = world.community.code
    visits = [_collect(world, campaign, world.c1, n, 10 + n) for n in range(4)]
    with pytest.raises(ActionError):
        actions.draw_recheck(world.admin, campaign, area, [world.c2])  # none approved: rate 0
    for visit in visits:
        actions.approve(world.officer, visit)
    with pytest.raises(ActionError) as exc:
        actions.draw_recheck(world.admin, campaign, area, [world.c1])  # only the collector
    assert exc.value.field == "verifiers"
    draw = actions.draw_recheck(world.admin, campaign, area, [world.c1, world.c2])
    population = sorted(
        Visit.objects.filter(campaign=campaign, state="approved").values_list("pk", "collector_id")
    )
    expected = random.Random(f"{campaign.seed}:{area}").sample(population, 2)
    assert sorted(draw.items.values_list("visit_id", flat=True)) == sorted(pk for pk, _ in expected)
    assert set(draw.items.values_list("verifier_id", flat=True)) == {world.c2.pk}
    with pytest.raises(ActionError) as exc:
        actions.draw_recheck(world.admin, campaign, area, [world.c2])
    assert exc.value.code == "drawn"


def test_verification_counts_fields_and_sends_corrections_to_review(world: World) -> None:
    campaign = running_campaign(world, recheck_rate="1", recheck_threshold="0.5")
    visits = [_collect(world, campaign, world.c1, n, 20 + n) for n in range(4)]
    for visit in visits:
        actions.approve(world.officer, visit)
    draw = actions.draw_recheck(world.admin, campaign, world.community.code, [world.c2])
    first, second = list(draw.items.order_by("pk"))[:2]
    with pytest.raises(ActionError) as exc:
        actions.verify(world.c1, first, {})
    assert exc.value.code in ("not_assigned", "own")
    fields = actions.visit_fields(actions.open_payload(first.visit))
    assert fields == ["occupants.0.name", "occupants.0.id_number", "occupants.0.phone"]
    with pytest.raises(ActionError):
        actions.verify(world.c2, first, {fields[0]: {"ok": True}})  # the rest unchecked
    actions.verify(world.c2, first, {f: {"ok": True} for f in fields})
    results: dict[str, dict[str, Any]] = {f: {"ok": True} for f in fields}
    results["occupants.0.phone"] = {"ok": False, "value": "13900139000"}
    checked = actions.verify(world.c2, second, results)
    assert checked.fields_checked == 3 and checked.fields_confirmed == 2
    assert checked.correction is not None and checked.correction.state == Visit.State.PENDING
    figures = actions.rates(campaign)
    assert figures.checked == 6 and figures.confirmed == 5
    assert figures.accuracy_rate == (Decimal(5) / Decimal(6)).quantize(Decimal("0.0001"))
    # The correction changes the registry only when a reviewer approves it.
    person = Person.objects.get(
        pk__in=Person.objects.filter(name=actions.open_payload(second.visit)["occupants"][0]["name"])
    )
    assert person.phone == "13800138000"
    actions.approve(world.officer, checked.correction)
    person.refresh_from_db()
    assert person.phone == "13900139000"
    with pytest.raises(ActionError):
        actions.verify(world.c2, RecheckItem.objects.get(pk=first.pk), {f: {"ok": True} for f in fields})


def test_rates_recomputed_from_raw_visits(world: World) -> None:
    """The rates equal a count straight from the approved visits, by the definitions in docs/rates.md."""
    campaign = running_campaign(world)
    outcomes = [Outcome.COLLECTED, Outcome.VACANT, Outcome.REFUSED, Outcome.NOBODY_HOME, Outcome.DEMOLISHED]
    for n, outcome in enumerate(outcomes):
        who = world.c1 if n < 4 else world.c2
        item = _item(campaign, who, n % 4)
        occupants = [Occupant(name="李四", id_number=make_id(30 + n))] if outcome == Outcome.COLLECTED else []
        visit, _ = actions.submit_visit(
            who, item, outcome=outcome, idempotency_key=f"r{n}", occupants=occupants
        )
        actions.approve(world.officer, visit)
    expected_addresses = WorkItem.objects.filter(campaign=campaign).count()
    final: dict[int, str] = {}
    for visit in Visit.objects.filter(campaign=campaign, state="approved", kind="visit").order_by("pk"):
        final[visit.item_id] = visit.outcome
    left = sum(1 for o in final.values() if o in ("demolished", "wrong_address"))
    collected = sum(1 for o in final.values() if o in ("collected", "vacant"))
    figures = actions.rates(campaign)
    assert figures.expected == expected_addresses - left
    assert figures.collected == collected
    assert figures.collection_rate == (Decimal(collected) / Decimal(expected_addresses - left)).quantize(
        Decimal("0.0001")
    )


def test_registered_residents_are_confirmed_and_a_wrong_confirmation_moves_them_out(world: World) -> None:
    from ybss.people import actions as people
    from ybss.people.actions import MoveIn, PersonInput

    campaign = running_campaign(world, recheck_rate="1", recheck_threshold="0.1")
    item = _item(campaign, world.c1)
    stayer = people.register_person(
        None, PersonInput(name="王老", id_number=make_id(41)), move_in=MoveIn(item.address, date(2020, 1, 1))
    )
    leaver = people.register_person(
        None, PersonInput(name="王走", id_number=make_id(42)), move_in=MoveIn(item.address, date(2020, 1, 1))
    )
    Person.objects.update(last_confirmed=date(2021, 1, 1))
    with pytest.raises(ActionError) as exc:
        actions.submit_visit(
            world.c1, item, outcome=Outcome.COLLECTED, idempotency_key="c0", confirmed=[stayer.pk + 999]
        )
    assert exc.value.field == "confirmed"
    visit, _ = actions.submit_visit(
        world.c1, item, outcome=Outcome.COLLECTED, idempotency_key="c1", confirmed=[stayer.pk, leaver.pk]
    )
    actions.approve(world.officer, visit)
    assert set(Person.objects.values_list("last_confirmed", flat=True)) == {date.today()}
    assert PersonVersion.objects.filter(action="confirm").count() == 2
    draw = actions.draw_recheck(world.admin, campaign, world.community.code, [world.c2])
    check = draw.items.get()
    results = {f"confirmed.{stayer.pk}": {"ok": True}, f"confirmed.{leaver.pk}": {"ok": False}}
    done = actions.verify(world.c2, check, results)
    assert done.fields_checked == 2 and done.fields_confirmed == 1
    assert done.correction is not None
    actions.approve(world.officer, done.correction)
    assert leaver.current_residence() is None
    assert stayer.current_residence() is not None
