"""The campaign progress dashboard and its Excel export."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from ybss.access.decorators import requires
from ybss.access.roles import Cap
from ybss.access.scope import scope_for

from .models import Campaign
from .progress import Node, Progress


def visible_campaign(request: HttpRequest, pk: int) -> Campaign:
    """A campaign whose area meets the viewer's jurisdiction; anything else is not found."""
    campaign = Campaign.objects.filter(pk=pk).first()
    if campaign is None:
        raise Http404
    scope = scope_for(request.user)
    if not any(scope.covers(code) or scope.leads_to(code) for code in campaign.area_codes):
        raise Http404
    return campaign


def _pct(value: Any) -> str:
    return "—" if value is None else f"{float(value) * 100:.1f}%"


def _row(node: Node) -> dict[str, Any]:
    r = node.rates
    return {
        "key": node.key,
        "label": node.label,
        "leaf": node.leaf,
        "expected": r.expected,
        "collected": r.collected,
        "refused": r.refused,
        "left_roster": r.left_roster,
        "pending": r.pending,
        "revisit": r.revisit,
        "outstanding": r.outstanding,
        "collection_rate": None if r.collection_rate is None else float(r.collection_rate),
        "accuracy_rate": None if r.accuracy_rate is None else float(r.accuracy_rate),
        "checked": r.checked,
        "confirmed": r.confirmed,
        "collection_shown": _pct(r.collection_rate),
        "accuracy_shown": _pct(r.accuracy_rate),
    }


def _trail(progress: Progress, key: str) -> list[dict[str, str]]:
    """The way down from the campaign to ``key``, for the breadcrumb."""
    trail = [{"key": "", "label": progress.campaign.name}]
    if key:
        trail.append({"key": key, "label": progress.node(key).label})
    return trail


@requires(Cap.STATS_VIEW)
def dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = visible_campaign(request, pk)
    key = request.GET.get("node", "")
    if key and key[:2] not in ("j:", "c:", "u:"):
        raise Http404
    progress = Progress(campaign, request.user)
    here = progress.node(key)
    rows = [_row(n) for n in progress.children(key)]
    context = {
        "campaign": campaign,
        "here": _row(here),
        "rows": rows,
        "trail": _trail(progress, key),
        "node": key,
        "behind": [_row(n) for n in progress.furthest_behind()] if not key else [],
        "chart": {
            "labels": [r["label"] for r in rows],
            "collection": [r["collection_rate"] for r in rows],
            "accuracy": [r["accuracy_rate"] for r in rows],
            "target_collection": float(campaign.collection_target),
            "target_accuracy": float(campaign.accuracy_target),
            "trend": progress.trend(key),
            "names": {
                "collection": _("采集率"),
                "accuracy": _("准确率"),
                "target": _("目标"),
                "daily": _("当日完成"),
            },
        },
        "targets": {
            "collection": _pct(campaign.collection_target),
            "accuracy": _pct(campaign.accuracy_target),
        },
        "collection_met": here.rates.collection_rate is not None
        and here.rates.collection_rate >= campaign.collection_target,
        "accuracy_met": here.rates.accuracy_rate is not None
        and here.rates.accuracy_rate >= campaign.accuracy_target,
    }
    return render(request, "campaigns/dashboard.html", context)


HEADERS = [
    ("label", "区域/采集员"),
    ("expected", "应采"),
    ("collected", "已采"),
    ("collection_shown", "采集率"),
    ("refused", "拒绝"),
    ("left_roster", "拆除/地址有误"),
    ("outstanding", "未完成"),
    ("revisit", "待再访"),
    ("pending", "待审核"),
    ("checked", "复核项"),
    ("confirmed", "无误项"),
    ("accuracy_shown", "准确率"),
]


@requires(Cap.STATS_VIEW)
def export(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress table as .xlsx, for the level being looked at."""
    campaign = visible_campaign(request, pk)
    key = request.GET.get("node", "")
    if key and key[:2] not in ("j:", "c:", "u:"):
        raise Http404
    progress = Progress(campaign, request.user)
    here = progress.node(key)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "采集进度"
    ws.append([f"{campaign.name} · {here.label} · 采集进度"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([f"目标：采集率 {_pct(campaign.collection_target)}，准确率 {_pct(campaign.accuracy_target)}"])
    ws.append([label for _, label in HEADERS])
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for row in [*(_row(n) for n in progress.children(key)), {**_row(here), "label": "合计"}]:
        ws.append([_cell(row[name]) for name, _ in HEADERS])
    for letter in "ABCDEFGHIJKL":
        ws.column_dimensions[letter].width = 14
    ws.column_dimensions["A"].width = 28
    out = io.BytesIO()
    wb.save(out)
    response = HttpResponse(
        out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = f"{campaign.name}-采集进度.xlsx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


def _cell(value: Any) -> Any:
    # Names come from users and divisions; none may be read as a formula by a spreadsheet.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
