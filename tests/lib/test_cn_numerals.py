"""Chinese numerals → digits, positional and structured forms."""

from __future__ import annotations

import pytest

from ybss.lib import cn_numerals


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("十八", 18),
        ("十", 10),
        ("二十", 20),
        ("二十三", 23),
        ("二〇一", 201),
        ("五零二", 502),
        ("二百零一", 201),
        ("一百零五", 105),
        ("三百五", 350),
        ("两万三", 23000),
        ("一万零一", 10001),
        ("廿五", 25),
        ("卅", 30),
        ("壹佰贰拾", 120),
        ("零", 0),
        ("一千二百三十四", 1234),
        ("一洞幺", 101),
        ("3百", 300),
    ],
)
def test_to_int(text: str, value: int) -> None:
    assert cn_numerals.to_int(text) == value


@pytest.mark.parametrize("text", ["", "百", "一二十", "三里", "abc", "十十", "万", "洞", "幺洞幺", "二十廿"])
def test_not_a_number(text: str) -> None:
    assert cn_numerals.to_int(text) is None
    assert cn_numerals.to_digits(text) is None


def test_positional_keeps_leading_zero() -> None:
    assert cn_numerals.to_digits("〇三") == "03"
    assert cn_numerals.to_digits("十八") == "18"


def test_numeral_chars() -> None:
    assert all(cn_numerals.is_numeral_char(ch) for ch in "零〇一二两三四五六七八九十百千万廿")
    # The radio readings only count inside a run, never on their own.
    assert not any(cn_numerals.is_numeral_char(ch) for ch in "洞幺拐")
    assert not cn_numerals.is_numeral_char("里")
