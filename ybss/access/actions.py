"""Account and assignment changes. Pages and the command line call these;
every change is audited in the same transaction."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from ybss.audit import log
from ybss.audit.models import Action
from ybss.core.errors import ActionError
from ybss.lib.text import InvalidName, clean_name

from .models import Jurisdiction, UserAccess
from .roles import Cap, Role
from .scope import forget, require

# What a station administrator may hand out; wider roles come from the system administrator.
STATION_GRANTABLE = (Role.COLLECTOR, Role.OFFICER, Role.STATION_ADMIN)


def manageable_jurisdictions(actor: Any) -> list[Jurisdiction]:
    """A system administrator manages all; a station administrator their station's subtree."""
    scope = require(actor, Cap.USERS_MANAGE)
    if scope.role == Role.SYSADMIN:
        return list(Jurisdiction.objects.all())
    access = UserAccess.objects.filter(user_id=actor.pk).prefetch_related("jurisdictions").first()
    out: dict[int, Jurisdiction] = {}
    for j in access.jurisdictions.all() if access else []:
        station = j.station() or j
        for item in [station, *station.descendants()]:
            out[item.pk] = item
    return sorted(out.values(), key=lambda j: j.pk)


def grantable_roles(actor: Any) -> list[str]:
    scope = require(actor, Cap.USERS_MANAGE)
    return list(Role.values) if scope.role == Role.SYSADMIN else list(STATION_GRANTABLE)


def manageable_users(actor: Any) -> Any:
    places = manageable_jurisdictions(actor)
    users = get_user_model().objects.filter(access__jurisdictions__in=places).distinct()
    if require(actor, Cap.USERS_MANAGE).role == Role.SYSADMIN:
        users = get_user_model().objects.all()
    return users.select_related("access").order_by("username")


def _check(actor: Any, role: str, places: list[Jurisdiction]) -> None:
    if role not in grantable_roles(actor):
        raise ActionError("您不能授予这个角色。", field="role")
    allowed = {j.pk for j in manageable_jurisdictions(actor)}
    if not places:
        raise ActionError("请至少选择一个辖区。", field="jurisdictions")
    if any(j.pk not in allowed for j in places):
        raise ActionError("只能分配本所的辖区。", field="jurisdictions")


def _password(raw: str | None, user: Any) -> str:
    password = raw or secrets.token_urlsafe(9)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ActionError("；".join(exc.messages), field="password") from exc
    return password


@transaction.atomic
def create_account(
    actor: Any, username: str, role: str, places: list[Jurisdiction], password: str | None = None
) -> tuple[Any, str]:
    """Create a user with a role over some jurisdictions; returns the user and the initial password."""
    _check(actor, role, places)
    try:
        name = clean_name(username, "账号", max_length=30)
    except InvalidName as exc:
        raise ActionError(str(exc), field="username") from exc
    if " " in name:
        raise ActionError("账号不能包含空格。", field="username")
    model = get_user_model()
    if model.objects.filter(username=name).exists():
        raise ActionError(f"账号“{name}”已存在。", field="username", code="duplicate")
    user = model(username=name)
    secret = _password(password, user)
    user.set_password(secret)
    user.save()
    access = UserAccess.objects.create(user=user, role=role)
    access.jurisdictions.set(places)
    log.record(
        actor,
        Action.ACCESS_CHANGE,
        targets=[("user", user.pk)],
        extra={"created": name, "role": role, "jurisdictions": [j.pk for j in places]},
    )
    return user, secret


def _managed(actor: Any, user: Any) -> None:
    if not manageable_users(actor).filter(pk=user.pk).exists():
        raise ActionError("找不到该账号。", field="username", code="not_found")


@transaction.atomic
def change_account(actor: Any, user: Any, role: str, places: list[Jurisdiction], active: bool) -> None:
    _managed(actor, user)
    _check(actor, role, places)
    if user.pk == actor.pk and (not active or role != require(actor, Cap.USERS_MANAGE).role):
        raise ActionError("不能停用自己或改变自己的角色。", field="role")
    access, _ = UserAccess.objects.get_or_create(user=user, defaults={"role": role})
    before = {
        "role": access.role,
        "jurisdictions": sorted(access.jurisdictions.values_list("pk", flat=True)),
        "active": user.is_active,
    }
    access.role = role
    access.save(update_fields=["role"])
    access.jurisdictions.set(places)
    user.is_active = active
    user.save(update_fields=["is_active"])
    forget(user)
    log.record(
        actor,
        Action.ACCESS_CHANGE,
        targets=[("user", user.pk)],
        extra={
            "before": before,
            "after": {"role": role, "jurisdictions": [j.pk for j in places], "active": active},
        },
    )


@transaction.atomic
def reset_password(actor: Any, user: Any) -> str:
    _managed(actor, user)
    secret = _password(None, user)
    user.set_password(secret)
    user.save(update_fields=["password"])
    log.record(actor, Action.ACCESS_CHANGE, targets=[("user", user.pk)], extra={"password_reset": True})
    return secret


@transaction.atomic
def save_reason(actor: Any, code: str, label: str, active: bool) -> Any:
    """Add a purpose to the list, or rename or switch one off. Purposes are never deleted:
    old audit rows still name them."""
    from .models import PurposeReason

    require(actor, Cap.SETTINGS_MANAGE)
    code = (code or "").strip().lower()
    if not code or len(code) > 32 or not all(c.isalnum() or c in "_-" for c in code) or not code.isascii():
        raise ActionError("代码只能由 1–32 个英文字母、数字、-、_ 组成。", field="code")
    try:
        name = clean_name(label, "事由", max_length=50)
    except InvalidName as exc:
        raise ActionError(str(exc), field="label") from exc
    reason, created = PurposeReason.objects.get_or_create(
        code=code, defaults={"label": name, "active": active}
    )
    if not created:
        reason.label, reason.active = name, active
        reason.save()
    else:
        reason.save()  # clears the cached list
    log.record(
        actor,
        Action.ACCESS_CHANGE,
        targets=[("reason", code)],
        extra={"label": name, "active": active, "created": created},
    )
    return reason
