"""Field normalization for record linkage: one function per column of the input.

Everything here turns what somebody typed into a form two copies of the same
fact share: an ID number in full-width digits, with a lower-case x or in the
old 15-digit form becomes the one 18-digit number; 張偉 and 张伟 become one
name, and 张伟 and 张玮 one sound; ``2001/3/5`` and ``2001年3月5日`` one date.

ID numbers, phones and dates are encoded as integers, because the engine keeps
millions of them in :mod:`array` columns where a Python string would cost
50 bytes or more each.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from operator import mul

from pypinyin import Style, lazy_pinyin

from ybss.addressing import normalize as _normalize_address
from ybss.addressing.normalize import prepare as _prepare_address
from ybss.lib import cn_numerals, idcard
from ybss.lib.phone import PhoneError, normalize_phone

from .variants import TO_SIMPLIFIED

# --- ID numbers (GB 11643-1999) ------------------------------------------------

CHECK_CHARS = "0123456789X"
_WEIGHTS18 = (*idcard.WEIGHTS, 1)
# Inverse of each weight modulo 11, to solve "which digit here makes the check right".
_INVERSE = tuple(pow(w, -1, 11) for w in _WEIGHTS18)
EARLIEST_BIRTH = idcard.EARLIEST_BIRTH.toordinal()

# Full-width digits and X come from Chinese input methods, lower-case x from
# people who do not know it is a Roman numeral; spaces and dashes from copying
# a number out of a printed form.
_ID_TRANSLATE: dict[int, int | None] = {0xFF10 + i: ord("0") + i for i in range(10)}
_ID_TRANSLATE.update({0xFF38: ord("X"), 0xFF58: ord("X"), ord("x"): ord("X")})
_ID_TRANSLATE.update({c: None for c in (ord(" "), 0x3000, 0x00A0, ord("-"), ord("\t"))})

# Status of a record's ID number.
ID_MISSING = 0  # empty
ID_VALID = 1  # 18 characters with a right check character (or a 15-digit number converted)
ID_REPAIRABLE = 2  # fails the check; one typo away from the candidates given
ID_UNUSABLE = 3  # wrong length or characters, or no candidate


def clean_id(raw: str) -> str:
    """Upper-case half-width form of a typed number, without spaces: ``１３０７…x`` → ``1307…X``."""
    if raw.isascii() and raw.isalnum():
        # Nothing to drop or widen; translate() would look up every character.
        return raw.replace("x", "X")
    return raw.strip().translate(_ID_TRANSLATE)


def encode_id(number18: str) -> int:
    """An 18-character number as one integer below 1.1e18 (fits a signed 64-bit column)."""
    return int(number18[:17]) * 11 + CHECK_CHARS.index(number18[17])


def decode_id(code: int) -> str:
    first17, check = divmod(code, 11)
    return f"{first17:017d}{CHECK_CHARS[check]}"


_WEIGHT_OF_ZEROS = 48 * sum(idcard.WEIGHTS)


def check_value(first17: str) -> int:
    # map() over the ASCII bytes keeps the loop in C: this runs once per record.
    total = sum(map(mul, idcard.WEIGHTS, first17.encode("ascii"))) - _WEIGHT_OF_ZEROS
    return (12 - total % 11) % 11


def is_check_right(number18: str) -> bool:
    return "X" not in number18[:17] and CHECK_CHARS[check_value(number18[:17])] == number18[17]


@lru_cache(maxsize=1)
def _division_codes() -> frozenset[str]:
    return idcard.valid_division_codes()


def date_ordinal(yyyymmdd: str) -> int:
    """``date(…).toordinal()`` of eight digits, or 0 when they are not a date."""
    try:
        return date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8])).toordinal()
    except ValueError:
        return 0


def repair_id(number: str, *, today: date | None = None) -> list[str]:
    """Every plausible valid number one typo away from an 18-character number that fails its check.

    The same set as :func:`ybss.lib.idcard.repair_candidates`, found faster:
    for a substitution at position *i* the check equation has exactly one
    solution modulo 11, so there is one digit to try per position instead of
    ten, and one sum per adjacent swap. A candidate must start with a known
    division code and hold a birth date between 1900 and ``today``; the result
    is sorted so that it does not depend on how it was found.
    """
    s = number
    # strip() leaves something exactly when a character is not a digit or X.
    if len(s) != 18 or s.count("X") > 1 or s.strip(CHECK_CHARS):
        return []
    if is_check_right(s):
        return []
    today_ord = (today or date.today()).toordinal()
    values = list(map(CHECK_CHARS.index, s))
    total = sum(map(mul, _WEIGHTS18, values)) % 11
    divisions = _division_codes()
    # A typo changes one or two positions: the division code or the birth date
    # it leaves alone is the typed number's, checked once (date() is slow).
    typed_division = s[:6] in divisions
    typed_birth = EARLIEST_BIRTH <= date_ordinal(s[6:14]) <= today_ord

    def plausible(candidate: str, first: int, last: int) -> bool:
        if not (candidate[:6] in divisions if first < 6 else typed_division):
            return False
        if last < 6 or first > 13:
            return typed_birth
        return EARLIEST_BIRTH <= date_ordinal(candidate[6:14]) <= today_ord

    found: set[str] = set()
    for i in range(18):
        # Need (total + w_i·(v' − v_i)) ≡ 1 (mod 11).
        v = (values[i] + (1 - total) * _INVERSE[i]) % 11
        if v == values[i] or (v == 10 and i != 17):
            continue
        candidate = s[:i] + CHECK_CHARS[v] + s[i + 1 :]
        if "X" not in candidate[:17] and plausible(candidate, i, i):
            found.add(candidate)
    for i in range(17):
        a, b = values[i], values[i + 1]
        if a == b:
            continue
        if (total + (_WEIGHTS18[i] - _WEIGHTS18[i + 1]) * (b - a)) % 11 == 1:
            candidate = s[:i] + s[i + 1] + s[i] + s[i + 2 :]
            if "X" not in candidate[:17] and plausible(candidate, i, i + 1):
                found.add(candidate)
    return sorted(found)


def parse_id(raw: str, *, today: date | None = None) -> tuple[int, str, tuple[int, ...]]:
    """``(status, valid 18-character number or "", encoded repair candidates)`` of a typed ID number.

    A 15-digit number is converted to its 18-digit form, which is what every
    other copy of the same person's number says.
    """
    s = clean_id(raw)
    if not s:
        return ID_MISSING, "", ()
    if len(s) == 15 and s.isascii() and s.isdigit():
        first17 = s[:6] + "19" + s[6:]
        return ID_VALID, first17 + CHECK_CHARS[check_value(first17)], ()
    if len(s) != 18 or not s.isascii():
        return ID_UNUSABLE, "", ()
    if s[:17].isdigit() and CHECK_CHARS[check_value(s[:17])] == s[17]:
        return ID_VALID, s, ()
    candidates = repair_id(s, today=today)
    if not candidates:
        return ID_UNUSABLE, "", ()
    return ID_REPAIRABLE, "", tuple(encode_id(c) for c in candidates)


def birth_of_id(code: int) -> int:
    """Birth date (ordinal) inside an encoded number, or 0 if it is not a possible date."""
    birth = date_ordinal(decode_id(code)[6:14])
    return birth if birth >= EARLIEST_BIRTH else 0


def sex_of_id(code: int) -> int:
    """1 for men (odd sequence digit), 2 for women."""
    return 1 if int(decode_id(code)[16]) % 2 else 2


# --- Birth dates ---------------------------------------------------------------

_DIGIT_TRANSLATE = {0xFF10 + i: ord("0") + i for i in range(10)}
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[\sT].*)?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})(?:[\sT].*)?")


def parse_birth_date(raw: str) -> int:
    """Ordinal of a birth date written ``YYYY-MM-DD``, ``YYYYMMDD``, ``YYYY/M/D`` or ``YYYY年M月D日``.

    A time after the date (spreadsheets add `` 00:00:00``) is ignored; anything
    else, and dates before 1900, give 0.
    """
    s = raw.strip().translate(_DIGIT_TRANSLATE)
    if not s:
        return 0
    m = _DATE.fullmatch(s) or _COMPACT_DATE.fullmatch(s)
    if m is None:
        return 0
    try:
        ordinal = date(int(m.group(1)), int(m.group(2)), int(m.group(3))).toordinal()
    except ValueError:
        return 0
    return ordinal if ordinal >= EARLIEST_BIRTH else 0


# --- Gender --------------------------------------------------------------------

_GENDERS = {
    "1": 1,
    "男": 1,
    "男性": 1,
    "m": 1,
    "male": 1,
    "2": 2,
    "女": 2,
    "女性": 2,
    "f": 2,
    "female": 2,
}


def parse_gender(raw: str) -> int:
    """1 (male) or 2 (female) from GB/T 2261.1 codes or words; 0 when unknown (0, 9, empty …)."""
    return _GENDERS.get(raw.strip().lower(), 0)


# --- Phones --------------------------------------------------------------------

_MOBILE = re.compile(r"1[3-9]\d{9}")


def phone_key(raw: str) -> int:
    """A phone number as an integer: the mobile number itself, or 9 followed by a landline's digits.

    Normalization is :func:`ybss.lib.phone.normalize_phone`, with a fast path
    for the plain 11-digit mobile most records hold. A number it refuses is
    treated as missing: it cannot be told apart from a typo.
    """
    s = raw.strip()
    if not s:
        return 0
    if len(s) == 11 and s.isascii() and _MOBILE.fullmatch(s):
        return int(s)
    try:
        normal = normalize_phone(s)
    except PhoneError:
        return 0
    digits = normal.replace("-", "")
    return int(digits) if digits.startswith("1") else int("9" + digits)


# --- Names ---------------------------------------------------------------------

_NAME_DROP = re.compile(r"[\s·•・.．\-_,，、]+")
_FULLWIDTH_ASCII = {0xFF01 + i: 0x21 + i for i in range(94)}


@lru_cache(maxsize=1 << 18)
def normalize_name(raw: str) -> str:
    """Simplified characters, no spaces or middle dots, Latin letters upper-case: 張 偉 → 张伟."""
    return normalize_name_once(raw)


def normalize_name_once(raw: str) -> str:
    """:func:`normalize_name` without its cache, for callers that see each spelling once."""
    s = raw.translate(_FULLWIDTH_ASCII).translate(TO_SIMPLIFIED)
    return _NAME_DROP.sub("", s).upper()


_pinyin_cache: dict[str, str] = {}


def _char_pinyin(ch: str) -> str:
    found = _pinyin_cache.get(ch)
    if found is None:
        # Each character always gets the same reading (its most common one);
        # polyphonic surnames such as 曾 (zēng/céng) then still agree with
        # themselves, which is all matching needs.
        found = lazy_pinyin(ch, style=Style.NORMAL, errors="default")[0].lower() if ch > "\x7f" else ch
        _pinyin_cache[ch] = found
    return found


def name_pinyin(normalized: str) -> str:
    """Toneless pinyin of a normalized name, syllables separated by spaces: 张玮 → ``zhang wei``."""
    known = _pinyin_cache.get
    return " ".join([known(c) or _char_pinyin(c) for c in normalized])


# --- Addresses -----------------------------------------------------------------


def normalize_address(raw: str) -> str:
    """The address engine's normal form, without spaces: 三幢二單元 and 3栋2单元 agree."""
    return _normalize_address(raw).replace(" ", "")


def fold_address(raw: str) -> str:
    """The cheap first step of :func:`normalize_address`: characters folded, numbers converted.

    About a tenth of the cost; enough when two copies differ only in
    traditional characters, spacing, width or Chinese numerals.
    """
    return _prepare_address(raw).text.replace(" ", "")


_CN_NUMBER = re.compile(r"[〇零一二三四五六七八九十百两壹贰叁肆伍陆柒捌玖拾]+")
_DIGITS = re.compile(r"\d+")
_FULLWIDTH_DIGIT = re.compile("[\uff10-\uff19]")
_cn_number_text: dict[str, str] = {}


def _cn_number(match: re.Match[str]) -> str:
    # The same few numerals (一, 三, 十二 …) recur in every address.
    numeral = match.group()
    found = _cn_number_text.get(numeral)
    if found is None:
        found = _cn_number_text[numeral] = str(cn_numerals.to_int(numeral) or numeral)
    return found


def address_fingerprint(address: str) -> str:
    """The numbers of an address in order, ``18/3/2/502``: what its spellings share.

    3栋2单元502室, 3-2-502, 3号楼2单元502, 三幢二单元五〇二室 and 第三村民小组
    all give their numbers; so does a copy without the province and city, or
    in traditional characters. Works on the text as typed (only digits and
    numerals matter, so folding the whole address would be wasted), and is
    used as a blocking key with the name, never as a comparison.
    """
    # translate() looks up every character: only worth it when there is something to translate.
    text = address.translate(_DIGIT_TRANSLATE) if _FULLWIDTH_DIGIT.search(address) else address
    text = _CN_NUMBER.sub(_cn_number, text)
    numbers = _DIGITS.findall(text)
    if numbers:
        return "/".join([n.lstrip("0") or "0" for n in numbers])
    return "".join(text.split())[-8:]
