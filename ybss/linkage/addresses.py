"""Address linkage: which records name one standard address, and which only look alike.

Each address is parsed by the address engine (:func:`ybss.addressing.parse`)
into its division code and its elements (road, door number, compound,
building, unit, floor, room, village group …), each normalized: 12栋2单元302,
12-2-302 and 十二号楼二单元三〇二 are one key; full-width digits, traditional
characters and a province or city written or left out change nothing. That
key is an :class:`AddressKey`; the records with one key are one *node* of
:mod:`.core`, and nodes are compared element by element:

* a door, building, unit, floor or room number that differs (12号 and 13号,
  2-302 and 2-303), divisions that do not contain one another (the same road
  and number in two counties) and two different depths (a door plate and a
  room behind it) are never one address: these are the hard constraints;
* a road, compound or village name agrees exactly or by its sound (仁民路 for
  人民路); with neither, the numbers alone say little (every compound has a
  3栋2单元502), so the pair is marked ``anchor=missing``;
* an address that fits several addresses which cannot be one (人民路18号 with
  no county, in a file where two counties have one) is ``ambiguous`` and
  left alone, whichever of them it is.

Pure Python with no Django import, like the rest of :mod:`ybss.linkage`.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import NamedTuple

from ybss.addressing import parse
from ybss.addressing.normalize import normalize_name
from ybss.addressing.parser import KEY_KINDS
from ybss.lib import cn_numerals
from ybss.lib.divisions import normalize_code, successor_codes

from . import scoring as S
from .core import BlockKeys, Constraints, NodeLinkage, link_nodes
from .fields import name_pinyin
from .parallel import gc_paused, map_chunks
from .variants import TO_SIMPLIFIED

Progress = Callable[[str], None]
COLUMNS = ("record_id", "address", "division_code")
BLOCKING_KEYS = ("elements", "numbers")
DEFAULT_THRESHOLD = 12.0
# Below this many distinct texts a helper process costs more than it saves.
PARALLEL_MIN_TEXTS = 20_000

# Element kinds of an address's identity, shallowest first (floor is left out of
# keys: it is implied by the room number, and often omitted).
NAME_KINDS = ("community", "road", "subroad", "poi", "subpoi")
NUMBER_KINDS = ("village_group", "road_no", "subroad_no", "building", "unit", "floor", "room")
KEY_ORDER = ("community", *KEY_KINDS)
_ROAD_KINDS = frozenset({"road", "road_no", "subroad", "subroad_no"})
_POI_KINDS = frozenset({"poi", "subpoi"})
_RANK = {kind: k for k, kind in enumerate(KEY_ORDER)}

# Depth of an address: what the deepest element says it is. A door plate and a
# room behind it are two standard addresses however much else agrees.
LEVEL_NONE, LEVEL_AREA, LEVEL_DOOR, LEVEL_BUILDING, LEVEL_UNIT, LEVEL_FLOOR, LEVEL_ROOM = range(7)
LEVEL_NAMES = ("none", "area", "door", "building", "unit", "floor", "room")

# Weights in bits, per element: (exact, same sound, similar, different).
# A name agreeing exactly is as telling as a number; one of another sound is
# another road (人民路, 新民路), while a shared stem with another suffix
# (阳光小区, 阳光花园) is more often a neighbour than a typo. Another compound
# at the same door weighs most: a door plate has one compound behind it, so in
# one county the door still decides, but without one it is another county's.
NAME_WEIGHTS = {
    "community": (4.0, 3.0, -2.0, -6.0),
    "road": (6.0, 4.0, -2.0, -10.0),
    "subroad": (3.0, 2.0, -1.0, -4.0),
    "poi": (6.0, 4.0, -2.0, -15.0),
    "subpoi": (2.0, 1.0, -1.0, -3.0),
}
NUMBER_WEIGHTS = {
    "village_group": 3.0,
    "road_no": 6.0,
    "subroad_no": 3.0,
    "building": 4.0,
    "unit": 3.0,
    "floor": 1.0,
    "room": 6.0,
}
CONFLICT = -40.0  # never one address: also enforced when clustering
DIVISION_EXACT = 4.0  # for a county or deeper; a province or city alone weighs nothing
DIVISION_WITHIN = 2.0  # one names a part of the other's area (a county and a town in it)
OTHER_EXACT = 1.0  # what the parser could not place, agreeing
OTHER_DIFFERENT = -3.0
NO_ANCHOR = -15.0  # no road, compound or village name agrees: the numbers alone are every compound's
AMBIGUOUS = -30.0  # fits several addresses that cannot be one

# Chinese ordinals of village groups that the parser reads as a compound name
# (第三村民小组 → 3组): the copies of one village address need one key.
_GROUP_ORDINAL = re.compile(r"第([〇零一二两三四五六七八九十百]+)(?=村民小组|小组|组)")
_ROAD_SUFFIXES = ("大街", "大道", "胡同", "路", "街", "巷", "道", "弄")
_POI_SUFFIXES = ("小区", "花园", "家园", "公寓", "新村", "山庄", "大厦", "苑", "园", "城", "庭", "府", "居")


class AddressKey(NamedTuple):
    """An address as the engine understood it: what two spellings of one address share."""

    division: str  # the division code, as deep as known ("" unknown)
    elements: tuple[tuple[str, str], ...]  # (kind, normalized value) in KEY_ORDER
    other: str  # text the parser could not place, normalized ("" none)
    level: int

    def get(self, kind: str) -> str:
        for k, v in self.elements:
            if k == kind:
                return v
        return ""

    def sub_key(self, drop: frozenset[str] = frozenset()) -> str:
        """The elements without the division (and floor, and any kind in ``drop``), as text."""
        return "|".join(f"{k}={v}" for k, v in self.elements if k != "floor" and k not in drop)


EMPTY_KEY = AddressKey("", (), "", LEVEL_NONE)


def _level(kinds: Iterable[str]) -> int:
    present = set(kinds)
    if "room" in present:
        return LEVEL_ROOM
    if "floor" in present:
        return LEVEL_FLOOR
    if "unit" in present:
        return LEVEL_UNIT
    if "building" in present:
        return LEVEL_BUILDING
    if present & {"road_no", "subroad_no", "poi", "subpoi"}:
        return LEVEL_DOOR
    return LEVEL_AREA if present else LEVEL_NONE


def _ordinal(match: re.Match[str]) -> str:
    value = cn_numerals.to_int(match.group(1))
    return str(value) if value else match.group(0)


class Parsed(NamedTuple):
    """What one parse says, before the record's own division code is taken into account."""

    division: str
    candidates: tuple[str, ...]  # when the division named is ambiguous
    from_region: bool
    elements: tuple[tuple[str, str], ...]
    other: str


def parse_address(text: str, region: str | None = None) -> Parsed:
    """Parse one address text into the parts an :class:`AddressKey` is made of."""
    # The name characters' table on top of the engine's own: 騰 and 髮 are written in addresses too.
    text = text.strip().translate(TO_SIMPLIFIED)
    if not text:
        return Parsed("", (), False, (), "")
    if "第" in text:
        text = _GROUP_ORDINAL.sub(_ordinal, text)
    parsed = parse(text, region)
    found: dict[str, str] = {}
    other: list[str] = []
    for el in parsed.elements:
        kind, value = el.kind, el.value
        if kind == "other":
            piece = normalize_name(el.raw)
            if piece:
                other.append(piece)
        elif value and kind in _RANK and kind not in found:
            found[kind] = value
    elements = tuple(sorted(found.items(), key=lambda kv: _RANK[kv[0]]))
    candidates = tuple(c.code for c in parsed.candidates) if parsed.ambiguous else ()
    return Parsed(
        parsed.division_code or "", candidates, parsed.division_from_region, elements, "".join(other)
    )


def _compatible(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


def _deeper(a: str, b: str) -> str:
    return a if len(a) >= len(b) else b


def clean_division_code(raw: str) -> str:
    """A division code as given in a file, at its natural length, current; "" when it is not one."""
    raw = raw.strip()
    if not raw:
        return ""
    try:
        code = normalize_code(raw)
    except ValueError:
        return ""
    if len(code) >= 6:
        # An abolished county's code stands for its successor, as the parser reads names.
        current = successor_codes(code[:6])
        if current and current[0] != code[:6]:
            code = current[0] + code[6:]
    return code


def address_key(parsed: Parsed, hint: str = "") -> AddressKey:
    """The key of a parsed address, its division completed or chosen by the record's division code ``hint``.

    The text decides where it names a division; the code fills in what the
    text leaves out or leaves open (东关村 in several townships), and a code
    that contradicts the text is ignored: the text is what somebody wrote
    about this address, the code may be the registering station's.
    """
    division = parsed.division
    if hint:
        if parsed.candidates:
            fits = [c for c in parsed.candidates if _compatible(c, hint)]
            if len(fits) == 1:
                division = fits[0]
        if not division or _compatible(division, hint):
            division = _deeper(division, hint)
    elements = parsed.elements
    return AddressKey(division, elements, parsed.other, _level(k for k, _ in elements))


@lru_cache(maxsize=1 << 16)
def _sound(name: str) -> str:
    return name_pinyin(name)


def _stem(name: str, suffixes: tuple[str, ...]) -> str:
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def name_level(kind: str, a: str, b: str) -> int:
    """How two values of a name element compare: exact, same sound, same stem (similar) or different."""
    if a == b:
        return S.EXACT
    if len(a) == len(b) and _sound(a) == _sound(b):
        return S.PINYIN
    suffixes = _ROAD_SUFFIXES if kind in ("road", "subroad") else _POI_SUFFIXES
    if _stem(a, suffixes) == _stem(b, suffixes) and len(_stem(a, suffixes)) >= 2:
        return S.SIMILAR
    return S.DIFFERENT


_NAME_LEVEL_INDEX = {S.EXACT: 0, S.PINYIN: 1, S.SIMILAR: 2, S.DIFFERENT: 3}


def compare_keys(
    a: AddressKey, b: AddressKey, out: list[S.FieldComparison] | None = None, *, ambiguous: bool = False
) -> float:
    """The score of two address keys; with ``out``, every element's level and weight is appended to it.

    Elements neither address has are left out of the explanation; one that
    only one has is ``missing``.
    """
    FC = S.FieldComparison
    score = 0.0
    # Division.
    da, db = a.division, b.division
    if not da or not db:
        level, w = S.MISSING, 0.0
    elif da == db:
        level, w = S.EXACT, DIVISION_EXACT if len(da) >= 6 else 0.0
    elif _compatible(da, db):
        # A province or city (the deployment's region, mostly) says little of where a door is.
        level, w = S.WITHIN, DIVISION_WITHIN if min(len(da), len(db)) >= 6 else 0.0
    else:
        level, w = S.CONFLICT, CONFLICT
    score += w
    if out is not None:
        out.append(FC("division", level, w))
    anchored = len(da) == 12 and da == db  # one village or community, by its code
    ea, eb = dict(a.elements), dict(b.elements)
    for kind in KEY_ORDER:
        va, vb = ea.get(kind, ""), eb.get(kind, "")
        if not va and not vb:
            continue
        if not va or not vb:
            level, w = S.MISSING, 0.0
        elif kind in NAME_WEIGHTS:
            level = name_level(kind, va, vb)
            w = NAME_WEIGHTS[kind][_NAME_LEVEL_INDEX[level]]
            if level in (S.EXACT, S.PINYIN) and kind != "subpoi":
                anchored = True
        elif va == vb:
            level, w = S.EXACT, NUMBER_WEIGHTS[kind]
        else:
            level, w = S.CONFLICT, CONFLICT
        score += w
        if out is not None:
            out.append(FC(kind, level, w))
    # Depth.
    level, w = (S.EXACT, 0.0) if a.level == b.level else (S.CONFLICT, CONFLICT)
    score += w
    if out is not None:
        out.append(FC("level", level, w))
    if a.other or b.other:
        if not a.other or not b.other:
            level, w = S.MISSING, 0.0
        elif a.other == b.other:
            level, w = S.EXACT, OTHER_EXACT
        else:
            level, w = S.DIFFERENT, OTHER_DIFFERENT
        score += w
        if out is not None:
            out.append(FC("other", level, w))
    if not anchored:
        score += NO_ANCHOR
        if out is not None:
            out.append(FC("anchor", S.MISSING, NO_ANCHOR))
    if ambiguous:
        score += AMBIGUOUS
        if out is not None:
            out.append(FC("ambiguity", S.AMBIGUOUS, AMBIGUOUS))
    return score


def address_relation(a: AddressKey, b: AddressKey) -> int:
    """One level for two addresses as a whole (for units): exact, within (one leaves parts out), different.

    ``EXACT`` for the same elements in divisions that contain one another;
    ``WITHIN`` when nothing disagrees, a road, compound or village name is
    shared and one has elements the other lacks (a door plate and a room
    behind it: a unit's address is where it is, and a record may give only the
    door), or a name is spelt by its sound; ``DIFFERENT`` otherwise (another
    division, number or name, or nothing in common); ``MISSING`` when either
    has none.
    """
    if not a.elements or not b.elements:
        return S.MISSING
    if a.division and b.division and not _compatible(a.division, b.division):
        return S.DIFFERENT
    ea, eb = dict(a.elements), dict(b.elements)
    if ea == eb:
        return S.EXACT
    common = ea.keys() & eb.keys()
    # One must leave out parts of the other, and they must share a name: 3栋2单元502 is in
    # every compound.
    if (common != ea.keys() and common != eb.keys()) or not common & NAME_WEIGHTS.keys():
        return S.DIFFERENT
    for kind in common:
        va, vb = ea[kind], eb[kind]
        if va != vb and (kind not in NAME_WEIGHTS or name_level(kind, va, vb) != S.PINYIN):
            return S.DIFFERENT
    return S.WITHIN


class AddressKeys:
    """Interned address keys: each distinct text is parsed once (in two processes when there are many)."""

    def __init__(self, region: str | None = None) -> None:
        self.region = region
        self.keys: list[AddressKey] = [EMPTY_KEY]
        self._ids: dict[AddressKey, int] = {EMPTY_KEY: 0}

    def __len__(self) -> int:
        return len(self.keys)

    def ids(
        self,
        texts: Sequence[str],
        hints: Sequence[str],
        *,
        processes: int = 1,
        progress: Progress | None = None,
    ) -> array[int]:
        """The key id of every (text, division code) pair; each distinct text is parsed once.

        Callers pass distinct pairs: the key of a pair is worked out each time it is given.
        """
        parsed: dict[str, Parsed] = {}
        todo = list(dict.fromkeys(texts))
        if todo:
            region = self.region
            # Built before forking, so that the helper shares it instead of building its own.
            parse("河北省", region)
            chunk = 2048
            chunks = -(-len(todo) // chunk)

            def work(k: int) -> list[Parsed]:
                return [parse_address(t, region) for t in todo[k * chunk : (k + 1) * chunk]]

            if progress is not None:
                progress(f"解析地址：{len(todo):,} 个不同的地址文本")
            with gc_paused():
                results = map_chunks(work, chunks, processes if len(todo) >= PARALLEL_MIN_TEXTS else 1)
            # Copies of one element ((unit, 2), (road, 人民路)) and of whole element lists are
            # shared: each parse brought its own, and a million keys hold several million.
            pairs: dict[tuple[str, str], tuple[str, str]] = {}
            lists: dict[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]] = {}
            for k, part in enumerate(results):
                for text, one in zip(todo[k * chunk : (k + 1) * chunk], part, strict=True):
                    elements = tuple([pairs.setdefault(e, e) for e in one.elements])
                    parsed[text] = one._replace(elements=lists.setdefault(elements, elements))
                part.clear()
            del results, pairs, lists
        out = array("i")
        key_ids, keys = self._ids, self.keys
        for text, hint in zip(texts, hints, strict=True):
            key = address_key(parsed[text], hint)
            found = key_ids.get(key)
            if found is None:
                found = key_ids[key] = len(keys)
                keys.append(key)
            out.append(found)
        return out


class AddressTable:
    """Address records, one :class:`AddressKey` node per distinct address; see the module docstring."""

    blocking_keys: tuple[str, ...] = BLOCKING_KEYS

    def __init__(self, *, region: str | None = None) -> None:
        self.region = region
        self.record_id: list[str] = []
        self.node_of = array("i")
        self._pairs: dict[tuple[str, str], int] = {}
        self._pair_of = array("i")
        self.invalid_codes = 0  # division codes that are not one, ignored
        self.first_invalid_code = -1
        self.keys = AddressKeys(region)
        self._frozen = False
        self.ambiguous = bytearray()
        self._labels: list[tuple[str, array[int]]] = []
        self._node_keys: list[BlockKeys] = []

    def __len__(self) -> int:
        return len(self.record_id)

    def extend_columns(self, record_id: list[str], address: list[str], division_code: list[str]) -> None:
        """Add records given column by column; they are parsed when the table is frozen."""
        if self._frozen:
            raise RuntimeError("AddressTable.freeze() was called: no more records can be added")
        if not (len(record_id) == len(address) == len(division_code)):
            raise ValueError("all columns must have one value per record")
        codes: dict[str, str] = {}
        for raw in dict.fromkeys(division_code):
            codes[raw] = clean_division_code(raw)
            if raw.strip() and not codes[raw]:
                if self.first_invalid_code < 0:
                    self.first_invalid_code = len(self.record_id) + division_code.index(raw)
                self.invalid_codes += division_code.count(raw)
        self.record_id += record_id
        # Each (text, code) is kept once: copies share them; a record keeps its number.
        pairs = self._pairs
        given = list(zip(address, map(codes.__getitem__, division_code), strict=True))
        for pair in dict.fromkeys(given):
            if pair not in pairs:
                pairs[pair] = len(pairs)
        self._pair_of += array("i", map(pairs.__getitem__, given))

    def notes(self, lines: Sequence[int]) -> list[str]:
        """What the reader should know: division codes that are not one (by the line of each record)."""
        if not self.invalid_codes:
            return []
        first = lines[self.first_invalid_code]
        return [f"{self.invalid_codes:,} 行的 division_code 不是区划代码，已忽略（第一处在第 {first} 行）"]

    def add(self, record_id: str, address: str, division_code: str = "") -> int:
        self.extend_columns([record_id], [address], [division_code])
        return len(self.record_id) - 1

    def node_count(self) -> int:
        return len(self.keys)

    def freeze(self, *, processes: int = 1, progress: Progress | None = None) -> None:
        """Parse every distinct address, then work out the constraints, blocking keys and ambiguity."""
        if self._frozen:
            return
        self._frozen = True
        pairs, pair_of = list(self._pairs), self._pair_of
        self._pairs, self._pair_of = {}, array("i")
        key_of = self.keys.ids(
            [t for t, _ in pairs], [h for _, h in pairs], processes=processes, progress=progress
        )
        del pairs
        self.node_of = array("i", map(key_of.__getitem__, pair_of))
        keys = self.keys.keys
        self._labels = _labels(keys)
        self._node_keys, own = _blocking(keys)
        self.ambiguous = _ambiguity(own, self._node_keys[0], self._labels)

    def node_keys(self, kind: int) -> BlockKeys:
        return self._node_keys[kind]

    def probes(self, kind: int) -> bytearray | None:
        return None

    def constraints(self) -> Constraints:
        return "", array("q", [0]) * len(self.keys), {}, list(self._labels)

    def score_nodes(self, a: int, b: int) -> float:
        keys = self.keys.keys
        return compare_keys(keys[a], keys[b], ambiguous=bool(self.ambiguous[a] or self.ambiguous[b]))

    def compare_nodes(self, a: int, b: int) -> S.Comparison:
        keys = self.keys.keys
        out: list[S.FieldComparison] = []
        score = compare_keys(keys[a], keys[b], out, ambiguous=bool(self.ambiguous[a] or self.ambiguous[b]))
        return S.Comparison(score, tuple(out))

    def compare(self, i: int, j: int) -> S.Comparison:
        """The full comparison of records ``i`` and ``j``."""
        self.freeze()
        return self.compare_nodes(self.node_of[i], self.node_of[j])


_DIVISION_LENGTHS = (2, 4, 6, 9, 12)


def _labels(keys: Sequence[AddressKey]) -> list[tuple[str, array[int]]]:
    """The hard constraints per node: the division at each level, every number, and the depth."""
    labels: list[tuple[str, array[int]]] = []
    for length in _DIVISION_LENGTHS:
        values = [int(k.division[:length]) if len(k.division) >= length else 0 for k in keys]
        labels.append(("division", array("q", values)))
    for kind in NUMBER_KINDS:
        ids: dict[str, int] = {"": 0}
        labels.append((kind, array("q", [ids.setdefault(k.get(kind), len(ids)) for k in keys])))
    labels.append(("level", array("q", [k.level for k in keys])))
    return labels


def _blocking(keys: Sequence[AddressKey]) -> tuple[list[BlockKeys], array[int]]:
    """Per node, its keys of each blocking key as interned integers, and the id of its own elements.

    ``elements`` is the key without the division; a node that has both a road
    and a compound also gives it without the road and without the compound, so
    that a copy leaving one out meets it. ``numbers`` is the county with every
    number, so that a copy with a misspelt name meets it. A node that names
    no door has neither (its own elements id is -1).
    """
    element_ids: dict[str, int] = {}
    number_ids: dict[str, int] = {}
    elements: list[tuple[int, ...]] = []
    numbers: list[tuple[int, ...]] = []
    own = array("i")
    for key in keys:
        if key.level < LEVEL_DOOR:
            elements.append(())
            numbers.append(())
            own.append(-1)
            continue
        kinds = {k for k, _ in key.elements}
        full = key.sub_key()
        texts = {full}
        if kinds & _ROAD_KINDS and kinds & _POI_KINDS:
            texts.add(key.sub_key(_ROAD_KINDS))
            texts.add(key.sub_key(_POI_KINDS))
        elements.append(tuple(sorted(element_ids.setdefault(t, len(element_ids)) for t in texts)))
        own.append(element_ids[full])
        county = key.division[:6]
        digits = "/".join(f"{k}={v}" for k, v in key.elements if k in NUMBER_KINDS and k != "floor")
        if len(county) == 6 and digits:
            numbers.append((number_ids.setdefault(f"{county}|{digits}", len(number_ids)),))
        else:
            numbers.append(())
    return [BlockKeys(elements), BlockKeys(numbers)], own


def _ambiguity(
    own: Sequence[int], element_keys: Sequence[tuple[int, ...]], labels: list[tuple[str, array[int]]]
) -> bytearray:
    """Per node, whether it fits two or more addresses that cannot be one.

    The addresses a node may be are those that give its own elements among
    their ``elements`` keys (the same elements, or more) and whose hard
    constraints allow it; when two of them cannot be one (another county,
    another door number) the node could be either. Set-based, so it does
    not depend on input order.
    """
    columns = [values for _, values in labels]
    holders: dict[int, list[int]] = {}
    for a, node_keys in enumerate(element_keys):
        for k in node_keys:
            holders.setdefault(k, []).append(a)
    out = bytearray(len(own))
    for a, k in enumerate(own):
        if k < 0:
            continue
        group = holders[k]
        if len(group) < 3:
            continue  # the node itself and at most one other
        meet = [col[a] for col in columns]
        for c in group:
            if c == a or not _fits(columns, a, c):
                continue  # not one it may be
            for m, col in enumerate(columns):
                value = col[c]
                if value:
                    if not meet[m]:
                        meet[m] = value
                    elif meet[m] != value:
                        out[a] = 1
                        break
            if out[a]:
                break
    return out


def _fits(columns: Sequence[Sequence[int]], a: int, c: int) -> bool:
    for col in columns:
        x, y = col[a], col[c]
        if x and y and x != y:
            return False
    return True


def build_table(rows: Iterable[Sequence[str]], *, region: str | None = None) -> AddressTable:
    """A table from rows of (record_id, address[, division_code])."""
    table = AddressTable(region=region)
    for row in rows:
        table.add(*row)
    table.freeze()
    return table


def link(
    table: AddressTable,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    progress: Progress | None = None,
    keep_pairs: bool = True,
    processes: int = 1,
) -> NodeLinkage:
    """Block, compare and cluster the addresses of ``table``."""
    quiet: Progress = lambda _: None  # noqa: E731
    return link_nodes(
        table, threshold=threshold, progress=progress or quiet, keep_pairs=keep_pairs, processes=processes
    )
