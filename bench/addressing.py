"""Throughput of the address engine on generated, realistic addresses.

    .venv/bin/python bench/addressing.py [-n 20000] [--region 13] [--no-national]

Prints gazetteer build times, then addresses per second for normalize()
(the baseline: character folding and numerals only) and for parse() and
canonical_key() on the same inputs, all measured in this run.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ybss.addressing import Gazetteer, canonical_key, match, normalize, parse
from ybss.lib import cn_numerals

ROADS = [
    "轩辕路",
    "人民路",
    "解放路",
    "建设大街",
    "文化路",
    "中山北路",
    "新华街",
    "胜利路",
    "和平巷",
    "长安大道",
]
POIS = ["阳光小区", "幸福家园", "金色华府", "东部软件园", "锦绣花园", "翠苑新村", "桂花城", "世纪广场"]
CN = "〇一二三四五六七八九"


def _cn(n: int, positional: bool = False) -> str:
    if positional:
        return "".join(CN[int(d)] for d in str(n))
    if n < 10:
        return CN[n]
    if n < 20:
        return "十" + (CN[n % 10] if n % 10 else "")
    if n < 100:
        return CN[n // 10] + "十" + (CN[n % 10] if n % 10 else "")
    return str(n)


def _full_width(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in s)


def generate(gz: Gazetteer, region: str, n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    counties = [c for c in gz.children(region[:4])] if len(region) >= 4 else []
    if not counties:
        counties = [c for city in gz.children(region[:2]) for c in gz.children(city)]
    towns = [t for c in counties for t in gz.children(c)]
    villages = [v for t in rng.sample(towns, min(len(towns), 200)) for v in gz.children(t)]
    out: list[str] = []
    for i in range(n):
        style = i % 4
        road = rng.choice(ROADS)
        no = rng.randint(1, 300)
        b, u, r = rng.randint(1, 30), rng.randint(1, 6), rng.randint(1, 30) * 100 + rng.randint(1, 4)
        if style == 0:  # town, road, compound, building/unit/room in Chinese numerals
            town = rng.choice(towns)
            county = town[:6]
            text = (
                f"{gz.short_name(county)}{gz.short_name(town)}{road}{_cn(no)}号"
                f"{rng.choice(POIS)}{_cn(b)}栋{_cn(u)}单元{_cn(r, positional=True)}室"
            )
        elif style == 1:  # village and group house number
            village = rng.choice(villages)
            text = f"{gz.short_name(village[:9])}{gz.short_name(village)}{rng.randint(1, 12)}组{no}号"
        elif style == 2:  # full path, full-width digits, 号楼
            town = rng.choice(towns)
            path = "".join(name for _, name in gz.path(town))
            text = _full_width(f"{path}{road}{no}号{rng.choice(POIS)}{b}号楼{u}单元{r}")
        else:  # compact, no division
            text = f"{road}{no}号{rng.choice(POIS)}{b}-{u}-{r}"
        out.append(text)
    return out


def rate(label: str, fn: object, items: list[str]) -> float:
    assert callable(fn)
    started = time.perf_counter()
    for text in items:
        fn(text)
    elapsed = time.perf_counter() - started
    per_s = len(items) / elapsed
    print(f"  {label:<34} {per_s:>10,.0f} addresses/s  ({elapsed:.2f} s for {len(items):,})")
    return per_s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=20_000, help="number of addresses")
    ap.add_argument("--region", default="13", help="code prefix of the deployment region")
    ap.add_argument("--no-national", action="store_true", help="skip building the national gazetteer")
    args = ap.parse_args()

    print("gazetteer build")
    started = time.perf_counter()
    gz = Gazetteer(args.region)
    rows = len(gz)
    print(f"  region {args.region:<27} {time.perf_counter() - started:>10.2f} s  ({rows:,} divisions)")
    if not args.no_national:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        national = Gazetteer()
        rows = len(national)
        peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        took = time.perf_counter() - started
        print(f"  national{'':<26} {took:>10.2f} s  ({rows:,} divisions, +{peak:.0f} MB peak)")
        del national

    items = generate(gz, args.region, args.n)
    print(f"\nthroughput on {len(items):,} generated addresses, e.g. {items[0]}")
    base = rate("baseline: cn_numerals.to_int", lambda t: cn_numerals.to_int("二百零一"), items)
    norm = rate("baseline: normalize()", normalize, items)
    parsed = rate("parse(region)", lambda t: parse(t, args.region, gazetteer=gz), items)
    rate("parse + canonical_key", lambda t: canonical_key(parse(t, args.region, gazetteer=gz)), items)
    cands = [
        (i, None, {"road": r, "road_no": str(i), "poi": p})
        for i, (r, p) in enumerate(zip(ROADS, POIS * 2, strict=False))
    ]
    sample = [parse(t, args.region, gazetteer=gz) for t in items[:2000]]
    started = time.perf_counter()
    for p in sample:
        match(p, cands)
    elapsed = time.perf_counter() - started
    print(f"  {'match (10 candidates)':<34} {len(sample) / elapsed:>10,.0f} addresses/s")
    print(f"\nparse() runs at {parsed / norm:.0%} of normalize() speed (trivial call: {base:,.0f}/s)")
    unresolved = sum(1 for p in sample if p.division_code is None)
    print(f"division resolved for {1 - unresolved / len(sample):.1%} of the first {len(sample):,} addresses")


if __name__ == "__main__":
    main()
