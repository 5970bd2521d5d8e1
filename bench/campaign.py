"""Simulate a collection campaign over the demo county on PostgreSQL.

    .venv/bin/python bench/campaign.py                                   # full scale: ~120,000 dwellings
    .venv/bin/python bench/campaign.py --dwellings 20000 --per-collector 20

In a fresh PostgreSQL database it builds the demo county (addresses and people, as
``ybss demo --scale county``), creates a campaign over the whole county and measures:
- **work-list generation** (``build_work_list``) and assignment to the collectors;
- **submissions**: ``--collectors`` threads (default 50), each logged in as its own collector
  against a real ``gunicorn`` on 127.0.0.1, open the visit page of their next address and post the
  form (most addresses vacant, some with a household of new people). Half the visits are paced:
  each collector pauses ``--think`` seconds (default 2, jittered) between visits, far busier than a
  collector at real doors; the target is judged there. The other half go flat out with no pause,
  which measures the server's ceiling (latency is then mostly queueing). Latency of the POST,
  median and p95, next to a baseline measured the same way in the same run: the same threads
  fetching the login page (no database work);
- **reviews and re-checks**: every submission approved through the action (in this process), a
  re-check drawn in the busiest communities and verified field by field;
- **dashboard**: the county supervisor's page at the campaign, station and community levels, over HTTP.
Targets: work list < 10 s; submission p95 < 200 ms at 50 collectors; every dashboard view < 300 ms.

PostgreSQL is reached at $BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/ybss_bench_campaign).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import timing

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/ybss_bench_campaign")
PASSWORD = "bench-password-1"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dwellings", type=int, default=120_000)
    parser.add_argument("--collectors", type=int, default=50)
    parser.add_argument("--per-collector", type=int, default=40, help="submissions per collector")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument(
        "--think",
        type=float,
        default=2.0,
        help="seconds a collector spends between two visits in the paced half (jittered ±50%%)",
    )
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        run(args)
        return
    sys.path.insert(0, str(ROOT))
    import psycopg

    from ybss.lib.fieldcrypt import generate_index_key_string, generate_key_string

    base, _, name = PG_URL.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {
        **os.environ,
        "DATABASE_URL": PG_URL,
        "SECRET_KEY": "bench-campaign",
        "YBSS_ENV_FILE": "/nonexistent",
        "YBSS_FIELD_KEY": generate_key_string("b1"),
        "YBSS_INDEX_KEY": generate_index_key_string(),
        "ALLOWED_HOSTS": "127.0.0.1",
        # The per-user read limits guard people's records, not collectors' own work pages.
        "YBSS_READS_PER_MINUTE": "100000",
        "YBSS_READS_PER_HOUR": "1000000",
    }
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; PostgreSQL")
    subprocess.run([sys.executable, __file__, "--worker", *sys.argv[1:]], env=env, check=True, cwd=ROOT)  # noqa: S603


def _percentiles(samples: list[float]) -> str:
    if not samples:
        return "no samples"
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {timing.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms (n={len(ordered)})"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Browser:
    """A logged-in session over plain HTTP, as a phone's browser would hold one."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def csrf(self) -> str:
        return next((c.value or "" for c in self.jar if c.name == "csrftoken"), "")

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=60) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")

    def post(self, path: str, data: dict[str, Any] | list[tuple[str, str]]) -> int:
        body = urllib.parse.urlencode(data, doseq=True).encode()
        request = urllib.request.Request(  # noqa: S310 - our own server on 127.0.0.1
            self.base + path, data=body, headers={"X-CSRFToken": self.csrf(), "Referer": self.base + path}
        )
        try:
            with self.opener.open(request, timeout=60) as r:
                return int(r.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)

    def login(self, username: str) -> None:
        self.get("/accounts/login/")
        status = self.post(
            "/accounts/login/",
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": self.csrf()},
        )
        if status != 302:
            raise SystemExit(f"login failed for {username}: HTTP {status}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def run(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ybss.settings")
    import django

    django.setup()
    from datetime import date, timedelta

    from django.core.management import call_command
    from django.db import connection, transaction

    from tests.conftest import make_user
    from ybss.access.models import Jurisdiction
    from ybss.access.roles import Role
    from ybss.addresses.demo import build_demo
    from ybss.campaigns import actions
    from ybss.campaigns.models import Campaign, Visit, WorkItem
    from ybss.demo.population import build_population, people_for
    from ybss.divisions.loading import load_divisions
    from ybss.lib.idcard import check_char

    call_command("migrate", verbosity=0)
    load_divisions("130731")
    started = time.perf_counter()
    with transaction.atomic():
        base = build_demo(seed=args.seed, dwellings=args.dwellings)
    print(
        f"address base: {base.nodes:,} nodes, {base.dwellings:,} dwellings "
        f"in {time.perf_counter() - started:.0f} s"
    )
    started = time.perf_counter()
    report = build_population(seed=args.seed, people=people_for(base.dwellings))
    print(f"people: {report.people:,} in {time.perf_counter() - started:.0f} s")

    county = Jurisdiction.Kind.COUNTY_BUREAU
    admin = make_user("bench-admin", Role.STATION_ADMIN, "130731", kind=county)
    officer = make_user("bench-officer", Role.OFFICER, "130731", kind=county)
    supervisor = make_user("bench-supervisor", Role.SUPERVISOR, "130731", kind=county)
    collectors = [
        make_user(f"bench-c{i:02d}", Role.COLLECTOR, "130731", kind=county) for i in range(args.collectors)
    ]
    for user in [admin, officer, supervisor, *collectors]:
        user.set_password(PASSWORD)
        user.save()

    campaign = actions.create_campaign(
        admin,
        name="涿鹿县 2026 年冬季集中采集",
        area_codes=["130731"],
        starts_on=date.today() - timedelta(days=1),
        ends_on=date.today() + timedelta(days=60),
        recheck_threshold="0.001",
    )
    started = time.perf_counter()
    items = actions.build_work_list(admin, campaign)
    work_list = time.perf_counter() - started
    started = time.perf_counter()
    actions.assign(admin, campaign, collectors)
    assigned = time.perf_counter() - started
    actions.set_status(admin, campaign, Campaign.Status.ACTIVE)
    print(
        f"work list: {items:,} addresses generated in {work_list:.2f} s (target < 10 s); "
        f"shared among {len(collectors)} collectors by building in {assigned:.2f} s"
    )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    todo = {
        c.pk: list(
            WorkItem.objects.filter(campaign=campaign, assignee=c)
            .order_by("code")
            .values_list("pk", flat=True)[: args.per_collector]
        )
        for c in collectors
    }
    connection.close()

    port = _free_port()
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "ybss.wsgi:application",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(args.workers),
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base_url + "/accounts/login/", timeout=2).close()  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        browsers = {c.pk: Browser(base_url) for c in collectors}
        for c in collectors:
            browsers[c.pk].login(c.username)
        baseline: list[float] = []
        posts: list[float] = []
        flat_out: list[float] = []
        failures: list[str] = []
        lock = threading.Lock()
        barrier = threading.Barrier(len(collectors))

        def collect(user_pk: int, number: int) -> None:
            b = browsers[user_pk]
            barrier.wait()
            for _ in range(5):
                t0 = time.perf_counter()
                b.get("/accounts/login/")
                with lock:
                    baseline.append(time.perf_counter() - t0)
            barrier.wait()
            pace = random.Random(number)
            half = len(todo[user_pk]) // 2
            for i, pk in enumerate(todo[user_pk]):
                paced = i < half
                if paced:
                    time.sleep(args.think * pace.uniform(0.5, 1.5))
                status, page = b.get(f"/campaigns/work/{pk}/")
                key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page)
                if status != 200 or key is None:
                    with lock:
                        failures.append(f"GET {pk}: {status}")
                    continue
                data: list[tuple[str, str]] = [
                    ("csrfmiddlewaretoken", b.csrf()),
                    ("idempotency_key", key.group(1)),
                    ("rows", "1"),
                ]
                if i % 4 == 0:
                    # A distinct, valid number per collector and visit: birth year by collector.
                    body = f"130731{1950 + number}{1 + i % 12:02d}{1 + i // 12:02d}001"
                    data += [
                        ("outcome", "collected"),
                        ("occ-0-name", "模拟住户"),
                        ("occ-0-id_number", body + check_char(body)),
                        ("occ-0-phone", f"139{number:04d}{i:04d}"),
                        ("occ-0-kind", "rented"),
                    ]
                else:
                    data.append(("outcome", "vacant"))
                t0 = time.perf_counter()
                status = b.post(f"/campaigns/work/{pk}/", data)
                elapsed = time.perf_counter() - t0
                with lock:
                    (posts if paced else flat_out).append(elapsed)
                    if status != 302:
                        failures.append(f"POST {pk}: {status}")

        threads = [threading.Thread(target=collect, args=(pk, n)) for n, pk in enumerate(todo)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
        print(f"baseline, the login page, {len(collectors)} at once: {_percentiles(baseline)}")
        print(
            f"submissions, {len(collectors)} collectors each pausing ~{args.think:g} s between visits: "
            f"{_percentiles(posts)} (target p95 < 200 ms)"
        )
        print(
            f"submissions, {len(collectors)} collectors flat out, no pause: {_percentiles(flat_out)}; "
            f"{len(posts) + len(flat_out)} in {wall:.0f} s; {len(failures)} failed"
        )
        for line in failures[:5]:
            print("   ", line)

        django.db.connections.close_all()
        pending = list(Visit.objects.filter(campaign=campaign, state=Visit.State.PENDING))
        times = []
        for visit in pending:
            t0 = time.perf_counter()
            actions.approve(officer, visit)
            times.append(time.perf_counter() - t0)
        print(f"reviews: {len(times):,} approvals through the action: {_percentiles(times)}")
        busiest = WorkItem.objects.filter(
            campaign=campaign, state=WorkItem.State.DONE, outcome="collected"
        ).values_list("area_code", flat=True)
        areas = sorted(set(busiest))[:5]
        checked = 0
        t0 = time.perf_counter()
        for area in areas:
            draw = actions.draw_recheck(admin, campaign, area, collectors[:3])
            for item in draw.items.select_related("visit", "verifier"):
                fields = actions.visit_fields(actions.open_payload(item.visit))
                actions.verify(item.verifier, item, {f: {"ok": True} for f in fields})
                checked += 1
        print(
            f"re-checks: {len(areas)} areas drawn, {checked} records verified "
            f"in {time.perf_counter() - t0:.1f} s"
        )
        figures = actions.rates(campaign)
        print(
            f"campaign: expected {figures.expected:,}, collected {figures.collected:,}, "
            f"rate {figures.collection_rate}, accuracy {figures.accuracy_rate}"
        )

        viewer = Browser(base_url)
        viewer.login(supervisor.username)
        station = f"c:{areas[0][:9]}" if areas else ""
        community = f"c:{areas[0]}" if areas else ""
        for label, node in (("campaign", ""), ("township", station), ("community", community)):
            samples = []
            for _ in range(20):
                t0 = time.perf_counter()
                status, _page = viewer.get(f"/campaigns/{campaign.pk}/?node={urllib.parse.quote(node)}")
                samples.append(time.perf_counter() - t0)
                if status != 200:
                    raise SystemExit(f"dashboard {label}: HTTP {status}")
            print(f"dashboard, {label} level: {_percentiles(samples)} (target < 300 ms)")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
