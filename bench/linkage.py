"""Record linkage: quality, time and memory next to a baseline, on the same generated data.

    .venv/bin/python bench/linkage.py [--kind persons|units|addresses] [--sizes 100000,1000000]
                                      [--seed 1] [--workdir DIR] [--region 13]
                                      [--splink-python PATH] [--no-splink]

Persons (the default) are compared with Splink; units and addresses with the
naive way of finding duplicates, exact grouping on a normalized key, in the
same run (see :data:`BASELINES`): for units the valid credit code, else the
normalized name and address text; for addresses the address engine's
normalized text, and its canonical key. Those run in a child process too, so
their time and memory are measured the same way. Units and addresses are
linked with ``--default-region`` (河北, 13, by default: the generated records
are all in 河北 and a provincial deployment would say so).

For every size it generates noisy person records with known truth
(:mod:`ybss.linkage.generate`), runs ``python -m ybss.linkage persons`` in a
child process exactly as a user would, and reports pairwise precision, recall
and F1 of the clusters against the truth, wall and CPU time, and the peak
resident memory of that child (``os.wait4`` gives each child's own rusage).

If Splink is importable (by this interpreter or by ``--splink-python``), it
runs in the same way on the same file as the baseline: DuckDB backend, the
columns cleaned first as its documentation asks (same helpers as ours for
widths, traditional characters, pinyin and dates, but no check-digit repair),
u estimated by random sampling, m by expectation maximisation, clusters at
match probability 0.95. Otherwise the baseline is reported as skipped, with
the reason. The machine is shared, so CPU seconds are printed next to wall
seconds: they are what to compare when the load changes between runs.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script from a checkout, where the package is not installed.
sys.path.insert(0, str(ROOT))

SPLINK_CLUSTER_THRESHOLD = 0.95
SPLINK_U_PAIRS = 1e7


@dataclass
class Run:
    label: str
    wall: float
    cpu: float
    peak_mb: float
    precision: float
    recall: float
    f1: float


def run_child(argv: list[str], log: Path) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds, peak RSS in MB and exit status of a child process."""
    started = time.perf_counter()
    with log.open("w") as err:
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        proc = subprocess.Popen(argv, stdout=err, stderr=subprocess.STDOUT, cwd=ROOT, env=env)  # noqa: S603
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in kilobytes on Linux.
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode


def pairwise(clusters_path: Path, truth_path: Path) -> tuple[float, float, float]:
    """Pairwise precision, recall and F1 of predicted clusters against true entities."""
    truth: dict[str, str] = {}
    with truth_path.open(encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        for record_id, entity in reader:
            truth[record_id] = entity
    predicted: dict[str, str] = {}
    with clusters_path.open(encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        for record_id, cluster in reader:
            predicted[record_id] = cluster
    if set(predicted) != set(truth):
        raise SystemExit(f"{clusters_path}: {len(predicted)} records, the truth has {len(truth)}")

    def pairs(counts: Counter[str] | Counter[tuple[str, str]]) -> int:
        return sum(k * (k - 1) // 2 for k in counts.values())

    true_pairs = pairs(Counter(truth.values()))
    found_pairs = pairs(Counter(predicted.values()))
    both = pairs(Counter((predicted[r], truth[r]) for r in truth))
    precision = both / found_pairs if found_pairs else 1.0
    recall = both / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def show(run: Run, baseline: Run | None) -> None:
    ratio = ""
    if baseline is not None:
        ratio = f"  {baseline.wall / run.wall:5.1f}× faster (wall), {baseline.cpu / run.cpu:5.1f}× (CPU)"
    print(
        f"  {run.label:<33} P {run.precision:.5f}  R {run.recall:.5f}  F1 {run.f1:.5f}  "
        f"wall {run.wall:7.1f} s  CPU {run.cpu:7.1f} s  peak {run.peak_mb:7.0f} MB{ratio}"
    )


def splink_python(requested: str | None) -> tuple[str | None, str]:
    """An interpreter that can import splink, or None and why not."""
    python = requested or sys.executable
    probe = subprocess.run(  # noqa: S603
        [python, "-c", "import splink, duckdb, pypinyin; print(splink.__version__)"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["no output"])[-1]
        return (
            None,
            f"{python} cannot import splink ({last}); install the bench extra or pass --splink-python",
        )
    return python, f"Splink {probe.stdout.strip()}"


def bench_size(size: int, seed: int, workdir: Path, splink: str | None, why: str) -> None:
    from ybss.linkage.generate import generate

    data = workdir / f"persons-{size}-{seed}.csv"
    truth = workdir / f"truth-{size}-{seed}.csv"
    if data.exists() and truth.exists():
        print(f"\n{size:,} records: reusing {data}")
    else:
        started = time.perf_counter()
        stats = generate(size, data, seed=seed, truth=truth)
        print(
            f"\n{size:,} records of {stats.entities:,} people in {stats.households:,} households "
            f"({stats.twins:,} twins, {stats.common_names:,} with the commonest names), "
            f"generated in {time.perf_counter() - started:.1f} s"
        )

    out = workdir / f"clusters-{size}.csv"
    wall, cpu, peak, status = run_child(
        [sys.executable, "-m", "ybss.linkage", "persons", str(data), "--out", str(out)],
        workdir / f"ybss-{size}.log",
    )
    if status != 0:
        raise SystemExit(f"ybss.linkage failed, see {workdir / f'ybss-{size}.log'}")
    ours = Run("ybss.linkage", wall, cpu, peak, *pairwise(out, truth))

    baseline = None
    if splink is None:
        print(f"  baseline skipped: {why}")
    else:
        splink_out = workdir / f"splink-clusters-{size}.csv"
        log = workdir / f"splink-{size}.log"
        argv = [splink, str(Path(__file__).resolve()), "--splink-child", str(data), str(splink_out)]
        wall, cpu, peak, status = run_child(argv, log)
        if status != 0:
            print(f"  baseline failed (exit {status}), see {log}")
        else:
            baseline = Run(why, wall, cpu, peak, *pairwise(splink_out, truth))
            show(baseline, None)
    show(ours, baseline)
    # The machine is shared: the load says how far the wall times can be trusted.
    print(f"  load average {' / '.join(f'{x:.1f}' for x in os.getloadavg())} (1/5/15 min) at the end")


# --- the Splink baseline, run in its own process ------------------------------


def splink_child(data: str, out: str) -> None:  # pragma: no cover - needs splink
    import duckdb
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    from ybss.linkage import fields as F
    from ybss.linkage.files import read_persons

    started = time.perf_counter()
    cleaned = Path(out).with_suffix(".input.csv")
    # Cleaning as the documentation advises: one representation per value.
    # Splink has no notion of a check character, so the ID number keeps its
    # typos and is compared by edit distance; the 15-digit form is lifted to
    # the first 17 digits of the 18-digit one.
    with cleaned.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(("record_id", "id17", "name", "name_py", "birth_date", "gender", "phone", "address"))
        for _, (rid, name, id_number, gender, birth, phone, address) in read_persons(data, warn=print):
            number = F.clean_id(id_number)
            if len(number) == 15:
                number = number[:6] + "19" + number[6:]
            id17 = number[:17] if len(number) in (15, 18) else None
            normal = F.normalize_name(name) or None
            born = F.parse_birth_date(birth)
            w.writerow(
                (
                    rid,
                    id17,
                    normal,
                    F.name_pinyin(normal).replace(" ", "") if normal else None,
                    _iso(born) if born else None,
                    F.parse_gender(gender) or None,
                    F.phone_key(phone) or None,
                    "".join(address.split()) or None,
                )
            )
    print(f"cleaned in {time.perf_counter() - started:.1f} s", flush=True)

    con = duckdb.connect()
    db_api = DuckDBAPI(connection=con)
    table = con.read_csv(str(cleaned), header=True, all_varchar=True)
    con.register("persons_raw", table)
    con.execute("create table persons as select * from persons_raw")
    df = db_api.register("persons")

    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        blocking_rules_to_generate_predictions=[
            block_on("id17"),
            block_on("birth_date", "name_py"),
            block_on("phone", "name_py"),
            block_on("phone", "birth_date"),
            block_on("address", "name_py"),
        ],
        comparisons=[
            cl.CustomComparison(
                output_column_name="id17",
                comparison_levels=[
                    cll.NullLevel("id17"),
                    cll.ExactMatchLevel("id17"),
                    cll.DamerauLevenshteinLevel("id17", 1),
                    cll.ElseLevel(),
                ],
            ),
            cl.CustomComparison(
                output_column_name="name",
                comparison_levels=[
                    cll.NullLevel("name"),
                    cll.ExactMatchLevel("name", term_frequency_adjustments=True),
                    cll.ExactMatchLevel("name_py", term_frequency_adjustments=True),
                    cll.JaroWinklerLevel("name_py", 0.9),
                    cll.ElseLevel(),
                ],
            ),
            cl.DateOfBirthComparison("birth_date", input_is_string=True),
            cl.ExactMatch("gender"),
            cl.ExactMatch("phone"),
            cl.JaroWinklerAtThresholds("address", [0.95, 0.85]),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    linker = Linker(df, settings)
    linker.training.estimate_probability_two_random_records_match([block_on("id17")], recall=0.85)
    linker.training.estimate_u_using_random_sampling(max_pairs=SPLINK_U_PAIRS, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("id17"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date", "name_py"))
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=SPLINK_CLUSTER_THRESHOLD
    )
    con.execute(
        f"copy (select record_id, cluster_id from {clusters.physical_name}) "
        f"to '{out}' (header, delimiter ',')"
    )
    cleaned.unlink()


def _iso(ordinal: int) -> str:
    from datetime import date

    return date.fromordinal(ordinal).isoformat()


# --- units and addresses --------------------------------------------------------

# The naive baselines of each kind: what a data administrator does in a spreadsheet.
BASELINES = {
    "units": ("code or name+address",),
    "addresses": ("normalized text", "canonical key"),
}


def bench_kind(kind: str, size: int, seed: int, workdir: Path, region: str) -> None:
    if kind == "units":
        from ybss.linkage.generate_units import describe, generate
    else:
        from ybss.linkage.generate_addresses import describe, generate  # type: ignore[assignment]

    data = workdir / f"{kind}-{size}-{seed}.csv"
    truth = workdir / f"{kind}-truth-{size}-{seed}.csv"
    if data.exists() and truth.exists():
        print(f"\n{size:,} {kind}: reusing {data}")
    else:
        started = time.perf_counter()
        stats = generate(size, data, seed=seed, truth=truth)
        print(f"\n{describe(stats)}, generated in {time.perf_counter() - started:.1f} s")

    for name in BASELINES[kind]:
        out = workdir / f"{kind}-baseline-{name.replace(' ', '_').replace('+', '_')}-{size}.csv"
        log = workdir / f"{kind}-baseline-{size}.log"
        argv = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--baseline-child",
            kind,
            name,
            str(data),
            str(out),
        ]
        wall, cpu, peak, status = run_child([*argv, "--region", region], log)
        if status != 0:
            raise SystemExit(f"baseline {name} failed, see {log}")
        show(Run(f"baseline: {name}", wall, cpu, peak, *pairwise(out, truth)), None)

    out = workdir / f"{kind}-clusters-{size}.csv"
    log = workdir / f"{kind}-ybss-{size}.log"
    argv = [
        sys.executable,
        "-m",
        "ybss.linkage",
        kind,
        str(data),
        "--out",
        str(out),
        "--default-region",
        region,
    ]
    wall, cpu, peak, status = run_child(argv, log)
    if status != 0:
        raise SystemExit(f"ybss.linkage failed, see {log}")
    show(Run("ybss.linkage", wall, cpu, peak, *pairwise(out, truth)), None)
    print(f"  load average {' / '.join(f'{x:.1f}' for x in os.getloadavg())} (1/5/15 min) at the end")


def baseline_child(kind: str, name: str, data: str, out: str, region: str) -> None:
    """Group records on one exact key; a record without a key is alone."""
    from ybss.addressing import canonical_key, normalize, parse
    from ybss.linkage import fields as F
    from ybss.linkage import units as U
    from ybss.linkage.addresses import COLUMNS as ADDRESS_COLUMNS
    from ybss.linkage.files import read_columns

    columns = U.COLUMNS if kind == "units" else ADDRESS_COLUMNS
    keys: list[tuple[str, str]] = []
    for _, batch in read_columns(data, warn=print, columns=columns):
        if kind == "units":
            for rid, unit_name, code, address in zip(*batch[:4], strict=True):
                parsed = U.parse_credit_code(code)
                if parsed.status == U.CODE_VALID:
                    keys.append((rid, "code:" + parsed.text))
                elif unit_name and address:
                    keys.append(
                        (rid, F.normalize_name(unit_name) + "|" + normalize(address).replace(" ", ""))
                    )
                else:
                    keys.append((rid, ""))
        elif name == "normalized text":
            keys += [(rid, normalize(a).replace(" ", "")) for rid, a in zip(batch[0], batch[1], strict=True)]
        else:
            seen: dict[str, str] = {}
            for rid, a in zip(batch[0], batch[1], strict=True):
                key = seen.get(a)
                if key is None:
                    key = seen[a] = canonical_key(parse(a, region)) if a.strip() else ""
                keys.append((rid, key))
    first: dict[str, str] = {}
    for rid, key in keys:
        if key and (key not in first or rid < first[key]):
            first[key] = rid
    with open(out, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(("record_id", "cluster_id"))
        w.writerows((rid, first[key] if key else rid) for rid, key in keys)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", choices=("persons", "units", "addresses"), default="persons")
    parser.add_argument("--region", default="13", help="--default-region for units and addresses")
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated record counts")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", help="keep generated files here (and reuse them)")
    parser.add_argument("--splink-python", help="an interpreter with splink installed")
    parser.add_argument("--no-splink", action="store_true")
    parser.add_argument("--splink-child", nargs=2, metavar=("DATA", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--baseline-child", nargs=4, metavar=("KIND", "NAME", "DATA", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.splink_child:
        splink_child(*args.splink_child)
        return
    if args.baseline_child:
        kind, name, data, out = args.baseline_child
        baseline_child(kind, name, data, out, args.region)
        return

    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    if args.kind != "persons":
        print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at start")
        with contextlib.ExitStack() as stack:
            if args.workdir:
                workdir = Path(args.workdir)
                workdir.mkdir(parents=True, exist_ok=True)
            else:
                workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ybss-linkage-bench-")))
            for size in sizes:
                bench_kind(args.kind, size, args.seed, workdir, args.region)
        return
    if args.no_splink:
        splink, why = None, "--no-splink"
    else:
        splink, why = splink_python(args.splink_python)
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at start")
    if args.workdir:
        workdir = Path(args.workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        for size in sizes:
            bench_size(size, args.seed, workdir, splink, why)
    else:
        with tempfile.TemporaryDirectory(prefix="ybss-linkage-bench-") as tmp:
            for size in sizes:
                bench_size(size, args.seed, Path(tmp), splink, why)


if __name__ == "__main__":
    main()
