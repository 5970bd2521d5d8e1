"""Chinese mainland phone numbers: normalize for storage, mask for display.

Normal forms:

* mobile: 11 digits, ``13812345678``;
* landline: area code, dash, 7-8 digit local number, then optionally a dash
  and the extension: ``010-62345678``, ``0755-2345678-801``. The dash stays
  because area codes have 3 or 4 digits and the boundary is not otherwise
  recoverable by someone reading the number.
"""

from __future__ import annotations

import re
from typing import Literal

FIELD = "phone"

# Full-width ASCII (U+FF01-FF5E) comes from Chinese input methods; the dash
# lookalikes come from word processors and web pages.
_TRANSLATE: dict[int, int | None] = {0xFF01 + i: 0x21 + i for i in range(94)}
_TRANSLATE.update({0x3000: ord(" "), 0x00A0: ord(" ")})
_TRANSLATE.update({c: ord("-") for c in (0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212, 0x30FC)})

_EXTENSION = re.compile(r"(?:转|分机|ext\.?|x|#|,|;)\s*(\S*)$", re.IGNORECASE)
_ALLOWED = frozenset("0123456789+-.() ")
_SEPARATORS = re.compile(r"[\s\-.()]+")
# "+86", "0086" and "(+86)" say outright that a country code follows; a bare
# "86" only counts when a separator follows, since 86xxxxxx is also a local number.
_COUNTRY = re.compile(r"^\(?(?:\+|00)\s*86\)?[\s\-.]*|^\(?86\)?[\s\-.]+")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"(0\d{2,3})-(\d{7,8})(?:-(\d{1,6}))?")
MAX_EXTENSION = 6

ErrorCode = Literal[
    "type",
    "empty",
    "charset",
    "country",
    "length",
    "mobile",
    "area_code",
    "local_number",
    "extension",
    "service_number",
]


class PhoneError(ValueError):
    """A refused phone number; ``message`` is meant for the person who typed it."""

    def __init__(self, message: str, *, code: ErrorCode, field: str = FIELD) -> None:
        super().__init__(message)
        self.message = message
        self.code: ErrorCode = code
        self.field = field


def normalize_phone(raw: str | None) -> str:
    """The normal form of a mobile or landline number; see the module docstring."""
    if raw is None:
        raise PhoneError("请填写电话号码", code="empty")
    if not isinstance(raw, str):
        raise PhoneError("电话号码应以文字形式填写，不能是数值或其他类型", code="type")
    if len(raw) == 11 and raw.isascii() and raw.isdigit() and raw[0] == "1" and raw[1] in "3456789":
        return raw  # the usual cell, a mobile number as typed, is its own normal form
    s = raw.translate(_TRANSLATE).strip()
    if not s:
        raise PhoneError("请填写电话号码", code="empty")

    extension = None
    m = _EXTENSION.search(s)
    if m:
        extension = m.group(1)
        if not extension.isascii() or not extension.isdigit() or len(extension) > MAX_EXTENSION:
            raise PhoneError(f"分机号应为 1–{MAX_EXTENSION} 位数字", code="extension")
        s = s[: m.start()].strip()

    for i, c in enumerate(s, start=1):
        if c not in _ALLOWED:
            shown = f"“{c}”" if c.isprintable() else f"（不可见字符 U+{ord(c):04X}）"
            raise PhoneError(f"电话号码第 {i} 个字符{shown}不是数字或常用分隔符", code="charset")

    international = False
    m = _COUNTRY.match(s)
    if m:
        international = True
        s = s[m.end() :]
    elif s.startswith(("+", "(+", "00")):
        raise PhoneError("只支持中国大陆（+86）的电话号码", code="country")
    if "+" in s:
        raise PhoneError("“+”只能出现在国家代码 +86 前面", code="charset")

    groups = [g for g in _SEPARATORS.split(s) if g]
    digits = "".join(groups)
    if not digits:
        raise PhoneError("电话号码中没有数字", code="length")
    if not international and len(digits) == 13 and _MOBILE.fullmatch(digits[2:]) and digits.startswith("86"):
        digits = digits[2:]
    # After a country code the trunk 0 of the area code is dropped: +86 10 … is 010 ….
    if international and not digits.startswith("0") and not re.match(r"1[3-9]", digits):
        digits = "0" + digits
    # A 0 dialled before a mobile number is the long-distance prefix some landlines need.
    if len(digits) == 12 and digits.startswith("0") and _MOBILE.fullmatch(digits[1:]):
        digits = digits[1:]

    if digits.startswith("1"):
        return _mobile(digits, extension)
    if re.fullmatch(r"[48]00\d{7}", digits):
        raise PhoneError("400/800 开头的是企业服务号码，请填写手机号码或固定电话", code="service_number")
    if digits.startswith("0"):
        return _landline(digits, groups, extension)
    if 7 <= len(digits) <= 8:
        raise PhoneError("固定电话请加上区号，例如 010-65123456 或 0755-2345678", code="area_code")
    raise PhoneError(
        f"无法识别的电话号码：应为 11 位手机号码或带区号的固定电话，输入了 {len(digits)} 位数字",
        code="length",
    )


def _mobile(digits: str, extension: str | None) -> str:
    if len(digits) != 11:
        raise PhoneError(f"手机号码应为 11 位，输入的是 {len(digits)} 位", code="length")
    if not _MOBILE.fullmatch(digits):
        raise PhoneError(f"手机号码第 2 位应为 3–9，输入的是“{digits[1]}”", code="mobile")
    if extension is not None:
        raise PhoneError("手机号码没有分机号", code="extension")
    return digits


def _landline(digits: str, groups: list[str], extension: str | None) -> str:
    if digits.startswith("00"):
        raise PhoneError("只支持中国大陆（+86）的电话号码", code="country")
    if digits.startswith("01") and not digits.startswith("010"):
        raise PhoneError(f"区号“{digits[:3]}”不存在，01 开头的区号只有 010（北京）", code="area_code")
    # 010 and 020-029 are the big cities' 3-digit codes; every other area code has 4 digits.
    area_len = 3 if digits[1] in "12" else 4
    area, local = digits[:area_len], digits[area_len:]
    if extension is None and len(local) > 8 and len(groups) > 1 and 1 <= len(groups[-1]) <= MAX_EXTENSION:
        # "010-62345678-123": a trailing group that does not fit the local number is the extension.
        extension = groups[-1]
        local = local[: -len(extension)]
    expected = (8, 8) if area_len == 3 else (7, 8)
    if not expected[0] <= len(local) <= expected[1]:
        want = "8 位" if area_len == 3 else "7 或 8 位"
        raise PhoneError(
            f"区号 {area} 后的本地号码应为 {want}，输入的是 {len(local)} 位",
            code="length",
        )
    if local[0] in "01":
        raise PhoneError(f"本地号码不能以“{local[0]}”开头，请检查区号和号码", code="local_number")
    return f"{area}-{local}" + (f"-{extension}" if extension else "")


def is_mobile(number: str) -> bool:
    """Whether a normalized number is a mobile number."""
    return bool(_MOBILE.fullmatch(number))


def mask_phone(number: str | None) -> str:
    """Hide the middle of a number for display: ``138****5678``, ``010-****5678``.

    Never raises, because it is used on whatever ended up stored; something
    that is not a phone number keeps at most its first 3 and last 2 digits.
    """
    if not isinstance(number, str):
        return ""
    try:
        normal = normalize_phone(number)
    except PhoneError:
        digits = "".join(c for c in number.translate(_TRANSLATE) if c.isascii() and c.isdigit())
        if len(digits) < 8:
            return "*" * len(digits)
        return digits[:3] + "*" * (len(digits) - 5) + digits[-2:]
    if is_mobile(normal):
        return normal[:3] + "****" + normal[-4:]
    m = _LANDLINE.fullmatch(normal)
    if m is None:  # pragma: no cover - normalize_phone only produces the two forms
        return "*" * len(normal)
    area, local, extension = m.groups()
    masked = f"{area}-{'*' * (len(local) - 4)}{local[-4:]}"
    return masked + (f"-{extension}" if extension else "")
