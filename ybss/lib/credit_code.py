"""统一社会信用代码 (GB 32100-2015) checks, pure Python.

18 characters: registration authority (1), organization type (2), the
registering office's division code (3-8), the GB 11714 organization code with
its own check character (9-17) and a MOD 31 check character (18). Letters I,
O, S, V and Z are never used, so they cannot be confused with 1, 0, 5, U and 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FIELD = "credit_code"
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
# 3**i mod 31, left to right.
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# GB 11714: weights of the 8 body characters of an organization code, mod 11.
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# Assigned after the standard too; the table only names codes for display, so
# an authority or type missing here is not a reason to refuse a code.
AUTHORITIES = {
    "1": "机构编制",
    "2": "外交",
    "3": "司法行政",
    "4": "文化",
    "5": "民政",
    "6": "旅游",
    "7": "宗教",
    "8": "工会",
    "9": "工商（市场监管）",
    "A": "中央军委改革和编制办公室",
    "N": "农业",
    "Y": "其他",
}
TYPES = {
    "11": "机关",
    "12": "事业单位",
    "13": "中央编办直接管理机构编制的群众团体",
    "19": "其他",
    "51": "社会团体",
    "52": "民办非企业单位",
    "53": "基金会",
    "59": "其他",
    "91": "企业",
    "92": "个体工商户",
    "93": "农民专业合作社",
}

# Letters left out of the alphabet, and the character people meant by them.
_EXCLUDED = {"I": "1", "O": "0", "S": "5", "V": "U", "Z": "2"}
_FULLWIDTH: dict[int, int | None] = {0xFF10 + i: ord("0") + i for i in range(10)}
_FULLWIDTH.update({0xFF21 + i: ord("A") + i for i in range(26)})
_FULLWIDTH.update({0xFF41 + i: ord("a") + i for i in range(26)})
_FULLWIDTH.update({ord(" "): None, 0x3000: None, 0x00A0: None})

ErrorCode = Literal["type", "empty", "charset", "length", "division", "check_digit", "org_check"]


class CreditCodeError(ValueError):
    """A refused credit code; ``message`` is meant for the person who typed it."""

    def __init__(self, message: str, *, code: ErrorCode, field: str = FIELD) -> None:
        super().__init__(message)
        self.message = message
        self.code: ErrorCode = code
        self.field = field


@dataclass(frozen=True, slots=True)
class CreditCode:
    code: str
    authority: str
    type_code: str
    division_code: str
    organization_code: str
    check: str

    @property
    def authority_name(self) -> str | None:
        return AUTHORITIES.get(self.authority)

    @property
    def type_name(self) -> str | None:
        return TYPES.get(self.authority + self.type_code)

    @property
    def organization_code_display(self) -> str:
        """The organization code as printed on old certificates: ``M000100Y-4``."""
        return f"{self.organization_code[:8]}-{self.organization_code[8]}"


def credit_check_char(first17: str) -> str:
    """The MOD 31 check character for the first 17 characters of a code."""
    if len(first17) != 17 or any(c not in _VALUE for c in first17):
        code: ErrorCode = "length" if len(first17) != 17 else "charset"
        raise CreditCodeError("计算校验码需要 17 个代码字符", code=code)
    remainder = sum(w * _VALUE[c] for w, c in zip(WEIGHTS, first17, strict=True)) % 31
    return ALPHABET[(31 - remainder) % 31]


def org_check_char(body8: str) -> str:
    """The GB 11714 check character (0-9 or X) for the 8-character organization code body."""
    if len(body8) != 8 or any(not ("0" <= c <= "9" or "A" <= c <= "Z") for c in body8):
        raise CreditCodeError("计算组织机构代码校验码需要 8 位数字或大写字母", code="charset")
    # Organization codes use the full A-Z, valued 10-35, unlike the credit code alphabet.
    total = sum(w * int(c, 36) for w, c in zip(ORG_WEIGHTS, body8, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def is_valid_credit_code(raw: str | None) -> bool:
    try:
        validate_credit_code(raw)
    except CreditCodeError:
        return False
    return True


def validate_credit_code(raw: str | None) -> CreditCode:
    s = _normalize(raw)
    if len(s) != 18:
        raise CreditCodeError(f"统一社会信用代码应为 18 位，输入的是 {len(s)} 位", code="length")
    division = s[2:8]
    for i, c in enumerate(division, start=3):
        if not c.isdigit():
            raise CreditCodeError(
                f"统一社会信用代码第 3–8 位是行政区划代码，只能是数字，第 {i} 位是“{c}”", code="division"
            )
    if credit_check_char(s[:17]) != s[17]:
        raise CreditCodeError(
            "统一社会信用代码第 18 位（校验码）与前 17 位不符，代码中至少有一位输错了，请逐位核对",
            code="check_digit",
        )
    if org_check_char(s[8:16]) != s[16]:
        raise CreditCodeError(
            "统一社会信用代码第 9–17 位的组织机构代码校验不通过（第 17 位与第 9–16 位不符），请核对",
            code="org_check",
        )
    return CreditCode(
        code=s,
        authority=s[0],
        type_code=s[1],
        division_code=division,
        organization_code=s[8:17],
        check=s[17],
    )


def _normalize(raw: object) -> str:
    if raw is None:
        raise CreditCodeError("请填写统一社会信用代码", code="empty")
    if not isinstance(raw, str):
        raise CreditCodeError("统一社会信用代码应以文字形式填写，不能是数值或其他类型", code="type")
    # Only ASCII letters are uppercased: str.upper() turns some letters into
    # two (ß → SS), which would shift the positions reported below.
    s = raw.strip().translate(_FULLWIDTH)
    s = s.upper() if s.isascii() else "".join(chr(ord(c) - 32) if "a" <= c <= "z" else c for c in s)
    if not s:
        raise CreditCodeError("请填写统一社会信用代码", code="empty")
    for i, c in enumerate(s, start=1):
        if c in _VALUE:
            continue
        if c in _EXCLUDED:
            raise CreditCodeError(
                f"统一社会信用代码不使用字母 I、O、S、V、Z，第 {i} 位的“{c}”可能应为“{_EXCLUDED[c]}”",
                code="charset",
            )
        shown = f"“{c}”" if c.isprintable() else f"（不可见字符 U+{ord(c):04X}）"
        raise CreditCodeError(f"统一社会信用代码第 {i} 位{shown}不是数字或大写字母", code="charset")
    return s
