"""The dashboards: drill-down within the jurisdiction, links to masked lists, small counts,
the monthly report, and the refresh command."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook

from tests.conftest import COMMUNITY
from ybss.access.roles import MATRIX, Cap, Role
from ybss.audit.models import Action, AuditEvent
from ybss.stats import figures
from ybss.stats.models import Snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def refreshed(world: dict[str, Any]) -> dict[str, Any]:
    figures.refresh(world["today"])
    return world


def test_the_supervisor_drills_down_to_a_community_and_opens_a_masked_list(
    refreshed: dict[str, Any], bob_client: Client
) -> None:
    for path in ("/stats/", "/stats/houses/", "/stats/units/", "/stats/quality/"):
        response = bob_client.get(path)
        assert response.status_code == 200, path
        assert "统计时点" in response.content.decode()
    county = figures.for_prefixes(["130731"])
    page = bob_client.get("/stats/").content.decode()
    assert f'data-figure="pop:total">{county["pop:total"]}<' in page
    assert 'href="?node=c%3A130731100"' in page  # bob's root is the county: its townships
    page = bob_client.get("/stats/", {"node": "c:130731100"}).content.decode()
    assert f'?node=c%3A{COMMUNITY}"' in page
    page = bob_client.get("/stats/", {"node": f"c:{COMMUNITY}"}).content.decode()
    here = figures.for_prefixes([COMMUNITY])
    assert f'data-figure="pop:migrant">{here["pop:migrant"]}<' in page
    link = re.search(r'href="(/stats/records/\?node=c%3A' + COMMUNITY + r'&amp;figure=pop%3Amigrant)"', page)
    assert link is not None
    listing = bob_client.get(link.group(1).replace("&amp;", "&"))
    body = listing.content.decode()
    assert listing.status_code == 200
    assert body.count("/people/") >= min(here["pop:migrant"], 50)
    assert re.search(r"\d{6}\*{8}[\dX]{4}", body) or "****" in body  # identifiers masked
    assert not re.search(r"\b\d{17}[\dX]\b", body)  # never a full ID number


def test_a_station_admin_of_another_station_cannot_reach_the_community(
    refreshed: dict[str, Any], carol_client: Client
) -> None:
    node = f"c:{COMMUNITY}"
    for path, extra in [
        ("/stats/", {}),
        ("/stats/houses/", {}),
        ("/stats/records/", {"figure": "pop:total"}),
        ("/stats/report.xlsx", {}),
    ]:
        theirs = carol_client.get(path, {"node": node, **extra})
        nothing = carol_client.get(path, {"node": "c:130731100999", **extra})
        assert theirs.status_code == 404, path
        assert theirs.content == nothing.content
    assert carol_client.get("/stats/", {"node": "c:130731100"}).status_code == 404
    assert carol_client.get("/stats/", {"node": "j:999999"}).status_code == 404
    own = carol_client.get("/stats/").content.decode()
    assert COMMUNITY not in own and "鼓楼" not in own


def test_small_counts_are_hidden_below_station_level_from_who_cannot_see_the_records(
    refreshed: dict[str, Any], bob_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    community = refreshed["defect"][:12]
    assert figures.for_prefixes([community])["quality:no_address"] == 1
    page = bob_client.get("/stats/quality/", {"node": f"c:{community}"}).content.decode()
    assert re.search(
        r'<a href="/stats/records/[^"]*figure=quality%3Ano_address" data-figure="quality:no_address">1<', page
    )
    # A role that may see statistics but not the records behind them.
    monkeypatch.setitem(MATRIX, Role.SUPERVISOR, frozenset({Cap.STATS_VIEW, Cap.ADDRESS_VIEW}))
    page = bob_client.get("/stats/quality/", {"node": f"c:{community}"}).content.decode()
    assert '<span data-figure="quality:no_address">&lt;5</span>' in page
    assert "/stats/records/" not in page
    assert (
        bob_client.get(
            "/stats/records/", {"node": f"c:{community}", "figure": "quality:no_address"}
        ).status_code
        == 403
    )
    # At county level the same count is exact: the rule applies below station level only.
    page = bob_client.get("/stats/quality/").content.decode()
    assert '<span data-figure="quality:no_address">1</span>' in page


def test_the_threshold_is_a_setting(
    refreshed: dict[str, Any], bob_client: Client, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.YBSS_STATS_MIN_CELL = 2
    monkeypatch.setitem(MATRIX, Role.SUPERVISOR, frozenset({Cap.STATS_VIEW}))
    community = refreshed["defect"][:12]
    page = bob_client.get("/stats/quality/", {"node": f"c:{community}"}).content.decode()
    assert '<span data-figure="quality:no_address">&lt;2</span>' in page


def test_the_monthly_report_has_tables_charts_date_and_area(
    refreshed: dict[str, Any], bob_client: Client
) -> None:
    community = refreshed["defect"][:12]
    month = refreshed["today"].strftime("%Y-%m")
    response = bob_client.get("/stats/report.xlsx", {"node": f"c:{community}", "month": month})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(response.content))
    ws = wb["概况"]
    title = str(ws["A1"].value)
    year, mon = month.split("-")
    assert f"{year}年{int(mon)}月" in title and "统计月报" in title
    cells = {str(c.value) for row in ws.iter_rows() for c in row if c.value is not None}
    assert "<5" in cells  # the one planted defect is a small count, hidden in what leaves the system
    assert str(figures.for_prefixes([community])["pop:total"]) in cells
    assert len(ws._charts) >= 3
    assert set(wb.sheetnames) >= {"概况", "实有人口", "实有房屋", "实有单位", "数据质量"}
    event = AuditEvent.objects.filter(action=Action.EXPORT).latest("seq")
    assert event.extra["kind"] == "stats_report" and event.extra["month"] == month
    assert bob_client.get("/stats/report.xlsx", {"month": "1999-01"}).status_code == 404


def test_pages_without_a_refresh_say_so(bob_client: Client) -> None:
    page = bob_client.get("/stats/").content.decode()
    assert "ybss stats refresh" in page


def test_the_refresh_command(world: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    call_command("stats", "refresh")
    assert "已刷新统计" in capsys.readouterr().out
    snap = Snapshot.objects.get()
    assert snap.rows > 0
    call_command("stats", "refresh")
    assert Snapshot.objects.count() == 2
