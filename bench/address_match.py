"""Matching messy addresses against a base of a million rooms.

    .venv/bin/python bench/address_match.py [--rooms 1000000] [--queries 100000] [--region 33]

The base is built in memory (no database): real communities of the region
(NBS codes), invented roads and compounds, buildings with units and rooms
numbered floor × 100 + n, n running on across the units of a building (so
that 502 names one flat of a building, as in most newer buildings). A tenth
of the compounds are single-building towers. Door plate and compound are
unique together, as they are in one county's base.

The queries are messy spellings of rooms drawn from the base, each with its
known answer: divisions dropped or shortened, 号楼/幢/#/座, Chinese and
full-width numerals, traditional characters, a one-character typo in the
road or compound name, the compound under another generic word (阳光花园 or
阳光 for 阳光小区), the road or door plate left out, compact 3-2-502
forms, the unit left out (room written without its unit), the building
left out (single-building compounds only: elsewhere it is not decidable).

Reported: index build time and memory, parse rate, search rate on parsed
addresses, end-to-end rate, and top-1 accuracy (the best result is the
known room), overall and per kind of mess. A baseline in the same run: exact
lookup on the normalized key (canonical_key) of the clean spelling.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ybss.addressing import Candidate, Gazetteer, ParsedAddress, canonical_key, parse
from ybss.addressing.index import AddressIndex

ROAD_STEMS = [
    "人民", "解放", "建设", "文化", "中山", "新华", "胜利", "和平", "长安", "幸福",
    "光明", "迎宾", "滨江", "环城", "学府", "金桥", "青年", "东风", "育才", "振兴",
]  # fmt: skip
POI_STEMS = [
    "阳光", "幸福", "金色", "锦绣", "翠苑", "桂花", "碧水", "江南", "世纪", "绿城",
    "龙湖", "御景", "香樟", "紫荆", "书香", "怡景", "兰亭", "明珠", "丽都", "星河",
]  # fmt: skip
POI_SUFFIXES = ["小区", "花园", "家园", "新村", "公寓", "名苑", "山庄", "华府", "大厦", "苑"]
TRAD = str.maketrans("区县镇乡号楼栋单门园阳华东长龙书丽兰", "區縣鎮鄉號樓棟單門園陽華東長龍書麗蘭")
TYPO = {
    "阳": "杨",
    "华": "化",
    "园": "圆",
    "苑": "院",
    "景": "井",
    "湖": "胡",
    "江": "将",
    "桥": "侨",
    "金": "今",
    "明": "名",
}
CN = "〇一二三四五六七八九"

Room = tuple[int, str, str, str, str, int, int, int]  # id, division, road, road_no, poi, building, unit, room


def cn(n: int) -> str:
    if n < 10:
        return CN[n]
    if n < 20:
        return "十" + (CN[n % 10] if n % 10 else "")
    if n < 100:
        return CN[n // 10] + "十" + (CN[n % 10] if n % 10 else "")
    return "".join(CN[int(d)] for d in str(n))


def build_base(gz: Gazetteer, region: str, rooms: int, rng: random.Random) -> tuple[list[Room], set[str]]:
    communities = [
        v for c in gz.children(region) for d in gz.children(c) for t in gz.children(d) for v in gz.children(t)
    ]
    communities = [c for c in communities if (gz.short_name(c) or "").endswith("社区")]
    rng.shuffle(communities)
    out: list[Room] = []
    single: set[str] = set()
    used: set[tuple[str, str, str]] = set()
    ident = 0
    i = 0
    while len(out) < rooms:
        community = communities[i % len(communities)]
        i += 1
        road = rng.choice(ROAD_STEMS) + rng.choice(("路", "大街", "街", "大道"))
        no = str(rng.randint(1, 500))
        poi = rng.choice(POI_STEMS) + rng.choice(POI_SUFFIXES)
        if (road, no, poi) in used:
            continue
        used.add((road, no, poi))
        if rng.random() < 0.1:
            buildings, units, floors, per = 1, 4, 30, 2
            single.add(poi + "|" + road + no)
        else:
            buildings, units, floors, per = rng.randint(8, 30), 2, rng.randint(6, 18), 2
        for b in range(1, buildings + 1):
            for floor in range(1, floors + 1):
                for u in range(1, units + 1):
                    for k in range(1, per + 1):
                        ident += 1
                        out.append((ident, community, road, no, poi, b, u, floor * 100 + (u - 1) * per + k))
    return out[:rooms], single


def messy(gz: Gazetteer, room: Room, single: set[str], rng: random.Random) -> tuple[str, str, str]:
    """A messy spelling of ``room``, its clean spelling, and the kind of mess."""
    _, community, road, no, poi, b, u, r = room
    path = [name for _, name in gz.path(community)]
    clean = "".join(path) + f"{road}{no}号{poi}{b}栋{u}单元{r}室"
    kind = rng.choice(
        ("clean", "levels", "words", "numerals", "fullwidth", "traditional", "typo", "no_road", "compact",
         "no_unit", "no_building", "spaces", "alias")
    )  # fmt: skip
    if kind == "no_building" and poi + "|" + road + no not in single:
        kind = "no_unit"
    div = "".join(path[2:]) if rng.random() < 0.5 else "".join(path[1:4])
    bld, unit, rm = f"{b}栋", f"{u}单元", f"{r}室"
    rd, pn = f"{road}{no}号", poi
    if kind == "levels":
        div = rng.choice(("".join(path[2:4]), path[-1], path[-2] + path[-1], ""))
    elif kind == "words":
        bld = f"{b}{rng.choice(('号楼', '幢', '#', '座'))}"
        unit = f"{u}{rng.choice(('门', '梯', '单元'))}"
        rm = f"{r}{rng.choice(('', '户', '房'))}"
    elif kind == "numerals":
        bld, unit, rm = f"{cn(b)}栋", f"{cn(u)}单元", cn(r)
        rd = f"{road}{cn(int(no)) if int(no) < 100 else no}号"
    elif kind == "fullwidth":
        fw = str.maketrans("0123456789", "０１２３４５６７８９")
        bld, unit, rm, rd = bld.translate(fw), unit.translate(fw), rm.translate(fw), rd.translate(fw)
    elif kind == "traditional":
        div, rd, pn, bld, unit = (x.translate(TRAD) for x in (div, rd, pn, bld, unit))
    elif kind == "typo":
        name = pn if rng.random() < 0.5 else road
        spots = [i for i, ch in enumerate(name) if ch in TYPO]
        if spots:
            j = rng.choice(spots)
            wrong = name[:j] + TYPO[name[j]] + name[j + 1 :]
            if name == pn:
                pn = wrong
            else:
                rd = wrong + f"{no}号"
    elif kind == "alias":  # 阳光小区 written 阳光花园 or 阳光: another generic word, or none
        stem = next((poi[: -len(x)] for x in POI_SUFFIXES if poi.endswith(x) and len(poi) > len(x) + 1), poi)
        pn = stem + rng.choice([x for x in ("", "小区", "花园", "家园", "苑") if stem + x != poi])
        div = "".join(path[2:])
    elif kind == "no_road":
        rd = ""
    elif kind == "compact":
        bld, unit, rm = f"{b}-{u}-{r}", "", ""
    elif kind == "no_unit":
        unit = ""
    elif kind == "no_building":
        bld = ""
    elif kind == "spaces":
        return " ".join((div, rd, pn, bld + unit + rm)), clean, kind
    return div + rd + pn + bld + unit + rm, clean, kind


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rooms", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=100_000)
    ap.add_argument("--region", default="33")
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    rng = random.Random(args.seed)

    started = time.perf_counter()
    gz = Gazetteer(args.region)
    len(gz)
    print(f"gazetteer {args.region}: {time.perf_counter() - started:.2f} s")
    base, single = build_base(gz, args.region, args.rooms, rng)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    index = AddressIndex()
    for ident, community, road, no, poi, b, u, r in base:
        index.add(
            Candidate(
                ident,
                community,
                {"road": road, "road_no": no, "poi": poi, "building": str(b), "unit": str(u), "room": str(r)},
            )
        )
    took = time.perf_counter() - started
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    print(f"index of {len(index):,} rooms: {took:.1f} s, +{grown:.0f} MB peak")

    picks = [base[rng.randrange(len(base))] for _ in range(args.queries)]
    queries = [messy(gz, room, single, rng) for room in picks]

    started = time.perf_counter()
    parsed: list[ParsedAddress] = [parse(text, gazetteer=gz, region=args.region) for text, _, _ in queries]
    parse_s = time.perf_counter() - started

    started = time.perf_counter()
    results = [index.search(p, limit=5) for p in parsed]
    search_s = time.perf_counter() - started

    # Baseline: exact lookup on the normalized key, clean spellings only.
    keys: dict[str, int] = {}
    started = time.perf_counter()
    for ident, community, road, no, poi, b, u, r in base[: min(len(base), 200_000)]:
        text = f"{road}{no}号{poi}{b}栋{u}单元{r}室"
        keys[canonical_key(parse(text, gazetteer=gz, region=args.region)).split("|", 1)[1] + community] = (
            ident
        )
    key_build = time.perf_counter() - started
    exact_hits = 0
    for (text, _, _), room in zip(queries, picks, strict=True):
        p = parse(text, gazetteer=gz, region=args.region)
        parts = canonical_key(p).split("|", 1)
        if len(parts) == 2 and keys.get(parts[1] + room[1]) == room[0]:
            exact_hits += 1

    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    confident = 0
    for (_, _, kind), room, res in zip(queries, picks, results, strict=True):
        total[kind] += 1
        if res and res[0].candidate_id == room[0]:
            right[kind] += 1
            confident += res[0].status == "confident"
    n = len(queries)
    top1 = sum(right.values()) / n
    print(f"\n{n:,} messy queries, e.g. {queries[0][0]}  ←  {queries[0][1]}")
    print(f"  parse            {n / parse_s:>9,.0f} addresses/s")
    print(f"  search (parsed)  {n / search_s:>9,.0f} matches/s")
    print(f"  end to end       {n / (parse_s + search_s):>9,.0f} matches/s")
    print(f"  top-1 accuracy   {top1:>9.2%}   (confident and right: {confident / n:.2%})")
    for kind in sorted(total):
        print(f"    {kind:<12} {right[kind] / total[kind]:>7.2%}  of {total[kind]:,}")
    print(
        f"  baseline: exact key lookup (base keys for {len(keys):,} rooms built in {key_build:.1f} s) "
        f"finds {exact_hits / n:.2%} (upper bound {min(1.0, len(keys) / len(base)):.0%} of the base keyed)"
    )
    print(
        f"targets: top-1 ≥ 98% ({'met' if top1 >= 0.98 else 'NOT met'}); "
        f"≥ 5,000 matches/s ({'met' if n / search_s >= 5000 else 'NOT met'} on parsed addresses, "
        f"{'met' if n / (parse_s + search_s) >= 5000 else 'NOT met'} end to end)"
    )


if __name__ == "__main__":
    main()
