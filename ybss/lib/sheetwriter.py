"""Spreadsheets that are safe to open: CSV and XLSX, written as a stream. No Django.

Two dangers come with every export that someone opens in Excel or WPS:

* **Formula injection** (OWASP "CSV injection"). A cell whose text starts with
  ``=``, ``+``, ``-`` or ``@`` is read as a formula; ``=HYPERLINK(...)`` in a
  name becomes a link that leaks data, ``=cmd|...`` used to run programs. Tab
  and carriage return count too, because some programs strip leading
  whitespace before they look. :func:`neutralize` puts an apostrophe in front
  of such text, so it stays text everywhere. Every text cell goes through it,
  in both formats; numbers and dates are written as what they are.
* **Mangled identifiers.** Excel turns ``130731199001011234`` into
  ``1.30731E+17`` and, once saved, into ``130731199001011000``. Columns marked
  ``text`` are written as text:

  - in CSV with a leading tab character. A CSV file has no types, so Excel
    guesses from the characters, and a tab in front stops it from reading
    digits as a number; the tab is not shown. The usual alternatives are
    worse: ``="130731..."`` is itself a formula (what the neutralizer is
    there to forbid), and a leading apostrophe stays visible in a CSV cell.
    Readers that want the bare value strip whitespace, as ybss's own import
    does. A tab followed by digits is harmless; anything that could be a
    formula is neutralized before the tab goes in front of it.
  - in XLSX as string cells with the text number format ``@``, on the column
    as well, so a value typed into it later stays text too.

Memory stays flat whatever the number of rows: CSV is encoded and handed out
in chunks as it is written, and XLSX is written by openpyxl's write-only mode
(rows go straight to a temporary file), then read back in chunks. An XLSX
file can only be sent once it is complete, because the zip directory comes
last.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import tempfile
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

# OWASP: the characters that make a spreadsheet read a cell as a formula.
FORMULA_TRIGGERS = frozenset("=+-@\t\r")
BOM = "\ufeff"
CHUNK_BYTES = 64 * 1024
TEXT_FORMAT = "@"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
# Excel's limits: characters in a cell, characters in a sheet title.
MAX_CELL_CHARS = 32767
MAX_TITLE_CHARS = 31
_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# Characters an XLSX file cannot hold at all (XML 1.0); openpyxl refuses them.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Strings Excel reads as error values; openpyxl would store them as errors.
_ERROR_CODES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"})

Cell = str | int | float | Decimal | date | datetime | None


def neutralize(value: str) -> str:
    """``value`` with an apostrophe in front if a spreadsheet would read it as a formula."""
    if value and value[0] in FORMULA_TRIGGERS:
        return "'" + value
    return value


@dataclass(frozen=True)
class SheetColumn:
    header: str
    # An identifier (ID number, phone, code): always written as text.
    text: bool = False
    # In characters; None: from the header.
    width: float | None = None

    @property
    def display_width(self) -> float:
        if self.width is not None:
            return self.width
        return max(8.0, min(50.0, _text_width(self.header) + 2))


def _text_width(text: str) -> int:
    """Wide (CJK) characters take two columns, as Excel lays them out."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# --- CSV --------------------------------------------------------------------------


# Written by the csv module as they are: None as an empty field, numbers as numbers,
# dates as YYYY-MM-DD (str of a date; a datetime is not in here).
_CSV_AS_IS = frozenset({type(None), int, float, Decimal, date})


def _csv_plain(value: Any) -> Any:
    if type(value) is str:
        return "'" + value if value and value[0] in FORMULA_TRIGGERS else value
    if type(value) in _CSV_AS_IS:
        return value
    return neutralize(_as_text(value))


def _csv_text(value: Any) -> str:
    text = neutralize(value if type(value) is str else _as_text(value))
    return "\t" + text if text else ""


def csv_chunks(
    columns: Sequence[SheetColumn],
    rows: Iterable[Sequence[Any]],
    *,
    bom: bool = True,
    chunk_bytes: int = CHUNK_BYTES,
) -> Iterator[bytes]:
    """The CSV file as UTF-8 chunks of about ``chunk_bytes``: header row, then ``rows``.

    The byte-order mark is what makes Excel read the file as UTF-8 rather than
    the system code page (GBK on Chinese Windows), so Chinese text shows.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if bom:
        buffer.write(BOM)
    writer.writerow([neutralize(c.header) for c in columns])
    convert = [_csv_text if c.text else _csv_plain for c in columns]
    is_text = [c.text for c in columns]
    triggers, as_is = FORMULA_TRIGGERS, _CSV_AS_IS
    width = len(convert)
    batch: list[list[Any]] = []
    for row in rows:
        if len(row) != width:
            raise ValueError(f"row has {len(row)} cells, the sheet has {width} columns")
        # _csv_plain and _csv_text written out for the common types: this runs for every
        # cell of a million-row export, and a function call per cell is a third of its cost.
        batch.append(
            [
                (
                    ("\t" + ("'" + v if v[0] in triggers else v) if v else "")
                    if text
                    else ("'" + v if v and v[0] in triggers else v)
                )
                if type(v) is str
                else (v if not text and type(v) in as_is else f(v))
                for text, f, v in zip(is_text, convert, row, strict=True)
            ]
        )
        if len(batch) >= 500:
            writer.writerows(batch)
            batch.clear()
            if buffer.tell() >= chunk_bytes:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
    writer.writerows(batch)
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


# --- XLSX -------------------------------------------------------------------------


def sheet_title(title: str) -> str:
    """A title Excel accepts: at most 31 characters, none of ``[]:*?/\\``."""
    cleaned = _TITLE_FORBIDDEN.sub("_", title).strip("'") or "Sheet1"
    return cleaned[:MAX_TITLE_CHARS]


def _xlsx_string(value: str) -> str:
    value = neutralize(value)
    if _XML_ILLEGAL.search(value):
        value = _XML_ILLEGAL.sub("", value)
    return value[:MAX_CELL_CHARS]


def write_xlsx(
    target: str | Path | IO[bytes],
    columns: Sequence[SheetColumn],
    rows: Iterable[Sequence[Any]],
    *,
    title: str = "Sheet1",
) -> int:
    """Write one sheet to ``target`` (a path or a binary file); returns the number of data rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet: Any = book.create_sheet(title=sheet_title(title))
    for index, column in enumerate(columns, start=1):
        dimension = sheet.column_dimensions[get_column_letter(index)]
        dimension.width = column.display_width
        if column.text:
            dimension.number_format = TEXT_FORMAT
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=_xlsx_string(column.header))
        cell.font = bold
        header.append(cell)
    sheet.append(header)

    # One styled cell per text column, reused row after row: openpyxl writes a
    # row out before the next one is appended, and a new object per cell would
    # cost more than the rest of the row.
    text_cells = {i: WriteOnlyCell(sheet) for i, c in enumerate(columns) if c.text}
    for cell in text_cells.values():
        cell.number_format = TEXT_FORMAT
    try:
        count = _write_rows(sheet, columns, rows, text_cells)
    except BaseException:
        # Close openpyxl's own temporary file for the sheet before giving up.
        with contextlib.suppress(Exception):
            sheet.close()
        raise
    book.save(target)
    return count


def _write_rows(
    sheet: Any, columns: Sequence[SheetColumn], rows: Iterable[Sequence[Any]], text_cells: dict[int, Any]
) -> int:
    from openpyxl.cell import WriteOnlyCell

    date_cells: dict[tuple[int, bool], Any] = {}
    width = len(columns)
    count = 0
    for row in rows:
        if len(row) != width:
            raise ValueError(f"row has {len(row)} cells, the sheet has {width} columns")
        out: list[Any] = []
        for i, value in enumerate(row):
            if value is None or value == "":
                out.append(None)
                continue
            text_cell = text_cells.get(i)
            if text_cell is not None:
                text_cell.value = _xlsx_string(value if type(value) is str else _as_text(value))
                text_cell.data_type = "s"  # never an error value or a formula
                out.append(text_cell)
            elif isinstance(value, str):
                text = _xlsx_string(value)
                if text in _ERROR_CODES:
                    cell = WriteOnlyCell(sheet, value=text)
                    cell.data_type = "s"
                    out.append(cell)
                else:
                    out.append(text)
            elif isinstance(value, date):
                is_datetime = isinstance(value, datetime)
                date_cell = date_cells.get((i, is_datetime))
                if date_cell is None:
                    date_cell = date_cells[(i, is_datetime)] = WriteOnlyCell(sheet)
                    date_cell.number_format = DATETIME_FORMAT if is_datetime else DATE_FORMAT
                date_cell.value = value.replace(tzinfo=None) if is_datetime else value  # type: ignore[call-arg]
                out.append(date_cell)
            elif isinstance(value, bool):
                out.append(str(value))
            elif isinstance(value, int | float | Decimal):
                out.append(value)
            else:
                out.append(_xlsx_string(str(value)))
        sheet.append(out)
        count += 1
    return count


def xlsx_chunks(
    columns: Sequence[SheetColumn],
    rows: Iterable[Sequence[Any]],
    *,
    title: str = "Sheet1",
    chunk_bytes: int = CHUNK_BYTES,
    tmp_dir: str | None = None,
) -> Generator[bytes, None, None]:
    """The XLSX file in chunks. Nothing is written until the first chunk is asked for;
    the temporary file is removed when the last one has been read (or the reader stops)."""
    handle, name = tempfile.mkstemp(prefix="ybss-export-", suffix=".xlsx", dir=tmp_dir)
    os.close(handle)
    try:
        write_xlsx(name, columns, rows, title=title)
        with open(name, "rb") as f:
            while chunk := f.read(chunk_bytes):
                yield chunk
    finally:
        os.unlink(name)
