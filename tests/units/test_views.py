from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from tests.units.conftest import credit_code, make_unit, wrong_check
from ybss.addresses.models import AddressNode
from ybss.people.models import Person
from ybss.units import actions
from ybss.units.models import Employment, Unit

pytestmark = pytest.mark.django_db


def test_list_is_scoped_masks_phones_and_filters(
    alice_client: Client, unit: Unit, far_unit: Unit, building: AddressNode
) -> None:
    actions.update_unit(None, unit, expected_version=1, contact_name="张经理", contact_phone="13812345678")
    other = make_unit(building, "鼓楼快递站", special_industries=["logistics"])
    r = alice_client.get("/units/")
    body = r.content.decode()
    assert r.status_code == 200
    assert "鼓楼便利店" in body and "鼓楼快递站" in body and "远方商店" not in body
    assert "138****5678" in body and "13812345678" not in body
    body = alice_client.get("/units/", {"industry": "logistics"}).content.decode()
    assert "鼓楼快递站" in body and "鼓楼便利店" not in body
    actions.add_licence(
        None,
        other,
        kind="营业执照",
        number="B1",
        valid_from=date(2020, 1, 1),
        valid_to=date.today() + timedelta(days=20),
    )
    body = alice_client.get("/units/", {"expiring": "30"}).content.decode()
    assert "鼓楼快递站" in body and "鼓楼便利店" not in body


def test_detail_shows_licences_employees_completeness_and_history(
    alice_client: Client, unit: Unit, zhang: Person, li: Person
) -> None:
    actions.add_licence(None, unit, kind="特种行业许可证", number="TX-01", valid_from=date(2020, 1, 1))
    job = actions.add_employment(None, unit, zhang, valid_from=date(2021, 1, 1), role="前台")
    actions.end_employment(None, job, expected_version=1, valid_to=date(2022, 1, 1))
    actions.add_employment(None, unit, li, valid_from=date(2022, 3, 1), role="保安")
    r = alice_client.get(f"/units/{unit.pk}/")
    body = r.content.decode()
    assert r.status_code == 200
    assert "TX-01" in body and "前台" in body and "保安" in body
    assert "曾在职" in body and "必采项完整度" in body and "✗ 法定代表人" in body
    assert "从业信息" in body  # the history names the employment rows


def test_carol_gets_404_for_alices_unit(carol_client: Client, unit: Unit) -> None:
    assert carol_client.get(f"/units/{unit.pk}/").status_code == 404
    assert carol_client.get(f"/units/{unit.pk}/edit/").status_code == 404
    missing = carol_client.get("/units/999999/")
    theirs = carol_client.get(f"/units/{unit.pk}/")
    assert missing.content == theirs.content


def test_bob_reads_but_may_not_write(bob_client: Client, unit: Unit) -> None:
    assert bob_client.get(f"/units/{unit.pk}/").status_code == 200
    assert bob_client.get(f"/units/{unit.pk}/edit/").status_code == 403
    r = bob_client.post(
        f"/units/{unit.pk}/edit/", {"name": "督导改的", "unit_type": "enterprise", "version": 1}
    )
    assert r.status_code == 403
    unit.refresh_from_db()
    assert unit.name == "鼓楼便利店"


def test_create_page_prefills_address_and_creates(alice_client: Client, building: AddressNode) -> None:
    r = alice_client.get("/units/new/", {"address": building.pk})
    assert r.status_code == 200 and building.code in r.content.decode()
    r = alice_client.post(
        "/units/new/",
        {
            "address_code": building.code,
            "name": "鼓楼宾馆",
            "unit_type": "enterprise",
            "credit_code": credit_code(),
            "special_industries": ["hotel"],
            "business_status": "open",
        },
    )
    unit = Unit.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/units/{unit.pk}/"
    assert unit.special_industry_codes == ["hotel"]


def test_create_page_shows_credit_code_error_on_its_field(
    alice_client: Client, building: AddressNode
) -> None:
    r = alice_client.post(
        "/units/new/",
        {
            "address_code": building.code,
            "name": "鼓楼宾馆",
            "unit_type": "enterprise",
            "credit_code": wrong_check(credit_code()),
        },
    )
    assert r.status_code == 400
    assert "统一社会信用代码：统一社会信用代码第 18 位（校验码）" in r.content.decode()
    assert not Unit.objects.exists()


def test_create_page_refuses_address_outside_jurisdiction(
    alice_client: Client, far_plate: AddressNode
) -> None:
    r = alice_client.post(
        "/units/new/", {"address_code": far_plate.code, "name": "越界", "unit_type": "enterprise"}
    )
    assert r.status_code == 400 and "找不到该地址编码" in r.content.decode()


def test_edit_with_stale_version_shows_conflict(alice_client: Client, unit: Unit) -> None:
    data = {"name": "鼓楼大酒店", "unit_type": "enterprise", "version": 1, "credit_code": unit.credit_code}
    assert alice_client.post(f"/units/{unit.pk}/edit/", data).status_code == 302
    r = alice_client.post(f"/units/{unit.pk}/edit/", {**data, "name": "再改一次"})
    assert r.status_code == 400 and "该记录已被他人修改，请刷新后重试。" in r.content.decode()
    unit.refresh_from_db()
    assert unit.name == "鼓楼大酒店" and unit.version == 2


def test_edit_form_carries_version_and_keeps_phone_when_blank(alice_client: Client, unit: Unit) -> None:
    unit = actions.update_unit(None, unit, expected_version=1, contact_phone="13812345678")
    r = alice_client.get(f"/units/{unit.pk}/edit/")
    assert 'name="version" value="2"' in r.content.decode()
    assert "13812345678" not in r.content.decode()
    data = {"name": unit.name, "unit_type": unit.unit_type, "version": 2, "industry": "住宿"}
    assert alice_client.post(f"/units/{unit.pk}/edit/", data).status_code == 302
    unit.refresh_from_db()
    assert unit.contact_phone == "13812345678" and unit.industry == "住宿"


def test_add_licence_page_refuses_reversed_dates(alice_client: Client, unit: Unit) -> None:
    url = f"/units/{unit.pk}/licences/new/"
    r = alice_client.post(
        url, {"kind": "营业执照", "number": "A1", "valid_from": "2024-05-01", "valid_to": "2024-01-01"}
    )
    assert r.status_code == 400 and "结束日期不能早于开始日期" in r.content.decode()
    r = alice_client.post(url, {"kind": "营业执照", "number": "A1", "valid_from": "2024-05-01"})
    assert r.status_code == 302 and unit.licences.count() == 1


def test_add_and_end_employment_pages(alice_client: Client, unit: Unit, zhang: Person) -> None:
    r = alice_client.post(
        f"/units/{unit.pk}/employees/new/", {"person": zhang.pk, "role": "店员", "valid_from": "2023-01-01"}
    )
    assert r.status_code == 302
    job = Employment.objects.get()
    r = alice_client.post(
        f"/units/{unit.pk}/employees/new/", {"person": zhang.pk, "valid_from": "2023-06-01"}
    )
    assert r.status_code == 400 and "时间重叠" in r.content.decode()
    r = alice_client.get(f"/units/employments/{job.pk}/end/")
    assert r.status_code == 200
    r = alice_client.post(f"/units/employments/{job.pk}/end/", {"valid_to": "2023-12-31", "version": 1})
    assert r.status_code == 302
    job.refresh_from_db()
    assert job.valid_to == date(2023, 12, 31)


def test_employment_page_hides_people_outside_jurisdiction(
    alice_client: Client, unit: Unit, far_person: Person
) -> None:
    r = alice_client.post(
        f"/units/{unit.pk}/employees/new/", {"person": far_person.pk, "valid_from": "2023-01-01"}
    )
    missing = alice_client.post(
        f"/units/{unit.pk}/employees/new/", {"person": 999999, "valid_from": "2023-01-01"}
    )
    assert r.status_code == missing.status_code == 400
    assert "找不到该人员" in r.content.decode() and "王芳" not in r.content.decode()


def test_stale_unit_is_flagged(alice_client: Client, unit: Unit, settings: Any) -> None:
    settings.YBSS_STALE_MONTHS = 12
    assert "已超期，待核实" not in alice_client.get(f"/units/{unit.pk}/").content.decode()
    Unit.objects.filter(pk=unit.pk).update(last_confirmed=date.today() - timedelta(days=400))
    assert "已超期，待核实" in alice_client.get(f"/units/{unit.pk}/").content.decode()
