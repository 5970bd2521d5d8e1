"""``link persons|units|addresses INPUT --out CLUSTERS.csv [--pairs PAIRS.csv] [--threshold T]``.

The same command line runs as ``python -m ybss.linkage`` (no Django needed)
and as ``ybss link`` (the management command is a thin wrapper around
:func:`run_persons` and :func:`run_kind`). Progress goes to stderr; results
are written only when everything succeeded. Units and addresses take
``--default-region CODE`` as well: the deployment's region, which supplies the
division of an address that names none (as ``ybss address parse`` does).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from . import addresses, scoring, units
from .cluster import DuplicateRecordId
from .core import NodeLinkage
from .engine import COLUMNS, Linkage, PersonTable, link
from .files import (
    AtomicWriter,
    Columns,
    LinkageInputError,
    read_columns,
    read_part_columns,
    split_csv,
)
from .parallel import default_processes, gc_paused, map_chunks

# Below this the second process costs more than it saves.
PARALLEL_MIN_BYTES = 8 << 20
# A big file is read in this many pieces, each taken by whichever process is free:
# on a shared machine two fixed halves would leave one process waiting for the other.
READ_PARTS = 4


class KindTable(Protocol):
    """What the command needs of a table of units or addresses while reading."""

    record_id: list[str]

    @property
    def extend_columns(self) -> Callable[..., None]:
        """Add records: (record_id, *the kind's other columns), each a list of one value per record."""
        ...

    def notes(self, lines: array[int]) -> list[str]:
        """What the person running the command should know about the input (rows named by ``lines``)."""
        ...


@dataclass(frozen=True)
class Kind:
    """A kind of record the command links besides persons: its columns, table and linking."""

    name: str
    columns: tuple[str, ...]
    threshold: float
    help: str
    what: str  # "同一单位" …: what a cluster is, for the help texts
    table: Callable[..., KindTable]
    link: Callable[..., NodeLinkage]


KINDS = {
    "units": Kind(
        "units",
        units.COLUMNS,
        units.DEFAULT_THRESHOLD,
        "查找同一单位的重复记录（统一社会信用代码、名称、地址），输出聚类",
        "同一单位",
        units.UnitTable,
        units.link,
    ),
    "addresses": Kind(
        "addresses",
        addresses.COLUMNS,
        addresses.DEFAULT_THRESHOLD,
        "查找指向同一标准地址的记录，输出聚类",
        "同一地址",
        addresses.AddressTable,
        addresses.link,
    ),
}


def add_arguments(parser: argparse.ArgumentParser, *, default_region: str | None = None) -> None:
    """The subcommands, for this module's own parser and for the Django command's.

    ``default_region`` is the default of ``--default-region`` (the deployment's
    region for the Django command).
    """
    sub = parser.add_subparsers(dest="sub", required=True, metavar="子命令")
    p = sub.add_parser("persons", help="查找同一人的重复记录，输出聚类")
    _common_arguments(p, scoring.DEFAULT_THRESHOLD, "同一人", "、".join(COLUMNS))
    for kind in KINDS.values():
        p = sub.add_parser(kind.name, help=kind.help)
        _common_arguments(p, kind.threshold, kind.what, "、".join(kind.columns))
        shown = default_region or "全国"
        p.add_argument(
            "--default-region",
            default=default_region,
            metavar="CODE",
            help=f"默认区域（区划代码前缀，如 13、130731）：地址未写区划时取此区域，也据此区分同名区划；"
            f"默认{shown}",
        )


def _common_arguments(p: argparse.ArgumentParser, threshold: float, what: str, columns: str) -> None:
    p.add_argument("input", metavar="INPUT", help=f"输入文件：CSV（UTF-8 或 GBK）或 Parquet，列为 {columns}")
    p.add_argument("--out", required=True, metavar="CLUSTERS.csv", help="输出 record_id, cluster_id")
    p.add_argument("--pairs", metavar="PAIRS.csv", help="另外输出达到阈值的记录对及其评分说明（可选）")
    p.add_argument(
        "--threshold",
        type=float,
        default=threshold,
        metavar="T",
        help=f"判为{what}的最低分（比特），默认 {threshold:g}",
    )


class Stream(Protocol):
    def write(self, text: str, /) -> object: ...

    def flush(self) -> object: ...


class _Reporter:
    def __init__(self, stream: Stream) -> None:
        self.stream = stream
        self.started = time.perf_counter()

    def __call__(self, message: str) -> None:
        self.stream.write(f"[{time.perf_counter() - self.started:7.1f}s] {message}\n")
        self.stream.flush()


# What a run gives the shared driver: the linkage, every record's id, and the rows of
# PAIRS.csv (record indexes, score, explanation), made only if they are written.
PairRow = tuple[int, int, float, str]
Outcome = tuple[Any, list[str], Callable[[], Iterable[PairRow]]]


def _execute(
    input_path: str,
    out: str,
    pairs_path: str | None,
    stderr: Stream | None,
    run: Callable[[Callable[[str], None], bool], Outcome],
) -> Any:
    """Open the outputs, ``run`` the linkage, write CLUSTERS.csv (and PAIRS.csv), all or
    nothing; the same for every kind of record."""
    report: Callable[[str], None] = _Reporter(stderr if stderr is not None else sys.stderr)
    writer = AtomicWriter()
    with gc_paused():
        try:
            # Open the outputs first: a wrong directory should not cost a full run.
            clusters_file = writer.open(out)
            pairs_file = writer.open(pairs_path) if pairs_path else None
            linkage, record_id, pair_rows = run(report, pairs_file is not None)
            _write_clusters(clusters_file, record_id, linkage.representative)
            if pairs_file is not None:
                w = csv.writer(pairs_file, lineterminator="\n")
                w.writerow(("record_id_l", "record_id_r", "score", "explanation"))
                for a, b, score, explanation in pair_rows():
                    w.writerow((record_id[a], record_id[b], f"{score:.2f}", explanation))
            writer.commit()
        except BaseException:
            writer.discard()
            raise
    written = out + (f" 和 {pairs_path}" if pairs_path else "")
    records, clusters = int(linkage.stats["records"]), int(linkage.stats["clusters"])
    report(f"已写出 {written}：{records:,} 条记录，{clusters:,} 个聚类")
    return linkage


def run_persons(
    input_path: str,
    out: str,
    *,
    pairs_path: str | None = None,
    threshold: float = scoring.DEFAULT_THRESHOLD,
    stderr: Stream | None = None,
) -> Linkage:
    """Read, link and write; raises :class:`LinkageInputError` with a message naming the bad row or column."""

    def run(report: Callable[[str], None], keep_pairs: bool) -> Outcome:
        table, lines = _read(input_path, report)
        report(f"读取完成：{len(lines):,} 条记录")
        try:
            linkage = link(
                table,
                threshold=threshold,
                progress=report,
                keep_pairs=keep_pairs,
                processes=default_processes(),
            )
        except DuplicateRecordId as exc:
            raise _duplicate(input_path, lines, exc) from None

        def pair_rows() -> Iterable[PairRow]:
            for a, b, _, joined in linkage.pairs():
                # The full comparison: for pairs of one valid number, clustering
                # needed only a lower bound of the score (see decision_score).
                comparison = table.compare(a, b)
                explanation = comparison.explain()
                if not joined:
                    explanation += "; cluster=refused(different valid id_number)"
                yield a, b, comparison.score, explanation

        return linkage, table.record_id, pair_rows

    linkage: Linkage = _execute(input_path, out, pairs_path, stderr, run)
    return linkage


def _read(input_path: str, report: Callable[[str], None]) -> tuple[PersonTable, array[int]]:
    """The prepared table and each record's line; big CSV files are read in two processes."""
    warn = lambda m: report(f"注意：{m}")  # noqa: E731
    parts = None
    if _parallel() and Path(input_path).is_file() and Path(input_path).stat().st_size >= PARALLEL_MIN_BYTES:
        # split_csv() reads the header and gives its warnings.
        parts = split_csv(input_path, warn=warn, parts=READ_PARTS)
    if parts is None:
        return _prepare(read_columns(input_path, warn=warn), report)
    report(f"分两个进程读取：文件分为 {len(parts)} 段，两个进程各取下一段")

    def prepare(k: int) -> tuple[PersonTable, array[int]]:
        table, lines = _prepare(read_part_columns(parts[k], warn=lambda _: None), lambda _: None)
        if k:
            # Only absorbed: what would only serve adding records need not be sent back.
            table.seal()
        report(f"已读取第 {k + 1}/{len(parts)} 段：{len(lines):,} 条记录")
        return table, lines

    prepared = map_chunks(prepare, len(parts), default_processes())
    table, lines = prepared[0]
    for other_table, other_lines in prepared[1:]:
        table.absorb(other_table)
        lines += other_lines
    return table, lines


def _prepare(
    batches: Iterable[tuple[array[int], Columns]], report: Callable[[str], None]
) -> tuple[PersonTable, array[int]]:
    table = PersonTable()
    lines = array("i")
    with gc_paused():
        for batch_lines, columns in batches:
            table.extend_columns(*columns)
            lines += batch_lines
            report(f"已读取 {len(lines):,} 条记录")
    return table, lines


def _parallel() -> bool:
    return default_processes() > 1


def _duplicate(input_path: str, lines: array[int], exc: DuplicateRecordId) -> LinkageInputError:
    return LinkageInputError(
        f"输入文件 {input_path} 第 {lines[exc.second]} 行的 record_id “{exc.record_id}”"
        f"与第 {lines[exc.first]} 行重复，record_id 必须唯一"
    )


def _write_clusters(f: IO[str], record_id: list[str], representative: array[int]) -> None:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(("record_id", "cluster_id"))
    w.writerows(zip(record_id, map(record_id.__getitem__, representative), strict=True))


def check_region(region: str | None) -> str | None:
    """The region as a division code prefix, or None for the whole country; a bad one is an input error."""
    if region is None or not region.strip():
        return None
    region = region.strip()
    if not region.isdigit() or len(region) not in (2, 4, 6, 9, 12):
        raise LinkageInputError(f"--default-region 应为区划代码前缀（如 13、1307、130731），不是“{region}”")
    return region


def run_kind(
    kind: str,
    input_path: str,
    out: str,
    *,
    pairs_path: str | None = None,
    threshold: float | None = None,
    region: str | None = None,
    stderr: Stream | None = None,
) -> NodeLinkage:
    """:func:`run_persons` for units or addresses (``kind`` is a key of :data:`KINDS`)."""
    spec = KINDS[kind]
    region = check_region(region)
    limit = spec.threshold if threshold is None else threshold

    def run(report: Callable[[str], None], keep_pairs: bool) -> Outcome:
        table = spec.table(region=region)
        lines = array("i")
        for batch_lines, columns in read_columns(
            input_path, warn=lambda m: report(f"注意：{m}"), columns=spec.columns
        ):
            table.extend_columns(*columns)
            lines += batch_lines
            report(f"已读取 {len(lines):,} 条记录")
        report(f"读取完成：{len(lines):,} 条记录")
        for note in table.notes(lines):
            report(f"注意：{note}")
        try:
            linkage = spec.link(
                table, threshold=limit, progress=report, keep_pairs=keep_pairs, processes=default_processes()
            )
        except DuplicateRecordId as exc:
            raise _duplicate(input_path, lines, exc) from None

        def pair_rows() -> Iterable[PairRow]:
            for a, b, _, refused_by in linkage.pairs():
                comparison = linkage.explain(a, b)
                explanation = comparison.explain()
                if refused_by:
                    explanation += f"; cluster=refused(different {refused_by})"
                yield a, b, comparison.score, explanation

        return linkage, table.record_id, pair_rows

    linkage: NodeLinkage = _execute(input_path, out, pairs_path, stderr, run)
    return linkage


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ybss.linkage",
        description="记录链接：找出同一人、同一单位或同一地址的重复记录（不需要 Django）",
    )
    # The deployment's region, as the Django command takes it from the settings.
    add_arguments(parser, default_region=os.environ.get("YBSS_REGION") or None)
    args = parser.parse_args(argv)
    try:
        if args.sub == "persons":
            run_persons(args.input, args.out, pairs_path=args.pairs, threshold=args.threshold)
        else:
            run_kind(
                args.sub,
                args.input,
                args.out,
                pairs_path=args.pairs,
                threshold=args.threshold,
                region=args.default_region,
            )
    except LinkageInputError as exc:
        sys.stderr.write(f"错误：{exc.message}\n")
        return 1
    except OSError as exc:
        sys.stderr.write(f"错误：{exc.strerror or exc}：{exc.filename or ''}\n")
        return 1
    return 0
