"""Pages for station administrators: browse, search, create, batch, rename, merge."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from ybss.core.errors import ActionError
from ybss.core.paging import CappedPaginator
from ybss.divisions.models import Division, Level

from . import actions
from .forms import DemolishForm, MergeForm, NodeForm, RenameForm, RoadForm, RoomPatternForm
from .models import ALLOWED_CHILDREN, AddressChange, AddressNode, Kind, Road, Status

PAGE_SIZE = 50
EDIT_PERM = "addresses.add_addressnode"


def _apply_error(form: Any, exc: ActionError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def _page(request: HttpRequest, qs: Any) -> Any:
    return CappedPaginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    region = Division.objects.filter(code=settings.YBSS_REGION).first()
    if region is None:
        return render(request, "addresses/empty.html", {"region": settings.YBSS_REGION})
    return redirect("addresses:division", code=region.code)


@login_required
def division_detail(request: HttpRequest, code: str) -> HttpResponse:
    division = get_object_or_404(Division, code=code)
    if not (division.code.startswith(settings.YBSS_REGION) or settings.YBSS_REGION.startswith(division.code)):
        raise Http404
    ctx: dict[str, Any] = {"division": division, "ancestors": division.ancestors()}
    if division.level < Level.COMMUNITY:
        children = Division.objects.filter(parent=division)
        if not division.code.startswith(settings.YBSS_REGION):
            children = children.filter(
                code__in=[settings.YBSS_REGION[: len(division.code) + n] for n in (2, 3)]
            )
        ctx["children"] = children
    if division.level >= Level.TOWNSHIP:
        ctx["roads"] = Road.objects.filter(division__code__startswith=division.code[:9], status=Status.IN_USE)
    if division.level == Level.COMMUNITY:
        ctx["nodes"] = _page(
            request, AddressNode.objects.filter(division=division, depth=1).select_related("road")
        )
    ctx["can_edit"] = request.user.has_perm(EDIT_PERM) and division.code.startswith(settings.YBSS_REGION)
    return render(request, "addresses/division.html", ctx)


@login_required
def node_detail(request: HttpRequest, pk: int) -> HttpResponse:
    node = get_object_or_404(AddressNode.objects.select_related("division", "road", "merged_into"), pk=pk)
    return render(
        request,
        "addresses/node.html",
        {
            "node": node,
            "ancestors": node.ancestors(),
            "division_ancestors": [*node.division.ancestors(), node.division],
            "children": _page(request, AddressNode.objects.filter(parent=node)),
            "history": AddressChange.objects.filter(node=node).select_related("actor")[:20],
            "child_kinds": [Kind(k).label for k in ALLOWED_CHILDREN[node.kind]],
            "can_edit": request.user.has_perm(EDIT_PERM) and node.is_in_use,
        },
    )


@login_required
def road_detail(request: HttpRequest, pk: int) -> HttpResponse:
    road = get_object_or_404(Road.objects.select_related("division"), pk=pk)
    return render(
        request,
        "addresses/road.html",
        {
            "road": road,
            "division_ancestors": [*road.division.ancestors(), road.division],
            "plates": _page(request, AddressNode.objects.filter(road=road).order_by("norm_key")),
            "history": AddressChange.objects.filter(road=road).select_related("actor")[:20],
            "can_edit": request.user.has_perm(EDIT_PERM),
        },
    )


@login_required
def search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    within = request.GET.get("within", "").strip()[:64] or settings.YBSS_REGION
    if not within.startswith(settings.YBSS_REGION):
        within = settings.YBSS_REGION
    results = None
    if q:
        qs = AddressNode.objects.within(within).search(q).filter(status=Status.IN_USE).order_by("code")
        results = _page(request, qs)
    return render(request, "addresses/search.html", {"q": q, "within": within, "results": results})


def _form_page(request: HttpRequest, template: str, form: Any, ctx: dict[str, Any]) -> HttpResponse:
    return render(request, template, {"form": form, **ctx}, status=400 if form.is_bound else 200)


@login_required
@permission_required(EDIT_PERM, raise_exception=True)
@require_http_methods(["GET", "POST"])
def road_create(request: HttpRequest, code: str) -> HttpResponse:
    division = get_object_or_404(Division, code=code, level__gte=Level.TOWNSHIP)
    form = RoadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            road = actions.create_road(request.user, division, form.cleaned_data["name"])
        except ActionError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, f"已新建街路巷 {road.name}。")
            return redirect("addresses:division", code=division.code)
    return _form_page(
        request,
        "addresses/form.html",
        form,
        {"title": f"在{division.short_name}新建街路巷", "division": division},
    )


@login_required
@permission_required(EDIT_PERM, raise_exception=True)
@require_http_methods(["GET", "POST"])
def node_create(request: HttpRequest, code: str) -> HttpResponse:
    """A top-level node in a community: door plate on a road, village group or compound."""
    division = get_object_or_404(Division, code=code, level=Level.COMMUNITY)
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
            messages.success(request, f"已新建 {node.full_text}。")
            return redirect("addresses:node", pk=node.pk)
    return _form_page(
        request,
        "addresses/form.html",
        form,
        {"title": f"在{division.short_name}新建地址", "division": division},
    )


@login_required
@permission_required(EDIT_PERM, raise_exception=True)
@require_http_methods(["GET", "POST"])
def child_create(request: HttpRequest, pk: int) -> HttpResponse:
    parent = get_object_or_404(AddressNode, pk=pk)
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
            messages.success(request, f"已新建 {node.full_text}。")
            return redirect("addresses:node", pk=node.pk)
    return _form_page(
        request, "addresses/form.html", form, {"title": f"在 {parent.full_text} 下新建", "node": parent}
    )


@login_required
@permission_required(EDIT_PERM, raise_exception=True)
@require_http_methods(["GET", "POST"])
def rooms_create(request: HttpRequest, pk: int) -> HttpResponse:
    building = get_object_or_404(AddressNode, pk=pk, kind=Kind.BUILDING)
    form = RoomPatternForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rooms = actions.batch_create_rooms(
                request.user, building, actions.RoomPattern(**form.cleaned_data)
            )
        except ActionError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, f"已生成 {len(rooms)} 户。")
            return redirect("addresses:node", pk=building.pk)
    return _form_page(
        request,
        "addresses/form.html",
        form,
        {
            "title": f"为 {building.full_text} 按规则生成单元和户室",
            "node": building,
            "hint": "例如 6 层 × 2 个单元 × 每层 2 户，户室编号 101…602。",
        },
    )


@login_required
@permission_required(EDIT_PERM, raise_exception=True)
@require_http_methods(["GET", "POST"])
def node_rename(request: HttpRequest, pk: int) -> HttpResponse:
    node = get_object_or_404(AddressNode, pk=pk)
    form = RenameForm(request.POST or None, initial={"name": node.name})
    if request.method == "POST" and form.is_valid():
        try:
            node = actions.rename_node(request.user, node, form.cleaned_data["name"])
        except ActionError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, f"已更名为 {node.full_text}。")
            return redirect("addresses:node", pk=node.pk)
    return _form_page(
        request, "addresses/form.html", form, {"title": f"更名：{node.full_text}", "node": node}
    )


@login_required
@permission_required(EDIT_PERM, raise_exception=True)
@require_http_methods(["GET", "POST"])
def road_rename(request: HttpRequest, pk: int) -> HttpResponse:
    road = get_object_or_404(Road, pk=pk)
    form = RenameForm(request.POST or None, initial={"name": road.name})
    if request.method == "POST" and form.is_valid():
        try:
            road = actions.rename_road(request.user, road, form.cleaned_data["name"])
        except ActionError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, f"街路巷已更名为 {road.name}。")
            return redirect("addresses:road", pk=road.pk)
    return _form_page(request, "addresses/form.html", form, {"title": f"街路巷更名：{road.name}"})


@login_required
@permission_required(EDIT_PERM, raise_exception=True)
@require_http_methods(["GET", "POST"])
def node_merge(request: HttpRequest, pk: int) -> HttpResponse:
    node = get_object_or_404(AddressNode, pk=pk)
    form = MergeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        target = AddressNode.objects.filter(code=form.cleaned_data["target_code"].strip()).first()
        if target is None:
            form.add_error("target_code", "找不到该地址编码。")
        else:
            try:
                target = actions.merge_nodes(request.user, node, target)
            except ActionError as exc:
                _apply_error(form, exc)
            else:
                messages.success(request, f"已合并到 {target.full_text}。")
                return redirect("addresses:node", pk=target.pk)
    return _form_page(
        request,
        "addresses/form.html",
        form,
        {
            "title": f"合并：{node.full_text}",
            "node": node,
            "hint": "用于同一地址被重复录入的情况：本地址的下级地址将迁移到保留的地址下，"
            "本地址标为“已合并”。",
        },
    )


@login_required
@permission_required(EDIT_PERM, raise_exception=True)
@require_http_methods(["GET", "POST"])
def node_demolish(request: HttpRequest, pk: int) -> HttpResponse:
    node = get_object_or_404(AddressNode, pk=pk)
    form = DemolishForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            count = actions.demolish_node(request.user, node, form.cleaned_data["reason"])
        except ActionError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, f"已标记拆除 {count} 个地址。")
            return redirect("addresses:node", pk=node.pk)
    return _form_page(
        request, "addresses/form.html", form, {"title": f"拆除：{node.full_text}", "node": node}
    )
