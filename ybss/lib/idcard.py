"""公民身份号码 (GB 11643-1999) checks, pure Python.

An 18-character number is a 6-digit division code, the birth date as
YYYYMMDD, a 3-digit sequence whose last digit is odd for men and even for
women, and an ISO 7064 MOD 11-2 check character (0-9 or X). Numbers issued
before 1999 have 15 digits: no century and no check character.

The check character catches every single-digit substitution and every swap of
two adjacent digits, so a number that fails it contains at least one typo;
that is why a wrong check character comes with suggested corrections.

Error messages never repeat the whole number: they end up in logs, and a
suggestion may well be somebody else's real number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from operator import mul
from typing import Literal

from ybss.lib.divisions import history, iter_divisions, successor_codes

FIELD = "id_number"
MAX_SUGGESTIONS = 5
EARLIEST_BIRTH = date(1900, 1, 1)

# Weight of position i (1-based) is 2**(18 - i) mod 11; the check character
# itself has weight 1, which is what makes "weighted sum ≡ 1 (mod 11)" the test.
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_WEIGHTS18 = (*WEIGHTS, 1)
# Indexed by (weighted sum of the first 17 digits) mod 11.
_CHECK_BY_REMAINDER = "10X98765432"
_DIGITS = "0123456789"
_CHECK_CHARS = "0123456789X"
_VALUE = {c: i for i, c in enumerate(_CHECK_CHARS)}
_ZERO_OFFSET = ord("0") * sum(WEIGHTS)

# Full-width forms come from Chinese input methods; NFKC would also turn ①, ²
# and other lookalikes into digits, which nobody means in an ID number.
_FULLWIDTH: dict[int, int | None] = {0xFF10 + i: ord("0") + i for i in range(10)}
_FULLWIDTH.update({0xFF38: ord("X"), 0xFF58: ord("x")})
# Spaces inside a number come from copying it out of printed forms and
# spreadsheets ("130731 19900101 1234"), never from a deliberate value.
_FULLWIDTH.update({ord(" "): None, 0x3000: None, 0x00A0: None})

GenderCode = Literal["0", "1", "2", "9"]
_GENDER_NAMES = {"1": "男", "2": "女"}
_KNOWN_GENDERS = ("0", "1", "2", "9")

ErrorCode = Literal[
    "type",
    "empty",
    "charset",
    "length",
    "check_digit",
    "division",
    "birth_date",
    "early_birth",
    "future_birth",
    "sex_mismatch",
]


class IdNumberError(ValueError):
    """A refused ID number; ``message`` is meant for the person who typed it."""

    def __init__(
        self,
        message: str,
        *,
        code: ErrorCode,
        field: str = FIELD,
        suggestions: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code: ErrorCode = code
        self.field = field
        self.suggestions: list[str] = list(suggestions or [])


@dataclass(frozen=True, slots=True)
class IdNumber:
    number18: str
    # The 15-digit form the number was given in, or None if it came as 18 digits.
    number15: str | None
    division_code: str
    birth_date: date
    sequence: str
    sex: Literal["1", "2"]
    check: str

    @property
    def masked(self) -> str:
        return mask_id(self.number18)

    @property
    def current_divisions(self) -> list[str]:
        """Today's county codes for the issuing division (itself unless it was abolished)."""
        if self.division_code in current_division_codes():
            return [self.division_code]
        return successor_codes(self.division_code)


@lru_cache(maxsize=1)
def current_division_codes() -> frozenset[str]:
    """6-digit forms of the NBS 2023 province, city and county codes."""
    codes: set[str] = set()
    for rec in iter_divisions():
        # The data file lists whole levels in order (provinces, cities,
        # counties, then 41k townships and 620k villages), so the first code
        # longer than 6 digits means every code an ID can start with was seen;
        # reading on would cost most of a second for nothing.
        if len(rec.code) > 6:
            break
        codes.add(rec.code.ljust(6, "0"))
    return frozenset(codes)


@lru_cache(maxsize=1)
def valid_division_codes() -> frozenset[str]:
    """Every 6-digit code an ID number may start with: current or used since 1981."""
    return current_division_codes() | frozenset(c for c in history() if len(c) == 6 and c.isdigit())


def is_known_division(code: str) -> bool:
    return code in valid_division_codes()


def check_char(first17: str) -> str:
    """The MOD 11-2 check character for the first 17 digits of a number."""
    # isdigit alone would take other scripts' digits; with isascii only 0-9 are left.
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise IdNumberError("计算校验码需要 17 位数字", code="length" if len(first17) != 17 else "charset")
    # Over the bytes, whose values are the digits' plus 48: an import checks millions.
    total = sum(map(mul, WEIGHTS, first17.encode())) - _ZERO_OFFSET
    return _CHECK_BY_REMAINDER[total % 11]


def to_18(number15: str) -> str:
    """Upgrade a pre-1999 15-digit number: add the century 19 and the check character."""
    s = _clean(number15)
    if len(s) != 15 or any(c not in _DIGITS for c in s):
        code: ErrorCode = "length" if len(s) != 15 else "charset"
        raise IdNumberError("旧版 15 位身份证号码应为 15 位数字", code=code)
    first17 = s[:6] + "19" + s[6:]
    return first17 + check_char(first17)


def mask_id(number: str) -> str:
    """Hide the middle of a number for display: ``130731********1234``.

    Never raises, because it is used on whatever ended up stored. Standard
    lengths keep the division code and the last four characters; anything
    else keeps at most a quarter at each end (nothing below 5 characters) so
    a stray value still cannot be read back.
    """
    s = _clean(number).upper() if isinstance(number, str) else ""
    n = len(s)
    if n in (15, 18):
        return s[:6] + "*" * (n - 10) + s[-4:]
    if n <= 4:
        return "*" * n
    keep = max(1, n // 4)
    return s[:keep] + "*" * (n - 2 * keep) + s[-keep:]


def is_valid(raw: str | None, *, today: date | None = None) -> bool:
    try:
        validate_id_number(raw, today=today)
    except IdNumberError:
        return False
    return True


def validate_id_number(
    raw: str | None,
    *,
    gender: str | None = None,
    today: date | None = None,
) -> IdNumber:
    """Parse and check an ID number, 18- or 15-digit.

    ``gender`` is a GB/T 2261.1 code; only 1 (male) and 2 (female) are
    compared with the sex digit, because 0 and 9 assert nothing.
    """
    if gender is not None and gender not in _KNOWN_GENDERS:
        # A programming error, not a user's: let it surface as a plain ValueError.
        raise ValueError(f"性别代码应为 GB/T 2261.1 的 0、1、2、9 之一，收到 {gender!r}")
    today = today or date.today()
    s = _normalize(raw)

    if len(s) == 18:
        if "X" in s[:17]:
            raise IdNumberError(
                f"身份证号码只有第 18 位（校验码）可以是 X，第 {s.index('X') + 1} 位不能是 X",
                code="charset",
                suggestions=_suggest(s, gender, today),
            )
        if check_char(s[:17]) != s[17]:
            suggestions = _suggest(s, gender, today)
            hint = "请逐位核对"
            if suggestions:
                hint += f"（另有 {len(suggestions)} 个可能的正确号码供参考）"
            raise IdNumberError(
                f"身份证号码第 18 位（校验码）与前 17 位不符，号码中至少有一位输错了，{hint}",
                code="check_digit",
                suggestions=suggestions,
            )
        number18, number15 = s, None
    elif len(s) == 15:
        if "X" in s:
            raise IdNumberError(
                f"旧版 15 位身份证号码只含数字，第 {s.index('X') + 1} 位不能是 X", code="charset"
            )
        number18, number15 = to_18(s), s
    else:
        raise IdNumberError(_length_message(len(s)), code="length")

    division = number18[:6]
    if division not in valid_division_codes():
        raise IdNumberError(
            f"身份证号码前 6 位“{division}”不是现行或曾经使用过的行政区划代码", code="division"
        )
    birth = _birth_date_or_error(number18[6:14], legacy=number15 is not None, today=today)

    sequence = number18[14:17]
    sex: Literal["1", "2"] = "1" if int(sequence[2]) % 2 else "2"
    if gender in _GENDER_NAMES and gender != sex:
        position = 15 if number15 else 17
        raise IdNumberError(
            f"身份证号码第 {position} 位为{'奇数' if sex == '1' else '偶数'}，表示{_GENDER_NAMES[sex]}性，"
            f"与填写的性别“{_GENDER_NAMES[gender]}”不符",
            code="sex_mismatch",
            field="gender",
        )
    return IdNumber(
        number18=number18,
        number15=number15,
        division_code=division,
        birth_date=birth,
        sequence=sequence,
        sex=sex,
        check=number18[17],
    )


def repair_candidates(
    number: str | None,
    *,
    gender: str | None = None,
    today: date | None = None,
    limit: int | None = None,
) -> list[str]:
    """Valid numbers one typo away from an 18-character number that fails its check.

    Tries every single-character substitution and every swap of adjacent
    characters, keeps those with a right check character, a known division
    code, a possible birth date and (if given) the right sex digit, and ranks
    the most likely first. A number that passes its check gives ``[]``: a
    single typo never keeps the check character right, so there is nothing to
    repair. Anything that is not 18 characters of 0-9/X also gives ``[]``.
    """
    try:
        s = _normalize(number)
    except IdNumberError:
        return []
    if len(s) != 18 or s.count("X") > 1:
        return []
    if "X" not in s[:17] and check_char(s[:17]) == s[17]:
        return []
    found = _candidates(s, gender if gender in _GENDER_NAMES else None, today or date.today())
    return found if limit is None else found[:limit]


def _suggest(s: str, gender: str | None, today: date) -> list[str]:
    if s.count("X") > 1:
        return []
    return _candidates(s, gender if gender in _GENDER_NAMES else None, today)[:MAX_SUGGESTIONS]


def _candidates(s: str, gender: str | None, today: date) -> list[str]:
    values = [_VALUE[c] for c in s]
    total = sum(w * v for w, v in zip(_WEIGHTS18, values, strict=True))
    ranked: dict[str, tuple[int, int, int]] = {}

    def consider(candidate: str, kind: int, first: int, last: int) -> None:
        if "X" in candidate[:17] or not _plausible(candidate, gender, today):
            return
        # Swaps first: a swap that happens to satisfy the check is much rarer by
        # chance than a substitution, which almost always has one fitting digit
        # per position. Then the sequence and check part, where nothing else
        # constrains the digits and typos go unnoticed; then the birth date;
        # the division code last, as it is usually copied from neighbours.
        key = (kind, _part_rank(last), first)
        if candidate not in ranked or key < ranked[candidate]:
            ranked[candidate] = key

    for i in range(18):
        for ch in _CHECK_CHARS if i == 17 else _DIGITS:
            if ch != s[i] and (total + _WEIGHTS18[i] * (_VALUE[ch] - values[i])) % 11 == 1:
                consider(s[:i] + ch + s[i + 1 :], 1, i, i)
    for i in range(17):
        a, b = s[i], s[i + 1]
        if a == b:
            continue
        delta = _WEIGHTS18[i] * (values[i + 1] - values[i]) + _WEIGHTS18[i + 1] * (values[i] - values[i + 1])
        if (total + delta) % 11 == 1:
            consider(s[:i] + b + a + s[i + 2 :], 0, i, i + 1)
    return sorted(ranked, key=ranked.__getitem__)


def _part_rank(index: int) -> int:
    if index >= 14:
        return 0
    if index >= 6:
        return 1
    return 2


def _plausible(number18: str, gender: str | None, today: date) -> bool:
    if number18[:6] not in valid_division_codes():
        return False
    birth = _parse_date(number18[6:14])
    if birth is None or not EARLIEST_BIRTH <= birth <= today:
        return False
    return gender is None or (int(number18[16]) % 2 == 1) == (gender == "1")


# Birth dates repeat across a file of people (about 45,000 since 1900): a dict lookup, not
# three int() calls and a date (1.6 µs).
@lru_cache(maxsize=1 << 16)
def _parse_date(yyyymmdd: str) -> date | None:
    try:
        return date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return None


def _birth_date_or_error(yyyymmdd: str, *, legacy: bool, today: date) -> date:
    # Positions are those of the number as typed, so the user can find them.
    where = "第 7–12 位" if legacy else "第 7–14 位"
    shown = yyyymmdd[2:] if legacy else yyyymmdd
    birth = _parse_date(yyyymmdd)
    if birth is None:
        raise IdNumberError(f"身份证号码{where}的出生日期“{shown}”不是有效日期", code="birth_date")
    if birth < EARLIEST_BIRTH:
        raise IdNumberError(f"身份证号码{where}的出生日期“{shown}”早于 1900 年，请核对", code="early_birth")
    if birth > today:
        raise IdNumberError(
            f"身份证号码{where}的出生日期“{shown}”晚于今天（{today:%Y-%m-%d}），请核对", code="future_birth"
        )
    return birth


def _length_message(n: int) -> str:
    base = f"身份证号码应为 18 位（旧版为 15 位），输入的是 {n} 位"
    if n == 17:
        return base + "，可能漏输了一位"
    if n in (16, 19):
        return base + "，可能多输或漏输了一位"
    return base


def _clean(raw: str) -> str:
    return raw.strip().translate(_FULLWIDTH)


def _normalize(raw: object) -> str:
    """Uppercase half-width form of a typed number, or an error naming the bad character."""
    if raw is None:
        raise IdNumberError("请填写身份证号码", code="empty")
    if not isinstance(raw, str):
        raise IdNumberError("身份证号码应以文字形式填写，不能是数值或其他类型", code="type")
    # Only x is uppercased: str.upper() turns some letters into two (ß → SS),
    # which would shift the positions reported below.
    s = _clean(raw).replace("x", "X")
    if not s:
        raise IdNumberError("请填写身份证号码", code="empty")
    if not (s.isascii() and s.replace("X", "").isdigit()):  # the usual number, at C speed
        for i, c in enumerate(s):
            if c not in _CHECK_CHARS:
                raise IdNumberError(f"身份证号码第 {i + 1} 位{_show_char(c)}不是数字或 X", code="charset")
    return s


def _show_char(c: str) -> str:
    # Control and invisible characters would vanish or break the message.
    return f"“{c}”" if c.isprintable() else f"（不可见字符 U+{ord(c):04X}）"
