from __future__ import annotations

import pytest

from ybss.lib.phone import PhoneError, is_mobile, mask_phone, normalize_phone


def error_of(raw: object) -> PhoneError:
    with pytest.raises(PhoneError) as info:
        normalize_phone(raw)  # type: ignore[arg-type]
    return info.value


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138 1234 5678",
        "+8613812345678",
        "(+86) 138-1234-5678",
        "0086 13812345678",
        "008613812345678",
        "8613812345678",
        "86 13812345678",
        "013812345678",
        "１３８１２３４５６７８",
        "＋８６　１３８－１２３４－５６７８",
        "138—1234—5678",
        " 13812345678\n",
    ],
)
def test_mobile_forms(raw: str) -> None:
    assert normalize_phone(raw) == "13812345678"


@pytest.mark.parametrize("prefix", list("3456789"))
def test_every_mobile_second_digit(prefix: str) -> None:
    number = f"1{prefix}012345678"
    assert normalize_phone(number) == number
    assert is_mobile(number)


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("010-62345678", "010-62345678"),
        ("01062345678", "010-62345678"),
        ("(010)62345678", "010-62345678"),
        ("（０１０）６２３４５６７８", "010-62345678"),
        ("010 6234 5678", "010-62345678"),
        ("+86 10 62345678", "010-62345678"),
        ("+86-10-6234-5678", "010-62345678"),
        ("+86 (0)10 62345678", "010-62345678"),
        ("0086 10 62345678", "010-62345678"),
        ("86-10-62345678", "010-62345678"),
        ("021-52345678", "021-52345678"),
        ("029 88888888", "029-88888888"),
        ("0755-2345678", "0755-2345678"),
        ("07552345678", "0755-2345678"),
        ("0755-23456789", "0755-23456789"),
        ("0313 8123456", "0313-8123456"),
        ("86 313 8123456", "0313-8123456"),
    ],
)
def test_landline_forms(raw: str, normal: str) -> None:
    assert normalize_phone(raw) == normal
    assert not is_mobile(normal)


@pytest.mark.parametrize(
    "raw",
    [
        "010-62345678-123",
        "010-62345678 转 123",
        "010-62345678转123",
        "010-62345678 分机 123",
        "010-62345678 ext. 123",
        "010-62345678 EXT123",
        "010-62345678 x123",
        "010-62345678#123",
        "(010) 6234 5678-123",
    ],
)
def test_extensions(raw: str) -> None:
    assert normalize_phone(raw) == "010-62345678-123"


def test_landline_without_separators_cannot_carry_an_extension() -> None:
    assert error_of("01062345678123").code == "length"


def test_extension_too_long() -> None:
    err = error_of("010-62345678 转 1234567")
    assert err.code == "extension"
    assert "6" in err.message


def test_extension_not_digits() -> None:
    assert error_of("010-62345678 转 12a").code == "extension"


def test_mobile_has_no_extension() -> None:
    assert error_of("13812345678 转 12").code == "extension"


@pytest.mark.parametrize("raw", ["", "   ", "\u3000", None])
def test_empty(raw: str | None) -> None:
    err = error_of(raw)
    assert err.code == "empty"
    assert err.field == "phone"


@pytest.mark.parametrize("raw", [13812345678, 1.0, b"13812345678"])
def test_non_text(raw: object) -> None:
    assert error_of(raw).code == "type"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("138abc45678", "“a”"),
        ("138\x0012345678", "U+0000"),
        ("电话13812345678", "“电”"),
        ("138📞12345678", "“📞”"),
    ],
)
def test_charset(raw: str, shown: str) -> None:
    err = error_of(raw)
    assert err.code == "charset"
    assert shown in err.message


def test_plus_in_the_middle() -> None:
    assert error_of("138+12345678").code == "charset"


@pytest.mark.parametrize(
    "raw", ["+1 415 555 0100", "+852 2345 6789", "0044 20 7946 0000", "(+44) 20 7946 0000"]
)
def test_other_countries(raw: str) -> None:
    assert error_of(raw).code == "country"


@pytest.mark.parametrize(("raw", "n"), [("1381234567", 10), ("138123456789", 12), ("+86 138123", 6)])
def test_mobile_length(raw: str, n: int) -> None:
    err = error_of(raw)
    assert err.code == "length"
    assert f"输入的是 {n} 位" in err.message


@pytest.mark.parametrize("raw", ["10012345678", "11012345678", "12812345678"])
def test_mobile_second_digit(raw: str) -> None:
    err = error_of(raw)
    assert err.code == "mobile"
    assert f"“{raw[1]}”" in err.message


@pytest.mark.parametrize("raw", ["62345678", "2345678"])
def test_missing_area_code(raw: str) -> None:
    err = error_of(raw)
    assert err.code == "area_code"
    assert "区号" in err.message


def test_area_code_01x_does_not_exist() -> None:
    err = error_of("011-62345678")
    assert err.code == "area_code"
    assert "011" in err.message


def test_other_international_prefix_written_as_area_code() -> None:
    assert error_of("001-415-5550100").code == "country"


@pytest.mark.parametrize(
    ("raw", "n"),
    [("021-5234567", 7), ("0755-234567", 6), ("0755-234567890", 9), ("010-623456789", 9)],
)
def test_local_number_length(raw: str, n: int) -> None:
    err = error_of(raw)
    assert err.code == "length"
    assert f"输入的是 {n} 位" in err.message


@pytest.mark.parametrize("raw", ["010-12345678", "0755-0234567", "075512345678"])
def test_local_number_cannot_start_with_0_or_1(raw: str) -> None:
    assert error_of(raw).code == "local_number"


@pytest.mark.parametrize("raw", ["400-810-8888", "4008108888", "800-810-8888"])
def test_service_numbers(raw: str) -> None:
    assert error_of(raw).code == "service_number"


@pytest.mark.parametrize("raw", ["110", "12345", "1" * 40, "-", "()"])
def test_nonsense(raw: str) -> None:
    with pytest.raises(PhoneError):
        normalize_phone(raw)


def test_very_long_input() -> None:
    err = error_of("1" * 100_000)
    assert err.code == "length"
    assert len(err.message) < 100


def test_error_is_value_error() -> None:
    assert isinstance(error_of(""), ValueError)


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+86 138 1234 5678", "138****5678"),
        ("010-62345678", "010-****5678"),
        ("0755-2345678", "0755-***5678"),
        ("0755-23456789", "0755-****6789"),
        ("010-62345678-123", "010-****5678-123"),
    ],
)
def test_mask_phone(raw: str, masked: str) -> None:
    assert mask_phone(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("12345", "*****"),
        ("1234567890", "123*****90"),
        ("", ""),
        ("abc", ""),
        ("１２３４５６７８９０", "123*****90"),
    ],
)
def test_mask_phone_on_invalid_values_never_raises(raw: str, masked: str) -> None:
    assert mask_phone(raw) == masked


def test_mask_phone_none() -> None:
    assert mask_phone(None) == ""


def test_is_mobile_only_on_normal_forms() -> None:
    assert not is_mobile("138 1234 5678")
    assert not is_mobile("12812345678")


def test_a_plain_mobile_number_and_its_other_forms_come_out_the_same() -> None:
    assert normalize_phone("13812345678") == "13812345678"
    assert normalize_phone("１３８１２３４５６７８") == normalize_phone("+86 138-1234-5678") == "13812345678"
    # Eleven digits of another script are not a number as typed on a Chinese phone.
    assert error_of("١٣٨١٢٣٤٥٦٧٨").code == "charset"
