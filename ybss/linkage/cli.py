"""``link persons INPUT --out CLUSTERS.csv [--pairs PAIRS.csv] [--threshold T]``.

The same command line runs as ``python -m ybss.linkage`` (no Django needed)
and as ``ybss link`` (the management command is a thin wrapper around
:func:`run_persons`). Progress goes to stderr; results are written only when
everything succeeded.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from array import array
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

from . import scoring
from .engine import DuplicateRecordId, Linkage, PersonTable, link
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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The subcommands, for this module's own parser and for the Django command's."""
    sub = parser.add_subparsers(dest="sub", required=True, metavar="子命令")
    p = sub.add_parser("persons", help="查找同一人的重复记录，输出聚类")
    p.add_argument("input", metavar="INPUT", help="输入文件：CSV（UTF-8 或 GBK）或 Parquet")
    p.add_argument("--out", required=True, metavar="CLUSTERS.csv", help="输出 record_id, cluster_id")
    p.add_argument("--pairs", metavar="PAIRS.csv", help="另外输出达到阈值的记录对及其评分说明（可选）")
    p.add_argument(
        "--threshold",
        type=float,
        default=scoring.DEFAULT_THRESHOLD,
        metavar="T",
        help=f"判为同一人的最低分（比特），默认 {scoring.DEFAULT_THRESHOLD:g}",
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


def run_persons(
    input_path: str,
    out: str,
    *,
    pairs_path: str | None = None,
    threshold: float = scoring.DEFAULT_THRESHOLD,
    stderr: Stream | None = None,
) -> Linkage:
    """Read, link and write; raises :class:`LinkageInputError` with a message naming the bad row or column."""
    report: Callable[[str], None] = _Reporter(stderr if stderr is not None else sys.stderr)
    writer = AtomicWriter()
    with gc_paused():
        linkage = _run(input_path, out, pairs_path, threshold, report, writer)
    written = out + (f" 和 {pairs_path}" if pairs_path else "")
    records, clusters = int(linkage.stats["records"]), int(linkage.stats["clusters"])
    report(f"已写出 {written}：{records:,} 条记录，{clusters:,} 个聚类")
    return linkage


def _run(
    input_path: str,
    out: str,
    pairs_path: str | None,
    threshold: float,
    report: Callable[[str], None],
    writer: AtomicWriter,
) -> Linkage:
    try:
        # Open the outputs first: a wrong directory should not cost a full run.
        clusters_file = writer.open(out)
        pairs_file = writer.open(pairs_path) if pairs_path else None
        table, lines = _read(input_path, report)
        report(f"读取完成：{len(lines):,} 条记录")
        try:
            linkage = link(
                table,
                threshold=threshold,
                progress=report,
                keep_pairs=pairs_file is not None,
                processes=default_processes(),
            )
        except DuplicateRecordId as exc:
            raise LinkageInputError(
                f"输入文件 {input_path} 第 {lines[exc.second]} 行的 record_id “{exc.record_id}”"
                f"与第 {lines[exc.first]} 行重复，record_id 必须唯一"
            ) from None

        w = csv.writer(clusters_file, lineterminator="\n")
        w.writerow(("record_id", "cluster_id"))
        record_id = table.record_id
        representative = linkage.representative
        w.writerows(zip(record_id, map(record_id.__getitem__, representative), strict=True))
        if pairs_file is not None:
            w = csv.writer(pairs_file, lineterminator="\n")
            w.writerow(("record_id_l", "record_id_r", "score", "explanation"))
            for a, b, _, joined in linkage.pairs():
                # The full comparison: for pairs of one valid number, clustering
                # needed only a lower bound of the score (see decision_score).
                comparison = table.compare(a, b)
                explanation = comparison.explain()
                if not joined:
                    explanation += "; cluster=refused(different valid id_number)"
                w.writerow((record_id[a], record_id[b], f"{comparison.score:.2f}", explanation))
        writer.commit()
    except BaseException:
        writer.discard()
        raise
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ybss.linkage", description="记录链接：找出同一人的重复记录（不需要 Django）"
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        run_persons(args.input, args.out, pairs_path=args.pairs, threshold=args.threshold)
    except LinkageInputError as exc:
        sys.stderr.write(f"错误：{exc.message}\n")
        return 1
    except OSError as exc:
        sys.stderr.write(f"错误：{exc.strerror or exc}：{exc.filename or ''}\n")
        return 1
    return 0
