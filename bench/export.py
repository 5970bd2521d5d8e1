"""Benchmark exporting the actual population: CSV at a million rows, XLSX at a hundred thousand.

    .venv/bin/python bench/export.py                                  # SQLite, 1,000,000 people
    .venv/bin/python bench/export.py --db pg
    .venv/bin/python bench/export.py --people 200000 --xlsx-rows 20000 --keep /tmp/ybss-export-bench

It builds the demo county in a fresh database (addresses with ``ybss.addresses.demo``, people
with ``ybss.demo.population`` through ``bulk_register``, as ``bench/registry.py`` does), then
runs each measurement in a fresh process, so that each one's peak memory (the process's
maximum resident set) is its own:

- **baseline**: Python's ``csv.writer`` over ``values_list`` of the same columns of the same
  rows (the same query: ``export.person_values``), in the same order and chunk size, encoded
  the same way: no decryption, no masking, no labels, no neutralizing. What reading the rows
  out of the database and writing them costs at all.
- **export CSV**: a station administrator of the whole county exports every person through
  the download view itself (``ybss.exchange.export_views.export_form``: the form, the count,
  the audited purpose, then the streamed file): ID numbers and phones decrypted and masked,
  codes turned into labels, every cell neutralized.
  Once for all the people, once for a tenth of them: the peak memory should be the same.
- **export XLSX**: the same rows and row function for the first ``--xlsx-rows`` people, written
  by openpyxl's write-only mode to a temporary file and streamed from it (the view's XLSX
  path, on a limited queryset).

The file bytes are counted, not kept (a client that reads as fast as the server writes).
Target: CSV export ≥ 50,000 rows/s, peak memory flat. Timings are machine-dependent; the
baseline in the same run is the yardstick.

PostgreSQL is reached at $BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/ybss_bench_export).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/ybss_bench_export")
COUNTY = "130731"
TOWNSHIP = "130731100"  # 涿鹿镇, the county town: a station's share of the county
TARGET_ROWS_PER_SECOND = 50_000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "pg"], default="sqlite")
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument(
        "--keep",
        help="directory for the SQLite database and its keys; reused when it already holds the people",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--scope", default=COUNTY, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        run_worker(args.worker, args.people, args.seed, args.rows, args.scope)
        return

    sys.path.insert(0, str(ROOT))
    env = database_env(args.db, args.keep)
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; database: {args.db}")
    if args.db == "pg":
        reset_pg(keep=True)
    built = worker(env, "count")
    if built["people"] < args.people * 0.98:
        if args.db == "pg":
            reset_pg()
        worker(env, "build", people=args.people, seed=args.seed)
        built = worker(env, "count")
    else:
        print(f"reusing the database: {built['people']:,} people")
    people = built["people"]

    results = [
        ("baseline: csv.writer over values_list", worker(env, "baseline", scope=COUNTY)),
        ("export CSV through the view, masked", worker(env, "csv", scope=COUNTY)),
        (f"baseline, one township ({TOWNSHIP})", worker(env, "baseline", scope=TOWNSHIP)),
        (f"export CSV, one township ({TOWNSHIP})", worker(env, "csv", scope=TOWNSHIP)),
        (
            "export XLSX, first rows by id",
            worker(env, "xlsx", scope=COUNTY, rows=min(args.xlsx_rows, people)),
        ),
        ("baseline again (drift check)", worker(env, "baseline", scope=COUNTY)),
    ]
    print(f"\n[{args.db}] {people:,} people in the database")
    for label, r in results:
        rate, cpu_rate = r["rows"] / r["seconds"], r["rows"] / max(r["cpu"], 1e-9)
        print(
            f"   {label:<42} {r['rows']:>9,} rows in {r['seconds']:7.1f} s = {rate:>9,.0f} rows/s "
            f"({cpu_rate:>7,.0f} per CPU second); "
            f"{r['bytes'] / 1e6:8.1f} MB; peak RSS {r['peak_mb']:6.0f} MB "
            f"(after start-up {r['start_mb']:4.0f} MB){r.get('note', '')}"
        )
    (_, base), (_, export) = results[0], results[1]
    csv_rate, base_rate = export["rows"] / export["seconds"], base["rows"] / base["seconds"]
    csv_cpu, base_cpu = export["rows"] / export["cpu"], base["rows"] / base["cpu"]
    verdict = "met" if csv_rate >= TARGET_ROWS_PER_SECOND else "NOT met"
    print(
        f"   CSV export: {csv_rate:,.0f} rows/s wall clock, {csv_rate / base_rate:.0%} of the baseline; "
        f"{csv_cpu:,.0f} rows per CPU second, {csv_cpu / base_cpu:.0%} of the baseline; "
        f"target ≥ {TARGET_ROWS_PER_SECOND:,} rows/s: {verdict}"
    )
    if os.getloadavg()[0] > (os.cpu_count() or 1):
        print(
            f"   (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: other work shared "
            "the machine, so wall-clock rates are low; the CPU-second rates are the steadier figure)"
        )
    (base_all, export_all, base_town, export_town) = (results[i][1]["peak_mb"] for i in range(4))
    rows = results[3][1]["rows"]
    print(
        f"   peak memory, export minus baseline (the same query): {people:,} rows "
        f"{export_all - base_all:+.0f} MB, {rows:,} rows {export_town - base_town:+.0f} MB; "
        f"export {export_all:.0f} MB vs {export_town:.0f} MB"
    )


def database_env(db: str, keep: str | None) -> dict[str, str]:
    from ybss.lib.fieldcrypt import generate_index_key_string, generate_key_string

    if db == "sqlite":
        directory = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="ybss-export-bench-"))
        directory.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{directory / 'export.sqlite3'}"
        keys_file = directory / "keys.json"
    else:
        url = PG_URL
        keys_file = Path(keep or tempfile.gettempdir()) / "ybss-export-bench-pg-keys.json"
    if keys_file.exists():  # a kept database is only readable with the keys it was written with
        keys = json.loads(keys_file.read_text())
    else:
        keys = {"field": generate_key_string("b1"), "index": generate_index_key_string()}
        keys_file.write_text(json.dumps(keys))
    return {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "bench",
        "YBSS_ENV_FILE": "/nonexistent",
        "YBSS_FIELD_KEY": keys["field"],
        "YBSS_INDEX_KEY": keys["index"],
        # A benchmark reads many times a minute; the limits are not what is measured.
        "YBSS_READS_PER_MINUTE": "100000",
        "YBSS_READS_PER_HOUR": "100000",
    }


def worker(
    env: dict[str, str], what: str, *, people: int = 0, seed: int = 0, rows: int = 0, scope: str = COUNTY
) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--worker", what, "--people", str(people), "--seed", str(seed)]
    cmd += ["--rows", str(rows), "--scope", scope]
    out = subprocess.run(cmd, env=env, check=True, cwd=ROOT, stdout=subprocess.PIPE, text=True)  # noqa: S603
    lines = out.stdout.strip().splitlines()
    for line in lines[:-1]:
        print(line)
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def reset_pg(keep: bool = False) -> None:
    """A fresh, empty benchmark database; with ``keep``, only create it if it is missing."""
    import psycopg

    base, _, name = PG_URL.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and keep:
            return
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def _cpu_seconds() -> float:
    """This process's CPU time: what the work cost, whatever else the machine is doing."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def run_worker(what: str, people: int, seed: int, rows: int, scope: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ybss.settings")
    import django

    django.setup()
    if what == "build":
        build(people, seed)
        print(json.dumps({}))
        return
    if what == "count":
        print(json.dumps({"people": count_people()}))
        return
    user = bench_user(scope)
    start = _rss_mb()
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    done, written, note = {"baseline": baseline, "csv": export_csv, "xlsx": export_xlsx}[what](user, rows)
    seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    result: dict[str, Any] = {
        "rows": done,
        "seconds": seconds,
        "cpu": cpu,
        "bytes": written,
        "peak_mb": _peak_mb(),
        "start_mb": start,
    }
    if note:
        result["note"] = note
    print(json.dumps(result))


def count_people() -> int:
    from django.core.management import call_command
    from django.db.utils import DatabaseError

    call_command("migrate", verbosity=0)
    from ybss.people.models import Person

    try:
        return Person.objects.count()
    except DatabaseError:  # pragma: no cover - a half-made database
        return 0


def build(people: int, seed: int) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from ybss.addresses.demo import build_demo
    from ybss.demo.population import PEOPLE_PER_DWELLING, build_population
    from ybss.divisions.loading import load_divisions

    call_command("migrate", verbosity=0)
    load_divisions(COUNTY)
    # More dwellings than the real county has, so that a million people fit at realistic density.
    dwellings = max(300, round(people / PEOPLE_PER_DWELLING))
    started = time.perf_counter()
    with transaction.atomic():
        base = build_demo(seed=seed, dwellings=dwellings)
    print(
        f"address base: {base.nodes:,} nodes, {base.dwellings:,} dwellings "
        f"in {time.perf_counter() - started:.0f} s"
    )
    report = build_population(seed=seed, people=people)
    print(
        f"people through bulk_register: {report.people:,} in {report.seconds:.0f} s "
        f"({report.people / report.seconds:,.0f} people/s)"
    )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")


def bench_user(scope: str) -> Any:
    """A station administrator whose jurisdiction is ``scope``."""
    from django.contrib.auth import get_user_model

    from ybss.access.models import Jurisdiction, PurposeReason, UserAccess
    from ybss.access.roles import Role

    name = f"bench-export-{scope}"
    user = get_user_model().objects.filter(username=name).first()
    if user is None:
        user = get_user_model().objects.create_user(name, password="bench-password-1")
        place = Jurisdiction.objects.create(
            name=f"辖区 {scope}", kind=Jurisdiction.Kind.STATION, prefixes=[scope]
        )
        UserAccess.objects.create(user=user, role=Role.STATION_ADMIN).jurisdictions.add(place)
    PurposeReason.objects.get_or_create(code="verify", defaults={"label": "核查"})
    return user


def baseline(user: Any, rows: int) -> tuple[int, int, str]:
    """The same rows and columns, the plainest way: csv.writer over values_list."""
    import csv
    import io
    from itertools import islice

    from ybss.exchange.export import CHUNK, person_values
    from ybss.people.views import people_in_scope

    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    written = done = 0
    stream = person_values(people_in_scope(user).order_by("pk")).iterator(chunk_size=CHUNK)
    while batch := list(islice(stream, 500)):  # as csv_chunks does: tell() is slow on a StringIO
        writer.writerows(batch)
        done += len(batch)
        if buffer.tell() >= 64 * 1024:
            written += len(buffer.getvalue().encode("utf-8"))
            buffer.seek(0)
            buffer.truncate()
    return done, written + len(buffer.getvalue().encode("utf-8")), ""


def export_csv(user: Any, rows: int) -> tuple[int, int, str]:
    """Through the download view: every person in the user's jurisdiction."""
    from django.test import RequestFactory

    from ybss.audit.models import Action, AuditEvent
    from ybss.exchange import export_views

    request = RequestFactory().post(
        "/exchange/export/persons/", {"reason": "verify", "reason_text": "性能测试", "format": "csv"}
    )
    request.user = user
    asked = time.perf_counter()
    response: Any = export_views.export_form(request, kind="persons")
    assert response.status_code == 200, response.content.decode()[:500]
    written, first_byte = 0, None
    for chunk in response.streaming_content:
        if first_byte is None:
            first_byte = time.perf_counter() - asked
        written += len(chunk)
    done = AuditEvent.objects.filter(action=Action.EXPORT).order_by("-seq").values_list("extra", flat=True)[0]
    return int(done["rows"]), written, f"; first byte after {first_byte or 0:.1f} s (form, count, audit)"


def export_xlsx(user: Any, rows: int) -> tuple[int, int, str]:
    """The view's XLSX path (prepare, row function, writer) on the first ``rows`` people by id."""
    from ybss.exchange import export

    prepared = export.prepare(export.PERSONS, user, {"q": ""}, export.ExportOptions())
    limited = export.PreparedExport(prepared.kind, prepared.queryset[:rows], prepared.options)
    return rows, sum(len(chunk) for chunk in limited.chunks("xlsx")), ""


if __name__ == "__main__":
    main()
