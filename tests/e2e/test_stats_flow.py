"""A county supervisor opens the population dashboard of the demo county, drills down to one
community, follows a figure to its masked list and exports the monthly report; a station
administrator of another station cannot reach that community."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.conftest import COUNTY, OTHER_TOWN, make_user
from tests.e2e.test_people_flow import _login
from ybss.access.models import Jurisdiction
from ybss.access.roles import Role
from ybss.addresses.demo import build_demo
from ybss.demo.population import build_population
from ybss.divisions.loading import load_divisions
from ybss.divisions.models import Division
from ybss.people.models import Person
from ybss.stats import figures

SHOTS = Path(os.environ.get("YBSS_E2E_SHOTS", "var/e2e"))
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_supervisor_drills_down_follows_a_figure_and_exports(
    page: Any, live_server: Any, tmp_path: Path
) -> None:
    if not Division.objects.filter(code="130731100002").exists():
        load_divisions(COUNTY)
    build_demo(seed=7, dwellings=400)
    build_population(seed=7, people=1200)
    figures.refresh()
    make_user("county", Role.SUPERVISOR, COUNTY, kind=Jurisdiction.Kind.COUNTY_BUREAU)
    make_user("other", Role.STATION_ADMIN, OTHER_TOWN)
    # The community where most people live: a place with figures to follow.
    living = Person.objects.exclude(residence_code="").values_list("residence_code", flat=True)
    codes = [c[:12] for c in living]
    community = max(set(codes), key=codes.count)
    township = community[:9]
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url

    _login(page, base, "county")
    page.goto(base + "/stats/")
    page.wait_for_selector("#cards")
    assert "统计时点" in page.inner_text("#as-of")
    page.click(f'a[href="?node=c%3A{township}"]')
    page.wait_for_selector(f'a[href="?node=c%3A{community}"]')
    page.click(f'a[href="?node=c%3A{community}"]')
    page.wait_for_selector("#here-label")
    name = Division.objects.get(code=community).name
    assert page.inner_text("#here-label") in (name, Division.objects.get(code=community).short_name)
    page.screenshot(path=str(SHOTS / "stats-community.png"), full_page=True)

    total = page.locator('a[data-figure="pop:total"]')
    shown = int(total.inner_text())
    assert shown == Person.objects.filter(residence_code__startswith=community).count()
    total.click()
    page.wait_for_selector("table")
    body = page.content()
    masked = re.findall(r"\d{6}\*{8}\d{3}[\dX]", body)
    assert masked, "the list behind a figure shows masked ID numbers"
    assert not re.search(r"(?<!\d)\d{17}[\dX](?!\d)", body), "no full ID number on the list"

    page.goto(f"{base}/stats/?node=c%3A{community}")
    with page.expect_download() as download:
        page.click("#export-report")
    report = tmp_path / "report.xlsx"
    download.value.save_as(report)
    wb = load_workbook(io.BytesIO(report.read_bytes()))
    assert wb.sheetnames and any(name in str(ws["A1"].value) for ws in wb.worksheets)

    # Another station's administrator: the same community is not found.
    page.context.clear_cookies()
    _login(page, base, "other")
    response = page.goto(f"{base}/stats/?node=c%3A{community}")
    assert response is not None and response.status == 404
