"""The repair and normalization rules, one by one."""

from __future__ import annotations

import random
from datetime import date

import pytest

from ybss.lib import idcard
from ybss.linkage import fields as F

from .helpers import TODAY, make_id

NUMBER = make_id("19900307", "123")  # 130731199003071233-ish: a man born 1990-03-07


def test_a_single_mistyped_digit_repairs_to_the_number():
    for position in range(18):
        digits = "0123456789X" if position == 17 else "0123456789"
        for digit in digits:
            if digit == NUMBER[position]:
                continue
            typo = NUMBER[:position] + digit + NUMBER[position + 1 :]
            status, valid, candidates = F.parse_id(typo, today=TODAY)
            assert (status, valid) == (F.ID_REPAIRABLE, ""), typo
            assert F.encode_id(NUMBER) in candidates, typo


def test_a_swap_of_adjacent_digits_repairs_to_the_number():
    swaps = 0
    for i in range(17):
        if NUMBER[i] == NUMBER[i + 1]:
            continue
        swapped = NUMBER[:i] + NUMBER[i + 1] + NUMBER[i] + NUMBER[i + 2 :]
        status, _, candidates = F.parse_id(swapped, today=TODAY)
        assert status == F.ID_REPAIRABLE
        assert F.encode_id(NUMBER) in candidates
        swaps += 1
    assert swaps >= 10


def test_repair_finds_the_same_candidates_as_the_validator():
    rng = random.Random(5)
    for _ in range(300):
        number = make_id(
            f"{rng.randint(1930, 2020)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}",
            f"{rng.randrange(1000):03d}",
        )
        i = rng.randrange(18)
        typo = number[:i] + rng.choice([d for d in "0123456789" if d != number[i]]) + number[i + 1 :]
        assert F.repair_id(typo, today=TODAY) == sorted(idcard.repair_candidates(typo, today=TODAY))


def test_a_valid_number_needs_no_repair():
    assert F.repair_id(NUMBER, today=TODAY) == []
    assert F.parse_id(NUMBER, today=TODAY) == (F.ID_VALID, NUMBER, ())


def test_the_old_15_digit_form_becomes_the_18_digit_number():
    old = NUMBER[:6] + NUMBER[8:17]
    assert len(old) == 15
    assert F.parse_id(old, today=TODAY) == (F.ID_VALID, NUMBER, ())


def test_full_width_digits_are_read_as_digits():
    full = NUMBER.translate({ord("0") + i: 0xFF10 + i for i in range(10)})
    assert full != NUMBER
    assert F.parse_id(full, today=TODAY) == (F.ID_VALID, NUMBER, ())


def test_lower_case_x_is_the_check_character_x():
    number = next(n for n in (make_id("19851111", f"{s:03d}") for s in range(200)) if n.endswith("X"))
    assert F.parse_id(number[:-1] + "x", today=TODAY) == (F.ID_VALID, number, ())
    assert F.parse_id(number[:-1] + "ｘ", today=TODAY) == (F.ID_VALID, number, ())


def test_spaces_inside_a_number_are_ignored():
    assert F.parse_id(f" {NUMBER[:6]} {NUMBER[6:14]} {NUMBER[14:]} ", today=TODAY)[1] == NUMBER


@pytest.mark.parametrize("raw", ["", "   ", "12345", "1307311990030712", "A30731199003071233"])
def test_numbers_that_cannot_be_used(raw):
    status, valid, candidates = F.parse_id(raw, today=TODAY)
    assert status in (F.ID_MISSING, F.ID_UNUSABLE)
    assert (valid, candidates) == ("", ())


def test_birth_date_and_sex_come_from_the_number():
    code = F.encode_id(NUMBER)
    assert F.decode_id(code) == NUMBER
    assert F.birth_of_id(code) == date(1990, 3, 7).toordinal()
    assert F.sex_of_id(code) == 1
    assert F.sex_of_id(F.encode_id(make_id("19900307", "124"))) == 2


@pytest.mark.parametrize(
    "raw", ["2001-03-05", "20010305", "2001/3/5", "2001年3月5日", "2001-03-05 00:00:00", "２００１/３/５"]
)
def test_birth_date_formats(raw):
    assert F.parse_birth_date(raw) == date(2001, 3, 5).toordinal()


@pytest.mark.parametrize("raw", ["", "2001-02-30", "yesterday", "1899-12-31", "2001/13/1"])
def test_birth_dates_that_are_not_dates(raw):
    assert F.parse_birth_date(raw) == 0


@pytest.mark.parametrize(
    ("raw", "sex"), [("男", 1), ("1", 1), ("M", 1), ("女", 2), ("2", 2), ("f", 2), ("", 0), ("9", 0)]
)
def test_gender(raw, sex):
    assert F.parse_gender(raw) == sex


def test_phone_numbers_in_any_form_are_one_number():
    keys = {
        F.phone_key(p)
        for p in ("13812345678", "+86 138 1234 5678", "138-1234-5678", "１３８１２３４５６７８")
    }
    assert keys == {13812345678}
    assert F.phone_key("010-62345678") != F.phone_key("01062345678-1")
    assert F.phone_key("not a phone") == 0


def test_traditional_characters_in_names_are_simplified():
    assert F.normalize_name("張偉") == F.normalize_name("张伟") == "张伟"
    assert F.normalize_name("歐陽 鋒") == "欧阳锋"
    assert F.normalize_name("阿卜杜·热合曼") == "阿卜杜热合曼"


def test_same_sound_names_share_their_pinyin():
    assert F.name_pinyin("张伟") == F.name_pinyin("张玮") == "zhang wei"
    assert F.name_pinyin(F.normalize_name("張瑋")) == "zhang wei"
    assert F.name_pinyin("章伟") == "zhang wei"  # another surname, the same sound
    assert F.name_pinyin("李娜") != F.name_pinyin("李静")


def test_address_fingerprint_is_shared_by_the_usual_spellings():
    spellings = [
        "河北省张家口市涿鹿县人民路18号阳光小区3栋2单元502室",
        "涿鹿县人民路18号阳光小区3号楼2单元502",
        "河北省张家口市涿鹿县人民路18号阳光小区3-2-502",
        "河北省張家口市涿鹿縣人民路十八號陽光小區三幢二單元五〇二室",
    ]
    assert len({F.address_fingerprint(s) for s in spellings}) == 1
    assert (
        F.address_fingerprint("西头堡村第三村民小组15号")
        == F.address_fingerprint("西头堡村3组15号")
        == "3/15"
    )
    assert F.normalize_address(spellings[3]) == F.normalize_address(spellings[0])
