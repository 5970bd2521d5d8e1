"""A station administrator imports 20 people from the template: three rows are wrong,
the report says which and why, the fixed file imports, the people are found at their
rooms, and uploading the same file again changes nothing."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.e2e.test_people_flow import _login
from ybss.addresses import actions
from ybss.addresses.models import Kind
from ybss.divisions.loading import load_divisions
from ybss.divisions.models import Division
from ybss.lib.idcard import check_char
from ybss.people.models import Person

SHOTS = Path(os.environ.get("YBSS_E2E_SHOTS", "var/e2e"))
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许"


def _id(seq: int) -> str:
    base = f"13073119{80 + seq % 20:02d}0{1 + seq % 9}1{seq % 10}{100 + seq:03d}"[:17]
    return base + check_char(base)


def _fill(template: Path, out: Path, rows: list[list[Any]]) -> Path:
    wb = load_workbook(template)
    ws = wb["数据"]
    headers = [c.value for c in ws[1]]
    for r, row in enumerate(rows, start=2):
        names = ["姓名", "证件号码", "居住地址", "居住类型", "起居日期", "联系电话"]
        values = dict(zip(names, row, strict=True))
        for c, header in enumerate(headers, start=1):
            if header in values:
                ws.cell(row=r, column=c, value=values[header])
    wb.save(out)
    return out


def _upload(page: Any, base: str, path: Path) -> None:
    page.goto(base + "/exchange/import/")
    page.select_option("select[name=kind]", "persons")
    page.set_input_files("input[name=file]", str(path))
    page.click("button:text('上传并检查')")
    page.wait_for_selector("#job-status")


def test_template_errors_fix_commit_find_and_reimport(
    page: Any, live_server: Any, alice: Any, tmp_path: Path
) -> None:
    if not Division.objects.filter(code="130731100002").exists():
        load_divisions("130731100")
    community = Division.objects.get(code="130731100002")
    road = actions.create_road(None, community, "轩辕路")
    plate = actions.create_node(None, Kind.DOORPLATE, "18", division=community, road=road)
    building = actions.create_node(None, Kind.BUILDING, "3", parent=plate)
    pattern = actions.RoomPattern(floors=5, units=0, rooms_per_floor=2)
    rooms = actions.batch_create_rooms(None, building, pattern)
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    _login(page, base, "alice")

    page.goto(base + "/exchange/import/")
    with page.expect_download() as download:
        page.click("[data-template=persons-xlsx]")
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)

    good = [
        [SURNAMES[i] + "明", _id(i), rooms[i % 10].full_text, "租住", "2024-03-01", f"1380013{8000 + i:04d}"]
        for i in range(20)
    ]
    bad = [list(r) for r in good]
    bad[3][1] = bad[3][1][:-1] + ("0" if bad[3][1][-1] != "0" else "1")  # wrong check digit
    bad[9][2] = "轩辕路999号"  # no such address
    bad[15][3] = "买的"  # not an allowed residence kind
    _upload(page, base, _fill(template, tmp_path / "people.xlsx", bad))
    page.wait_for_selector("#problems")
    problems = page.inner_text("#problems")
    for fragment in ("校验", "找不到该标准地址", "居住类型"):
        assert fragment in problems
    assert page.inner_text("[data-count=problem_rows]") == "3"
    assert page.locator("#commit").count() == 0
    page.screenshot(path=str(SHOTS / "import-report.png"), full_page=True)
    assert Person.objects.count() == 0

    fixed = _fill(template, tmp_path / "people-fixed.xlsx", good)
    _upload(page, base, fixed)
    assert page.inner_text("[data-count=create]") == "20"
    page.click("#commit")
    page.wait_for_selector("#job-result")
    assert "新增 20 条" in page.inner_text("#job-result")
    assert Person.objects.count() == 20

    page.goto(f"{base}/addresses/n/{rooms[0].pk}/")
    assert good[0][0] in page.content() and good[10][0] in page.content()

    _upload(page, base, fixed)
    assert page.inner_text("[data-count=unchanged]") == "20"
    page.click("#commit")
    page.wait_for_selector("#job-result")
    assert "0 处变更" in page.inner_text("#job-result")
    page.screenshot(path=str(SHOTS / "import-reupload.png"), full_page=True)
    assert Person.objects.count() == 20
