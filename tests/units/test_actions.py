from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from tests.rundates import TOMORROW, at_run_time
from tests.units.conftest import credit_code, make_unit, wrong_check
from ybss.addresses import actions as address_actions
from ybss.addresses.models import AddressNode, Kind
from ybss.audit.models import AuditEvent
from ybss.core.errors import ActionError
from ybss.people.models import Person
from ybss.units import actions
from ybss.units.models import Employment, Unit, UnitVersion

pytestmark = pytest.mark.django_db


def _audited(kind: str, key: object, action: str) -> int:
    return AuditEvent.objects.filter(action=action, target_rows__kind=kind, target_rows__key=str(key)).count()


def test_create_unit_keeps_normalized_values_version_and_audit(alice: Any, building: AddressNode) -> None:
    code = credit_code()
    unit = actions.create_unit(
        alice,
        building,
        name=" 鼓楼宾馆 ",
        unit_type="enterprise",
        credit_code=code.lower(),
        special_industries=["petrol", "hotel"],
        business_status="open",
        contact_name="张经理",
        contact_phone="138 1234 5678",
    )
    unit.refresh_from_db()
    assert unit.name == "鼓楼宾馆" and unit.credit_code == code
    assert unit.special_industry_codes == ["hotel", "petrol"]
    assert unit.contact_phone == "13812345678"
    assert "13812345678" not in unit.contact_phone_enc and unit.contact_phone_index
    row = UnitVersion.objects.get(unit=unit)
    assert (row.record, row.version, row.action, row.actor) == ("unit", 1, "create", alice)
    assert row.changes["contact_phone"] == "changed"  # never the number itself
    assert _audited("unit", unit.pk, "create") == 1


@pytest.mark.parametrize(
    ("fields", "field", "fragment"),
    [
        ({"credit_code": wrong_check(credit_code())}, "credit_code", "校验码"),
        ({"credit_code": "123"}, "credit_code", "18 位"),
        ({"name": "<script>alert(1)</script>"}, "name", "不允许的字符"),
        ({"name": "  "}, "name", "不能为空"),
        ({"unit_type": "pirate"}, "unit_type", "单位类型"),
        ({"special_industries": ["casino"]}, "special_industries", "特种行业"),
        ({"business_status": "sleeping"}, "business_status", "经营状态"),
        ({"contact_phone": "12345"}, "contact_phone", ""),
        ({"contact_name": "a\x00b"}, "contact_name", "控制字符"),
        ({"industry": "<b>餐饮</b>"}, "industry", "不允许的字符"),
        ({"last_confirmed": TOMORROW}, "last_confirmed", "晚于今天"),
    ],
)
def test_bad_unit_input_is_refused_naming_the_field(
    building: AddressNode, fields: dict[str, Any], field: str, fragment: str
) -> None:
    data = {"name": "鼓楼宾馆", "unit_type": "enterprise", **at_run_time(fields)}
    with pytest.raises(ActionError) as err:
        actions.create_unit(None, building, **data)
    assert err.value.field == field
    assert fragment in err.value.message
    assert not Unit.objects.exists()


def test_credit_code_is_unique_among_units_not_cancelled(unit: Unit, building: AddressNode) -> None:
    with pytest.raises(ActionError) as err:
        make_unit(building, "另一家", credit_code=unit.credit_code)
    assert (err.value.field, err.value.code) == ("credit_code", "duplicate")
    actions.update_unit(None, unit, expected_version=1, business_status="cancelled")
    again = make_unit(building, "另一家", credit_code=unit.credit_code)
    assert again.credit_code == unit.credit_code


def test_unit_on_demolished_address_or_village_group_is_refused(building: AddressNode, village: Any) -> None:
    group = address_actions.create_node(None, Kind.GROUP, "3", division=village)
    with pytest.raises(ActionError) as err:
        make_unit(group)
    assert err.value.field == "address"
    address_actions.demolish_node(None, building)
    building.refresh_from_db()
    with pytest.raises(ActionError) as err:
        make_unit(building)
    assert err.value.field == "address" and "拆除" in err.value.message


def test_update_unit_bumps_version_and_records_what_changed(alice: Any, unit: Unit, zhang: Person) -> None:
    unit = actions.update_unit(
        alice, unit, expected_version=1, reason="实地核查", name="鼓楼大酒店", legal_representative=zhang
    )
    assert unit.version == 2 and unit.name == "鼓楼大酒店" and unit.legal_representative == zhang
    row = UnitVersion.objects.filter(unit=unit).first()
    assert row is not None and row.version == 2 and row.reason == "实地核查"
    assert row.changes["name"] == ["鼓楼便利店", "鼓楼大酒店"]
    assert row.changes["legal_representative"] == [None, zhang.pk]
    assert _audited("unit", unit.pk, "change") == 1


def test_update_without_changes_writes_nothing(unit: Unit) -> None:
    same = actions.update_unit(None, unit, expected_version=1, name=unit.name)
    assert same.version == 1 and UnitVersion.objects.filter(unit=unit).count() == 1


def test_stale_version_is_a_conflict(alice: Any, unit: Unit) -> None:
    actions.update_unit(alice, unit, expected_version=1, industry="住宿")
    with pytest.raises(ActionError) as err:
        actions.update_unit(alice, unit, expected_version=1, industry="餐饮")
    assert (err.value.field, err.value.code) == ("version", "conflict")
    assert err.value.message == "该记录已被他人修改，请刷新后重试。"
    unit.refresh_from_db()
    assert unit.industry == "住宿" and unit.version == 2


def test_missing_version_is_a_conflict(unit: Unit) -> None:
    with pytest.raises(ActionError) as err:
        actions.update_unit(None, unit, expected_version=None, industry="餐饮")
    assert err.value.code == "conflict"


def test_outside_jurisdiction_reads_as_not_found(carol: Any, unit: Unit, building: AddressNode) -> None:
    with pytest.raises(ActionError) as err:
        actions.update_unit(carol, unit, expected_version=1, name="别人的")
    assert err.value.code == "not_found"
    with pytest.raises(ActionError) as err:
        actions.create_unit(carol, building, name="别人的", unit_type="enterprise")
    assert err.value.code == "not_found"


def test_read_only_role_may_not_write(bob: Any, unit: Unit, building: AddressNode) -> None:
    with pytest.raises(PermissionDenied):
        actions.create_unit(bob, building, name="督导的", unit_type="enterprise")
    with pytest.raises(PermissionDenied):
        actions.update_unit(bob, unit, expected_version=1, name="督导的")


def test_legal_representative_outside_jurisdiction_is_not_found(
    alice: Any, unit: Unit, far_person: Person
) -> None:
    with pytest.raises(ActionError) as err:
        actions.update_unit(alice, unit, expected_version=1, legal_representative=far_person)
    assert (err.value.field, err.value.message) == ("legal_representative", "找不到该人员。")
    with pytest.raises(ActionError) as err:
        actions.person_by_pk(alice, 999999, "legal_representative")
    assert err.value.message == "找不到该人员。"


def test_licence_dates_must_not_be_reversed(unit: Unit) -> None:
    with pytest.raises(ActionError) as err:
        actions.add_licence(
            None, unit, kind="营业执照", number="A1", valid_from=date(2024, 5, 1), valid_to=date(2024, 4, 30)
        )
    assert err.value.field == "valid_to"
    licence = actions.add_licence(
        None, unit, kind="营业执照", number="A1", valid_from=date(2024, 5, 1), valid_to=date(2024, 5, 1)
    )
    assert licence.version == 1
    assert UnitVersion.objects.filter(record="licence", record_id=licence.pk).count() == 1


def test_update_licence_checks_version_and_dates(unit: Unit) -> None:
    licence = actions.add_licence(None, unit, kind="营业执照", number="A1", valid_from=date(2024, 5, 1))
    with pytest.raises(ActionError) as err:
        actions.update_licence(None, licence, expected_version=1, valid_to=date(2024, 1, 1))
    assert err.value.field == "valid_to"
    licence = actions.update_licence(None, licence, expected_version=1, valid_to=date(2027, 5, 1))
    assert licence.version == 2
    with pytest.raises(ActionError) as err:
        actions.update_licence(None, licence, expected_version=1, number="A2")
    assert err.value.code == "conflict"


def test_licence_kind_with_markup_is_refused(unit: Unit) -> None:
    with pytest.raises(ActionError) as err:
        actions.add_licence(None, unit, kind="<i>x</i>", number="A1", valid_from=date(2024, 5, 1))
    assert err.value.field == "kind"


def test_employment_overlap_is_refused(unit: Unit, zhang: Person, li: Person) -> None:
    first = actions.add_employment(None, unit, zhang, valid_from=date(2023, 1, 1), role="前台")
    with pytest.raises(ActionError) as err:
        actions.add_employment(None, unit, zhang, valid_from=date(2022, 6, 1), valid_to=date(2023, 1, 1))
    assert (err.value.field, err.value.code) == ("valid_from", "overlap")
    # Another person, or an earlier period that ends before, is fine.
    actions.add_employment(None, unit, li, valid_from=date(2023, 1, 1))
    actions.add_employment(None, unit, zhang, valid_from=date(2022, 1, 1), valid_to=date(2022, 12, 31))
    ended = actions.end_employment(None, first, expected_version=1, valid_to=date(2024, 1, 31))
    assert ended.valid_to == date(2024, 1, 31) and ended.version == 2 and not ended.is_current
    with pytest.raises(ActionError) as err:
        actions.add_employment(None, unit, zhang, valid_from=date(2024, 1, 31))
    assert err.value.code == "overlap"
    again = actions.add_employment(None, unit, zhang, valid_from=date(2024, 2, 1))
    assert again.is_current
    assert Employment.objects.filter(unit=unit, person=zhang).count() == 3


def test_end_employment_checks_dates_and_version(unit: Unit, zhang: Person) -> None:
    job = actions.add_employment(None, unit, zhang, valid_from=date(2023, 1, 1))
    with pytest.raises(ActionError) as err:
        actions.end_employment(None, job, expected_version=1, valid_to=date(2022, 12, 31))
    assert err.value.field == "valid_to"
    with pytest.raises(ActionError) as err:
        actions.end_employment(None, job, expected_version=7, valid_to=date(2023, 12, 31))
    assert err.value.code == "conflict"
    actions.end_employment(None, job, expected_version=1, valid_to=date(2023, 12, 31))
    with pytest.raises(ActionError) as err:
        actions.end_employment(None, job, expected_version=2, valid_to=date(2024, 1, 1))
    assert "已结束" in err.value.message
    rows = UnitVersion.objects.filter(record="employment", record_id=job.pk).order_by("version")
    assert [r.action for r in rows] == ["create", "end"]


def test_employment_of_person_outside_jurisdiction_is_refused(
    alice: Any, unit: Unit, far_person: Person
) -> None:
    with pytest.raises(ActionError) as err:
        actions.add_employment(alice, unit, far_person, valid_from=date(2023, 1, 1))
    assert (err.value.field, err.value.code) == ("person", "not_found")


def test_completeness_per_group(unit: Unit, zhang: Person) -> None:
    assert unit.completeness() == {
        "business_status": True,
        "legal_representative": False,
        "contact": False,
        "licences": False,
    }
    unit = actions.update_unit(
        None,
        unit,
        expected_version=1,
        legal_representative=zhang,
        contact_name="张",
        contact_phone="13812345678",
    )
    actions.add_licence(None, unit, kind="营业执照", number="A1", valid_from=date(2024, 1, 1))
    assert all(unit.completeness().values())


def test_freshness_follows_the_setting(unit: Unit, settings: Any) -> None:
    settings.YBSS_STALE_MONTHS = 12
    assert not unit.is_stale
    Unit.objects.filter(pk=unit.pk).update(last_confirmed=date.today() - timedelta(days=400))
    unit.refresh_from_db()
    assert unit.is_stale and list(Unit.objects.stale()) == [unit]
    settings.YBSS_STALE_MONTHS = 24
    assert not unit.is_stale and not Unit.objects.stale().exists()


def test_queries_for_special_industry_and_expiring_licences(unit: Unit, building: AddressNode) -> None:
    other = make_unit(building, "物流站", special_industries=["logistics"])
    assert list(Unit.objects.with_industry("hotel")) == [unit]
    assert list(Unit.objects.with_industry("logistics")) == [other]
    today = date.today()
    actions.add_licence(
        None,
        unit,
        kind="特种行业许可证",
        number="T1",
        valid_from=date(2020, 1, 1),
        valid_to=today + timedelta(days=45),
    )
    actions.add_licence(
        None,
        other,
        kind="营业执照",
        number="B1",
        valid_from=date(2020, 1, 1),
        valid_to=today - timedelta(days=1),
    )
    assert not Unit.objects.licences_expiring(30).exists()
    assert list(Unit.objects.licences_expiring(60)) == [unit]
