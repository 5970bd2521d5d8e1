"""Keys and display names for address nodes, from the address engine.

The database enforces uniqueness on the normalized key, so 3号楼, 三栋, 3幢
and 3# under one compound are one building. The engine decides what is
"the same"; this module only adapts it to the node kinds of the base.
"""

from __future__ import annotations

import re

from ybss import addressing
from ybss.lib.text import InvalidName, clean_name

from .models import NUMBER_SUFFIX, Kind

_ENGINE_KIND = {
    Kind.GROUP: "village_group",
    Kind.DOORPLATE: "road_no",
    Kind.BUILDING: "building",
    Kind.UNIT: "unit",
    Kind.ROOM: "room",
}
_NUMBERISH = re.compile(r"^[0-9A-Za-z]+(?:[-附][0-9A-Za-z]+)*$")

LABELS = {
    Kind.GROUP: "组号",
    Kind.DOORPLATE: "门牌号",
    Kind.COMPOUND: "小区名称",
    Kind.BUILDING: "楼栋号",
    Kind.UNIT: "单元号",
    Kind.ROOM: "户室号",
}


def node_key(kind: str, raw: str) -> tuple[str, str]:
    """Return ``(norm_key, display_name)`` for what a user typed, or raise ``InvalidName``."""
    label = LABELS[Kind(kind)]
    text = clean_name(raw, label, max_length=60)
    if kind == Kind.COMPOUND:
        return addressing.normalize_name(text), text
    key = addressing.normalize_number(_ENGINE_KIND[Kind(kind)], text)
    if _NUMBERISH.match(key):
        suffix = NUMBER_SUFFIX[Kind(kind)]
        display = key.replace("附", f"{suffix}附") + suffix if kind == Kind.DOORPLATE else key + suffix
        return key.upper(), display
    # A named building (综合楼) or a room with a name: the key is the folded name.
    if kind in (Kind.BUILDING, Kind.ROOM):
        return addressing.normalize_name(text), text
    raise InvalidName(f"{label}应为数字，如 {_example(kind)}：{text}")


def road_key(raw: str) -> tuple[str, str]:
    text = clean_name(raw, "街路巷名称", max_length=60)
    return addressing.normalize_name(text), text


def search_terms(text: str) -> list[str]:
    """The query as the canonical text would spell it, one term per word typed."""
    terms = (addressing.normalize(word).replace(" ", "") for word in (text or "").split())
    return [t for t in terms if t][:8]


def _example(kind: str) -> str:
    return {Kind.GROUP: "5", Kind.DOORPLATE: "18", Kind.UNIT: "2"}.get(Kind(kind), "3")
