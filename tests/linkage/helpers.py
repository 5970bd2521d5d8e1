"""Helpers for building person records by hand."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from ybss.lib import idcard
from ybss.linkage import PersonTable, build_table

TODAY = date(2024, 6, 1)
COUNTY = "130731"  # 涿鹿县


def make_id(birth: str, sequence: str, county: str = COUNTY) -> str:
    """A valid 18-digit number: ``make_id("19900101", "123")`` (odd last digit: a man)."""
    first17 = county + birth + sequence
    return first17 + idcard.check_char(first17)


def table(*rows: tuple[str, ...]) -> PersonTable:
    """Rows of (record_id, name, id_number, gender, birth_date, phone, address), missing ones empty."""
    return build_table([row + ("",) * (7 - len(row)) for row in rows], today=TODAY)


def make_code(body: str = "MA0C1234", kind: str = "91", county: str = COUNTY) -> str:
    """A valid 统一社会信用代码: ``make_code("MA0C1234")`` for a company registered in 涿鹿县."""
    from ybss.lib import credit_code

    first17 = kind + county + body + credit_code.org_check_char(body)
    return first17 + credit_code.credit_check_char(first17)


def read_rows(path: Path) -> list[list[str]]:
    """A generated CSV file's rows, without its header."""
    with path.open(encoding="utf-8") as f:
        return list(csv.reader(f))[1:]
