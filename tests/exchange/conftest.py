"""Rooms to import people into, and helpers that write import files."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from ybss.addresses import actions as address_actions
from ybss.addresses.models import AddressNode
from ybss.exchange.handlers.persons import COLUMNS as PERSON_COLUMNS
from ybss.lib.idcard import check_char

# The person template's headers, in its order.
HEADERS = [column.header for column in PERSON_COLUMNS]


def make_id(birth: str = "19900101", seq: str = "123", county: str = "130731") -> str:
    base = county + birth + seq
    return base + check_char(base)


@pytest.fixture
def rooms(building: AddressNode) -> list[AddressNode]:
    """Two floors of two rooms in one unit of 轩辕路18号阳光小区3栋: 101, 102, 201, 202."""
    return address_actions.batch_create_rooms(None, building, address_actions.RoomPattern(2, 0, 2))


def person_row(name: str, number: str, room: AddressNode | str, **kw: Any) -> dict[str, Any]:
    row = {
        "姓名": name,
        "证件号码": number,
        "居住地址": room if isinstance(room, str) else room.full_text,
        "居住类型": "租住",
        "起居日期": "2024-03-01",
    }
    row.update(kw)
    return row


def write_csv(
    path: Path, rows: list[dict[str, Any]], *, encoding: str = "utf-8-sig", headers: list[str] | None = None
) -> Path:
    headers = headers or HEADERS
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([row.get(h, "") for h in headers])
    path.write_bytes(out.getvalue().encode(encoding))
    return path
