"""Unit linkage: which records are one organization, and which only share a name or an address.

A unit (实有单位) is known by its 统一社会信用代码 (GB 32100), its name and its
address, and by a phone and the name of its legal representative. Records are
prepared into *nodes* of :mod:`.core` (one per distinct prepared record):

* **credit code**: full-width, lower-case, spaces and dashes undone, and the
  letters the code never uses read as what was meant (O → 0, I → 1 …). A code
  with a right check character is valid; one that fails it is *repaired*, as
  ID numbers are, into the codes one substitution or one swap of neighbours
  away that pass both checks (GB 32100's MOD 31 and the GB 11714 organization
  code inside it). A nine-character old organization code (``MA0C1234-5``)
  agrees with the credit code that carries it in places 9–17. Two different
  valid codes, or two different organization codes, are never one unit.
* **name**: full-width to ASCII, traditional to simplified, brackets and spaces
  undone; the leading place (张家口市, 河北, (涿鹿)) is taken off and kept as a
  place; the legal form (有限公司 = 有限责任公司, 股份有限公司 …) is taken off and
  compared on its own. What follows the legal form, or a branch word at the
  end (分公司, 支行, 营业部, 人民路店 after a shop word), names a **branch**: a
  branch is never its head office, nor another branch (a hard constraint).
* **address**: the address engine's key (:mod:`.addresses`); with the name's
  place it gives the unit's **place**: the same name in two counties is two
  units unless the credit code says otherwise.
"""

from __future__ import annotations

import re
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from operator import mul
from typing import NamedTuple

from ybss.addressing import get_gazetteer
from ybss.addressing.gazetteer import Gazetteer
from ybss.lib import cn_numerals, credit_code, idcard

from . import scoring as S
from .addresses import AddressKeys, address_relation
from .core import BlockKeys, Constraints, NodeLinkage, field_level, link_nodes
from .fields import name_pinyin, normalize_name, phone_key
from .variants import TO_SIMPLIFIED

Progress = Callable[[str], None]
COLUMNS = ("record_id", "name", "credit_code", "address", "phone", "representative")
BLOCKING_KEYS = ("credit_code", "name", "name_unplaced", "name_sound", "address", "phone")
DEFAULT_THRESHOLD = 18.0

# --- credit codes ------------------------------------------------------------------

CODE_MISSING = 0
CODE_VALID = 1  # an 18-character code passing both checks
CODE_ORG = 2  # a valid 9-character organization code (GB 11714), the old number
CODE_REPAIRABLE = 3  # fails a check; one typo away from the candidates
CODE_OTHER = 4  # anything else (a 15-digit registration number …), compared as text

ALPHABET = credit_code.ALPHABET
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_WEIGHTS18 = (*credit_code.WEIGHTS, 1)
_INVERSE = tuple(pow(w, -1, 31) for w in _WEIGHTS18)
_CODE_TRANSLATE: dict[int, int | None] = {0xFF10 + i: ord("0") + i for i in range(10)}
_CODE_TRANSLATE.update({0xFF21 + i: ord("A") + i for i in range(26)})
_CODE_TRANSLATE.update({0xFF41 + i: ord("A") + i for i in range(26)})
_CODE_TRANSLATE.update({ord("a") + i: ord("A") + i for i in range(26)})
_CODE_TRANSLATE.update({c: None for c in (ord(" "), 0x3000, 0x00A0, ord("-"), 0xFF0D, 0x2014, ord("\t"))})
# Letters a credit code never uses, read as the character they are mistaken for.
_LOOKALIKE = str.maketrans({"I": "1", "O": "0", "S": "5", "V": "U", "Z": "2"})

# Weights in bits (log2 m/u).
CODE_EXACT = 30.0  # a valid code is one unit's
CODE_ORG_AGREE = 20.0  # the old organization code: one organization's, but older copies disagree more
CODE_REPAIR = 16.0  # one typo, the check points at the other code; 2 fewer per doubling of candidates
CODE_BOTH_REPAIRED = 8.0
CODE_CONFLICT = -40.0  # never one unit: also a constraint when clustering
CODE_DIFFERENT = -6.0
CODE_OTHER_EXACT = 12.0  # the same registration number or other text
CODE_OTHER_DIFFERENT = -2.0
NAME_MAX = 14.0
NAME_MIN = 6.0
NAME_PINYIN_PENALTY = 4.0  # 宏达 and 鸿达: same sound, often a typo, sometimes a neighbour
NAME_SIMILAR = 2.0  # one character more, less or other
NAME_DIFFERENT = -8.0  # renamed units keep their code, so not lower
FORM_DIFFERENT = -3.0  # 有限公司 and 股份有限公司
BRANCH_SAME = 2.0
BRANCH_CONFLICT = -40.0  # head office and branch, or two branches: never one unit
PLACE_EXACT = 1.0  # the same county (or a deeper division)
PLACE_DIFFERENT = -12.0  # 涿鹿县人民医院 and 怀来县人民医院
# A name is registered once in a county (企业名称 are unique where they are
# registered): the same name in the same county says more than either alone.
NAME_IN_COUNTY = 6.0
ADDRESS_EXACT = 8.0
ADDRESS_WITHIN = 3.0
ADDRESS_DIFFERENT = -2.0  # units move
PHONE_EXACT = 6.0  # a landlord's office phone is shared by its tenants
PHONE_DIFFERENT = -1.0
REPRESENTATIVE_EXACT = 4.0
REPRESENTATIVE_DIFFERENT = -2.0  # representatives change
NAME_M = 0.9
NAME_PRIOR_U = 1e-4
NAME_PRIOR_COUNT = 20_000


class CreditCode(NamedTuple):
    status: int
    text: str  # the valid code, the organization code, or the cleaned text
    candidates: tuple[str, ...] = ()


def clean_code(raw: str) -> str:
    """Half-width capitals without spaces or dashes: ``９１１３ ０７３１-ma0c…`` → ``91130731MA0C…``."""
    return raw.strip().translate(_CODE_TRANSLATE)


def _mod31(code: str) -> int:
    return sum(map(mul, _WEIGHTS18, map(_VALUE.__getitem__, code))) % 31


_ORG_VALUE = {c: int(c, 36) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
_ORG_CHECK = "0123456789X0"  # by 11 − (Σ mod 11), as credit_code.org_check_char gives it


def is_org_code(code: str) -> bool:
    """A GB 11714 organization code: 8 digits or capitals and its check character.

    ``credit_code.org_check_char``'s sum with ``map()``: this runs for every
    code of the file and for every repair candidate.
    """
    body = code[:8]
    if len(code) != 9 or not code.isascii() or not body.isalnum() or body != body.upper():
        return False
    total = sum(map(mul, credit_code.ORG_WEIGHTS, map(_ORG_VALUE.__getitem__, body)))
    return _ORG_CHECK[11 - total % 11] == code[8]


@lru_cache(maxsize=1)
def _provinces() -> frozenset[str]:
    # 10: codes registered by national authorities (the State Administration for Market Regulation …).
    return frozenset(c[:2] for c in idcard.valid_division_codes()) | {"10"}


def _plausible(code: str) -> bool:
    """What a code must look like besides its check characters: authority, type, division, org code."""
    return (
        code[0] in credit_code.AUTHORITIES
        and code[1] in "123456789"
        and code[2:8].isdigit()
        and code[2:4] in _provinces()
        and is_org_code(code[8:17])
    )


# The shape every code has, and its characters as digits of base 34: 34 ≡ 3 (mod 31), so the
# first 17 read backwards in base 34 are Σ vᵢ·3^i, GB 32100's weighted sum, mod 31, in C.
_SHAPE = re.compile(f"[{ALPHABET}]{{2}}[0-9]{{6}}[{ALPHABET}]{{10}}")
_BASE34 = str.maketrans(ALPHABET, "0123456789ABCDEFGHIJKLMNOPQRSTU")


def is_valid_code(code: str) -> bool:
    """Both check characters right and the division digits digits (what ``validate_credit_code`` accepts)."""
    if len(code) != 18 or not _SHAPE.fullmatch(code):
        return False
    digits = code.translate(_BASE34)
    if (int(digits[16::-1], 34) + int(digits[17], 34)) % 31:
        return False
    return is_org_code(code[8:17])


def repair_code(code: str) -> list[str]:
    """Every plausible valid code one substitution or one swap of neighbours away from ``code``.

    MOD 31 with the weights 3^i has exactly one solution per position for a
    substitution, and a swap either fixes the sum or not: 18 + 17 tries, each
    then held to both checks and to a plausible authority, type and division.
    """
    if len(code) != 18 or any(c not in _VALUE for c in code):
        return []
    values = [_VALUE[c] for c in code]
    total = sum(map(mul, _WEIGHTS18, values)) % 31
    found: set[str] = set()
    if total:
        for i in range(18):
            v = (values[i] - total * _INVERSE[i]) % 31
            if v != values[i]:
                candidate = code[:i] + ALPHABET[v] + code[i + 1 :]
                if _plausible(candidate):
                    found.add(candidate)
        for i in range(17):
            a, b = values[i], values[i + 1]
            if a != b and (total + (_WEIGHTS18[i] - _WEIGHTS18[i + 1]) * (b - a)) % 31 == 0:
                candidate = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
                if _plausible(candidate):
                    found.add(candidate)
    else:
        # The MOD 31 check holds, so the organization code inside is what is wrong:
        # only a swap within it keeps the sum (a substitution never does).
        for i in range(8, 16):
            if values[i] != values[i + 1]:
                candidate = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
                if _mod31(candidate) == 0 and _plausible(candidate):
                    found.add(candidate)
    return sorted(found)


def parse_credit_code(raw: str) -> CreditCode:
    """The status of a typed code, with its repair candidates; see the module docstring."""
    code = clean_code(raw)
    if not code:
        return CreditCode(CODE_MISSING, "")
    if len(code) == 18:
        if not code.isascii():
            return CreditCode(CODE_OTHER, code)
        code = code.translate(_LOOKALIKE)
        if is_valid_code(code):
            return CreditCode(CODE_VALID, code)
        candidates = repair_code(code)
        if candidates:
            return CreditCode(CODE_REPAIRABLE, code, tuple(candidates))
        return CreditCode(CODE_OTHER, code)
    if len(code) == 9 and is_org_code(code):
        return CreditCode(CODE_ORG, code)
    return CreditCode(CODE_OTHER, code)


def repair_weight(candidates: int) -> float:
    """Agreement through a repaired code: 16 bits for one candidate, 2 fewer per doubling."""
    return S.id_repair_weight(candidates) - (S.ID_REPAIR - CODE_REPAIR)


def _org_of(code: CreditCode) -> set[str]:
    """The organization codes a code may carry."""
    if code.status == CODE_VALID:
        return {code.text[8:17]}
    if code.status == CODE_ORG:
        return {code.text}
    if code.status == CODE_REPAIRABLE:
        return {c[8:17] for c in code.candidates}
    return set()


def compare_codes(a: CreditCode, b: CreditCode) -> tuple[int, float]:
    """The level and weight of two credit codes."""
    sa, sb = a.status, b.status
    if sa == CODE_MISSING or sb == CODE_MISSING:
        return S.MISSING, 0.0
    if a == b:
        if sa == CODE_VALID:
            return S.EXACT, CODE_EXACT
        if sa == CODE_ORG:
            return S.EXACT, CODE_ORG_AGREE
        if sa == CODE_REPAIRABLE:
            # The same mistyped code twice: one source copied, as sure as its repair.
            return S.EXACT, repair_weight(len(a.candidates))
        return S.EXACT, CODE_OTHER_EXACT
    if sa == CODE_OTHER or sb == CODE_OTHER:
        if sa == sb:
            return S.DIFFERENT, CODE_OTHER_DIFFERENT
        return S.MISSING, 0.0  # a registration number and a credit code say nothing of each other
    if sa == CODE_VALID and sb == CODE_VALID:
        return S.CONFLICT, CODE_CONFLICT
    if {sa, sb} == {CODE_VALID, CODE_REPAIRABLE}:
        valid, typed = (a, b) if sa == CODE_VALID else (b, a)
        if valid.text in typed.candidates:
            return S.REPAIR, repair_weight(len(typed.candidates))
        return S.DIFFERENT, CODE_DIFFERENT
    if sa == CODE_REPAIRABLE and sb == CODE_REPAIRABLE:
        if set(a.candidates).intersection(b.candidates):
            return S.REPAIR, CODE_BOTH_REPAIRED
        return S.DIFFERENT, CODE_DIFFERENT
    # An organization code against a credit code (or a repaired one), or two organization codes.
    org, other = (a, b) if sa == CODE_ORG else (b, a)
    if org.text in _org_of(other):
        if other.status == CODE_REPAIRABLE:
            return S.ORG_CODE, repair_weight(len(other.candidates))
        return S.ORG_CODE, CODE_ORG_AGREE
    if other.status == CODE_REPAIRABLE:
        return S.DIFFERENT, CODE_DIFFERENT
    return S.CONFLICT, CODE_CONFLICT


# --- names ------------------------------------------------------------------------

FORM_LIMITED = "有限"
FORM_JOINT_STOCK = "股份"
FORM_PARTNERSHIP = "合伙"
FORM_SOLE = "独资"
FORM_COMPANY = "公司"  # 公司 alone: compatible with the others
_FORMS = (
    ("股份有限公司", FORM_JOINT_STOCK),
    ("有限责任公司", FORM_LIMITED),
    ("有限公司", FORM_LIMITED),
    ("股份公司", FORM_JOINT_STOCK),
    ("个人独资企业", FORM_SOLE),
    ("普通合伙企业", FORM_PARTNERSHIP),
    ("有限合伙企业", FORM_PARTNERSHIP),
    ("合伙企业", FORM_PARTNERSHIP),
    ("总公司", FORM_COMPANY),
    ("公司", FORM_COMPANY),
)
_FORM_OF = dict(_FORMS)
_FORM = re.compile("|".join(re.escape(f) for f, _ in _FORMS))
# Words that end a branch's name after its head office's (no legal form before them).
_BRANCH_WORDS = (
    "分公司", "分店", "分厂", "分行", "支行", "分理处", "营业部", "办事处", "分部", "分社", "分所",
    "分院", "分校", "分中心", "分场",
)  # fmt: skip
_BRANCH_END = re.compile("(?:" + "|".join(_BRANCH_WORDS) + ")$")
# Words naming what a business does: the head office's name ends with one, so
# what follows (人民路店, 涿鹿分店) is a branch's.
TRADE_WORDS = (
    "商贸", "贸易", "科技", "建材", "五金", "餐饮", "物流", "便利店", "超市", "商店", "大药房", "药店",
    "药房", "饭店", "酒店", "宾馆", "旅馆", "餐厅", "书店", "商行", "网吧", "快递", "加油站", "汽车维修",
    "汽修", "服装", "家电", "电器", "食品", "农资", "化工", "机械", "建筑", "置业", "医院", "诊所",
    "门市部", "经营部", "理发店", "银行", "保险", "信用社",
)  # fmt: skip
_TRADE = re.compile("|".join(map(re.escape, sorted(TRADE_WORDS, key=len, reverse=True))))
_BRACKETS = str.maketrans(dict.fromkeys("【〔［｛", "(") | dict.fromkeys("】〕］｝", ")"))
_FULLWIDTH_ASCII = {0xFF01 + i: 0x21 + i for i in range(94)}
_DROP = re.compile(r"[\s·•・.．_,，、'\"“”‘’《》<>]+")
_GROUP = re.compile(r"\(([^()]*)\)")
_ORDINAL = re.compile(r"第([〇零一二两三四五六七八九十百]+)")
_PARTNERSHIP_NOTES = frozenset({"普通合伙", "有限合伙", "特殊普通合伙"})


class UnitName(NamedTuple):
    """A unit name taken apart: ``张家口宏达商贸有限公司涿鹿分公司`` → 宏达商贸, 有限, branch, place."""

    core: str  # the name without place, legal form and branch ("" without a name)
    form: str  # one of the FORM_ values, "" when none is written
    branch: str  # what names the branch, with its place as a code: "130731|分公司"; "" for a head office
    place: str  # the division code of the place the name starts with, "" when none


def _ordinal(match: re.Match[str]) -> str:
    value = cn_numerals.to_int(match.group(1))
    return f"第{value}" if value else match.group(0)


def clean_name(raw: str) -> str:
    """Full-width to ASCII, traditional to simplified, brackets unified, spaces and dots dropped."""
    s = raw.translate(_FULLWIDTH_ASCII).translate(TO_SIMPLIFIED).translate(_BRACKETS)
    s = _DROP.sub("", s).upper()
    if "第" in s:
        s = _ORDINAL.sub(_ordinal, s)
    return s


def _merge_place(place: str, code: str) -> str:
    if not place:
        return code
    if code.startswith(place):
        return code
    return place


class _Places:
    """Division names at the start of a text, found with the address engine's gazetteer."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gz = gazetteer

    def at_start(self, text: str, *, informal_depth: int) -> list[tuple[int, str]]:
        """The division names ``text`` starts with, longest first: (length, code).

        The code is "" for a name several divisions share with no common parent.
        Official names count down to townships; names without their suffix
        (张家口 for 张家口市) only for divisions of ``informal_depth`` code
        digits or fewer: a short county name is too often a brand (新华书店).
        """
        out: list[tuple[int, str]] = []
        for end, _, entries in self.gz.names_at(text, 0):
            codes = {
                code
                for found, _, informal in entries
                for code in found
                if len(code) <= (informal_depth if informal else 9)
            }
            if codes:
                out.append((end, codes.pop() if len(codes) == 1 else _common_parent(sorted(codes))))
        return out

    def code_of(self, text: str, *, informal_depth: int) -> str | None:
        """The division ``text`` names as a whole ("" for several with no common parent), or None."""
        for end, code in self.at_start(text, informal_depth=informal_depth):
            if end == len(text):
                return code
        return None

    def strip(
        self, s: str, place: str, *, informal_depth: int, enough: Callable[[str], bool] = lambda _: True
    ) -> tuple[str, str]:
        """``s`` without the division names it starts with, and the place.

        Two characters are always kept, and a name is not taken off when what
        would be left is not ``enough``.
        """
        if s.startswith("中国") and len(s) > 4:
            s = s[2:]
        while len(s) > 3:
            for end, code in self.at_start(s, informal_depth=informal_depth):
                # A name several divisions share (桑园镇 in more than one county) is
                # part of the unit's name: 桑园镇派出所 and 梁集镇派出所 are two units.
                if (
                    end <= len(s) - 2
                    and len(code) >= _LEVEL_OF_NAME.get(s[end - 1], 0)
                    and (not place or _compatible(code, place))
                    and enough(s[end:])
                ):
                    s = s[end:]
                    place = _merge_place(place, code) if code else place
                    break
            else:
                break
        return s, place


# The code length a division name's last character stands for, when it says: a township
# name that only resolves to its county (several townships share it) is not resolved.
_LEVEL_OF_NAME = {"镇": 9, "乡": 9, "道": 9, "县": 6, "旗": 6, "区": 6}


def _common_parent(codes: list[str]) -> str:
    found = codes[0]
    for code in codes[1:]:
        while not code.startswith(found):
            found = found[: {12: 9, 9: 6, 6: 4, 4: 2}.get(len(found), 0)]
    return found


def _compatible(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


def _has_trade_name(rest: str) -> bool:
    """Whether a name without the place before it still has a trade name, not only a trade.

    安阳商贸有限公司 is the trade name 安阳 (a city's short name too) and the
    trade 商贸: taking 安阳 off as a place would leave every 商贸 company one name.
    """
    head = rest[: m.start()] if (m := _FORM.search(rest)) else rest
    return len(head) >= 3 and not _TRADE.fullmatch(head)


def parse_name(raw: str, places: _Places) -> UnitName:
    """Take a unit name apart (see :class:`UnitName` and the module docstring)."""
    s = clean_name(raw)
    if not s:
        return UnitName("", "", "", "")
    place = ""
    form = ""
    branch = ""
    # Brackets: a place (宏达(张家口)商贸), a partnership note, a branch at the end (人民路店).
    if "(" in s:
        for m in reversed(list(_GROUP.finditer(s))):
            content = m.group(1)
            code = places.code_of(content, informal_depth=6) if content else None
            if not content or code is not None or content in ("中国",):
                s = s[: m.start()] + s[m.end() :]
                if code:
                    place = _merge_place(place, code)
            elif content in _PARTNERSHIP_NOTES:
                form = FORM_PARTNERSHIP
                s = s[: m.start()] + s[m.end() :]
            elif m.end() == len(s) and m.start() > 0 and not branch:
                branch = content
                s = s[: m.start()]
            else:
                s = s[: m.start()] + content + s[m.end() :]
        s = s.replace("(", "").replace(")", "")
    s, place = places.strip(s, place, informal_depth=4, enough=_has_trade_name)
    # The legal form; what follows it is a branch (…有限公司涿鹿分公司).
    found = _FORM.search(s)
    while (
        found is not None and found.start() > 0 and s[found.start() - 1] == "分" and found.group() == "公司"
    ):
        found = _FORM.search(s, found.end())
    if found is not None and found.start() >= 2:
        form = form or _FORM_OF[found.group()]
        rest = s[found.end() :]
        s = s[: found.start()]
        if rest:
            branch = rest + branch
    elif not branch:
        end = _BRANCH_END.search(s)
        trades = list(_TRADE.finditer(s))
        if end is not None:
            before = [t for t in trades if t.end() <= end.start()]
            cut = before[-1].end() if before else max(2, end.start() - 4)
            if cut < end.start() or before:
                branch, s = s[cut:], s[:cut]
        elif trades and s.endswith("店") and trades[-1].end() < len(s) - 1 and trades[-1].start() >= 2:
            cut = trades[-1].end()
            branch, s = s[cut:], s[:cut]
    if branch:
        # 涿鹿分公司 and 涿鹿县分公司 are one branch: its place is compared as a code.
        rest, branch_place = places.strip(branch, "", informal_depth=6)
        branch = f"{branch_place}|{rest}"
    return UnitName(s, form, branch, place)


# --- the table ---------------------------------------------------------------------


class UnitTable:
    """Unit records, one node per distinct prepared record; see the module docstring."""

    blocking_keys: tuple[str, ...] = BLOCKING_KEYS

    def __init__(self, *, region: str | None = None) -> None:
        self.region = region
        self.record_id: list[str] = []
        self.node_of = array("i")
        # Until freeze() prepares them: each column's distinct texts, and each record's text there.
        self._texts: list[dict[str, int]] = [{} for _ in range(5)]
        self._text_ids = [array("i") for _ in range(5)]
        self.addresses = AddressKeys(region)
        self._frozen = False
        # Per node.
        self.codes: list[CreditCode] = []
        self.names: list[UnitName] = []
        self.name_id = array("i")  # interned core, 0 none
        self.sound_id = array("i")
        self.address_id = array("i")
        self.place: list[str] = []
        self.phone = array("q")
        self.representative = array("i")
        self._name_weight = array("d")
        self._core_text: list[str] = [""]
        self._sound_text: list[str] = [""]
        self._node_keys: list[BlockKeys] = []
        self._unplaced = bytearray()
        self._number_ids: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.record_id)

    def extend_columns(
        self,
        record_id: list[str],
        name: list[str],
        credit_code: list[str],
        address: list[str],
        phone: list[str],
        representative: list[str],
    ) -> None:
        """Add records given column by column; they are prepared when the table is frozen."""
        if self._frozen:
            raise RuntimeError("UnitTable.freeze() was called: no more records can be added")
        columns = (name, credit_code, address, phone, representative)
        if any(len(c) != len(record_id) for c in columns):
            raise ValueError("all columns must have one value per record")
        self.record_id += record_id
        # Each text is kept once (copies share most of theirs); a record keeps its number.
        for texts, ids, more in zip(self._texts, self._text_ids, columns, strict=True):
            for text in dict.fromkeys(more):
                if text not in texts:
                    texts[text] = len(texts)
            ids += array("i", map(texts.__getitem__, more))

    def notes(self, lines: Sequence[int]) -> list[str]:
        """What the reader should know about the input: nothing a unit file can have wrong yet."""
        return []

    def add(
        self,
        record_id: str,
        name: str = "",
        credit_code: str = "",
        address: str = "",
        phone: str = "",
        representative: str = "",
    ) -> int:
        self.extend_columns([record_id], [name], [credit_code], [address], [phone], [representative])
        return len(self.record_id) - 1

    def node_count(self) -> int:
        return len(self.codes)

    def freeze(self, *, processes: int = 1, progress: Progress | None = None) -> None:
        """Prepare every distinct value of every column, then the nodes, weights and keys."""
        if self._frozen:
            return
        self._frozen = True
        texts, ids = self._texts, self._text_ids
        self._texts, self._text_ids = [], []
        places = _Places(get_gazetteer(self.region))
        # Each distinct text of a column is prepared once, and each distinct prepared value
        # numbered: two spellings of one name are one value.
        names: dict[UnitName, int] = {}
        codes: dict[CreditCode, int] = {}
        people: dict[str, int] = {"": 0}
        columns = [
            array("i", [names.setdefault(parse_name(t, places), len(names)) for t in texts[0]]),
            array("i", [codes.setdefault(parse_credit_code(t), len(codes)) for t in texts[1]]),
            self.addresses.ids(list(texts[2]), [""] * len(texts[2]), processes=processes, progress=progress),
            array("q", [phone_key(t) if t else 0 for t in texts[3]]),
            array("i", [people.setdefault(normalize_name(t), len(people)) for t in texts[4]]),
        ]
        del texts
        nodes: dict[tuple[int, int, int, int, int], int] = {}
        node_of = array("i")
        for value in zip(
            *(map(column.__getitem__, record) for column, record in zip(columns, ids, strict=True)),
            strict=True,
        ):
            node = nodes.get(value)
            if node is None:
                node = nodes[value] = len(nodes)
            node_of.append(node)
        del columns, ids
        name_of, code_of = list(names), list(codes)
        del names, codes
        self.node_of = node_of
        cores: dict[str, int] = {"": 0}
        sounds: dict[str, int] = {"": 0}
        sound_of = array("i", [0])  # per core
        keys = self.addresses.keys
        for name_number, code_number, address, phone_number, person_id in nodes:
            unit_name = name_of[name_number]
            self.names.append(unit_name)
            self.codes.append(code_of[code_number])
            core = cores.get(unit_name.core)
            if core is None:
                core = cores[unit_name.core] = len(cores)
                sound_of.append(sounds.setdefault(name_pinyin(unit_name.core), len(sounds)))
            self.name_id.append(core)
            self.sound_id.append(sound_of[core])
            self.address_id.append(address)
            division = keys[address].division
            if unit_name.place and (not division or _compatible(division, unit_name.place)):
                division = division if len(division) >= len(unit_name.place) else unit_name.place
            self.place.append(division)
            self.phone.append(phone_number)
            self.representative.append(person_id)
        del nodes, name_of, code_of
        self._core_text = list(cores)
        self._sound_text = list(sounds)
        # Term frequency of the name over records, not nodes: copies are what a name's count is made of.
        counts = Counter(map(self.name_id.__getitem__, node_of))
        total = len(node_of)
        self._name_weight = array(
            "d",
            (
                S.term_weight(
                    counts.get(k, 0),
                    total,
                    m=NAME_M,
                    prior_u=NAME_PRIOR_U,
                    prior_count=NAME_PRIOR_COUNT,
                    low=NAME_MIN,
                    high=NAME_MAX,
                )
                for k in range(len(cores))
            ),
        )
        self._node_keys = self._blocking()
        if progress is not None:
            progress(f"准备完成：{len(cores) - 1:,} 个不同的单位名称，{len(keys) - 1:,} 个不同的地址")

    def _blocking(self) -> list[BlockKeys]:
        """Per node, its keys of each blocking key, as integers.

        The name keys hold the county: the same name in two counties is two
        units unless the credit code (its own key) says otherwise, and without
        the county a common name would pair every county's namesakes. A node
        whose county is not known meets the others through ``name_unplaced``,
        as a probe (:meth:`probes`), and only the names such a node has are
        keyed there.
        """
        code_ids: dict[str, int] = {}
        by_code: list[tuple[int, ...]] = []
        for code in self.codes:
            texts = _org_of(code) or ({f"#{code.text}"} if code.status == CODE_OTHER else set())
            by_code.append(tuple(sorted(code_ids.setdefault(t, len(code_ids)) for t in texts)))
        county = [p[:6] if len(p) >= 6 else "" for p in self.place]
        # The name with its branch: two branches of one head office are never one unit.
        name_ids: dict[tuple[int, str, str], int] = {}
        by_name: list[tuple[int, ...]] = [
            (name_ids.setdefault((k, n.branch, c), len(name_ids)),) if k else ()
            for k, n, c in zip(self.name_id, self.names, county, strict=True)
        ]
        self._unplaced = bytearray(bool(k and not c) for k, c in zip(self.name_id, county, strict=True))
        named = list(zip(self.name_id, self.names, strict=True))
        wanted = {(k, n.branch) for (k, n), u in zip(named, self._unplaced, strict=True) if u}
        unplaced_ids: dict[tuple[int, str], int] = {}
        by_unplaced: list[tuple[int, ...]] = [
            (unplaced_ids.setdefault((k, n.branch), len(unplaced_ids)),) if (k, n.branch) in wanted else ()
            for k, n in zip(self.name_id, self.names, strict=True)
        ]
        sound_ids: dict[tuple[int, str], int] = {}
        by_sound: list[tuple[int, ...]] = [
            (sound_ids.setdefault((s, c), len(sound_ids)),) if s else ()
            for s, c in zip(self.sound_id, county, strict=True)
        ]
        keys = self.addresses.keys
        address_ids: dict[str, int] = {}
        by_address: list[tuple[int, ...]] = []
        for a in self.address_id:
            key = keys[a]
            if key.level >= 2:
                text = f"{key.division[:6]}|{key.sub_key()}"
                by_address.append((address_ids.setdefault(text, len(address_ids)),))
            else:
                by_address.append(())
        by_phone: list[tuple[int, ...]] = [(p,) if p else () for p in self.phone]
        return [BlockKeys(k) for k in (by_code, by_name, by_unplaced, by_sound, by_address, by_phone)]

    def node_keys(self, kind: int) -> BlockKeys:
        return self._node_keys[kind]

    def probes(self, kind: int) -> bytearray | None:
        return self._unplaced if BLOCKING_KEYS[kind] == "name_unplaced" else None

    def constraints(self) -> Constraints:
        """The valid code as the number (repair candidates of a mistyped one), org code and branch labels."""
        numbers = array("q")
        candidates: dict[int, tuple[int, ...]] = {}
        ids = self._number_ids
        orgs: dict[str, int] = {}
        org_label = array("q")
        branches: dict[str, int] = {"": 1}  # 1: a head office
        branch_label = array("q")
        for node, (code, name) in enumerate(zip(self.codes, self.names, strict=True)):
            if code.status == CODE_VALID:
                numbers.append(ids.setdefault(code.text, len(ids) + 1))
            else:
                numbers.append(0)
                if code.status == CODE_REPAIRABLE:
                    candidates[node] = tuple(ids.setdefault(c, len(ids) + 1) for c in code.candidates)
            org = _org_of(code)
            org_label.append(orgs.setdefault(org.pop(), len(orgs) + 1) if len(org) == 1 else 0)
            branch_label.append(branches.setdefault(name.branch, len(branches) + 1) if name.core else 0)
        return "valid credit_code", numbers, candidates, [("org_code", org_label), ("branch", branch_label)]

    def score_nodes(self, a: int, b: int) -> float:
        return self._compare(a, b, None)

    def compare_nodes(self, a: int, b: int) -> S.Comparison:
        out: list[S.FieldComparison] = []
        score = self._compare(a, b, out)
        return S.Comparison(score, tuple(out))

    def compare(self, i: int, j: int) -> S.Comparison:
        """The full comparison of records ``i`` and ``j``."""
        self.freeze()
        return self.compare_nodes(self.node_of[i], self.node_of[j])

    def _compare(self, a: int, b: int, out: list[S.FieldComparison] | None) -> float:
        code_level, code_w = compare_codes(self.codes[a], self.codes[b])
        na, nb = self.names[a], self.names[b]
        ca, cb = self.name_id[a], self.name_id[b]
        if not ca or not cb:
            name_level, name_w = S.MISSING, 0.0
            form_level, form_w = S.MISSING, 0.0
            branch_level, branch_w = S.MISSING, 0.0
        else:
            if ca == cb:
                name_level, name_w = S.EXACT, self._name_weight[ca]
            elif self.sound_id[a] == self.sound_id[b]:
                weight = min(self._name_weight[ca], self._name_weight[cb]) - NAME_PINYIN_PENALTY
                name_level, name_w = S.PINYIN, weight
            elif _one_edit(self._core_text[ca], self._core_text[cb]):
                name_level, name_w = S.SIMILAR, NAME_SIMILAR
            else:
                name_level, name_w = S.DIFFERENT, NAME_DIFFERENT
            fa, fb = na.form, nb.form
            if not fa or not fb or FORM_COMPANY in (fa, fb):
                form_level, form_w = S.MISSING, 0.0
            elif fa == fb:
                form_level, form_w = S.EXACT, 0.0
            else:
                form_level, form_w = S.DIFFERENT, FORM_DIFFERENT
            if na.branch != nb.branch:
                branch_level, branch_w = S.CONFLICT, BRANCH_CONFLICT
            elif na.branch:
                branch_level, branch_w = S.EXACT, BRANCH_SAME
            else:
                branch_level, branch_w = S.EXACT, 0.0
        pa, pb = self.place[a], self.place[b]
        if not pa or not pb:
            place_level, place_w = S.MISSING, 0.0
        elif not _compatible(pa, pb):
            place_level, place_w = S.DIFFERENT, PLACE_DIFFERENT
        elif pa[:6] == pb[:6] and len(pa) >= 6:
            place_level, place_w = S.EXACT, PLACE_EXACT
        else:
            place_level, place_w = S.WITHIN, 0.0
        keys = self.addresses.keys
        address_level = address_relation(keys[self.address_id[a]], keys[self.address_id[b]])
        address_w = _ADDRESS_WEIGHTS[address_level]
        phone_level, phone_w = field_level(self.phone[a], self.phone[b], PHONE_EXACT, PHONE_DIFFERENT)
        person_level, person_w = field_level(
            self.representative[a], self.representative[b], REPRESENTATIVE_EXACT, REPRESENTATIVE_DIFFERENT
        )
        score = code_w + name_w + form_w + branch_w + place_w + address_w + phone_w + person_w
        extra_w = NAME_IN_COUNTY if name_level == S.EXACT and place_level == S.EXACT else 0.0
        score += extra_w
        if out is not None:
            FC = S.FieldComparison
            out += (
                FC("credit_code", code_level, code_w),
                FC("name", name_level, name_w),
                FC("legal_form", form_level, form_w),
                FC("branch", branch_level, branch_w),
                FC("place", place_level, place_w),
                FC("address", address_level, address_w),
                FC("phone", phone_level, phone_w),
                FC("representative", person_level, person_w),
            )
            if extra_w:
                out.append(FC("name_in_county", S.EXACT, extra_w))
        return score


_ADDRESS_WEIGHTS = {
    S.MISSING: 0.0,
    S.EXACT: ADDRESS_EXACT,
    S.WITHIN: ADDRESS_WITHIN,
    S.DIFFERENT: ADDRESS_DIFFERENT,
}


def _one_edit(a: str, b: str) -> bool:
    """One character more, less or other, in names of four characters or more."""
    if min(len(a), len(b)) < 4 or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:k] + long[k + 1 :] == short for k in range(len(long)))


def build_table(rows: Iterable[Sequence[str]], *, region: str | None = None) -> UnitTable:
    """A table from rows of (record_id, name, credit_code, address, phone, representative), or fewer."""
    table = UnitTable(region=region)
    for row in rows:
        table.add(*row)
    table.freeze()
    return table


def link(
    table: UnitTable,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    progress: Progress | None = None,
    keep_pairs: bool = True,
    processes: int = 1,
) -> NodeLinkage:
    """Block, compare and cluster the units of ``table``."""
    quiet: Progress = lambda _: None  # noqa: E731
    return link_nodes(
        table, threshold=threshold, progress=progress or quiet, keep_pairs=keep_pairs, processes=processes
    )


__all__ = [
    "BLOCKING_KEYS",
    "COLUMNS",
    "DEFAULT_THRESHOLD",
    "CreditCode",
    "UnitName",
    "UnitTable",
    "build_table",
    "link",
    "parse_credit_code",
    "parse_name",
    "repair_code",
]
