"""The areas a viewer may drill through: county → station → policing area → grid → community.

Like the campaign dashboard (``campaigns.progress``), a node is named by a key:
``""`` is the viewer's own jurisdiction, ``j:<id>`` a jurisdiction, ``c:<code>`` a
division. Below a jurisdiction with no children drawn come its divisions
(townships, then communities). A key outside the viewer's jurisdiction is not
found, exactly like a key that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.http import Http404

from ybss.access.models import Jurisdiction
from ybss.access.scope import Scope, scope_for
from ybss.core.db import prefix_q
from ybss.divisions.models import Division

from .models import AreaFigure

BELOW_STATION = (Jurisdiction.Kind.POLICING_AREA, Jurisdiction.Kind.GRID)


@dataclass
class Area:
    key: str
    label: str
    prefixes: list[str]
    below_station: bool  # small counts are hidden here from viewers who may not see the records
    kind: str = ""

    @property
    def leaf(self) -> bool:
        return self.key.startswith("c:") and len(self.key) - 2 >= 12


def _held(user: Any) -> list[Jurisdiction]:
    access = getattr(user, "access", None)
    if access is None:
        return []
    return list(access.jurisdictions.order_by("name"))


def _division_label(code: str) -> str:
    name = Division.objects.filter(code=code).values_list("name", flat=True).first()
    return str(name or code)


def resolve(user: Any, key: str) -> Area:
    """The area named by ``key``, inside the viewer's jurisdiction, or Http404."""
    scope = scope_for(user)
    if key == "":
        held = _held(user)
        if len(held) == 1:
            return _jurisdiction_area(held[0])
        below = bool(held) and all(j.kind in BELOW_STATION for j in held)
        return Area("", "、".join(j.name for j in held) or "本辖区", list(scope.prefixes), below)
    if key.startswith("j:") and key[2:].isdigit():
        place = Jurisdiction.objects.filter(pk=int(key[2:])).first()
        if place is not None:
            prefixes = place.all_prefixes()
            if prefixes and all(scope.covers(p) for p in prefixes):
                return _jurisdiction_area(place, prefixes)
    if key.startswith("c:"):
        code = key[2:]
        if (
            code.isdigit()
            and len(code) in (6, 9, 12)
            and scope.covers(code)
            and Division.objects.filter(code=code).exists()
        ):
            return Area(key, _division_label(code), [code], len(code) >= 12)
    raise Http404


def _jurisdiction_area(place: Jurisdiction, prefixes: list[str] | None = None) -> Area:
    return Area(
        f"j:{place.pk}",
        place.name,
        prefixes if prefixes is not None else place.all_prefixes(),
        place.kind in BELOW_STATION,
        place.kind,
    )


def children(user: Any, area: Area) -> list[Area]:
    """The areas one level down, inside the viewer's jurisdiction, that have any figures."""
    scope = scope_for(user)
    if area.key == "":
        held = _held(user)
        if len(held) != 1:
            return [_jurisdiction_area(j) for j in held]
    if area.key.startswith("j:"):
        kids = list(Jurisdiction.objects.filter(parent_id=int(area.key[2:])).order_by("name"))
        if kids:
            return _one_per_territory(
                [a for a in (_jurisdiction_area(k) for k in kids) if a.prefixes and _inside(scope, a)]
            )
    if area.leaf:
        return []
    if area.key.startswith("j:") or area.key == "":
        # A jurisdiction drawn over whole communities: those communities are its leaves.
        communities = [p for p in area.prefixes if p.isdigit() and len(p) == 12]
        named = dict(Division.objects.filter(code__in=communities).values_list("code", "name"))
        leaves = [Area(f"c:{c}", str(named[c]), [c], True) for c in communities if c in named]
        return leaves + _divisions_below(area.prefixes)
    return _divisions_below(area.prefixes)


def _inside(scope: Scope, area: Area) -> bool:
    return all(scope.covers(p) for p in area.prefixes)


def _one_per_territory(areas: list[Area]) -> list[Area]:
    """Two records over the same territory (one drawn with its tree, one made to hold an
    account) are one place on the dashboard."""
    seen: dict[tuple[str, ...], Area] = {}
    for a in areas:
        seen.setdefault(tuple(a.prefixes), a)
    return list(seen.values())


def _divisions_below(prefixes: list[str]) -> list[Area]:
    """Townships under a county, communities under a township, for each division prefix."""
    out: list[Area] = []
    for p in prefixes:
        if not p.isdigit() or len(p) >= 12:
            continue
        length = 9 if len(p) < 9 else 12
        q = Q(level=4 if length == 9 else 5) & prefix_q("code", p)
        codes_with_data = set(
            AreaFigure.objects.filter(prefix_q("area", p), figure__in=SHOWN_IF_ANY).values_list(
                "area", flat=True
            )
        )
        for code, name in Division.objects.filter(q).order_by("code").values_list("code", "name"):
            if code in codes_with_data:
                out.append(Area(f"c:{code}", str(name), [code], length >= 12))
    return out


# A division appears in the drill-down when it holds any of these.
SHOWN_IF_ANY = [
    "pop:total",
    "pop:away_from_registration",
    "house:total",
    "unit:total",
    "quality:empty_address",
]


def trail(user: Any, area: Area) -> list[Area]:
    """The way down from the viewer's jurisdiction to ``area``, for the breadcrumb."""
    root = resolve(user, "")
    if area.key in ("", root.key):
        return [area]
    steps: list[Area] = []
    if area.key.startswith("j:"):
        place = Jurisdiction.objects.filter(pk=int(area.key[2:])).first()
        node = place.parent if place else None
        while node is not None and f"j:{node.pk}" != root.key:
            candidate = _jurisdiction_area(node)
            if not _inside(scope_for(user), candidate):
                break
            steps.insert(0, candidate)
            node = node.parent
    return [root, *steps, area]
