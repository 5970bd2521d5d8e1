from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.exchange.conftest import make_id, write_csv
from tests.exchange.test_import_addresses import fill_template
from tests.rundates import TOMORROW_TEXT, at_run_time
from tests.units.conftest import credit_code, make_person, make_unit, wrong_check
from ybss.addresses import actions as address_actions
from ybss.addresses.models import AddressNode, Kind
from ybss.divisions.models import Division
from ybss.exchange import importing
from ybss.exchange.handlers.units import UnitsHandler
from ybss.exchange.models import ImportMode, ImportStatus
from ybss.people.models import Person
from ybss.units.models import Employment, Unit, UnitVersion

pytestmark = pytest.mark.django_db

HEADERS = [
    "单位名称",
    "统一社会信用代码",
    "单位类型",
    "所属行业",
    "特种行业",
    "经营状态",
    "单位地址",
    "法定代表人证件号码",
    "联系人",
    "联系电话",
    "从业人员证件号码",
    "岗位",
    "入职日期",
    "离职日期",
]
BOSS, CLERK, COOK, OUTSIDER = (make_id(seq=s) for s in ("411", "421", "431", "441"))
HOTEL = credit_code("MA0HT001")
SHOP = credit_code("MA0GW002")


@pytest.fixture
def people(rooms: list[AddressNode]) -> dict[str, Person]:
    return {
        "boss": make_person("老板甲", BOSS, rooms[3]),
        "clerk": make_person("店员乙", CLERK, rooms[3]),
        "cook": make_person("厨师丙", COOK, rooms[3]),
    }


def unit_row(address: AddressNode, name: str = "鼓楼宾馆", code: str = HOTEL, **kw: Any) -> dict[str, Any]:
    row = {"单位名称": name, "统一社会信用代码": code, "单位类型": "企业", "单位地址": address.full_text}
    row.update(kw)
    return row


def staff(address: AddressNode, number: str, start: str = "2024-03-01", **kw: Any) -> dict[str, Any]:
    return unit_row(address, 从业人员证件号码=number, 入职日期=start, **kw)


def _run(path: Path, actor: Any = None, mode: str = ImportMode.ALL_OR_NOTHING, commit: bool = True) -> Any:
    job = importing.create_job(actor, "units", path, path.name, mode)
    job = importing.check(job, actor)
    if commit and job.status == ImportStatus.CHECKED:
        job = importing.commit(job, actor)
    return job


def _csv(tmp_path: Path, rows: list[dict[str, Any]], name: str = "u.csv") -> Path:
    return write_csv(tmp_path / name, rows, headers=HEADERS)


def test_units_with_their_employees(
    tmp_path: Path, building: AddressNode, rooms: list[AddressNode], people: dict[str, Person]
) -> None:
    rows = [
        staff(
            building,
            CLERK,
            岗位="前台",
            特种行业="旅馆业、娱乐场所",
            经营状态="营业",
            法定代表人证件号码=BOSS,
            联系人="老板甲",
            联系电话="138 0013 8000",
            所属行业="住宿业",
        ),
        staff(building, COOK, 岗位="厨师"),  # the same unit again, another employee
        unit_row(rooms[0], "小张修鞋铺", "", 单位类型="个体工商户"),
    ]
    job = _run(_csv(tmp_path, rows))
    assert job.status == ImportStatus.DONE, list(job.problems.values_list("message", flat=True))
    assert (job.counts["create"], job.counts["update"]) == (2, 1)
    hotel = Unit.objects.get(credit_code=HOTEL)
    assert hotel.special_industry_codes == ["hotel", "entertainment"]
    assert (hotel.business_status, hotel.industry, hotel.contact_phone) == ("open", "住宿业", "13800138000")
    assert hotel.legal_representative == people["boss"] and hotel.address == building
    assert dict(hotel.employments.values_list("person__name", "role")) == {"店员乙": "前台", "厨师丙": "厨师"}
    shop = Unit.objects.get(name="小张修鞋铺")
    assert (shop.credit_code, shop.unit_type, shop.address) == ("", "individual", rooms[0])
    assert sorted(UnitVersion.objects.values_list("record", "action")) == [
        ("employment", "create"),
        ("employment", "create"),
        ("unit", "create"),
        ("unit", "create"),
    ]


def test_same_file_twice_changes_nothing(
    tmp_path: Path, building: AddressNode, rooms: list[AddressNode], people: dict[str, Person]
) -> None:
    path = _csv(
        tmp_path,
        [
            staff(building, CLERK, 特种行业="旅馆业", 联系电话="13800138000", 法定代表人证件号码=BOSS),
            staff(building, COOK, 离职日期="2024-10-31"),
            unit_row(rooms[0], "小张修鞋铺", ""),
        ],
    )
    _run(path)
    counts = (Unit.objects.count(), Employment.objects.count(), UnitVersion.objects.count())
    job = _run(path)
    assert job.status == ImportStatus.DONE
    assert job.counts["unchanged"] == 3 and job.counts["create"] == 0 and job.counts["update"] == 0
    assert (Unit.objects.count(), Employment.objects.count(), UnitVersion.objects.count()) == counts


def test_changed_unit_becomes_an_update_with_history(
    tmp_path: Path, building: AddressNode, rooms: list[AddressNode], people: dict[str, Person]
) -> None:
    _run(_csv(tmp_path, [staff(building, CLERK, 经营状态="营业")], "a.csv"))
    unit = Unit.objects.get()
    rows = [
        staff(
            building,
            CLERK,
            离职日期="2024-12-31",
            单位名称="鼓楼快捷宾馆",
            经营状态="停业",
            单位地址=rooms[1].full_text,
        )
    ]
    job = _run(_csv(tmp_path, rows, "b.csv"))
    assert job.status == ImportStatus.DONE and job.counts["update"] == 1
    unit.refresh_from_db()
    assert (unit.name, unit.business_status, unit.address, unit.version) == (
        "鼓楼快捷宾馆",
        "suspended",
        rooms[1],
        2,
    )
    update = unit.versions.get(record="unit", action="update")
    assert update.changes["name"] == ["鼓楼宾馆", "鼓楼快捷宾馆"] and update.reason == "批量导入：b.csv"
    assert set(update.changes) == {"name", "business_status", "address"}
    assert Employment.objects.get().valid_to == date(2024, 12, 31)
    assert unit.versions.filter(record="employment", action="end").count() == 1


def test_without_a_credit_code_the_unit_is_found_by_name_and_address(
    tmp_path: Path, building: AddressNode
) -> None:
    make_unit(building, "鼓楼便利店")
    job = _run(
        _csv(tmp_path, [unit_row(building, "鼓楼便利店", "", 单位类型="个体工商户", 所属行业="零售业")])
    )
    assert job.counts["update"] == 1
    assert Unit.objects.get().industry == "零售业"
    # The same name at another address is another unit.
    compound = building.parent
    assert compound is not None
    job = _run(_csv(tmp_path, [unit_row(compound, "鼓楼便利店", "", 单位类型="个体工商户")], "b.csv"))
    assert job.counts["create"] == 1 and Unit.objects.count() == 2


def test_empty_cells_keep_what_is_stored(
    tmp_path: Path, building: AddressNode, people: dict[str, Person]
) -> None:
    full = unit_row(
        building,
        特种行业="旅馆业",
        经营状态="营业",
        联系人="老板甲",
        联系电话="13800138000",
        法定代表人证件号码=BOSS,
    )
    _run(_csv(tmp_path, [full], "a.csv"))
    job = _run(_csv(tmp_path, [unit_row(building)], "b.csv"))
    assert job.counts["unchanged"] == 1
    unit = Unit.objects.get()
    assert (unit.special_industries, unit.contact_name, unit.legal_representative) == (
        ",hotel,",
        "老板甲",
        people["boss"],
    )


@pytest.mark.parametrize(
    ("change", "column", "words"),
    [
        ({"统一社会信用代码": wrong_check(SHOP)}, "统一社会信用代码", "校验码"),
        ({"单位类型": "公司"}, "单位类型", "不是可选的值"),
        ({"特种行业": "旅馆业、网吧"}, "特种行业", "网吧"),
        ({"经营状态": "倒闭"}, "经营状态", "不是可选的值"),
        ({"联系电话": "12345"}, "联系电话", ""),
        ({"单位名称": "<script>"}, "单位名称", "不允许的字符"),
        ({"法定代表人证件号码": OUTSIDER}, "法定代表人证件号码", "找不到证件号码"),
        ({"从业人员证件号码": OUTSIDER, "入职日期": "2024-01-01"}, "从业人员证件号码", "找不到"),
        ({"从业人员证件号码": CLERK}, "入职日期", "入职日期不能为空"),
        ({"从业人员证件号码": CLERK, "入职日期": TOMORROW_TEXT}, "入职日期", "不能晚于今天"),
        (
            {"从业人员证件号码": CLERK, "入职日期": "2024-05-01", "离职日期": "2024-04-01"},
            "离职日期",
            "不能早于",
        ),
        ({"岗位": "店员"}, "从业人员证件号码", "没有填写从业人员证件号码"),
    ],
)
def test_bad_rows_name_the_column_and_import_nothing(
    tmp_path: Path,
    building: AddressNode,
    rooms: list[AddressNode],
    people: dict[str, Person],
    change: dict[str, str],
    column: str,
    words: str,
) -> None:
    bad = unit_row(rooms[0], "鼓楼小卖部", SHOP, **at_run_time(change))
    job = _run(_csv(tmp_path, [unit_row(building), bad]))
    assert job.status == ImportStatus.CHECKED
    problem = job.problems.get()
    assert (problem.row, problem.column, problem.level) == (3, column, "error")
    assert words in problem.message
    assert Unit.objects.count() == 0


def test_unit_may_not_sit_on_a_village_group(tmp_path: Path, village: Division) -> None:
    group = address_actions.create_node(None, Kind.GROUP, "3", division=village)
    job = _run(_csv(tmp_path, [unit_row(group)]))
    problem = job.problems.get()
    assert problem.column == "单位地址" and "门牌号" in problem.message


def test_rows_of_one_unit_must_agree(
    tmp_path: Path, building: AddressNode, people: dict[str, Person]
) -> None:
    rows = [staff(building, CLERK), staff(building, COOK, 单位名称="另一家宾馆"), staff(building, CLERK)]
    job = _run(_csv(tmp_path, rows))
    assert job.status == ImportStatus.CHECKED
    problems = {p.code: p for p in job.problems.all()}
    assert problems["duplicate_in_file"].row == 3 and problems["duplicate_in_file"].column == "单位名称"
    assert problems["duplicate_row"].row == 4 and problems["duplicate_row"].level == "warning"
    assert Unit.objects.count() == 0


def test_existing_employment_is_kept_and_an_overlap_refused(
    tmp_path: Path, building: AddressNode, people: dict[str, Person]
) -> None:
    _run(_csv(tmp_path, [staff(building, CLERK, 岗位="前台")], "a.csv"))
    job = _run(_csv(tmp_path, [staff(building, CLERK, 岗位="经理")], "b.csv"))
    assert job.status == ImportStatus.DONE and job.counts["unchanged"] == 1
    problem = job.problems.get()
    assert (problem.level, problem.column, problem.code) == ("warning", "岗位", "not_updated")
    assert Employment.objects.get().role == "前台"
    job = _run(_csv(tmp_path, [staff(building, CLERK, "2024-06-01")], "c.csv"))
    problem = job.problems.get()
    assert (problem.column, problem.code) == ("入职日期", "overlap")
    assert Employment.objects.count() == 1


def test_station_admin_and_units_elsewhere(
    tmp_path: Path, building: AddressNode, people: dict[str, Person], alice: Any, carol: Any
) -> None:
    village = Division.objects.filter(code__startswith="130731101", level=5).order_by("code").first()
    group = address_actions.create_node(None, Kind.GROUP, "1", division=village)
    plate = address_actions.create_node(None, Kind.DOORPLATE, "1", parent=group)
    make_unit(plate, "远方商店", credit_code=SHOP)
    # A code registered in another station's area is not silently moved here.
    job = _run(_csv(tmp_path, [unit_row(building, "远方商店", SHOP)]), actor=alice)
    problem = job.problems.get()
    assert (problem.column, problem.code) == ("统一社会信用代码", "out_of_scope")
    job = _run(_csv(tmp_path, [unit_row(building)], "b.csv"), actor=carol)
    assert job.problems.get().level in ("missing", "unsure")
    job = _run(_csv(tmp_path, [staff(building, CLERK)], "c.csv"), actor=alice)
    assert job.status == ImportStatus.DONE
    assert set(UnitVersion.objects.filter(unit__credit_code=HOTEL).values_list("actor", flat=True)) == {
        alice.pk
    }


def test_valid_only_mode(tmp_path: Path, building: AddressNode, people: dict[str, Person]) -> None:
    rows = [staff(building, CLERK), staff(building, OUTSIDER)]
    job = _run(_csv(tmp_path, rows), mode=ImportMode.VALID_ONLY)
    assert job.status == ImportStatus.DONE
    assert Unit.objects.count() == 1 and Employment.objects.get().person == people["clerk"]


def test_checking_a_chunk_takes_the_same_queries_for_more_rows(
    building: AddressNode, rooms: list[AddressNode], people: dict[str, Person]
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    keys = {c.header: c.key for c in UnitsHandler.columns}

    def queries(n: int) -> int:
        rows = [
            staff(
                rooms[i % 4],
                (CLERK, COOK)[i % 2],
                f"2024-01-{i // 8 + 1:02d}",
                单位名称=f"商店{i // 2}",
                统一社会信用代码="",
            )
            for i in range(n)
        ]
        records = [(i + 2, {keys[h]: v for h, v in r.items()}) for i, r in enumerate(rows)]
        with CaptureQueriesContext(connection) as ctx:
            plans = UnitsHandler(None, {}).plan(records)
        assert not any(p.blocked for p in plans), [p.problems for p in plans if p.blocked][:1]
        return len(ctx.captured_queries)

    make_unit(building, "已有单位")
    counts = queries(40), queries(8)
    assert counts[0] == counts[1]


def test_filled_template_imports(
    tmp_path: Path, building: AddressNode, people: dict[str, Person], alice: Any, alice_client: Any
) -> None:
    path = fill_template(
        alice_client, "units", tmp_path / "u.xlsx", [staff(building, CLERK, 特种行业="旅馆业")]
    )
    job = _run(path, actor=alice)
    assert job.status == ImportStatus.DONE and job.counts["create"] == 1
    assert Unit.objects.get().employments.get().person == people["clerk"]
