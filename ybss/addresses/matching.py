"""Matching free-text addresses against the standard address base with the engine.

Used by ``ybss address match`` and by the search box on the pages. An index is
built per division prefix from the in-use nodes (optionally limited to what a
user may see), and kept for the life of the matcher.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from ybss import addressing
from ybss.addressing.index import AddressIndex
from ybss.core.db import prefix_q

from .models import AddressNode, Kind, Status, ancestor_codes

# Address-base node kinds as element kinds of the engine.
ENGINE_KIND = {
    Kind.GROUP: "village_group",
    Kind.DOORPLATE: "road_no",
    Kind.COMPOUND: "poi",
    Kind.BUILDING: "building",
    Kind.UNIT: "unit",
    Kind.ROOM: "room",
}


def _node_elements(code: str, nodes: dict[str, tuple[str, str, str | None]]) -> dict[str, str]:
    """Engine elements of the node ``code`` from itself and its ancestors."""
    elements: dict[str, str] = {}
    for c in [*ancestor_codes(code), code]:
        node = nodes.get(c)
        if node is None:
            continue
        kind, key, road = node
        engine_kind = ENGINE_KIND[Kind(kind)]
        if engine_kind in elements:
            engine_kind = {"poi": "subpoi", "road_no": "subroad_no"}.get(engine_kind, engine_kind)
        elements[engine_kind] = key
        if road and "road" not in elements:
            elements["road"] = road
    return elements


class AddressMatcher:
    """Matches parsed addresses against the in-use nodes of the base, one county at a time."""

    def __init__(self, region: str | None, base: QuerySet[AddressNode] | None = None) -> None:
        self.region = region
        self.base = base if base is not None else AddressNode.objects.all()
        self.indexes: dict[str, tuple[AddressIndex, dict[str, str]]] = {}
        self._exact: dict[str, str | None] | None = None

    def _prefix(self, parsed: addressing.ParsedAddress) -> str:
        code = parsed.division_code or ""
        if len(code) >= 6:
            return code[:6]
        region = self.region or ""
        if region.startswith(code) or not code:
            return region
        return code

    def _index(self, prefix: str) -> tuple[AddressIndex, dict[str, str]]:
        found = self.indexes.get(prefix)
        if found is not None:
            return found
        rows = (
            self.base.filter(status=Status.IN_USE)
            .filter(prefix_q("code", prefix))
            .values_list("code", "kind", "norm_key", "road__norm_key", "division__code", "full_text")
        )
        nodes: dict[str, tuple[str, str, str | None]] = {}
        divisions: dict[str, str] = {}
        texts: dict[str, str] = {}
        for code, kind, key, road, division, full_text in rows.iterator(chunk_size=5000):
            nodes[code] = (kind, key, road)
            divisions[code] = division
            texts[code] = full_text
        index = AddressIndex(
            addressing.Candidate(code, divisions[code], _node_elements(code, nodes)) for code in nodes
        )
        self.indexes[prefix] = (index, texts)
        return index, texts

    def exact(self, text: str) -> str | None:
        """The code of the in-use node whose standard text is ``text`` (spaces aside), if any.

        Files exported from ybss or from systems that keep the standard text carry
        it verbatim; such a text names one node by construction, whatever the
        parser makes of its parts.
        """
        if self.region is None:
            return None
        if self._exact is None:
            _, texts = self._index(self.region)
            self._exact = {}
            for code, full_text in texts.items():
                key = "".join(full_text.split())
                # Two nodes with one text would be a data error; then neither is exact.
                self._exact[key] = None if key in self._exact else code
        return self._exact.get("".join(text.split()))

    def match(self, parsed: addressing.ParsedAddress) -> dict[str, Any]:
        index, texts = self._index(self._prefix(parsed))
        results = index.search(parsed, limit=5)
        best = results[0] if results and results[0].status != "no_match" else None
        return {
            "address_code": None if best is None else best.candidate_id,
            "status": results[0].status if results else "no_match",
            "confidence": results[0].score if results else 0.0,
            "candidates": [
                {"code": r.candidate_id, "full_text": texts.get(str(r.candidate_id), ""), "score": r.score}
                for r in results
            ],
        }
