"""Splitting an address into typed elements with spans in the original text."""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import cached_property
from itertools import islice
from typing import Any, cast

from .gazetteer import Gazetteer, _clean_region, _Memo, get_gazetteer, kind_for
from .normalize import Folded, normalize_name, normalize_number, prepare, unify

__all__ = [
    "DIVISION_KINDS",
    "ELEMENT_KINDS",
    "DivisionCandidate",
    "Element",
    "ParsedAddress",
    "parse",
]

DIVISION_KINDS = ("province", "city", "district", "devzone", "town", "community")
# Kinds that make up the identity of an address below the division, in key order.
KEY_KINDS = (
    "village_group",
    "road",
    "road_no",
    "subroad",
    "subroad_no",
    "poi",
    "subpoi",
    "building",
    "unit",
    "floor",
    "room",
)
ELEMENT_KINDS = (
    *DIVISION_KINDS,
    *KEY_KINDS,
    "other",
)
NUMBER_KINDS = frozenset({"village_group", "road_no", "subroad_no", "building", "unit", "floor", "room"})


@dataclass(frozen=True, slots=True)
class Element:
    """One part of an address.

    ``raw`` is exactly ``original[start:end]``; ``value`` is the normalized
    form used for keys and matching (a name folded by ``normalize_name``, a
    number by ``normalize_number``, a division by its standard short name).
    ``code`` is set on division elements that were resolved to one division.
    """

    kind: str
    value: str
    raw: str
    start: int
    end: int
    code: str | None = None


@dataclass(frozen=True, slots=True)
class DivisionCandidate:
    code: str
    name: str  # full path, e.g. 浙江省杭州市西湖区


@dataclass(frozen=True)
class ParsedAddress:
    """Result of :func:`parse`.

    ``division_code`` is the most specific division the address is known to be
    in, with missing parents filled in from the data (``division_path``). When
    the text names a division that exists in several places and neither the
    rest of the text nor the deployment region decides, ``ambiguous`` is true,
    ``candidates`` lists the possibilities and ``division_code`` is their
    deepest common ancestor (or ``None``).
    """

    text: str
    elements: tuple[Element, ...]
    division_code: str | None = None
    division_path: tuple[tuple[str, str], ...] = ()
    ambiguous: bool = False
    candidates: tuple[DivisionCandidate, ...] = ()
    division_from_region: bool = False
    warnings: tuple[str, ...] = field(default=())
    # The folded text with numbers converted; ``normalized`` is made from it
    # on first use, since most callers never look at it.
    prepared: str = field(default="", repr=False, compare=False)

    @cached_property
    def normalized(self) -> str:
        """``normalize(text)``."""
        return unify(self.prepared)

    def get(self, kind: str) -> Element | None:
        """First element of ``kind``, or ``None``."""
        for el in self.elements:
            if el.kind == kind:
                return el
        return None

    def value(self, kind: str) -> str | None:
        el = self.get(kind)
        return None if el is None else el.value

    @property
    def kinds(self) -> list[str]:
        return [el.kind for el in self.elements]

    @property
    def confidence(self) -> float:
        """How sure the parse is, in [0, 1].

        The share of the text's letters and digits that landed in a typed
        element (not "other"), lowered for an ambiguous or missing division
        and for each warning. 1.0 means every character is accounted for and
        the division is known.
        """
        letters = sum(1 for ch in self.text[:20_000] if ch.isalnum())
        if not letters:
            return 0.0
        covered = sum(sum(1 for ch in el.raw if ch.isalnum()) for el in self.elements if el.kind != "other")
        score = min(1.0, covered / letters)
        if self.ambiguous:
            score *= 0.7
        elif self.division_code is None:
            score *= 0.8
        elif self.division_from_region:
            score *= 0.95
        score *= 0.95 ** len(self.warnings)
        return round(score, 2)

    def as_dict(self) -> dict[str, Any]:
        """Plain-data form (for JSON APIs and logging)."""
        return {
            "text": self.text,
            "normalized": self.normalized,
            "division_code": self.division_code,
            "division_path": [list(p) for p in self.division_path],
            "ambiguous": self.ambiguous,
            "candidates": [{"code": c.code, "name": c.name} for c in self.candidates],
            "division_from_region": self.division_from_region,
            "warnings": list(self.warnings),
            "elements": [
                {
                    "kind": e.kind,
                    "value": e.value,
                    "raw": e.raw,
                    "start": e.start,
                    "end": e.end,
                    "code": e.code,
                }
                for e in self.elements
            ],
        }


# -- patterns ---------------------------------------------------------------
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff"
_SEPARATORS = frozenset(",.:;()!?/\\|*+=&^%$@ -")
_ROAD = re.compile(
    rf"(?:[A-Z\d]{{1,6}})?[{_CJK}]{{1,14}}?(?:大道|大街|路|街(?!道)|巷|胡同|(?<!街)道|公路|国道|省道)"
)
_NUMBERED_ROAD = re.compile(r"\d{1,3}号?(?:大街|大道|路|街(?!道)|巷)")
_ROAD_NO = re.compile(r"(\d+组)?\d+[A-Z]?(?:[-之]\d+)?号(?:院)?(?:附\d+号?)?(?!楼)")
_SEGMENT = re.compile(r"[东西南北中]?(?:[一二三四五六七八九十]{1,3}|\d{1,2})段|[东西南北中]段")
_PHASE = re.compile(r"(?:\d+|[A-Z])(?:期|区)(?![\u4e00-\u9fff])|\d+期")
_LANE = re.compile(r"\d+弄(?:支弄)?")
_GROUP = re.compile(r"(\d+)(?:村民小组|小组|组|队|社)(?!区|团)")
_COMPACT3 = re.compile(r"(\d{1,4}[A-Z]?)-(\d{1,2})-(\d{1,5}[A-Z]?)(?![\d\-])")
_COMPACT2 = re.compile(r"(\d{1,4}[A-Z]?)-(\d{1,5}[A-Z]?)(?![\d\-])")
_BUILDING = re.compile(r"第?(?:[A-Z]?\d+[A-Z]?|[A-Z])(?:号楼|栋楼|栋|幢|座|#|塔|舍)")
_BUILDING_HAO = re.compile(r"第?[A-Z]?\d+[A-Z]?号(?!楼|院)")
_UNIT = re.compile(r"第?(?:\d+|[A-Z])(?:单元|门|梯)")
_FLOOR = re.compile(r"(?:-?\d+|B\d+|负\d+|地下\d+)(?:层|楼)(?![栋号])|F\d+(?!\d)")
_BARE_NO = re.compile(r"\d+(?:-\d+)?")
_ROOM = re.compile(r"(?:[A-Z]?\d+[A-Z]?)(?:室|房|户|号)?")
_DEVZONE = re.compile(
    rf"[{_CJK}A-Z]{{2,14}}?(?:经济技术开发区|高新技术产业开发区|经济开发区|技术开发区|开发区|高新区|经开区|工业园区|产业园区|保税区|新区)"
)
_TOWN = re.compile(rf"[{_CJK}]{{1,8}}?(?:街道办事处|街道|镇|乡)(?![路街道巷])")
_COMMUNITY = re.compile(
    rf"[{_CJK}]{{1,10}}?(?:社区居委会|社区|居委会|村委会|(?<!新)村(?=\d+(?:组|队|社|号(?!楼))|$|,))"
)
_POI_RUN = re.compile(rf"[A-Z]{{0,8}}(?:(?!第\d)[{_CJK}])+")  # 第3栋 starts a number, not a name
# Words that end a compound or building name. Longer ones first so that the
# poi/subpoi split prefers 东部软件园 over 东部软件.
_POI_SUFFIXES = (
    "软件园", "科技园", "工业园", "产业园", "创业园", "小区", "花园", "家园", "公寓", "大厦", "广场",
    "中心", "大楼", "新村", "山庄", "别墅", "公馆", "商城", "市场", "学校", "医院", "公司", "宿舍",
    "基地", "园区", "名苑", "华府", "华庭", "苑", "园", "庭", "府", "城", "坊", "院", "馆", "阁", "轩",
    "湾", "郡", "邸", "寓", "居", "墅", "里",
)  # fmt: skip
_GENERIC_POI = frozenset({"小区", "花园", "家园", "公寓", "大厦", "广场", "新村", "大楼", "园区", "宿舍"})
_NOT_IN_NAMES = frozenset("路街巷号楼栋室弄")


# Each fallback pattern, with characters one of which its match must contain
# (its suffix word), within _FALLBACK_REACH characters of where it starts.
_FALLBACKS = (
    ("devzone", _DEVZONE, re.compile("区")),
    ("town", _TOWN, re.compile("[街镇乡]")),
    ("community", _COMMUNITY, re.compile("[社居村]")),
)
_FALLBACK_REACH = 24
_FALLBACK_MARKS = re.compile("[区街镇乡社居村]")


def _plain_name(name: str) -> bool:
    """Whether a regex-found division name is plausibly a name and not a road or house."""
    for suffix in ("街道办事处", "街道"):
        name = name.removesuffix(suffix)
    return not any(ch in _NOT_IN_NAMES for ch in name)


@dataclass(slots=True)
class _Div:
    start: int
    end: int
    codes: list[str]
    informal: bool
    preferred: str | None = None
    # An old name standing for several current divisions (莱芜市): its
    # element gets a code only if nothing more specific follows.
    vague: bool = False
    element: int = -1  # its index in _Parser.elements


# Each kind is one bit of ``_Parser.seen``: the parser asks "has any of these
# kinds been read?" dozens of times per address, and a mask test is far
# cheaper than a set lookup per kind. The eight kinds the tail of an address
# is tested for most get the low bits: a test among them gives an int below
# 256, which Python does not allocate.
_LOW_BITS = ("road", "road_no", "subroad", "poi", "building", "unit", "floor", "room")
_BIT = {
    kind: 1 << i for i, kind in enumerate((*_LOW_BITS, *(k for k in ELEMENT_KINDS if k not in _LOW_BITS)))
}
_new_object = object.__new__
_PROVINCE, _CITY, _DISTRICT, _DEVZONE_K, _TOWN_K, _COMMUNITY_K = (_BIT[k] for k in DIVISION_KINDS)
_VGROUP = _BIT["village_group"]
_ROAD_K = _BIT["road"]
_ROADNO = _BIT["road_no"]
_SUBROAD = _BIT["subroad"]
_SUBROADNO = _BIT["subroad_no"]
_POI = _BIT["poi"]
_SUBPOI = _BIT["subpoi"]
_BLDG = _BIT["building"]
_UNIT_K = _BIT["unit"]
_FLOOR_K = _BIT["floor"]
_ROOM_K = _BIT["room"]
_DIVISIONS_MASK = _PROVINCE | _CITY | _DISTRICT | _DEVZONE_K | _TOWN_K | _COMMUNITY_K
# Once any of these is read, the divisions are over.
_PAST_DIVISIONS = _ROAD_K | _POI | _BLDG | _ROADNO | _ROOM_K
_NUMBER_BITS = 0
for _k in NUMBER_KINDS:
    _NUMBER_BITS |= _BIT[_k]
# The sets of kinds the parser tests, as masks made once: a | of module
# globals is evaluated on every test, and makes a new int each time.
_ANY_TOWN_COMMUNITY = _TOWN_K | _COMMUNITY_K
_ANY_ROAD_POI = _ROAD_K | _POI
_ANY_ROAD_POI_BLDG = _ROAD_K | _POI | _BLDG
_ANY_ROADNO_SUBROAD_POI = _ROADNO | _SUBROAD | _POI
_ANY_POI_BLDG_UNIT_ROOM = _POI | _BLDG | _UNIT_K | _ROOM_K
_ANY_SUBPOI_BLDG_UNIT = _SUBPOI | _BLDG | _UNIT_K
_ANY_SUBROADNO_POI = _SUBROADNO | _POI
_ANY_SUBROAD_POI = _SUBROAD | _POI
_ANY_BLDG_ROADNO_VGROUP = _BLDG | _ROADNO | _VGROUP
_ANY_BLDG_UNIT_ROOM = _BLDG | _UNIT_K | _ROOM_K
_ANY_BLDG_UNIT_FLOOR_ROOM = _BLDG | _UNIT_K | _FLOOR_K | _ROOM_K
_ANY_POI_ROADNO_SUBROADNO = _POI | _ROADNO | _SUBROADNO
_ANY_ROAD_POI_ROADNO_SUBROAD_SUBROADNO = _ROAD_K | _POI | _ROADNO | _SUBROAD | _SUBROADNO
_ANY_DIVISIONS_VGROUP = _DIVISIONS_MASK | _VGROUP
_ANY_SUBPOI_BLDG_UNIT_FLOOR_ROOM = _SUBPOI | _BLDG | _UNIT_K | _FLOOR_K | _ROOM_K
_ANY_UNIT_FLOOR_ROOM = _UNIT_K | _FLOOR_K | _ROOM_K
_ANY_FLOOR_ROOM = _FLOOR_K | _ROOM_K
_ANY_BLDG_UNIT = _BLDG | _UNIT_K
_ANY_BLDG_UNIT_FLOOR = _BLDG | _UNIT_K | _FLOOR_K
_ANY_ROADNO_SUBROADNO = _ROADNO | _SUBROADNO
_LEVEL_OF_LENGTH = (0, 0, 1, 0, 2, 0, 3, 0, 0, 4, 0, 0, 5)
# kind_for() of every level but the township's, which depends on the name.
_LEVEL_KINDS = tuple(kind_for(level, "") for level in range(6))


# Element is a frozen dataclass, whose generated __init__ goes through
# object.__setattr__ once per field, and a parse makes an Element for every
# piece of every address. An element is made as a plain object with the same
# slots, filled by ordinary attribute stores, and then given Element's class:
# CPython allows that because the two layouts are the same (and raises
# TypeError if they ever differ). That costs about half of setting the
# frozen slots one descriptor call at a time.
class _ElementDraft:
    __slots__ = Element.__slots__
    kind: str
    value: str
    raw: str
    start: int
    end: int
    code: str | None


def _element(kind: str, value: str, raw: str, start: int, end: int, code: str | None) -> Element:
    el: Any = _ElementDraft()
    el.kind = kind
    el.value = value
    el.raw = raw
    el.start = start
    el.end = end
    el.code = code
    el.__class__ = Element
    return el


# Values of the names and numbers read, per kind for numbers: pure functions
# of the text, asked for over and over (阳光小区, 3栋, 2单元). A dict lookup is
# cheaper than a call through normalize_name's and normalize_number's LRU
# caches, which have to keep their order up to date on every hit.
_VALUES_KEPT = 50_000
_NAME_VALUES: dict[str, str] = {}
_NUMBER_VALUES: dict[str, dict[str, str]] = {kind: {} for kind in NUMBER_KINDS}


class _Parser:
    def __init__(self, text: str, folded: Folded, gz: Gazetteer, region: str | None) -> None:
        self.text = text
        self.f = folded
        self.s = folded.text
        self.starts = folded.starts
        self.ends = folded.ends
        self.gz = gz
        self.region = region
        self.elements: list[_ElementDraft] = []  # made Elements at the end
        self.chain: list[_Div] = []
        self.warnings: list[str] = []
        self.seen = 0  # _BIT of every kind read so far
        self.other_start = -1
        self.memo: _Memo = {}  # Gazetteer.names_at per position of self.s

    # -- helpers ------------------------------------------------------------
    def emit(self, kind: str, a: int, b: int, value: str | None = None) -> None:
        if self.other_start >= 0 and kind != "other":
            self.flush_other(a)
        if b > a:
            start = self.starts[a]
            end = self.ends[b - 1]
        else:
            start, end = self.f.span(a, b)
        elements = self.elements
        if elements and start < elements[-1].end:
            # One original character that folded into several (¼ → 1⁄4) may
            # not be shared by two elements: the later one starts after it.
            start = elements[-1].end
            end = max(start, end)
        bit = _BIT[kind]
        if value is None:
            piece = self.s[a:b]
            if not bit & _NUMBER_BITS:
                value = _NAME_VALUES.get(piece)
                if value is None:
                    value = normalize_name(piece)
                    if len(_NAME_VALUES) < _VALUES_KEPT:
                        _NAME_VALUES[piece] = value
            elif piece.isdigit() and piece.isascii():
                # What normalize_number gives for plain digits (the room
                # number, mostly), without a trip through its cache.
                value = piece.lstrip("0") or "0"
            else:
                values = _NUMBER_VALUES[kind]
                value = values.get(piece)
                if value is None:
                    value = normalize_number(kind, piece)
                    if len(values) < _VALUES_KEPT:
                        values[piece] = value
        el = _ElementDraft()
        el.kind = kind
        el.value = value
        el.raw = self.text[start:end]
        el.start = start
        el.end = end
        el.code = None
        elements.append(el)
        self.seen |= bit

    # -- divisions ------------------------------------------------------------
    def division_at(self, pos: int) -> int | None:
        s = self.s
        gz = self.gz
        memo = self.memo
        hits = gz.hits(s, pos, memo)
        if not hits:
            return None
        if len(hits) > 1 and hits[0][0] != hits[-1][0] and not gz.continues(s, hits[0][0], hits[0][1], memo):
            # 青岛市北区 is 青岛 + 市北区, not 青岛市 + 北区: prefer a reading
            # after which a division inside this one is named (a stable
            # partition; the first reading is known not to be one).
            rest = hits[1:]
            goes_on = [gz.continues(s, h[0], h[1], memo) for h in rest]
            if any(goes_on):
                hits = [h for h, on in zip(rest, goes_on, strict=True) if on] + [
                    hits[0],
                    *(h for h, on in zip(rest, goes_on, strict=True) if not on),
                ]
        chain = self.chain
        for end, hit_codes, informal, historic, hit_preferred, hit_kind in hits:
            # What accept() gives in the two commonest cases, without calling
            # it: the first name read, and a name of one division inside
            # the one division read before.
            if len(hit_codes) == 1 and (
                not chain
                or (
                    len(chain[-1].codes) == 1
                    and hit_codes[0] != chain[-1].codes[0]
                    and hit_codes[0].startswith(chain[-1].codes[0])
                )
            ):
                codes: list[str] | None = [hit_codes[0]]
            else:
                codes = self.accept(hit_codes, informal, pos, end, historic is None)
            if codes is None:
                continue
            level = _LEVEL_OF_LENGTH[len(codes[0]) if len(codes) == 1 else min(map(len, codes))]
            if hit_kind:
                kind = hit_kind
            elif level == 4:
                kind = kind_for(4, gz.name(codes[0]) or "")
            else:
                kind = _LEVEL_KINDS[level]
            if self.other_start >= 0:
                self.flush_other(pos)
            # (Testing None against every code of a common name is not free.)
            preferred = hit_preferred if hit_preferred is not None and hit_preferred in codes else None
            if historic is not None:
                now = "、".join(
                    "".join(n for _, n in gz.path(c)[1:]) for c in ([preferred] if preferred else codes)
                )
                self.warnings.append(
                    f"“{s[pos:end]}”为已撤销或更名的区划（{historic}），按现行区划处理：{now}"
                )
            vague = historic is not None and len(codes) > 1
            # _Div(pos, end, codes, informal, preferred, vague), without a
            # call to its __init__.
            div: _Div = _new_object(_Div)
            div.start = pos
            div.end = end
            div.codes = codes
            div.informal = informal
            div.preferred = preferred
            div.vague = vague
            div.element = len(self.elements)
            self.chain.append(div)
            # emit(kind, pos, end, ""), inlined (other text is flushed above;
            # a name is never empty). The value is set in _resolve: the
            # division's short name, or the folded text when it stays
            # unresolved.
            start = self.starts[pos]
            stop = self.ends[end - 1]
            elements = self.elements
            if elements and start < elements[-1].end:
                start = elements[-1].end
                stop = max(start, stop)
            el = _ElementDraft()
            el.kind = kind
            el.value = ""
            el.raw = self.text[start:stop]
            el.start = start
            el.end = stop
            el.code = None
            elements.append(el)
            self.seen |= _BIT[kind]
            return end
        return None

    def accept(
        self, codes: tuple[str, ...], informal: bool, a: int, b: int, ordered: bool = False
    ) -> list[str] | None:
        """Candidates of a name hit that fit the divisions already read, or ``None`` to reject it.

        ``ordered``: ``codes`` are sorted, as those of every indexed name are.
        """
        chain = self.chain
        if not chain:
            if len(codes) > 1 and not self.region and all(len(c) == 12 for c in codes):
                # A village name shared by several places, with nothing
                # around it to tell which: more likely a compound (幸福新村).
                return None
            return list(codes)
        last = chain[-1]
        last_codes = last.codes
        # Inside the last name, or the same division again (义乌市义乌市, or
        # 钢城区 after 莱芜市, which now stands for 莱芜区 and 钢城区).
        if len(last_codes) == 1:
            only = last_codes[0]
            if len(codes) == 1:
                # Most names: the comprehension below, for one code.
                c = codes[0]
                same = c == only
                compat = [c] if not same and c.startswith(only) else []
            elif ordered and len(codes) > 8:
                # A common village name has hundreds of codes; those inside
                # ``only`` sort together, right after ``only`` itself.
                i = bisect_left(codes, only)
                same = i < len(codes) and codes[i] == only
                compat = []
                for c in islice(codes, i, None):
                    if not c.startswith(only):
                        break
                    if c != only:
                        compat.append(c)
            else:
                compat = [c for c in codes if c != only and c.startswith(only)]
                same = only in codes
            if not compat and not informal and same:
                compat = [only]
            if compat and len(chain) > 1 and compat[0] == only and set(chain[-2].codes) == {only}:
                return None  # written twice already: the rest is not a division
            if compat:
                # A single parent: nothing above it can be narrowed.
                return compat
        else:
            prefixes = tuple(last_codes)
            mine = frozenset(prefixes)
            compat = [c for c in codes if c.startswith(prefixes) and c not in mine]
            if not compat and not informal:
                compat = [c for c in codes if c in mine]
            if (
                compat
                and mine.issuperset(compat)
                and len(chain) > 1
                and set(chain[-2].codes) == set(last_codes)
            ):
                return None  # written twice already: the rest is not a division
            if compat:
                self.narrow(compat)
                return compat
        if informal:
            return None  # as below, without looking at every code
        depth = min(len(p) for p in last_codes)
        deeper = [c for c in codes if len(c) > depth]
        if not deeper or min(len(c) for c in deeper) > 6:
            # A village name elsewhere in the country, or a short name that is
            # really the start of a road or compound: not a division here.
            return None
        parent = self.s[last.start : last.end]
        self.warnings.append(f"区划不一致：“{self.s[a:b]}”不属于“{parent}”，以后者之下的区划为准")
        return deeper

    def narrow(self, children: list[str]) -> None:
        """Drop candidates of earlier names that are not ancestors of any of ``children``."""
        for div in reversed(self.chain):
            heads = {c[:n] for c in children for n in {len(p) for p in div.codes}}
            kept = [p for p in div.codes if p in heads]
            if not kept or kept == div.codes:
                break  # nothing to narrow here, so nothing above either
            div.codes = kept
            children = kept

    def fallback_division(self, pos: int) -> int | None:
        """Township, community or development zone spelled with its suffix but absent from the data."""
        s = self.s
        reach = pos + _FALLBACK_REACH
        # Each pattern needs its suffix word within reach; most positions
        # have none of them, and looking for it is cheaper than matching
        # (for any of them at once, first).
        if _FALLBACK_MARKS.search(s, pos, reach) is None:
            return None
        for kind, pattern, marks in _FALLBACKS:
            if kind == "town" and self.seen & _ANY_TOWN_COMMUNITY:
                continue
            if marks.search(s, pos, reach) is None:
                continue
            m = pattern.match(s, pos)
            if m is None or not _plain_name(m.group()):
                continue
            # A village may follow the road it belongs to; a township never does.
            if kind == "town" and self.seen & _ANY_ROAD_POI:
                continue
            self.emit(kind, pos, m.end())
            self.warnings.append(f"区划库中未找到：“{m.group()}”")
            return m.end()
        return None

    # -- the rest ---------------------------------------------------------------
    def run(self) -> None:
        s = self.s
        n = len(s)
        pos = 0
        in_divisions = True
        while pos < n:
            if s[pos] in _SEPARATORS and not _compact_ahead(s, pos):
                if self.other_start >= 0:
                    self.flush_other(pos)
                pos += 1
                continue
            nxt: int | None = None
            if in_divisions and not self.seen & _PAST_DIVISIONS:
                nxt = self.division_at(pos)
                if nxt is None:
                    nxt = self.fallback_division(pos)
            if nxt is None:
                nxt = self.structural(pos)
                if nxt is not None:
                    in_divisions = False
            if nxt is None:
                if self.other_start < 0:
                    self.other_start = pos
                pos += 1
                continue
            pos = nxt
        self.flush_other(n)

    def flush_other(self, end: int) -> None:
        """Emit the text skipped since ``other_start`` as one "other" element."""
        if self.other_start >= 0:
            a, self.other_start = self.other_start, -1
            if end > a:
                self.emit("other", a, end)

    def structural(self, pos: int) -> int | None:
        s = self.s
        seen = self.seen
        c = s[pos]
        digit = c.isdigit()
        if digit and not seen & _ANY_ROAD_POI_BLDG:
            # Numbered roads: 6号大街, 2号路.
            m = _NUMBERED_ROAD.match(s, pos)
            if m is not None:
                end = m.end()
                self.emit("road", pos, end)
                return end
        if digit or c == "第" or "A" <= c <= "Z" or c in "-负地":
            got = self.number(pos, digit)
            if got is not None or not ("A" <= c <= "Z" or c in "第负地"):
                return got
        # Every devzone word ends in 区, within 23 characters of the start.
        if not seen & _ANY_ROAD_POI_BLDG and s.find("区", pos, pos + 23) >= 0:
            m = _DEVZONE.match(s, pos)
            if m is not None and not seen & _DEVZONE_K:
                end = m.end()
                self.emit("devzone", pos, end)
                return end
        if seen & _ROAD_K and not seen & _ANY_ROADNO_SUBROAD_POI:
            m = _SEGMENT.match(s, pos)
            if m is not None:  # 人民南路四段, 一环路北一段
                end = m.end()
                self.emit("subroad", pos, end)
                return end
        if not seen & _ANY_POI_BLDG_UNIT_ROOM:
            m = _ROAD.match(s, pos)
            if m is not None:
                if not seen & _ROAD_K:
                    end = m.end()
                    self.emit("road", pos, end)
                    return end
                if not seen & _SUBROAD:
                    end = m.end()
                    self.emit("subroad", pos, end)
                    return end
        m = _POI_RUN.match(s, pos)
        if m is not None:
            end = m.end()
            if end - pos >= 2:
                return self.poi(pos, end)
        return None

    def poi(self, a: int, b: int) -> int | None:
        seen = self.seen
        if seen & _ROOM_K:
            return None
        if seen & _POI:
            if seen & _ANY_SUBPOI_BLDG_UNIT:
                return None
            self.emit("subpoi", a, b)
            return b
        split = _poi_split(self.s[a:b])
        if split is not None and split < b - a:
            self.emit("poi", a, a + split)
            self.emit("subpoi", a + split, b)
        else:
            self.emit("poi", a, b)
        return b

    def number(self, pos: int, digit: bool) -> int | None:
        # ``digit``: s[pos] is a digit. Patterns that must start with one are
        # not tried otherwise (str.isdigit covers everything \d matches).
        s = self.s
        seen = self.seen
        dash = False
        if digit:
            if seen & _SUBROAD and not seen & _ANY_SUBROADNO_POI:
                m = _ROAD_NO.match(s, pos)
                if m is not None:
                    end = m.end()
                    self.emit("subroad_no", pos, end)
                    return end
            if seen & _ROAD_K and not seen & _ANY_ROADNO_SUBROAD_POI:
                m = _ROAD_NO.match(s, pos)
                if m is not None:
                    end = m.end()
                    self.emit("road_no", pos, end)
                    return end
            if seen & _ROAD_K and not seen & _ANY_SUBROAD_POI:
                m = _LANE.match(s, pos)
                if m is not None:
                    end = m.end()
                    self.emit("subroad", pos, end)
                    return end
            if not seen & _ANY_BLDG_ROADNO_VGROUP:
                m = _GROUP.match(s, pos)
                if m is not None:
                    # 5组6号 is two elements, as in the address base: the group
                    # (GA/T class 30) and the door plate in it (class 40).
                    end = m.end()
                    self.emit("village_group", pos, end)
                    return end
            # 12-2-302 and 12-302 have their dash within five characters.
            dash = s.find("-", pos + 1, pos + 6) >= 0
            if dash and not seen & _ANY_BLDG_UNIT_ROOM:
                m = _COMPACT3.match(s, pos)
                if m is not None:
                    self.emit("building", m.start(1), m.end(1))
                    self.emit("unit", m.start(2), m.end(2))
                    self.emit("room", m.start(3), m.end(3))
                    return m.end()
        if not seen & _ANY_BLDG_UNIT_FLOOR_ROOM:
            m = _BUILDING.match(s, pos)
            if m is None and seen & _ANY_POI_ROADNO_SUBROADNO:
                m = _BUILDING_HAO.match(s, pos)
            if m is None and not seen & _ANY_ROAD_POI_ROADNO_SUBROAD_SUBROADNO:
                # A bare "N号" with no road is a house number of the village.
                m2 = _ROAD_NO.match(s, pos) if digit else None
                if m2 is not None and seen & _ANY_DIVISIONS_VGROUP:
                    end = m2.end()
                    self.emit("road_no", pos, end)
                    return end
            if m is not None:
                end = m.end()
                self.emit("building", pos, end)
                return end
        if seen & _POI and not seen & _ANY_SUBPOI_BLDG_UNIT_FLOOR_ROOM:
            m = _PHASE.match(s, pos)
            if m is not None:
                end = m.end()
                self.emit("subpoi", pos, end)
                return end
        if not seen & _ANY_UNIT_FLOOR_ROOM:
            m = _UNIT.match(s, pos)
            if m is not None:
                end = m.end()
                self.emit("unit", pos, end)
                return end
            if digit and dash and seen & _BLDG:
                m = _COMPACT2.match(s, pos)
                if m is not None:
                    self.emit("unit", m.start(1), m.end(1))
                    self.emit("room", m.start(2), m.end(2))
                    return m.end()
        if not seen & _ANY_FLOOR_ROOM:
            m = _FLOOR.match(s, pos)
            if m is not None:
                end = m.end()
                self.emit("floor", pos, end)
                return end
        if not seen & _ROOM_K:
            if digit and dash and not seen & _ANY_BLDG_UNIT:
                m = _COMPACT2.match(s, pos)
                if m is not None and (not seen & _ROAD_K or seen & _ROADNO):
                    self.emit("building", m.start(1), m.end(1))
                    self.emit("room", m.start(2), m.end(2))
                    return m.end()
            if digit and seen & _ROAD_K and not seen & _ANY_ROADNO_SUBROAD_POI:
                m = _BARE_NO.match(s, pos)
                if m is not None:
                    end = m.end()
                    self.emit("road_no", pos, end)
                    return end
            m = _ROOM.match(s, pos)
            # A bare number is a room only after a building, unit or floor, as
            # the last number after a house number (3号1203), or when it is all there is.
            if m is not None and (
                seen & _ANY_BLDG_UNIT_FLOOR
                or (_at_end(s, m.end()) and (not self.elements or seen & _ANY_ROADNO_SUBROADNO))
            ):
                end = m.end()
                self.emit("room", pos, end)
                return end
        return None


_parser_init = _Parser.__init__


def _compact_ahead(s: str, pos: int) -> bool:
    # A "-" inside 12-2-302 belongs to the number; only stray dashes are separators.
    if s[pos] != "-" or pos + 1 >= len(s) or not s[pos + 1].isdigit():
        return False
    return pos == 0 or not s[pos - 1].isdigit()


def _at_end(s: str, pos: int) -> bool:
    return pos >= len(s) or s[pos] in _SEPARATORS


# Leftmost suffix at a position, the earlier one in _POI_SUFFIXES winning at
# the same position, exactly as trying each suffix in turn would find it.
_POI_SUFFIX_AT = re.compile("|".join(map(re.escape, _POI_SUFFIXES)))
_GENERIC_POI_TUPLE = tuple(_GENERIC_POI)
_POI_SUFFIX_SET = frozenset(_POI_SUFFIXES)


def _poi_split(name: str) -> int | None:
    """Length of the compound name at the start of ``name`` when the rest names a part of it."""
    last = len(name) - 1
    i = 2
    while i < last:
        m = _POI_SUFFIX_AT.search(name, i)
        if m is None or m.start() >= last:
            return None
        end = m.end()
        rest = name[end:]
        if (
            len(rest) >= 2
            and rest not in _GENERIC_POI
            and rest not in _POI_SUFFIX_SET
            and not rest.startswith(_GENERIC_POI_TUPLE)
        ):
            return end
        i = m.start() + 1
    return None


def parse(
    text: str,
    default_region: str | None = None,
    *,
    region: str | None = None,
    gazetteer: Gazetteer | None = None,
) -> ParsedAddress:
    """Parse an address into typed elements and resolve its division.

    ``default_region`` (or its older name ``region``) is the deployment's
    default region, a division code prefix
    (``"3301"``, ``"130731"``; an abolished county code is accepted and
    mapped to its successor). It decides between same-named divisions and
    supplies the division when the text names none. Without ``gazetteer`` a
    shared one for ``region`` (or the whole country) is used.

    Never raises on odd input: empty, huge, binary or HTML text gives a result
    with few or no elements.
    """
    if not isinstance(text, str):
        raise TypeError(f"地址应为字符串，收到 {type(text).__name__}")
    if default_region is not None and region is not None and default_region != region:
        raise ValueError(f"default_region 与 region 不一致：{default_region!r} ≠ {region!r}")
    region = _clean_region(default_region if default_region is not None else region)
    gz = gazetteer if gazetteer is not None else get_gazetteer(region)
    folded = prepare(text)
    # _Parser(...) without going through type.__call__, which costs as much
    # as the rest of parsing an empty string.
    p: _Parser = _new_object(_Parser)
    _parser_init(p, text, folded, gz, region)
    p.run()
    return _resolve(p, text)


class _ParsedDraft:
    """A plain object with ParsedAddress's layout (a __dict__), to be given its class."""


def _resolve(p: _Parser, text: str) -> ParsedAddress:
    gz = p.gz
    region = p.region
    elements = p.elements
    code: str | None = None
    ambiguous = False
    from_region = False
    candidates: tuple[DivisionCandidate, ...] = ()
    path: tuple[tuple[str, str], ...] = ()
    if p.chain:
        deepest = p.chain[-1]
        cands = deepest.codes
        if len(cands) > 1 and region is not None:
            inside = [c for c in cands if c.startswith(region) or region.startswith(c)]
            if inside:
                cands = inside
                p.narrow(inside)
                deepest.codes = inside
        if len(cands) > 1 and deepest.preferred in cands:
            cands = [deepest.preferred]
            p.narrow(cands)
            deepest.codes = cands
        if len(cands) == 1:
            code = cands[0]
        else:
            ambiguous = True
            code = _common_ancestor(gz, cands)
            candidates = tuple(DivisionCandidate(c, "".join(n for _, n in gz.path(c))) for c in sorted(cands))
            last = elements[deepest.element]
            a, b = last.start, last.end
            p.warnings.append(
                f"“{text[a:b]}”对应{len(cands)}个区划：{'、'.join(c.name for c in candidates[:5])}"
                f"{'等' if len(candidates) > 5 else ''}，请补充上级区划或指定部署区域"
            )
        if code:
            path = gz.path_tuple(code)
        # Short names of the divisions on the resolved path, which most
        # division elements resolve to.
        on_path = dict(path)
        # Give every division element the code it resolved to.
        for div in p.chain:
            mine: str | None = None
            div_codes = div.codes
            if div.vague and div is not deepest:
                pass
            elif len(div_codes) == 1:
                mine = div_codes[0]
            elif code is not None:
                found = [c for c in div_codes if code.startswith(c)]
                if len(found) == 1:
                    mine = found[0]
            short = None if mine is None else on_path.get(mine) or gz.short_name(mine)
            if not short:
                short = normalize_name(p.s[div.start : div.end])
            el = elements[div.element]
            el.value = short
            el.code = mine
    elif region is not None and region in gz:
        code = region
        from_region = True
        path = gz.path_tuple(code)
    # ParsedAddress is a frozen dataclass, whose __init__ sets every field
    # through object.__setattr__: made like an Element instead.
    out: Any = _ParsedDraft()
    out.text = text
    out.elements = _elements(elements)
    out.division_code = code
    out.division_path = path
    out.ambiguous = ambiguous
    out.candidates = candidates
    out.division_from_region = from_region
    out.warnings = tuple(p.warnings)
    out.prepared = p.s
    out.__class__ = ParsedAddress
    return out


def _elements(drafts: list[_ElementDraft]) -> tuple[Element, ...]:
    element = Element
    for el in cast("list[Any]", drafts):
        el.__class__ = element
    return tuple(cast("list[Element]", drafts))


def _common_ancestor(gz: Gazetteer, codes: list[str]) -> str | None:
    for n in (9, 6, 4, 2):
        prefixes = {c[:n] for c in codes}
        if len(prefixes) == 1:
            only = prefixes.pop()
            if len(only) == n and only in gz and all(len(c) > n for c in codes):
                return only
    return None
