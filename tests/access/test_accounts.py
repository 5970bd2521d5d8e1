from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.conftest import COUNTY, make_user
from ybss.access.models import Jurisdiction, UserAccess
from ybss.access.roles import Role
from ybss.audit.models import Action, AuditEvent

pytestmark = pytest.mark.django_db


def _station_with_area(alice: Any) -> tuple[Jurisdiction, Jurisdiction]:
    station = UserAccess.objects.get(user=alice).jurisdictions.get()
    area = Jurisdiction.objects.create(
        name="鼓楼警务区", kind=Jurisdiction.Kind.POLICING_AREA, parent=station, prefixes=["130731100002"]
    )
    return station, area


def test_station_admin_creates_a_collector_in_their_station(alice_client: Client, alice: Any) -> None:
    _, area = _station_with_area(alice)
    response = alice_client.post(
        "/access/accounts/", {"username": "li", "role": "collector", "jurisdictions": [str(area.pk)]}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "初始密码" in body
    user = get_user_model().objects.get(username="li")
    assert UserAccess.objects.get(user=user).role == Role.COLLECTOR and list(
        UserAccess.objects.get(user=user).jurisdictions.all()
    ) == [area]
    assert AuditEvent.objects.filter(action=Action.ACCESS_CHANGE, actor_name="alice").count() == 1


def test_station_admin_cannot_reach_beyond_the_station(alice_client: Client, alice: Any, carol: Any) -> None:
    other = UserAccess.objects.get(user=carol).jurisdictions.get()
    response = alice_client.post(
        "/access/accounts/", {"username": "li", "role": "collector", "jurisdictions": [str(other.pk)]}
    )
    assert response.status_code == 400
    response = alice_client.post(
        "/access/accounts/", {"username": "li", "role": "auditor", "jurisdictions": []}
    )
    assert response.status_code == 400
    assert not get_user_model().objects.filter(username="li").exists()
    # carol belongs to another station: not found, exactly like a missing account
    assert alice_client.get(f"/access/accounts/{carol.pk}/").status_code == 404
    assert alice_client.get("/access/accounts/999999/").status_code == 404
    assert "carol" not in alice_client.get("/access/accounts/").content.decode()


def test_edit_deactivate_and_reset(alice_client: Client, alice: Any) -> None:
    _, area = _station_with_area(alice)
    alice_client.post(
        "/access/accounts/", {"username": "li", "role": "collector", "jurisdictions": [str(area.pk)]}
    )
    li = get_user_model().objects.get(username="li")
    response = alice_client.post(
        f"/access/accounts/{li.pk}/", {"role": "officer", "jurisdictions": [str(area.pk)]}
    )
    assert response.status_code == 200
    li.refresh_from_db()
    assert (
        UserAccess.objects.get(user=li).role == Role.OFFICER and not li.is_active
    )  # the unticked box deactivates
    response = alice_client.post(f"/access/accounts/{li.pk}/", {"reset_password": "1"})
    assert "新密码" in response.content.decode()
    # A station admin cannot demote or disable themselves by accident.
    station = UserAccess.objects.get(user=alice).jurisdictions.get()
    response = alice_client.post(
        f"/access/accounts/{alice.pk}/",
        {"role": "collector", "jurisdictions": [str(station.pk)], "active": "on"},
    )
    assert response.status_code == 400


def test_hostile_username_is_refused(alice_client: Client, alice: Any) -> None:
    station, _ = _station_with_area(alice)
    response = alice_client.post(
        "/access/accounts/", {"username": "<script>", "role": "collector", "jurisdictions": [str(station.pk)]}
    )
    assert response.status_code == 400 and "不允许的字符" in response.content.decode()


def test_system_administrator_manages_everyone_but_reads_no_addresses(db: Any, carol: Any) -> None:
    admin = make_user("root", Role.SYSADMIN, COUNTY, kind=Jurisdiction.Kind.COUNTY_BUREAU)
    client = Client()
    client.force_login(admin)
    assert "carol" in client.get("/access/accounts/").content.decode()
    assert client.get("/test/residents/").status_code == 403


def test_system_administrator_maintains_the_purpose_list(db: Any, alice_client: Client) -> None:
    from ybss.access.models import PurposeReason
    from ybss.access.reads import active_reason_codes

    admin = make_user("root", Role.SYSADMIN, COUNTY, kind=Jurisdiction.Kind.COUNTY_BUREAU)
    client = Client()
    client.force_login(admin)
    assert "verify" in active_reason_codes()
    assert (
        client.post("/access/reasons/", {"code": "rescue", "label": "紧急救助", "active": "on"}).status_code
        == 200
    )
    assert (
        client.post("/access/reasons/", {"code": "verify", "label": "核查"}).status_code == 200
    )  # switched off
    assert "rescue" in active_reason_codes() and "verify" not in active_reason_codes()
    assert client.post("/access/reasons/", {"code": "坏代码", "label": "x"}).status_code == 400
    assert client.post("/access/reasons/", {"code": "ok", "label": "<script>"}).status_code == 400
    assert PurposeReason.objects.filter(code="verify").exists()  # never deleted
    assert alice_client.get("/access/reasons/").status_code == 403  # station admins do not
