"""Properties that must hold for any input: parse never raises, spans are sane,
normalize is idempotent."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ybss.addressing import Gazetteer, ParsedAddress, normalize, parse

# Address-like text: the characters addresses are made of, mixed with anything.
_ADDRESS_CHARS = (
    "省市区县镇乡街道社区村组号路街巷弄栋幢楼单元门梯层室户附之第期座#-—－ ,，、()（）"
    "涿鹿轩辕阳光小区杭州西湖文三一二三四五六七八九十百〇零两廿0123456789０１２３ABCabc"
)
address_text = st.text(alphabet=st.sampled_from(_ADDRESS_CHARS), max_size=60)
any_text = st.text(max_size=80)
texts = st.one_of(address_text, any_text)

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _check(text: str, r: ParsedAddress) -> None:
    assert r.text == text
    last_end = 0
    for el in r.elements:
        assert 0 <= el.start <= el.end <= len(text), el
        assert el.raw == text[el.start : el.end]
        assert el.start >= last_end, f"overlapping spans in {r.elements}"
        last_end = el.end
    assert 0.0 <= r.confidence <= 1.0


@SETTINGS
@given(texts)
@example("")
@example("1" * 10_000)
@example("涿鹿县" * 3_000)
@example("😀🏠📮 涿鹿县涿鹿镇 😀")
@example("\x00\x01\x02\x1b[31m涿鹿\u200b县\x7f")
@example("12-2-302")
@example("0000000000")
@example("\ufeff\u3000\u00a0")
def test_parse_never_raises_and_spans_are_sane(zhuolu: Gazetteer, text: str) -> None:
    _check(text, parse(text, "130731", gazetteer=zhuolu))


@SETTINGS
@given(texts)
@example("")
@example("二单元五〇二")
@example("12-2-302")
@example("3号楼2门502户")
@example("軒轅路十八號")
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@pytest.mark.parametrize(
    "text",
    ["", "a" * 10_000, "号" * 10_000, "😀" * 2_000, "\x00\x07\x08\x0b" * 500, "9" * 10_000, "A-1-" * 2_500],
)
def test_edge_inputs(zhuolu: Gazetteer, text: str) -> None:
    _check(text, parse(text, gazetteer=zhuolu))
    normalize(text)


def test_non_string_is_a_type_error(zhuolu: Gazetteer) -> None:
    with pytest.raises(TypeError):
        parse(b"abc", gazetteer=zhuolu)  # type: ignore[arg-type]
