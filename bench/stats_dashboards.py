"""Benchmark the statistics dashboards on PostgreSQL with the full-scale demo county, or ten.

Run it as ``bench/statistics.py`` (or as this file; ``bench/statistics.py`` explains why the
code lives here).

    .venv/bin/python bench/statistics.py                       # 涿鹿县, 350,000 people
    .venv/bin/python bench/statistics.py --counties 10         # ten counties of 张家口市, 3,500,000
    .venv/bin/python bench/statistics.py --people 50000        # quicker

In a fresh database it builds the demo county and, with ``--counties N``, N-1 more counties
of 张家口市 at the same scale (the same code as ``ybss demo --county``), runs
``ybss stats refresh`` and reports:
- how long the refresh takes and how many aggregate rows it writes;
- median and p95 of whole dashboard requests (middleware, scope, figures, drill-down rows,
  template) through Django's test client, as the county supervisor and as a station
  administrator, at county, station and community level, and of the list behind a figure;
- the cost keeping the figures current adds to a write: the figures are refreshed on a
  schedule, so a write runs exactly the code it ran before; the write's median is printed
  for reference.

With several counties it also measures a supervisor who holds all of them (a prefecture's
view: every county's figures added up) and that supervisor's drill-down into one county.

Targets (issue 9): p95 under 300 ms per dashboard view; under 10% added to a write.

PostgreSQL is reached at $BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/ybss_bench_stats,
with ``_<N>c`` appended for N counties, so that the two sizes can be kept side by side).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import timing

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/ybss_bench_stats")
sys.path.insert(0, str(ROOT))
from ybss.demo.region import COUNTIES, PREFECTURE  # noqa: E402  (pure: no Django set up yet)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=350_000, help="people per county")
    parser.add_argument("--counties", type=int, default=1, choices=range(1, len(COUNTIES) + 1), metavar="N")
    parser.add_argument("--requests", type=int, default=100, help="requests per measurement")
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--keep", action="store_true", help="reuse the database if it holds the demo")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        run_worker(args.people, args.requests, args.seed, list(COUNTIES[: args.counties]))
        return
    url = PG_URL if args.counties == 1 else f"{PG_URL}_{args.counties}c"
    from ybss.lib.fieldcrypt import generate_index_key_string, generate_key_string

    print(
        f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; "
        f"counties: {args.counties}; people per county: {args.people:,}; load: {os.getloadavg()}"
    )
    if not args.keep:
        reset_pg(url)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        # Several counties are one prefecture's deployment.
        "YBSS_REGION": COUNTIES[0] if args.counties == 1 else PREFECTURE,
        "SECRET_KEY": "bench",
        "YBSS_ENV_FILE": "/nonexistent",
        # The same keys on every run, so --keep can decrypt what an earlier run wrote.
        **_keys(generate_key_string, generate_index_key_string),
    }
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        "--people",
        str(args.people),
        "--requests",
        str(args.requests),
        "--counties",
        str(args.counties),
    ]
    subprocess.run([*cmd, "--seed", str(args.seed)], env=env, check=True, cwd=ROOT)  # noqa: S603


def _keys(field: Any, index: Any) -> dict[str, str]:
    path = ROOT / "var" / "bench-stats-keys.txt"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{field('b1')}\n{index()}\n")
    field_key, index_key = path.read_text().split()
    return {"YBSS_FIELD_KEY": field_key, "YBSS_INDEX_KEY": index_key}


def reset_pg(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def run_worker(people: int, requests: int, seed: int, counties: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ybss.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction

    from ybss.addresses.demo import COUNTY_DWELLINGS, build_demo
    from ybss.demo.population import PEOPLE_PER_DWELLING, build_population, has_population, taken_numbers
    from ybss.divisions.loading import load_divisions
    from ybss.stats.figures import refresh

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    taken: set[str] | None = None
    for code in counties:
        if has_population(code):
            continue
        if taken is None:
            taken = taken_numbers()
        load_divisions(code)
        dwellings = min(COUNTY_DWELLINGS, max(300, round(people / PEOPLE_PER_DWELLING)))
        started = time.perf_counter()
        with transaction.atomic():
            base = build_demo(seed=seed, dwellings=dwellings, county_code=code)
        print(f"{code} address base: {base.dwellings:,} dwellings in {time.perf_counter() - started:.1f} s")
        with transaction.atomic():
            report = build_population(seed=seed, people=people, county=code, taken=taken)
        print(f"{code} people: {report.people:,} in {report.seconds:.1f} s", flush=True)
        # The next county is planned with statistics that know this one (autovacuum may be off).
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    from ybss.people.models import Person

    print(f"people in the database: {Person.objects.count():,}")
    started = time.perf_counter()
    done = refresh()
    print(f"refresh: {done.rows:,} aggregate rows in {time.perf_counter() - started:.2f} s")
    slowest = sorted(done.timings.items(), key=lambda kv: -kv[1])[:5]
    print("   slowest figures: " + ", ".join(f"{k} {v:.2f} s" for k, v in slowest))
    measure(requests, counties)


def _percentiles(samples: list[float]) -> tuple[float, float]:
    return timing.median(samples), timing.p95(samples)


def timed(fn: Any, n: int) -> list[float]:
    for _ in range(5):
        fn()
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def measure(n: int, counties: list[str]) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from ybss.access.models import Jurisdiction, UserAccess
    from ybss.access.roles import Role
    from ybss.addresses.models import AddressNode, Kind
    from ybss.core.errors import ActionError
    from ybss.lib.fieldcrypt import DecryptError
    from ybss.people import actions
    from ybss.people.actions import MoveIn, PersonInput

    def user(name: str, role: str, kind: str, *prefixes: str) -> Client:
        account, _ = get_user_model().objects.get_or_create(username=name)
        places = [
            Jurisdiction.objects.get_or_create(name=f"{name} {p}", kind=kind, defaults={"prefixes": [p]})[0]
            for p in prefixes
        ]
        access, _ = UserAccess.objects.update_or_create(user=account, defaults={"role": role})
        access.jurisdictions.set(places)
        client = Client()
        client.force_login(account)
        return client

    supervisor = user("bench-supervisor", Role.SUPERVISOR, Jurisdiction.Kind.COUNTY_BUREAU, "130731")
    station = user("bench-station", Role.STATION_ADMIN, Jurisdiction.Kind.STATION, "130731100")
    pages = [
        ("supervisor, county, population", supervisor, "/stats/", {}),
        ("supervisor, county, houses", supervisor, "/stats/houses/", {}),
        ("supervisor, county, units", supervisor, "/stats/units/", {}),
        ("supervisor, county, quality", supervisor, "/stats/quality/", {}),
        ("supervisor, township 130731100", supervisor, "/stats/", {"node": "c:130731100"}),
        ("station admin, own station", station, "/stats/", {}),
        ("station admin, community", station, "/stats/", {"node": "c:130731100002"}),
        (
            "list behind 流动人口, community",
            station,
            "/stats/records/",
            {"node": "c:130731100002", "figure": "pop:migrant"},
        ),
        ("monthly report .xlsx, station", station, "/stats/report.xlsx", {}),
    ]
    if len(counties) > 1:
        kind = Jurisdiction.Kind.COUNTY_BUREAU
        city = user("bench-prefecture", Role.SUPERVISOR, kind, *counties)
        pages += [
            (f"supervisor of {len(counties)} counties, population", city, "/stats/", {}),
            (f"supervisor of {len(counties)} counties, quality", city, "/stats/quality/", {}),
            ("  … drilled into 130731", city, "/stats/", {"node": "c:130731"}),
            (f"monthly report .xlsx, {len(counties)} counties", city, "/stats/report.xlsx", {}),
        ]
    print(f"dashboard requests, {n} each (target p95 < 300 ms):")
    for label, client, path, params in pages:

        def get(client: Client = client, path: str = path, params: dict[str, str] = params) -> None:
            response = client.get(path, params)
            assert response.status_code == 200, (path, response.status_code)

        try:
            med, p95 = _percentiles(timed(get, n))
        except DecryptError:
            print(f"   {label:<36} skipped: the database was built with other keys (run without --keep)")
            continue
        print(f"   {label:<36} median {med:7.1f} ms  p95 {p95:7.1f} ms  {'met' if p95 < 300 else 'NOT met'}")

    rooms = list(
        AddressNode.objects.filter(kind=Kind.ROOM).order_by("code").values_list("pk", flat=True)[: n + 5]
    )
    from ybss.lib.idcard import check_char

    counter = iter(range(10**6))

    def write() -> None:
        i = next(counter)
        base = f"1307311990{(i % 12) + 1:02d}{(i % 28) + 1:02d}{i % 1000:03d}"
        room = AddressNode.objects.get(pk=rooms[i % len(rooms)])
        # A repeated generated ID is refused by the action; that run is skipped, not measured twice.
        with contextlib.suppress(ActionError):
            actions.register_person(
                None,
                PersonInput(name="测试", id_number=base + check_char(base)),
                move_in=MoveIn(room, date(2024, 1, 1)),
            )

    med, p95 = _percentiles(timed(write, n))
    print(
        f"write (register a person moving in): median {med:.1f} ms, p95 {p95:.1f} ms; "
        "added by statistics: 0 (figures are refreshed on a schedule, writes run no statistics code)"
    )


if __name__ == "__main__":
    main()
