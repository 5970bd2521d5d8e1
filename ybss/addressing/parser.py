"""Splitting an address into typed elements with spans in the original text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .gazetteer import Gazetteer, _clean_region, get_gazetteer, kind_for
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


class _Parser:
    def __init__(self, text: str, folded: Folded, gz: Gazetteer, region: str | None) -> None:
        self.text = text
        self.f = folded
        self.s = folded.text
        self.gz = gz
        self.region = region
        self.elements: list[Element] = []
        self.chain: list[_Div] = []
        self.chain_elements: list[int] = []  # index into elements per chain entry
        self.warnings: list[str] = []
        self.seen: set[str] = set()
        self.other_start = -1

    # -- helpers ------------------------------------------------------------
    def emit(self, kind: str, a: int, b: int, value: str | None = None, code: str | None = None) -> None:
        if kind != "other":
            self.flush_other(a)
        start, end = self.f.span(a, b)
        if self.elements and start < self.elements[-1].end:
            # One original character that folded into several (¼ → 1⁄4) may
            # not be shared by two elements: the later one starts after it.
            start = self.elements[-1].end
            end = max(start, end)
        raw = self.text[start:end]
        if value is None:
            if kind in NUMBER_KINDS:
                value = normalize_number(kind, self.s[a:b])
            else:
                value = normalize_name(self.s[a:b])
        self.elements.append(Element(kind, value, raw, start, end, code))
        self.seen.add(kind)

    def has(self, *kinds: str) -> bool:
        return not self.seen.isdisjoint(kinds)

    # -- divisions ------------------------------------------------------------
    def division_at(self, pos: int) -> int | None:
        hits = self.gz.scan(self.s, pos)
        if (
            len(hits) > 1
            and hits[0].end != hits[-1].end
            and not self.gz.continues(self.s, hits[0].end, hits[0].codes)
        ):
            # 青岛市北区 is 青岛 + 市北区, not 青岛市 + 北区: prefer a reading
            # after which a division inside this one is named.
            hits.sort(key=lambda h: not self.gz.continues(self.s, h.end, h.codes))
        for hit in hits:
            codes = self.accept(hit.codes, hit.informal, pos, hit.end)
            if codes is None:
                continue
            level = (0, 0, 1, 0, 2, 0, 3, 0, 0, 4, 0, 0, 5)[min(map(len, codes))]
            kind = hit.kind or kind_for(level, (self.gz.name(codes[0]) or "") if level == 4 else "")
            self.flush_other(pos)
            preferred = hit.preferred if hit.preferred in codes else None
            if hit.historic is not None:
                now = "、".join(
                    "".join(n for _, n in self.gz.path(c)[1:]) for c in ([preferred] if preferred else codes)
                )
                self.warnings.append(
                    f"“{self.s[pos : hit.end]}”为已撤销或更名的区划（{hit.historic}），按现行区划处理：{now}"
                )
            vague = hit.historic is not None and len(codes) > 1
            self.chain.append(_Div(pos, hit.end, codes, hit.informal, preferred, vague))
            self.chain_elements.append(len(self.elements))
            self.emit(kind, pos, hit.end, normalize_name(self.s[pos : hit.end]))
            return hit.end
        return None

    def accept(self, codes: tuple[str, ...], informal: bool, a: int, b: int) -> list[str] | None:
        """Candidates of a name hit that fit the divisions already read, or ``None`` to reject it."""
        if not self.chain:
            if len(codes) > 1 and all(len(c) == 12 for c in codes) and not self.region:
                # A village name shared by several places, with nothing
                # around it to tell which: more likely a compound (幸福新村).
                return None
            return list(codes)
        last = self.chain[-1]
        depth = min(len(p) for p in last.codes)
        # Inside the last name, or the same division again (义乌市义乌市, or
        # 钢城区 after 莱芜市, which now stands for 莱芜区 and 钢城区).
        prefixes = tuple(last.codes)
        mine = frozenset(prefixes)
        compat = [c for c in codes if c.startswith(prefixes) and c not in mine]
        if not compat and not informal:
            compat = [c for c in codes if c in mine]
        if (
            compat
            and mine.issuperset(compat)
            and len(self.chain) > 1
            and set(self.chain[-2].codes) == set(last.codes)
        ):
            return None  # written twice already: the rest is not a division
        if compat:
            self.narrow(compat)
            return compat
        deeper = [c for c in codes if len(c) > depth]
        if informal or not deeper or min(len(c) for c in deeper) > 6:
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
        for kind, pattern in (("devzone", _DEVZONE), ("town", _TOWN), ("community", _COMMUNITY)):
            if kind == "town" and self.has("town", "community"):
                continue
            m = pattern.match(self.s, pos)
            if m is None or not _plain_name(m.group()):
                continue
            # A village may follow the road it belongs to; a township never does.
            if kind == "town" and self.has("road", "poi"):
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
                self.flush_other(pos)
                pos += 1
                continue
            nxt: int | None = None
            if in_divisions and not self.has("road", "poi", "building", "road_no", "room"):
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
        has = self.has
        if s[pos].isdigit() and not has("road", "poi", "building"):
            # Numbered roads: 6号大街, 2号路.
            m = _NUMBERED_ROAD.match(s, pos)
            if m is not None:
                self.emit("road", pos, m.end())
                return m.end()
        if s[pos].isdigit() or s[pos] == "第" or "A" <= s[pos] <= "Z" or s[pos] in "-负地":
            got = self.number(pos)
            if got is not None or not ("A" <= s[pos] <= "Z" or s[pos] in "第负地"):
                return got
        if not has("road", "poi", "building"):
            m = _DEVZONE.match(s, pos)
            if m is not None and not has("devzone"):
                self.emit("devzone", pos, m.end())
                return m.end()
        if has("road") and not has("road_no", "subroad", "poi"):
            m = _SEGMENT.match(s, pos)
            if m is not None:  # 人民南路四段, 一环路北一段
                self.emit("subroad", pos, m.end())
                return m.end()
        if not has("poi", "building", "unit", "room"):
            m = _ROAD.match(s, pos)
            if m is not None:
                if not has("road"):
                    self.emit("road", pos, m.end())
                    return m.end()
                if not has("subroad"):
                    self.emit("subroad", pos, m.end())
                    return m.end()
        m = _POI_RUN.match(s, pos)
        if m is not None and len(m.group()) >= 2:
            return self.poi(pos, m.end())
        return None

    def poi(self, a: int, b: int) -> int | None:
        name = self.s[a:b]
        if self.has("room"):
            return None
        if self.has("poi"):
            if self.has("subpoi", "building", "unit"):
                return None
            self.emit("subpoi", a, b)
            return b
        split = _poi_split(name)
        if split is not None and split < len(name):
            self.emit("poi", a, a + split)
            self.emit("subpoi", a + split, b)
        else:
            self.emit("poi", a, b)
        return b

    def number(self, pos: int) -> int | None:
        s = self.s
        has = self.has
        if has("subroad") and not has("subroad_no") and not has("poi"):
            m = _ROAD_NO.match(s, pos)
            if m is not None:
                self.emit("subroad_no", pos, m.end())
                return m.end()
        if has("road") and not has("road_no", "subroad", "poi"):
            m = _ROAD_NO.match(s, pos)
            if m is not None:
                self.emit("road_no", pos, m.end())
                return m.end()
        if has("road") and not has("subroad") and not has("poi"):
            m = _LANE.match(s, pos)
            if m is not None:
                self.emit("subroad", pos, m.end())
                return m.end()
        if not has("building", "road_no"):
            m = _GROUP.match(s, pos)
            if m is not None and not has("village_group"):
                # 5组6号 is two elements, as in the address base: the group
                # (GA/T class 30) and the door plate in it (class 40).
                self.emit("village_group", pos, m.end())
                return m.end()
        if not has("building", "unit", "room"):
            m = _COMPACT3.match(s, pos)
            if m is not None:
                self.emit("building", m.start(1), m.end(1))
                self.emit("unit", m.start(2), m.end(2))
                self.emit("room", m.start(3), m.end(3))
                return m.end()
        if not has("building", "unit", "floor", "room"):
            m = _BUILDING.match(s, pos)
            if m is None and has("poi", "road_no", "subroad_no"):
                m = _BUILDING_HAO.match(s, pos)
            if m is None and not has("road", "poi", "road_no", "subroad", "subroad_no"):
                # A bare "N号" with no road is a house number of the village.
                m2 = _ROAD_NO.match(s, pos)
                if m2 is not None and has(*DIVISION_KINDS, "village_group"):
                    self.emit("road_no", pos, m2.end())
                    return m2.end()
            if m is not None:
                self.emit("building", pos, m.end())
                return m.end()
        if has("poi") and not has("subpoi", "building", "unit", "floor", "room"):
            m = _PHASE.match(s, pos)
            if m is not None:
                self.emit("subpoi", pos, m.end())
                return m.end()
        if not has("unit", "floor", "room"):
            m = _UNIT.match(s, pos)
            if m is not None:
                self.emit("unit", pos, m.end())
                return m.end()
            if has("building"):
                m = _COMPACT2.match(s, pos)
                if m is not None:
                    self.emit("unit", m.start(1), m.end(1))
                    self.emit("room", m.start(2), m.end(2))
                    return m.end()
        if not has("floor", "room"):
            m = _FLOOR.match(s, pos)
            if m is not None:
                self.emit("floor", pos, m.end())
                return m.end()
        if not has("room"):
            if not has("building", "unit"):
                m = _COMPACT2.match(s, pos)
                if m is not None and (not has("road") or has("road_no")):
                    self.emit("building", m.start(1), m.end(1))
                    self.emit("room", m.start(2), m.end(2))
                    return m.end()
            if has("road") and not has("road_no", "subroad", "poi"):
                m = _BARE_NO.match(s, pos)
                if m is not None:
                    self.emit("road_no", pos, m.end())
                    return m.end()
            m = _ROOM.match(s, pos)
            # A bare number is a room only after a building, unit or floor, as
            # the last number after a house number (3号1203), or when it is all there is.
            if m is not None and (
                has("building", "unit", "floor")
                or (_at_end(s, m.end()) and (not self.elements or has("road_no", "subroad_no")))
            ):
                self.emit("room", pos, m.end())
                return m.end()
        return None


def _compact_ahead(s: str, pos: int) -> bool:
    # A "-" inside 12-2-302 belongs to the number; only stray dashes are separators.
    if s[pos] != "-" or pos + 1 >= len(s) or not s[pos + 1].isdigit():
        return False
    return pos == 0 or not s[pos - 1].isdigit()


def _at_end(s: str, pos: int) -> bool:
    return pos >= len(s) or s[pos] in _SEPARATORS


def _poi_split(name: str) -> int | None:
    """Length of the compound name at the start of ``name`` when the rest names a part of it."""
    for i in range(2, len(name) - 1):
        for suffix in _POI_SUFFIXES:
            if name.startswith(suffix, i) and i >= 2:
                end = i + len(suffix)
                rest = name[end:]
                if (
                    len(rest) >= 2
                    and rest not in _GENERIC_POI
                    and rest not in _POI_SUFFIXES
                    and not any(rest.startswith(g) for g in _GENERIC_POI)
                ):
                    return end
                break
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
    p = _Parser(text, folded, gz, region)
    p.run()
    return _resolve(p, text)


def _resolve(p: _Parser, text: str) -> ParsedAddress:
    gz = p.gz
    region = p.region
    elements = p.elements
    code: str | None = None
    ambiguous = False
    from_region = False
    candidates: tuple[DivisionCandidate, ...] = ()
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
            raw = text[elements[p.chain_elements[-1]].start : elements[p.chain_elements[-1]].end]
            p.warnings.append(
                f"“{raw}”对应{len(cands)}个区划：{'、'.join(c.name for c in candidates[:5])}"
                f"{'等' if len(candidates) > 5 else ''}，请补充上级区划或指定部署区域"
            )
        # Give every division element the code it resolved to.
        for div, idx in zip(p.chain, p.chain_elements, strict=True):
            el = elements[idx]
            mine = [c for c in div.codes if code is not None and code.startswith(c)]
            if div.vague and div is not deepest:
                continue
            if len(div.codes) == 1:
                mine = div.codes
            if len(mine) == 1:
                short = gz.short_name(mine[0]) or el.value
                elements[idx] = Element(el.kind, short, el.raw, el.start, el.end, mine[0])
    elif region is not None and region in gz:
        code = region
        from_region = True
    path = tuple(gz.path(code)) if code else ()
    return ParsedAddress(
        text=text,
        prepared=p.s,
        elements=tuple(elements),
        division_code=code,
        division_path=path,
        ambiguous=ambiguous,
        candidates=candidates,
        division_from_region=from_region,
        warnings=tuple(p.warnings),
    )


def _common_ancestor(gz: Gazetteer, codes: list[str]) -> str | None:
    for n in (9, 6, 4, 2):
        prefixes = {c[:n] for c in codes}
        if len(prefixes) == 1:
            only = prefixes.pop()
            if len(only) == n and only in gz and all(len(c) > n for c in codes):
                return only
    return None
