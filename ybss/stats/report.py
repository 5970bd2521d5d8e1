"""The monthly report per area as .xlsx: the tables a station hands upward, with charts.

Charts are openpyxl's native Excel charts (drawn by the spreadsheet from the table
cells), not images: no plotting library on the server, and the numbers in a chart
are exactly the numbers in its table. The report leaves the system, so small counts
below station level are always shown as "<N" in it, whoever exports it.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from . import figures, privacy
from .areas import Area
from .views import COLUMNS, SECTIONS


def _cell(value: Any) -> Any:
    # Area and industry names come from users; none may be read as a formula.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _value(n: int, below: bool) -> Any:
    return privacy.shown(n, below, exact=False) if privacy.hidden(n, below, exact=False) else n


def _table(ws: Worksheet, title: str, rows: list[tuple[str, Any]], chart: bool = False) -> None:
    ws.append([])
    ws.append([title])
    ws.cell(ws.max_row, 1).font = Font(bold=True)
    first = ws.max_row + 1
    for label, value in rows:
        ws.append([_cell(label), value])
    if chart and rows:
        bar = BarChart()
        bar.title = title
        bar.legend = None
        bar.height, bar.width = 6, 12
        data = Reference(ws, min_col=2, min_row=first, max_row=ws.max_row)
        cats = Reference(ws, min_col=1, min_row=first, max_row=ws.max_row)
        bar.add_data(data)
        bar.set_categories(cats)
        ws.add_chart(bar, f"D{first}")
        for _ in range(max(0, 13 - len(rows))):
            ws.append([])


def monthly_report(
    area: Area, month: str, values: dict[str, int], kids: list[tuple[Area, dict[str, int]]], as_of: date
) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "概况"
    year, mon = month.split("-")
    ws.append([_cell(f"{area.label} 一标三实统计月报（{year}年{int(mon)}月）")])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([f"统计日期：{as_of.isoformat()}；本月迁入、迁出按 {month} 计。"])
    ws.append([f"下级区域中小于 {privacy.min_cell()} 的数显示为“<{privacy.min_cell()}”。"])
    below = area.below_station

    def rows(keys: list[str]) -> list[tuple[str, Any]]:
        return [(figures.label(k), _value(int(values.get(k, 0)), below)) for k in keys]

    _table(ws, "实有人口", rows(COLUMNS["population"]), chart=True)
    _table(
        ws,
        "本月人口变动",
        [
            ("迁入", _value(int(values.get(f"move_in:{month}", 0)), below)),
            ("迁出", _value(int(values.get(f"move_out:{month}", 0)), below)),
        ],
    )
    bands = [figures.band_label(lo, hi) for lo, hi in figures.AGE_BANDS]
    _table(ws, "年龄结构（男）", [(b, _value(int(values.get(f"age:{b}:1", 0)), below)) for b in bands])
    _table(ws, "年龄结构（女）", [(b, _value(int(values.get(f"age:{b}:2", 0)), below)) for b in bands])
    _table(ws, "户规模（同址居住人数）", rows(figures.HOUSEHOLD_KEYS), chart=True)
    origin = sorted((k for k in values if k.startswith("origin_p:")), key=lambda k: (-values[k], k))[:10]
    _table(ws, "流动人口来源（省）", rows(origin))
    _table(
        ws,
        "实有房屋",
        rows(
            [
                "house:total",
                *[
                    f"house:use:{u}"
                    for u in ("self", "rented", "business", "vacant", "hotel_rental", "other")
                ],
                "house:rented_untenanted",
            ]
        ),
        chart=True,
    )
    _table(
        ws,
        "实有单位",
        rows(
            [
                "unit:total",
                "unit:special_any",
                *[f"unit:licence:{d}" for d in figures.LICENCE_DAYS],
                "unit:no_legal_rep",
                "unit:no_contact",
            ]
        ),
    )
    total = int(values.get("pop:total", 0))
    _table(
        ws,
        "数据质量：必采项完整率",
        [
            (
                figures.label(f"complete:{g}"),
                f"{values.get(f'complete:{g}', 0) / total * 100:.1f}%" if total else "—",
            )
            for g in ("identity", "photo", "certificates", "contact", "residence", "employment")
        ],
    )
    _table(
        ws,
        "数据质量：鲜活度",
        rows(
            [f"fresh:{k}" for k, _a, _b in figures.freshness_buckets()]
            + ["quality:no_address", "quality:duplicates_pending", "quality:empty_address"]
        ),
        chart=True,
    )
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 12
    for section, title in SECTIONS.items():
        _children(wb.create_sheet(str(title)), area, section, kids)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _children(ws: Worksheet, area: Area, section: str, kids: list[tuple[Area, dict[str, int]]]) -> None:
    ws.append([_cell(f"{area.label} 下级区域")])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(["区域", *[figures.label(k) for k in COLUMNS[section]]])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for kid, values in kids:
        ws.append(
            [_cell(kid.label), *[_value(int(values.get(k, 0)), kid.below_station) for k in COLUMNS[section]]]
        )
    ws.column_dimensions["A"].width = 28
    if kids:
        bar = BarChart()
        bar.title = f"{area.label} 各区域"
        bar.height, bar.width = 8, 18
        data = Reference(ws, min_col=2, max_col=2, min_row=2, max_row=ws.max_row)
        cats = Reference(ws, min_col=1, min_row=3, max_row=ws.max_row)
        bar.add_data(data, titles_from_data=True)
        bar.set_categories(cats)
        ws.add_chart(bar, f"A{ws.max_row + 2}")
