"""An officer imports a file holding a copy of a registered person with one ID digit wrong:
the import flags it; imported anyway, the scan proposes the pair; the officer opens it,
merges, sees both histories on the surviving record, then undoes the merge."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_import_flow import _upload
from tests.e2e.test_people_flow import _login
from tests.exchange.conftest import write_csv
from ybss.addresses import actions
from ybss.addresses.models import Kind
from ybss.divisions.loading import load_divisions
from ybss.divisions.models import Division
from ybss.lib.idcard import check_char
from ybss.people import actions as people
from ybss.people.models import Person, PersonVersion

SHOTS = Path(os.environ.get("YBSS_E2E_SHOTS", "var/e2e"))
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_flagged_on_import_merged_and_undone(page: Any, live_server: Any, alice: Any, tmp_path: Path) -> None:
    if not Division.objects.filter(code="130731100002").exists():
        load_divisions("130731100")
    community = Division.objects.get(code="130731100002")
    road = actions.create_road(None, community, "轩辕路")
    plate = actions.create_node(None, Kind.DOORPLATE, "18", division=community, road=road)
    building = actions.create_node(None, Kind.BUILDING, "3", parent=plate)
    rooms = actions.batch_create_rooms(
        None, building, actions.RoomPattern(floors=2, units=0, rooms_per_floor=2)
    )
    body = "13073119850312123"
    original = people.register_person(
        None,
        people.PersonInput(name="周建华", id_number=body + check_char(body), phone="13800001111"),
        move_in=people.MoveIn(rooms[0], date(2020, 5, 1)),
    )
    # The same man typed with one digit wrong; the check character recomputed, so the number is valid.
    typo = body[:14] + "4" + body[15:]
    row = {
        "姓名": "周建华",
        "证件号码": typo + check_char(typo),
        "联系电话": "13800001111",
        "居住地址": rooms[0].full_text,
        "居住类型": "自有住房",
        "起居日期": "2020-05-01",
    }
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    _login(page, base, "alice")

    _upload(page, base, write_csv(tmp_path / "people.csv", [row]))
    page.wait_for_selector("#problems")
    assert "可能与已登记人员" in page.inner_text("#problems")
    assert page.inner_text("[data-count=problem_rows]") == "1"
    page.screenshot(path=str(SHOTS / "dedupe-flagged.png"), full_page=True)
    # The officer cannot tell on the spot and imports it; the review queue decides.
    page.check("input[name^=import-anyway-]")
    page.click("button:text('保存选择并重新检查')")
    page.click("#commit")
    page.wait_for_selector("#job-result")
    assert Person.objects.count() == 2
    copy = Person.objects.exclude(pk=original.pk).get()

    page.goto(base + "/dedupe/")
    page.click("#scan")
    page.wait_for_selector("#queue a")
    page.click("#queue a")
    # Opening a pair is an audited read: state the purpose first when asked.
    if page.locator("select[name=reason]").count():
        page.select_option("select[name=reason]", "verify")
        page.fill("input[name=reason_text]", "核查重复录入")
        page.click("form:has(input[name=reason_text]) button[type=submit]")
    page.wait_for_selector("#side-by-side")
    page.screenshot(path=str(SHOTS / "dedupe-pair.png"), full_page=True)
    page.click("#merge")
    page.wait_for_load_state()
    copy.refresh_from_db()
    assert copy.merged_into_id == original.pk
    assert PersonVersion.objects.filter(person=copy).exists()

    # Both histories on the survivor's full record.
    page.goto(f"{base}/people/{original.pk}/")
    if page.locator("select[name=reason]").count():
        page.select_option("select[name=reason]", "verify")
        page.fill("input[name=reason_text]", "核对合并结果")
        page.click("button:text('查看完整信息')")
    page.wait_for_selector("ul.history")
    history = page.content()
    assert "合并重复记录" in history and "并入另一记录" in history
    page.screenshot(path=str(SHOTS / "dedupe-merged.png"), full_page=True)

    page.goto(base + "/dedupe/merges/")
    page.click("button.undo")
    page.wait_for_load_state()
    copy.refresh_from_db()
    assert copy.merged_into_id is None
    residence = copy.current_residence()
    assert residence is not None and residence.address_id == rooms[0].pk
