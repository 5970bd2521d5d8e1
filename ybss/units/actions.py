"""Every change to the actual units goes through these functions.

Pages and the API call them. Each one checks its input (Chinese messages
naming the field), the actor's jurisdiction and, for edits, the version the
editor saw; then it writes the change, a ``UnitVersion`` row and an audit row
in one transaction. ``actor=None`` is the system (demo builder, imports run by
the operator), bounded by nothing but the checks on the data itself.

The helpers at the top (scope, person lookup, version lock) are shared with
``ybss.houses.actions``.
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.db import IntegrityError, models, transaction

from ybss.access import crypto
from ybss.access.roles import Cap
from ybss.access.scope import require, scope_for
from ybss.addresses.models import AddressNode, Kind, Status
from ybss.audit import log
from ybss.audit.models import Action
from ybss.core.errors import ActionError
from ybss.lib.credit_code import CreditCodeError, validate_credit_code
from ybss.lib.phone import PhoneError, normalize_phone
from ybss.lib.text import InvalidName, clean_name
from ybss.people.models import Person

from .models import (
    CONTACT_PHONE,
    BusinessStatus,
    Employment,
    Licence,
    SpecialIndustry,
    Unit,
    UnitType,
    UnitVersion,
    encode_industries,
)

Actor = Any  # a User, an API TokenUser, or None for the system
M = TypeVar("M", bound=models.Model)

CONFLICT_MESSAGE = "该记录已被他人修改，请刷新后重试。"

# --- shared helpers -------------------------------------------------------------


def user_of(actor: Actor) -> Any:
    """The stored user behind an actor; None for the system and for API tokens."""
    return actor if isinstance(actor, get_user_model()) else None


def _is_user(actor: Actor) -> bool:
    return actor is not None and bool(getattr(actor, "is_authenticated", False))


def check_scope(actor: Actor, code: str, field: str, message: str = "找不到该记录。") -> None:
    """A user may only change records inside their jurisdiction; outside it the
    answer is the same as for a record that does not exist."""
    if not _is_user(actor):
        return
    scope = require(actor, Cap.PERSON_EDIT)
    if not scope.covers(code):
        raise ActionError(message, field=field, code="not_found")


def check_version(obj: M, expected: int | None) -> M:
    """``obj`` (locked for update by the caller), or a conflict if someone saved it since
    the editor loaded version ``expected``."""
    if expected is None or int(expected) != obj.version:  # type: ignore[attr-defined]
        raise ActionError(CONFLICT_MESSAGE, field="version", code="conflict")
    return obj


def visible_person(actor: Actor, person: Person | None, field: str) -> Person | None:
    """The person, if the actor may link it: living or registered inside their jurisdiction.

    A person elsewhere answers like one that does not exist, so a form cannot
    be used to probe the registry outside one's own area.
    """
    if person is None or not _is_user(actor):
        return person
    scope = scope_for(actor)
    if not Person.objects.filter(scope.q("residence_code") | scope.q("domicile_code"), pk=person.pk).exists():
        raise ActionError("找不到该人员。", field=field, code="not_found")
    return person


def person_by_pk(actor: Actor, pk: Any, field: str) -> Person | None:
    """Resolve a person number typed into a form or sent to the API."""
    if pk in (None, ""):
        return None
    try:
        number = int(pk)
    except (TypeError, ValueError):
        raise ActionError("人员编号应为数字。", field=field) from None
    person = Person.objects.filter(pk=number).first()
    if person is None:
        raise ActionError("找不到该人员。", field=field, code="not_found")
    return visible_person(actor, person, field)


def address_by_pk(actor: Actor, pk: Any, field: str = "address") -> AddressNode:
    """Resolve an address id; one outside the actor's jurisdiction is "not found"."""
    try:
        number = int(pk)
    except (TypeError, ValueError):
        raise ActionError("请选择标准地址。", field=field) from None
    node = AddressNode.objects.filter(pk=number).first()
    if node is None or (_is_user(actor) and not scope_for(actor).covers(node.code)):
        raise ActionError("找不到该地址。", field=field, code="not_found")
    return node


def address_by_code(actor: Actor, code: str, field: str = "address") -> AddressNode:
    node = AddressNode.objects.filter(code=(code or "").strip().upper()).first()
    if node is None or (_is_user(actor) and not scope_for(actor).covers(node.code)):
        raise ActionError("找不到该地址编码。", field=field, code="not_found")
    return node


def text(value: Any, label: str, field: str, *, max_length: int, required: bool = False) -> str:
    """A free-text value checked like a name: no markup, no control characters."""
    raw = "" if value is None else str(value)
    if not raw.strip() and not required:
        return ""
    try:
        return clean_name(raw, label, max_length=max_length)
    except InvalidName as exc:
        raise ActionError(str(exc), field=field) from exc


def check_dates(valid_from: Any, valid_to: Any, *, to_field: str = "valid_to") -> None:
    if not isinstance(valid_from, date):
        raise ActionError("请填写开始日期。", field="valid_from")
    if valid_to is not None and not isinstance(valid_to, date):
        raise ActionError("结束日期格式不正确。", field=to_field)
    if valid_to is not None and valid_to < valid_from:
        raise ActionError("结束日期不能早于开始日期。", field=to_field)


def shown(value: Any) -> Any:
    """A value as kept in a version row's JSON."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, models.Model):
        return value.pk
    return str(value)


# --- units ------------------------------------------------------------------

UNIT_FIELDS = (
    "address",
    "name",
    "credit_code",
    "unit_type",
    "industry",
    "special_industries",
    "business_status",
    "legal_representative",
    "contact_name",
    "contact_phone",
    "last_confirmed",
)


def clean_unit(actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    """Validated values for the fields given, or an ActionError naming the first bad one.
    Public so the bulk import checks rows exactly as the forms do."""
    unknown = set(values) - set(UNIT_FIELDS)
    if unknown:
        raise ActionError(f"不能修改的字段：{'、'.join(sorted(unknown))}。", field=sorted(unknown)[0])
    out: dict[str, Any] = {}
    if "address" in values:
        address = values["address"]
        if not isinstance(address, AddressNode):
            raise ActionError("请选择标准地址。", field="address")
        check_scope(actor, address.code, "address", "找不到该地址。")
        if address.status != Status.IN_USE:
            raise ActionError(f"该地址已{address.get_status_display()}，不能登记单位。", field="address")
        if address.kind == Kind.GROUP:
            raise ActionError("单位应登记在门牌号、小区/单位院、楼栋或户室上。", field="address")
        out["address"] = address
    if "name" in values:
        out["name"] = text(values["name"], "单位名称", "name", max_length=100, required=True)
    if "credit_code" in values:
        raw = (values["credit_code"] or "").strip()
        if raw:
            try:
                out["credit_code"] = validate_credit_code(raw).code
            except CreditCodeError as exc:
                raise ActionError(exc.message, field="credit_code", code=exc.code) from exc
        else:
            out["credit_code"] = ""
    if "unit_type" in values:
        if values["unit_type"] not in UnitType.values:
            raise ActionError("单位类型不在可选范围内。", field="unit_type")
        out["unit_type"] = values["unit_type"]
    if "industry" in values:
        out["industry"] = text(values["industry"], "所属行业", "industry", max_length=100)
    if "special_industries" in values:
        codes = list(values["special_industries"] or [])
        bad = [c for c in codes if c not in SpecialIndustry.values]
        if bad:
            raise ActionError(f"特种行业不在可选范围内：{bad[0]}。", field="special_industries")
        out["special_industries"] = encode_industries(codes)
    if "business_status" in values:
        status = values["business_status"] or ""
        if status and status not in BusinessStatus.values:
            raise ActionError("经营状态不在可选范围内。", field="business_status")
        out["business_status"] = status
    if "legal_representative" in values:
        rep = values["legal_representative"]
        if rep is not None and not isinstance(rep, Person):
            raise ActionError("找不到该人员。", field="legal_representative")
        out["legal_representative"] = visible_person(actor, rep, "legal_representative")
    if "contact_name" in values:
        out["contact_name"] = text(values["contact_name"], "联系人", "contact_name", max_length=50)
    if "contact_phone" in values:
        raw = (values["contact_phone"] or "").strip()
        try:
            out["contact_phone"] = normalize_phone(raw) if raw else ""
        except PhoneError as exc:
            raise ActionError(exc.message, field="contact_phone", code=exc.code) from exc
    if "last_confirmed" in values:
        day = values["last_confirmed"] or date.today()
        if not isinstance(day, date) or day > date.today():
            raise ActionError("最近核实日期不能晚于今天。", field="last_confirmed")
        out["last_confirmed"] = day
    return out


def _check_credit_code(unit: Unit) -> None:
    if not unit.credit_code or unit.business_status == BusinessStatus.CANCELLED:
        return
    taken = (
        Unit.objects.filter(credit_code=unit.credit_code)
        .exclude(business_status=BusinessStatus.CANCELLED)
        .exclude(pk=unit.pk)
        .exists()
    )
    if taken:
        raise ActionError(
            "该统一社会信用代码已登记在另一家未注销的单位名下。", field="credit_code", code="duplicate"
        )


def _save_unit(unit: Unit) -> None:
    _check_credit_code(unit)
    try:
        with transaction.atomic():
            unit.save()
    except IntegrityError as exc:  # another writer registered the same code just now
        raise ActionError(
            "该统一社会信用代码刚被登记，请刷新后重试。", field="credit_code", code="duplicate"
        ) from exc


def version_row(
    actor: Actor,
    unit: Unit,
    record: str,
    obj: models.Model,
    action: str,
    changes: dict[str, Any],
    reason: str,
) -> None:
    UnitVersion.objects.create(
        unit=unit,
        record=record,
        record_id=obj.pk,
        version=obj.version,  # type: ignore[attr-defined]
        action=action,
        changes=changes,
        reason=reason[:200],
        actor=user_of(actor),
        actor_name=(getattr(actor, "username", "") if actor else "系统")[:150],
    )


def _apply(unit: Unit, values: dict[str, Any]) -> dict[str, Any]:
    """Set the cleaned values on ``unit``; returns what changed, identifiers never in clear."""
    changes: dict[str, Any] = {}
    for name, new in values.items():
        if name == "contact_phone":
            if new != unit.contact_phone:
                unit.contact_phone_enc, unit.contact_phone_index = crypto.seal(CONTACT_PHONE, new)
                changes[name] = "changed"
            continue
        old = getattr(unit, name)
        if old != new:
            changes[name] = [shown(old), shown(new)]
            setattr(unit, name, new)
    return changes


@transaction.atomic
def create_unit(
    actor: Actor,
    address: AddressNode,
    *,
    name: str,
    unit_type: str,
    reason: str = "",
    **fields: Any,
) -> Unit:
    """Register a unit at an address. ``fields``: any of the other UNIT_FIELDS."""
    if _is_user(actor):
        require(actor, Cap.PERSON_EDIT)
    values = clean_unit(actor, {"address": address, "name": name, "unit_type": unit_type, **fields})
    unit = Unit(address=values["address"], name=values["name"], unit_type=values["unit_type"])
    changes = _apply(unit, values)
    _save_unit(unit)
    version_row(actor, unit, UnitVersion.Record.UNIT, unit, "create", changes, reason)
    log.record(actor, Action.CREATE, targets=[("unit", unit.pk), ("address", unit.address.code)])
    return unit


@transaction.atomic
def update_unit(
    actor: Actor, unit: Unit, *, expected_version: int | None, reason: str = "", **fields: Any
) -> Unit:
    """Change a unit; refused if someone else saved it since ``expected_version``."""
    current = _locked_unit(actor, unit, "name")
    check_version(current, expected_version)
    values = clean_unit(actor, fields)
    changes = _apply(current, values)
    if not changes:
        return current
    current.version += 1
    _save_unit(current)
    version_row(actor, current, UnitVersion.Record.UNIT, current, "update", changes, reason)
    log.record(
        actor,
        Action.CHANGE,
        targets=[("unit", current.pk), ("address", current.address.code)],
        extra={"fields": sorted(changes)},
    )
    return current


# --- licences -------------------------------------------------------------------


def _clean_licence(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "kind" in values:
        out["kind"] = text(values["kind"], "证照类型", "kind", max_length=50, required=True)
    if "number" in values:
        out["number"] = text(values["number"], "证照编号", "number", max_length=50, required=True)
    for name in ("valid_from", "valid_to"):
        if name in values:
            out[name] = values[name]
    return out


def _locked_unit(actor: Actor, unit: Unit, field: str) -> Unit:
    locked = Unit.objects.select_for_update().select_related("address").get(pk=unit.pk)
    check_scope(actor, locked.address.code, field)
    return locked


@transaction.atomic
def add_licence(
    actor: Actor, unit: Unit, *, kind: str, number: str, valid_from: date, valid_to: date | None = None
) -> Licence:
    unit = _locked_unit(actor, unit, "kind")
    if not unit.is_active:
        raise ActionError("单位已注销，不能再登记证照。", field="kind")
    values = _clean_licence({"kind": kind, "number": number})
    check_dates(valid_from, valid_to)
    licence = Licence.objects.create(unit=unit, valid_from=valid_from, valid_to=valid_to, **values)
    changes = {k: shown(getattr(licence, k)) for k in ("kind", "number", "valid_from", "valid_to")}
    version_row(actor, unit, UnitVersion.Record.LICENCE, licence, "create", changes, "")
    log.record(actor, Action.CREATE, targets=[("unit", unit.pk), ("licence", licence.pk)])
    return licence


@transaction.atomic
def update_licence(
    actor: Actor, licence: Licence, *, expected_version: int | None, reason: str = "", **fields: Any
) -> Licence:
    unit = _locked_unit(actor, licence.unit, "kind")
    current = check_version(Licence.objects.select_for_update().get(pk=licence.pk), expected_version)
    unknown = set(fields) - {"kind", "number", "valid_from", "valid_to"}
    if unknown:
        raise ActionError(f"不能修改的字段：{'、'.join(sorted(unknown))}。", field=sorted(unknown)[0])
    values = _clean_licence(fields)
    check_dates(values.get("valid_from", current.valid_from), values.get("valid_to", current.valid_to))
    changes = {}
    for name, new in values.items():
        old = getattr(current, name)
        if old != new:
            changes[name] = [shown(old), shown(new)]
            setattr(current, name, new)
    if not changes:
        return current
    current.version += 1
    current.save()
    version_row(actor, unit, UnitVersion.Record.LICENCE, current, "update", changes, reason)
    log.record(actor, Action.CHANGE, targets=[("unit", unit.pk), ("licence", current.pk)])
    return current


# --- employment -------------------------------------------------------------------


def _overlapping(unit: Unit, person: Person, valid_from: date, valid_to: date | None) -> bool:
    qs = Employment.objects.filter(unit=unit, person=person).filter(
        models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=valid_from)
    )
    if valid_to is not None:
        qs = qs.filter(valid_from__lte=valid_to)
    return qs.exists()


@transaction.atomic
def add_employment(
    actor: Actor,
    unit: Unit,
    person: Person,
    *,
    valid_from: date,
    valid_to: date | None = None,
    role: str = "",
) -> Employment:
    """A person starts (or started) working at a unit. Locking the unit row
    serialises writers, so two overlapping employments can never both pass the check."""
    unit = _locked_unit(actor, unit, "person")
    visible_person(actor, person, "person")
    check_dates(valid_from, valid_to)
    if valid_from > date.today():
        raise ActionError("入职日期不能晚于今天。", field="valid_from")
    role = text(role, "岗位", "role", max_length=50)
    if _overlapping(unit, person, valid_from, valid_to):
        raise ActionError(
            "该人员在本单位已有时间重叠的从业记录，请先结束原记录或调整日期。",
            field="valid_from",
            code="overlap",
        )
    employment = Employment.objects.create(
        unit=unit, person=person, role=role, valid_from=valid_from, valid_to=valid_to
    )
    changes = {
        "person": person.pk,
        "role": role,
        "valid_from": shown(valid_from),
        "valid_to": shown(valid_to),
    }
    version_row(actor, unit, UnitVersion.Record.EMPLOYMENT, employment, "create", changes, "")
    log.record(
        actor,
        Action.CREATE,
        targets=[("unit", unit.pk), ("person", person.pk), ("employment", employment.pk)],
    )
    return employment


@transaction.atomic
def end_employment(
    actor: Actor, employment: Employment, *, expected_version: int | None, valid_to: date, reason: str = ""
) -> Employment:
    """The person left the unit on ``valid_to``; the record stays as history."""
    unit = _locked_unit(actor, employment.unit, "valid_to")
    current = check_version(Employment.objects.select_for_update().get(pk=employment.pk), expected_version)
    if current.valid_to is not None:
        raise ActionError("该从业记录已结束。", field="valid_to")
    if not isinstance(valid_to, date):
        raise ActionError("请填写离职日期。", field="valid_to")
    if valid_to < current.valid_from:
        raise ActionError(f"离职日期不能早于入职日期 {current.valid_from}。", field="valid_to")
    if valid_to > date.today():
        raise ActionError("离职日期不能晚于今天。", field="valid_to")
    current.valid_to = valid_to
    current.version += 1
    current.save(update_fields=["valid_to", "version"])
    version_row(
        actor,
        unit,
        UnitVersion.Record.EMPLOYMENT,
        current,
        "end",
        {"valid_to": [None, shown(valid_to)]},
        reason,
    )
    log.record(
        actor,
        Action.CHANGE,
        targets=[("unit", unit.pk), ("person", current.person_id), ("employment", current.pk)],
    )
    return current
