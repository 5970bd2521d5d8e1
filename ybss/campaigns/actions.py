"""Every change in a collection campaign goes through these functions.

Pages, the API and the benchmark call them. Approved submissions change the
registry only through the registry's own actions (people, addresses), with the
reviewer as the actor and the collector named in the reason, so the history of
a person shows both.
"""

from __future__ import annotations

import json
import math
import random
import secrets
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from ybss.access import crypto
from ybss.access.roles import Cap
from ybss.access.scope import require, scope_for
from ybss.addresses import actions as address_actions
from ybss.addresses import proposals
from ybss.addresses.models import AddressNode, Kind, Status
from ybss.audit import log
from ybss.audit.models import Action
from ybss.core.db import insert_many, prefix_q
from ybss.core.errors import ActionError
from ybss.divisions.models import Division
from ybss.lib.text import InvalidName, clean_name
from ybss.people import actions as people
from ybss.people.models import Residence, ResidenceKind

from .models import (
    COUNTS_AS_COLLECTED,
    LEAVES_THE_ROSTER,
    REVISIT,
    Campaign,
    Outcome,
    RecheckDraw,
    RecheckItem,
    Visit,
    WorkItem,
)

PAYLOAD = crypto.ProtectedField("campaigns.Visit", "payload")  # registered for rotation in apps.py
OCCUPANT_FIELDS = ("name", "id_number", "phone", "relation")


def _is_user(actor: Any) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False)


def _user(actor: Any) -> Any:
    return actor if isinstance(actor, get_user_model()) else None


def _scope_check(actor: Any, cap: str, code: str, field: str = "address") -> None:
    if not _is_user(actor):
        return
    scope = require(actor, cap)
    if not scope.covers(code):
        raise ActionError("找不到该记录。", field=field, code="not_found")


def _share(value: Any, label: str, field: str) -> Decimal:
    try:
        share = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ActionError(f"{label}应为 0 到 1 之间的小数，如 0.95。", field=field) from None
    if not share.is_finite() or share <= 0 or share > 1:
        raise ActionError(f"{label}应大于 0 且不超过 1，如 0.95。", field=field)
    return share.quantize(Decimal("0.001"))


# ---------------------------------------------------------------- campaigns


@transaction.atomic
def create_campaign(
    actor: Any,
    *,
    name: str,
    area_codes: list[str],
    starts_on: date,
    ends_on: date,
    collection_target: Any = "0.95",
    accuracy_target: Any = "0.95",
    recheck_rate: Any = "0.05",
    recheck_threshold: Any = "0.8",
) -> Campaign:
    if _is_user(actor):
        require(actor, Cap.CAMPAIGN_MANAGE)
    try:
        name = clean_name(name, "活动名称", max_length=100)
    except InvalidName as exc:
        raise ActionError(str(exc), field="name") from exc
    codes = sorted({c.strip() for c in area_codes if c and c.strip()})
    if not codes:
        raise ActionError("采集区域不能为空，请至少选择一个社区或村。", field="area_codes")
    for code in codes:
        known = Division.objects.filter(code=code).exists() or AddressNode.objects.filter(code=code).exists()
        if not known:
            raise ActionError(f"找不到区域 {code}。", field="area_codes")
        if _is_user(actor) and not scope_for(actor).covers(code):
            raise ActionError(f"找不到区域 {code}。", field="area_codes", code="not_found")
    if not isinstance(starts_on, date) or not isinstance(ends_on, date):
        raise ActionError("请填写开始和结束日期。", field="starts_on")
    if ends_on < starts_on:
        raise ActionError("结束日期不能早于开始日期。", field="ends_on")
    campaign = Campaign.objects.create(
        name=name,
        area_codes=codes,
        starts_on=starts_on,
        ends_on=ends_on,
        collection_target=_share(collection_target, "采集率目标", "collection_target"),
        accuracy_target=_share(accuracy_target, "准确率目标", "accuracy_target"),
        recheck_rate=_share(recheck_rate, "复核抽样比例", "recheck_rate"),
        recheck_threshold=_share(recheck_threshold, "抽样起始采集率", "recheck_threshold"),
        seed=secrets.token_hex(8),
        created_by=_user(actor),
    )
    log.record(actor, Action.CREATE, targets=[("campaign", campaign.pk)], extra={"area": codes})
    return campaign


def _area_q(campaign: Campaign, field: str = "code") -> Q:
    q = Q(pk__in=[])
    for code in campaign.area_codes:
        q |= prefix_q(field, code)
    return q


def dwellings(campaign: Campaign) -> Any:
    """Every address that must be visited: rooms, and door plates with nothing under them."""
    base = AddressNode.objects.filter(_area_q(campaign), status=Status.IN_USE)
    with_children = AddressNode.objects.filter(parent=OuterRef("pk"))
    return base.filter(Q(kind=Kind.ROOM) | Q(kind=Kind.DOORPLATE) & ~Exists(with_children))


@transaction.atomic
def build_work_list(actor: Any, campaign: Campaign) -> int:
    """Generate the work list from the address base; stale records there are marked as such."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    for code in campaign.area_codes:
        _scope_check(actor, Cap.CAMPAIGN_MANAGE, code, "area_codes")
    if campaign.status != Campaign.Status.DRAFT:
        raise ActionError("活动已开始，不能重新生成任务清单。", field="status")
    if WorkItem.objects.filter(campaign=campaign).exists():
        raise ActionError("任务清单已生成。", field="status", code="exists")
    stale_before = date.today() - timedelta(days=round(settings.YBSS_STALE_MONTHS * 30.44))
    stale = set(
        Residence.objects.filter(
            valid_to__isnull=True, person__last_confirmed__lt=stale_before, address__in=dwellings(campaign)
        ).values_list("address_id", flat=True)
    )
    earlier = set(
        WorkItem.objects.filter(_area_q(campaign), outcome__in=(Outcome.REFUSED, Outcome.NOBODY_HOME))
        .exclude(campaign=campaign)
        .values_list("address_id", flat=True)
    )
    rows = dwellings(campaign).values_list("pk", "code", "kind", "parent__code", "parent__kind")
    items = []
    for pk, code, kind, parent_code, parent_kind in rows.iterator(chunk_size=5000):
        group = code if kind == Kind.DOORPLATE else _building_of(code, parent_code, parent_kind)
        reasons = ",".join(r for r, hit in (("stale", pk in stale), ("revisit", pk in earlier)) if hit)
        items.append(
            WorkItem(
                campaign=campaign,
                address_id=pk,
                code=code,
                area_code=code[:12],
                group_code=group,
                reasons=reasons,
            )
        )
    if not items:
        raise ActionError("采集区域内没有需要上门的地址（户室或门牌）。", field="area_codes")
    insert_many(items)
    campaign.work_list_built_at = timezone.now()
    campaign.save(update_fields=["work_list_built_at"])
    log.record(actor, Action.CREATE, targets=[("campaign", campaign.pk)], extra={"work_items": len(items)})
    return len(items)


def _building_of(code: str, parent_code: str | None, parent_kind: str | None) -> str:
    # A room's building is its parent, or its grandparent when rooms hang under a unit.
    if parent_kind == Kind.UNIT and parent_code:
        return parent_code.rsplit("-", 1)[0]
    return parent_code or code


@transaction.atomic
def set_status(actor: Any, campaign: Campaign, status: str) -> Campaign:
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    for code in campaign.area_codes:
        _scope_check(actor, Cap.CAMPAIGN_MANAGE, code, "status")
    allowed = {
        Campaign.Status.DRAFT: (Campaign.Status.ACTIVE,),
        Campaign.Status.ACTIVE: (Campaign.Status.CLOSED,),
    }
    if status not in allowed.get(Campaign.Status(campaign.status), ()):
        raise ActionError(
            f"活动状态不能从“{campaign.get_status_display()}”改为“{Campaign.Status(status).label}”。",
            field="status",
        )
    if status == Campaign.Status.ACTIVE and campaign.work_list_built_at is None:
        raise ActionError("请先生成任务清单。", field="status")
    campaign.status = status
    campaign.save(update_fields=["status"])
    log.record(actor, Action.CHANGE, targets=[("campaign", campaign.pk)], extra={"status": status})
    return campaign


def _check_collector(user: Any, code: str) -> None:
    scope = scope_for(user)
    if not scope.can(Cap.CAMPAIGN_COLLECT) or not scope.covers(code):
        raise ActionError(f"账号 {user.get_username()} 不是该区域的采集员。", field="collectors")


@transaction.atomic
def assign(actor: Any, campaign: Campaign, collectors: list[Any]) -> dict[int, int]:
    """Share the unassigned work out by building, keeping each collector's load even."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    for code in campaign.area_codes:
        _scope_check(actor, Cap.CAMPAIGN_MANAGE, code, "collectors")
    if not collectors:
        raise ActionError("请至少选择一名采集员。", field="collectors")
    for user in collectors:
        if not scope_for(user).can(Cap.CAMPAIGN_COLLECT):
            raise ActionError(f"账号 {user.get_username()} 不是采集员。", field="collectors")
    if campaign.status == Campaign.Status.CLOSED:
        raise ActionError("活动已结束。", field="status")
    groups: dict[str, list[int]] = defaultdict(list)
    for pk, group in WorkItem.objects.filter(campaign=campaign, assignee__isnull=True).values_list(
        "pk", "group_code"
    ):
        groups[group].append(pk)
    load = {user.pk: WorkItem.objects.filter(campaign=campaign, assignee=user).count() for user in collectors}
    by_pk = {user.pk: user for user in collectors}
    plan: dict[int, list[int]] = defaultdict(list)
    for group in sorted(groups, key=lambda g: (-len(groups[g]), g)):
        allowed = [pk for pk in load if scope_for(by_pk[pk]).covers(group)]
        if not allowed:
            raise ActionError(f"没有负责 {group} 一带的采集员，请换人或调整区域。", field="collectors")
        who = min(allowed, key=lambda pk: (load[pk], pk))
        load[who] += len(groups[group])
        plan[who].extend(groups[group])
    for who, pks in plan.items():
        for start in range(0, len(pks), 500):
            WorkItem.objects.filter(pk__in=pks[start : start + 500]).update(assignee_id=who)
    counts = {pk: len(v) for pk, v in plan.items()}
    log.record(
        actor,
        Action.CHANGE,
        targets=[("campaign", campaign.pk), *(("user", pk) for pk in counts)],
        extra={"assigned": counts},
    )
    return counts


@transaction.atomic
def reassign(actor: Any, campaign: Campaign, items: list[WorkItem], to: Any) -> int:
    """Hand items to another collector. What was already submitted stays with its visits."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    moved = 0
    for item in WorkItem.objects.select_for_update().filter(pk__in=[i.pk for i in items], campaign=campaign):
        _scope_check(actor, Cap.CAMPAIGN_MANAGE, item.code, "items")
        _check_collector(to, item.code)
        if item.state == WorkItem.State.DONE:
            continue
        item.assignee = to
        item.save(update_fields=["assignee"])
        moved += 1
    log.record(
        actor,
        Action.CHANGE,
        targets=[("campaign", campaign.pk), ("user", to.pk)],
        extra={"reassigned": moved},
    )
    return moved


# ---------------------------------------------------------------- visits


@dataclass
class Occupant:
    name: str
    id_number: str
    phone: str = ""
    relation: str = ""
    kind: str = ResidenceKind.OWNED
    valid_from: str = ""  # ISO date; empty means the day of the visit


def _clean_occupants(occupants: list[Occupant]) -> list[dict[str, Any]]:
    out = []
    seen: set[str] = set()
    for i, occ in enumerate(occupants):
        try:
            values = people.clean_person(
                people.PersonInput(name=occ.name, id_number=occ.id_number, phone=occ.phone)
            )
        except ActionError as exc:
            raise ActionError(
                f"第 {i + 1} 位住户：{exc.message}", field=f"occupants.{i}.{exc.field}"
            ) from exc
        if values["id_number"] in seen:
            raise ActionError(f"第 {i + 1} 位住户的证件号码重复。", field=f"occupants.{i}.id_number")
        seen.add(values["id_number"])
        if occ.kind not in ResidenceKind.values:
            raise ActionError(f"第 {i + 1} 位住户的居住类型不在可选范围内。", field=f"occupants.{i}.kind")
        since = occ.valid_from or date.today().isoformat()
        try:
            if date.fromisoformat(since) > date.today():
                raise ValueError
        except ValueError:
            raise ActionError(
                f"第 {i + 1} 位住户的起居日期无效或晚于今天。", field=f"occupants.{i}.valid_from"
            ) from None
        out.append(
            {
                "name": values["name"],
                "id_number": values["id_number"],
                "phone": values["phone"],
                "relation": occ.relation,
                "kind": occ.kind,
                "valid_from": since,
            }
        )
    return out


def seal_payload(payload: dict[str, Any]) -> str:
    return crypto.keyring().encrypt(json.dumps(payload, ensure_ascii=False, sort_keys=True), PAYLOAD.context)


def open_payload(visit: Visit) -> dict[str, Any]:
    if not visit.payload_enc:
        return {}
    return dict(json.loads(crypto.keyring().decrypt(visit.payload_enc, PAYLOAD.context)))


def submit_visit(
    actor: Any,
    item: WorkItem,
    *,
    outcome: str,
    idempotency_key: str,
    occupants: list[Occupant] | None = None,
    confirmed: list[int] | None = None,
    note: str = "",
) -> tuple[Visit, bool]:
    """A collector's visit. Sending the same form again returns the first submission, unchanged.

    ``occupants`` are people the collector writes down (new, or registered elsewhere);
    ``confirmed`` are registered residents of the address whom the collector saw still
    living there, by their record number, so nobody re-types an ID the page shows masked.
    """
    if _is_user(actor):
        require(actor, Cap.CAMPAIGN_COLLECT)
    key = (idempotency_key or "").strip()
    if not key or len(key) > 64:
        raise ActionError("提交缺少有效的防重复编号，请刷新页面后重试。", field="idempotency_key")
    existing = Visit.objects.filter(collector_id=getattr(actor, "pk", None), idempotency_key=key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return _submit(actor, item, outcome, key, occupants or [], confirmed or [], note)
    except IntegrityError:
        # The same key arrived twice at once: the other request made it.
        again = Visit.objects.filter(collector_id=getattr(actor, "pk", None), idempotency_key=key).first()
        if again is None:
            raise ActionError("该地址已有待审核的采集记录。", field="item", code="pending") from None
        return again, False


def _submit(
    actor: Any,
    item: WorkItem,
    outcome: str,
    key: str,
    occupants: list[Occupant],
    confirmed: list[int],
    note: str,
) -> tuple[Visit, bool]:
    item = WorkItem.objects.select_for_update().select_related("campaign").get(pk=item.pk)
    # The same form may have arrived while this request waited for the lock: that one stands.
    first = Visit.objects.filter(collector_id=getattr(actor, "pk", None), idempotency_key=key).first()
    if first is not None:
        return first, False
    campaign = item.campaign
    if _is_user(actor) and item.assignee_id != actor.pk:
        raise ActionError("该地址不在您的采集任务中。", field="item", code="not_assigned")
    if campaign.status != Campaign.Status.ACTIVE:
        raise ActionError(
            f"采集活动{campaign.get_status_display()}，不能提交。", field="item", code="inactive"
        )
    today = date.today()
    if not campaign.starts_on <= today <= campaign.ends_on:
        raise ActionError("不在采集活动的起止日期内。", field="item", code="inactive")
    if item.state == WorkItem.State.PENDING:
        raise ActionError("该地址已有待审核的采集记录。", field="item", code="pending")
    if item.state == WorkItem.State.DONE:
        raise ActionError("该地址已完成采集。", field="item", code="done")
    if outcome not in Outcome.values:
        raise ActionError("上门结果不在可选范围内。", field="outcome")
    payload: dict[str, Any] = {}
    if outcome == Outcome.COLLECTED:
        if not occupants and not confirmed:
            raise ActionError("已采集时请至少填写或确认一位住户。", field="occupants")
        payload["occupants"] = _clean_occupants(occupants)
        residents = set(
            Residence.objects.filter(address_id=item.address_id, valid_to__isnull=True).values_list(
                "person_id", flat=True
            )
        )
        wrong = [pk for pk in confirmed if pk not in residents]
        if wrong:
            raise ActionError("确认的住户不是该地址的现住人员，请刷新后重试。", field="confirmed")
        payload["confirmed"] = sorted(set(confirmed))
    elif occupants or confirmed:
        raise ActionError("只有“已采集”才填写或确认住户。", field="occupants")
    note = note.strip()[:200]
    if outcome == Outcome.WRONG_ADDRESS and len(note) < 2:
        raise ActionError("地址有误时请在备注中写明正确的地址。", field="note")
    visit = Visit.objects.create(
        campaign=campaign,
        item=item,
        collector=actor,
        outcome=outcome,
        note=note,
        payload_enc=seal_payload(payload) if payload else "",
        idempotency_key=key,
    )
    item.state = WorkItem.State.PENDING
    item.attempts += 1
    item.last_visit_at = timezone.now()
    item.save(update_fields=["state", "attempts", "last_visit_at"])
    log.record(
        actor,
        Action.CREATE,
        targets=[("visit", visit.pk), ("address", item.code)],
        extra={
            "campaign": campaign.pk,
            "outcome": outcome,
            "occupants": len(payload.get("occupants", [])),
            "confirmed": len(payload.get("confirmed", [])),
        },
    )
    return visit, True


def _reviewable(actor: Any, visit: Visit) -> Visit:
    current = Visit.objects.select_for_update().select_related("item", "campaign").get(pk=visit.pk)
    _scope_check(actor, Cap.CAMPAIGN_REVIEW, current.item.code, "visit")
    if current.state != Visit.State.PENDING:
        raise ActionError(f"该采集记录{current.get_state_display()}。", field="visit", code="reviewed")
    if _is_user(actor) and current.collector_id == actor.pk:
        raise ActionError("不能审核自己提交的采集记录。", field="visit", code="own")
    return current


def _apply_occupants(actor: Any, visit: Visit, occupants: list[dict[str, Any]]) -> None:
    address = visit.item.address
    reason = f"集中采集：{visit.collector.get_username()} 采集，{getattr(actor, 'username', '系统')} 审核"
    for occ in occupants:
        data = people.PersonInput(name=occ["name"], id_number=occ["id_number"], phone=occ["phone"])
        move = people.MoveIn(
            address=address,
            valid_from=date.fromisoformat(occ["valid_from"]),
            kind=occ["kind"],
            relation=occ["relation"],
        )
        person = people.find_by_id_number(data.doc_type, occ["id_number"])
        if person is None:
            people.register_person(actor, data, move_in=move)
            continue
        values = people.clean_person(data)
        changed = person.name != values["name"] or (values["phone"] and person.phone != values["phone"])
        if changed:
            keep = people.PersonInput(
                name=values["name"],
                id_number=occ["id_number"],
                doc_type=person.doc_type,
                gender=person.gender,
                birth_date=person.birth_date,
                nationality=person.nationality,
                domicile_division=person.domicile_division_id or "",
                domicile_detail=person.domicile_detail,
                phone=values["phone"] or person.phone,
                employer_text=person.employer_text,
                former_names=list(person.former_names),
            )
            person = people.update_person(actor, person, keep, expected_version=person.version, reason=reason)
        current = person.current_residence()
        if current is None:
            people.move_in(actor, person, move)
        elif current.address_id != address.pk:
            people.relocate(actor, person, move)
        elif not changed:
            people.confirm_person(actor, person, reason)


def _apply_confirmations(actor: Any, visit: Visit, confirmed: list[int], moved_out: list[int]) -> None:
    reason = f"集中采集：{visit.collector.get_username()} 确认，{getattr(actor, 'username', '系统')} 审核"
    here = {
        r.person_id: r.person
        for r in Residence.objects.filter(
            address_id=visit.item.address_id, valid_to__isnull=True, person_id__in=[*confirmed, *moved_out]
        ).select_related("person")
    }
    for pk in confirmed:
        if pk in here and pk not in moved_out:
            people.confirm_person(actor, here[pk], reason)
    for pk in moved_out:
        if pk in here:
            people.move_out(actor, here[pk], date.today(), "集中采集复核：已不在该地址居住")


@transaction.atomic
def approve(actor: Any, visit: Visit) -> Visit:
    visit = _reviewable(actor, visit)
    item = WorkItem.objects.select_for_update().select_related("address").get(pk=visit.item_id)
    payload = open_payload(visit)
    if visit.outcome == Outcome.COLLECTED:
        _apply_occupants(actor, visit, payload.get("occupants", []))
        _apply_confirmations(actor, visit, payload.get("confirmed", []), payload.get("moved_out", []))
    elif visit.outcome == Outcome.DEMOLISHED:
        address_actions.demolish_node(actor, item.address, f"集中采集核实：{visit.note}".strip("："))
    elif visit.outcome == Outcome.WRONG_ADDRESS:
        proposals.propose(
            actor, visit.note, area_code=item.code, source=f"采集活动 {visit.campaign.name} 地址有误"
        )
    if visit.kind == Visit.Kind.VISIT:
        if visit.outcome in REVISIT:
            item.state = WorkItem.State.REVISIT
        else:
            item.state = WorkItem.State.DONE
            item.outcome = visit.outcome
            item.done_on = date.today()
        item.save(update_fields=["state", "outcome", "done_on"])
    visit.state = Visit.State.APPROVED
    visit.reviewer = _user(actor)
    visit.reviewed_at = timezone.now()
    visit.save(update_fields=["state", "reviewer", "reviewed_at"])
    log.record(
        actor,
        Action.CHANGE,
        targets=[("visit", visit.pk), ("address", item.code)],
        extra={"review": "approved", "collector": visit.collector.get_username(), "outcome": visit.outcome},
    )
    return visit


@transaction.atomic
def reject(actor: Any, visit: Visit, reasons: dict[str, str]) -> Visit:
    """Send a submission back with a reason per field; the collector sees them and visits again."""
    visit = _reviewable(actor, visit)
    cleaned = {str(k): str(v).strip()[:200] for k, v in reasons.items() if str(v).strip()}
    if not cleaned:
        raise ActionError("请至少对一个字段写明退回原因。", field="reasons")
    if any(len(v) < 2 for v in cleaned.values()):
        raise ActionError("退回原因至少写两个字。", field="reasons")
    visit.state = Visit.State.REJECTED
    visit.rejection = cleaned
    visit.reviewer = _user(actor)
    visit.reviewed_at = timezone.now()
    visit.save(update_fields=["state", "rejection", "reviewer", "reviewed_at"])
    if visit.kind == Visit.Kind.VISIT:
        WorkItem.objects.filter(pk=visit.item_id).update(state=WorkItem.State.OPEN)
    log.record(
        actor,
        Action.CHANGE,
        targets=[("visit", visit.pk), ("address", visit.item.code)],
        extra={"review": "rejected", "fields": sorted(cleaned)},
    )
    return visit


# ---------------------------------------------------------------- re-check


def visit_fields(payload: dict[str, Any]) -> list[str]:
    """The fields a re-check confirms one by one: each occupant's name, ID, phone and relation."""
    out = []
    for i, occ in enumerate(payload.get("occupants", [])):
        out += [f"occupants.{i}.{name}" for name in OCCUPANT_FIELDS if occ.get(name)]
    out += [f"confirmed.{pk}" for pk in payload.get("confirmed", [])]
    return out


@transaction.atomic
def draw_recheck(actor: Any, campaign: Campaign, area_code: str, verifiers: list[Any]) -> RecheckDraw:
    """Draw an area's re-check sample from its approved collections, once, reproducibly."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _scope_check(actor, Cap.CAMPAIGN_MANAGE, area_code, "area_code")
    if not any(area_code.startswith(c) or c.startswith(area_code) for c in campaign.area_codes):
        raise ActionError("该区域不在本次采集范围内。", field="area_code")
    if RecheckDraw.objects.filter(campaign=campaign, area_code=area_code).exists():
        raise ActionError("该区域已抽取过复核样本，不能重复抽取。", field="area_code", code="drawn")
    figures = rates(campaign, prefix=area_code)
    if figures.collection_rate is None or figures.collection_rate < campaign.recheck_threshold:
        shown = "—" if figures.collection_rate is None else f"{figures.collection_rate:.1%}"
        raise ActionError(
            f"该区域采集率 {shown}，未达到抽样起点 {campaign.recheck_threshold:.0%}。", field="area_code"
        )
    if not verifiers:
        raise ActionError("请至少选择一名复核人。", field="verifiers")
    for user in verifiers:
        _check_collector(user, area_code)
    population = sorted(
        Visit.objects.filter(
            prefix_q("item__code", area_code),
            campaign=campaign,
            kind=Visit.Kind.VISIT,
            state=Visit.State.APPROVED,
            outcome=Outcome.COLLECTED,
        ).values_list("pk", "collector_id")
    )
    if not population:
        raise ActionError("该区域还没有审核通过的采集记录可供抽样。", field="area_code")
    size = max(1, math.ceil(Decimal(len(population)) * campaign.recheck_rate))
    seed = f"{campaign.seed}:{area_code}"
    sample = random.Random(seed).sample(population, size)
    draw = RecheckDraw.objects.create(
        campaign=campaign,
        area_code=area_code,
        seed=seed,
        population=len(population),
        size=size,
        drawn_by=_user(actor),
    )
    for turn, (visit_pk, collector_pk) in enumerate(sample):
        options = [u for u in verifiers if u.pk != collector_pk]
        if not options:
            raise ActionError("复核人不能是被复核记录的采集员，请再选一名复核人。", field="verifiers")
        RecheckItem.objects.create(draw=draw, visit_id=visit_pk, verifier=options[turn % len(options)])
    log.record(
        actor,
        Action.CREATE,
        targets=[("campaign", campaign.pk), ("recheck_draw", draw.pk)],
        extra={"area": area_code, "population": len(population), "size": size, "seed": seed},
    )
    return draw


@transaction.atomic
def verify(actor: Any, item: RecheckItem, results: dict[str, Any]) -> RecheckItem:
    """Record a field re-check: each field confirmed, or wrong with the corrected value.

    Corrections become a correction visit that goes through review like any submission.
    """
    item = RecheckItem.objects.select_for_update().select_related("visit", "visit__item").get(pk=item.pk)
    if _is_user(actor):
        require(actor, Cap.CAMPAIGN_COLLECT)
        if item.verifier_id != actor.pk:
            raise ActionError("该复核任务不是分配给您的。", field="item", code="not_assigned")
        if item.visit.collector_id == actor.pk:
            raise ActionError("不能复核自己采集的记录。", field="item", code="own")
    if item.state == RecheckItem.State.DONE:
        raise ActionError("该记录已复核。", field="item", code="done")
    payload = open_payload(item.visit)
    fields = visit_fields(payload)
    missing = [f for f in fields if f not in results]
    if missing:
        raise ActionError(f"还有 {len(missing)} 项未核对：{missing[0]}。", field=missing[0])
    wrong: list[str] = []
    corrected = json.loads(json.dumps(payload))
    corrected["moved_out"] = []
    for name in fields:
        result = results[name]
        if result.get("ok"):
            continue
        wrong.append(name)
        if name.startswith("confirmed."):
            # Wrong here means the resident no longer lives at the address.
            corrected["moved_out"].append(int(name.split(".")[1]))
            continue
        value = str(result.get("value", "")).strip()
        if not value:
            raise ActionError("核对有误的项请填写正确的值。", field=name)
        _, index, key = name.split(".")
        corrected["occupants"][int(index)][key] = value
    item.fields_checked = len(fields)
    item.fields_confirmed = len(fields) - len(wrong)
    item.wrong_fields = wrong
    item.state = RecheckItem.State.DONE
    item.checked_at = timezone.now()
    if wrong:
        occupants = [Occupant(**occ) for occ in corrected["occupants"]]
        correction = Visit.objects.create(
            campaign_id=item.visit.campaign_id,
            item_id=item.visit.item_id,
            kind=Visit.Kind.CORRECTION,
            collector=actor,
            outcome=Outcome.COLLECTED,
            note=f"复核更正：{'、'.join(wrong)}"[:200],
            payload_enc=seal_payload(
                {
                    "occupants": _clean_occupants(occupants),
                    "confirmed": corrected.get("confirmed", []),
                    "moved_out": corrected["moved_out"],
                }
            ),
            idempotency_key=f"recheck-{item.pk}",
        )
        item.correction = correction
    item.save()
    log.record(
        actor,
        Action.CHANGE,
        targets=[("recheck", item.pk), ("visit", item.visit_id)],
        extra={"checked": item.fields_checked, "confirmed": item.fields_confirmed, "wrong": wrong},
    )
    return item


# ---------------------------------------------------------------- rates


@dataclass
class Rates:
    expected: int = 0
    collected: int = 0
    refused: int = 0
    left_roster: int = 0
    pending: int = 0
    revisit: int = 0
    open: int = 0
    checked: int = 0
    confirmed: int = 0
    collection_rate: Decimal | None = None
    accuracy_rate: Decimal | None = None
    outstanding: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ratio(a: int, b: int) -> Decimal | None:
    return (Decimal(a) / Decimal(b)).quantize(Decimal("0.0001")) if b else None


def rates(campaign: Campaign, prefix: str | None = None, assignee: Any = None) -> Rates:
    """Both rates exactly as docs/rates.md defines them, for the campaign or one area or collector."""
    items = WorkItem.objects.filter(campaign=campaign)
    checks = RecheckItem.objects.filter(draw__campaign=campaign, state=RecheckItem.State.DONE)
    if prefix:
        items = items.filter(prefix_q("code", prefix))
        checks = checks.filter(prefix_q("visit__item__code", prefix))
    if assignee is not None:
        items = items.filter(assignee=assignee)
        checks = checks.filter(visit__collector=assignee)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for state, outcome in items.values_list("state", "outcome"):
        counts[(state, outcome)] += 1
    return _rates_from(counts, list(checks.values_list("fields_checked", "fields_confirmed")))


def _rates_from(counts: dict[tuple[str, str], int], checks: list[tuple[int, int]]) -> Rates:
    r = Rates()
    for (state, outcome), n in counts.items():
        if state == WorkItem.State.DONE and outcome in LEAVES_THE_ROSTER:
            r.left_roster += n
            continue
        r.expected += n
        if state == WorkItem.State.DONE and outcome in COUNTS_AS_COLLECTED:
            r.collected += n
        elif state == WorkItem.State.DONE and outcome == Outcome.REFUSED:
            r.refused += n
        elif state == WorkItem.State.PENDING:
            r.pending += n
        elif state == WorkItem.State.REVISIT:
            r.revisit += n
        else:
            r.open += n
    r.outstanding = r.open + r.revisit + r.pending
    r.checked = sum(c for c, _ in checks)
    r.confirmed = sum(c for _, c in checks)
    r.collection_rate = _ratio(r.collected, r.expected)
    r.accuracy_rate = _ratio(r.confirmed, r.checked)
    return r
