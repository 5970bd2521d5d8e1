"""Pages for units: a scoped list, the unit's page, and the forms that call the actions."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods

from ybss.access.decorators import requires
from ybss.access.roles import Cap
from ybss.access.scope import get_scoped_or_404, scope_for, scoped
from ybss.addresses.models import AddressNode
from ybss.core.errors import ActionError
from ybss.core.paging import CappedPaginator
from ybss.lib.phone import mask_phone

from . import actions
from .forms import EmploymentForm, EndForm, LicenceForm, UnitCreateForm, UnitEditForm
from .models import CompletenessGroup, Employment, Licence, SpecialIndustry, Unit, UnitVersion

PAGE_SIZE = 50
EXPIRY_WINDOWS = (30, 60, 90)
# Fields an action names that the form shows under another name.
FORM_FIELD = {"address": "address_code", "version": None}


def apply_error(form: Any, exc: ActionError) -> None:
    field = FORM_FIELD.get(exc.field or "", exc.field)
    form.add_error(field if field in form.fields else None, exc.message)


def form_page(request: HttpRequest, form: Any, title: str, **ctx: Any) -> HttpResponse:
    return render(
        request,
        "units/form.html",
        {"form": form, "title": title, **ctx},
        status=400 if form.is_bound else 200,
    )


ACTION_LABELS = {"create": _lazy("新建"), "update": _lazy("修改"), "end": _lazy("结束")}


def history_rows(rows: Any, *models: type[Any]) -> list[dict[str, Any]]:
    """Version rows with the changed fields named as the forms name them."""
    labels: dict[str, str] = {}
    for model in reversed(models):
        labels.update(
            {f.name: str(f.verbose_name) for f in model._meta.get_fields() if hasattr(f, "verbose_name")}
        )
    labels["contact_phone"] = _("联系电话")
    return [
        {
            "row": h,
            "action": ACTION_LABELS.get(h.action, h.action),
            "fields": [labels.get(k, k) for k in h.changes],
        }
        for h in rows
    ]


def _can_edit(request: HttpRequest, code: str) -> bool:
    scope = scope_for(request.user)
    return scope.can(Cap.PERSON_EDIT) and scope.covers(code)


def filter_units(user: Any, *, q: str = "", industry: str = "", expiring: str = "") -> Any:
    """The units the list shows for these filters, and what exporting the list exports.
    Filters outside their allowed values are ignored, as the list page always did."""
    qs = scoped(user, Unit.objects.select_related("address"), "address__code").order_by("name", "id")
    if industry in SpecialIndustry.values:
        qs = qs.with_industry(industry)
    if expiring.isdigit() and int(expiring) in EXPIRY_WINDOWS:
        qs = qs.licences_expiring(int(expiring))
    q = q.strip()[:50]
    if q:
        qs = qs.filter(name__contains=q)
    return qs


@requires(Cap.PERSON_LIST)
def unit_list(request: HttpRequest) -> HttpResponse:
    industry = request.GET.get("industry", "")
    expiring = request.GET.get("expiring", "")
    q = request.GET.get("q", "").strip()[:50]
    qs = filter_units(request.user, q=q, industry=industry, expiring=expiring)
    page = CappedPaginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(u, mask_phone(u.contact_phone) if u.contact_phone_enc else "") for u in page]
    return render(
        request,
        "units/list.html",
        {
            "page": page,
            "rows": rows,
            "q": q,
            "industry": industry,
            "expiring": expiring,
            "industries": SpecialIndustry.choices,
            "windows": EXPIRY_WINDOWS,
            "can_create": scope_for(request.user).can(Cap.PERSON_EDIT),
        },
    )


@requires(Cap.PERSON_LIST)
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_scoped_or_404(
        request.user,
        Unit.objects.select_related("address", "legal_representative"),
        "address__code",
        pk=pk,
    )
    today = date.today()
    employments = list(Employment.objects.filter(unit=unit).select_related("person"))
    complete = unit.completeness()
    return render(
        request,
        "units/detail.html",
        {
            "unit": unit,
            "contact_phone": mask_phone(unit.contact_phone) if unit.contact_phone_enc else "",
            "licences": [(lic, lic.days_left(today)) for lic in unit.licences.all()],
            "current": [e for e in employments if e.is_current],
            "past": [e for e in employments if not e.is_current],
            "completeness": [(CompletenessGroup(k).label, v) for k, v in complete.items()],
            "history": history_rows(
                UnitVersion.objects.filter(unit=unit).select_related("actor")[:50], Unit, Licence, Employment
            ),
            "can_edit": _can_edit(request, unit.address.code),
        },
    )


def _unit_values(data: dict[str, Any], actor: Any) -> dict[str, Any]:
    values = {
        k: data[k]
        for k in (
            "name",
            "unit_type",
            "credit_code",
            "industry",
            "special_industries",
            "business_status",
            "contact_name",
        )
    }
    values["legal_representative"] = actions.person_by_pk(
        actor, data.get("legal_representative"), "legal_representative"
    )
    if data.get("contact_phone"):
        values["contact_phone"] = data["contact_phone"]
    if data.get("last_confirmed"):
        values["last_confirmed"] = data["last_confirmed"]
    return values


@requires(Cap.PERSON_EDIT)
@require_http_methods(["GET", "POST"])
def unit_create(request: HttpRequest) -> HttpResponse:
    initial: dict[str, Any] = {}
    address_pk = request.GET.get("address", "")
    if address_pk.isdigit():
        node = scoped(request.user, AddressNode.objects.all(), "code").filter(pk=int(address_pk)).first()
        if node is not None:
            initial["address_code"] = node.code
    form = UnitCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            address = actions.address_by_code(request.user, data["address_code"])
            unit = actions.create_unit(request.user, address, **_unit_values(data, request.user))
        except ActionError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("已登记单位 %(name)s。") % {"name": unit.name})
            return redirect("units:detail", pk=unit.pk)
    return form_page(request, form, _("登记实有单位"))


@requires(Cap.PERSON_EDIT)
@require_http_methods(["GET", "POST"])
def unit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_scoped_or_404(request.user, Unit.objects.select_related("address"), "address__code", pk=pk)
    initial = {
        "name": unit.name,
        "unit_type": unit.unit_type,
        "credit_code": unit.credit_code,
        "industry": unit.industry,
        "special_industries": unit.special_industry_codes,
        "business_status": unit.business_status,
        "legal_representative": unit.legal_representative_id,
        "contact_name": unit.contact_name,
        "last_confirmed": unit.last_confirmed,
        "version": unit.version,
    }
    form = UnitEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            unit = actions.update_unit(
                request.user,
                unit,
                expected_version=data["version"],
                reason=data["reason"],
                **_unit_values(data, request.user),
            )
        except ActionError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("units:detail", pk=unit.pk)
    return form_page(request, form, _("修改单位：%(name)s") % {"name": unit.name}, unit=unit)


@requires(Cap.PERSON_EDIT)
@require_http_methods(["GET", "POST"])
def licence_create(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_scoped_or_404(request.user, Unit.objects.select_related("address"), "address__code", pk=pk)
    form = LicenceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.add_licence(request.user, unit, **form.cleaned_data)
        except ActionError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("已登记证照。"))
            return redirect("units:detail", pk=unit.pk)
    return form_page(request, form, _("登记证照：%(name)s") % {"name": unit.name}, unit=unit)


@requires(Cap.PERSON_EDIT)
@require_http_methods(["GET", "POST"])
def employment_create(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_scoped_or_404(request.user, Unit.objects.select_related("address"), "address__code", pk=pk)
    form = EmploymentForm(request.POST or None, initial={"valid_from": date.today()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = actions.person_by_pk(request.user, data["person"], "person")
            assert person is not None  # the form requires a number
            actions.add_employment(
                request.user,
                unit,
                person,
                role=data["role"],
                valid_from=data["valid_from"],
                valid_to=data["valid_to"],
            )
        except ActionError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("已登记从业人员。"))
            return redirect("units:detail", pk=unit.pk)
    return form_page(request, form, _("登记从业人员：%(name)s") % {"name": unit.name}, unit=unit)


@requires(Cap.PERSON_EDIT)
@require_http_methods(["GET", "POST"])
def employment_end(request: HttpRequest, pk: int) -> HttpResponse:
    employment = get_scoped_or_404(
        request.user,
        Employment.objects.select_related("unit", "unit__address", "person"),
        "unit__address__code",
        pk=pk,
    )
    form = EndForm(
        request.POST or None,
        initial={"version": employment.version, "valid_to": date.today()},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.end_employment(
                request.user,
                employment,
                expected_version=data["version"],
                valid_to=data["valid_to"],
                reason=data["reason"],
            )
        except ActionError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("已结束从业记录。"))
            return redirect("units:detail", pk=employment.unit_id)
    return form_page(
        request,
        form,
        _("结束从业：%(person)s 在 %(unit)s")
        % {"person": employment.person.name, "unit": employment.unit.name},
        unit=employment.unit,
    )
