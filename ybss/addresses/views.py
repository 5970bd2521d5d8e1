"""Pages for station administrators: browse, search, create, batch, rename, merge."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from ybss import addressing
from ybss.access.decorators import requires
from ybss.access.roles import Cap
from ybss.access.scope import get_scoped_or_404, scope_for, scoped
from ybss.core.errors import ActionError
from ybss.core.paging import CappedPaginator
from ybss.core.panels import render_panels
from ybss.divisions.models import Division, Level

from . import actions
from .forms import DemolishForm, MergeForm, NodeForm, RenameForm, RoadForm, RoomPatternForm
from .matching import AddressMatcher
from .models import ALLOWED_CHILDREN, AddressChange, AddressNode, Kind, Road, Status

PAGE_SIZE = 50


def _apply_error(form: Any, exc: ActionError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def _page(request: HttpRequest, qs: Any) -> Any:
    return CappedPaginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _nodes(request: HttpRequest) -> Any:
    return scoped(request.user, AddressNode.objects.all(), "code")


def _roads(request: HttpRequest) -> Any:
    return Road.objects.filter(scope_for(request.user).q_with_ancestors("division__code"))


def _can_edit(request: HttpRequest, code: str) -> bool:
    scope = scope_for(request.user)
    return scope.can(Cap.ADDRESS_EDIT) and scope.covers(code)


@requires(Cap.ADDRESS_VIEW)
def home(request: HttpRequest) -> HttpResponse:
    """Start where the user's jurisdiction starts: the county for a bureau, the town for a station."""
    prefixes = scope_for(request.user).prefixes
    divisions = sorted({p.split("-")[0] for p in prefixes})
    start = divisions[0] if len(divisions) == 1 else settings.YBSS_REGION
    if len(divisions) > 1:  # several places: start from their common ancestor
        common = divisions[0]
        while common and not all(d.startswith(common) for d in divisions):
            common = common[:-1]
        start = next((common[:n] for n in (12, 9, 6, 4, 2) if n <= len(common)), settings.YBSS_REGION)
    division = Division.objects.filter(code=start).first()
    if division is None:
        return render(request, "addresses/empty.html", {"region": start})
    return redirect("addresses:division", code=division.code)


@requires(Cap.ADDRESS_VIEW)
def division_detail(request: HttpRequest, code: str) -> HttpResponse:
    scope = scope_for(request.user)
    division = get_object_or_404(Division, code=code)
    inside = scope.covers(division.code)
    if not inside and not scope.leads_to(division.code):
        raise Http404
    ctx: dict[str, Any] = {"division": division, "ancestors": division.ancestors()}
    if division.level < Level.COMMUNITY:
        children = Division.objects.filter(parent=division)
        if not inside:  # on the way down: only the branches that lead into the jurisdiction
            children = children.filter(code__in=[c for c in _child_codes(scope.prefixes, division)])
        ctx["children"] = children
    if division.level >= Level.TOWNSHIP and (inside or division.level == Level.TOWNSHIP):
        ctx["roads"] = _roads(request).filter(
            division__code__startswith=division.code[:9], status=Status.IN_USE
        )
    if division.level == Level.COMMUNITY:
        ctx["nodes"] = _page(
            request, _nodes(request).filter(division=division, depth=1).select_related("road")
        )
    ctx["can_edit"] = _can_edit(request, division.code)
    return render(request, "addresses/division.html", ctx)


def _child_codes(prefixes: tuple[str, ...], division: Division) -> set[str]:
    step = {1: 4, 2: 6, 3: 9, 4: 12}[division.level]
    return {p.split("-")[0][:step] for p in prefixes if p.startswith(division.code)}


@requires(Cap.ADDRESS_VIEW)
def node_detail(request: HttpRequest, pk: int) -> HttpResponse:
    node = get_scoped_or_404(
        request.user, AddressNode.objects.select_related("division", "road", "merged_into"), "code", pk=pk
    )
    return render(
        request,
        "addresses/node.html",
        {
            "node": node,
            "ancestors": [a for a in node.ancestors() if scope_for(request.user).covers(a.code)],
            "division_ancestors": [*node.division.ancestors(), node.division],
            "children": _page(request, AddressNode.objects.filter(parent=node)),
            "history": AddressChange.objects.filter(node=node).select_related("actor")[:20],
            "child_kinds": [Kind(k).label for k in ALLOWED_CHILDREN[node.kind]],
            "can_edit": _can_edit(request, node.code) and node.is_in_use,
            "panels": render_panels(request, node),
        },
    )


@requires(Cap.ADDRESS_VIEW)
def road_detail(request: HttpRequest, pk: int) -> HttpResponse:
    road = get_object_or_404(_roads(request).select_related("division"), pk=pk)
    return render(
        request,
        "addresses/road.html",
        {
            "road": road,
            "division_ancestors": [*road.division.ancestors(), road.division],
            "plates": _page(request, _nodes(request).filter(road=road).order_by("norm_key")),
            "history": AddressChange.objects.filter(road=road).select_related("actor")[:20],
            "can_edit": _can_edit(request, road.division_id),
        },
    )


def search_nodes(user: Any, q: str, within: str = "") -> Any:
    """Addresses in use whose standard text holds every word of ``q``, under ``within``
    (a division or address code) when given: what the search page lists and what
    exporting it exports. With neither, every address in use in the jurisdiction."""
    qs = scoped(user, AddressNode.objects.all(), "code").filter(status=Status.IN_USE)
    if q:
        qs = qs.search(q)
    if within:
        qs = qs.within(within)
    return qs.order_by("code")


@requires(Cap.ADDRESS_VIEW)
def search(request: HttpRequest) -> HttpResponse:
    """Words of the standard text first; a whole free-text address goes through the engine."""
    q = request.GET.get("q", "").strip()[:100]
    within = request.GET.get("within", "").strip()[:64]
    results = None
    matches: list[tuple[AddressNode, float]] = []
    if q:
        results = _page(request, search_nodes(request.user, q, within))
        if not results.paginator.count and len(q) >= 6:
            matches = _free_text_matches(request, q)
    return render(
        request, "addresses/search.html", {"q": q, "within": within, "results": results, "matches": matches}
    )


def _free_text_matches(request: HttpRequest, q: str) -> list[tuple[AddressNode, float]]:
    parsed = addressing.parse(q, settings.YBSS_REGION)
    code = parsed.division_code or ""
    if len(code) < 9:  # a township at least, so the index stays small
        return []
    found = AddressMatcher(settings.YBSS_REGION, base=_nodes(request)).match(parsed)
    scores = {c["code"]: c["score"] for c in found["candidates"] if c["score"] > 0}
    nodes = {n.code: n for n in _nodes(request).filter(code__in=list(scores))}
    return [(nodes[c], round(score, 2)) for c, score in scores.items() if c in nodes]


def _form_page(request: HttpRequest, template: str, form: Any, ctx: dict[str, Any]) -> HttpResponse:
    return render(request, template, {"form": form, **ctx}, status=400 if form.is_bound else 200)


@requires(Cap.ADDRESS_EDIT)
@require_http_methods(["GET", "POST"])
def road_create(request: HttpRequest, code: str) -> HttpResponse:
    division = get_object_or_404(
        Division.objects.filter(scope_for(request.user).q("code")), code=code, level__gte=Level.TOWNSHIP
    )
    form = RoadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            road = actions.create_road(request.user, division, form.cleaned_data["name"])
        except ActionError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("已新建街路巷 %(road)s。") % {"road": road.name})
            return redirect("addresses:division", code=division.code)
    return _form_page(
        request,
        "addresses/form.html",
        form,
        {"title": _("在%(division)s新建街路巷") % {"division": division.short_name}, "division": division},
    )


@requires(Cap.ADDRESS_EDIT)
@require_http_methods(["GET", "POST"])
def node_create(request: HttpRequest, code: str) -> HttpResponse:
    """A top-level node in a community: door plate on a road, village group or compound."""
    division = get_object_or_404(
        Division.objects.filter(scope_for(request.user).q("code")), code=code, level=Level.COMMUNITY
    )
    roads = [
        (r.pk, r.name)
        for r in Road.objects.filter(
            division__code__in=[division.code, division.code[:9]], status=Status.IN_USE
        )
    ]
    form = NodeForm(
        request.POST or None,
        kinds=list(ALLOWED_CHILDREN[None]),
        roads=roads,
        initial={"kind": request.GET.get("kind", Kind.DOORPLATE)},
    )
    if request.method == "POST" and form.is_valid():
        road_id = form.cleaned_data.get("road")
        road = Road.objects.filter(pk=road_id).first() if road_id else None
        try:
            node = actions.create_node(
                request.user,
                form.cleaned_data["kind"],
                form.cleaned_data["name"],
                division=division,
                road=road,
            )
        except ActionError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("已新建 %(address)s。") % {"address": node.full_text})
            return redirect("addresses:node", pk=node.pk)
    return _form_page(
        request,
        "addresses/form.html",
        form,
        {"title": _("在%(division)s新建地址") % {"division": division.short_name}, "division": division},
    )


@requires(Cap.ADDRESS_EDIT)
@require_http_methods(["GET", "POST"])
def child_create(request: HttpRequest, pk: int) -> HttpResponse:
    parent = get_object_or_404(_nodes(request), pk=pk)
    kinds = list(ALLOWED_CHILDREN[parent.kind])
    if not kinds:
        raise Http404
    form = NodeForm(request.POST or None, kinds=kinds, initial={"kind": request.GET.get("kind", kinds[0])})
    if request.method == "POST" and form.is_valid():
        try:
            node = actions.create_node(
                request.user, form.cleaned_data["kind"], form.cleaned_data["name"], parent=parent
            )
        except ActionError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("已新建 %(address)s。") % {"address": node.full_text})
            return redirect("addresses:node", pk=node.pk)
    return _form_page(
        request,
        "addresses/form.html",
        form,
        {"title": _("在 %(parent)s 下新建") % {"parent": parent.full_text}, "node": parent},
    )


@requires(Cap.ADDRESS_EDIT)
@require_http_methods(["GET", "POST"])
def rooms_create(request: HttpRequest, pk: int) -> HttpResponse:
    building = get_object_or_404(_nodes(request), pk=pk, kind=Kind.BUILDING)
    form = RoomPatternForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rooms = actions.batch_create_rooms(
                request.user, building, actions.RoomPattern(**form.cleaned_data)
            )
        except ActionError as exc:
            _apply_error(form, exc)
        else:
            messages.success(
                request,
                ngettext("已生成 %(count)d 户。", "已生成 %(count)d 户。", len(rooms))
                % {"count": len(rooms)},
            )
            return redirect("addresses:node", pk=building.pk)
    return _form_page(
        request,
        "addresses/form.html",
        form,
        {
            "title": _("为 %(building)s 按规则生成单元和户室") % {"building": building.full_text},
            "node": building,
            "hint": _("例如 6 层 × 2 个单元 × 每层 2 户，户室编号 101…602。"),
        },
    )


@requires(Cap.ADDRESS_EDIT)
@require_http_methods(["GET", "POST"])
def node_rename(request: HttpRequest, pk: int) -> HttpResponse:
    node = get_object_or_404(_nodes(request), pk=pk)
    form = RenameForm(request.POST or None, initial={"name": node.name})
    if request.method == "POST" and form.is_valid():
        try:
            node = actions.rename_node(request.user, node, form.cleaned_data["name"])
        except ActionError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("已更名为 %(address)s。") % {"address": node.full_text})
            return redirect("addresses:node", pk=node.pk)
    return _form_page(
        request,
        "addresses/form.html",
        form,
        {"title": _("更名：%(address)s") % {"address": node.full_text}, "node": node},
    )


@requires(Cap.ADDRESS_EDIT)
@require_http_methods(["GET", "POST"])
def road_rename(request: HttpRequest, pk: int) -> HttpResponse:
    road = get_object_or_404(Road.objects.filter(scope_for(request.user).q("division__code")), pk=pk)
    form = RenameForm(request.POST or None, initial={"name": road.name})
    if request.method == "POST" and form.is_valid():
        try:
            road = actions.rename_road(request.user, road, form.cleaned_data["name"])
        except ActionError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("街路巷已更名为 %(road)s。") % {"road": road.name})
            return redirect("addresses:road", pk=road.pk)
    return _form_page(
        request, "addresses/form.html", form, {"title": _("街路巷更名：%(road)s") % {"road": road.name}}
    )


@requires(Cap.ADDRESS_EDIT)
@require_http_methods(["GET", "POST"])
def node_merge(request: HttpRequest, pk: int) -> HttpResponse:
    node = get_object_or_404(_nodes(request), pk=pk)
    form = MergeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        target = AddressNode.objects.filter(code=form.cleaned_data["target_code"].strip()).first()
        if target is None:
            form.add_error("target_code", _("找不到该地址编码。"))
        else:
            try:
                target = actions.merge_nodes(request.user, node, target)
            except ActionError as exc:
                _apply_error(form, exc)
            else:
                messages.success(request, _("已合并到 %(address)s。") % {"address": target.full_text})
                return redirect("addresses:node", pk=target.pk)
    return _form_page(
        request,
        "addresses/form.html",
        form,
        {
            "title": _("合并：%(address)s") % {"address": node.full_text},
            "node": node,
            "hint": _(
                "用于同一地址被重复录入的情况：本地址的下级地址将迁移到保留的地址下，本地址标为“已合并”。"
            ),
        },
    )


@requires(Cap.ADDRESS_EDIT)
@require_http_methods(["GET", "POST"])
def node_demolish(request: HttpRequest, pk: int) -> HttpResponse:
    node = get_object_or_404(_nodes(request), pk=pk)
    form = DemolishForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            count = actions.demolish_node(request.user, node, form.cleaned_data["reason"])
        except ActionError as exc:
            _apply_error(form, exc)
        else:
            messages.success(
                request,
                ngettext("已标记拆除 %(count)d 个地址。", "已标记拆除 %(count)d 个地址。", count)
                % {"count": count},
            )
            return redirect("addresses:node", pk=node.pk)
    return _form_page(
        request,
        "addresses/form.html",
        form,
        {"title": _("拆除：%(address)s") % {"address": node.full_text}, "node": node},
    )
