"""Text normalization for addresses, keeping track of where every character came from.

The parser reports spans in the *original* string, so each normalization step
here carries, for every output character, the start and end offset of the
original text it was made from. Steps that drop characters (whitespace,
control characters, HTML tags) simply leave no output; steps that shrink text
(二百零一 → 201) give every output character the span of the whole run.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ybss.lib import cn_numerals

from ._tables import PUNCT, RADICALS_SUPPLEMENT, T2S, VARIANTS

__all__ = [
    "Folded",
    "fold",
    "is_cjk",
    "normalize",
    "normalize_name",
    "normalize_number",
]

# Hostile input guard: addresses are short, and every step below is linear,
# but there is no reason to spend time on megabytes of pasted junk.
MAX_INPUT = 20_000

_HTML_TAG = re.compile(r"<[^<>]{0,200}>")
_DROP_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Mn", "Me"})


def is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\U00020000" <= ch <= "\U0003134f"


@dataclass(frozen=True, slots=True)
class Folded:
    """Normalized text plus, per character, the original span it stands for."""

    text: str
    starts: Sequence[int]
    ends: Sequence[int]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original ``(start, end)`` of the normalized slice ``text[start:end]``."""
        if end <= start:
            pos = self.starts[start] if start < len(self.starts) else (self.ends[-1] if self.ends else 0)
            return pos, pos
        return self.starts[start], self.ends[end - 1]


# Folded is a frozen dataclass; its generated __init__ sets each field
# through object.__setattr__. fold() runs once per parse and per name, so it
# fills a plain object with the same slots and gives it Folded's class (which
# CPython allows for the same layout, and refuses with TypeError otherwise).
class _FoldedDraft:
    __slots__ = Folded.__slots__


def _folded(text: str, starts: Sequence[int], ends: Sequence[int]) -> Folded:
    out: Any = _FoldedDraft()
    out.text = text
    out.starts = starts
    out.ends = ends
    out.__class__ = Folded
    return out


_char_cache: dict[str, str] = {}

# The span maps of text that folds one character to one: ranges are
# immutable, so those of the lengths addresses have are made once.
_IDENTITY = [(range(n), range(1, n + 1)) for n in range(128)]


def _one_to_one(text: str) -> Folded:
    """Folded ``text`` that stands for an original of the same length, character by character."""
    n = len(text)
    starts, ends = _IDENTITY[n] if n < 128 else (range(n), range(1, n + 1))
    out: Any = _FoldedDraft()
    out.text = text
    out.starts = starts
    out.ends = ends
    out.__class__ = Folded
    return out


def _fold_char(ch: str) -> str:
    cached = _char_cache.get(ch)
    if cached is not None:
        return cached
    out = _fold_uncached(ch)
    if len(_char_cache) < 50_000:
        _char_cache[ch] = out
        if len(out) == 1 and out != " " and ch != "<":
            _ONE_TO_ONE.add(ch)
            _TRANSLATE[ord(ch)] = out
    return out


def _fold_uncached(ch: str) -> str:
    if ch.isspace():
        out = " "
    elif unicodedata.category(ch) in _DROP_CATEGORIES:
        out = ""
    else:
        parts: list[str] = []
        # The radical supplement goes first because NFKC leaves it alone;
        # NFKC then takes care of full-width forms, Kangxi radicals and the
        # CJK compatibility ideographs.
        for d in unicodedata.normalize("NFKC", RADICALS_SUPPLEMENT.get(ch, ch)):
            d = RADICALS_SUPPLEMENT.get(d, d)
            d = VARIANTS.get(d, d)
            d = T2S.get(d, d)
            d = PUNCT.get(d, d)
            if not d:
                continue
            if d.isspace():
                d = " "
            elif d.isascii() and d.isalpha():
                d = d.upper()
            elif unicodedata.category(d) in _DROP_CATEGORIES:
                d = ""
            parts.append(d)
        out = "".join(parts)
    return out


# Characters already seen that fold to exactly one character (most of them
# to themselves). Text made only of those takes the fast path of fold(): one
# str.translate, and the identity span map.
_ONE_TO_ONE: set[str] = set()
_TRANSLATE: dict[int, str] = {}


# The printable ASCII, 〇 and CJK Unified Ideographs that fold to themselves.
_SAME = [
    cp
    for cp in (*range(0x21, 0x7F), 0x3007, *range(0x4E00, 0xA000))
    if chr(cp) != "<" and _fold_uncached(chr(cp)) == chr(cp)
]


def _unchanged_class(leave_out: frozenset[str] = frozenset()) -> str:
    """Regex class of the characters of _SAME, but those in ``leave_out``."""
    same = [cp for cp in _SAME if chr(cp) not in leave_out]
    ranges: list[str] = []
    start = prev = same[0]
    for cp in [*same[1:], -1]:
        if cp != prev + 1:
            ranges.append(re.escape(chr(start)) + (f"-{re.escape(chr(prev))}" if prev > start else ""))
            start = cp
        prev = cp
    return "[" + "".join(ranges) + "]*"


# Nearly every address is plain simplified Chinese, ASCII digits and upper-case
# letters, which folding leaves as they are (and 〇, as in 七〇四室): one regex
# pass recognises that.
_UNCHANGED = re.compile(_unchanged_class())


def _is_word(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def fold(text: str) -> Folded:
    """Character-level normalization: width, variants, traditional forms, punctuation.

    Whitespace is dropped except a single space between two Latin letters or
    digits (so ``Room 5`` keeps its space and ``文三路 90号`` loses it).
    """
    text = text[:MAX_INPUT]
    if _UNCHANGED.fullmatch(text):
        return _one_to_one(text)
    # Characters seen before that fold to one character each: one
    # translate. When the result is all of the class above, every character
    # was one of those or folds to itself, without a set test per character.
    translated = text.translate(_TRANSLATE)
    if _UNCHANGED.fullmatch(translated) or _ONE_TO_ONE.issuperset(text):
        return _one_to_one(translated)
    skip_until = -1
    tags = {m.start(): m.end() for m in _HTML_TAG.finditer(text)} if "<" in text else {}
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pending_space = -1
    for i, ch in enumerate(text):
        if i < skip_until:
            continue
        if i in tags:
            skip_until = tags[i]
            pending_space = i
            continue
        folded = _fold_char(ch)
        if not folded:
            continue
        if folded == " ":
            pending_space = i
            continue
        if pending_space >= 0:
            if out and _is_word(out[-1]) and _is_word(folded[0]):
                out.append(" ")
                starts.append(pending_space)
                ends.append(pending_space + 1)
            pending_space = -1
        for d in folded:
            if d == " ":
                continue
            out.append(d)
            starts.append(i)
            ends.append(i + 1)
    return _folded("".join(out), tuple(starts), tuple(ends))


# Words after which a numeral run is a number, not part of a name. "Strong"
# words make it a number whatever follows (十八号阳光小区); "weak" ones only
# when the word itself is followed by a boundary, because they also occur
# inside names: 三门峡, 五楼村, 二期工程 vs 三门502, 五楼, 二期3栋.
_NUMERAL_CHARS = frozenset(ch for ch in cn_numerals.NUMERAL_CHARS if cn_numerals.is_numeral_char(ch))
_NUMERAL_RUN = re.compile("[" + re.escape("".join(sorted(_NUMERAL_CHARS))) + "]+")
_STRONG_AFTER = ("号", "栋", "幢", "单元", "室", "组", "层")
_WEAK_AFTER = ("门", "座", "楼", "梯", "房", "户", "队", "社", "期", "排", "弄", "#", "-")
_UNIT_BEFORE = (
    "栋", "幢", "座", "单元", "号", "室", "房", "户", "层", "楼", "门", "梯", "#", "-", "附", "组",
)  # fmt: skip


_ANY_AFTER = _STRONG_AFTER + _WEAK_AFTER


def _boundary(s: str, pos: int) -> bool:
    if pos >= len(s):
        return True
    ch = s[pos]
    if ch.isdigit() or cn_numerals.is_numeral_char(ch) or not is_cjk(ch):
        return True
    return s.startswith(_ANY_AFTER, pos)


def _is_number_run(s: str, a: int, b: int) -> bool:
    if s.startswith(_STRONG_AFTER, b):
        return True
    if s.startswith(_WEAK_AFTER, b):  # one call to rule them all out, mostly
        for w in _WEAK_AFTER:
            if s.startswith(w, b) and _boundary(s, b + len(w)):
                return True
    # A trailing room number written in words: 二单元五〇二.
    at_end = b >= len(s) or not (is_cjk(s[b]) or s[b].isalnum())
    if at_end and a > 0:
        prev = s[a - 1]
        if prev.isdigit() or s.endswith(_UNIT_BEFORE, 0, a):
            return True
    return False


# Numeral runs repeat endlessly (三, 十二, 二〇一): reading one is pure.
_to_digits = lru_cache(maxsize=1 << 14)(cn_numerals.to_digits)


def convert_numerals(f: Folded, *, everywhere: bool = False) -> Folded:
    """Replace Chinese numerals that are numbers (not parts of names) by digits.

    With ``everywhere`` every run that reads as a number is converted, which is
    right for text already known to be a number (a building or room field).
    """
    s = f.text
    # A regex scan, unlike a set test, makes no string per character.
    if _NUMERAL_RUN.search(s) is None:
        return f
    f_starts = f.starts
    f_ends = f.ends
    out: list[str] = []
    # Copies of the span maps, each run's part replaced in place (``shift``:
    # how much longer the output is so far than the input).
    starts: list[int] = []
    ends: list[int] = []
    shift = 0
    done = 0  # s[:done] has been copied or converted
    for m in _NUMERAL_RUN.finditer(s):
        i, j = m.span()
        digits = _to_digits(s[i:j]) if everywhere or _is_number_run(s, i, j) else None
        if digits is None:
            continue
        if not out:
            starts = list(f_starts)
            ends = list(f_ends)
        out.append(s[done:i])
        out.append(digits)
        n = len(digits)
        starts[i + shift : j + shift] = [f_starts[i]] * n
        ends[i + shift : j + shift] = [f_ends[j - 1]] * n
        shift += n - (j - i)
        done = j
    if not out:
        return f
    out.append(s[done:])
    return _folded("".join(out), tuple(starts), tuple(ends))


# Text that folding leaves alone and that has no Chinese numeral: what
# prepare() makes of it is the text itself, found by one regex pass.
_PLAIN = re.compile(_unchanged_class(_NUMERAL_CHARS))


def prepare(text: str) -> Folded:
    """Folded text with numbers converted: what the parser works on."""
    text = text[:MAX_INPUT]
    if _PLAIN.fullmatch(text):
        return _one_to_one(text)
    return convert_numerals(fold(text))


# Each rule with the words one of which every match contains: a rule whose words the
# text lacks cannot match, and looking for them costs a fraction of the search.
_SYNONYMS: list[tuple[re.Pattern[str], str, tuple[str, ...]]] = [
    # Compact building-unit-room forms: 12-2-302 and 12栋2-302.
    (re.compile(r"(?<![\d\-])(\d{1,4}[A-Z]?)-(\d{1,2})-(\d{1,5})(?![\d\-])"), r"\1栋\2单元\3室", ("-",)),
    (re.compile(r"(\d{1,4}[A-Z]?)栋(\d{1,2})-(\d{1,5})(?![\d\-])"), r"\1栋\2单元\3室", ("-",)),
    (
        re.compile(r"(?<![A-Z\d])(\d+[A-Z]?|[A-Z])(?:号楼|栋楼|幢|座|#)"),
        r"\1栋",
        ("号楼", "栋楼", "幢", "座", "#"),
    ),
    (re.compile(r"(?<=\d)(?:门|梯)(?![\u4e00-\u9fff])"), "单元", ("门", "梯")),
    (re.compile(r"(?<=\d)(?:房|户)"), "室", ("房", "户")),
    (re.compile(r"(?<=单元)(\d+[A-Z]?)(?=$|,)"), r"\1室", ("单元",)),
]


def normalize(text: str) -> str:
    """Normalized text of an address: what two spellings of one address share.

    Width, variant, radical and traditional characters are folded, numbers
    written in Chinese become digits (names such as 三里屯 are left alone) and
    the building/unit/room words are unified to 栋/单元/室.

    >>> normalize("軒轅路十八號陽光小區三幢二單元５０２")
    '轩辕路18号阳光小区3栋2单元502室'
    """
    out = unify(prepare(text).text)
    # Unifying words can give a numeral new context (三〇二户八 → …室八);
    # a second pass settles it, so that normalize(normalize(x)) == normalize(x).
    for _ in range(3):
        again = unify(prepare(out).text)
        if again == out:
            break
        out = again
    return out


def unify(prepared: str) -> str:
    """Building/unit/room words of already prepared text unified to 栋/单元/室."""
    for pattern, repl, words in _SYNONYMS:
        for word in words:
            if word in prepared:
                prepared = pattern.sub(repl, prepared)
                break
    return prepared


_NAME_DROP = re.compile(r"[^0-9A-Z\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134f]+")


@lru_cache(maxsize=1 << 16)
def normalize_name(text: str) -> str:
    """Match form of a name (road, compound, building name).

    Characters are folded as in :func:`normalize`, whitespace and punctuation
    are removed, and numerals are kept as written: a name is not a number.
    """
    if len(text) <= MAX_INPUT and _UNCHANGED.fullmatch(text):
        return _NAME_DROP.sub("", text)  # fold() would leave it as it is
    return _NAME_DROP.sub("", fold(text).text)


_NUMBER_SUFFIXES: dict[str, tuple[str, ...]] = {
    "building": ("号楼", "栋楼", "栋", "幢", "座", "楼", "号", "#"),
    "unit": ("单元", "门", "梯", "单"),
    "floor": ("层", "楼", "F"),
    "room": ("室", "房", "户", "号"),
    "village_group": ("村民小组", "小组", "组", "队", "社"),
    "road_no": (),
    "subroad_no": (),
}
_LEADING_ZEROS = re.compile(r"(?<![\d.])0+(?=\d)")
_NUMBER_DROP = re.compile(r"[^0-9A-Z\u4e00-\u9fff\-]+")


@lru_cache(maxsize=1 << 16)
def normalize_number(kind: str, text: str) -> str:
    """Match form of a numbered element: ``("building", "三栋") → "3"``.

    ``kind`` is an element kind (building, unit, floor, room, road_no,
    subroad_no, village_group); the kind's own words are removed so that
    3号楼, 三栋, 3幢 and 3# all give ``"3"``. Road numbers keep their structure
    words: ``5号附3号`` → ``"5附3"``, ``5组6号`` → ``"5组6"``.
    """
    s = convert_numerals(fold(text), everywhere=True).text
    s = _NUMBER_DROP.sub("", s)
    if s.startswith("第"):
        s = s[1:]
    if kind in ("road_no", "subroad_no"):
        s = s.replace("之", "-").replace("号", "").removesuffix("院")
    elif kind == "floor":
        for prefix in ("地下", "负", "B"):
            if s.startswith(prefix) and s[len(prefix) : len(prefix) + 1].isdigit():
                s = "-" + s[len(prefix) :]
                break
        if s.startswith("F") and s[1:2].isdigit():
            s = s[1:]
    elif kind == "building" and s.startswith("#"):
        s = s[1:]
    for suffix in _NUMBER_SUFFIXES.get(kind, ()):
        if s.endswith(suffix) and len(s) > len(suffix):
            s = s[: -len(suffix)]
            break
    return _LEADING_ZEROS.sub("", s)
