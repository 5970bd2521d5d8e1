"""A new station administrator's first session, driven in headless Chromium:
log in, browse from the county down to a room, create a building with its
rooms from a pattern, and find it by search."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from ybss.addresses import actions
from ybss.addresses.models import AddressNode, Kind
from ybss.divisions.loading import load_divisions
from ybss.divisions.models import Division

SHOTS = Path(os.environ.get("YBSS_E2E_SHOTS", "var/e2e"))

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_log_in_browse_create_and_search(page: Any, live_server: Any, alice: Any) -> None:
    if not Division.objects.filter(code="130731100002").exists():
        load_divisions("130731100")
    community = Division.objects.get(code="130731100002")
    road = actions.create_road(None, community, "轩辕路")
    plate = actions.create_node(None, Kind.DOORPLATE, "18", division=community, road=road)
    compound = actions.create_node(None, Kind.COMPOUND, "阳光小区", parent=plate)
    building = actions.create_node(None, Kind.BUILDING, "3", parent=compound)
    actions.batch_create_rooms(None, building, actions.RoomPattern(floors=2, units=1, rooms_per_floor=2))
    SHOTS.mkdir(parents=True, exist_ok=True)

    page.goto(live_server.url + "/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "alice-password-1")
    page.click("button[type=submit]")
    # A station administrator lands on the station's town, with the county above it.
    page.wait_for_url("**/addresses/d/130731100/")
    assert "涿鹿镇" in page.text_content("h1")
    page.click(".crumbs >> text=涿鹿县")
    page.click("text=涿鹿镇")
    page.click("text=鼓楼社区")
    page.click("text=轩辕路 18号")
    page.click("text=阳光小区")
    page.click("a:text-is('3栋')")
    page.click("a:text-is('1单元')")
    page.click("a:text-is('201室')")
    assert (
        page.text_content(".fulltext")
        == "河北省张家口市涿鹿县涿鹿镇鼓楼社区 轩辕路 18号 阳光小区 3栋 1单元 201室"
    )
    page.screenshot(path=str(SHOTS / "room.png"), full_page=True)

    page.click(".crumbs >> text=阳光小区")
    page.click("text=新建下级")
    page.select_option("select[name=kind]", "building")
    page.fill("input[name=name]", "8号楼")
    page.click("button:text('提交')")
    page.wait_for_selector("text=已新建")
    assert page.text_content("h1").startswith("8栋")

    page.click("text=按规则生成户室")
    page.fill("input[name=floors]", "6")
    page.fill("input[name=units]", "2")
    page.fill("input[name=rooms_per_floor]", "2")
    page.click("button:text('提交')")
    page.wait_for_selector("text=已生成 24 户")

    page.click("header nav >> text=搜索")
    page.fill("input[name=q]", "阳光小区 八栋 602")
    page.click("form.search button")
    page.wait_for_selector("text=8栋 2单元 602室")
    page.screenshot(path=str(SHOTS / "search.png"), full_page=True)
    hits = page.locator("table.list tbody tr").count()
    assert hits == 2  # 602 in units 1 and 2
    assert AddressNode.objects.filter(parent__parent__name="8栋", kind=Kind.ROOM).count() == 24

    # A mistake in the pattern form comes back as a Chinese message on the field.
    page.click("text=8栋 1单元 602室")
    page.click(".crumbs >> text=8栋")
    page.click("text=按规则生成户室")
    page.fill("input[name=floors]", "6")
    page.fill("input[name=units]", "2")
    page.fill("input[name=rooms_per_floor]", "2")
    page.click("button:text('提交')")
    assert "与已有户室重复" in page.text_content("[role=alert]")
