"""Benchmark the division load and address listing/search on a large base.

    .venv/bin/python bench/addresses.py                 # SQLite and PostgreSQL, 1,000,000 rooms
    .venv/bin/python bench/addresses.py --db sqlite --rooms 200000

For each database it reports:
- the time to load the whole country's divisions (665k rows) into an empty database;
- median and p95 latency of prefix-scoped listing and search, a page of 50 with its total
  count, on a base of --rooms rooms, next to a baseline measured in the same run: the same
  page fetched by primary-key range, the cheapest page a database can serve.
Target (issue "Foundation"): p95 under 50 ms for a page of 50.

The rooms are written straight into the tables (not through the actions) so that building
a million-row base takes a minute, not an hour; the actions' own cost is not measured here.
PostgreSQL is reached at $BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/ybss_bench).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import timing

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/ybss_bench")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "pg", "both"], default="both")
    parser.add_argument("--rooms", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200, help="queries per measurement")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        run_worker(args.worker, args.rooms, args.queries)
        return
    targets = ["sqlite", "pg"] if args.db == "both" else [args.db]
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; rooms: {args.rooms:,}")
    for target in targets:
        if target == "sqlite":
            tmp = tempfile.mkdtemp(prefix="ybss-bench-")
            url = f"sqlite:///{tmp}/bench.sqlite3"
        else:
            reset_pg()
            url = PG_URL
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "YBSS_ENV_FILE": "/nonexistent"}
        cmd = [
            sys.executable,
            __file__,
            "--worker",
            target,
            "--rooms",
            str(args.rooms),
            "--queries",
            str(args.queries),
        ]
        subprocess.run(cmd, env=env, check=True, cwd=ROOT)  # noqa: S603 - our own script


def reset_pg() -> None:
    import psycopg

    base, _, name = PG_URL.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def run_worker(target: str, rooms: int, queries: int) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ybss.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from ybss.divisions.loading import load_divisions

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    report = load_divisions(None)
    load_seconds = time.perf_counter() - started
    print(
        f"\n[{target}] whole-country division load: {report.created:,} rows in {load_seconds:.1f} s"
        " (target < 60 s)"
    )

    started = time.perf_counter()
    communities = build_base(rooms)
    print(f"[{target}] built a base of {rooms:,} rooms in {time.perf_counter() - started:.1f} s")
    measure(target, communities, queries)


def build_base(rooms: int) -> list[str]:
    from django.db import connection, transaction

    from ybss.addresses.actions import _segment
    from ybss.addresses.models import AddressNode
    from ybss.divisions.models import Division

    rng = random.Random(7)
    communities = list(Division.objects.within("130731").filter(level=5).values_list("code", "name"))
    per_building = 2 * 6 * 2  # 2 units x 6 floors x 2 rooms
    buildings_needed = max(1, rooms // per_building)
    per_community = max(1, buildings_needed // len(communities) // 4 + 1)
    table = AddressNode._meta.db_table
    cols = (
        "(kind, division_id, parent_id, code, depth, name, norm_key, sibling_scope, full_text, search_text,"
        " status, created_at, updated_at)"
    )
    made = 0
    next_id = 1
    rows: list[tuple[Any, ...]] = []
    now = "2026-01-01 00:00:00+00"

    def add(
        kind: str, div: str, parent: int | None, code: str, depth: int, name: str, key: str, full: str
    ) -> int:
        nonlocal next_id
        rows.append(
            (
                kind,
                div,
                parent,
                code,
                depth,
                name,
                key,
                f"N{parent}" if parent else f"D{div}",
                full,
                full.replace(" ", ""),
                "in_use",
                now,
                now,
            )
        )
        next_id += 1
        return next_id - 1

    for code, cname in communities:
        if made >= rooms:
            break
        prefix = f"河北省张家口市涿鹿县{cname[:6]}"
        for p in range(1, 5):
            plate_code = f"{code}-{_segment(p)}"
            plate = add(
                "doorplate", code, None, plate_code, 1, f"{p * 2}号", str(p * 2), f"{prefix} 轩辕路 {p * 2}号"
            )
            compound_name = rng.choice(["阳光", "锦绣", "幸福", "和谐", "金色", "翠苑"]) + "小区"
            comp_code = f"{plate_code}-0001"
            comp = add(
                "compound",
                code,
                plate,
                comp_code,
                2,
                compound_name,
                compound_name,
                f"{prefix} 轩辕路 {p * 2}号 {compound_name}",
            )
            for b in range(1, per_community + 1):
                b_code = f"{comp_code}-{_segment(b)}"
                b_text = f"{prefix} 轩辕路 {p * 2}号 {compound_name} {b}栋"
                bld = add("building", code, comp, b_code, 3, f"{b}栋", str(b), b_text)
                for u in (1, 2):
                    u_code = f"{b_code}-{_segment(u)}"
                    unit = add("unit", code, bld, u_code, 4, f"{u}单元", str(u), f"{b_text} {u}单元")
                    seq = 1
                    for floor in range(1, 7):
                        for r in (1, 2):
                            n = f"{floor}{r:02d}"
                            add(
                                "room",
                                code,
                                unit,
                                f"{u_code}-{_segment(seq)}",
                                5,
                                f"{n}室",
                                n,
                                f"{b_text} {u}单元 {n}室",
                            )
                            seq += 1
                            made += 1
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
            with cur.cursor.copy(f"COPY {table} (id, {cols[1:]} FROM STDIN") as copy:
                for i, row in enumerate(rows, start=1):
                    copy.write_row((i, *row))
            cur.execute(f"ALTER TABLE {table} ENABLE TRIGGER ALL")
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {len(rows) + 1})")
        else:
            placeholders = ", ".join(["%s"] * 14)
            sql = f"INSERT INTO {table} (id, {cols[1:]} VALUES ({placeholders})"
            for start in range(0, len(rows), 10000):
                cur.executemany(
                    sql, [(start + i + 1, *row) for i, row in enumerate(rows[start : start + 10000])]
                )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    print(f"   rows: {len(rows):,} nodes, {made:,} rooms, {len(communities)} communities")
    return [c for c, _ in communities]


def timed(fn: Any, n: int) -> list[float]:
    for _ in range(10):  # warm the caches; the figures are for a running server
        fn()
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def summary(label: str, samples: list[float], baseline: list[float]) -> None:
    med, p95 = timing.median(samples), timing.p95(samples)
    bmed, bp95 = timing.median(baseline), timing.p95(baseline)
    verdict = "met" if p95 < 50 else "NOT met"
    print(
        f"   {label:<44} median {med:7.2f} ms  p95 {p95:7.2f} ms   baseline median {bmed:6.2f} ms "
        f"p95 {bp95:6.2f} ms   target p95<50ms: {verdict}"
    )


def measure(target: str, communities: list[str], n: int) -> None:
    from ybss.addresses.models import AddressNode
    from ybss.core.paging import COUNT_CAP
    from ybss.core.paging import CappedPaginator as Paginator

    rng = random.Random(11)
    total = AddressNode.objects.count()
    used = [c for c in communities if AddressNode.objects.filter(division_id=c).exists()]
    buildings = list(AddressNode.objects.filter(kind="building").values_list("code", flat=True)[:5000])

    def page(qs: Any) -> None:
        p = Paginator(qs.order_by("code"), 50)
        number = rng.randint(1, max(1, min(p.num_pages, 20)))
        list(p.page(number).object_list)

    def baseline() -> None:
        start = rng.randint(1, max(1, total - 50))
        list(AddressNode.objects.filter(pk__gte=start).order_by("pk")[:50])

    base = timed(baseline, n)
    print(
        f"[{target}] latency over {n} queries each, page of 50 with its count"
        f" (capped at {COUNT_CAP + 1}, as the pages do):"
    )
    summary(
        "list: rooms of one community (prefix)",
        timed(lambda: page(AddressNode.objects.in_use().within(rng.choice(used)).filter(kind="room")), n),
        base,
    )
    summary(
        "list: everything in one building (prefix)",
        timed(lambda: page(AddressNode.objects.in_use().within(rng.choice(buildings))), n),
        base,
    )
    summary(
        "search: '小区 N栋 502' in one community",
        timed(
            lambda: page(
                AddressNode.objects.in_use()
                .within(rng.choice(used))
                .search(f"小区 {rng.randint(1, 9)}栋 502")
            ),
            n,
        ),
        base,
    )
    summary(
        "search: '阳光小区 3栋 2单元' in the whole county",
        timed(
            lambda: page(AddressNode.objects.in_use().within("130731").search("阳光小区 3栋 2单元")),
            max(20, n // 5),
        ),
        base,
    )


if __name__ == "__main__":
    main()
