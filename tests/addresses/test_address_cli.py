"""``ybss address parse`` and ``ybss address match``: the JSON-lines contract."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ybss.addresses import actions
from ybss.addresses.models import AddressNode


def _run(*args: str, data: bytes | str) -> list[dict[str, Any]]:
    out = io.StringIO()
    stdin = io.BytesIO(data.encode("utf-8") if isinstance(data, str) else data)
    call_command("address", *args, stdin=stdin, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_parse_contract() -> None:
    [row] = _run(
        "parse", "--default-region", "3301", data="杭州市西湖区文三路90号东部软件园3号楼2单元502室\n"
    )
    assert set(row) == {"input", "elements", "division_code", "division_name", "standard", "confidence"}
    assert row["input"] == "杭州市西湖区文三路90号东部软件园3号楼2单元502室"
    assert row["division_code"] == "330106"
    assert row["division_name"] == "浙江省杭州市西湖区"
    assert row["standard"] == "浙江省杭州市西湖区文三路90号东部软件园3栋2单元502室"
    assert 0.9 <= row["confidence"] <= 1.0
    road = next(e for e in row["elements"] if e["type"] == "road")
    assert road == {"type": "road", "text": "文三路", "start": 6, "end": 9, "value": "文三路"}
    for el in row["elements"]:
        assert set(el) == {"type", "text", "start", "end", "value"}
        assert row["input"][el["start"] : el["end"]] == el["text"]


def test_one_json_object_per_input_line_in_order() -> None:
    rows = _run(
        "parse", "--default-region", "130731", data="轩辕路18号\n\n阳光小区3-2-502\r\n涿鹿镇西头堡村五组16号"
    )
    assert [r["input"] for r in rows] == ["轩辕路18号", "", "阳光小区3-2-502", "涿鹿镇西头堡村五组16号"]
    assert rows[1]["elements"] == [] and rows[1]["confidence"] == 0.0
    assert rows[0]["division_code"] == "130731"  # from the default region
    assert rows[3]["division_code"] == "130731100201"


def test_parse_works_without_a_region_setting(settings: Any) -> None:
    settings.YBSS_REGION = ""
    [row] = _run("parse", "--default-region", "", data="广东路12号\n")
    assert row["division_code"] is None
    assert [e["type"] for e in row["elements"]] == ["road", "road_no"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_column_in_any_common_encoding(encoding: str) -> None:
    text = '编号,地址,备注\n1,涿鹿县涿鹿镇轩辕路十八号,无\n2,"阳光小区3栋,2单元",\n'
    rows = _run(
        "parse", "--csv", "--column", "地址", "--default-region", "130731", data=text.encode(encoding)
    )
    assert [r["input"] for r in rows] == ["涿鹿县涿鹿镇轩辕路十八号", "阳光小区3栋,2单元"]
    assert rows[0]["standard"] == "河北省张家口市涿鹿县涿鹿镇轩辕路18号"


def test_csv_from_a_file_argument(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes("地址\n轩辕路18号\n".encode("gb18030"))
    out = io.StringIO()
    call_command(
        "address", "parse", str(path), "--csv", "--column", "地址", "--default-region", "130731", stdout=out
    )
    assert json.loads(out.getvalue())["input"] == "轩辕路18号"


def test_missing_column_names_it() -> None:
    with pytest.raises(CommandError, match=r"没有“住址”列.*编号、地址"):
        _run("parse", "--csv", "--column", "住址", data="编号,地址\n1,轩辕路\n")


def test_undecodable_line_is_named() -> None:
    data = "轩辕路18号\n阳光小区\n".encode() + b"\xff\xfe\xfa broken\n"
    with pytest.raises(CommandError, match="第 3 行"):
        _run("parse", data=data)


def test_bad_region_and_bad_options() -> None:
    with pytest.raises(CommandError, match="区域"):
        _run("parse", "--default-region", "abc", data="轩辕路")
    with pytest.raises(CommandError, match="--column"):
        _run("parse", "--csv", data="地址\n轩辕路")


@pytest.mark.django_db
def test_match_against_the_base(building: AddressNode) -> None:
    actions.batch_create_rooms(None, building, actions.RoomPattern(floors=6, units=2, rooms_per_floor=2))
    room = AddressNode.objects.get(code__startswith=building.code, name="502室", parent__name="2单元")
    rows = _run(
        "match",
        "--default-region",
        "130731",
        data="涿鹿县涿鹿镇轩辕路十八号阳光小区三栋二单元五〇二\n阳光小区3-2-502\n南京市玄武区珠江路88号\n",
    )
    first, compact, elsewhere = rows
    assert {"address_code", "candidates", "confidence", "standard", "elements"} <= set(first)
    assert first["address_code"] == room.code
    assert first["candidates"][0] == {
        "code": room.code,
        "full_text": room.full_text,
        "score": first["confidence"],
    }
    assert len(first["candidates"]) <= 5
    assert compact["address_code"] == room.code
    assert elsewhere["address_code"] is None
