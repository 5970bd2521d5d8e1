import csv
import io
import itertools
import os
import tempfile
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from ybss.lib.sheetwriter import (
    BOM,
    SheetColumn,
    csv_chunks,
    neutralize,
    sheet_title,
    write_xlsx,
    xlsx_chunks,
)

FORMULAS = [
    '=HYPERLINK("http://x","y")',
    "@SUM(1,2)",
    "+1",
    "-1",
    "\tleading tab",
    "\r=1+1",
    "=cmd|' /C calc'!A0",
]
COLUMNS = [
    SheetColumn("姓名"),
    SheetColumn("证件号码", text=True),
    SheetColumn("出生日期"),
    SheetColumn("面积"),
]
ID = "130731199001011231"


@pytest.mark.parametrize("value", FORMULAS)
def test_formula_triggers_get_an_apostrophe(value: str) -> None:
    assert neutralize(value) == "'" + value


@pytest.mark.parametrize("value", ["", "张伟", "1+1", "a=b", " =1", "'=already quoted", "１２３", "#N/A"])
def test_everything_else_is_left_alone(value: str) -> None:
    assert neutralize(value) == value


def _csv(columns: list[SheetColumn], rows: Sequence[Sequence[object]]) -> tuple[str, list[list[str]]]:
    text = b"".join(csv_chunks(columns, rows)).decode("utf-8")
    return text, list(csv.reader(io.StringIO(text.removeprefix(BOM))))


def test_csv_has_a_bom_neutralized_text_and_ids_as_text() -> None:
    rows = [(name, ID, date(1990, 1, 1), Decimal("-1.5")) for name in FORMULAS]
    text, parsed = _csv(COLUMNS, rows)
    assert text.startswith(BOM) and text.count(BOM) == 1
    assert parsed[0] == ["姓名", "证件号码", "出生日期", "面积"]
    assert [r[0] for r in parsed[1:]] == ["'" + f for f in FORMULAS]
    # A tab keeps Excel from reading the number; the digits themselves are intact.
    assert {r[1] for r in parsed[1:]} == {"\t" + ID}
    assert parsed[1][2] == "1990-01-01"
    assert parsed[1][3] == "-1.5"  # a number is a number, not a formula


def test_csv_text_columns_neutralize_before_the_tab_and_leave_empty_cells_empty() -> None:
    _, parsed = _csv(COLUMNS, [("a", "=1+1", None, None), ("b", "", None, 3), ("c", 130731, None, 0)])
    assert parsed[1] == ["a", "\t'=1+1", "", ""]
    assert parsed[2] == ["b", "", "", "3"]
    assert parsed[3] == ["c", "\t130731", "", "0"]


def test_csv_writes_datetimes_without_zone_and_refuses_ragged_rows() -> None:
    _, parsed = _csv(COLUMNS, [("a", "1", datetime(2025, 1, 2, 3, 4, 5), True)])
    assert parsed[1][2:] == ["2025-01-02 03:04:05", "True"]
    with pytest.raises(ValueError, match="2 cells"):
        _csv(COLUMNS, [("a", "b")])


def test_csv_is_streamed_in_chunks() -> None:
    rows = (("张伟", ID, None, n) for n in itertools.count())  # endless: only a stream can start
    first = next(csv_chunks(COLUMNS, rows, chunk_bytes=4096))
    assert first.startswith(BOM.encode()) and 4096 <= len(first) < 4096 + 64 * 1024
    chunks = list(csv_chunks(COLUMNS, [("张伟", ID, None, n) for n in range(20000)], chunk_bytes=8192))
    assert len(chunks) > 10
    whole = b"".join(chunks).decode("utf-8")
    assert whole.count("\r\n") == 20001 and whole.count(BOM) == 1


def _xlsx(rows: Sequence[Sequence[object]], title: str = "实有人口") -> tuple[Any, list[list[Any]]]:
    data = b"".join(xlsx_chunks(COLUMNS, rows, title=title, chunk_bytes=1024))
    assert data[:2] == b"PK"
    sheet: Any = load_workbook(io.BytesIO(data)).active
    return sheet, [list(r) for r in sheet.iter_rows()]


def test_xlsx_cells_are_plain_text_and_ids_are_strings() -> None:
    sheet, cells = _xlsx([(name, ID, date(1990, 1, 1), -1) for name in FORMULAS])
    assert all(c.data_type != "f" for row in cells for c in row)
    # (XML reads a carriage return back as a line feed.)
    names = [row[0].value.replace("\n", "\r") for row in cells[1:]]
    assert names == ["'" + f for f in FORMULAS]
    for row in cells[1:]:
        id_cell = row[1]
        assert id_cell.value == ID and id_cell.data_type == "s" and id_cell.number_format == "@"
        assert row[2].value == datetime(1990, 1, 1) and row[2].is_date
        assert row[3].value == -1 and row[3].data_type == "n"
    header = cells[0]
    assert [c.value for c in header] == ["姓名", "证件号码", "出生日期", "面积"]
    assert all(c.font.b for c in header)
    assert sheet.title == "实有人口"
    assert sheet.column_dimensions["B"].width == COLUMNS[1].display_width
    assert sheet.freeze_panes == "A2"


def test_xlsx_keeps_error_lookalikes_as_text_and_drops_characters_xml_cannot_hold() -> None:
    _, cells = _xlsx([("#N/A", "#REF!", None, None), ("a\x00b\x1fc", "\x07", None, None)])
    assert [(c.value, c.data_type) for c in cells[1][:2]] == [("#N/A", "s"), ("#REF!", "s")]
    assert cells[2][0].value == "abc"


def test_sheet_titles_follow_excel_rules() -> None:
    assert sheet_title("a/b:c*d?e[f]g\\h") == "a_b_c_d_e_f_g_h"
    assert len(sheet_title("很长" * 40)) == 31
    assert sheet_title("") == "Sheet1"


def test_xlsx_temporary_file_is_removed_when_done_or_abandoned(tmp_path: Path) -> None:
    rows = [("张伟", ID, None, 1)] * 10
    list(xlsx_chunks(COLUMNS, rows, tmp_dir=str(tmp_path)))
    assert os.listdir(tmp_path) == []
    stream = xlsx_chunks(COLUMNS, rows, tmp_dir=str(tmp_path), chunk_bytes=100)
    next(stream)
    assert len(os.listdir(tmp_path)) == 1
    stream.close()
    assert os.listdir(tmp_path) == []


def test_write_xlsx_counts_rows_and_refuses_ragged_ones() -> None:
    with tempfile.TemporaryFile() as f:
        assert write_xlsx(f, COLUMNS, [("a", "1", None, None)] * 3) == 3
    with tempfile.TemporaryFile() as f, pytest.raises(ValueError, match="1 cells"):
        write_xlsx(f, COLUMNS, [("a",)])


def test_column_width_comes_from_the_header_when_not_given() -> None:
    assert SheetColumn("居住地址编码").display_width == 14  # six wide characters, plus two
    assert SheetColumn("x").display_width == 8
    assert SheetColumn("x", width=30).display_width == 30
