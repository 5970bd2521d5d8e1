"""The pieces units and addresses share: labelled union-find, representatives, linking nodes."""

from __future__ import annotations

from array import array

import pytest

from ybss.linkage.cluster import (
    DuplicateRecordId,
    LabelledUnionFind,
    check_unique_ids,
    labels_agree,
    representatives,
)


def union_find(labels: list[tuple[str, list[int]]], numbers: list[int] | None = None) -> LabelledUnionFind:
    n = len(labels[0][1])
    return LabelledUnionFind(
        n,
        array("q", numbers or [0] * n),
        {},
        [(name, array("q", v)) for name, v in labels],
        number_name="number",
    )


def test_two_different_labels_are_never_joined_and_the_refusal_names_the_label():
    uf = union_find([("room", [1, 2, 0]), ("branch", [0, 0, 0])])
    assert not uf.union(0, 1)
    assert uf.refused == 1 and uf.refused_by == "room"
    assert uf.find(0) != uf.find(1)


def test_a_cluster_takes_the_label_of_any_member():
    # 2 has no room number; once it joins 0 (room 1) it may no longer join 1 (room 2).
    uf = union_find([("room", [1, 2, 0])])
    assert uf.union(2, 0)
    assert not uf.union(2, 1)
    assert uf.refused_by == "room"
    # Whichever record is the root, the value stays with the cluster.
    uf = union_find([("room", [0, 2, 1])])
    assert uf.union(0, 2) and not uf.union(1, 0)


def test_the_number_constraint_still_holds_and_is_named():
    uf = union_find([("room", [0, 0, 0])], numbers=[7, 8, 0])
    assert uf.union(0, 2)
    assert not uf.union(2, 1)
    assert uf.refused_by == "number"


def test_labels_agree():
    labels = [array("q", [1, 0, 2]), array("q", [5, 5, 0])]
    assert labels_agree(labels, [0, 1])
    assert labels_agree(labels, [1, 2])
    assert not labels_agree(labels, [0, 1, 2])


def test_representative_is_the_smallest_record_id_of_the_root():
    roots = [0, 0, 2, 0, 2]
    ids = ["d", "b", "e", "a", "c"]
    assert [ids[i] for i in representatives(roots, ids)] == ["a", "a", "c", "a", "c"]
    # Roots may lie beyond the records when slots says so.
    assert list(representatives([5, 5, 6], ["y", "x", "z"], 7)) == [1, 1, 2]


def test_duplicate_record_ids_are_named():
    check_unique_ids(["a", "b"])
    with pytest.raises(DuplicateRecordId) as caught:
        check_unique_ids(["a", "b", "c", "b"])
    assert (caught.value.first, caught.value.second, caught.value.record_id) == (1, 3, "b")
