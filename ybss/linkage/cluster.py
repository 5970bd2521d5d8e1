"""Pairs to clusters: union-find that refuses to join two different people's ID numbers.

Accepted pairs are joined strongest first. Every cluster carries the set of
valid ID numbers it may still be: one number once a record with a valid
number is in it, the repair candidates of a mistyped number, or anything when
no record has a number. Two clusters are joined only if some number fits
both, so two different valid numbers never end up in one cluster, while a
mistyped number may join the number it repairs to. (An officer who knows
better can still merge them in the registry.)

The result does not depend on the order of the input: pairs are taken by
score, ties broken by the records' ids, and both are properties of the pair.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# A cluster's constraint: 0 = no number known, a positive int = that one
# number, a frozenset = one of these numbers.
Constraint = int | frozenset[int]


class ConstrainedUnionFind:
    def __init__(self, n: int, numbers: array[int], candidates: dict[int, tuple[int, ...]]) -> None:
        self.parent = array("i", range(n))
        self.size = array("i", [1]) * n
        # Per root: the valid number (0 if none) …
        self.number = array("q", numbers)
        # … or, for roots whose number is only known up to repair candidates, the candidates.
        self.choices: dict[int, frozenset[int]] = {i: frozenset(c) for i, c in candidates.items()}
        self.refused = 0
        self._fresh = True

    def find(self, i: int) -> int:
        parent = self.parent
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    def join_groups(self, root_of: array[int], size: Mapping[int, int]) -> None:
        """Join every record ``i`` to ``root_of[i]`` (itself to stay alone), without checking.

        Only for a union-find nothing has been joined in yet, and groups of
        records with one valid number, each led by a record that leads
        itself: such joins can never be refused, and setting the parents in
        one go saves most of the cost of the commonest join there is.
        ``size`` counts the records of each root. The number of a record
        that is no longer a root is never read again.
        """
        if len(root_of) != len(self.parent) or not self._fresh:
            raise ValueError("join_groups() needs a fresh union-find and a root for every record")
        for root, k in size.items():
            if k > 1:
                self.size[root] = k
        self.parent = array("i", root_of)
        self._fresh = False

    def roots(self) -> array[int]:
        """The root of every record, found for all at once.

        Each pass replaces every parent by its parent's parent, in C; the
        trees are shallow (union by size), so a few passes reach the roots.
        """
        parent = self.parent
        while True:
            grand = array("i", map(parent.__getitem__, parent))
            if grand == parent:
                self.parent = parent
                return array("i", parent)
            parent = grand

    def constraint(self, root: int) -> Constraint:
        number = self.number[root]
        if number:
            return number
        return self.choices.get(root, 0)

    def union(self, a: int, b: int) -> bool:
        """Join the clusters of ``a`` and ``b`` unless their numbers conflict; False if refused."""
        self._fresh = False
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        merged = _meet(self.constraint(ra), self.constraint(rb))
        if merged is None:
            self.refused += 1
            return False
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        self.choices.pop(rb, None)
        self.number[rb] = 0
        if isinstance(merged, frozenset):
            self.number[ra] = 0
            self.choices[ra] = merged
        else:
            self.number[ra] = merged
            self.choices.pop(ra, None)
        return True


class LabelledUnionFind(ConstrainedUnionFind):
    """The number constraint of :class:`ConstrainedUnionFind`, and labels that must not differ.

    A label says what a record is in a way no typo is expected to change: a
    unit's head office or one of its branches, an address's door or room
    number. Each kind of label is one value per record, 0 when unknown; a
    cluster takes the non-zero value of any of its records, and two clusters
    with different non-zero values of one kind are never joined. After a
    refusal, :attr:`refused_by` names the label (or the number) that refused.
    """

    def __init__(
        self,
        n: int,
        numbers: array[int],
        candidates: dict[int, tuple[int, ...]],
        labels: Sequence[tuple[str, Sequence[int]]],
        *,
        number_name: str,
    ) -> None:
        super().__init__(n, numbers, candidates)
        self.label_names = [name for name, _ in labels]
        self.labels = [array("q", values) for _, values in labels]
        self.number_name = number_name
        self.refused_by = ""

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        for name, label in zip(self.label_names, self.labels, strict=True):
            x, y = label[ra], label[rb]
            if x and y and x != y:
                self.refused += 1
                self.refused_by = name
                return False
        if not super().union(ra, rb):
            self.refused_by = self.number_name
            return False
        root = self.find(ra)
        for label in self.labels:
            # Both non-zero means both equal: whichever root survived keeps the value.
            label[root] = label[ra] or label[rb]
        return True


def labels_agree(labels: Sequence[Sequence[int]], records: Iterable[int]) -> bool:
    """Whether ``records`` could all be one cluster as far as ``labels`` go (no kind with two values)."""
    members = list(records)
    for label in labels:
        seen = 0
        for i in members:
            value = label[i]
            if value:
                if seen and value != seen:
                    return False
                seen = value
    return True


def _meet(x: Constraint, y: Constraint) -> Constraint | None:
    """The numbers both constraints allow, or None when there are none."""
    if not x:
        return y
    if not y:
        return x
    if isinstance(x, int):
        if isinstance(y, int):
            return x if x == y else None
        return x if x in y else None
    if isinstance(y, int):
        return y if y in x else None
    both = x & y
    if not both:
        return None
    if len(both) == 1:
        return next(iter(both))
    return both


def cluster_pairs(
    n: int,
    pairs: Iterable[tuple[int, int]],
    numbers: array[int],
    candidates: dict[int, tuple[int, ...]],
) -> tuple[ConstrainedUnionFind, list[bool]]:
    """Join ``pairs`` in the order given (strongest first); also say which were refused."""
    uf = ConstrainedUnionFind(n, numbers, candidates)
    joined = [uf.union(a, b) for a, b in pairs]
    return uf, joined


class DuplicateRecordId(ValueError):
    """Two records share a record id; ``first`` and ``second`` are their numbers in input order."""

    def __init__(self, first: int, second: int, record_id: str) -> None:
        super().__init__(f"record_id {record_id!r} occurs twice")
        self.first, self.second, self.record_id = first, second, record_id


def check_unique_ids(record_id: Sequence[str]) -> None:
    """Raise :class:`DuplicateRecordId` for the first record id that occurs twice."""
    if len(set(record_id)) != len(record_id):
        seen_at: dict[str, int] = {}
        for i, rid in enumerate(record_id):
            if rid in seen_at:
                raise DuplicateRecordId(seen_at[rid], i, rid)
            seen_at[rid] = i


def representatives(roots: Sequence[int], record_id: Sequence[str], slots: int | None = None) -> array[int]:
    """For every record, the record with the smallest id among those of its root.

    ``roots[i]`` is the root of record ``i``, below ``slots`` (the number of
    records unless given): the cluster id of a record is then
    ``record_id[representative[i]]``, which does not depend on input order.
    """
    best = array("i", [-1]) * (len(roots) if slots is None else slots)
    for i, root in enumerate(roots):
        b = best[root]
        if b < 0 or record_id[i] < record_id[b]:
            best[root] = i
    return array("i", [best[root] for root in roots])


class Clusters:
    """The clusters of a linkage result that holds ``table.record_id`` and, per record, its
    ``representative`` (the record whose id names its cluster)."""

    table: Any
    representative: array[int]

    def cluster_id(self, i: int) -> str:
        return str(self.table.record_id[self.representative[i]])

    def clusters(self) -> list[list[str]]:
        """Every cluster as a sorted list of record ids (singletons included)."""
        groups: dict[int, list[str]] = {}
        for i, rep in enumerate(self.representative):
            groups.setdefault(rep, []).append(self.table.record_id[i])
        return sorted(sorted(g) for g in groups.values())
