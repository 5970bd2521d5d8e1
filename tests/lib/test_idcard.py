from __future__ import annotations

import random
import time
from datetime import date

import pytest

from ybss.lib import idcard
from ybss.lib.divisions import iter_divisions
from ybss.lib.idcard import (
    IdNumber,
    IdNumberError,
    check_char,
    is_valid,
    mask_id,
    repair_candidates,
    to_18,
    validate_id_number,
)

TODAY = date(2024, 6, 1)


def reference_check(first17: str) -> str:
    """ISO 7064 MOD 11-2 straight from its definition, independent of the module's tables."""
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def make(first17: str) -> str:
    return first17 + reference_check(first17)


def error_of(raw: str | None, **kwargs: object) -> IdNumberError:
    with pytest.raises(IdNumberError) as info:
        validate_id_number(raw, today=TODAY, **kwargs)  # type: ignore[arg-type]
    return info.value


MALE = make("13073119900101123")  # sequence 123: odd, male
FEMALE = make("13073119900101124")


# --- check character ---------------------------------------------------------


def test_check_char_matches_the_definition_on_random_numbers() -> None:
    rng = random.Random(11643)
    for _ in range(2000):
        first17 = "".join(rng.choice("0123456789") for _ in range(17))
        assert check_char(first17) == reference_check(first17)


def test_check_char_produces_every_possible_character() -> None:
    rng = random.Random(7064)
    seen = {check_char("".join(rng.choice("0123456789") for _ in range(17))) for _ in range(2000)}
    assert seen == set("0123456789X")


def test_standard_example_with_x_check() -> None:
    # The example number printed in GB 11643-1999 itself.
    result = validate_id_number("11010519491231002X", today=TODAY)
    assert result.number18 == "11010519491231002X"
    assert result.check == "X"
    assert result.division_code == "110105"
    assert result.birth_date == date(1949, 12, 31)
    assert result.sequence == "002"
    assert result.sex == "2"
    assert result.number15 is None


@pytest.mark.parametrize("bad", ["1307311990010112", "130731199001011a", "1234567890123456789"])
def test_check_char_refuses_anything_but_17_digits(bad: str) -> None:
    with pytest.raises(IdNumberError):
        check_char(bad)


# --- valid numbers and normalization -------------------------------------------


def test_valid_male_number() -> None:
    result = validate_id_number(MALE, today=TODAY)
    assert isinstance(result, IdNumber)
    assert result == IdNumber(
        number18=MALE,
        number15=None,
        division_code="130731",
        birth_date=date(1990, 1, 1),
        sequence="123",
        sex="1",
        check=MALE[-1],
    )


def test_female_sequence_is_even() -> None:
    assert validate_id_number(FEMALE, today=TODAY).sex == "2"


@pytest.mark.parametrize(
    "typed",
    [
        "11010519491231002x",
        "１１０１０５１９４９１２３１００２Ｘ",
        "１１０１０５１９４９１２３１００２ｘ",
        "  11010519491231002X\n",
        "110105 19491231 002X",
        "110105\u300019491231\u3000002X",
        "110105\u00a019491231002X",
    ],
)
def test_input_forms_normalize_to_uppercase_half_width(typed: str) -> None:
    assert validate_id_number(typed, today=TODAY).number18 == "11010519491231002X"


def test_birth_today_is_accepted() -> None:
    number = make("130731" + TODAY.strftime("%Y%m%d") + "123")
    assert validate_id_number(number, today=TODAY).birth_date == TODAY


def test_leap_day_in_leap_year_is_accepted() -> None:
    assert validate_id_number(make("13073119920229123"), today=TODAY).birth_date == date(1992, 2, 29)


def test_province_and_city_level_codes_are_valid_prefixes() -> None:
    assert validate_id_number(make("11000019800101123"), today=TODAY).division_code == "110000"
    assert validate_id_number(make("13070019800101123"), today=TODAY).division_code == "130700"


def test_abolished_county_code_is_valid() -> None:
    # 132530 was 涿鹿县 until 1993, when it became 130731.
    result = validate_id_number(make("13253019850612341"), today=TODAY)
    assert result.division_code == "132530"
    assert result.current_divisions == ["130731"]


def test_current_division_reports_itself() -> None:
    assert validate_id_number(MALE, today=TODAY).current_divisions == ["130731"]


def test_default_today_is_the_real_date() -> None:
    assert validate_id_number(MALE).birth_date == date(1990, 1, 1)


def test_is_valid() -> None:
    assert is_valid(MALE)
    assert not is_valid(MALE[:-1] + ("0" if MALE[-1] != "0" else "1"))
    assert not is_valid("")
    assert not is_valid(None)
    assert is_valid(make("13073120240601123"), today=TODAY)
    assert not is_valid(make("13073120240602123"), today=TODAY)


# --- 15-digit numbers --------------------------------------------------------


def test_to_18_worked_by_hand() -> None:
    # 13073119900101123 · weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
    # = 7+27+0+35+24+4+2+9+54+0+0+9+0+5+8+8+6 = 198 = 18·11, remainder 0 → "1".
    assert to_18("130731900101123") == "130731199001011231"


def test_to_18_normalizes_and_refuses_bad_input() -> None:
    assert to_18("１３０７３１９００１０１１２３") == "130731199001011231"
    with pytest.raises(IdNumberError) as info:
        to_18("13073190010112")
    assert info.value.code == "length"
    with pytest.raises(IdNumberError) as info:
        to_18("13073190010112a")
    assert info.value.code == "charset"


def test_15_digit_number_keeps_both_forms() -> None:
    result = validate_id_number("132530850612342", today=TODAY)
    assert result.number15 == "132530850612342"
    assert result.number18 == make("13253019850612342")
    assert result.birth_date == date(1985, 6, 12)
    assert result.sex == "2"
    assert result.division_code == "132530"


def test_15_digit_number_with_bad_date() -> None:
    err = error_of("130731910229123")
    assert err.code == "birth_date"
    assert "7–12" in err.message
    assert "910229" in err.message


def test_15_digit_number_with_unknown_division() -> None:
    assert error_of("999999900101123").code == "division"


def test_15_digit_number_with_x() -> None:
    err = error_of("13073190010112X")
    assert err.code == "charset"
    assert "15" in err.message


def test_15_digit_sex_position_is_15() -> None:
    err = error_of("130731900101123", gender="2")
    assert err.code == "sex_mismatch"
    assert "第 15 位" in err.message


# --- errors ----------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["", "   ", "\u3000", None])
def test_empty(raw: str | None) -> None:
    err = error_of(raw)
    assert err.code == "empty"
    assert err.field == "id_number"
    assert err.message == "请填写身份证号码"


@pytest.mark.parametrize("raw", [130731199001011231, 1.5, b"130731199001011231", ["1"]])
def test_non_text_is_refused_cleanly(raw: object) -> None:
    assert error_of(raw).code == "type"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "position"),
    [
        ("13073119900101123a", 18),
        ("1307311990-0101-1231", 11),
        ("130731\x0019900101123", 7),
        ("١٣٠٧٣١١٩٩٠٠١٠١١٢٣١", 1),  # Arabic-Indic digits: isdigit() but not an ID
        ("²30731199001011231", 1),
        ("𝟏30731199001011231", 1),
        ("1307311990010112ß1", 17),
        ("13073119900101123💥", 18),
    ],
)
def test_foreign_characters_are_named_with_their_position(raw: str, position: int) -> None:
    err = error_of(raw)
    assert err.code == "charset"
    assert f"第 {position} 位" in err.message


def test_control_character_is_shown_as_code_point() -> None:
    err = error_of("130731\x0019900101123")
    assert "U+0000" in err.message
    assert "\x00" not in err.message


@pytest.mark.parametrize(("n", "hint"), [(17, "漏输"), (19, "多输"), (16, "漏输"), (10, None), (20, None)])
def test_wrong_length(n: int, hint: str | None) -> None:
    err = error_of("1" * n)
    assert err.code == "length"
    assert f"输入的是 {n} 位" in err.message
    if hint:
        assert hint in err.message


def test_very_long_input_is_refused_quickly_without_echo() -> None:
    raw = "1" * 1_000_000
    start = time.perf_counter()
    err = error_of(raw)
    assert time.perf_counter() - start < 1
    assert err.code == "length"
    assert len(err.message) < 100


def test_very_long_unicode_input() -> None:
    assert error_of("汉" * 100_000).code == "charset"


def test_x_before_the_last_position() -> None:
    err = error_of("1307311990010112X1")
    assert err.code == "charset"
    assert "第 17 位" in err.message


def test_wrong_check_digit_names_position_18_without_echoing_the_number() -> None:
    wrong = MALE[:-1] + ("2" if MALE[-1] != "2" else "3")
    err = error_of(wrong)
    assert err.code == "check_digit"
    assert "第 18 位" in err.message
    assert "校验码" in err.message
    assert wrong not in err.message
    assert all(s not in err.message for s in err.suggestions)
    assert isinstance(err, ValueError)


def test_unknown_division_code() -> None:
    err = error_of(make("99999919900101123"))
    assert err.code == "division"
    assert "999999" in err.message


def test_division_check_happens_after_check_digit() -> None:
    # A wrong check character means a typo, which is the more useful thing to report.
    number = make("99999919900101123")
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    assert error_of(wrong).code == "check_digit"


@pytest.mark.parametrize(
    "yyyymmdd",
    ["19910229", "19000229", "19901301", "19900001", "19900100", "19900431", "20230229"],
)
def test_impossible_birth_dates(yyyymmdd: str) -> None:
    err = error_of(make("130731" + yyyymmdd + "123"))
    assert err.code == "birth_date"
    assert yyyymmdd in err.message


def test_leap_day_2000_is_valid_but_1900_is_not() -> None:
    assert validate_id_number(make("13073120000229123"), today=TODAY).birth_date == date(2000, 2, 29)
    assert error_of(make("13073119000229123")).code == "birth_date"


def test_future_birth_date() -> None:
    err = error_of(make("13073120240602123"))
    assert err.code == "future_birth"
    assert "2024-06-01" in err.message


def test_future_relative_to_given_today() -> None:
    number = make("13073120300101123")
    assert error_of(number).code == "future_birth"
    assert validate_id_number(number, today=date(2030, 1, 1)).birth_date == date(2030, 1, 1)


def test_birth_before_1900() -> None:
    assert error_of(make("13073118991231123")).code == "early_birth"
    assert validate_id_number(make("13073119000101123"), today=TODAY).birth_date == date(1900, 1, 1)


def test_standard_example_born_1880_is_refused_as_too_early() -> None:
    # GB 11643's second example; our registry does not accept births before 1900.
    assert check_char("44052418800101001") == "4"
    assert error_of("440524188001010014").code == "early_birth"


# --- sex -------------------------------------------------------------------------


def test_sex_mismatch_male_number_female_gender() -> None:
    err = error_of(MALE, gender="2")
    assert err.code == "sex_mismatch"
    assert err.field == "gender"
    assert "第 17 位" in err.message
    assert "女" in err.message


def test_sex_mismatch_female_number_male_gender() -> None:
    err = error_of(FEMALE, gender="1")
    assert err.code == "sex_mismatch"
    assert "男" in err.message


@pytest.mark.parametrize("gender", ["0", "9", None])
def test_unknown_or_unspecified_gender_is_not_checked(gender: str | None) -> None:
    assert validate_id_number(MALE, gender=gender, today=TODAY).sex == "1"
    assert validate_id_number(FEMALE, gender=gender, today=TODAY).sex == "2"


def test_matching_gender_is_accepted() -> None:
    assert validate_id_number(MALE, gender="1", today=TODAY).sex == "1"
    assert validate_id_number(FEMALE, gender="2", today=TODAY).sex == "2"


@pytest.mark.parametrize("gender", ["男", "M", "3", ""])
def test_invalid_gender_code_is_a_programming_error(gender: str) -> None:
    with pytest.raises(ValueError) as info:
        validate_id_number(MALE, gender=gender, today=TODAY)
    assert not isinstance(info.value, IdNumberError)


# --- suggestions -----------------------------------------------------------------


def substitute(number: str, index: int, digit: str) -> str:
    return number[:index] + digit + number[index + 1 :]


def swap(number: str, index: int) -> str:
    return number[:index] + number[index + 1] + number[index] + number[index + 2 :]


def test_suggestions_include_intended_number_for_a_substitution_in_the_sequence() -> None:
    typo = substitute(MALE, 15, "7")
    err = error_of(typo)
    assert err.code == "check_digit"
    assert MALE in err.suggestions
    assert 0 < len(err.suggestions) <= idcard.MAX_SUGGESTIONS


def test_suggestions_include_intended_number_for_an_adjacent_transposition() -> None:
    intended = make("13073119870314526")
    typo = swap(intended, 10)  # 0314 → 0341
    assert typo != intended
    err = error_of(typo)
    assert err.code == "check_digit"
    assert intended in err.suggestions
    # A swap that satisfies the check is rare by chance, so it should lead.
    assert err.suggestions.index(intended) <= 1


def test_suggestion_for_a_mistyped_check_character() -> None:
    typo = MALE[:-1] + ("X" if MALE[-1] != "X" else "0")
    assert MALE in error_of(typo).suggestions


def test_transposed_x_at_the_end_is_suggested_back() -> None:
    err = error_of("1101051949123100X2")
    assert err.code == "charset"
    assert "11010519491231002X" in err.suggestions


def test_every_suggestion_is_valid_and_one_typo_away() -> None:
    rng = random.Random(32100)
    for _ in range(200):
        intended = make(
            f"130731{rng.randint(1950, 2010)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            f"{rng.randint(0, 999):03d}"
        )
        i = rng.randrange(17)
        typo = substitute(intended, i, str((int(intended[i]) + rng.randint(1, 9)) % 10))
        found = repair_candidates(typo, today=TODAY)
        assert intended in found
        assert len(found) == len(set(found))
        for candidate in found:
            validate_id_number(candidate, today=TODAY)
            diff = [k for k in range(18) if candidate[k] != typo[k]]
            is_swap = len(diff) == 2 and diff[1] == diff[0] + 1 and candidate == swap(typo, diff[0])
            assert len(diff) == 1 or is_swap


def test_repair_finds_a_typo_in_the_division_code() -> None:
    intended = make("13073119900101123")
    typo = substitute(intended, 3, "8")  # 130831…
    # Far down the ranking, so not necessarily among the few suggestions, but found.
    assert intended in repair_candidates(typo, today=TODAY)


def test_repair_ranks_swaps_then_sequence_then_date_then_division() -> None:
    intended = make("13073119900101123")
    typo = substitute(intended, 15, "7")
    found = repair_candidates(typo, today=TODAY)
    kinds = []
    for candidate in found:
        diff = [k for k in range(18) if candidate[k] != typo[k]]
        part = 0 if diff[-1] >= 14 else 1 if diff[-1] >= 6 else 2
        kinds.append((0 if len(diff) == 2 else 1, part))
    assert kinds == sorted(kinds)


def test_repair_respects_gender() -> None:
    typo = substitute(MALE, 15, "7")
    unfiltered = repair_candidates(typo, today=TODAY)
    for gender, parity in (("1", 1), ("2", 0)):
        found = repair_candidates(typo, gender=gender, today=TODAY)
        assert found
        assert found == [c for c in unfiltered if int(c[16]) % 2 == parity]
    assert MALE in repair_candidates(typo, gender="1", today=TODAY)
    assert MALE not in repair_candidates(typo, gender="2", today=TODAY)
    # Codes 0 and 9 assert nothing about sex, so they filter nothing.
    assert repair_candidates(typo, gender="9", today=TODAY) == unfiltered


def test_repair_respects_today() -> None:
    intended = make("13073120240531123")
    typo = substitute(intended, 13, "2")  # 20240532 is no date; 20240601 and later would be future
    found = repair_candidates(typo, today=TODAY)
    assert intended in found
    for candidate in found:
        assert candidate[6:14] <= "20240601"


def test_repair_limit() -> None:
    typo = substitute(MALE, 15, "7")
    assert len(repair_candidates(typo, today=TODAY)) > 2
    assert len(repair_candidates(typo, today=TODAY, limit=2)) == 2


@pytest.mark.parametrize(
    "raw",
    [
        MALE,
        "11010519491231002X",
        "",
        None,
        "130731900101123",
        "1234",
        "13073119900101123a",
        "X" * 18,
        "1X" * 9,
    ],
)
def test_nothing_to_repair(raw: str | None) -> None:
    assert repair_candidates(raw, today=TODAY) == []


def test_repair_accepts_full_width_input() -> None:
    typo = substitute(MALE, 15, "7")
    full = "".join(chr(ord(c) + 0xFEE0) for c in typo)
    assert MALE in repair_candidates(full, today=TODAY)


# --- masking ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("130731199001011234", "130731********1234"),
        ("11010519491231002x", "110105********002X"),
        ("130731900101123", "130731*****1123"),
        ("12345678", "12****78"),
        ("12345", "1***5"),
        ("1234", "****"),
        ("123", "***"),
        ("12", "**"),
        ("", ""),
    ],
)
def test_mask_id(raw: str, masked: str) -> None:
    assert mask_id(raw) == masked


def test_mask_id_never_shows_most_of_an_odd_value() -> None:
    for n in (n for n in range(3, 40) if n not in (15, 18)):
        masked = mask_id("9" * n)
        assert len(masked) == n
        assert masked.count("*") >= n / 2


def test_result_masked_property() -> None:
    assert validate_id_number(MALE, today=TODAY).masked == "130731********" + MALE[-4:]


# --- division data ---------------------------------------------------------------


def test_division_set_is_complete_despite_stopping_early() -> None:
    # valid_division_codes stops reading at the first township; reading everything must add nothing.
    everything = {r.code.ljust(6, "0") for r in iter_divisions() if len(r.code) <= 6}
    assert everything <= idcard.valid_division_codes()
    assert everything == set(idcard.current_division_codes())


def test_division_set_loads_fast_and_is_cached() -> None:
    idcard.valid_division_codes.cache_clear()
    idcard.current_division_codes.cache_clear()
    start = time.perf_counter()
    codes = idcard.valid_division_codes()
    assert time.perf_counter() - start < 1
    assert idcard.valid_division_codes() is codes
    assert {"130731", "132530", "110000", "130700"} <= codes
    assert "999999" not in codes
    assert all(len(c) == 6 and c.isdigit() for c in codes)


def test_is_known_division() -> None:
    assert idcard.is_known_division("132530")
    assert not idcard.is_known_division("999999")
