"""Checks for names people type into the registry (roads, compounds, buildings).

Address names are printed on door plates and in reports, so the allowed set
is what appears on real plates: Chinese characters, Latin letters, digits and
a little punctuation. Anything else (markup, quotes, semicolons, control
characters) is refused with a message rather than stored and escaped later,
because it is always a typing or import accident, or an attack.
"""

from __future__ import annotations

import re
import unicodedata

MAX_NAME_LENGTH = 100

_ALLOWED_PUNCT = set("-—·・()（）#＃/、.,，")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")


class InvalidName(ValueError):
    """A name that cannot be stored; the message is for the user."""


def clean_name(value: object, label: str, *, max_length: int = MAX_NAME_LENGTH) -> str:
    """Return the name trimmed, or raise ``InvalidName`` saying what is wrong with it."""
    if value is None:
        raise InvalidName(f"{label}不能为空。")
    text = unicodedata.normalize("NFC", str(value)).strip()
    if not text:
        raise InvalidName(f"{label}不能为空。")
    if _CONTROL.search(text):
        raise InvalidName(f"{label}含有不可见的控制字符，请重新输入。")
    if len(text) > max_length:
        raise InvalidName(f"{label}过长：最多 {max_length} 个字符，现有 {len(text)} 个。")
    if text.isalnum():  # the usual name or place: every character allowed, no spaces to fold
        return text
    bad = sorted({ch for ch in text if not _is_allowed(ch)})
    if bad:
        shown = "".join(bad[:5])
        raise InvalidName(f"{label}含有不允许的字符：{shown}（只允许汉字、字母、数字和 -·()#/ 等常用符号）。")
    return re.sub(r"\s+", " ", text)


def _is_allowed(ch: str) -> bool:
    if ch.isalnum() or ch == " " or ch in _ALLOWED_PUNCT:
        return True
    # CJK ideographs count as alphanumeric already; this admits the full-width
    # forms people type on phone keyboards, which normalization folds later.
    return unicodedata.category(ch) in {"Nd", "Nl", "No"}
