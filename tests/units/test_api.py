from datetime import date, timedelta

import pytest
from django.test import Client

from tests.units.conftest import credit_code, wrong_check
from ybss.addresses.models import AddressNode
from ybss.people.models import Person
from ybss.units import actions
from ybss.units.models import Unit, UnitVersion

pytestmark = pytest.mark.django_db


def test_create_then_update_with_version(alice_client: Client, building: AddressNode, zhang: Person) -> None:
    r = alice_client.post(
        "/api/v1/units/",
        {
            "address": building.pk,
            "name": "鼓楼宾馆",
            "unit_type": "enterprise",
            "credit_code": credit_code(),
            "special_industries": ["hotel"],
            "contact_name": "张经理",
            "contact_phone": "13812345678",
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["version"] == 1 and body["contact_phone"] == "138****5678"
    assert body["special_industries"] == ["hotel"] and body["address_code"] == building.code
    assert body["completeness"] == {
        "business_status": False,
        "legal_representative": False,
        "contact": True,
        "licences": False,
    }
    url = f"/api/v1/units/{body['id']}/"
    r = alice_client.patch(url, {"business_status": "open"}, content_type="application/json")
    assert r.status_code == 400 and "version" in r.json()
    r = alice_client.patch(
        url,
        {"business_status": "open", "legal_representative": zhang.pk, "version": 1},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["version"] == 2 and r.json()["completeness"]["legal_representative"] is True
    r = alice_client.patch(url, {"name": "改名", "version": 1}, content_type="application/json")
    assert r.status_code == 400 and r.json() == {"version": ["该记录已被他人修改，请刷新后重试。"]}
    history = alice_client.get(url + "history/").json()
    assert [h["version"] for h in history] == [2, 1]


def test_api_names_the_field_of_a_wrong_credit_code(alice_client: Client, building: AddressNode) -> None:
    r = alice_client.post(
        "/api/v1/units/",
        {
            "address": building.pk,
            "name": "鼓楼宾馆",
            "unit_type": "enterprise",
            "credit_code": wrong_check(credit_code()),
        },
        content_type="application/json",
    )
    assert r.status_code == 400 and "校验码" in r.json()["credit_code"][0]


def test_api_address_outside_jurisdiction_reads_as_missing(
    alice_client: Client, far_plate: AddressNode
) -> None:
    data = {"name": "越界", "unit_type": "enterprise"}
    theirs = alice_client.post(
        "/api/v1/units/", {**data, "address": far_plate.pk}, content_type="application/json"
    )
    missing = alice_client.post(
        "/api/v1/units/", {**data, "address": 999999}, content_type="application/json"
    )
    assert theirs.status_code == missing.status_code == 400
    assert theirs.json() == missing.json()


def test_api_scoping_and_read_only_role(
    alice_client: Client, bob_client: Client, carol_client: Client, unit: Unit, far_unit: Unit
) -> None:
    names = [u["name"] for u in alice_client.get("/api/v1/units/").json()["results"]]
    assert names == ["鼓楼便利店"]
    assert carol_client.get(f"/api/v1/units/{unit.pk}/").status_code == 404
    assert bob_client.get(f"/api/v1/units/{unit.pk}/").status_code == 200
    r = bob_client.patch(
        f"/api/v1/units/{unit.pk}/", {"name": "x", "version": 1}, content_type="application/json"
    )
    assert r.status_code == 403


def test_api_licences_employments_and_filters(alice_client: Client, unit: Unit, zhang: Person) -> None:
    base = f"/api/v1/units/{unit.pk}/"
    soon = (date.today() + timedelta(days=50)).isoformat()
    r = alice_client.post(
        base + "licences/",
        {"kind": "特种行业许可证", "number": "T1", "valid_from": "2020-01-01", "valid_to": soon},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    r = alice_client.post(
        base + "licences/",
        {"kind": "营业执照", "number": "T2", "valid_from": "2020-01-01", "valid_to": "2019-01-01"},
        content_type="application/json",
    )
    assert r.status_code == 400 and "valid_to" in r.json()
    assert [u["id"] for u in alice_client.get("/api/v1/units/", {"expiring": 60}).json()["results"]] == [
        unit.pk
    ]
    assert alice_client.get("/api/v1/units/", {"expiring": 30}).json()["count"] == 0
    assert alice_client.get("/api/v1/units/", {"industry": "petrol"}).json()["count"] == 0
    r = alice_client.post(
        base + "employments/",
        {"person": zhang.pk, "valid_from": "2023-01-01"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    r = alice_client.post(
        base + "employments/",
        {"person": zhang.pk, "valid_from": "2023-02-01"},
        content_type="application/json",
    )
    assert r.status_code == 400 and "valid_from" in r.json()
    assert len(alice_client.get(base + "employments/").json()) == 1
    assert UnitVersion.objects.filter(unit=unit).count() == 3


def test_list_query_count_does_not_grow(alice_client: Client, building: AddressNode) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(i: int) -> None:
        u = actions.create_unit(None, building, name=f"店{i}", unit_type="individual")
        actions.add_licence(None, u, kind="营业执照", number=f"N{i}", valid_from=date(2020, 1, 1))

    add(0)
    alice_client.get("/api/v1/units/")  # warm the scope cache and session
    with CaptureQueriesContext(connection) as one:
        alice_client.get("/api/v1/units/")
    for i in range(1, 6):
        add(i)
    with CaptureQueriesContext(connection) as six:
        r = alice_client.get("/api/v1/units/")
    assert r.json()["count"] == 6
    assert len(six) == len(one)
