"""Campaign progress by area: the drill-down from county to collector, the daily trend.

Every figure is computed with ``actions._rates_from``, the one place that applies
the definitions of docs/rates.md, from grouped counts of the work list: the
same numbers whichever level they are looked at from.

Drill-down: the campaign → stations (jurisdictions) → policing areas → grids,
following the jurisdiction tree where the bureau has drawn one, else the
division levels (township → community); below a community or a grid come the
collectors. Everything is limited to the viewer's jurisdiction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr

from ybss.access.models import Jurisdiction
from ybss.access.scope import scope_for
from ybss.core.db import prefix_q
from ybss.divisions.models import Division

from .actions import Rates, _rates_from
from .models import COUNTS_AS_COLLECTED, Campaign, RecheckItem, WorkItem

Counts = dict[tuple[str, str], int]  # (state, outcome) -> work items


@dataclass
class Node:
    key: str  # "" (the campaign), "j:<id>", "c:<code>", "u:<user id>:<the key of the area above>"
    label: str
    rates: Rates
    leaf: bool = False


def _prefixes_q(field: str, prefixes: list[str]) -> Q:
    q = Q(pk__in=[])
    for p in prefixes:
        q |= prefix_q(field, p)
    return q


class Progress:
    def __init__(self, campaign: Campaign, viewer: Any) -> None:
        self.campaign = campaign
        self.viewer = viewer
        scope = scope_for(viewer)
        self.items = WorkItem.objects.filter(campaign=campaign).filter(scope.q("code"))
        self.checks = RecheckItem.objects.filter(
            draw__campaign=campaign, state=RecheckItem.State.DONE
        ).filter(scope.q("visit__item__code"))
        self._communities: tuple[dict[str, Counts], dict[str, list[tuple[int, int]]]] | None = None

    # ------------------------------------------------------------ the community table

    def _by_community(self) -> tuple[dict[str, Counts], dict[str, list[tuple[int, int]]]]:
        """Counts per community, read once per page: every area of division size is a sum of them.

        A station, a township or the campaign is then one pass over a few hundred rows
        instead of a query over the whole work list each.
        """
        if self._communities is None:
            counts: dict[str, Counts] = defaultdict(lambda: defaultdict(int))
            for row in self.items.values("area_code", "state", "outcome").annotate(n=Count("pk")):
                counts[row["area_code"]][(row["state"], row["outcome"])] += row["n"]
            checks: dict[str, list[tuple[int, int]]] = defaultdict(list)
            for area, checked, confirmed in self.checks.values_list(
                "visit__item__area_code", "fields_checked", "fields_confirmed"
            ):
                checks[area].append((checked, confirmed))
            self._communities = (counts, checks)
        return self._communities

    def _summed(self, prefixes: list[str] | None) -> Rates | None:
        """Rates over the communities under ``prefixes`` (all with None); None when a prefix
        is finer than a community (an address code), which needs its own query."""
        if prefixes is not None and any(len(p) > 12 or "-" in p for p in prefixes):
            return None
        counts, checks = self._by_community()
        total: Counts = defaultdict(int)
        done: list[tuple[int, int]] = []
        for area, by_state in counts.items():
            if prefixes is None or any(area.startswith(p) for p in prefixes):
                for state, n in by_state.items():
                    total[state] += n
        for area, pairs in checks.items():
            if prefixes is None or any(area.startswith(p) for p in prefixes):
                done.extend(pairs)
        return _rates_from(total, done)

    def _prefixes(self, key: str) -> list[str] | None:
        if key.startswith("j:"):
            place = Jurisdiction.objects.filter(pk=int(key[2:])).first()
            return place.all_prefixes() if place is not None else []
        if key.startswith("c:"):
            return [key[2:]]
        return None

    # ------------------------------------------------------------ one node

    def _filters(self, key: str) -> tuple[Q, Q, str]:
        """Filters on work items and on re-checks for a node, and its label."""
        if key.startswith("j:"):
            place = Jurisdiction.objects.filter(pk=int(key[2:])).first()
            if place is None:
                return Q(pk__in=[]), Q(pk__in=[]), "—"
            prefixes = place.all_prefixes()
            return _prefixes_q("code", prefixes), _prefixes_q("visit__item__code", prefixes), place.name
        if key.startswith("c:"):
            code = key[2:]
            return prefix_q("code", code), prefix_q("visit__item__code", code), _code_label(code)
        if key.startswith("u:"):
            _, user_pk, above = key.split(":", 2)
            if above.startswith("u:"):
                return Q(pk__in=[]), Q(pk__in=[]), "—"
            items_q, checks_q, _ = self._filters(above)
            user = get_user_model().objects.filter(pk=int(user_pk)).first()
            name = user.get_username() if user else "—"
            return (
                items_q & Q(assignee_id=int(user_pk)),
                checks_q & Q(visit__collector_id=int(user_pk)),
                name,
            )
        return Q(), Q(), self.campaign.name

    def node(self, key: str = "") -> Node:
        items_q, checks_q, label = self._filters(key)
        if not key.startswith("u:"):
            summed = self._summed(self._prefixes(key))
            if summed is not None:
                return Node(key, label, summed)
        return Node(
            key, label, self._rates(self.items.filter(items_q), self.checks.filter(checks_q)), key[:2] == "u:"
        )

    def _rates(self, items: QuerySet[WorkItem], checks: QuerySet[RecheckItem]) -> Rates:
        counts: dict[tuple[str, str], int] = defaultdict(int)
        for row in items.values("state", "outcome").annotate(n=Count("pk")):
            counts[(row["state"], row["outcome"])] += row["n"]
        return _rates_from(counts, list(checks.values_list("fields_checked", "fields_confirmed")))

    # ------------------------------------------------------------ children

    def children(self, key: str = "") -> list[Node]:
        if key.startswith("u:"):
            return []
        items_q, checks_q, _ = self._filters(key)
        if key == "":
            stations = self._stations()
            if stations:
                return self._nonempty([self.node(f"j:{s.pk}") for s in stations])
            return self._by_length(items_q, checks_q, 9, None)
        if key.startswith("j:"):
            kids = Jurisdiction.objects.filter(parent_id=int(key[2:])).order_by("name")
            if kids:
                return self._nonempty([self.node(f"j:{k.pk}") for k in kids])
            place = Jurisdiction.objects.filter(pk=int(key[2:])).first()
            if place is not None and place.kind != Jurisdiction.Kind.GRID:
                # no tree drawn below: its communities
                return self._by_length(items_q, checks_q, 12, self._prefixes(key))
            return self._collectors(items_q, checks_q, key)
        code = key[2:]
        if len(code) < 9:
            return self._by_length(items_q, checks_q, 9, [code])
        if len(code) < 12:
            return self._by_length(items_q, checks_q, 12, [code])
        return self._collectors(items_q, checks_q, key)

    def _stations(self) -> list[Jurisdiction]:
        """Stations over the campaign's area, one per territory.

        Two station records over the same territory (one drawn with its policing
        areas, one made just to hold an account) are one place on the dashboard:
        the one with the tree below it is kept.
        """
        area = self.campaign.area_codes
        parents = set(Jurisdiction.objects.filter(parent__isnull=False).values_list("parent_id", flat=True))
        kept: dict[tuple[str, ...], Jurisdiction] = {}
        stations = Jurisdiction.objects.filter(kind=Jurisdiction.Kind.STATION)
        for station in sorted(stations, key=lambda s: (s.pk not in parents, s.name)):
            prefixes = tuple(station.all_prefixes())
            if not any(p.startswith(a) or a.startswith(p) for p in prefixes for a in area):
                continue
            kept.setdefault(prefixes, station)
        return sorted(kept.values(), key=lambda s: s.name)

    def _by_length(
        self, items_q: Q, checks_q: Q, length: int, prefixes: list[str] | None = None
    ) -> list[Node]:
        if prefixes is None or not any(len(p) > 12 or "-" in p for p in prefixes):
            return self._from_communities(length, prefixes)
        groups: dict[str, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
        rows = (
            self.items.filter(items_q)
            .annotate(part=Substr("code", 1, length))
            .values("part", "state", "outcome")
            .annotate(n=Count("pk"))
        )
        for row in rows:
            groups[row["part"]][(row["state"], row["outcome"])] += row["n"]
        checks: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for code, checked, confirmed in (
            self.checks.filter(checks_q)
            .annotate(part=Substr("visit__item__code", 1, length))
            .values_list("part", "fields_checked", "fields_confirmed")
        ):
            checks[code].append((checked, confirmed))
        names = dict(Division.objects.filter(code__in=list(groups)).values_list("code", "name"))
        return [
            Node(f"c:{code}", names.get(code, code), _rates_from(groups[code], checks.get(code, [])))
            for code in sorted(groups)
        ]

    def _from_communities(self, length: int, prefixes: list[str] | None) -> list[Node]:
        """Areas of ``length`` digits (townships 9, communities 12) summed from the community table."""
        counts, checks = self._by_community()
        groups: dict[str, Counts] = defaultdict(lambda: defaultdict(int))
        done: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for area, by_state in counts.items():
            if prefixes is None or any(area.startswith(p) for p in prefixes):
                for state, n in by_state.items():
                    groups[area[:length]][state] += n
        for area, pairs in checks.items():
            if prefixes is None or any(area.startswith(p) for p in prefixes):
                done[area[:length]].extend(pairs)
        names = dict(Division.objects.filter(code__in=list(groups)).values_list("code", "name"))
        return [
            Node(f"c:{code}", names.get(code, code), _rates_from(groups[code], done.get(code, [])))
            for code in sorted(groups)
        ]

    def _collectors(self, items_q: Q, checks_q: Q, parent: str) -> list[Node]:
        groups: dict[int | None, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
        for row in self.items.filter(items_q).values("assignee", "state", "outcome").annotate(n=Count("pk")):
            groups[row["assignee"]][(row["state"], row["outcome"])] += row["n"]
        users = dict(
            get_user_model().objects.filter(pk__in=[k for k in groups if k]).values_list("pk", "username")
        )
        out = []
        for pk in sorted(groups, key=lambda k: (k is None, users.get(k or 0, ""))):
            checks = list(
                self.checks.filter(checks_q, visit__collector_id=pk).values_list(
                    "fields_checked", "fields_confirmed"
                )
            )
            label = users.get(pk, "未分配") if pk else "未分配"
            key = f"u:{pk}:{parent}" if pk else ""
            out.append(Node(key, str(label), _rates_from(groups[pk], checks), leaf=True))
        return out

    @staticmethod
    def _nonempty(nodes: list[Node]) -> list[Node]:
        return [n for n in nodes if n.rates.expected or n.rates.left_roster]

    # ------------------------------------------------------------ trend and laggards

    def trend(self, key: str = "") -> list[dict[str, Any]]:
        """Per day: addresses newly counted as collected, and the cumulative collection rate."""
        items_q, _, _ = self._filters(key)
        base = self.items.filter(items_q)
        expected = self._rates(base, self.checks.none()).expected
        per_day = (
            base.filter(state=WorkItem.State.DONE, outcome__in=COUNTS_AS_COLLECTED, done_on__isnull=False)
            .values("done_on")
            .annotate(n=Count("pk"))
            .order_by("done_on")
        )
        out, total = [], 0
        for row in per_day:
            total += row["n"]
            out.append(
                {
                    "day": row["done_on"].isoformat()
                    if isinstance(row["done_on"], date)
                    else str(row["done_on"]),
                    "collected": row["n"],
                    "rate": round(total / expected, 4) if expected else None,
                }
            )
        return out

    def furthest_behind(self, limit: int = 5) -> list[Node]:
        """The communities with the lowest collection rate."""
        nodes = self._from_communities(12, None)
        return sorted(nodes, key=lambda n: (n.rates.collection_rate or 0, -n.rates.expected))[:limit]


def _code_label(code: str) -> str:
    name = Division.objects.filter(code=code).values_list("name", flat=True).first()
    return str(name or code)
