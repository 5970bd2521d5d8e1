"""The campaign pages, each as the role that uses it: organize, collect, review, re-check."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from tests.campaigns.conftest import World, make_id, running_campaign
from tests.conftest import OTHER_TOWN, make_user
from ybss.access.roles import Role
from ybss.addresses.models import AddressNode
from ybss.campaigns import actions
from ybss.campaigns.actions import Occupant
from ybss.campaigns.models import Campaign, Outcome, RecheckDraw, RecheckItem, Visit, WorkItem
from ybss.people import actions as people
from ybss.people.actions import MoveIn, PersonInput
from ybss.people.models import Person

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def body(response: Any) -> str:
    return str(response.content.decode())


def item_at(campaign: Campaign, room: AddressNode) -> WorkItem:
    return WorkItem.objects.get(campaign=campaign, address=room)


def mine(campaign: Campaign, who: Any, n: int = 0) -> WorkItem:
    return WorkItem.objects.filter(campaign=campaign, assignee=who).order_by("code")[n]


def visit_post(**extra: str) -> dict[str, str]:
    data = {"idempotency_key": "k-1", "rows": "3", "outcome": "collected", "note": ""}
    data.update(extra)
    return data


def collect(who: Any, item: WorkItem, seq: int, key: str = "") -> Visit:
    visit, _ = actions.submit_visit(
        who,
        item,
        outcome=Outcome.COLLECTED,
        idempotency_key=key or f"v-{item.pk}-{seq}",
        occupants=[Occupant(name="张三", id_number=make_id(seq), phone="13800138000", relation="02")],
    )
    return visit


# ---------------------------------------------------------------- capabilities and jurisdiction


@pytest.mark.parametrize(
    ("role", "url"),
    [
        (Role.COLLECTOR, "/campaigns/manage/"),
        (Role.COLLECTOR, "/campaigns/manage/new/"),
        (Role.COLLECTOR, "/campaigns/review/"),
        (Role.STATION_ADMIN, "/campaigns/work/"),
        (Role.STATION_ADMIN, "/campaigns/rechecks/"),
        (Role.SUPERVISOR, "/campaigns/work/"),
        (Role.SUPERVISOR, "/campaigns/review/"),
        (Role.OFFICER, "/campaigns/manage/"),
    ],
)
def test_pages_refuse_the_wrong_capability(world: World, role: str, url: str) -> None:
    user = make_user(f"u-{role}", role, world.community.code[:9])
    assert client_for(user).get(url).status_code == 403


def test_each_page_opens_for_its_role(world: World) -> None:
    campaign = running_campaign(world)
    visit = collect(world.c1, mine(campaign, world.c1), 1)
    assert client_for(world.admin).get("/campaigns/manage/").status_code == 200
    assert client_for(world.admin).get(f"/campaigns/manage/{campaign.pk}/").status_code == 200
    assert client_for(world.c1).get("/campaigns/work/").status_code == 200
    assert client_for(world.c1).get(f"/campaigns/work/{visit.item_id}/").status_code == 200
    assert client_for(world.c1).get("/campaigns/rechecks/").status_code == 200
    assert client_for(world.officer).get("/campaigns/review/").status_code == 200
    assert client_for(world.officer).get(f"/campaigns/review/{visit.pk}/").status_code == 200


def test_outside_the_jurisdiction_is_not_found(world: World) -> None:
    campaign = running_campaign(world)
    visit = collect(world.c1, mine(campaign, world.c1), 1)
    actions.approve(world.officer, visit)
    campaign.recheck_threshold = "0.1"
    campaign.save()
    draw = actions.draw_recheck(world.admin, campaign, world.community.code, [world.c2])
    check = draw.items.get()
    far_admin = make_user("far-admin", Role.STATION_ADMIN, OTHER_TOWN)
    far_officer = make_user("far-officer", Role.OFFICER, OTHER_TOWN)
    pairs = [
        (far_admin, f"/campaigns/manage/{campaign.pk}/", "/campaigns/manage/999999/"),
        (far_officer, f"/campaigns/work/{visit.item_id}/", "/campaigns/work/999999/"),
        (far_officer, f"/campaigns/review/{visit.pk}/", "/campaigns/review/999999/"),
        (far_officer, f"/campaigns/rechecks/{check.pk}/", "/campaigns/rechecks/999999/"),
        (far_officer, f"/campaigns/submitted/{visit.pk}/", "/campaigns/submitted/999999/"),
    ]
    for user, theirs, missing in pairs:
        client = client_for(user)
        a, b = client.get(theirs), client.get(missing)
        assert a.status_code == b.status_code == 404, theirs
        assert a.content == b.content
    for url in (f"/campaigns/manage/{campaign.pk}/assign/", f"/campaigns/review/{visit.pk}/approve/"):
        assert client_for(far_admin).post(url, {"collectors": [str(world.c1.pk)]}).status_code == 404
    # Not in the lists either.
    assert "2026 年冬季集中采集" not in body(client_for(far_admin).get("/campaigns/manage/"))
    assert "鼓楼" not in body(client_for(far_officer).get("/campaigns/review/"))


# ---------------------------------------------------------------- organize


def _create(client: Client, world: World, **changes: Any) -> Any:
    data: dict[str, Any] = {
        "name": "冬季集中采集",
        "area_codes": [world.community.code],
        "starts_on": (date.today() - timedelta(days=1)).isoformat(),
        "ends_on": (date.today() + timedelta(days=30)).isoformat(),
        "collection_target": "0.95",
        "accuracy_target": "0.95",
        "recheck_rate": "0.05",
        "recheck_threshold": "0.8",
    }
    data.update(changes)
    return client.post("/campaigns/manage/new/", data)


def test_station_admin_creates_builds_assigns_and_starts(world: World) -> None:
    client = client_for(world.admin)
    form = body(client.get("/campaigns/manage/new/"))
    assert world.community.code in form and "鼓楼社区" in form
    assert 'value="0.95"' in form and 'value="0.05"' in form and 'value="0.8"' in form
    assert "130731101" not in form  # no village of another station to choose
    r = _create(client, world)
    campaign = Campaign.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/campaigns/manage/{campaign.pk}/"
    page = body(client.get(r["Location"]))
    assert "生成任务清单" in page and "尚未生成" in page
    r = client.post(f"/campaigns/manage/{campaign.pk}/status/", {"status": "active"})
    assert r.status_code == 400 and "活动状态：请先生成任务清单。" in body(r)
    assert client.post(f"/campaigns/manage/{campaign.pk}/work-list/").status_code == 302
    assert WorkItem.objects.filter(campaign=campaign).count() == 8
    page = body(client.get(f"/campaigns/manage/{campaign.pk}/"))
    assert "collector1" in page and "collector2" in page and "officer" in page  # officers collect too
    assert "station" not in page.split('id="assign-form"')[1].split("</form>")[0]  # admins do not
    r = client.post(f"/campaigns/manage/{campaign.pk}/assign/", {})
    assert r.status_code == 400 and "采集员：请至少选择一名采集员。" in body(r)
    r = client.post(
        f"/campaigns/manage/{campaign.pk}/assign/", {"collectors": [str(world.c1.pk), str(world.c2.pk)]}
    )
    assert r.status_code == 302
    assert WorkItem.objects.filter(campaign=campaign, assignee=world.c1).count() == 4
    r = client.post(f"/campaigns/manage/{campaign.pk}/status/", {"status": "active"})
    campaign.refresh_from_db()
    assert r.status_code == 302 and campaign.status == Campaign.Status.ACTIVE
    r = client.post(
        f"/campaigns/manage/{campaign.pk}/reassign/",
        {"from_user": str(world.c1.pk), "to_user": str(world.c2.pk)},
    )
    assert r.status_code == 302
    assert WorkItem.objects.filter(campaign=campaign, assignee=world.c2).count() == 8
    page = body(client.get("/campaigns/manage/"))
    assert "冬季集中采集" in page and "进行中" in page
    r = client.post(f"/campaigns/manage/{campaign.pk}/status/", {"status": "closed"})
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CLOSED


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"area_codes": []}, "采集区域：采集区域不能为空，请至少选择一个社区或村。"),
        ({"ends_on": (date.today() - timedelta(days=9)).isoformat()}, "结束日期：结束日期不能早于开始日期。"),
        ({"collection_target": "1.5"}, "采集率目标：采集率目标应大于 0 且不超过 1"),
        ({"recheck_rate": "abc"}, "复核抽样比例：复核抽样比例应为 0 到 1 之间的小数"),
        ({"name": ""}, "活动名称："),
        ({"starts_on": ""}, "开始日期：请填写开始和结束日期。"),
    ],
)
def test_bad_campaign_input_names_the_field(world: World, changes: dict[str, Any], message: str) -> None:
    r = _create(client_for(world.admin), world, **changes)
    assert r.status_code == 400
    assert message in body(r)
    assert not Campaign.objects.exists()


def test_another_stations_village_cannot_be_chosen(world: World) -> None:
    r = _create(client_for(world.admin), world, area_codes=["130731101001"])
    assert r.status_code == 400 and "采集区域：" in body(r)
    assert not Campaign.objects.exists()


def test_recheck_draw_from_the_campaign_page(world: World) -> None:
    campaign = running_campaign(world, recheck_rate="0.5", recheck_threshold="0.5")
    client = client_for(world.admin)
    url = f"/campaigns/manage/{campaign.pk}/recheck/"
    area = world.community.code
    r = client.post(url, {"area_code": area, "verifiers": [str(world.c2.pk)]})
    assert r.status_code == 400 and "抽样区域：该区域采集率 0.0%，未达到抽样起点 50%。" in body(r)
    for n in range(4):
        actions.approve(world.officer, collect(world.c1, mine(campaign, world.c1, n), 10 + n))
    r = client.post(url, {"area_code": area})
    assert r.status_code == 400 and "复核人：请至少选择一名复核人。" in body(r)
    r = client.post(url, {"area_code": area, "verifiers": [str(world.c1.pk)]})
    assert r.status_code == 400 and "复核人：复核人不能是被复核记录的采集员" in body(r)
    r = client.post(url, {"area_code": area, "verifiers": [str(world.c2.pk)]})
    assert r.status_code == 302
    draw = RecheckDraw.objects.get()
    assert draw.size == 2 and set(draw.items.values_list("verifier", flat=True)) == {world.c2.pk}
    r = client.post(url, {"area_code": area, "verifiers": [str(world.c2.pk)]})
    assert r.status_code == 400 and "不能重复抽取" in body(r)
    assert RecheckDraw.objects.count() == 1


# ---------------------------------------------------------------- collect


def test_my_work_groups_by_building_with_counts_and_rejection_reasons(world: World) -> None:
    campaign = running_campaign(world)
    first = mine(campaign, world.c1)
    visit = collect(world.c1, first, 1)
    client = client_for(world.c1)
    page = body(client.get("/campaigns/work/"))
    assert campaign.name in page
    assert page.count('data-item="') == 3  # four rooms, one waiting for review
    assert "待审核 1" in page
    building = first.address.parent
    assert building is not None and building.full_text in page
    for item in WorkItem.objects.filter(campaign=campaign, assignee=world.c2):
        assert f'data-item="{item.pk}"' not in page
    actions.reject(world.officer, visit, {"occupants.0.phone": "电话号码少一位", "outcome": "应为空置"})
    page = body(client.get("/campaigns/work/"))
    assert f'data-item="{first.pk}" data-state="rejected"' in page
    assert "第1位住户 联系电话：电话号码少一位" in page and "上门结果：应为空置" in page
    visit_page = body(client.get(f"/campaigns/work/{first.pk}/"))
    assert "第1位住户 联系电话：电话号码少一位" in visit_page


def test_visit_page_shows_residents_masked_and_confirms_them(world: World) -> None:
    campaign = running_campaign(world)
    item = mine(campaign, world.c1)
    number = make_id(77)
    resident = people.register_person(
        None, PersonInput(name="王芳", id_number=number), move_in=MoveIn(item.address, date(2020, 1, 1))
    )
    client = client_for(world.c1)
    page = body(client.get(f"/campaigns/work/{item.pk}/"))
    assert "王芳" in page and number not in page and number[:6] + "********" + number[-4:] in page
    assert page.count('name="idempotency_key"') == 1
    for code in Outcome.values:
        assert f'value="{code}"' in page
    r = client.post(f"/campaigns/work/{item.pk}/", visit_post(confirmed=str(resident.pk)))
    visit = Visit.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/campaigns/submitted/{visit.pk}/"
    assert actions.open_payload(visit) == {"occupants": [], "confirmed": [resident.pk]}


def test_double_post_with_the_same_key_makes_one_visit(world: World) -> None:
    campaign = running_campaign(world)
    item = mine(campaign, world.c1)
    client = client_for(world.c1)
    page = body(client.get(f"/campaigns/work/{item.pk}/"))
    key = page.split('name="idempotency_key" value="')[1].split('"')[0]
    assert len(key) == 32
    data = visit_post(
        idempotency_key=key,
        **{"occ-0-name": "张三", "occ-0-id_number": make_id(3), "occ-0-phone": "13800138000"},
        **{"occ-0-relation": "02", "occ-0-kind": "owned"},
        **{"occ-1-name": "李四", "occ-1-id_number": make_id(4), "occ-1-relation": "10"},
    )
    first = client.post(f"/campaigns/work/{item.pk}/", data)
    again = client.post(f"/campaigns/work/{item.pk}/", data)
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert Visit.objects.count() == 1
    visit = Visit.objects.get()
    assert [o["name"] for o in actions.open_payload(visit)["occupants"]] == ["张三", "李四"]
    done = body(client.get(first["Location"]))
    assert "已提交" in done and "新采集 2 人" in done and "待审核" in done
    assert make_id(3) not in done
    # A fresh page is a new submission, which the pending one blocks.
    r = client.post(f"/campaigns/work/{item.pk}/", {**data, "idempotency_key": "another"})
    assert r.status_code == 400 and "该地址已有待审核的采集记录。" in body(r)
    assert Visit.objects.count() == 1


def test_bad_visit_input_names_the_field(world: World) -> None:
    campaign = running_campaign(world)
    item = mine(campaign, world.c1)
    client = client_for(world.c1)
    url = f"/campaigns/work/{item.pk}/"
    wrong = make_id(5)[:-1] + ("0" if make_id(5)[-1] != "0" else "1")
    r = client.post(url, visit_post(**{"occ-0-name": "张三", "occ-0-id_number": wrong}))
    assert r.status_code == 400 and "第1位住户 证件号码：" in body(r)
    assert 'value="张三"' in body(r)  # what was typed is kept
    r = client.post(url, visit_post())
    assert r.status_code == 400 and "住户：已采集时请至少填写或确认一位住户。" in body(r)
    r = client.post(url, visit_post(outcome=""))
    assert r.status_code == 400 and "上门结果：上门结果不在可选范围内。" in body(r)
    r = client.post(url, visit_post(outcome="wrong_address"))
    assert r.status_code == 400 and "备注：地址有误时请在备注中写明正确的地址。" in body(r)
    # Blank rows in between are dropped; the second filled row is the second occupant.
    r = client.post(
        url,
        visit_post(
            rows="3",
            **{"occ-0-name": "张三", "occ-0-id_number": make_id(6)},
            **{"occ-2-name": "李四", "occ-2-id_number": "123"},
        ),
    )
    assert r.status_code == 400 and "第2位住户 证件号码：" in body(r)
    assert not Visit.objects.exists()


def test_add_a_row_without_javascript(world: World) -> None:
    campaign = running_campaign(world)
    item = mine(campaign, world.c1)
    client = client_for(world.c1)
    page = body(client.get(f"/campaigns/work/{item.pk}/"))
    assert 'name="occ-2-name"' in page and 'name="occ-3-name"' not in page
    r = client.post(
        f"/campaigns/work/{item.pk}/",
        visit_post(more="1", **{"occ-0-name": "张三", "occ-0-id_number": make_id(7)}),
    )
    page = body(r)
    assert r.status_code == 200 and 'name="occ-3-name"' in page and 'name="occ-4-name"' not in page
    assert 'value="张三"' in page and 'value="k-1"' in page
    assert not Visit.objects.exists()


def test_submitting_for_someone_elses_item_is_refused(world: World) -> None:
    campaign = running_campaign(world)
    theirs = mine(campaign, world.c2)
    client = client_for(world.c1)
    page = body(client.get(f"/campaigns/work/{theirs.pk}/"))
    assert "该地址不在您的采集任务中。" in page and 'id="visit-form"' not in page
    r = client.post(f"/campaigns/work/{theirs.pk}/", visit_post(outcome="vacant"))
    assert r.status_code == 400 and "该地址不在您的采集任务中。" in body(r)
    assert not Visit.objects.exists()
    # Someone else's confirmation page is not found either.
    visit = collect(world.c2, theirs, 9)
    assert client.get(f"/campaigns/submitted/{visit.pk}/").status_code == 404


# ---------------------------------------------------------------- review


def test_review_queue_masks_ids_rejects_with_reasons_and_approves(world: World) -> None:
    campaign = running_campaign(world)
    one = collect(world.c1, mine(campaign, world.c1, 0), 11)
    two = collect(world.c1, mine(campaign, world.c1, 1), 12)
    client = client_for(world.officer)
    queue = body(client.get("/campaigns/review/"))
    assert f'data-visit="{one.pk}"' in queue and f'data-visit="{two.pk}"' in queue
    page = body(client.get(f"/campaigns/review/{one.pk}/"))
    assert "张三" in page and make_id(11) not in page and make_id(11)[-4:] in page
    assert "13800138000" not in page and "138****8000" in page
    assert "第1位住户 证件号码" in page and "户主" in page
    r = client.post(f"/campaigns/review/{one.pk}/reject/", {})
    assert r.status_code == 400 and "退回原因：请至少对一个字段写明退回原因。" in body(r)
    r = client.post(f"/campaigns/review/{one.pk}/reject/", {"reason-occupants-0-id_number": "号码与证件不符"})
    assert r.status_code == 302
    one.refresh_from_db()
    assert one.state == Visit.State.REJECTED and one.rejection == {"occupants.0.id_number": "号码与证件不符"}
    assert client.post(f"/campaigns/review/{two.pk}/approve/").status_code == 302
    two.refresh_from_db()
    assert two.state == Visit.State.APPROVED and Person.objects.filter(name="张三").count() == 1
    r = client.post(f"/campaigns/review/{two.pk}/approve/")
    assert r.status_code == 400 and "该采集记录已通过" in body(r)
    assert body(client.get("/campaigns/review/")).count('data-visit="') == 0


def test_reviewer_cannot_approve_their_own_submission(world: World) -> None:
    campaign = running_campaign(world)
    item = mine(campaign, world.c1)
    actions.reassign(world.admin, campaign, [item], world.officer)
    client = client_for(world.officer)
    r = client.post(f"/campaigns/work/{item.pk}/", visit_post(outcome="vacant", idempotency_key="own"))
    visit = Visit.objects.get()
    assert r.status_code == 302
    assert "本人" in body(client.get("/campaigns/review/"))
    r = client.post(f"/campaigns/review/{visit.pk}/approve/")
    assert r.status_code == 400 and "采集记录：不能审核自己提交的采集记录。" in body(r)
    visit.refresh_from_db()
    assert visit.state == Visit.State.PENDING


# ---------------------------------------------------------------- re-check


def test_verify_page_lists_fields_in_chinese_and_records_the_check(world: World) -> None:
    campaign = running_campaign(world, recheck_rate="1", recheck_threshold="0.1")
    item = mine(campaign, world.c1)
    stayer = people.register_person(
        None, PersonInput(name="王老", id_number=make_id(41)), move_in=MoveIn(item.address, date(2020, 1, 1))
    )
    visit, _ = actions.submit_visit(
        world.c1,
        item,
        outcome=Outcome.COLLECTED,
        idempotency_key="rc",
        occupants=[Occupant(name="张三", id_number=make_id(40), phone="13800138000", relation="02")],
        confirmed=[stayer.pk],
    )
    actions.approve(world.officer, visit)
    actions.draw_recheck(world.admin, campaign, world.community.code, [world.c2])
    check = RecheckItem.objects.get()
    c2 = client_for(world.c2)
    assert f'data-recheck="{check.pk}"' in body(c2.get("/campaigns/rechecks/"))
    assert "实地复核：1 条待复核" in body(c2.get("/campaigns/work/"))
    page = body(c2.get(f"/campaigns/rechecks/{check.pk}/"))
    for label in ("第1位住户 姓名", "第1位住户 证件号码", "第1位住户 联系电话", "第1位住户 与户主关系"):
        assert label in page
    assert "确认居住：王老" in page and make_id(40) not in page and make_id(41) not in page
    assert "正确" in page and "有误" in page
    # The collector cannot check their own record.
    own = body(client_for(world.c1).get(f"/campaigns/rechecks/{check.pk}/"))
    assert "该复核任务不是分配给您的。" in own and 'id="verify-form"' not in own
    url = f"/campaigns/rechecks/{check.pk}/"
    r = c2.post(url, {"ok-occupants-0-name": "1"})
    assert r.status_code == 400 and "还有 4 项未核对" in body(r) and "确认居住：王老" in body(r)
    answers = {
        "ok-occupants-0-name": "1",
        "ok-occupants-0-id_number": "1",
        "ok-occupants-0-phone": "0",
        "ok-occupants-0-relation": "1",
        f"ok-confirmed-{stayer.pk}": "1",
    }
    r = c2.post(url, answers)
    assert r.status_code == 400 and "第1位住户 联系电话：核对有误的项请填写正确的值。" in body(r)
    r = c2.post(url, {**answers, "value-occupants-0-phone": "13900139000"})
    assert r.status_code == 302
    check.refresh_from_db()
    assert check.state == RecheckItem.State.DONE
    assert (check.fields_checked, check.fields_confirmed) == (5, 4)
    assert check.wrong_fields == ["occupants.0.phone"]
    assert check.correction is not None and check.correction.state == Visit.State.PENDING
    listed = body(c2.get("/campaigns/rechecks/"))
    assert f'data-recheck="{check.pk}"' not in listed and "4/5 项无误" in listed


def test_collectors_start_at_their_work_list(world: Any) -> None:
    from django.test import Client

    client = Client()
    client.force_login(world.c1)
    assert client.get("/")["Location"] == "/campaigns/work/"
    client.force_login(world.officer)
    assert client.get("/")["Location"] != "/campaigns/work/"
