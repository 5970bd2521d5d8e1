"""Every change to the actual houses and their tenancies goes through these functions.

Same shape as ``ybss.units.actions`` (whose scope, person and version helpers
they share): check the input and the actor's jurisdiction, write, add a
``HouseVersion`` row and an audit row, in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, models, transaction

from ybss.access.roles import Cap
from ybss.access.scope import require, scope_for
from ybss.addresses.models import AddressNode, Kind, Status
from ybss.audit import log
from ybss.audit.models import Action
from ybss.core.errors import ActionError
from ybss.people.models import Person
from ybss.units.actions import (
    Actor,
    check_dates,
    check_scope,
    check_version,
    shown,
    text,
    user_of,
    visible_person,
)
from ybss.units.models import Unit

from .models import MAX_FLOOR_AREA, House, HouseUse, HouseVersion, Structure, Tenancy, TenancyTenant

HOUSE_KINDS = (Kind.ROOM, Kind.DOORPLATE)
HOUSE_FIELDS = ("use", "structure", "floor_area", "owner_person", "owner_unit", "last_confirmed")


def _version_row(
    actor: Actor,
    house: House,
    record: str,
    obj: models.Model,
    action: str,
    changes: dict[str, Any],
    reason: str,
) -> None:
    HouseVersion.objects.create(
        house=house,
        record=record,
        record_id=obj.pk,
        version=obj.version,  # type: ignore[attr-defined]
        action=action,
        changes=changes,
        reason=reason[:200],
        actor=user_of(actor),
        actor_name=(getattr(actor, "username", "") if actor else "系统")[:150],
    )


def _is_user(actor: Actor) -> bool:
    return actor is not None and bool(getattr(actor, "is_authenticated", False))


def visible_unit(actor: Actor, unit: Unit | None, field: str) -> Unit | None:
    if unit is None or not _is_user(actor):
        return unit
    if not scope_for(actor).covers(unit.address.code):
        raise ActionError("找不到该单位。", field=field, code="not_found")
    return unit


def unit_by_pk(actor: Actor, pk: Any, field: str) -> Unit | None:
    if pk in (None, ""):
        return None
    try:
        number = int(pk)
    except (TypeError, ValueError):
        raise ActionError("单位编号应为数字。", field=field) from None
    unit = Unit.objects.select_related("address").filter(pk=number).first()
    if unit is None:
        raise ActionError("找不到该单位。", field=field, code="not_found")
    return visible_unit(actor, unit, field)


def _floor_area(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        area = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        raise ActionError("建筑面积应为数字。", field="floor_area") from None
    if not area.is_finite() or area <= 0 or area >= MAX_FLOOR_AREA:
        raise ActionError("建筑面积应大于 0 且小于 10000 平方米。", field="floor_area")
    return area


def clean_house(actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    """Validated values for the house fields given, or an ActionError naming the first bad one.
    Public so the bulk import checks rows exactly as the forms do."""
    unknown = set(values) - set(HOUSE_FIELDS)
    if unknown:
        raise ActionError(f"不能修改的字段：{'、'.join(sorted(unknown))}。", field=sorted(unknown)[0])
    out: dict[str, Any] = {}
    if "use" in values:
        if values["use"] not in HouseUse.values:
            raise ActionError("房屋用途不在可选范围内。", field="use")
        out["use"] = values["use"]
    if "structure" in values:
        structure = values["structure"] or ""
        if structure and structure not in Structure.values:
            raise ActionError("房屋结构不在可选范围内。", field="structure")
        out["structure"] = structure
    if "floor_area" in values:
        out["floor_area"] = _floor_area(values["floor_area"])
    if "owner_person" in values:
        person = values["owner_person"]
        if person is not None and not isinstance(person, Person):
            raise ActionError("找不到该人员。", field="owner_person")
        out["owner_person"] = visible_person(actor, person, "owner_person")
    if "owner_unit" in values:
        unit = values["owner_unit"]
        if unit is not None and not isinstance(unit, Unit):
            raise ActionError("找不到该单位。", field="owner_unit")
        out["owner_unit"] = visible_unit(actor, unit, "owner_unit")
    if "last_confirmed" in values:
        day = values["last_confirmed"] or date.today()
        if not isinstance(day, date) or day > date.today():
            raise ActionError("最近核实日期不能晚于今天。", field="last_confirmed")
        out["last_confirmed"] = day
    return out


def _apply(house: House, values: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name, new in values.items():
        old = getattr(house, name)
        if old != new:
            changes[name] = [shown(old), shown(new)]
            setattr(house, name, new)
    if house.owner_person_id is not None and house.owner_unit_id is not None:
        raise ActionError("产权人只能是一个人或一个单位，不能同时填写。", field="owner_unit")
    return changes


@transaction.atomic
def create_house(actor: Actor, address: AddressNode, *, use: str, reason: str = "", **fields: Any) -> House:
    """Register the house on a room or a whole-house door plate."""
    if _is_user(actor):
        require(actor, Cap.PERSON_EDIT)
    address = AddressNode.objects.select_for_update().get(pk=address.pk)
    check_scope(actor, address.code, "address", "找不到该地址。")
    if address.kind not in HOUSE_KINDS:
        raise ActionError("房屋应登记在户室上，整栋房屋（如农村住房）登记在门牌号上。", field="address")
    if address.status != Status.IN_USE:
        raise ActionError(f"该地址已{address.get_status_display()}，不能登记房屋。", field="address")
    if House.objects.filter(address=address, active=True).exists():
        raise ActionError("该地址已登记房屋。", field="address", code="duplicate")
    values = clean_house(actor, {"use": use, **fields})
    house = House(address=address, use=values["use"])
    changes = _apply(house, values)
    try:
        with transaction.atomic():
            house.save()
    except IntegrityError as exc:  # pragma: no cover - the address row lock makes this rare
        raise ActionError("该地址刚被登记房屋，请刷新后重试。", field="address", code="duplicate") from exc
    _version_row(actor, house, HouseVersion.Record.HOUSE, house, "create", changes, reason)
    log.record(actor, Action.CREATE, targets=[("house", house.pk), ("address", address.code)])
    return house


def _locked_house(actor: Actor, house: House, field: str) -> House:
    locked = House.objects.select_for_update().select_related("address").get(pk=house.pk)
    check_scope(actor, locked.address.code, field)
    return locked


@transaction.atomic
def update_house(
    actor: Actor, house: House, *, expected_version: int | None, reason: str = "", **fields: Any
) -> House:
    current = check_version(_locked_house(actor, house, "use"), expected_version)
    values = clean_house(actor, fields)
    changes = _apply(current, values)
    if not changes:
        return current
    current.version += 1
    current.save()
    _version_row(actor, current, HouseVersion.Record.HOUSE, current, "update", changes, reason)
    log.record(
        actor,
        Action.CHANGE,
        targets=[("house", current.pk), ("address", current.address.code)],
        extra={"fields": sorted(changes)},
    )
    return current


@transaction.atomic
def add_tenancy(
    actor: Actor,
    house: House,
    *,
    valid_from: date,
    valid_to: date | None = None,
    landlord: Person | None = None,
    tenants: Iterable[Person] = (),
    registration_number: str = "",
    security_agreement_signed: bool = False,
) -> Tenancy:
    house = _locked_house(actor, house, "house")
    if house.address.status != Status.IN_USE:
        raise ActionError(
            f"房屋所在地址已{house.address.get_status_display()}，不能登记租赁。", field="house"
        )
    if not house.active:
        raise ActionError("该房屋已注销，不能登记租赁。", field="house")
    check_dates(valid_from, valid_to)
    visible_person(actor, landlord, "landlord")
    people: dict[int, Person] = {}
    for person in tenants:
        people[person.pk] = visible_person(actor, person, "tenants") or person
    if not people:
        raise ActionError("请至少填写一名承租人。", field="tenants")
    if landlord is not None and landlord.pk in people:
        raise ActionError("出租人不能同时是承租人。", field="tenants")
    number = text(registration_number, "租赁登记备案号", "registration_number", max_length=50)
    tenancy = Tenancy.objects.create(
        house=house,
        landlord=landlord,
        valid_from=valid_from,
        valid_to=valid_to,
        registration_number=number,
        security_agreement_signed=bool(security_agreement_signed),
    )
    TenancyTenant.objects.bulk_create([TenancyTenant(tenancy=tenancy, person=p) for p in people.values()])
    changes = {
        "landlord": shown(landlord),
        "tenants": sorted(people),
        "valid_from": shown(valid_from),
        "valid_to": shown(valid_to),
        "registration_number": number,
        "security_agreement_signed": bool(security_agreement_signed),
    }
    _version_row(actor, house, HouseVersion.Record.TENANCY, tenancy, "create", changes, "")
    log.record(
        actor,
        Action.CREATE,
        targets=[("house", house.pk), ("tenancy", tenancy.pk), *(("person", pk) for pk in people)],
    )
    return tenancy


@transaction.atomic
def end_tenancy(
    actor: Actor, tenancy: Tenancy, *, expected_version: int | None, valid_to: date, reason: str = ""
) -> Tenancy:
    house = _locked_house(actor, tenancy.house, "valid_to")
    current = check_version(Tenancy.objects.select_for_update().get(pk=tenancy.pk), expected_version)
    if current.valid_to is not None and current.valid_to < date.today():
        raise ActionError("该租赁已结束。", field="valid_to")
    if not isinstance(valid_to, date):
        raise ActionError("请填写止租日期。", field="valid_to")
    if valid_to < current.valid_from:
        raise ActionError(f"止租日期不能早于起租日期 {current.valid_from}。", field="valid_to")
    old = current.valid_to
    current.valid_to = valid_to
    current.version += 1
    current.save(update_fields=["valid_to", "version"])
    _version_row(
        actor,
        house,
        HouseVersion.Record.TENANCY,
        current,
        "end",
        {"valid_to": [shown(old), shown(valid_to)]},
        reason,
    )
    log.record(actor, Action.CHANGE, targets=[("house", house.pk), ("tenancy", current.pk)])
    return current
