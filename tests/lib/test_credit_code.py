from __future__ import annotations

import random

import pytest

from ybss.lib.credit_code import (
    ALPHABET,
    CreditCode,
    CreditCodeError,
    credit_check_char,
    is_valid_credit_code,
    org_check_char,
    validate_credit_code,
)

# The example code printed in GB 32100-2015.
STANDARD_EXAMPLE = "91350100M000100Y43"
# Codes published by well-known companies on their licences and web sites
# (腾讯科技（深圳）、华为技术、百度在线网络技术（北京）、小米通讯技术);
# both check characters of each were verified by hand-written arithmetic below.
PUBLISHED = ["9144030071526726XG", "914403001922038216", "91110000802100433B", "91110108558521630L"]


def reference_credit_check(first17: str) -> str:
    """GB 32100 check character from its definition: weights 3**i mod 31."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    total = sum(alphabet.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return alphabet[(31 - total % 31) % 31]


def reference_org_check(body8: str) -> str:
    total = sum(int(c, 36) * w for c, w in zip(body8, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    value = 11 - total % 11
    return "X" if value == 10 else "0" if value == 11 else str(value)


def make(prefix8: str, body8: str) -> str:
    """A valid code from authority+type+division and an organization code body."""
    first17 = prefix8 + body8 + reference_org_check(body8)
    return first17 + reference_credit_check(first17)


def error_of(raw: object) -> CreditCodeError:
    with pytest.raises(CreditCodeError) as info:
        validate_credit_code(raw)  # type: ignore[arg-type]
    return info.value


def test_standard_example_by_hand() -> None:
    # Organization code M000100Y-4: M=22, Y=34 → 22·3 + 1·5 + 34·2 = 139, 139 mod 11 = 7, 11 − 7 = 4.
    assert org_check_char("M000100Y") == "4"
    result = validate_credit_code(STANDARD_EXAMPLE)
    assert result == CreditCode(
        code=STANDARD_EXAMPLE,
        authority="9",
        type_code="1",
        division_code="350100",
        organization_code="M000100Y4",
        check="3",
    )
    assert result.authority_name == "工商（市场监管）"
    assert result.type_name == "企业"
    assert result.organization_code_display == "M000100Y-4"


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes(code: str) -> None:
    assert credit_check_char(code[:17]) == reference_credit_check(code[:17]) == code[17]
    assert org_check_char(code[8:16]) == code[16]
    assert validate_credit_code(code).code == code


def test_check_chars_match_the_definition_on_random_codes() -> None:
    rng = random.Random(32100)
    seen = set()
    for _ in range(3000):
        first17 = "".join(rng.choice(ALPHABET) for _ in range(17))
        check = credit_check_char(first17)
        assert check == reference_credit_check(first17)
        seen.add(check)
        body = first17[8:16]
        assert org_check_char(body) == reference_org_check(body)
    assert seen == set(ALPHABET)


def test_org_check_covers_x_and_zero() -> None:
    # 11 − 1 = 10 → X and 11 − 0 = 11 → 0 are the two special cases of GB 11714.
    rng = random.Random(11714)
    results = {org_check_char("".join(rng.choice("0123456789") for _ in range(8))) for _ in range(500)}
    assert {"X", "0"} <= results


def test_generated_codes_validate() -> None:
    rng = random.Random(1)
    for prefix in ("11110000", "12350100", "51440300", "52110108", "92130731", "93130731", "Y1110000"):
        body = "".join(rng.choice(ALPHABET) for _ in range(8))
        code = make(prefix, body)
        assert is_valid_credit_code(code), code


def test_unknown_authority_is_accepted_but_unnamed() -> None:
    code = make("B2110000", "12345678")
    result = validate_credit_code(code)
    assert result.authority_name is None
    assert result.type_name is None


@pytest.mark.parametrize(
    "typed",
    [
        "91350100m000100y43",
        "  91350100M000100Y43 ",
        "９１３５０１００Ｍ０００１００Ｙ４３",
        "9135 0100 M000 100Y 43",
    ],
)
def test_input_forms_normalize(typed: str) -> None:
    assert validate_credit_code(typed).code == STANDARD_EXAMPLE


@pytest.mark.parametrize("raw", ["", "  ", None])
def test_empty(raw: str | None) -> None:
    err = error_of(raw)
    assert err.code == "empty"
    assert err.field == "credit_code"


@pytest.mark.parametrize("raw", [913501001, b"91350100M000100Y43"])
def test_non_text(raw: object) -> None:
    assert error_of(raw).code == "type"


@pytest.mark.parametrize("n", [1, 15, 17, 19, 1000])
def test_length(n: int) -> None:
    err = error_of("9" * n)
    assert err.code == "length"
    assert f"输入的是 {n} 位" in err.message


@pytest.mark.parametrize(
    ("letter", "meant", "position"),
    [("I", "1", 1), ("O", "0", 10), ("S", "5", 12), ("V", "U", 9), ("Z", "2", 18)],
)
def test_excluded_letters_name_the_likely_character(letter: str, meant: str, position: int) -> None:
    raw = STANDARD_EXAMPLE[: position - 1] + letter + STANDARD_EXAMPLE[position:]
    err = error_of(raw)
    assert err.code == "charset"
    assert f"第 {position} 位" in err.message
    assert f"“{meant}”" in err.message


@pytest.mark.parametrize(("raw", "position"), [("9135-0100M000100Y43", 5), ("91350100M000100Y4\x00", 18)])
def test_other_characters(raw: str, position: int) -> None:
    err = error_of(raw)
    assert err.code == "charset"
    assert f"第 {position} 位" in err.message


def test_control_character_shown_as_code_point() -> None:
    assert "U+0007" in error_of("91350100M000100Y4\x07").message


def test_letter_in_division_part() -> None:
    err = error_of("9135A100M000100Y43")
    assert err.code == "division"
    assert "第 5 位" in err.message


def test_wrong_check_character() -> None:
    wrong = STANDARD_EXAMPLE[:17] + "4"
    err = error_of(wrong)
    assert err.code == "check_digit"
    assert "第 18 位" in err.message
    assert wrong not in err.message


def test_single_substitutions_are_all_caught() -> None:
    for i in range(17):
        for c in ALPHABET:
            if c == STANDARD_EXAMPLE[i]:
                continue
            typo = STANDARD_EXAMPLE[:i] + c + STANDARD_EXAMPLE[i + 1 :]
            assert not is_valid_credit_code(typo), typo


def test_wrong_organization_check_with_right_credit_check() -> None:
    # Build a code whose position 18 is right for its first 17 but whose position 17 is wrong.
    first17 = STANDARD_EXAMPLE[:16] + "5"
    code = first17 + credit_check_char(first17)
    err = error_of(code)
    assert err.code == "org_check"
    assert "第 17 位" in err.message


def test_credit_check_char_refuses_bad_input() -> None:
    with pytest.raises(CreditCodeError) as info:
        credit_check_char("9135")
    assert info.value.code == "length"
    with pytest.raises(CreditCodeError) as info:
        credit_check_char("91350100M000100YI")
    assert info.value.code == "charset"
    with pytest.raises(CreditCodeError):
        org_check_char("m000100y")


def test_is_valid_credit_code() -> None:
    assert is_valid_credit_code(STANDARD_EXAMPLE)
    assert not is_valid_credit_code(STANDARD_EXAMPLE[:17] + "4")
    assert not is_valid_credit_code(None)
    assert not is_valid_credit_code("\u202e" * 18)


def test_error_is_value_error() -> None:
    assert isinstance(error_of(""), ValueError)
