"""The statistics dashboards, the lists behind their figures, and the monthly report."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from ybss.access.decorators import requires
from ybss.access.roles import Cap
from ybss.access.scope import require, scope_for
from ybss.addresses.models import AddressNode
from ybss.core.paging import CappedPaginator
from ybss.houses.models import HouseUse
from ybss.people.models import MUST_COLLECT, Person
from ybss.people.views import masked
from ybss.units.models import SpecialIndustry, UnitType

from . import figures, privacy
from .areas import Area, children, resolve, trail

SECTIONS = {
    "population": gettext_lazy("实有人口"),
    "houses": gettext_lazy("实有房屋"),
    "units": gettext_lazy("实有单位"),
    "quality": gettext_lazy("数据质量"),
}

# The columns of each section's drill-down table.
COLUMNS = {
    "population": ["pop:total", *[f"pop:{k}" for k in figures.POPULATION]],
    "houses": [
        "house:total",
        "house:use:rented",
        "house:rented_untenanted",
        "house:use:hotel_rental",
        "house:use:vacant",
        "house:unoccupied",
    ],
    "units": ["unit:total", "unit:special_any", "unit:licence:30", "unit:no_legal_rep", "unit:no_contact"],
    "quality": [
        "pop:total",
        "fresh:stale",
        "quality:no_address",
        "quality:duplicates_pending",
        "quality:empty_address",
        "house:stale",
        "unit:stale",
    ],
}


@dataclass
class View:
    """What one page needs to show one area's figures to one viewer."""

    area: Area
    values: Counter[str]
    exact: bool
    as_of: date

    def cell(
        self, figure: str, values: Counter[str] | None = None, area: Area | None = None
    ) -> dict[str, Any]:
        place = area or self.area
        value = int((values if values is not None else self.values).get(figure, 0))
        hide = privacy.hidden(value, place.below_station, self.exact)
        link = None
        if value and not hide and self.exact and figures.kind_of(figure):
            link = reverse("stats:records") + "?" + urlencode({"node": place.key, "figure": figure})
        return {
            "figure": figure,
            "label": figures.label(figure),
            "value": None if hide else value,
            "shown": privacy.shown(value, place.below_station, self.exact),
            "link": link,
        }

    def cells(self, keys: list[str]) -> list[dict[str, Any]]:
        return [self.cell(k) for k in keys]


def _as_of() -> tuple[date, Any]:
    snap = figures.latest()
    return (snap.as_of if snap else timezone.localdate()), snap


def _area(request: HttpRequest) -> Area:
    return resolve(request.user, request.GET.get("node", ""))


def _ranked(values: Counter[str], family: str, limit: int) -> list[str]:
    keys = [k for k in values if k.startswith(family) and values[k]]
    return sorted(keys, key=lambda k: (-values[k], k))[:limit]


def _section_cells(view: View, section: str) -> dict[str, Any]:
    v = view.values
    if section == "population":
        months = figures.months_shown(view.as_of)
        bands = [figures.band_label(lo, hi) for lo, hi in figures.AGE_BANDS] + ["unknown"]
        return {
            "cards": view.cells(COLUMNS["population"]),
            "ages": [
                {
                    "band": band if band != "unknown" else _("不详"),
                    "male": view.cell(f"age:{band}:1"),
                    "female": view.cell(f"age:{band}:2"),
                    "other": view.cell(f"age:{band}:0"),
                }
                for band in bands
            ],
            "households": view.cells(figures.HOUSEHOLD_KEYS),
            "provinces": view.cells(_ranked(v, "origin_p:", 10)),
            "cities": view.cells(_ranked(v, "origin_c:", 10)),
            "months": [
                {"month": m, "in": view.cell(f"move_in:{m}"), "out": view.cell(f"move_out:{m}")}
                for m, _first, _next in months
            ],
        }
    if section == "houses":
        return {
            "cards": view.cells(
                [
                    "house:total",
                    "house:occupied",
                    "house:unoccupied",
                    "house:rented_untenanted",
                    "house:stale",
                ]
            ),
            "uses": view.cells([f"house:use:{u}" for u in HouseUse.values]),
        }
    if section == "units":
        return {
            "cards": view.cells(
                [
                    "unit:total",
                    "unit:special_any",
                    *[f"unit:licence:{d}" for d in figures.LICENCE_DAYS],
                    "unit:no_legal_rep",
                    "unit:no_contact",
                    "unit:stale",
                ]
            ),
            "types": view.cells([f"unit:type:{t}" for t in UnitType.values]),
            "specials": view.cells([f"unit:special:{c}" for c in SpecialIndustry.values]),
            "industries": view.cells(_ranked(v, "unit:industry:", 15)),
        }
    total = int(v.get("pop:total", 0))
    complete = []
    for group in MUST_COLLECT:
        c = view.cell(f"complete:{group}")
        c["rate"] = f"{v.get(f'complete:{group}', 0) / total * 100:.1f}%" if total else "—"
        complete.append(c)
    return {
        "cards": view.cells(
            ["pop:total", "quality:no_address", "quality:duplicates_pending", "quality:empty_address"]
        ),
        "complete": complete,
        "fresh": view.cells([f"fresh:{k}" for k, _a, _b in figures.freshness_buckets()]),
        "stale": view.cells(["house:stale", "unit:stale"]),
    }


def _chart(section: str, data: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What the charts draw: only numbers the viewer may see (hidden cells are null)."""
    chart: dict[str, Any] = {"section": section}
    chart["areas"] = {
        "labels": [r["label"] for r in rows],
        "series": [
            {"name": c["label"], "data": [r["cells"][i]["value"] for r in rows]}
            for i, c in enumerate(rows[0]["cells"] if rows else [])
        ],
    }
    if section == "population":
        chart["ages"] = {
            "labels": [a["band"] for a in data["ages"]],
            "male": [a["male"]["value"] for a in data["ages"]],
            "female": [a["female"]["value"] for a in data["ages"]],
            "names": {"male": _("男"), "female": _("女")},
        }
        chart["months"] = {
            "labels": [m["month"] for m in data["months"]],
            "in": [m["in"]["value"] for m in data["months"]],
            "out": [m["out"]["value"] for m in data["months"]],
            "names": {"in": _("迁入"), "out": _("迁出")},
        }
        chart["pie"] = [{"name": c["label"], "value": c["value"]} for c in data["cards"][1:4]]
    elif section == "houses":
        chart["pie"] = [{"name": c["label"], "value": c["value"]} for c in data["uses"]]
    elif section == "units":
        chart["pie"] = [{"name": c["label"], "value": c["value"]} for c in data["types"]]
    else:
        chart["pie"] = [{"name": c["label"], "value": c["value"]} for c in data["fresh"]]
    return chart


def build(request: HttpRequest, section: str) -> dict[str, Any]:
    """Everything a dashboard page (or the report) shows for the requested area."""
    area = _area(request)
    as_of, snap = _as_of()
    exact = privacy.sees_records(scope_for(request.user))
    view = View(area, figures.for_prefixes(area.prefixes, as_of), exact, as_of)
    kids = children(request.user, area)
    kid_values = figures.for_many({k.key: k.prefixes for k in kids}, as_of)
    rows = [
        {
            "key": k.key,
            "label": k.label,
            "leaf": k.leaf,
            "cells": [view.cell(f, kid_values[k.key], k) for f in COLUMNS[section]],
        }
        for k in kids
    ]
    data = _section_cells(view, section)
    context: dict[str, Any] = {
        "section": section,
        "sections": SECTIONS,
        "area": area,
        "trail": trail(request.user, area),
        "snapshot": snap,
        "as_of": as_of,
        "age_minutes": int((timezone.now() - snap.finished_at).total_seconds() // 60) if snap else None,
        "columns": [figures.label(f) for f in COLUMNS[section]],
        "rows": rows,
        "data": data,
        "chart": _chart(section, data, rows),
        "min_cell": privacy.min_cell(),
        "exact": exact,
        "node": area.key,
    }
    if section == "houses" and exact:
        context["landlords"] = _landlords(area, view)
    return context


def _landlords(area: Area, view: View) -> list[dict[str, Any]]:
    rows = figures.landlords(area.prefixes)
    people = {p.pk: p for p in Person.objects.filter(pk__in=[r["owner_person"] for r in rows])}
    return [
        {**masked(people[r["owner_person"]]), "houses": r["n"]} for r in rows if r["owner_person"] in people
    ]


def _page(section: str) -> Any:
    @requires(Cap.STATS_VIEW)
    @require_GET
    def page(request: HttpRequest) -> HttpResponse:
        return render(request, "stats/dashboard.html", build(request, section))

    page.__name__ = f"{section}_dashboard"
    return page


population = _page("population")
houses = _page("houses")
units = _page("units")
quality = _page("quality")


# ----------------------------------------------------------------------------- the list behind a figure


@requires(Cap.STATS_VIEW)
@require_GET
def record_list(request: HttpRequest) -> HttpResponse:
    """The records a figure counts, masked like every list; full records open through the
    audited read path (people:detail asks for a purpose)."""
    scope = require(request.user, Cap.PERSON_LIST)
    area = _area(request)
    figure = request.GET.get("figure", "")
    kind = figures.kind_of(figure)
    as_of, snap = _as_of()
    qs = figures.records(figure, area.prefixes, as_of) if kind else None
    if qs is None or kind is None:
        raise Http404
    field = {"person": "residence_code", "residence": "address__code", "house": "address__code"}.get(
        kind, "address__code" if kind == "unit" else "code"
    )
    if figure == "pop:away_from_registration":
        field = "domicile_code"
    qs = qs.filter(scope.q(field))
    if kind == "residence":
        qs = qs.select_related("person", "address")
    elif kind in ("house", "unit"):
        qs = qs.select_related("address")
    page = CappedPaginator(qs.order_by("pk"), 50).get_page(request.GET.get("page"))
    rows = _rows(kind, list(page.object_list))
    return render(
        request,
        "stats/records.html",
        {
            "area": area,
            "figure": figure,
            "label": figures.label(figure),
            "kind": kind,
            "page": page,
            "rows": rows,
            "snapshot": snap,
            "as_of": as_of,
            "query": urlencode({"node": area.key, "figure": figure}),
        },
    )


def _rows(kind: str, objs: list[Any]) -> list[dict[str, Any]]:
    if kind == "person":
        homes = dict(
            AddressNode.objects.filter(
                code__in=[p.residence_code for p in objs if p.residence_code]
            ).values_list("code", "full_text")
        )
        return [{**masked(p), "where": homes.get(p.residence_code, p.domicile_detail or "")} for p in objs]
    if kind == "residence":
        return [
            {**masked(r.person), "where": r.address.full_text, "since": r.valid_from, "until": r.valid_to}
            for r in objs
        ]
    if kind == "house":
        return [
            {
                "where": h.address.full_text,
                "url": reverse("houses:at", args=[h.address_id]),
                "what": h.get_use_display(),
                "since": h.last_confirmed,
            }
            for h in objs
        ]
    if kind == "unit":
        return [
            {
                "name": u.name,
                "url": reverse("units:detail", args=[u.pk]),
                "where": u.address.full_text,
                "what": u.get_unit_type_display(),
                "since": u.last_confirmed,
            }
            for u in objs
        ]
    return [
        {"where": a.full_text, "url": reverse("addresses:node", args=[a.pk]), "what": a.get_kind_display()}
        for a in objs
    ]


# ----------------------------------------------------------------------------- the monthly report


@requires(Cap.STATS_VIEW)
@require_GET
def monthly_report(request: HttpRequest) -> HttpResponse:
    """The area's monthly report as .xlsx; written to the audit log like every export."""
    from django.db import transaction

    from ybss.audit import log
    from ybss.audit.models import Action

    from .report import monthly_report as workbook

    area = _area(request)
    as_of, _snap = _as_of()
    months = [m for m, _first, _next in figures.months_shown(as_of)]
    month = request.GET.get("month") or months[-1]
    if month not in months:
        raise Http404
    values = figures.for_prefixes(area.prefixes, as_of)
    kids = children(request.user, area)
    kid_values = figures.for_many({k.key: k.prefixes for k in kids}, as_of)
    body = workbook(area, month, values, [(k, kid_values[k.key]) for k in kids], as_of)
    with transaction.atomic():
        log.record(
            request.user,
            Action.EXPORT,
            extra={"kind": "stats_report", "area": area.key or "own", "month": month, "format": "xlsx"},
        )
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = f"{area.label}-统计月报-{month}.xlsx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response
