"""Chinese numerals as they appear in addresses, turned into Arabic digits.

Two writing styles occur and must be told apart because they read differently:

* positional, digit by digit, as house and room numbers are read aloud:
  ``二〇一`` is 201, ``五零二`` is 502;
* structured, with the place words 十/百/千/万: ``十八`` is 18, ``二百零一`` is 201.

Financial forms (壹贰叁…拾佰仟) and the colloquial 两, 廿 (20) and 卅 (30) are
accepted as well. Nothing here knows about addresses; deciding *which* runs of
numerals are numbers (十八号) and which are names (三里屯) is the caller's job.
"""

from __future__ import annotations

DIGITS: dict[str, int] = {
    "零": 0, "〇": 0, "○": 0, "Ｏ": 0, "洞": 0,
    "一": 1, "壹": 1, "幺": 1,
    "二": 2, "贰": 2, "貳": 2, "两": 2, "兩": 2,
    "三": 3, "叁": 3, "參": 3,
    "四": 4, "肆": 4,
    "五": 5, "伍": 5,
    "六": 6, "陆": 6, "陸": 6,
    "七": 7, "柒": 7, "拐": 7,
    "八": 8, "捌": 8,
    "九": 9, "玖": 9,
}  # fmt: skip
UNITS: dict[str, int] = {
    "十": 10, "拾": 10,
    "百": 100, "佰": 100,
    "千": 1000, "仟": 1000,
    "万": 10000, "萬": 10000,
}  # fmt: skip
# 廿/卅 are whole tens on their own: 廿三 is 23.
TENS: dict[str, int] = {"廿": 20, "卅": 30, "卌": 40}

# The radio-alphabet readings 洞/幺/拐 are numerals only inside a numeral run
# (幺洞幺 = 101); a run made of them alone is far more likely a name.
_RADIO = frozenset("洞幺拐")
_CORE_DIGITS = frozenset(DIGITS) - _RADIO
NUMERAL_CHARS: frozenset[str] = frozenset(DIGITS) | frozenset(UNITS) | frozenset(TENS)


def is_numeral_char(ch: str) -> bool:
    """Whether ``ch`` can be part of a Chinese numeral (the radio forms 洞幺拐 excluded)."""
    return ch in NUMERAL_CHARS and ch not in _RADIO


def to_int(text: str) -> int | None:
    """Value of a Chinese (or mixed Arabic) numeral, ``None`` if ``text`` is not one.

    >>> to_int("十八"), to_int("二〇一"), to_int("二百零一"), to_int("两万三"), to_int("廿五")
    (18, 201, 201, 23000, 25)
    """
    digits = to_digits(text)
    return int(digits) if digits is not None else None


def to_digits(text: str) -> str | None:
    """Arabic digit string for a numeral, keeping leading zeros of positional forms.

    ``〇三`` gives ``"03"`` (a room may really be numbered 03); ``十八`` gives ``"18"``.
    Returns ``None`` when ``text`` is empty or contains anything else.
    """
    if not text:
        return None
    if all(ch in DIGITS or (ch.isascii() and ch.isdigit()) for ch in text):
        if not any(ch in _CORE_DIGITS or ch.isdigit() for ch in text):
            return None
        return "".join(str(DIGITS[ch]) if ch in DIGITS else ch for ch in text)
    value = _structured(text)
    return None if value is None else str(value)


def _structured(text: str) -> int | None:
    """Value of a numeral written with place words (十/百/千/万/廿/卅)."""
    total = 0  # completed groups of ten-thousands
    section = 0  # value below the current 万
    pending: int | None = None  # a digit waiting for its place word
    last_unit = 100000
    zero_seen = False
    for ch in text:
        if ch in DIGITS or (ch.isascii() and ch.isdigit()):
            if pending is not None:
                # Two bare digits in a row inside a structured numeral: the
                # colloquial 两万三 / 三百五 case is handled after the loop;
                # anything else (一二十) is not a number.
                return None
            pending = DIGITS[ch] if ch in DIGITS else int(ch)
            if pending == 0:
                zero_seen = True
                pending = None
        elif ch in TENS:
            if pending is not None or section % 100:
                return None
            section += TENS[ch]
            last_unit = 10
        elif ch in UNITS:
            unit = UNITS[ch]
            if unit == 10000:
                section += pending or 0
                if section == 0:
                    return None
                total += section * 10000
                section = 0
                pending = None
                last_unit = 10000
                zero_seen = False
                continue
            if unit >= last_unit and section:
                return None
            digit = pending if pending is not None else (1 if unit == 10 else None)
            if digit is None:
                return None
            section += digit * unit
            pending = None
            last_unit = unit
            zero_seen = False
        else:
            return None
    if pending is not None:
        # 两万三 means 23000 and 三百五 means 350: a trailing bare digit takes
        # the place just below the last place word, unless a 零 said otherwise.
        if not zero_seen and last_unit >= 100 and last_unit != 100000:
            pending *= last_unit // 10
        section += pending
    result = total + section
    if result == 0 and not zero_seen:
        return None
    return result
