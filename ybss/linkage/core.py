"""Linking records held as distinct prepared values: the engine of units and addresses.

Units and addresses repeat far more than people do: the same door plate in
a hundred sources, the same company in every campaign. Their tables
(:mod:`.units`, :mod:`.addresses`) prepare each record into a *node*, one
per distinct prepared value, and this module links nodes:

1. a node whose records, compared with each other, do not reach the
   threshold is not linked at all (its records stay apart: an address that
   names no door, a unit known by a common name alone). Every comparison is
   at most a node's comparison with itself (agreeing fields weigh most when
   equal, and missing fields nothing), so such a node could not reach the
   threshold with anything else either;
2. **block**: nodes sharing a key of one of the table's blocking keys become
   candidate pairs; a pair met through an earlier key is not taken again, and
   blocks larger than :data:`MAX_BLOCK` are skipped and counted;
3. **compare** the candidate pairs (in a forked helper as well when there are
   many) and keep those reaching the threshold;
4. **cluster** them strongest first (ties by the records' ids) with the
   table's hard constraints (:class:`~.cluster.LabelledUnionFind`).

The result names a cluster by the smallest record id in it, as for persons.
"""

from __future__ import annotations

import operator
import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, overload

from . import scoring as S
from .cluster import Clusters, LabelledUnionFind, check_unique_ids, representatives
from .parallel import gc_paused, map_chunks

Progress = Callable[[str], None]
# The name of the number constraint, each node's number (0 none) and repair
# candidates, and the labels (see LabelledUnionFind).
Constraints = tuple[str, "array[int]", dict[int, tuple[int, ...]], list[tuple[str, Sequence[int]]]]

MAX_BLOCK = 200
SCORE_CHUNK = 4096
# Below this many pairs the helper process costs more than it saves.
PARALLEL_MIN_PAIRS = 200_000


def _quiet(_: str) -> None:
    pass


class BlockKeys(Sequence[tuple[int, ...]]):
    """Each node's keys of one blocking key (non-negative integers), kept compactly.

    Most nodes have one key or none: those are an array (-1 for none), and the
    few with several (a mistyped credit code's candidates) a dictionary. A
    tuple per node would cost several times the memory at a million nodes.
    """

    __slots__ = ("first", "more")

    def __init__(self, keys: Iterable[tuple[int, ...]]) -> None:
        self.first = array("q")
        self.more: dict[int, tuple[int, ...]] = {}
        append = self.first.append
        for a, node_keys in enumerate(keys):
            if len(node_keys) == 1:
                append(node_keys[0])
            else:
                append(-1)
                if node_keys:
                    self.more[a] = node_keys

    def __len__(self) -> int:
        return len(self.first)

    @overload
    def __getitem__(self, a: int) -> tuple[int, ...]: ...

    @overload
    def __getitem__(self, a: slice) -> Sequence[tuple[int, ...]]: ...

    def __getitem__(self, a: int | slice) -> tuple[int, ...] | Sequence[tuple[int, ...]]:
        if isinstance(a, slice):
            return [self[k] for k in range(*a.indices(len(self)))]
        key = self.first[a]
        if key >= 0:
            return (key,)
        return self.more.get(a % len(self.first), ())


class NodeTable(Protocol):
    """What :func:`link_nodes` needs from a table of one kind of record."""

    # Names of the blocking keys, in the order they are used.
    blocking_keys: tuple[str, ...]
    record_id: list[str]
    # Per record, its node.
    node_of: array[int]

    def __len__(self) -> int: ...

    def freeze(self, *, processes: int = 1, progress: Progress | None = None) -> None:
        """Finish preparing (idempotent); ``processes`` may share the work."""
        ...

    def node_count(self) -> int: ...

    def node_keys(self, kind: int) -> BlockKeys:
        """Per node, its keys of blocking key ``kind`` (integers; none for a node without one)."""
        ...

    def probes(self, kind: int) -> bytearray | None:
        """For a key whose pairs matter only when one side is a *probe*: which nodes are; else None."""
        ...

    def score_nodes(self, a: int, b: int) -> float: ...

    def compare_nodes(self, a: int, b: int) -> S.Comparison: ...

    def constraints(self) -> Constraints:
        """The number constraint's name, each node's number and repair candidates, and the labels."""
        ...


@dataclass
class NodeLinkage(Clusters):
    """What :func:`link_nodes` found: a cluster for every record and the pairs behind them."""

    table: NodeTable
    threshold: float
    # Per record, the record whose id names its cluster (the smallest id in it).
    representative: array[int]
    # Accepted pairs, as records (left has the smaller id), when asked to keep them;
    # refused_by is "" for a joined pair, else what refused it.
    pair_left: array[int] = field(default_factory=lambda: array("i"))
    pair_right: array[int] = field(default_factory=lambda: array("i"))
    pair_score: array[float] = field(default_factory=lambda: array("d"))
    pair_refused_by: list[str] = field(default_factory=list)
    stats: dict[str, float] = field(default_factory=dict)

    def pairs(self) -> Iterator[tuple[int, int, float, str]]:
        """``(left, right, score, refused_by)`` for every kept pair; ``refused_by`` is "" when joined."""
        for k in range(len(self.pair_left)):
            yield self.pair_left[k], self.pair_right[k], self.pair_score[k], self.pair_refused_by[k]

    def explain(self, left: int, right: int) -> S.Comparison:
        node_of = self.table.node_of
        return self.table.compare_nodes(node_of[left], node_of[right])


def link_nodes(
    table: NodeTable,
    *,
    threshold: float,
    progress: Progress = _quiet,
    keep_pairs: bool = True,
    processes: int = 1,
) -> NodeLinkage:
    """Block, compare and cluster the nodes of ``table`` (see the module docstring).

    Raises :class:`~.cluster.DuplicateRecordId` if two records share an id.
    With ``processes`` above 1 the comparing is shared with a forked helper;
    the result is the same.
    """
    with gc_paused():
        return _link(table, threshold, progress, keep_pairs, processes)


def _link(
    table: NodeTable, threshold: float, progress: Progress, keep_pairs: bool, processes: int
) -> NodeLinkage:
    started = time.perf_counter()
    table.freeze(processes=processes, progress=progress)
    record_id = table.record_id
    check_unique_ids(record_id)
    n, m = len(table), table.node_count()
    node_of = table.node_of
    stats: dict[str, float] = {"records": n, "distinct": m}

    # The record with the smallest id of each node: it stands for the node in
    # PAIRS.csv and breaks ties, so neither depends on input order.
    first = array("i", [-1]) * m
    copies = array("i", [0]) * m
    for i, node in enumerate(node_of):
        f = first[node]
        if f < 0 or record_id[i] < record_id[f]:
            first[node] = i
        copies[node] += 1
    own = array("d", [table.score_nodes(a, a) for a in range(m)])
    linkable = bytearray(s >= threshold for s in own)
    alone = sum(copies[a] for a in range(m) if not linkable[a])
    stats["unlinkable_records"] = alone
    progress(f"{n:,} 条记录归为 {m:,} 个不同的值；{alone:,} 条记录信息不足以判断，不参与链接")

    left, right, oversized = _candidate_pairs(table, linkable, progress)
    stats["oversized_blocks"] = sum(oversized)
    stats["candidate_pairs"] = len(left)
    scores = _score(table, left, right, processes if len(left) >= PARALLEL_MIN_PAIRS else 1)
    kept = [k for k, s in enumerate(scores) if s >= threshold]
    stats["accepted_pairs"] = len(kept)
    progress(f"比较完成：{len(left):,} 个候选对中 {len(kept):,} 个达到阈值")

    number_name, numbers, candidates, labels = table.constraints()
    uf = LabelledUnionFind(m, numbers, candidates, labels, number_name=number_name)
    linkage = NodeLinkage(table, threshold, array("i"))
    if keep_pairs:
        # Copies of one node are one thing: each is listed with the node's first record.
        for i, node in enumerate(node_of):
            f = first[node]
            if f != i and linkable[node]:
                a, b = (f, i) if record_id[f] < record_id[i] else (i, f)
                linkage.pair_left.append(a)
                linkage.pair_right.append(b)
                linkage.pair_score.append(own[node])
                linkage.pair_refused_by.append("")
    # Strongest first; ties by the two records' ids, the smaller first: the node
    # numbers (and so which of a pair is left) follow the input order, the ids do not.
    ordered: list[tuple[float, str, str, int, int]] = []
    for k in kept:
        a, b = left[k], right[k]
        ia, ib = record_id[first[a]], record_id[first[b]]
        ordered.append((-scores[k], ia, ib, a, b) if ia < ib else (-scores[k], ib, ia, a, b))
    ordered.sort()
    union = uf.union
    for negative, _, _, a, b in ordered:
        joined = union(a, b)
        if keep_pairs:
            fa, fb = first[a], first[b]
            if record_id[fb] < record_id[fa]:
                fa, fb = fb, fa
            linkage.pair_left.append(fa)
            linkage.pair_right.append(fb)
            linkage.pair_score.append(-negative)
            linkage.pair_refused_by.append("" if joined else uf.refused_by)
    stats["refused_pairs"] = uf.refused

    node_roots = uf.roots()
    # Records of a node that is not linked each get a slot of their own after the nodes'.
    roots = array("i", [node_roots[node] if linkable[node] else m + i for i, node in enumerate(node_of)])
    linkage.representative = representatives(roots, record_id, m + n)
    stats["clusters"] = sum(map(operator.eq, linkage.representative, range(n)))
    stats["seconds"] = time.perf_counter() - started
    linkage.stats = stats
    progress(
        f"聚类完成：{n:,} 条记录归入 {int(stats['clusters']):,} 个聚类，因硬约束拒绝合并 {uf.refused:,} 对"
    )
    return linkage


def _candidate_pairs(
    table: NodeTable, linkable: bytearray, progress: Progress
) -> tuple[array[int], array[int], list[int]]:
    """The node pairs sharing a blocking key, each once; and how many blocks of each key were too big.

    A pair is taken with the first key (in the table's order) and the
    smallest key value of that kind it shares; that is what the checks
    against earlier and smaller keys below make sure of.
    """
    left, right = array("i"), array("i")
    names = table.blocking_keys
    keys_of: list[BlockKeys] = []
    too_big: list[set[int]] = []
    oversized: list[int] = []
    for kind, name in enumerate(names):
        keys = table.node_keys(kind)
        probes = table.probes(kind)
        groups: dict[int, list[int]] = {}
        for a, node_keys in enumerate(keys):
            if node_keys and linkable[a]:
                for key in node_keys:
                    group = groups.get(key)
                    if group is None:
                        groups[key] = [a]
                    else:
                        group.append(a)
        big = {key for key, group in groups.items() if len(group) > MAX_BLOCK}
        before = len(left)
        for key, group in groups.items():
            size = len(group)
            if size < 2 or key in big:
                continue
            for x in range(size - 1):
                a = group[x]
                ka = keys[a]
                for y in range(x + 1, size):
                    b = group[y]
                    if probes is not None and not (probes[a] or probes[b]):
                        continue
                    if len(ka) > 1 and min(set(ka).intersection(keys[b]) - big) != key:
                        continue
                    if keys_of and _shared_earlier(keys_of, too_big, a, b):
                        continue
                    left.append(a)
                    right.append(b)
        keys_of.append(keys)
        too_big.append(big)
        oversized.append(len(big))
        progress(
            f"分块键 {name}：新增候选对 {len(left) - before:,}，累计 {len(left):,}，超大块 {len(big):,} 个"
        )
    return left, right, oversized


def _shared_earlier(keys_of: list[BlockKeys], too_big: list[set[int]], a: int, b: int) -> bool:
    for keys, big in zip(keys_of, too_big, strict=True):
        first = keys.first
        x, y = first[a], first[b]
        if x >= 0 and y >= 0:
            # One key each, the common case: no sets.
            if x == y and x not in big:
                return True
            continue
        ka, kb = keys[a], keys[b]
        if ka and kb and (set(ka) & set(kb)) - big:
            return True
    return False


def _score(table: NodeTable, left: array[int], right: array[int], processes: int) -> array[float]:
    total = len(left)
    chunks = max(1, -(-total // SCORE_CHUNK))

    def work(k: int) -> array[float]:
        score = table.score_nodes
        end = min(total, (k + 1) * SCORE_CHUNK)
        return array("d", [score(left[x], right[x]) for x in range(k * SCORE_CHUNK, end)])

    scores = array("d")
    for part in map_chunks(work, chunks, processes):
        scores += part
    return scores


def field_level(
    a: int, b: int, exact: float, different: float, *, conflict: bool = False
) -> tuple[int, float]:
    """The level and weight of a field held as interned ids (0 = missing): equal or not."""
    if not a or not b:
        return S.MISSING, 0.0
    if a == b:
        return S.EXACT, exact
    return (S.CONFLICT if conflict else S.DIFFERENT), different
