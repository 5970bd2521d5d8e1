"""What auditing and encryption add to reading a person record.

    .venv/bin/python bench/audit.py [--db sqlite|pg|both] [--rows 2000] [--repeat 400]

Two requests, each measured through the whole Django stack (session, middleware,
template) with and without the protection layer, in the same run:
- open one person's full record: the stated purpose, the rate-limit check, the
  hash-chained audit row and decrypting the ID and phone, against a page that reads the
  same record stored in clear (tests/testapp/bench_views.py);
- a page of 50 masked rows: decrypting 100 values to mask them, against the same page
  stored in clear.
Both sides pass the same login and capability guard and are scoped to the user's
jurisdiction the same way: that is access control, not auditing or encryption. The two
sides alternate request by request.
Target: under 20% added to the median latency. Uses the test-only Resident model
(tests/testapp), which is what the person registry will look like.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import timing

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/ybss_bench_audit")
OFFICERS = 20
PURPOSE = urlencode({"reason": "verify", "reason_text": "入户核查"})


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "pg", "both"], default="both")
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=400)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        run(args.worker, args.rows, args.repeat)
        return
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}")
    for target in ["sqlite", "pg"] if args.db == "both" else [args.db]:
        if target == "pg":
            import psycopg

            base, _, name = PG_URL.rpartition("/")
            with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
                conn.execute(f'CREATE DATABASE "{name}"')
            url = PG_URL
        else:
            url = f"sqlite:///{tempfile.mkdtemp(prefix='ybss-bench-')}/audit.sqlite3"
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "YBSS_READS_PER_MINUTE": "1000000",
            "YBSS_READS_PER_HOUR": "1000000",
            "YBSS_FLAG_FULL_READS": "1000000",
        }
        cmd = [
            sys.executable,
            __file__,
            "--worker",
            target,
            "--rows",
            str(args.rows),
            "--repeat",
            str(args.repeat),
        ]
        subprocess.run(cmd, env=env, check=True, cwd=ROOT)  # noqa: S603 - our own script


def _timed(protected: Any, plain: Any, n: int) -> tuple[list[float], list[float]]:
    """Both operations, alternated request by request, so that whatever else loads the
    machine weighs on both alike (a shared 2-core machine varies twofold in minutes)."""
    for _ in range(20):
        protected()
        plain()
    a: list[float] = []
    b: list[float] = []
    for _ in range(n):
        for fn, out in ((protected, a), (plain, b)):
            t = time.perf_counter()
            fn()
            out.append((time.perf_counter() - t) * 1000)
    return a, b


def _report(label: str, protected: list[float], plain: list[float]) -> None:
    pm, bm = timing.median(protected), timing.median(plain)
    p95, b95 = timing.p95(protected), timing.p95(plain)
    added = (pm - bm) / bm * 100
    verdict = "met" if added < 20 else "NOT met"
    print(
        f"   {label:<34} protected median {pm:6.3f} ms p95 {p95:6.3f} | baseline median {bm:6.3f} ms "
        f"p95 {b95:6.3f} | added {added:+6.1f}% (target < 20%: {verdict})"
    )


def run(target: str, rows: int, repeat: int) -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from tests.testapp.models import PlainResident, Resident
    from ybss.access.models import Jurisdiction, UserAccess
    from ybss.access.roles import Role
    from ybss.addresses import actions
    from ybss.addresses.models import Kind
    from ybss.divisions.loading import load_divisions
    from ybss.divisions.models import Division
    from ybss.lib.idcard import check_char

    settings.ROOT_URLCONF = "tests.testapp.bench_views"
    # As deployed: the test settings close PostgreSQL connections after each request (for the
    # live-server tests); ybss keeps them (DB_CONN_MAX_AGE, 60 s). SQLite reconnects anyway.
    from django.db import connection

    if connection.vendor == "postgresql":
        connection.settings_dict["CONN_MAX_AGE"] = 60
    call_command("migrate", verbosity=0)
    load_divisions("130731100")
    community = Division.objects.get(code="130731100002")
    road = actions.create_road(None, community.parent, "轩辕路")  # type: ignore[arg-type]
    plate = actions.create_node(None, Kind.DOORPLATE, "18", division=community, road=road)
    building = actions.create_node(None, Kind.BUILDING, "1", parent=plate)
    rooms = actions.batch_create_rooms(
        None, building, actions.RoomPattern(floors=30, units=4, rooms_per_floor=4)
    )
    place = Jurisdiction.objects.create(
        name="涿鹿镇派出所", kind=Jurisdiction.Kind.STATION, prefixes=["130731100"]
    )
    # Requests rotate among a station's officers: one account opening hundreds of records a
    # minute is exactly what the rate limit refuses, and what the flag reports.
    clients = []
    for n in range(OFFICERS):
        user = get_user_model().objects.create_user(f"bench{n}")
        UserAccess.objects.create(user=user, role=Role.STATION_ADMIN).jurisdictions.add(place)
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        clients.append(client)
    protected, plain = [], []
    for i in range(rows):
        base = f"1307311990{(i % 12) + 1:02d}{(i % 28) + 1:02d}{i % 1000:03d}"
        number, phone, room = base + check_char(base), f"138{i:08d}", rooms[i % len(rooms)]
        r = Resident(name=f"居民{i}", address=room)
        r.set_id_number(number)
        r.set_phone(phone)
        protected.append(r)
        plain.append(PlainResident(name=f"居民{i}", address=room, id_number=number, phone=phone))
    Resident.objects.bulk_create(protected)
    PlainResident.objects.bulk_create(plain)
    ids = list(Resident.objects.values_list("pk", flat=True))
    plain_ids = list(PlainResident.objects.values_list("pk", flat=True))
    state = {"i": 0}

    def next_index() -> int:
        state["i"] = (state["i"] + 7) % len(ids)
        return state["i"]

    def client_for(i: int) -> Any:
        return clients[i % len(clients)]

    def ok(response: Any) -> None:
        assert response.status_code == 200, response.status_code

    def open_protected() -> None:
        i = next_index()
        # Sent as the purpose form in a browser sends it (urlencoded), not as the test
        # client's default multipart, whose encoding and parsing cost more than the audit.
        ok(
            client_for(i).post(
                f"/test/residents/{ids[i]}/",
                PURPOSE,
                content_type="application/x-www-form-urlencoded",
            )
        )

    def open_plain() -> None:
        i = next_index()
        ok(client_for(i).get(f"/plain/residents/{plain_ids[i]}/"))

    def list_protected() -> None:
        i = next_index()
        ok(client_for(i).get("/test/residents/", {"start": i % (len(ids) - 50)}))

    def list_plain() -> None:
        i = next_index()
        ok(client_for(i).get("/plain/residents/", {"start": i % (len(ids) - 50)}))

    print(f"\n[{target}] {rows} residents; {repeat} requests each through the full Django stack")
    _report("open one full record", *_timed(open_protected, open_plain, repeat))
    _report("list a page of 50 (masked)", *_timed(list_protected, list_plain, repeat))


if __name__ == "__main__":
    main()
