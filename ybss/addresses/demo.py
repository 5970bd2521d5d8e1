"""A synthetic but realistic address base for a county, from a seed.

The demo county is 涿鹿县 (130731); any other county of the NBS tables can be built
the same way (``ybss demo --county``), which is how multi-county deployments are
tried and benchmarked. Road, compound and building names are invented; divisions
are the real NBS ones. Everything is written through the same actions as the pages, so the
demo also exercises them. The same seed and scale give the same base.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection

from ybss.divisions.models import Division, Level

from . import actions
from .models import AddressNode, Kind, Road

DEMO_COUNTY = "130731"
SMALL_DWELLINGS = 3000
COUNTY_DWELLINGS = 120_000

ROAD_STEMS = [
    "轩辕",
    "涿鹿",
    "迎宾",
    "建设",
    "文化",
    "府前",
    "东风",
    "新华",
    "永安",
    "和平",
    "胜利",
    "解放",
    "人民",
    "振兴",
    "桑干",
    "黄帝",
    "蚩尤",
    "合符",
    "鼓楼",
    "滨河",
    "开发",
    "工业",
    "育才",
    "光明",
]
# Stems that only make sense in 涿鹿县; another county's roads take its own name instead.
LOCAL_STEMS = frozenset({"轩辕", "涿鹿", "桑干", "黄帝", "蚩尤", "合符", "鼓楼"})
ROAD_KINDS = ["路", "大街", "街", "巷", "胡同"]
COMPOUND_STEMS = [
    "阳光",
    "锦绣",
    "幸福",
    "和谐",
    "金色",
    "翠苑",
    "华府",
    "名都",
    "康乐",
    "泰和",
    "丽景",
    "书香",
    "御景",
    "龙城",
    "盛世",
    "景苑",
    "怡园",
    "瑞祥",
    "东方",
    "新城",
]
COMPOUND_KINDS = ["小区", "家园", "花园", "新村", "公寓", "嘉园"]


@dataclass
class DemoReport:
    roads: int = 0
    nodes: int = 0
    dwellings: int = 0


def road_stems(county: Division) -> list[str]:
    if county.code == DEMO_COUNTY:
        return ROAD_STEMS
    own = county.short_name.removesuffix("自治县").removesuffix("县").removesuffix("区").removesuffix("市")
    return [s for s in ROAD_STEMS if s not in LOCAL_STEMS] + ([own] if len(own) >= 2 else [])


def build_demo(
    seed: int = 2023,
    dwellings: int = SMALL_DWELLINGS,
    progress: Callable[[str], None] | None = None,
    *,
    county_code: str = DEMO_COUNTY,
) -> DemoReport:
    """About ``dwellings`` dwellings (rooms and village houses) in ``county_code``.

    The demo county keeps the plain seed, so its base is the same as it always was;
    another county mixes its code into the seed, so that ten counties are not ten copies.
    """
    rng = random.Random(seed if county_code == DEMO_COUNTY else f"{seed}-{county_code}")
    report = DemoReport()
    county = Division.objects.get(code=county_code)
    stems_of_county = road_stems(county)
    townships = list(Division.objects.filter(parent=county).order_by("code"))
    communities = {
        t.code: list(Division.objects.filter(parent=t, level=Level.COMMUNITY).order_by("code"))
        for t in townships
    }
    roads: dict[str, list[Road]] = {}
    for t in townships:
        stems = rng.sample(stems_of_county, k=rng.randint(3, 6))
        roads[t.code] = []
        for stem in stems:
            road = actions.create_road(None, t, stem + rng.choice(ROAD_KINDS))
            roads[t.code].append(road)
            report.roads += 1
    # Round-robin over townships so that even a small demo touches all of them.
    queue: list[Division] = []
    depth = max(len(c) for c in communities.values())
    for i in range(depth):
        queue.extend(c[i] for c in communities.values() if i < len(c))
    # A full county needs more than one visit per community: keep going round
    # until the target is reached (or a round adds nothing at all).
    next_analyze = ANALYZE_FIRST
    while report.dwellings < dwellings:
        before = report.dwellings
        for community in queue:
            if report.dwellings >= dwellings:
                break
            is_urban = community.name.endswith(("社区居民委员会", "社区居委会", "居民委员会"))
            if is_urban:
                _urban(rng, community, roads[community.code[:9]], report)
            else:
                _village(rng, community, report)
            if report.nodes >= next_analyze:
                _refresh_statistics()
                next_analyze *= 4
            if progress:
                progress(f"{community.short_name}：累计 {report.dwellings} 户")
        if report.dwellings == before:
            break
    return report


# The base is built in one transaction, where autovacuum (if it runs at all) never sees the
# new rows: the planner keeps the table's old statistics and, for the second county of a
# database, chose a full index scan for every "rooms already under these units" check.
# ANALYZE inside the transaction counts its own rows; at 5,000, 20,000, 80,000 … nodes.
ANALYZE_FIRST = 5000


def _refresh_statistics() -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:
        cur.execute(f"ANALYZE {connection.ops.quote_name(AddressNode._meta.db_table)}")


def _urban(rng: random.Random, community: Division, roads: list[Road], report: DemoReport) -> None:
    used: set[str] = set()
    for road in rng.sample(roads, k=min(len(roads), 2)):
        for _ in range(rng.randint(2, 4)):
            number = str(rng.randint(1, 300))
            if (road.pk, number) in used or AddressNode.objects.filter(road=road, norm_key=number).exists():
                continue
            used.add((road.pk, number))  # type: ignore[arg-type]
            plate = actions.create_node(None, Kind.DOORPLATE, number, division=community, road=road)
            name = rng.choice(COMPOUND_STEMS) + rng.choice(COMPOUND_KINDS)
            if AddressNode.objects.filter(sibling_scope=f"N{plate.pk}", norm_key=name).exists():
                continue
            compound = actions.create_node(None, Kind.COMPOUND, name, parent=plate)
            buildings = actions.batch_create_children(
                None, compound, Kind.BUILDING, [str(b) for b in range(1, rng.randint(3, 10))]
            )
            report.nodes += 2 + len(buildings)
            for building in buildings:
                pattern = actions.RoomPattern(
                    floors=rng.choice([5, 6, 6, 7, 11, 18]), units=rng.randint(1, 3), rooms_per_floor=2
                )
                rooms = actions.batch_create_rooms(None, building, pattern)
                report.nodes += len(rooms) + pattern.units
                report.dwellings += len(rooms)


def _village(rng: random.Random, village: Division, report: DemoReport) -> None:
    first = AddressNode.objects.filter(division=village, kind=Kind.GROUP).count() + 1
    groups = [
        actions.create_node(None, Kind.GROUP, str(g), division=village)
        for g in range(first, first + rng.randint(2, 8))
    ]
    report.nodes += len(groups)
    for group in groups:
        plates = actions.batch_create_children(
            None, group, Kind.DOORPLATE, [str(n) for n in range(1, rng.randint(12, 45))]
        )
        report.nodes += len(plates)
        report.dwellings += len(plates)
