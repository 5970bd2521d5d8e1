from __future__ import annotations

import codecs
import os
import re
import shutil
import zipfile
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from ybss.lib import sheets
from ybss.lib.sheets import (
    CellError,
    Formula,
    SheetError,
    as_choice,
    as_date,
    as_id_number,
    as_text,
    column_letter,
    detect_encoding,
    inspect_file,
    iter_rows,
    locate_header,
    normalize_header,
)

FILES = Path(__file__).resolve().parent.parent / "exchange" / "files"
LIMIT = 20 * 1024 * 1024

COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "名字"),
    "doc_type": ("证件类型",),
    "id_number": ("证件号码", "身份证号", "公民身份号码", "ID"),
    "gender": ("性别",),
    "birth_date": ("出生日期",),
    "nationality": ("国籍",),
    "registered_division": ("户籍地区划代码",),
    "registered_address": ("户籍地详址",),
    "phone": ("联系电话", "手机号"),
    "employer": ("工作单位或学校",),
    "address": ("居住地址",),
    "residence_kind": ("居住类型",),
    "relation": ("与户主关系",),
    "reason": ("居住事由",),
    "since": ("起居日期",),
    "permit_number": ("居住证号",),
    "permit_until": ("居住证有效期至",),
}
REQUIRED = {"name", "id_number", "address"}
HEADER = [texts[0] for texts in COLUMNS.values()]
ZHANG_WEI = "130731199001011231"


def inspect(name: str, filename: str | None = None, **limits: int) -> str:
    return inspect_file(FILES / name, filename or name, max_bytes=limits.pop("max_bytes", LIMIT), **limits)


def refusal(name: str, filename: str | None = None, **limits: int) -> SheetError:
    with pytest.raises(SheetError) as info:
        inspect(name, filename, **limits)
    return info.value


def cell_error(func: object, *args: object) -> CellError:
    with pytest.raises(CellError) as info:
        func(*args)  # type: ignore[operator]
    return info.value


def rows_of(path: Path, fmt: str | None = None) -> list[tuple[int, list[object]]]:
    return list(iter_rows(path, fmt or inspect_file(path, path.name, max_bytes=LIMIT)))


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def header_of(path: Path, **kwargs: object) -> sheets.HeaderMatch:
    return locate_header(rows_of(path), COLUMNS, required=REQUIRED, **kwargs)  # type: ignore[arg-type]


def open_files() -> set[str]:
    return {os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd") if _readable(fd)}


def _readable(fd: str) -> bool:
    try:
        os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return False
    return True


# --- as_text -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("  张三 ", "张三"),
        ("\u3000张三\u3000", "张三"),
        ("\u200b张三\ufeff", "张三"),
        ("'130731199001011231", ZHANG_WEI),
        ("\t130731199001011231", ZHANG_WEI),
        (" '13800138000", "13800138000"),
        (42, "42"),
        (3.0, "3"),
        (1.5, "1.5"),
        (130731900101123.0, "130731900101123"),
        (True, "是"),
        (False, "否"),
        (datetime(1990, 1, 1, 8, 30), "1990-01-01"),
        (date(2024, 1, 31), "2024-01-31"),
    ],
)
def test_as_text(value: object, expected: str) -> None:
    assert as_text(value) == expected


def test_as_text_keeps_an_apostrophe_inside_the_text() -> None:
    assert as_text("O'Brien") == "O'Brien"


def test_as_text_writes_large_floats_as_digits() -> None:
    # Whether the digits are still right is for the field to judge (as_id_number).
    text = as_text(1.30731199001011e17)
    assert text.isdigit()
    assert len(text) == 18
    assert text.startswith("130731199001011")


def test_as_text_refuses_a_formula() -> None:
    error = cell_error(as_text, Formula("=SUM(A1:A3)"))
    assert error.code == "formula"
    assert "=SUM(A1:A3)" in error.message
    assert "粘贴为数值" in error.message


# --- as_id_number ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (ZHANG_WEI, ZHANG_WEI),
        ("13073120010308017x", "13073120010308017X"),
        ("１３０７３１２００１０３０８０１７ｘ", "13073120010308017X"),
        ("'13073120010308017X", "13073120010308017X"),
        # Old 15-digit numbers fit in a number cell without loss.
        (130731900101123, "130731900101123"),
        (130731900101123.0, "130731900101123"),
        # A text cell ending in 000 may be genuine; the check digit decides elsewhere.
        ("130731199001011000", "130731199001011000"),
        # Written by a program rather than typed into Excel: all digits exact.
        (130731199001011231, ZHANG_WEI),
        # Exponent without a sign: a document number, not Excel's notation.
        ("12E345", "12E345"),
        # Other documents: letters upper-cased, as typed otherwise.
        ("E12345678", "E12345678"),
        ("e12345678", "E12345678"),
        (" E12345678 ", "E12345678"),
        (None, ""),
    ],
)
def test_as_id_number(value: object, expected: str) -> None:
    assert as_id_number(value) == expected


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (1.30731199001011e17, "1.30731E+17"),
        (1.3e17, "1.3E+17"),
        ("1.30731E+17", "1.30731E+17"),
        (" 1.30731199001011e+17 ", "1.30731199001011e+17"),
        ("1.3073E+017", "1.3073E+017"),
    ],
)
def test_as_id_number_names_scientific_notation(value: object, shown: str) -> None:
    error = cell_error(as_id_number, value)
    assert error.code == "scientific"
    assert f"（{shown}）" in error.message
    assert "文本格式" in error.message


def test_as_id_number_names_excel_truncation_of_a_number_cell() -> None:
    error = cell_error(as_id_number, 130731199001011000)
    assert error.code == "truncated"
    assert "15 位" in error.message


def test_as_id_number_refuses_a_formula() -> None:
    assert cell_error(as_id_number, Formula('=CONCAT("1307","31")')).code == "formula"


# --- as_date ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("  ", None),
        (date(1990, 1, 1), date(1990, 1, 1)),
        (datetime(1990, 1, 1, 23, 59), date(1990, 1, 1)),
        (32874, date(1990, 1, 1)),
        (32874.75, date(1990, 1, 1)),
        ("32874", date(1990, 1, 1)),
        (1, date(1900, 1, 1)),
        (59, date(1900, 2, 28)),
        (61, date(1900, 3, 1)),
        (45322, date(2024, 1, 31)),
        (2958465, date(9999, 12, 31)),
        ("1990-01-01", date(1990, 1, 1)),
        ("1990/1/2", date(1990, 1, 2)),
        ("1990.1.3", date(1990, 1, 3)),
        ("19900104", date(1990, 1, 4)),
        ("1990年1月5日", date(1990, 1, 5)),
        ("1990 年 1 月 6 日", date(1990, 1, 6)),
        ("1990-01-07 08:30:00", date(1990, 1, 7)),
        ("1990/1/8 0:00", date(1990, 1, 8)),
        ("1990-01-09T00:00:00", date(1990, 1, 9)),
        ("１９９０－０１－１０", date(1990, 1, 10)),
        ("'1990-01-11", date(1990, 1, 11)),
    ],
)
def test_as_date(value: object, expected: date | None) -> None:
    assert as_date(value) == expected


@pytest.mark.parametrize(
    "value", ["01/02/1990", "明天", "1990-1/1", "1990-01", "199001011", True, "1990-01-01 25"]
)
def test_as_date_refuses_what_it_cannot_read(value: object) -> None:
    error = cell_error(as_date, value)
    assert error.code == "bad_date"
    assert "应为 2024-01-31" in error.message


@pytest.mark.parametrize("value", ["1990-02-30", "2023-13-01", "20230229"])
def test_as_date_refuses_days_that_do_not_exist(value: str) -> None:
    error = cell_error(as_date, value)
    assert error.code == "bad_date"
    assert value in error.message


def test_as_date_refuses_excels_fake_leap_day() -> None:
    error = cell_error(as_date, 60)
    assert error.code == "bad_date"
    assert "1900-02-29" in error.message


@pytest.mark.parametrize("serial", [0, -1, 2958466, 0.5, float("nan")])
def test_as_date_refuses_serials_outside_excels_range(serial: float) -> None:
    assert cell_error(as_date, serial).code == "bad_date"


def test_as_date_refuses_a_formula() -> None:
    assert cell_error(as_date, Formula("=TODAY()")).code == "formula"


# --- as_choice --------------------------------------------------------------------------------

GENDERS = {"1": "男", "2": "女", "9": "未说明的性别"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [("男", "1"), (" 女 ", "2"), ("1", "1"), (2, "2"), (9.0, "9"), ("１", "1"), ("", ""), (None, "")],
)
def test_as_choice(value: object, expected: str) -> None:
    assert as_choice(value, GENDERS) == expected


def test_as_choice_accepts_codes_in_any_case() -> None:
    assert as_choice("RESIDENT_ID", {"resident_id": "居民身份证"}) == "resident_id"
    assert as_choice("居民身份证", {"resident_id": "居民身份证"}) == "resident_id"


def test_as_choice_matches_full_and_half_width_forms_either_way() -> None:
    choices = {"other": "其他（请注明）", "hk": "港澳(来往内地)"}
    assert as_choice("其他（请注明）", choices) == "other"
    assert as_choice("其他(请注明)", choices) == "other"
    assert as_choice("港澳（来往内地）", choices) == "hk"
    assert as_choice("ｏｔｈｅｒ", choices) == "other"


def test_as_choice_lists_the_labels_it_allows() -> None:
    error = cell_error(as_choice, "M", GENDERS)
    assert error.code == "not_allowed"
    assert "“M”" in error.message
    assert "男、女、未说明的性别" in error.message


# --- encoding -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"name,id\r\n", "utf-8"),
        ("姓名,证件号码\r\n".encode(), "utf-8"),
        ("姓名,证件号码\r\n".encode("utf-8-sig"), "utf-8-sig"),
        ("姓名,证件号码\r\n".encode("gbk"), "gb18030"),
        ("姓名,证件号码\r\n".encode("gb18030"), "gb18030"),
        # The first chunk of a file may end inside a character.
        ("姓名".encode()[:-1], "utf-8"),
        ("姓名".encode()[:-2], "utf-8"),
        ("姓名".encode("gbk")[:-1], "gb18030"),
    ],
)
def test_detect_encoding(data: bytes, expected: str) -> None:
    assert detect_encoding(data) == expected


def rows_cut_at_chunk_end(encoding: str, char_bytes: int) -> tuple[bytes, list[list[str]]]:
    """A CSV whose first SNIFF_BYTES end one byte into a multibyte character."""
    header = ["name", "note"]
    first = "a" * 10
    prefix = f"{','.join(header)}\r\n{first},".encode(encoding)
    padding = sheets.SNIFF_BYTES - len(prefix) - 1
    rows = [header, [first, "x" * padding + "涿鹿县" * 3], ["张伟", "幸福路"]]
    data = "".join(",".join(row) + "\r\n" for row in rows).encode(encoding)
    cut = data[: sheets.SNIFF_BYTES]
    # Make sure the test is about what it says: the chunk ends inside 涿.
    assert cut.endswith("涿".encode(encoding)[:1])
    assert char_bytes == len("涿".encode(encoding))
    return data, rows


@pytest.mark.parametrize(("encoding", "char_bytes"), [("utf-8", 3), ("gbk", 2)])
def test_a_character_cut_at_the_sniffing_chunk_end_is_read_whole(
    tmp_path: Path, encoding: str, char_bytes: int
) -> None:
    data, rows = rows_cut_at_chunk_end(encoding, char_bytes)
    path = write(tmp_path, "cut.csv", data)
    assert inspect_file(path, "cut.csv", max_bytes=LIMIT) == "csv"
    assert [values for _, values in rows_of(path)] == rows


def test_gbk_and_bom_files_read_like_utf8() -> None:
    good = rows_of(FILES / "good.csv")
    assert rows_of(FILES / "gbk.csv") == good[:4]
    assert rows_of(FILES / "utf8_bom.csv") == good[:4]
    assert good[0][1][0] == "姓名"


def test_an_undecodable_byte_later_in_the_file_names_its_row(tmp_path: Path) -> None:
    lines = [b"name,phone"] + [b"zhang san,13800138000"] * 4000
    lines[3000] = "张伟,13800138000".encode("gbk")
    path = write(tmp_path, "late.csv", b"\r\n".join(lines) + b"\r\n")
    assert len(b"\r\n".join(lines[:3000])) > sheets.SNIFF_BYTES
    with pytest.raises(SheetError) as info:
        rows_of(path)
    assert info.value.code == "bad_encoding"
    assert info.value.row == 3001
    assert "第 3001 行含有无法识别的字符" in info.value.message


# --- iter_rows ------------------------------------------------------------------------------


def test_csv_rows_skip_empty_rows_but_keep_their_numbers(tmp_path: Path) -> None:
    data = "姓名,证件号码,备注\r\n\r\n,,\r\n张伟,1,\r\n  , \t ,\r\n李娜,2,有\r\n\r\n"
    path = write(tmp_path, "gaps.csv", data.encode())
    assert rows_of(path, "csv") == [
        (1, ["姓名", "证件号码", "备注"]),
        (4, ["张伟", "1"]),
        (6, ["李娜", "2", "有"]),
    ]


def test_a_quoted_line_break_is_one_row(tmp_path: Path) -> None:
    path = write(tmp_path, "multiline.csv", '姓名,地址\r\n张伟,"幸福路\r\n1号"\r\n李娜,=1+1\r\n'.encode())
    assert rows_of(path, "csv") == [
        (1, ["姓名", "地址"]),
        (2, ["张伟", "幸福路\r\n1号"]),
        (3, ["李娜", Formula("=1+1")]),
    ]


def test_tab_separated_text(tmp_path: Path) -> None:
    path = write(tmp_path, "tabs.csv", "姓名\t证件号码\r\n张伟\t130731\r\n".encode())
    assert rows_of(path, "csv") == [(1, ["姓名", "证件号码"]), (2, ["张伟", "130731"])]


def test_commas_win_over_tabs(tmp_path: Path) -> None:
    path = write(tmp_path, "mixed.csv", "姓名,备注\r\n张伟,a\tb\r\n".encode())
    assert rows_of(path, "csv") == [(1, ["姓名", "备注"]), (2, ["张伟", "a\tb"])]


def test_csv_formulas_come_back_as_formula() -> None:
    by_number = dict(rows_of(FILES / "formulas.csv"))
    name, phone = HEADER.index("姓名"), HEADER.index("联系电话")
    assert by_number[2][name] == Formula('=HYPERLINK("http://x","点我")')
    assert by_number[3][phone] == Formula("=1+1")
    assert by_number[4][phone] == "+8613800138003"
    assert by_number[5][phone] == Formula("=cmd|' /C calc'!A0")
    assert by_number[2][HEADER.index("证件号码")] == ZHANG_WEI


@pytest.mark.parametrize(
    ("text", "is_formula"),
    [
        ("=SUM(A1:A3)", True),
        ("=1+1", True),
        ("=A1", True),
        ("= 1+1", True),
        ('="0"&A1', True),
        ("=-1", True),
        ("+8613800138000", False),
        ("-", False),
        ("=", False),
        ("==== 分隔 ====", False),
        ("= 见备注", False),
        ("a=b", False),
    ],
)
def test_what_counts_as_a_csv_formula(tmp_path: Path, text: str, is_formula: bool) -> None:
    path = write(
        tmp_path, "cell.csv", f'姓名,电话\r\n张伟,"{text.replace(chr(34), chr(34) * 2)}"\r\n'.encode()
    )
    value = rows_of(path, "csv")[1][1][1]
    assert value == (Formula(text) if is_formula else text)


def test_an_unbalanced_quote_names_its_row(tmp_path: Path) -> None:
    runaway = "x" * 200_000
    path = write(tmp_path, "quote.csv", f'姓名,备注\r\n张伟,ok\r\n李娜,"{runaway}\r\n'.encode())
    with pytest.raises(SheetError) as info:
        rows_of(path, "csv")
    assert info.value.code == "bad_csv"
    assert info.value.row == 3
    assert "引号" in info.value.message


def test_xlsx_rows_match_the_csv_ones() -> None:
    from_csv = rows_of(FILES / "good.csv")
    from_xlsx = rows_of(FILES / "good.xlsx")
    assert [number for number, _ in from_xlsx] == [1, 2, 3, 4, 5, 6]
    assert isinstance(from_xlsx[1][1][HEADER.index("出生日期")], datetime)
    for (_, text_row), (_, cell_row) in zip(from_csv, from_xlsx, strict=True):
        assert [as_text(v) for v in cell_row] == text_row


def test_xlsx_formulas_come_back_as_formula() -> None:
    by_number = dict(rows_of(FILES / "formulas.xlsx"))
    assert by_number[2][HEADER.index("姓名")] == Formula('=HYPERLINK("http://x","点我")')
    assert by_number[3][HEADER.index("联系电话")] == Formula("=1+1")
    assert by_number[4][HEADER.index("联系电话")] == "+8613800138003"


def test_xlsx_empty_formatted_rows_are_skipped() -> None:
    assert [number for number, _ in rows_of(FILES / "trailing_empty.xlsx")] == [1, 2, 3, 4]


def test_xlsx_rows_keep_their_numbers_across_gaps(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws["A1"] = "姓名"
    ws["B3"] = "张伟"
    ws["A4"] = "   "
    ws["C7"] = 1
    ws["A7"] = "李娜"
    ws["D7"] = None
    path = tmp_path / "gaps.xlsx"
    wb.save(path)
    assert rows_of(path) == [(1, ["姓名"]), (3, [None, "张伟"]), (7, ["李娜", None, 1])]


def test_xlsx_rows_are_not_cut_to_a_wrong_dimension(tmp_path: Path) -> None:
    # Files written by other programs often declare A1:A1 whatever they hold.
    path = tmp_path / "dimension.xlsx"
    with zipfile.ZipFile(FILES / "good.xlsx") as source, zipfile.ZipFile(path, "w") as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                data, count = re.subn(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:B2"', data)
                assert count == 1
            target.writestr(member.filename, data)
    assert rows_of(path, "xlsx") == rows_of(FILES / "good.xlsx")
    assert rows_of(path, "xlsx")[0][1] == HEADER


def test_xlsx_reads_the_first_visible_sheet(tmp_path: Path) -> None:
    wb = Workbook()
    hidden = wb.active
    assert hidden is not None
    hidden["A1"] = "隐藏的说明页"
    hidden.sheet_state = "hidden"
    wb.create_sheet("数据")["A1"] = "姓名"
    wb.create_sheet("另一页")["A1"] = "第三页"
    path = tmp_path / "sheets.xlsx"
    wb.save(path)
    assert rows_of(path) == [(1, ["姓名"])]


def test_xlsx_under_any_name_is_read(tmp_path: Path) -> None:
    path = tmp_path / "upload-1234"
    shutil.copy(FILES / "good.xlsx", path)
    assert rows_of(path, "xlsx")[1][1][0] == "张伟"


def test_a_damaged_sheet_is_a_sheet_error(tmp_path: Path) -> None:
    path = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(FILES / "good.xlsx") as source, zipfile.ZipFile(path, "w") as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            target.writestr(member.filename, data)
    with pytest.raises(SheetError) as info:
        rows_of(path, "xlsx")
    assert info.value.code == "not_workbook"
    assert info.value.row == 3


def test_serial_dates_come_back_as_numbers_that_as_date_reads() -> None:
    by_number = dict(rows_of(FILES / "serial_dates.xlsx"))
    assert by_number[2][HEADER.index("出生日期")] == 32874
    assert as_date(by_number[2][HEADER.index("出生日期")]) == date(1990, 1, 1)
    assert as_date(by_number[2][HEADER.index("起居日期")]) == date(2020, 5, 1)


def test_excel_damaged_ids_from_workbooks() -> None:
    column = HEADER.index("证件号码")
    scientific = dict(rows_of(FILES / "scientific.xlsx"))
    assert cell_error(as_id_number, scientific[2][column]).code == "scientific"
    assert cell_error(as_id_number, scientific[3][column]).code == "scientific"
    assert as_id_number(scientific[4][column]) == "130731197211300681"
    truncated = dict(rows_of(FILES / "truncated.xlsx"))
    assert cell_error(as_id_number, truncated[2][column]).code == "truncated"
    assert as_id_number(truncated[3][column]) == "130731198506152465"


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
@pytest.mark.parametrize("name", ["good.csv", "good.xlsx"])
def test_closing_the_generator_closes_the_file(name: str) -> None:
    path = str(FILES / name)
    before = open_files()
    rows = iter_rows(path, inspect(name))
    next(rows)
    assert path in open_files() - before
    rows.close()
    assert path not in open_files() - before


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
@pytest.mark.parametrize("name", ["good.csv", "good.xlsx"])
def test_reading_to_the_end_closes_the_file(name: str) -> None:
    path = str(FILES / name)
    before = open_files()
    for _ in iter_rows(path, inspect(name)):
        pass
    assert path not in open_files() - before


def test_iter_rows_wants_a_known_format() -> None:
    with pytest.raises(ValueError, match="xls"):
        iter_rows(FILES / "good.csv", "xls")


# --- inspect_file -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("good.csv", "csv"),
        ("good.xlsx", "xlsx"),
        ("gbk.csv", "csv"),
        ("utf8_bom.csv", "csv"),
        ("header_only.xlsx", "xlsx"),
        ("merged_header.xlsx", "xlsx"),
        ("trailing_empty.xlsx", "xlsx"),
    ],
)
def test_inspect_accepts_good_files(name: str, fmt: str) -> None:
    assert inspect(name) == fmt


def test_inspect_sniffs_the_bytes_not_the_name() -> None:
    assert inspect("good.csv", "人口.xlsx") == "csv"
    assert inspect("good.xlsx", "人口.csv") == "xlsx"


@pytest.mark.parametrize(
    ("name", "code", "words"),
    [
        ("empty.csv", "empty", "空"),
        ("encrypted.xlsx", "encrypted", "密码"),
        ("legacy.xls", "xls_unsupported", "请另存为 .xlsx 或 .csv"),
        ("macro.xlsm", "macro", "宏"),
        ("zip_bomb.xlsx", "zip_bomb", "压缩比"),
        ("junk.csv", "unknown_format", "无法识别"),
    ],
)
def test_inspect_refuses_bad_files(name: str, code: str, words: str) -> None:
    error = refusal(name)
    assert error.code == code
    assert words in error.message


def test_legacy_and_encrypted_are_told_apart_whatever_their_names() -> None:
    assert refusal("legacy.xls", "人口.xlsx").code == "xls_unsupported"
    assert refusal("encrypted.xlsx", "人口.xls").code == "encrypted"


def test_the_encryption_marker_is_found_anywhere_in_the_file(tmp_path: Path) -> None:
    legacy = (FILES / "legacy.xls").read_bytes()
    marker = "EncryptedPackage".encode("utf-16-le")
    # Straddling the boundary of the blocks the file is searched in.
    data = legacy.ljust(1024 * 1024 - 5, b"\x00") + marker
    path = write(tmp_path, "big.xlsx", data)
    with pytest.raises(SheetError) as info:
        inspect_file(path, "big.xlsx", max_bytes=LIMIT)
    assert info.value.code == "encrypted"


def test_macro_content_is_refused_under_a_harmless_name() -> None:
    assert refusal("macro.xlsm", "人口.xlsx").code == "macro"


@pytest.mark.parametrize("drop", ["xl/vbaProject.bin", "[Content_Types].xml"])
def test_either_sign_of_macros_is_enough(tmp_path: Path, drop: str) -> None:
    # macro.xlsm has both the VBA part and the macro content type; keep one.
    path = tmp_path / "one_sign.xlsx"
    with zipfile.ZipFile(FILES / "macro.xlsm") as source, zipfile.ZipFile(path, "w") as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == drop == "[Content_Types].xml":
                data = data.replace(b"macroEnabled", b"plain")
            elif member.filename == drop:
                continue
            target.writestr(member.filename, data)
    with pytest.raises(SheetError) as info:
        inspect_file(path, "人口.xlsx", max_bytes=LIMIT)
    assert info.value.code == "macro"


def test_a_macro_name_is_refused_even_without_macros() -> None:
    assert refusal("good.xlsx", "人口.xlsm").code == "macro"
    assert refusal("good.xlsx", "模板.XLTM").code == "macro"


@pytest.mark.parametrize(
    "content", [b" ", b"   \r\n\t\r\n", codecs.BOM_UTF8 + b"\r\n  \r\n", codecs.BOM_UTF8]
)
def test_blank_text_is_empty(tmp_path: Path, content: bytes) -> None:
    path = write(tmp_path, "blank.csv", content)
    with pytest.raises(SheetError) as info:
        inspect_file(path, "blank.csv", max_bytes=LIMIT)
    assert info.value.code == "empty"


def test_blank_beyond_the_first_chunk_still_counts(tmp_path: Path) -> None:
    path = write(tmp_path, "late.csv", b" " * (sheets.SNIFF_BYTES + 10) + b"x")
    assert inspect_file(path, "late.csv", max_bytes=LIMIT) == "csv"
    path = write(tmp_path, "blank.csv", b"\r\n" * sheets.SNIFF_BYTES)
    with pytest.raises(SheetError):
        inspect_file(path, "blank.csv", max_bytes=LIMIT)


def test_too_large_states_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("wb") as f:
        f.truncate(3 * 1024 * 1024)
    with pytest.raises(SheetError) as info:
        inspect_file(path, "big.csv", max_bytes=2 * 1024 * 1024)
    assert info.value.code == "too_large"
    assert "超过了 2 MB" in info.value.message
    assert "3 MB" in info.value.message


def test_a_file_at_the_limit_is_accepted() -> None:
    size = (FILES / "good.csv").stat().st_size
    assert inspect("good.csv", max_bytes=size) == "csv"
    assert refusal("good.csv", max_bytes=size - 1).code == "too_large"


def test_zip_bomb_limits() -> None:
    assert refusal("good.xlsx", max_unzipped=1000).code == "zip_bomb"
    assert refusal("good.xlsx", max_members=3).code == "zip_bomb"
    # The bomb passes the total size but not the ratio...
    assert refusal("zip_bomb.xlsx", max_ratio=100).code == "zip_bomb"
    # ...and would be read if the ratio were allowed: only the check stops it.
    assert inspect("zip_bomb.xlsx", max_ratio=10_000) == "xlsx"
    assert refusal("zip_bomb.xlsx", max_ratio=10_000, max_unzipped=100_000_000).code == "zip_bomb"


def test_zip_bomb_is_refused_without_inflating_it(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def spy(self: zipfile.ZipFile, name: str | zipfile.ZipInfo, *args: object, **kwargs: object) -> object:
        opened.append(name if isinstance(name, str) else name.filename)
        return real_open(self, name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    assert refusal("zip_bomb.xlsx").code == "zip_bomb"
    assert "xl/worksheets/sheet1.xml" not in opened


def make_zip(tmp_path: Path, members: dict[str, bytes], name: str = "x.xlsx") -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return path


@pytest.mark.parametrize(
    ("members", "words"),
    [
        ({"hello.txt": b"hi"}, "不是 Excel 工作簿"),
        ({"[Content_Types].xml": b"<Types/>", "xl/workbook.bin": b"\x00"}, "xlsb"),
        ({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}, ".ods"),
        ({"word/document.xml": b"<w:document/>"}, "不是 Excel 工作簿"),
    ],
)
def test_zip_that_is_not_a_workbook(tmp_path: Path, members: dict[str, bytes], words: str) -> None:
    path = make_zip(tmp_path, members)
    with pytest.raises(SheetError) as info:
        inspect_file(path, "x.xlsx", max_bytes=LIMIT)
    assert info.value.code == "not_workbook"
    assert words in info.value.message


@pytest.mark.parametrize("keep", [200, 0.5, -40])
def test_corrupt_zip_is_not_a_workbook(tmp_path: Path, keep: float) -> None:
    data = (FILES / "good.xlsx").read_bytes()
    end = int(len(data) * keep) if isinstance(keep, float) else keep
    path = write(tmp_path, "cut.xlsx", data[:end])
    with pytest.raises(SheetError) as info:
        inspect_file(path, "cut.xlsx", max_bytes=LIMIT)
    assert info.value.code == "not_workbook"


def test_workbook_found_by_its_content_type(tmp_path: Path) -> None:
    types = (
        b'<Override PartName="/book.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    )
    path = make_zip(tmp_path, {"[Content_Types].xml": types, "book.xml": b"<workbook/>"})
    assert inspect_file(path, "x.xlsx", max_bytes=LIMIT) == "xlsx"


def test_password_protected_zip_is_encrypted(tmp_path: Path) -> None:
    path = tmp_path / "locked.xlsx"
    with zipfile.ZipFile(FILES / "good.xlsx") as source, zipfile.ZipFile(path, "w") as target:
        for member in source.infolist():
            target.writestr(member.filename, source.read(member))
        # zipfile cannot encrypt, but it writes the central directory from
        # these flags at close, and the flag is all the check looks at.
        for member in target.infolist():
            member.flag_bits |= 0x1
    with pytest.raises(SheetError) as error:
        inspect_file(path, "locked.xlsx", max_bytes=LIMIT)
    assert error.value.code == "encrypted"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ("姓名,证件号码\r\n".encode("utf-16"), "UTF-16"),
        (b"%PDF-1.7\n" + bytes(range(256)), "PDF"),
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "PNG"),
        # UTF-16 without a byte order mark: every other byte is zero.
        ("姓名,证件号码\r\n".encode("utf-16-le"), "无法识别"),
        # A single NUL among plenty of text is still not a text file.
        (b"name,id\r\n" * 100 + b"\x00", "无法识别"),
    ],
)
def test_other_binary_files_are_unknown(tmp_path: Path, data: bytes, words: str) -> None:
    path = write(tmp_path, "x.csv", data)
    with pytest.raises(SheetError) as info:
        inspect_file(path, "x.csv", max_bytes=LIMIT)
    assert info.value.code == "unknown_format"
    assert words in info.value.message


def test_one_stray_byte_in_text_is_left_for_iter_rows(tmp_path: Path) -> None:
    data = "姓名,证件号码\r\n张伟,1\r\n".encode() + b"\xff,2\r\n"
    path = write(tmp_path, "stray.csv", data)
    assert inspect_file(path, "stray.csv", max_bytes=LIMIT) == "csv"


# --- locate_header -------------------------------------------------------------------------------


def test_header_of_the_template() -> None:
    match = header_of(FILES / "good.csv")
    assert match.row_number == 1
    assert match.index_of == {key: i for i, key in enumerate(COLUMNS)}
    assert match.unknown == []
    assert match.order_differs is False
    assert [number for number, _ in match.rest] == [2, 3, 4, 5, 6]


def test_header_below_a_title_and_merged_group_headers() -> None:
    match = header_of(FILES / "merged_header.xlsx")
    assert match.row_number == 3
    assert match.index_of["name"] == 0
    assert match.index_of["permit_until"] == 16
    assert match.unknown == []
    rest = list(match.rest)
    assert [number for number, _ in rest] == [4, 5, 6]
    assert rest[0][1][0] == "张伟"


def test_swapped_columns_are_found_and_noticed() -> None:
    match = header_of(FILES / "swapped.csv")
    assert match.index_of["name"] == 2
    assert match.index_of["id_number"] == 0
    assert match.order_differs is True
    _, first = next(match.rest)
    assert first[match.index_of["name"]] == "张伟"
    assert first[match.index_of["id_number"]] == ZHANG_WEI


def test_header_only_leaves_nothing_after_it() -> None:
    for name in ("header_only.csv", "header_only.xlsx"):
        match = header_of(FILES / name)
        assert match.row_number == 1
        assert list(match.rest) == []


def rows(*lines: Sequence[object]) -> Iterator[tuple[int, list[object]]]:
    return iter([(number, list(line)) for number, line in enumerate(lines, 1)])


def test_header_texts_are_compared_loosely() -> None:
    match = locate_header(
        rows([" 姓 名 *", "＊证件号码（必填）", "居住\n地址", "ｉｄ", "Phone"]),
        {"name": ("姓名",), "id_number": ("证件号码",), "address": ("居住地址",), "other": ("ID",)},
        required=REQUIRED,
    )
    assert match.index_of == {"name": 0, "id_number": 1, "address": 2, "other": 3}
    assert match.unknown == ["Phone"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("证件号码*", "证件号码"),
        ("*证件号码", "证件号码"),
        ("证件号码（必填）", "证件号码"),
        ("证件号码【必填】", "证件号码"),
        ("证件号码 (必填) *", "证件号码"),
        ("ＩＤ　Number", "idnumber"),
        (None, ""),
        (2024, "2024"),
    ],
)
def test_normalize_header(text: object, expected: str) -> None:
    assert normalize_header(text) == expected


def test_header_aliases_and_unknown_columns() -> None:
    match = locate_header(
        rows(["名字", "身份证号", "备注", "", "手机号", None, "居住地址"]),
        COLUMNS,
        required=REQUIRED,
    )
    assert match.index_of == {"name": 0, "id_number": 1, "phone": 4, "address": 6}
    assert match.unknown == ["备注"]
    assert match.order_differs is False


def test_missing_required_header_is_named() -> None:
    with pytest.raises(SheetError) as info:
        locate_header(
            rows(["说明"], ["姓名", "性别", "居住地址"], ["张伟", "男", "幸福路"]), COLUMNS, required=REQUIRED
        )
    assert info.value.code == "no_header"
    assert info.value.row == 2
    assert "“证件号码”" in info.value.message
    assert "姓名" not in info.value.message


def test_no_header_at_all() -> None:
    with pytest.raises(SheetError) as info:
        locate_header(rows(["张伟", ZHANG_WEI], ["李娜", "130731198506152465"]), COLUMNS, required=REQUIRED)
    assert info.value.code == "no_header"
    assert "“姓名”、“证件号码”、“居住地址”" in info.value.message


def test_nothing_to_look_at() -> None:
    with pytest.raises(SheetError) as info:
        locate_header(rows(), COLUMNS, required=REQUIRED)
    assert info.value.code == "empty"


def test_duplicate_header_names_both_columns() -> None:
    with pytest.raises(SheetError) as info:
        locate_header(rows(["姓名", "身份证号", "居住地址", "证件号码"]), COLUMNS, required=REQUIRED)
    assert info.value.code == "duplicate_header"
    assert "第 B 列“身份证号”" in info.value.message
    assert "第 D 列“证件号码”" in info.value.message


def test_the_header_must_be_within_the_scanned_rows() -> None:
    titles = [[f"说明 {i}"] for i in range(11)]
    header = ["姓名", "证件号码", "居住地址"]
    with pytest.raises(SheetError) as info:
        locate_header(rows(*titles, header), COLUMNS, required=REQUIRED)
    assert info.value.code == "no_header"
    match = locate_header(rows(*titles, header, ["张伟"]), COLUMNS, required=REQUIRED, scan=12)
    assert match.row_number == 12
    assert list(match.rest) == [(13, ["张伟"])]


def test_a_row_with_every_required_header_beats_a_fuller_one_without() -> None:
    notes = ["姓名", "性别", "出生日期", "国籍", "联系电话"]
    header = ["姓名", "证件号码", "居住地址"]
    match = locate_header(rows(notes, header), COLUMNS, required=REQUIRED)
    assert match.row_number == 2


def test_locate_header_reads_no_further_than_it_must() -> None:
    consumed: list[int] = []

    def source() -> Iterator[tuple[int, list[object]]]:
        for number in range(1, 1000):
            consumed.append(number)
            yield number, ["姓名", "证件号码", "居住地址"] if number == 1 else ["张伟", str(number)]

    match = locate_header(source(), COLUMNS, required=REQUIRED, scan=5)
    assert len(consumed) == 5
    assert next(match.rest) == (2, ["张伟", "2"])
    assert sum(1 for _ in match.rest) == 997


def test_ambiguous_columns_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match="both"):
        locate_header(rows(["姓名"]), {"a": ("姓名",), "b": ("姓 名",)}, required=set())


def test_column_letter() -> None:
    assert [column_letter(i) for i in (0, 1, 25, 26, 27, 701, 702)] == [
        "A",
        "B",
        "Z",
        "AA",
        "AB",
        "ZZ",
        "AAA",
    ]


def test_csv_id_columns_survive_as_text() -> None:
    # The ID cells of the corpus are text; nothing on the way may turn them into numbers.
    match = header_of(FILES / "id15.csv")
    (_, row) = next(match.rest)
    assert as_id_number(row[match.index_of["id_number"]]) == "130731880502457"
    match = header_of(FILES / "duplicate_rows.csv")
    data = [row for _, row in match.rest]
    assert data[1] == data[3]
    assert data[0] != data[1]
