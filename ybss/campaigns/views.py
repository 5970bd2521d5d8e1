"""Campaign pages: organize (station administrator), collect on a phone (collector),
review (officer), re-check in the field (verifier).

Every change goes through ``ybss.campaigns.actions``; these views only turn forms
into calls and ActionErrors into messages next to the field they name. A campaign,
item, visit or re-check outside the user's jurisdiction answers 404, exactly like
one that does not exist. Captured identifiers are shown masked on every page here.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ybss.access.decorators import requires
from ybss.access.roles import MATRIX, Cap, Role
from ybss.access.scope import get_scoped_or_404, scope_for, scoped
from ybss.addresses.models import AddressNode
from ybss.core.errors import ActionError
from ybss.divisions.models import Division, Level
from ybss.lib.idcard import mask_id
from ybss.lib.phone import mask_phone
from ybss.people.models import Person, Relation, Residence, ResidenceKind

from . import actions
from .forms import (
    AssignForm,
    CampaignForm,
    DrawForm,
    ReassignForm,
    RejectForm,
    VisitForm,
    reason_field,
)
from .models import Campaign, Outcome, RecheckDraw, RecheckItem, Visit, WorkItem

# ---------------------------------------------------------------- field names in Chinese

OCCUPANT_LABELS = {
    "name": _lazy("姓名"),
    "id_number": _lazy("证件号码"),
    "phone": _lazy("联系电话"),
    "relation": _lazy("与户主关系"),
    "kind": _lazy("居住类型"),
    "valid_from": _lazy("起居日期"),
}
OTHER_LABELS = {
    "outcome": _lazy("上门结果"),
    "note": _lazy("备注"),
    "occupants": _lazy("住户"),
    "confirmed": _lazy("确认居住"),
    "item": _lazy("采集任务"),
    "visit": _lazy("采集记录"),
    "idempotency_key": _lazy("提交编号"),
    "reasons": _lazy("退回原因"),
    "status": _lazy("活动状态"),
    "name": _lazy("活动名称"),
    "area_codes": _lazy("采集区域"),
    "collectors": _lazy("采集员"),
    "items": _lazy("原采集员"),
    "area_code": _lazy("抽样区域"),
    "verifiers": _lazy("复核人"),
}


def field_label(key: str | None, names: dict[int, str] | None = None) -> str:
    """ "occupants.0.name" → 第1位住户 姓名; "confirmed.12" → 确认居住：王某."""
    parts = (key or "").split(".")
    if len(parts) == 3 and parts[0] == "occupants" and parts[1].isdigit():
        return _("第%(n)s位住户 %(field)s") % {
            "n": int(parts[1]) + 1,
            "field": OCCUPANT_LABELS.get(parts[2], parts[2]),
        }
    if len(parts) == 2 and parts[0] == "confirmed" and parts[1].isdigit():
        name = (names or {}).get(int(parts[1])) or f"#{parts[1]}"
        return _("确认居住：%(name)s") % {"name": name}
    return str(OTHER_LABELS.get(key or "", key or ""))


def _occupant_message(key: str | None, message: str) -> str:
    # The action says "第 1 位住户：…"; where the label already names the row, drop the repeat.
    parts = (key or "").split(".")
    if len(parts) == 3 and parts[0] == "occupants" and parts[1].isdigit():
        prefix = f"第 {int(parts[1]) + 1} 位住户："
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message


def labelled(key: str | None, message: str, names: dict[int, str] | None = None) -> str:
    label = field_label(key, names)
    text = _occupant_message(key, message)
    return _("%(label)s：%(message)s") % {"label": label, "message": text} if label else text


def pct(value: Any) -> str:
    return "—" if value is None else f"{float(value) * 100:.1f}%"


def _names(pks: list[int]) -> dict[int, str]:
    return dict(Person.objects.filter(pk__in=pks).values_list("pk", "name"))


def _add_error(form: Any, exc: ActionError, fields: dict[str, str] | None = None) -> None:
    """An action's error on the form field it names (or at the top, saying which field)."""
    name = (fields or {}).get(exc.field or "", exc.field)
    if name in form.fields:
        form.add_error(name, exc.message)
    else:
        form.add_error(None, labelled(exc.field, exc.message))


# ---------------------------------------------------------------- whose is what


def _campaign_or_404(request: HttpRequest, pk: int) -> Campaign:
    """A campaign whose whole area lies in the user's jurisdiction; anything else is "not found"."""
    campaign = Campaign.objects.filter(pk=pk).first()
    scope = scope_for(request.user)
    if campaign is None or not campaign.area_codes or not all(scope.covers(c) for c in campaign.area_codes):
        raise Http404
    return campaign


def _campaigns_for(user: Any) -> list[Campaign]:
    scope = scope_for(user)
    return [c for c in Campaign.objects.all() if c.area_codes and all(scope.covers(x) for x in c.area_codes)]


def _communities(user: Any) -> list[tuple[str, str]]:
    """Communities and villages (12-digit divisions) inside the user's jurisdiction."""
    rows = scoped(user, Division.objects.filter(level=Level.COMMUNITY), "code").select_related("parent")
    return [
        (d.code, f"{d.parent.short_name if d.parent else ''} {d.short_name}（{d.code}）".strip())
        for d in rows.order_by("code")
    ]


def _user_label(user: Any) -> str:
    access = getattr(user, "access", None)
    role = Role(access.role).label if access is not None and access.role in Role.values else ""
    name = user.get_full_name() or user.get_username()
    return f"{name}（{user.get_username()}{'，' + str(role) if role else ''}）"


def _collectors_for(codes: list[str]) -> list[Any]:
    """Users who may collect and whose jurisdiction reaches into ``codes``: covering an area
    code, or a grid or policing area inside one. The actions check the exact fit."""
    roles = [r for r, caps in MATRIX.items() if Cap.CAMPAIGN_COLLECT in caps]
    users = (
        get_user_model()
        .objects.filter(is_active=True, access__role__in=roles)
        .select_related("access")
        .order_by("username")
    )
    out = []
    for user in users:
        scope = scope_for(user)
        if any(scope.covers(c) or any(p.startswith(c) for p in scope.prefixes) for c in codes):
            out.append(user)
    return out


def _choices(users: list[Any]) -> list[tuple[str, str]]:
    return [(str(u.pk), _user_label(u)) for u in users]


def _picked(users: list[Any], pks: list[str]) -> list[Any]:
    by_pk = {str(u.pk): u for u in users}
    return [by_pk[p] for p in pks if p in by_pk]


def _dashboard_url(campaign: Campaign) -> str | None:
    # The progress dashboard is its own page (campaigns:dashboard); link to it once it exists.
    try:
        return reverse("campaigns:dashboard", args=[campaign.pk])
    except NoReverseMatch:
        return None


# ---------------------------------------------------------------- organize


@require_GET
@requires(Cap.CAMPAIGN_MANAGE)
def manage_list(request: HttpRequest) -> HttpResponse:
    campaigns = _campaigns_for(request.user)
    counts = dict(
        WorkItem.objects.filter(campaign__in=campaigns)
        .values("campaign")
        .annotate(n=Count("id"))
        .values_list("campaign", "n")
    )
    rows = [(c, counts.get(c.pk, 0), _dashboard_url(c)) for c in campaigns]
    return render(request, "campaigns/manage_list.html", {"rows": rows})


@requires(Cap.CAMPAIGN_MANAGE)
@require_http_methods(["GET", "POST"])
def campaign_create(request: HttpRequest) -> HttpResponse:
    form = CampaignForm(request.POST or None, communities=_communities(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = actions.create_campaign(
                request.user,
                name=data["name"],
                area_codes=data["area_codes"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                collection_target=data["collection_target"],
                accuracy_target=data["accuracy_target"],
                recheck_rate=data["recheck_rate"],
                recheck_threshold=data["recheck_threshold"],
            )
        except ActionError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("已创建采集活动“%(name)s”。") % {"name": campaign.name})
            return redirect("campaigns:manage", pk=campaign.pk)
    return render(
        request,
        "campaigns/campaign_form.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )


def _manage_forms(campaign: Campaign, data: Any = None, which: str = "") -> dict[str, Any]:
    people = _collectors_for(campaign.area_codes)
    choices = _choices(people)
    holders = get_user_model().objects.filter(
        pk__in=WorkItem.objects.filter(campaign=campaign, assignee__isnull=False).values("assignee")
    )
    areas = sorted(
        set(campaign.area_codes)
        | set(WorkItem.objects.filter(campaign=campaign).values_list("area_code", flat=True).distinct())
    )
    names = dict(Division.objects.filter(code__in=areas).values_list("code", "short_name"))
    area_choices = [(a, f"{names.get(a, '')} {a}".strip()) for a in areas]
    return {
        "people": people,
        "assign_form": AssignForm(data if which == "assign" else None, people=choices),
        "reassign_form": ReassignForm(
            data if which == "reassign" else None,
            holders=_choices(list(holders.select_related("access").order_by("username"))),
            people=choices,
        ),
        "draw_form": DrawForm(data if which == "draw" else None, areas=area_choices, people=choices),
    }


def _manage_page(
    request: HttpRequest, campaign: Campaign, forms: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    forms = forms or _manage_forms(campaign)
    figures = actions.rates(campaign)
    area_codes = sorted(
        set(WorkItem.objects.filter(campaign=campaign).values_list("area_code", flat=True).distinct())
    )
    names = dict(
        Division.objects.filter(code__in=[*area_codes, *campaign.area_codes]).values_list(
            "code", "short_name"
        )
    )
    drawn = set(RecheckDraw.objects.filter(campaign=campaign).values_list("area_code", flat=True))
    areas = []
    for code in area_codes:
        r = actions.rates(campaign, prefix=code)
        areas.append(
            {
                "code": code,
                "name": names.get(code, code),
                "rates": r,
                "collection": pct(r.collection_rate),
                "accuracy": pct(r.accuracy_rate),
                "drawn": code in drawn,
            }
        )
    outstanding = Q(state__in=(WorkItem.State.OPEN, WorkItem.State.REVISIT))
    load = list(
        WorkItem.objects.filter(campaign=campaign)
        .values("assignee", "assignee__username")
        .annotate(
            total=Count("id"),
            outstanding=Count("id", filter=outstanding),
            pending=Count("id", filter=Q(state=WorkItem.State.PENDING)),
            done=Count("id", filter=Q(state=WorkItem.State.DONE)),
        )
        .order_by("assignee__username")
    )
    draws = list(
        RecheckDraw.objects.filter(campaign=campaign)
        .annotate(done=Count("items", filter=Q(items__state=RecheckItem.State.DONE)))
        .order_by("area_code")
    )
    context = {
        "campaign": campaign,
        "area_names": [names.get(c, c) for c in campaign.area_codes],
        "figures": figures,
        "collection": pct(figures.collection_rate),
        "accuracy": pct(figures.accuracy_rate),
        "areas": areas,
        "load": load,
        "draws": draws,
        "dashboard_url": _dashboard_url(campaign),
        "is_draft": campaign.status == Campaign.Status.DRAFT,
        "is_active": campaign.status == Campaign.Status.ACTIVE,
        "is_closed": campaign.status == Campaign.Status.CLOSED,
        **forms,
    }
    return render(request, "campaigns/manage.html", context, status=status)


@require_GET
@requires(Cap.CAMPAIGN_MANAGE)
def campaign_manage(request: HttpRequest, pk: int) -> HttpResponse:
    return _manage_page(request, _campaign_or_404(request, pk))


def _manage_error(request: HttpRequest, campaign: Campaign, which: str, exc: ActionError) -> HttpResponse:
    forms = _manage_forms(campaign, request.POST, which)
    fields = {"items": "from_user", "collectors": "to_user"} if which == "reassign" else {}
    form = forms.get(f"{which}_form")
    if form is not None:
        form.is_valid()
        _add_error(form, exc, fields)
    else:
        forms["status_error"] = labelled(exc.field, exc.message)
    return _manage_page(request, campaign, forms, status=400)


@require_POST
@requires(Cap.CAMPAIGN_MANAGE)
def build_work_list(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign_or_404(request, pk)
    try:
        n = actions.build_work_list(request.user, campaign)
    except ActionError as exc:
        return _manage_error(request, campaign, "build", exc)
    messages.success(request, _("已生成任务清单：%(n)s 处应采地址。") % {"n": n})
    return redirect("campaigns:manage", pk=campaign.pk)


@require_POST
@requires(Cap.CAMPAIGN_MANAGE)
def set_status(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign_or_404(request, pk)
    status = request.POST.get("status", "")
    try:
        if status not in Campaign.Status.values:
            raise ActionError(_("活动状态不在可选范围内。"), field="status")
        campaign = actions.set_status(request.user, campaign, status)
    except ActionError as exc:
        return _manage_error(request, campaign, "status", exc)
    messages.success(request, _("活动已%(status)s。") % {"status": campaign.get_status_display()})
    return redirect("campaigns:manage", pk=campaign.pk)


@require_POST
@requires(Cap.CAMPAIGN_MANAGE)
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign_or_404(request, pk)
    forms = _manage_forms(campaign, request.POST, "assign")
    form = forms["assign_form"]
    if not form.is_valid():
        return _manage_page(request, campaign, forms, status=400)
    try:
        counts = actions.assign(
            request.user, campaign, _picked(forms["people"], form.cleaned_data["collectors"])
        )
    except ActionError as exc:
        return _manage_error(request, campaign, "assign", exc)
    messages.success(request, _("已分派 %(n)s 处地址。") % {"n": sum(counts.values())})
    return redirect("campaigns:manage", pk=campaign.pk)


@require_POST
@requires(Cap.CAMPAIGN_MANAGE)
def reassign(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign_or_404(request, pk)
    forms = _manage_forms(campaign, request.POST, "reassign")
    form = forms["reassign_form"]
    if not form.is_valid():
        return _manage_page(request, campaign, forms, status=400)
    source, target = form.cleaned_data["from_user"], form.cleaned_data["to_user"]
    to = _picked(forms["people"], [target])
    try:
        if source == target:
            raise ActionError(_("原采集员与改派对象是同一人。"), field="to_user")
        if not to:
            raise ActionError(_("请选择本活动区域内的采集员。"), field="to_user")
        items = list(
            WorkItem.objects.filter(campaign=campaign, assignee_id=int(source)).exclude(
                state=WorkItem.State.DONE
            )
        )
        moved = actions.reassign(request.user, campaign, items, to[0])
    except ActionError as exc:
        return _manage_error(request, campaign, "reassign", exc)
    messages.success(request, _("已改派 %(n)s 处未完成的地址。") % {"n": moved})
    return redirect("campaigns:manage", pk=campaign.pk)


@require_POST
@requires(Cap.CAMPAIGN_MANAGE)
def draw_recheck(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign_or_404(request, pk)
    forms = _manage_forms(campaign, request.POST, "draw")
    form = forms["draw_form"]
    if not form.is_valid():
        return _manage_page(request, campaign, forms, status=400)
    try:
        draw = actions.draw_recheck(
            request.user,
            campaign,
            form.cleaned_data["area_code"],
            _picked(forms["people"], form.cleaned_data["verifiers"]),
        )
    except ActionError as exc:
        return _manage_error(request, campaign, "draw", exc)
    messages.success(
        request,
        _("已从 %(population)s 条审核通过的记录中抽取 %(size)s 条复核样本。")
        % {"population": draw.population, "size": draw.size},
    )
    return redirect("campaigns:manage", pk=campaign.pk)


# ---------------------------------------------------------------- my work (the collector's phone)


def _relative(full_text: str, parent_text: str) -> str:
    """The room's part of its address, under a building heading that already says the rest."""
    if full_text.startswith(parent_text) and len(full_text) > len(parent_text):
        return full_text[len(parent_text) :]
    return full_text


def _rejections(items: list[WorkItem]) -> dict[int, Visit]:
    """The rejected last visit of each open item (an open item with visits was sent back)."""
    open_pks = [i.pk for i in items if i.state == WorkItem.State.OPEN and i.attempts]
    latest: dict[int, Visit] = {}
    for visit in Visit.objects.filter(item_id__in=open_pks, kind=Visit.Kind.VISIT).order_by("item_id", "-id"):
        latest.setdefault(visit.item_id, visit)
    return {pk: v for pk, v in latest.items() if v.state == Visit.State.REJECTED}


def _reason_rows(visit: Visit) -> list[tuple[str, str]]:
    keys = list(visit.rejection)
    names = _names([int(k.split(".")[1]) for k in keys if k.startswith("confirmed.") and k[10:].isdigit()])
    return [(field_label(k, names), str(v)) for k, v in visit.rejection.items()]


@require_GET
@requires(Cap.CAMPAIGN_COLLECT)
def my_work(request: HttpRequest) -> HttpResponse:
    items = list(
        scoped(
            request.user,
            WorkItem.objects.filter(assignee_id=request.user.pk, campaign__status=Campaign.Status.ACTIVE),
            "code",
        )
        .select_related("address", "campaign")
        .order_by("campaign_id", "group_code", "code")
    )
    rejected = _rejections(items)
    buildings = dict(
        AddressNode.objects.filter(code__in={i.group_code for i in items}).values_list("code", "full_text")
    )
    campaigns: dict[int, dict[str, Any]] = {}
    for item in items:
        entry = campaigns.setdefault(
            item.campaign_id, {"campaign": item.campaign, "groups": {}, "counts": Counter()}
        )
        building = buildings.get(item.group_code, item.group_code)
        group = entry["groups"].setdefault(
            item.group_code, {"label": building, "items": [], "counts": Counter()}
        )
        state = "rejected" if item.pk in rejected else item.state
        group["counts"][state] += 1
        entry["counts"][state] += 1
        if item.state in (WorkItem.State.OPEN, WorkItem.State.REVISIT):
            visit = rejected.get(item.pk)
            group["items"].append(
                {
                    "item": item,
                    "label": _relative(item.address.full_text, building),
                    "rejected": _reason_rows(visit) if visit else [],
                }
            )
    for entry in campaigns.values():
        entry["groups"] = list(entry["groups"].values())
    rechecks = scoped(
        request.user,
        RecheckItem.objects.filter(verifier_id=request.user.pk, state=RecheckItem.State.OPEN),
        "visit__item__code",
    ).count()
    return render(
        request, "campaigns/my_work.html", {"campaigns": list(campaigns.values()), "rechecks": rechecks}
    )


def _residents(item: WorkItem) -> list[dict[str, Any]]:
    current = (
        Residence.objects.filter(address_id=item.address_id, valid_to__isnull=True)
        .select_related("person")
        .order_by("person__name", "person_id")
    )
    return [
        {
            "pk": r.person_id,
            "name": r.person.name,
            "id_number": mask_id(r.person.id_number),
            "relation": r.get_relation_display(),
            "kind": r.get_kind_display(),
        }
        for r in current
    ]


def _can_submit(request: HttpRequest, item: WorkItem) -> str:
    """Why the form is not offered, or "" when it is. Posting anyway reaches the action."""
    if item.assignee_id != request.user.pk:
        return _("该地址不在您的采集任务中。")
    if item.campaign.status != Campaign.Status.ACTIVE:
        return _("采集活动%(status)s，不能提交。") % {"status": item.campaign.get_status_display()}
    if item.state == WorkItem.State.PENDING:
        return _("该地址已有待审核的采集记录。")
    if item.state == WorkItem.State.DONE:
        return _("该地址已完成采集。")
    return ""


@requires(Cap.CAMPAIGN_COLLECT)
@require_http_methods(["GET", "POST"])
def visit_form(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_scoped_or_404(
        request.user, WorkItem.objects.select_related("address", "campaign"), "code", pk=pk
    )
    status = 200
    if request.method == "POST":
        form = VisitForm.from_post(request.POST)
        if not request.POST.get("more"):
            try:
                visit, _created = actions.submit_visit(
                    request.user,
                    item,
                    outcome=form.outcome,
                    idempotency_key=form.key,
                    occupants=form.occupants(),
                    confirmed=form.confirmed,
                    note=form.note,
                )
            except ActionError as exc:
                form.add_error(exc.field, _occupant_message(exc.field, exc.message))
                form.top_errors.insert(0, labelled(exc.field, exc.message))
                status = 400
            else:
                return redirect("campaigns:submitted", pk=visit.pk)
        item.refresh_from_db()
    else:
        form = VisitForm.blank(uuid.uuid4().hex)
    if not form.key:
        form.key = uuid.uuid4().hex
    rejected = _rejections([item]).get(item.pk)
    context = {
        "item": item,
        "form": form,
        "residents": _residents(item),
        "outcomes": Outcome.choices,
        "relations": Relation.choices,
        "kinds": ResidenceKind.choices,
        "rejected": _reason_rows(rejected) if rejected else [],
        "closed": _can_submit(request, item),
        "labels": OCCUPANT_LABELS,
    }
    return render(request, "campaigns/visit_form.html", context, status=status)


@require_GET
@requires(Cap.CAMPAIGN_COLLECT)
def visit_submitted(request: HttpRequest, pk: int) -> HttpResponse:
    visit = get_scoped_or_404(
        request.user,
        Visit.objects.filter(collector_id=request.user.pk).select_related("item__address", "campaign"),
        "item__code",
        pk=pk,
    )
    payload = actions.open_payload(visit)
    following = (
        scoped(
            request.user,
            WorkItem.objects.filter(
                campaign_id=visit.campaign_id,
                assignee_id=request.user.pk,
                state__in=(WorkItem.State.OPEN, WorkItem.State.REVISIT),
                group_code=visit.item.group_code,
            ),
            "code",
        )
        .order_by("code")
        .first()
    )
    return render(
        request,
        "campaigns/submitted.html",
        {
            "visit": visit,
            "occupants": len(payload.get("occupants", [])),
            "confirmed": len(payload.get("confirmed", [])),
            "following": following,
        },
    )


# ---------------------------------------------------------------- review


def _captured(visit: Visit) -> dict[str, Any]:
    """What the collector captured, masked as lists mask it."""
    payload = actions.open_payload(visit)
    relations = dict(Relation.choices)
    kinds = dict(ResidenceKind.choices)
    occupants = [
        {
            "n": i + 1,
            "index": i,
            "name": o.get("name", ""),
            "id_number": mask_id(o.get("id_number", "")),
            "phone": mask_phone(o.get("phone", "")) if o.get("phone") else "",
            "relation": relations.get(o.get("relation", ""), o.get("relation", "")),
            "kind": kinds.get(o.get("kind", ""), o.get("kind", "")),
            "valid_from": o.get("valid_from", ""),
        }
        for i, o in enumerate(payload.get("occupants", []))
    ]
    pks = [int(pk) for pk in [*payload.get("confirmed", []), *payload.get("moved_out", [])]]
    people = {p.pk: p for p in Person.objects.filter(pk__in=pks)}
    confirmed = [
        {
            "pk": pk,
            "name": people[pk].name if pk in people else f"#{pk}",
            "id_number": mask_id(people[pk].id_number) if pk in people else "",
        }
        for pk in payload.get("confirmed", [])
    ]
    return {
        "payload": payload,
        "occupants": occupants,
        "confirmed": confirmed,
        "moved_out": [people[pk].name if pk in people else f"#{pk}" for pk in payload.get("moved_out", [])],
        "names": {pk: p.name for pk, p in people.items()},
    }


def _review_fields(visit: Visit, captured: dict[str, Any]) -> list[tuple[str, str]]:
    """The fields a reviewer can send back, each with its Chinese label."""
    keys = ["outcome", "note"]
    for occ in captured["occupants"]:
        keys += [f"occupants.{occ['index']}.{k}" for k in ("name", "id_number", "phone", "relation", "kind")]
    keys += [f"confirmed.{c['pk']}" for c in captured["confirmed"]]
    return [(k, field_label(k, captured["names"])) for k in keys]


@require_GET
@requires(Cap.CAMPAIGN_REVIEW)
def review_queue(request: HttpRequest) -> HttpResponse:
    visits = scoped(
        request.user,
        Visit.objects.filter(
            state=Visit.State.PENDING, campaign__status=Campaign.Status.ACTIVE
        ).select_related("item__address", "collector", "campaign"),
        "item__code",
    ).order_by("created_at", "id")
    page = Paginator(visits, 50).get_page(request.GET.get("page"))
    return render(request, "campaigns/review_queue.html", {"page": page})


def _review_page(
    request: HttpRequest, visit: Visit, form: RejectForm | None = None, error: str = "", status: int = 200
) -> HttpResponse:
    captured = _captured(visit)
    fields = _review_fields(visit, captured)
    form = form or RejectForm(fields=fields)
    rows = [(form[reason_field(k)], label) for k, label in fields]
    return render(
        request,
        "campaigns/review_visit.html",
        {
            "visit": visit,
            "captured": captured,
            "form": form,
            "rows": rows,
            "error": error,
            "own": visit.collector_id == request.user.pk,
            "pending": visit.state == Visit.State.PENDING,
            "rejection": [(field_label(k, captured["names"]), v) for k, v in visit.rejection.items()],
        },
        status=status,
    )


def _visit_for_review(request: HttpRequest, pk: int) -> Visit:
    return get_scoped_or_404(
        request.user,
        Visit.objects.select_related("item__address", "collector", "campaign", "reviewer"),
        "item__code",
        pk=pk,
    )


@require_GET
@requires(Cap.CAMPAIGN_REVIEW)
def review_visit(request: HttpRequest, pk: int) -> HttpResponse:
    return _review_page(request, _visit_for_review(request, pk))


@require_POST
@requires(Cap.CAMPAIGN_REVIEW)
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit_for_review(request, pk)
    try:
        actions.approve(request.user, visit)
    except ActionError as exc:
        return _review_page(request, visit, error=labelled(exc.field, exc.message), status=400)
    messages.success(request, _("已通过：%(address)s。") % {"address": visit.item.address.full_text})
    return redirect("campaigns:review")


@require_POST
@requires(Cap.CAMPAIGN_REVIEW)
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit_for_review(request, pk)
    fields = _review_fields(visit, _captured(visit))
    form = RejectForm(request.POST, fields=fields)
    if not form.is_valid():
        return _review_page(request, visit, form, status=400)
    try:
        actions.reject(request.user, visit, form.reasons())
    except ActionError as exc:
        return _review_page(request, visit, form, error=labelled(exc.field, exc.message), status=400)
    messages.success(request, _("已退回：%(address)s。") % {"address": visit.item.address.full_text})
    return redirect("campaigns:review")


# ---------------------------------------------------------------- re-check


@require_GET
@requires(Cap.CAMPAIGN_COLLECT)
def my_rechecks(request: HttpRequest) -> HttpResponse:
    items = list(
        scoped(
            request.user,
            RecheckItem.objects.filter(verifier_id=request.user.pk),
            "visit__item__code",
        )
        .select_related("visit__item__address", "draw__campaign")
        .order_by("state", "id")
    )
    open_items = [i for i in items if i.state == RecheckItem.State.OPEN]
    done = [i for i in items if i.state == RecheckItem.State.DONE]
    return render(request, "campaigns/rechecks.html", {"open_items": open_items, "done": done})


def _check_rows(captured: dict[str, Any], data: Any = None) -> list[dict[str, Any]]:
    """One row per field ``visit_fields`` lists, with what was captured, masked."""
    occupants = captured["occupants"]
    confirmed = {c["pk"]: c for c in captured["confirmed"]}
    rows = []
    for key in actions.visit_fields(captured["payload"]):
        parts = key.split(".")
        shown = ""
        if parts[0] == "occupants":
            shown = occupants[int(parts[1])].get(parts[2], "")
        elif parts[0] == "confirmed":
            c = confirmed.get(int(parts[1]), {})
            shown = " ".join(x for x in (c.get("name", ""), c.get("id_number", "")) if x)
        slug = key.replace(".", "-")
        rows.append(
            {
                "key": key,
                "slug": slug,
                "label": field_label(key, captured["names"]),
                "shown": shown,
                "kind": parts[-1] if parts[0] == "occupants" else "confirmed",
                "ok": (data or {}).get(f"ok-{slug}", ""),
                "value": (data or {}).get(f"value-{slug}", ""),
                "error": "",
            }
        )
    return rows


@requires(Cap.CAMPAIGN_COLLECT)
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_scoped_or_404(
        request.user,
        RecheckItem.objects.select_related("visit__item__address", "visit__collector", "draw__campaign"),
        "visit__item__code",
        pk=pk,
    )
    captured = _captured(item.visit)
    rows = _check_rows(captured, request.POST if request.method == "POST" else None)
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        missing = [r for r in rows if r["ok"] not in ("1", "0")]
        for r in missing:
            r["error"] = _("请选择“正确”或“有误”。")
        if missing:
            errors.append(
                _("还有 %(n)s 项未核对，请逐项选择：%(fields)s。")
                % {"n": len(missing), "fields": "、".join(r["label"] for r in missing)}
            )
        else:
            results = {r["key"]: {"ok": r["ok"] == "1", "value": r["value"]} for r in rows}
            try:
                actions.verify(request.user, item, results)
            except ActionError as exc:
                for r in rows:
                    if r["key"] == exc.field:
                        r["error"] = exc.message
                errors.append(labelled(exc.field, exc.message, captured["names"]))
            else:
                messages.success(
                    request,
                    _("已提交复核结果：%(address)s。") % {"address": item.visit.item.address.full_text},
                )
                return redirect("campaigns:rechecks")
        status = 400
    closed = ""
    if item.verifier_id != request.user.pk:
        closed = _("该复核任务不是分配给您的。")
    elif item.visit.collector_id == request.user.pk:
        closed = _("不能复核自己采集的记录。")
    elif item.state == RecheckItem.State.DONE:
        closed = _("该记录已复核。")
    return render(
        request,
        "campaigns/verify.html",
        {
            "item": item,
            "rows": rows,
            "errors": errors,
            "closed": closed,
            "relations": Relation.choices,
            "wrong": [field_label(k, captured["names"]) for k in item.wrong_fields],
        },
        status=status,
    )
