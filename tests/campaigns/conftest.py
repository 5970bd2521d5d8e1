"""A small campaign world: two buildings in 鼓楼社区, a station administrator, an officer, two collectors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from tests.conftest import TOWN, make_user
from ybss.access.roles import Role
from ybss.addresses import actions as address_actions
from ybss.addresses.models import AddressNode, Kind, Road
from ybss.campaigns import actions
from ybss.campaigns.models import Campaign
from ybss.divisions.models import Division
from ybss.lib.idcard import check_char


def make_id(seq: int, birth: str = "19900101") -> str:
    base = f"130731{birth}{seq:03d}"
    return base + check_char(base)


@dataclass
class World:
    community: Division
    rooms: list[AddressNode]
    admin: Any
    officer: Any
    c1: Any
    c2: Any


@pytest.fixture
def world(community: Division, road: Road) -> World:
    plate = address_actions.create_node(None, Kind.DOORPLATE, "20", division=community, road=road)
    rooms: list[AddressNode] = []
    for name in ("1", "2"):
        building = address_actions.create_node(None, Kind.BUILDING, name, parent=plate)
        rooms += address_actions.batch_create_rooms(None, building, address_actions.RoomPattern(2, 0, 2))
    return World(
        community=community,
        rooms=rooms,
        admin=make_user("station", Role.STATION_ADMIN, TOWN),
        officer=make_user("officer", Role.OFFICER, TOWN),
        c1=make_user("collector1", Role.COLLECTOR, TOWN),
        c2=make_user("collector2", Role.COLLECTOR, TOWN),
    )


def running_campaign(w: World, **kw: Any) -> Campaign:
    campaign = actions.create_campaign(
        w.admin,
        name="2026 年冬季集中采集",
        area_codes=[w.community.code],
        starts_on=date.today() - timedelta(days=1),
        ends_on=date.today() + timedelta(days=30),
        **kw,
    )
    actions.build_work_list(w.admin, campaign)
    actions.assign(w.admin, campaign, [w.c1, w.c2])
    return actions.set_status(w.admin, campaign, Campaign.Status.ACTIVE)
