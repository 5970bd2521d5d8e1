from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from tests.campaigns.conftest import World, make_id, running_campaign
from tests.conftest import COUNTY, OTHER_TOWN, TOWN, make_user
from ybss.access.models import Jurisdiction
from ybss.access.roles import Role
from ybss.campaigns import actions
from ybss.campaigns.actions import Occupant
from ybss.campaigns.models import Campaign, Outcome, WorkItem
from ybss.campaigns.progress import Progress

pytestmark = pytest.mark.django_db


def _progress_world(w: World) -> Campaign:
    campaign = running_campaign(w)
    plan = [(w.c1, 0, Outcome.COLLECTED), (w.c1, 1, Outcome.VACANT), (w.c1, 2, Outcome.NOBODY_HOME)]
    plan += [(w.c2, 0, Outcome.REFUSED), (w.c2, 1, Outcome.DEMOLISHED)]
    for n, (who, index, outcome) in enumerate(plan):
        item = WorkItem.objects.filter(campaign=campaign, assignee=who).order_by("code")[index]
        occupants = [Occupant(name="赵六", id_number=make_id(60 + n))] if outcome == Outcome.COLLECTED else []
        visit, _ = actions.submit_visit(
            who, item, outcome=outcome, idempotency_key=f"d{n}", occupants=occupants
        )
        actions.approve(w.officer, visit)
    return campaign


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_dashboard_figures_equal_the_rates(world: World) -> None:
    campaign = _progress_world(world)
    supervisor = make_user("county", Role.SUPERVISOR, COUNTY, kind=Jurisdiction.Kind.COUNTY_BUREAU)
    page = _client(supervisor).get(reverse("campaigns:dashboard", args=[campaign.pk])).content.decode()
    figures = actions.rates(campaign)
    # 8 rooms, one demolished: 7 expected, collected + vacant = 2.
    assert figures.expected == 7 and figures.collected == 2
    assert f'data-value="{float(figures.collection_rate or 0)}"' in page
    assert "28.6%" in page
    # Drill down: the station, the community, then the two collectors.
    progress = Progress(campaign, supervisor)
    (station,) = progress.children("")
    assert station.key.startswith("j:") and station.rates.expected == 7
    (community,) = progress.children(station.key)
    assert community.key == f"c:{world.community.code}"
    collectors = {n.label: n.rates for n in progress.children(community.key)}
    assert collectors["collector1"].collected == 2 and collectors["collector1"].expected == 4
    assert collectors["collector2"].expected == 3 and collectors["collector2"].refused == 1
    drilled = (
        _client(supervisor)
        .get(reverse("campaigns:dashboard", args=[campaign.pk]), {"node": community.key})
        .content.decode()
    )
    assert "collector1" in drilled and "collector2" in drilled


def test_drill_follows_the_jurisdiction_tree(world: World) -> None:
    campaign = _progress_world(world)
    station = Jurisdiction.objects.create(
        name="涿鹿镇派出所", kind=Jurisdiction.Kind.STATION, prefixes=[TOWN]
    )
    area = Jurisdiction.objects.create(
        name="鼓楼警务区",
        kind=Jurisdiction.Kind.POLICING_AREA,
        parent=station,
        prefixes=[world.community.code],
    )
    progress = Progress(campaign, world.admin)
    roots = progress.children("")
    assert [n.label for n in roots] == ["涿鹿镇派出所"]
    (policing,) = progress.children(roots[0].key)
    assert policing.label == area.name and policing.rates.expected == 7
    (community,) = progress.children(policing.key)
    assert community.key == f"c:{world.community.code}"
    assert {n.label for n in progress.children(community.key)} == {"collector1", "collector2"}
    grid = Jurisdiction.objects.create(
        name="第一网格", kind=Jurisdiction.Kind.GRID, parent=area, prefixes=[world.community.code]
    )
    (grid_node,) = progress.children(policing.key)
    assert grid_node.label == grid.name
    assert {n.label for n in progress.children(grid_node.key)} == {"collector1", "collector2"}


def test_export_and_access(world: World) -> None:
    campaign = _progress_world(world)
    response = _client(world.admin).get(reverse("campaigns:dashboard_export", args=[campaign.pk]))
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    assert ws is not None
    rows = list(ws.iter_rows(values_only=True))
    assert rows[2][:4] == ("区域/采集员", "应采", "已采", "采集率")
    assert rows[-1][0] == "合计" and rows[-1][1] == 7 and rows[-1][2] == 2
    assert _client(world.c1).get(reverse("campaigns:dashboard", args=[campaign.pk])).status_code == 403
    other = make_user("zhangjiabao", Role.STATION_ADMIN, OTHER_TOWN)
    assert _client(other).get(reverse("campaigns:dashboard", args=[campaign.pk])).status_code == 404
    assert _client(other).get(reverse("campaigns:dashboard", args=[999999])).status_code == 404


def test_furthest_behind_lists_lowest_rates_first(world: World) -> None:
    campaign = _progress_world(world)
    (community,) = Progress(campaign, world.admin).furthest_behind()
    assert community.rates.collection_rate == (Decimal(2) / Decimal(7)).quantize(Decimal("0.0001"))


def test_areas_finer_than_a_community_are_counted_exactly(world: World) -> None:
    campaign = _progress_world(world)
    building = world.rooms[0].parent
    assert building is not None
    grid = Jurisdiction.objects.create(
        name="一号楼网格", kind=Jurisdiction.Kind.GRID, prefixes=[building.code]
    )
    progress = Progress(campaign, world.admin)
    node = progress.node(f"j:{grid.pk}")
    direct = actions.rates(campaign, prefix=building.code)
    assert node.rates.expected == direct.expected == 4
    assert node.rates.collected == direct.collected
    # And a community summed from the per-community table equals the direct count.
    assert progress.node(f"c:{world.community.code}").rates == actions.rates(
        campaign, prefix=world.community.code
    )
