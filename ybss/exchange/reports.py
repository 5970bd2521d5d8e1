"""Workbooks an import hands back: blank templates, the problem report, refused rows.

All are written with openpyxl's write-only mode, straight to a file, so a report
on a large file does not hold the file in memory.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ybss.lib import sheets

from .columns import Column
from .models import BLOCKING, ImportJob, ProblemLevel

BAD = PatternFill("solid", fgColor="FFC7CE")
WARN = PatternFill("solid", fgColor="FFEB9C")
HEAD = PatternFill("solid", fgColor="DDEBF7")
REQUIRED = Font(bold=True, color="C00000")
BOLD = Font(bold=True)


def _safe(value: Any) -> Any:
    """A cell value that a spreadsheet shows as it is: text never runs as a formula."""
    if isinstance(value, sheets.Formula):
        return "'" + value.text
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    if isinstance(value, (str, int, float, date, datetime)) or value is None:
        return value
    return str(value)


def template_xlsx(columns: list[Column], title: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "数据"
    for i, col in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=i, value=col.header)
        cell.font = REQUIRED if col.required else BOLD
        cell.fill = HEAD
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = max(12, len(col.header) * 2 + 4)
        if col.text:
            # Text format on the column keeps Excel from turning IDs into 1.30731E+17.
            for row in range(2, 2001):
                ws.cell(row=row, column=i).number_format = "@"
        if col.choices:
            allowed = ",".join(col.choices.values())
            if len(allowed) < 250:
                dv = DataValidation(type="list", formula1=f'"{allowed}"', allow_blank=not col.required)
                dv.error = f"请从下拉列表中选择{col.header}"
                dv.add(f"{letter}2:{letter}2000")
                ws.add_data_validation(dv)
    ws.freeze_panes = "A2"
    notes = wb.create_sheet("填写说明")
    notes.append([title])
    notes["A1"].font = Font(bold=True, size=14)
    notes.append(["红色表头为必填列。请在“数据”表第 2 行起填写，一行一条记录；不要改动表头。"])
    notes.append([])
    notes.append(["列名", "是否必填", "说明", "可选值", "示例"])
    for cell in notes[4]:
        cell.font = BOLD
        cell.fill = HEAD
    for col in columns:
        notes.append(
            [
                col.header,
                "必填" if col.required else "选填",
                col.note,
                "、".join(col.choices.values()),
                col.example,
            ]
        )
    for letter, width in zip("ABCDE", (18, 10, 60, 50, 36), strict=True):
        notes.column_dimensions[letter].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def template_csv(columns: list[Column]) -> bytes:
    return ("\ufeff" + ",".join(c.header for c in columns) + "\r\n").encode("utf-8")


def write_rows_workbook(
    path: Path,
    headers: list[str],
    rows: Iterable[tuple[int, list[Any]]],
    reasons: dict[int, list[str]],
    *,
    title: str,
    bad_cells: dict[int, dict[int, str]] | None = None,
) -> None:
    """Rows in the file's own layout, a 原行号 column first and the problems last.

    ``bad_cells`` maps a row to {column position: message}; those cells are
    highlighted and carry the message as a comment.
    """
    wb = Workbook(write_only=True)
    _append_rows(wb.create_sheet(title), headers, rows, reasons, bad_cells or {})
    wb.save(path)


def _append_rows(
    ws: Any,
    headers: list[str],
    rows: Iterable[tuple[int, list[Any]]],
    reasons: dict[int, list[str]],
    marks: dict[int, dict[int, str]],
) -> None:
    head = []
    for text in ["原行号", *headers, "问题说明"]:
        cell = WriteOnlyCell(ws, value=text)
        cell.font = BOLD
        cell.fill = HEAD
        head.append(cell)
    ws.append(head)
    for number, values in rows:
        row_marks = marks.get(number, {})
        out: list[Any] = [number]
        for i, value in enumerate(values):
            cell = WriteOnlyCell(ws, value=_safe(value))
            if i in row_marks:
                cell.fill = BAD
                cell.comment = Comment(row_marks[i], "ybss")
            out.append(cell)
        out.append("；".join(reasons.get(number, [])))
        ws.append(out)


def report_xlsx(job: ImportJob, path: Path) -> None:
    """The check report: every problem with its row, column, message and original value,
    then the rows concerned in the file's layout with the bad cells highlighted."""
    from . import importing

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("问题清单")
    head = []
    for text in ["行号", "列", "类别", "说明", "原始值"]:
        cell = WriteOnlyCell(ws, value=text)
        cell.font = BOLD
        cell.fill = HEAD
        head.append(cell)
    ws.append(head)
    problems = list(job.problems.order_by("row", "id"))
    for p in problems:
        fill = BAD if p.level in BLOCKING else WARN
        row = []
        for value in [p.row or "", p.column, p.get_level_display(), p.message, _safe(p.value)]:
            cell = WriteOnlyCell(ws, value=value)
            cell.fill = fill
            row.append(cell)
        ws.append(row)
    wanted = {p.row for p in problems if p.row and p.level != ProblemLevel.WARNING}
    rows_sheet = None
    if wanted and job.stored_path:
        try:
            headers, rows = importing.raw_rows(job, wanted)
        except Exception:
            headers, rows = [], iter(())
        if headers:
            rows_sheet = wb.create_sheet("有问题的行")
            _append_marked(rows_sheet, headers, rows, problems)
    wb.save(path)
    del rows_sheet


def _append_marked(
    ws: Any, headers: list[str], rows: Iterator[tuple[int, list[Any]]], problems: list[Any]
) -> None:
    position = {h: i for i, h in enumerate(headers)}
    marks: dict[int, dict[int, str]] = {}
    reasons: dict[int, list[str]] = {}
    for p in problems:
        reasons.setdefault(p.row, []).append(p.message)
        if p.column in position:
            marks.setdefault(p.row, {})[position[p.column]] = p.message
    _append_rows(ws, headers, rows, reasons, marks)
