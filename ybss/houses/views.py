"""Pages for houses: the house on an address (or the form to register it), edits,
tenancies and the quality findings."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from ybss.access.decorators import requires
from ybss.access.roles import Cap
from ybss.access.scope import get_scoped_or_404, scope_for, scoped
from ybss.addresses.models import AddressNode, Status
from ybss.core.errors import ActionError
from ybss.units.actions import person_by_pk
from ybss.units.forms import EndForm
from ybss.units.views import apply_error, form_page, history_rows

from . import actions, quality
from .forms import HouseEditForm, HouseForm, TenancyForm
from .models import House, HouseVersion, Tenancy


def _can_edit(request: HttpRequest, code: str) -> bool:
    scope = scope_for(request.user)
    return scope.can(Cap.PERSON_EDIT) and scope.covers(code)


def _address(request: HttpRequest, pk: int) -> AddressNode:
    return get_scoped_or_404(request.user, AddressNode.objects.select_related("division"), "code", pk=pk)


def _house(request: HttpRequest, pk: int) -> House:
    return get_scoped_or_404(request.user, House.objects.select_related("address"), "address__code", pk=pk)


def _house_values(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    values = {k: data[k] for k in ("use", "structure", "floor_area")}
    values["owner_person"] = person_by_pk(request.user, data.get("owner_person"), "owner_person")
    values["owner_unit"] = actions.unit_by_pk(request.user, data.get("owner_unit"), "owner_unit")
    if data.get("last_confirmed"):
        values["last_confirmed"] = data["last_confirmed"]
    return values


@requires(Cap.PERSON_LIST)
def house_at(request: HttpRequest, address_pk: int) -> HttpResponse:
    """The house on this address, or the form to register one."""
    address = _address(request, address_pk)
    house = (
        House.objects.filter(address=address, active=True)
        .select_related("owner_person", "owner_unit")
        .first()
    )
    can_edit = _can_edit(request, address.code)
    ctx: dict[str, Any] = {"address": address, "house": house, "can_edit": can_edit}
    if house is None:
        ctx["can_register"] = (
            can_edit and address.kind in actions.HOUSE_KINDS and address.status == Status.IN_USE
        )
        ctx["form"] = HouseForm() if ctx["can_register"] else None
    else:
        tenancies = list(house.tenancies.select_related("landlord").prefetch_related("tenants"))
        ctx.update(
            current=[t for t in tenancies if t.is_current],
            other=[t for t in tenancies if not t.is_current],
            history=history_rows(
                HouseVersion.objects.filter(house=house).select_related("actor")[:50], House, Tenancy
            ),
        )
    return render(request, "houses/house.html", ctx)


@requires(Cap.PERSON_EDIT)
@require_http_methods(["GET", "POST"])
def house_create(request: HttpRequest, address_pk: int) -> HttpResponse:
    address = _address(request, address_pk)
    form = HouseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.create_house(request.user, address, **_house_values(request, form.cleaned_data))
        except ActionError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("已登记房屋。"))
            return redirect("houses:at", address_pk=address.pk)
    return form_page(request, form, _("登记房屋：%(address)s") % {"address": address.full_text})


@requires(Cap.PERSON_EDIT)
@require_http_methods(["GET", "POST"])
def house_edit(request: HttpRequest, pk: int) -> HttpResponse:
    house = _house(request, pk)
    initial = {
        "use": house.use,
        "structure": house.structure,
        "floor_area": house.floor_area,
        "owner_person": house.owner_person_id,
        "owner_unit": house.owner_unit_id,
        "last_confirmed": house.last_confirmed,
        "version": house.version,
    }
    form = HouseEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.update_house(
                request.user,
                house,
                expected_version=data["version"],
                reason=data["reason"],
                **_house_values(request, data),
            )
        except ActionError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("houses:at", address_pk=house.address_id)
    return form_page(request, form, _("修改房屋：%(address)s") % {"address": house.address.full_text})


@requires(Cap.PERSON_EDIT)
@require_http_methods(["GET", "POST"])
def tenancy_create(request: HttpRequest, pk: int) -> HttpResponse:
    house = _house(request, pk)
    form = TenancyForm(request.POST or None, initial={"valid_from": date.today()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            tenants = [person_by_pk(request.user, n, "tenants") for n in data["tenants"]]
            actions.add_tenancy(
                request.user,
                house,
                tenants=[t for t in tenants if t is not None],
                landlord=person_by_pk(request.user, data.get("landlord"), "landlord"),
                valid_from=data["valid_from"],
                valid_to=data["valid_to"],
                registration_number=data["registration_number"],
                security_agreement_signed=data["security_agreement_signed"],
            )
        except ActionError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("已登记租赁。"))
            return redirect("houses:at", address_pk=house.address_id)
    return form_page(request, form, _("登记租赁：%(address)s") % {"address": house.address.full_text})


@requires(Cap.PERSON_EDIT)
@require_http_methods(["GET", "POST"])
def tenancy_end(request: HttpRequest, pk: int) -> HttpResponse:
    tenancy = get_scoped_or_404(
        request.user, Tenancy.objects.select_related("house", "house__address"), "house__address__code", pk=pk
    )
    form = EndForm(request.POST or None, initial={"version": tenancy.version, "valid_to": date.today()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.end_tenancy(
                request.user,
                tenancy,
                expected_version=data["version"],
                valid_to=data["valid_to"],
                reason=data["reason"],
            )
        except ActionError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("已结束租赁。"))
            return redirect("houses:at", address_pk=tenancy.house.address_id)
    return form_page(request, form, _("结束租赁：%(address)s") % {"address": tenancy.house.address.full_text})


FINDINGS = {
    "rented_without_tenancy": gettext_lazy("用途为出租但无在租记录"),
    "tenancies_on_self": gettext_lazy("标为自住但有在租记录"),
}


def houses_in_scope(user: Any) -> Any:
    return scoped(user, House.objects.select_related("address"), "address__code")


def tenancies_in_scope(user: Any) -> Any:
    return scoped(user, Tenancy.objects.select_related("house", "house__address"), "house__address__code")


def filter_houses(user: Any, finding: str = "") -> Any:
    """Active houses in the jurisdiction, or those behind one of the quality findings:
    what exporting houses exports."""
    houses = houses_in_scope(user)
    if finding == "rented_without_tenancy":
        houses = quality.rented_without_current_tenancy(houses)
    elif finding == "tenancies_on_self":
        houses = houses.filter(
            pk__in=quality.tenancies_on_self_occupied(tenancies_in_scope(user)).values("house_id")
        )
    else:
        houses = houses.filter(active=True)
    return houses.order_by("address__code", "pk")


@requires(Cap.PERSON_LIST)
def quality_findings(request: HttpRequest) -> HttpResponse:
    houses = houses_in_scope(request.user)
    tenancies = tenancies_in_scope(request.user)
    return render(
        request,
        "houses/quality.html",
        {
            "rented_without_tenancy": quality.rented_without_current_tenancy(houses).order_by(
                "address__code"
            )[:200],
            "tenancies_on_self": quality.tenancies_on_self_occupied(tenancies).order_by(
                "house__address__code"
            )[:200],
        },
    )
