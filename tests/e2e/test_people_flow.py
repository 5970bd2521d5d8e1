"""An officer registers a household and a migrant tenant, moves someone, finds the
tenant by phone and opens the full record for a purpose; an auditor sees that read."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import COUNTY, make_user
from ybss.access.models import Jurisdiction
from ybss.access.roles import Role
from ybss.addresses import actions
from ybss.addresses.models import AddressNode, Kind
from ybss.divisions.loading import load_divisions
from ybss.divisions.models import Division
from ybss.lib.idcard import check_char
from ybss.people.models import Person

SHOTS = Path(os.environ.get("YBSS_E2E_SHOTS", "var/e2e"))
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _id(county: str, birth: str, seq: str) -> str:
    base = county + birth + seq
    return base + check_char(base)


FAMILY = [
    ("王建国", _id("130731", "19800305", "151"), "02"),
    ("李秀英", _id("130731", "19820711", "162"), "10"),
    ("王小明", _id("130731", "20100120", "173"), "20"),
]
TENANT = ("赵磊", _id("510104", "19950614", "215"), "13987654321")


def _login(page: Any, base: str, username: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", f"{username}-password-1")
    page.click("button[type=submit]")


def _register(page: Any, base: str, room: AddressNode, name: str, number: str, **extra: str) -> None:
    page.goto(f"{base}/addresses/n/{room.pk}/")
    page.click("text=登记入住")
    page.fill("input[name=name]", name)
    page.fill("input[name=id_number]", number)
    page.fill("input[name=valid_from]", "2024-03-01")
    for field, value in extra.items():
        if field in ("kind", "relation", "reason"):
            page.select_option(f"select[name={field}]", value)
        else:
            page.fill(f"input[name={field}]", value)
    page.click("button:text('登记')")
    page.wait_for_selector("text=已登记")


def test_household_tenant_move_search_and_audit(page: Any, live_server: Any, alice: Any) -> None:
    if not Division.objects.filter(code="130731100002").exists():
        load_divisions("130731100")
    load_divisions("510104")
    community = Division.objects.get(code="130731100002")
    road = actions.create_road(None, community, "轩辕路")
    plate = actions.create_node(None, Kind.DOORPLATE, "18", division=community, road=road)
    building = actions.create_node(None, Kind.BUILDING, "3", parent=plate)
    rooms = actions.batch_create_rooms(
        None, building, actions.RoomPattern(floors=2, units=0, rooms_per_floor=2)
    )
    home, rental, new_home = rooms[0], rooms[1], rooms[2]
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url

    _login(page, base, "alice")
    for name, number, relation in FAMILY:
        _register(page, base, home, name, number, relation=relation, kind="owned", phone="")
    page.goto(f"{base}/addresses/n/{home.pk}/")
    rows = page.locator("section.residents tbody tr")
    assert rows.count() == 3
    assert FAMILY[0][1] not in page.content()  # masked on the room page
    page.screenshot(path=str(SHOTS / "household.png"), full_page=True)

    _register(
        page,
        base,
        rental,
        TENANT[0],
        TENANT[1],
        kind="rented",
        reason="work",
        phone=TENANT[2],
        domicile_division="510104",
    )

    # The tenant's room: register the house as rented and the tenancy.
    tenant = Person.objects.get(name=TENANT[0])
    page.goto(f"{base}/addresses/n/{rental.pk}/")
    page.click("a:text-is('登记房屋')")
    page.select_option("select[name=use]", "rented")
    page.click("button[type=submit].primary")
    page.wait_for_selector("text=已登记房屋")
    page.click("a:text-is('登记租赁')")
    page.fill("input[name=tenants]", str(tenant.pk))
    page.fill("input[name=valid_from]", "2024-03-01")
    page.fill("input[name=registration_number]", "ZL2024-0301")
    page.click("button[type=submit].primary")
    page.wait_for_selector("text=已登记租赁")
    assert "ZL2024-0301" in page.content()

    # The son moves to another room of the building.
    son = Person.objects.get(name="王小明")
    page.goto(f"{base}/people/{son.pk}/")
    page.fill("input[name=reason_text]", "核实搬家")
    page.click("button:text('查看完整信息')")
    page.click("text=迁移")
    page.fill("input[name=address_code]", new_home.code)
    page.fill("input[name=valid_from]", date.today().isoformat())
    page.click("button:text('提交')")
    page.wait_for_selector("text=已迁移到")
    page.goto(f"{base}/people/{son.pk}/")
    page.fill("input[name=reason_text]", "查看轨迹")
    page.click("button:text('查看完整信息')")
    # The full record is a new page; count only once it has arrived.
    page.wait_for_selector("ol.timeline li")
    timeline = page.locator("ol.timeline li")
    assert timeline.count() == 2
    assert new_home.full_text in timeline.nth(0).text_content()
    page.screenshot(path=str(SHOTS / "timeline.png"), full_page=True)

    # Find the tenant by phone: masked.
    page.click("header nav >> text=查找人员")
    page.fill("input[name=q]", TENANT[2])
    page.click("form.search button")
    page.wait_for_selector(f"text={TENANT[0]}")
    assert "139****4321" in page.content() and TENANT[1] not in page.content()
    page.click(f"text={TENANT[0]}")
    page.select_option("select[name=reason]", "case")
    page.fill("input[name=reason_text]", "租户核查")
    page.click("button:text('查看完整信息')")
    assert page.text_content(".id-number") == TENANT[1]

    # The auditor sees that read, and why.
    make_user("dave", Role.AUDITOR, COUNTY, kind=Jurisdiction.Kind.COUNTY_BUREAU)
    tenant = Person.objects.get(name=TENANT[0])
    page.click("header nav form button")  # log out
    _login(page, base, "dave")
    page.goto(f"{base}/audit/?kind=person&key={tenant.pk}")
    body = page.content()
    assert "alice" in body and "租户核查" in body and TENANT[1] not in body
    page.screenshot(path=str(SHOTS / "audit.png"), full_page=True)
