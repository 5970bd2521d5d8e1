"""Issue 7's acceptance, steps 1–4, in the browser: a station administrator sets up a campaign
over two communities and assigns two collectors; a collector on a phone collects a household,
marks one address nobody home and one vacant (and a resent form still makes one submission);
the officer sends one field back and approves the rest; a re-check sample is drawn and verified
by the other collector."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TOWN, make_user
from tests.e2e.test_people_flow import _login
from ybss.access.roles import Role
from ybss.addresses import actions as address_actions
from ybss.addresses.models import AddressNode, Kind
from ybss.campaigns import actions
from ybss.campaigns.models import Campaign, RecheckItem, Visit, WorkItem
from ybss.divisions.loading import load_divisions
from ybss.divisions.models import Division
from ybss.lib.idcard import check_char
from ybss.people.models import Person

SHOTS = Path(os.environ.get("YBSS_E2E_SHOTS", "var/e2e"))
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
COMMUNITY = "130731100002"  # 鼓楼社区
VILLAGE = "130731100201"  # 西头堡村


def _id(birth: str, seq: str) -> str:
    base = "130731" + birth + seq
    return base + check_char(base)


HOUSEHOLD = [
    ("王建国", _id("19800305", "151"), "13812345678", "02"),
    ("李秀英", _id("19820711", "162"), "", "10"),
]


def _world() -> tuple[list[AddressNode], list[AddressNode]]:
    if not Division.objects.filter(code=COMMUNITY).exists():
        load_divisions("130731100")
    community = Division.objects.get(code=COMMUNITY)
    village = Division.objects.get(code=VILLAGE)
    road = address_actions.create_road(None, community, "轩辕路")
    plate = address_actions.create_node(None, Kind.DOORPLATE, "18", division=community, road=road)
    building = address_actions.create_node(None, Kind.BUILDING, "1", parent=plate)
    rooms = address_actions.batch_create_rooms(None, building, address_actions.RoomPattern(2, 0, 2))
    group = address_actions.create_node(None, Kind.GROUP, "1", division=village)
    houses = [address_actions.create_node(None, Kind.DOORPLATE, n, parent=group) for n in ("1", "2")]
    return rooms, houses


def _logout(page: Any) -> None:
    page.click("header button.link")
    page.wait_for_url("**/accounts/login/**")


def test_campaign_from_setup_to_recheck(page: Any, live_server: Any) -> None:
    rooms, houses = _world()
    make_user("station", Role.STATION_ADMIN, TOWN)
    officer = make_user("officer", Role.OFFICER, TOWN)
    c1 = make_user("collector1", Role.COLLECTOR, TOWN)
    c2 = make_user("collector2", Role.COLLECTOR, TOWN)
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url

    # 1. The station administrator creates the campaign over two communities and assigns two collectors.
    _login(page, base, "station")
    page.click("header >> text=采集活动")
    page.click("#new-campaign")
    page.fill("input[name=name]", "2026 年冬季集中采集")
    page.check(f"input[name=area_codes][value='{COMMUNITY}']")
    page.check(f"input[name=area_codes][value='{VILLAGE}']")
    page.fill("input[name=starts_on]", date.today().isoformat())
    page.fill("input[name=ends_on]", (date.today() - timedelta(days=1)).isoformat())
    assert page.input_value("input[name=collection_target]") == "0.95"
    page.click("#campaign-form button[type=submit]")
    assert "结束日期：结束日期不能早于开始日期。" in page.inner_text("#campaign-form")
    page.fill("input[name=ends_on]", (date.today() + timedelta(days=30)).isoformat())
    page.fill("input[name=recheck_threshold]", "0.2")
    page.click("#campaign-form button[type=submit]")
    page.wait_for_selector("#campaign-status")
    campaign = Campaign.objects.get()
    assert campaign.area_codes == [COMMUNITY, VILLAGE]
    page.click("#build")
    page.wait_for_selector("#assign-form")
    page.check(f"#assign-form input[name=collectors][value='{c1.pk}']")
    page.check(f"#assign-form input[name=collectors][value='{c2.pk}']")
    page.click("#assign-form button[type=submit]")
    page.wait_for_selector("text=已分派 6 处地址")
    page.click("#start")
    page.wait_for_selector("#campaign-status[data-status=active]")
    page.screenshot(path=str(SHOTS / "campaign-manage.png"), full_page=True)
    mine = {i.address_id: i for i in WorkItem.objects.filter(campaign=campaign, assignee=c1)}
    assert set(mine) == {r.pk for r in rooms}  # the building to one, the village houses to the other
    assert set(WorkItem.objects.filter(assignee=c2).values_list("address_id", flat=True)) == {
        h.pk for h in houses
    }
    _logout(page)

    # 2. A collector on a phone: one household with two occupants, one nobody home, one vacant.
    _login(page, base, "collector1")
    page.click("header >> text=采集任务")
    page.wait_for_selector(f"[data-item='{mine[rooms[0].pk].pk}']")
    page.screenshot(path=str(SHOTS / "campaign-my-work.png"), full_page=True)
    page.click(f"[data-item='{mine[rooms[0].pk].pk}'] a")
    page.click("#add-row")  # a fourth row, without JavaScript
    page.wait_for_selector("fieldset.occupant >> nth=3")  # the form comes back as a new page
    assert page.locator("fieldset.occupant").count() == 4
    for n, (name, number, phone, relation) in enumerate(HOUSEHOLD):
        page.fill(f"input[name=occ-{n}-name]", name)
        page.fill(f"input[name=occ-{n}-id_number]", number)
        page.fill(f"input[name=occ-{n}-phone]", phone)
        page.select_option(f"select[name=occ-{n}-relation]", relation)
    page.check("input[name=outcome][value=collected]")
    page.screenshot(path=str(SHOTS / "campaign-visit.png"), full_page=True)
    page.click("#submit-visit")
    page.wait_for_selector("#submitted")
    confirmation = page.url
    assert "新采集 2 人" in page.content()
    # The connection dropped and the form is sent again: the same submission, the same confirmation.
    page.go_back()
    page.wait_for_selector("#submit-visit")
    page.click("#submit-visit")
    page.wait_for_selector("#submitted")
    assert page.url == confirmation
    assert Visit.objects.count() == 1
    page.screenshot(path=str(SHOTS / "campaign-submitted.png"), full_page=True)
    for room, outcome in ((rooms[1], "nobody_home"), (rooms[2], "vacant")):
        page.goto(f"{base}/campaigns/work/{mine[room.pk].pk}/")
        page.check(f"input[name=outcome][value={outcome}]")
        page.click("#submit-visit")
        page.wait_for_selector("#submitted")
    assert Visit.objects.count() == 3
    _logout(page)

    # 3. The officer sends one field back and approves the rest.
    _login(page, base, "officer")
    page.click("header >> text=采集审核")
    visits = {v.item.address_id: v for v in Visit.objects.select_related("item")}
    page.wait_for_selector("#queue li[data-visit]")
    assert page.locator("#queue li[data-visit]").count() == 3
    page.click(f"[data-visit='{visits[rooms[0].pk].pk}'] a")
    content = page.content()
    assert "王建国" in content and HOUSEHOLD[0][1] not in content and "138****5678" in content
    page.click("#approve")
    page.wait_for_selector("text=已通过")
    page.click(f"[data-visit='{visits[rooms[1].pk].pk}'] a")
    page.click("#approve")
    page.wait_for_selector("text=已通过")
    page.click(f"[data-visit='{visits[rooms[2].pk].pk}'] a")
    page.click("#reject")  # nothing written: the page says what is missing
    assert "退回原因：请至少对一个字段写明退回原因。" in page.inner_text("#review-error")
    page.fill("input[name=reason-outcome]", "邻居说有人租住，请晚上再去核实")
    page.screenshot(path=str(SHOTS / "campaign-review.png"), full_page=True)
    page.click("#reject")
    page.wait_for_selector("text=已退回")
    assert page.locator("#queue li[data-visit]").count() == 0
    assert Person.objects.filter(name__in=[h[0] for h in HOUSEHOLD]).count() == 2
    _logout(page)

    _login(page, base, "collector1")
    page.goto(base + "/campaigns/work/")
    rejected = page.locator(f"[data-item='{mine[rooms[2].pk].pk}']")
    assert rejected.get_attribute("data-state") == "rejected"
    assert "上门结果：邻居说有人租住，请晚上再去核实" in rejected.inner_text()
    assert page.locator(f"[data-item='{mine[rooms[1].pk].pk}']").get_attribute("data-state") == "revisit"
    _logout(page)

    # 4. A re-check sample is drawn for the community and verified by the other collector.
    _login(page, base, "station")
    page.goto(f"{base}/campaigns/manage/{campaign.pk}/")
    page.select_option("#draw-form select[name=area_code]", COMMUNITY)
    page.check(f"#draw-form input[name=verifiers][value='{c1.pk}']")
    page.click("#draw-form button[type=submit]")
    assert "复核人：复核人不能是被复核记录的采集员" in page.inner_text("#draw-form")
    page.check(f"#draw-form input[name=verifiers][value='{c2.pk}']")
    page.uncheck(f"#draw-form input[name=verifiers][value='{c1.pk}']")
    page.click("#draw-form button[type=submit]")
    page.wait_for_selector(f"#draws tr[data-area='{COMMUNITY}']")
    _logout(page)

    _login(page, base, "collector2")
    page.click("header >> text=采集任务")
    page.click("#recheck-link")
    check = RecheckItem.objects.get()
    page.click(f"[data-recheck='{check.pk}'] a")
    rows = page.locator(".check-row")
    labels = rows.all_inner_texts()
    assert any("第1位住户 姓名" in t for t in labels) and any("第2位住户 与户主关系" in t for t in labels)
    assert HOUSEHOLD[0][1] not in page.content()
    for key in actions.visit_fields(actions.open_payload(check.visit)):
        slug = key.replace(".", "-")
        page.check(f"input[name=ok-{slug}][value='{'0' if key == 'occupants.0.phone' else '1'}']")
    page.fill("input[name=value-occupants-0-phone]", "13912345678")
    page.screenshot(path=str(SHOTS / "campaign-verify.png"), full_page=True)
    page.click("#submit-verify")
    page.wait_for_selector("text=已提交复核结果")
    check.refresh_from_db()
    assert check.state == RecheckItem.State.DONE
    assert (check.fields_checked, check.fields_confirmed) == (7, 6)
    assert check.correction is not None and check.correction.state == Visit.State.PENDING
    figures = actions.rates(campaign)
    assert (figures.expected, figures.collected, figures.revisit, figures.open) == (6, 1, 1, 4)
    assert (figures.checked, figures.confirmed) == (7, 6)
    assert officer.pk == Visit.objects.exclude(reviewer=None).values_list("reviewer", flat=True).first()
    _logout(page)

    # 5. The dashboard: the rates it shows equal a count made here straight from the visits.
    _login(page, base, "station")
    page.goto(f"{base}/campaigns/{campaign.pk}/")
    page.wait_for_selector("#progress-table")
    expected = WorkItem.objects.filter(campaign=campaign).count()
    final: dict[int, str] = {}
    for visit in Visit.objects.filter(campaign=campaign, kind="visit", state="approved").order_by("pk"):
        final[visit.item_id] = visit.outcome
    gone = sum(1 for o in final.values() if o in ("demolished", "wrong_address"))
    collected = sum(1 for o in final.values() if o in ("collected", "vacant"))
    checks = RecheckItem.objects.filter(draw__campaign=campaign, state="done")
    checked = sum(c.fields_checked for c in checks)
    confirmed = sum(c.fields_confirmed for c in checks)
    shown_collection = float(page.get_attribute("#collection-rate", "data-value") or "nan")
    shown_accuracy = float(page.get_attribute("#accuracy-rate", "data-value") or "nan")
    assert abs(shown_collection - collected / (expected - gone)) < 1e-4
    assert abs(shown_accuracy - confirmed / checked) < 1e-4
    page.wait_for_selector("body[data-charts=ready]")  # ECharts, served by ybss itself, drew the charts
    page.screenshot(path=str(SHOTS / "campaign-dashboard.png"), full_page=True)
