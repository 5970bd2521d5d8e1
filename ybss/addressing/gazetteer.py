"""Name index over the NBS divisions, used to find and resolve division names in text.

The whole country has 665k divisions, most of them villages. Records are kept
in flat, code-sorted arrays (a padded 12-digit code, a level and a name per
row) rather than in one object per division, which keeps the national index
around 200 MB; a gazetteer restricted to a region (a code prefix) keeps every
province, city and county of the country, so that context such as 浙江杭州 is
still understood, but only the townships and villages inside the region.
"""

from __future__ import annotations

import re
import sys
import threading
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

from ybss.lib import cn_numerals
from ybss.lib.divisions import (
    _COMMITTEE_SUFFIXES,
    DivisionRecord,
    history,
    iter_divisions,
    successor_codes,
)
from ybss.lib.divisions import short_name as _short_name_slowly

from ._tables import OLD_CITIES, PUNCT, RADICALS_SUPPLEMENT, T2S, VARIANTS
from .normalize import fold, prepare

__all__ = ["Gazetteer", "NameHit", "get_gazetteer", "kind_for"]

_LEVEL_LENGTHS = (0, 2, 4, 6, 9, 12)
_NUMERALS = frozenset(cn_numerals.NUMERAL_CHARS)
# Rows that exist in the NBS tables only to hold the level structure; they
# are never written in an address.
# A numeral run that prepare() might turn into digits: one followed by a
# counting word or ending the name (a superset of what it converts).
_NUMBER_IN_NAME = re.compile(
    "["
    + "".join(sorted(cn_numerals.NUMERAL_CHARS))
    + "]+(?:号|栋|幢|单元|室|组|层|门|座|楼|梯|房|户|队|社|期|排|弄|#|-|$)"
)
_FOLDED_CHARS = frozenset(T2S) | frozenset(VARIANTS) | frozenset(RADICALS_SUPPLEMENT) | frozenset(PUNCT)
_PLAIN_NAME = re.compile(r"[\u4e00-\u9fff0-9A-Za-z]*")
_PLACEHOLDERS = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})

_PROVINCE_SUFFIXES = ("壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "特别行政区", "省", "市")
_CITY_SUFFIXES = ("地区", "盟", "市")
_COUNTY_SUFFIXES = ("特区", "林区", "县", "区", "市", "旗")
_ETHNIC = (
    "维吾尔", "哈萨克", "柯尔克孜", "蒙古", "朝鲜", "土家", "布依", "哈尼", "景颇", "傈僳", "拉祜", "纳西",
    "达斡尔", "仫佬", "锡伯", "撒拉", "毛南", "仡佬", "阿昌", "普米", "塔吉克", "乌孜别克", "鄂温克", "德昂",
    "保安", "裕固", "塔塔尔", "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺", "东乡", "高山", "俄罗斯",
    "壮", "回", "藏", "苗", "侗", "彝", "傣", "白", "羌", "满", "瑶", "黎", "畲", "佤", "土", "水", "京",
    "怒", "各",
)  # fmt: skip
_AUTONOMOUS = re.compile(r"自治[州县旗]$")
_DEVZONE_ENDINGS = (
    "开发区",
    "高新区",
    "园区",
    "试验区",
    "保税区",
    "新区",
    "管理区",
    "管委会",
    "示范区",
    "合作区",
)
# Text that, right after a name, shows the name belongs to a road, not to a
# division: 西湖路 and 中山北路 are roads even though 西湖 and 中山 are short
# names of divisions.
_ROAD_AFTER = re.compile(
    r"[东西南北中]{0,2}(?:[一二三四五六七八九十\d]环|[一二三四五六七八九十\d]{1,2})?(路|街(?!道)|大街|大道|道|巷|弄|胡同|公路|里\d)"
    r"(?![村镇乡屯庄社寨堡营])"  # 东街村 is a village, not a street
)
# Right after a short name, a compound word shows the name is a compound's:
# 康乐小区 is not in 康乐县, 江南公寓 not in 江南区.
_POI_AFTER = re.compile(
    r"[^\W\d区县市州盟旗镇乡村路街道巷]?(?:小区|花园|家园|公寓|名苑|新村|山庄|华府|华庭|大厦|广场|公馆|别墅|苑|园(?!区)|邸)"
)
# A short county name followed by a township or village word is that
# township's or village's own name.
_TOWN_WORDS = ("镇", "乡", "街道", "村")
_COMMITTEE = re.compile(r"(居民委员会|村民委员会|居委会|村委会|委员会|委会|办事处)")
# Characters a match of the patterns above can start with (for a compound
# word, also one character later, after its optional name character). scan()
# runs a pattern only when the text allows a match: most names are followed by
# something that rules all of them out at a glance.
_ROAD_AFTER_FIRST = frozenset("东西南北中一二三四五六七八九十路街大道巷弄胡公里")
_POI_AFTER_FIRST = frozenset("小花家公名新山华大广别苑园邸")
_COMMITTEE_FIRST = frozenset("居村委办")
_PARENT_LENGTH = {4: 2, 6: 4, 9: 6, 12: 9}


def kind_for(level: int, name: str) -> str:
    """Element kind of a division of ``level`` called ``name``."""
    # str.endswith, not a regex: this runs for every township found.
    if level == 4 and name.removesuffix("\n").endswith(_DEVZONE_ENDINGS):
        return "devzone"
    return ("", "province", "city", "district", "town", "community")[level]


_COMMITTEE_ENDINGS = tuple(suffix for suffix, _ in _COMMITTEE_SUFFIXES)


def division_short_name(name: str) -> str:
    """``ybss.lib.divisions.short_name``, without its regex for the names
    (nearly all) that neither end in a parenthesis nor have spaces around them."""
    if name.endswith((")", "）")) or name[:1].isspace() or name[-1:].isspace():
        return _short_name_slowly(name)
    if not name.endswith(_COMMITTEE_ENDINGS):
        return name
    for suffix, keep in _COMMITTEE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)]
            if keep and not stem.endswith(keep):
                stem += keep
            return stem
    return name


def _pad(code: str) -> int:
    return int(code.ljust(12, "0"))


def _strip_ethnic(name: str) -> str | None:
    m = _AUTONOMOUS.search(name)
    if m is None:
        return None
    stem = name[: m.start()]
    changed = True
    while changed:
        changed = False
        for eth in _ETHNIC:
            for tail in (eth + "族", eth) if len(eth) > 1 else (eth + "族",):
                if stem.endswith(tail) and len(stem) - len(tail) >= 2:
                    stem = stem[: -len(tail)]
                    changed = True
                    break
            if changed:
                break
    return stem if len(stem) >= 2 and stem != name[: m.start()] else None


def _short_keys(level: int, name: str) -> list[str]:
    """Informal spellings of a division name without its official suffix (杭州 for 杭州市)."""
    keys: list[str] = []
    stem = _strip_ethnic(name)
    if stem is not None:
        keys.append(stem)
        keys.append(stem + name[-1])  # 延边州, 大厂县
    suffixes = {1: _PROVINCE_SUFFIXES, 2: _CITY_SUFFIXES, 3: _COUNTY_SUFFIXES}.get(level, ())
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            keys.append(name[: -len(suffix)])
            break
    return keys


class NameHit:
    """One division name found in text: where it ends and which divisions it may be."""

    __slots__ = ("codes", "end", "historic", "informal", "kind", "preferred")

    def __init__(
        self,
        end: int,
        codes: tuple[str, ...],
        informal: bool,
        historic: str | None = None,
        preferred: str | None = None,
        kind: str | None = None,
    ) -> None:
        self.end = end
        self.codes = codes
        self.informal = informal
        # Set to a note on the abolished division (its years of use) when the
        # name is no longer in use and ``codes`` are its successors.
        self.historic = historic
        # The successor the old name continues as (莱城区 → 莱芜区), if one
        # does; the others remain possible until a later name decides.
        self.preferred = preferred
        # Kind of the old division when it differs from its successors' level.
        self.kind = kind

    def __repr__(self) -> str:
        return f"NameHit(end={self.end}, codes={self.codes!r}, informal={self.informal})"


class Gazetteer:
    """Division names of the whole country, or of one region, ready for lookup.

    ``region`` is a code prefix (``"13"``, ``"3301"``, ``"130731"``); an
    abolished county code is replaced by its successor. The index is built on
    first use and is safe to share between threads once built.
    """

    def __init__(self, region: str | None = None, records: Iterable[DivisionRecord] | None = None) -> None:
        self.region = _clean_region(region)
        self._records = records
        self._lock = threading.Lock()
        self._built = False
        self._codes = array("q")
        self._levels = bytearray()
        self._names: tuple[str, ...] = ()
        self._formal: dict[str, int | tuple[int, ...]] = {}
        self._informal: dict[str, int | tuple[int, ...]] = {}
        self._historic: dict[str, _Historic] = {}
        self._maxlen = 0
        # First two characters of every indexed name → a small table of the
        # names starting with them. names_at() looks each slice up in that
        # table rather than in one dict of all 670k names: the small table
        # stays in the CPU cache for all the lengths tried at a position. A
        # name maps to where its entry (its codes) is in _entry_list, once
        # that is made on the name's first hit, and to its row (or None)
        # until then, so a hit costs no lookup in a big dict. The same table
        # maps the third character of the text to the lengths worth trying
        # (bytes, longest first; "" when no name of three or more characters
        # continues that way), which leaves one or two slices per position
        # where the head's lengths alone left six or more. Names are at least
        # two characters long, so these one-character keys never meet a name.
        # The tables hold only strings, ints, bytes and None, which the
        # garbage collector does not track; 150k tracked containers would be
        # walked by every full collection.
        self._heads: dict[str, dict[str, Any]] = {}
        self._paths: dict[str, tuple[tuple[str, str], ...]] = {}
        # Entries made so far; a name's table holds ~index (a negative int).
        # Not the entry itself: a dict holding a tuple is tracked by the
        # garbage collector until a full collection, and walking thousands
        # of head tables in every young collection cost more than this list.
        # Making entries stops at a cap, so that a long run over every name
        # in the country stays bounded.
        self._entry_list: list[tuple[_Entry, ...]] = []
        self._entry_lock = threading.Lock()
        self._short: dict[str, str | None] = {}
        # Official names of the codes of recently found names: a parse asks
        # for them (element kind, path) right after finding them.
        self._found_names: dict[str, str] = {}

    # -- building ---------------------------------------------------------
    def _ensure(self) -> None:
        if self._built:
            return
        with self._lock:
            if not self._built:
                self._build()
                self._built = True

    def _build(self) -> None:
        region = self.region
        rows: list[tuple[int, int, str]] = []
        source = self._records if self._records is not None else iter_divisions()
        for rec in source:
            code = rec.code
            n = len(code)
            if n > 6 and region is not None and not code.startswith(region[:n]):
                continue
            level = _LEVEL_LENGTHS.index(n)
            # Village names repeat a lot (新村, 红旗村…): one object per spelling.
            rows.append((_pad(code), level, sys.intern(rec.name)))
        rows.sort()
        codes = array("q", (r[0] for r in rows))
        levels = bytearray(r[1] for r in rows)
        names = [r[2] for r in rows]
        del rows
        formal: dict[str, int | tuple[int, ...]] = {}
        informal: dict[str, int | tuple[int, ...]] = {}
        for idx, (name, level) in enumerate(zip(names, levels, strict=True)):
            if name in _PLACEHOLDERS:
                continue
            for key in _formal_keys(level, name):
                _add(formal, key, idx)
                if (
                    _NUMBER_IN_NAME.search(key)
                    or not _PLAIN_NAME.fullmatch(key)
                    or not _FOLDED_CHARS.isdisjoint(key)
                ):
                    # Text reaches the index folded and with numbers converted
                    # (二号卜乡 reads 2号卜乡, （ reads as (), so such names are
                    # indexed both ways.
                    converted = prepare(key).text
                    if converted != key:
                        _add(formal, converted, idx)
            if level <= 3:
                for key in _short_keys(level, name):
                    _add(informal, key, idx)
        # A tuple of strings, unlike a list, is dropped from the collector's
        # view once it has looked at it: 665k references fewer to walk in
        # every full collection.
        self._codes, self._levels, self._names = codes, levels, tuple(names)
        self._formal, self._informal = formal, informal
        self._historic = self._historic_names() if self._records is None else {}
        self._maxlen = max((len(k) for k in formal), default=0)
        # A formal name of one row (most names) maps to that row, which is
        # all _entry() needs; the others (several rows, informal or old names)
        # to None: _entry() looks them up.
        heads: dict[str, dict[str, Any]] = {}
        for key, found in formal.items():
            table = heads.get(key[:2])
            if table is None:
                heads[key[:2]] = table = {}
            table[key] = found if isinstance(found, int) else None
        for others in (informal, self._historic):
            for key in others:
                table = heads.get(key[:2])
                if table is None:
                    heads[key[:2]] = table = {}
                table[key] = None
        _add_lengths(heads)
        self._heads = heads

    def _historic_names(self) -> dict[str, _Historic]:
        """Names of abolished divisions (江干区, 崇文区, 莱芜市) → their current successors.

        People keep writing the old name for years after a merger; the name
        resolves to the successors, which may be several (then it is reported
        as ambiguous like any other shared name, unless the name lives on in
        exactly one of them: 莱城区 became 莱芜区, and 钢城区 only took a part).
        """
        hist = history()
        out: dict[str, _Historic] = {}
        for code, rec in hist.items():
            if rec.in_use or code.endswith("00") or rec.name in self._formal or len(rec.name) < 2:
                continue
            current = tuple(c for c in successor_codes(code) if self._find(c) is not None)
            if not current:
                continue
            plain: list[str] = []
            for s in rec.successors:
                if "[" not in s:
                    plain.extend(c for c in successor_codes(s) if c not in plain and c in current)
            note = f"{rec.start}—{rec.end}年"
            old = out.get(rec.name)
            if old is not None:
                current = tuple(dict.fromkeys(old[0] + current))
                plain = [c for c in dict.fromkeys([*([old[2]] if old[2] else []), *plain])]
            out[rec.name] = (current, note, plain[0] if len(plain) == 1 else "", None)
        for name, entry in list(out.items()):
            codes, note, preferred, kind = entry
            if not preferred and len(codes) > 1:
                stem = name[:-1]
                same = [c for c in codes if self._names[self._find(c) or 0].startswith(stem)]
                out[name] = (codes, note, same[0] if len(same) == 1 else "", kind)
        for name, (codes, preferred, note) in OLD_CITIES.items():
            if name in self._formal or not all(self._find(c) is not None for c in codes):
                continue
            out[name] = (codes, note, preferred, "city")
        # 铜仁地区, 哈密地区: prefectures that became cities keep their names.
        for idx, level in enumerate(self._levels):
            name = self._names[idx]
            if level == 2 and name.endswith("市") and len(name) >= 3:
                old_name = name[:-1] + "地区"
                if old_name not in self._formal and old_name not in out:
                    code = self._code_at(idx)
                    out[old_name] = ((code,), "原地区建制", code, "city")
        return out

    # -- records ----------------------------------------------------------
    def __len__(self) -> int:
        self._ensure()
        return len(self._names)

    def _index_of(self, code: str) -> int | None:
        if not code.isdigit() or len(code) not in _LEVEL_LENGTHS[1:]:
            return None
        self._ensure()
        return self._find(code)

    def _find(self, code: str) -> int | None:
        # Usable while building (no _ensure: the build lock is not re-entrant).
        padded = _pad(code)
        i = bisect_left(self._codes, padded)
        if i < len(self._codes) and self._codes[i] == padded and _LEVEL_LENGTHS[self._levels[i]] == len(code):
            return i
        return None

    def _code_at(self, idx: int) -> str:
        return str(self._codes[idx]).zfill(12)[: _LEVEL_LENGTHS[self._levels[idx]]]

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and self._index_of(code) is not None

    def name(self, code: str) -> str | None:
        """Official name of ``code`` (``None`` if the code is not in this gazetteer)."""
        known = self._found_names.get(code)
        if known is not None:
            return known
        idx = self._index_of(code)
        return None if idx is None else self._names[idx]

    def short_name(self, code: str) -> str | None:
        """Name as written in addresses (committee suffix removed)."""
        if code in self._short:
            return self._short[code]
        name = self.name(code)
        short = None if name is None else division_short_name(name)
        if len(self._short) < 100_000:
            self._short[code] = short
        return short

    def path(self, code: str) -> list[tuple[str, str]]:
        """``(code, name)`` of ``code`` and its ancestors, province first, placeholders skipped."""
        return list(self.path_tuple(code))

    def path_tuple(self, code: str) -> tuple[tuple[str, str], ...]:
        """:meth:`path` as a shared tuple (cached: do not rely on its identity)."""
        cached = self._paths.get(code)
        if cached is not None:
            return cached
        parent_length = _PARENT_LENGTH.get(len(code))
        out: tuple[tuple[str, str], ...]
        if parent_length is not None:
            # Built on the parent's path, which the villages of one township
            # share: a new village costs one lookup, not one per level.
            out = self.path_tuple(code[:parent_length])
            name = self.name(code)
            if name is not None and name not in _PLACEHOLDERS:
                out = (*out, (code, division_short_name(name)))
        else:
            parts: list[tuple[str, str]] = []
            for n in _LEVEL_LENGTHS[1:]:
                if n > len(code):
                    break
                name = self.name(code[:n])
                if name is not None and name not in _PLACEHOLDERS:
                    parts.append((code[:n], division_short_name(name)))
            out = tuple(parts)
        if len(self._paths) < 100_000:
            self._paths[code] = out
        return out

    def children(self, code: str) -> Iterator[str]:
        """Codes of the direct children of ``code`` present in this gazetteer."""
        self._ensure()
        n = len(code)
        if n not in _LEVEL_LENGTHS[1:5]:
            return
        child_len = _LEVEL_LENGTHS[_LEVEL_LENGTHS.index(n) + 1]
        lo = _pad(code)
        hi = _pad(str(int(code) + 1).zfill(n))
        i = bisect_left(self._codes, lo)
        while i < len(self._codes) and self._codes[i] < hi:
            if _LEVEL_LENGTHS[self._levels[i]] == child_len:
                yield self._code_at(i)
            i += 1

    def resolve_code(self, code: str) -> list[str]:
        """Current codes for ``code``: itself if valid, else its successors.

        An abolished county code (or a longer code under one) is mapped via the
        county-code history; the longer part is kept only when the resulting
        code exists. Unknown codes give ``[]``.
        """
        code = code.strip()
        if code in self:
            return [code]
        if len(code) < 6 or not code.isdigit():
            return []
        out: list[str] = []
        for succ in successor_codes(code[:6]):
            candidate = succ + code[6:]
            if candidate in self:
                out.append(candidate)
            elif len(code) > 6 and succ in self and succ not in out:
                out.append(succ)
        return out

    def _entry(self, key: str, table: dict[str, Any], row: int | None) -> tuple[_Entry, ...]:
        """Codes of ``key`` as a formal name, then as an informal one (when it
        is either), each with whether any of them is a township or village
        and whether the name is informal; kept in ``table``, the key's head
        table, in place of ``row`` (its only row, when it is a formal name
        of one row and nothing else, or None)."""
        out: list[_Entry] = []
        codes_at = self._codes
        levels = self._levels
        found_in: tuple[tuple[tuple[int, ...], bool], ...]
        if row is None:
            found_in = ((_get(self._formal, key), False), (_get(self._informal, key), True))
        else:
            found_in = (((row,), False),)
        for found, informal in found_in:
            if found:
                # _code_at, inlined: a common village name has hundreds of codes.
                codes = tuple([str(codes_at[i]).zfill(12)[: _LEVEL_LENGTHS[levels[i]]] for i in found])
                if len(found) <= 8 and len(self._found_names) < 200_000:
                    for code, i in zip(codes, found, strict=True):
                        # Only rows name() can find: a row padding to the same
                        # number as the row before it (442000 under 4420) is not.
                        if i == 0 or codes_at[i - 1] != codes_at[i]:
                            self._found_names[code] = self._names[i]
                out.append((codes, max([levels[i] for i in found]) >= 4, informal))
        entry = tuple(out)
        made = self._entry_list
        if len(made) < 200_000:
            # Under a lock, so that the index stored is the one appended; and
            # appended first, so that a reader never sees an index past the end.
            with self._entry_lock:
                made.append(entry)
                table[key] = ~(len(made) - 1)
        return entry

    def names_at(self, text: str, pos: int, memo: _Memo | None = None) -> list[_Found]:
        """Indexed names starting at ``text[pos]``, longest first: end, name, entry.

        ``memo`` is a dict the caller keeps for one ``text``: a parse asks
        both scan() and continues() about the same positions.
        """
        if memo is not None:
            done = memo.get(pos)
            if done is not None:
                return done
        if not self._built:
            self._ensure()
        out: list[_Found] = []
        keys = self._heads.get(text[pos : pos + 2])
        if keys is not None:
            room = len(text) - pos
            made = self._entry_list
            for length in keys.get(text[pos + 2 : pos + 3]) or keys[""]:
                if length > room:
                    continue
                key = text[pos : pos + length]
                entry = keys.get(key, False)
                if entry is False:
                    continue  # not a name
                # ~index of its entry, or its row or None until that is made.
                entry = made[~entry] if entry is not None and entry < 0 else self._entry(key, keys, entry)
                out.append((pos + length, key, entry))
        if memo is not None:
            memo[pos] = out
        return out

    def continues(self, text: str, pos: int, prefixes: tuple[str, ...], memo: _Memo | None = None) -> bool:
        """Whether a division inside one of ``prefixes`` is named at ``text[pos]`` (唐山|路北区)."""
        # The memo, looked at here: mostly the names are there already.
        found = None if memo is None else memo.get(pos)
        if found is None:
            found = self.names_at(text, pos, memo)
        for _, _, entry in found:
            for codes, _, _ in entry:
                for code in codes:
                    if code.startswith(prefixes) and code not in prefixes:
                        return True
        return False

    # -- names ------------------------------------------------------------
    def lookup(self, name: str) -> tuple[str, ...]:
        """Codes of divisions whose name (official, short or informal) is exactly ``name``."""
        self._ensure()
        key = fold(name).text
        found = _get(self._formal, key) or _get(self._informal, key)
        return tuple(self._code_at(i) for i in found)

    def scan(self, text: str, pos: int, memo: _Memo | None = None) -> list[NameHit]:
        """Division names starting at ``text[pos]``, longest first.

        A committee suffix right after a village or community name
        (沿山村村委会, 鼓楼社区居委会) is included in the hit. Names directly
        followed by a road word are skipped: 西湖路 is not 西湖区. ``memo``:
        see :meth:`names_at`.
        """
        return [NameHit(*hit) for hit in self.hits(text, pos, memo)]

    def hits(self, text: str, pos: int, memo: _Memo | None = None) -> list[_Hit]:
        """:meth:`scan` as tuples (end, codes, informal, historic, preferred, kind).

        The parser reads each hit once, so it takes them without building
        an object per hit.
        """
        hits: list[_Hit] = []
        found = None if memo is None else memo.get(pos)
        if found is None:
            found = self.names_at(text, pos, memo)
        for end, key, entry in found:
            nxt = text[end : end + 1]
            for codes, low, informal in entry:
                if not (informal or low):
                    # The full name of a county or above: what follows does
                    # not matter (唐山市路北区 is still 唐山市).
                    hits.append((end, codes, False, None, None, None))
                    continue
                # Short names and village names followed by 路 are roads.
                if (
                    (nxt in _ROAD_AFTER_FIRST or nxt.isdigit())
                    and _ROAD_AFTER.match(text, end)
                    and not self.continues(text, end, codes, memo)
                ):
                    continue
                if informal:
                    if text.startswith(_TOWN_WORDS, end):
                        continue  # 河东镇 is a township, whatever 河东区 is
                    if (
                        (nxt in _POI_AFTER_FIRST or text[end + 1 : end + 2] in _POI_AFTER_FIRST)
                        and _POI_AFTER.match(text, end)
                        and not self.continues(text, end, codes, memo)
                    ):
                        continue  # 康乐小区, 东方苑, 江南公寓: a compound, not 康乐县
                hit_end = end
                if low and nxt in _COMMITTEE_FIRST:
                    m = _COMMITTEE.match(text, end)
                    if m is not None:
                        hit_end = m.end()
                hits.append((hit_end, codes, informal, None, None, None))
            if not hits:
                old = self._historic.get(key)
                if old is not None:
                    hits.append((end, old[0], False, old[1], old[2] or None, old[3]))
        return hits


# Current codes, a note for the warning, the successor the name continues as
# (or ""), and the element kind of the old division when not its successors'.
_Historic = tuple[tuple[str, ...], str, str, str | None]
# Codes a name stands for, whether any of them is a township or village, and
# whether the name is an informal one.
_Entry = tuple[tuple[str, ...], bool, bool]
# A name found in text: where it ends, the name, its entries.
_Found = tuple[int, str, tuple[_Entry, ...]]
_Memo = dict[int, list[_Found]]
# NameHit's fields, in its order.
_Hit = tuple[int, tuple[str, ...], bool, str | None, str | None, str | None]


def _formal_keys(level: int, name: str) -> list[str]:
    # The NBS names are already simplified, half-width text: no folding needed,
    # which matters for build time over 665k rows.
    folded = name
    keys = [folded]
    if level >= 4:
        short = division_short_name(folded)
        if short != folded:
            keys.append(short)
        if level == 5 and not short.endswith(("社区", "村", "嘎查")) and len(short) >= 2:
            # 城关居委会 is stored as 城关 and 化稍营镇居委会 as 化稍营镇; bare,
            # they would take the place of a town, so only the spellings with
            # a committee suffix are indexed.
            keys = [k for k in keys if k != short] + [short + "社区", short + "居委会"]
    return keys


def _add_lengths(heads: dict[str, dict[str, Any]]) -> None:
    """Add to each head's table of names the lengths to try after each third character."""
    shared: dict[bytes, bytes] = {}
    chars: dict[str, str] = {}
    for head, table in heads.items():
        short = {2} if head in table else set()
        after: dict[str, set[int]] = {}
        for key in table:
            if len(key) > 2:
                sizes = after.get(key[2])
                if sizes is None:
                    after[key[2]] = sizes = set(short)
                sizes.add(len(key))
        for ch, sizes in [("", short), *after.items()]:
            lengths = bytes(sorted(sizes, reverse=True))
            # One object per distinct value: there are far fewer of them
            # than heads.
            table[chars.setdefault(ch, ch)] = shared.setdefault(lengths, lengths)


def _add(index: dict[str, int | tuple[int, ...]], key: str, idx: int) -> None:
    if len(key) < 2:
        return
    old = index.get(key)
    if old is None:
        index[key] = idx
    elif isinstance(old, int):
        if old != idx:
            index[key] = (old, idx)
    elif idx not in old:
        index[key] = (*old, idx)


def _get(index: dict[str, int | tuple[int, ...]], key: str) -> tuple[int, ...]:
    found = index.get(key)
    if found is None:
        return ()
    return (found,) if isinstance(found, int) else found


def _clean_region(region: str | None) -> str | None:
    if region is None:
        return None
    region = region.strip()
    if not region:
        return None
    if not region.isdigit() or len(region) > 12:
        raise ValueError(f"区域应为区划代码前缀（如 13、3301、130731）：{region!r}")
    if len(region) >= 6:
        current = successor_codes(region[:6])
        if current and current[0] != region[:6]:
            region = current[0] + region[6:]
    return region


@lru_cache(maxsize=8)
def get_gazetteer(region: str | None = None) -> Gazetteer:
    """Shared gazetteer for ``region`` (``None`` = whole country), built once per process."""
    return Gazetteer(region)
