from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.exchange.conftest import make_id, write_csv
from tests.exchange.test_import_addresses import fill_template
from tests.units.conftest import credit_code, make_person, make_unit
from ybss.addresses import actions as address_actions
from ybss.addresses.models import AddressNode, Kind
from ybss.divisions.models import Division
from ybss.exchange import importing
from ybss.exchange.handlers.houses import HousesHandler
from ybss.exchange.models import ImportMode, ImportStatus
from ybss.houses.models import House, HouseVersion, Tenancy
from ybss.people.models import Person
from ybss.units.models import Unit

pytestmark = pytest.mark.django_db

HEADERS = [
    "房屋地址",
    "房屋用途",
    "房屋结构",
    "建筑面积",
    "产权人证件号码",
    "产权单位统一社会信用代码",
    "出租人证件号码",
    "承租人证件号码",
    "起租日期",
    "止租日期",
    "租赁登记备案号",
    "已签订治安责任书",
]
OWNER, TENANT_A, TENANT_B, OUTSIDER = (make_id(seq=s) for s in ("311", "321", "332", "341"))


@pytest.fixture
def people(rooms: list[AddressNode]) -> dict[str, Person]:
    return {
        "owner": make_person("房东甲", OWNER, rooms[3]),
        "a": make_person("租客乙", TENANT_A, rooms[3]),
        "b": make_person("租客丙", TENANT_B, rooms[3]),
    }


@pytest.fixture
def far_person(db: Any) -> Person:
    """Someone living in 张家堡镇 (130731101), outside alice's station."""
    village = Division.objects.filter(code__startswith="130731101", level=5).order_by("code").first()
    group = address_actions.create_node(None, Kind.GROUP, "1", division=village)
    plate = address_actions.create_node(None, Kind.DOORPLATE, "1", parent=group)
    return make_person("王芳", make_id(seq="352"), plate)


@pytest.fixture
def owner_unit(rooms: list[AddressNode]) -> Unit:
    building = rooms[0].parent
    assert building is not None
    return make_unit(building, "鼓楼物业公司", credit_code=credit_code("MA0HX001"), unit_type="enterprise")


def house_row(room: AddressNode | str, use: str = "出租", **kw: Any) -> dict[str, Any]:
    row = {"房屋地址": room if isinstance(room, str) else room.full_text, "房屋用途": use}
    row.update(kw)
    return row


def rented(room: AddressNode, *tenants: str, **kw: Any) -> dict[str, Any]:
    values = {
        "产权人证件号码": OWNER,
        "出租人证件号码": OWNER,
        "承租人证件号码": "、".join(tenants or (TENANT_A,)),
        "起租日期": "2024-03-01",
    }
    values.update(kw)
    return house_row(room, **values)


def _run(path: Path, actor: Any = None, mode: str = ImportMode.ALL_OR_NOTHING, commit: bool = True) -> Any:
    job = importing.create_job(actor, "houses", path, path.name, mode)
    job = importing.check(job, actor)
    if commit and job.status == ImportStatus.CHECKED:
        job = importing.commit(job, actor)
    return job


def _csv(tmp_path: Path, rows: list[dict[str, Any]], name: str = "h.csv") -> Path:
    return write_csv(tmp_path / name, rows, headers=HEADERS)


def test_houses_with_owners_and_tenancies(
    tmp_path: Path, rooms: list[AddressNode], people: dict[str, Person], owner_unit: Unit
) -> None:
    rows = [
        rented(
            rooms[0],
            TENANT_A,
            TENANT_B,
            房屋结构="砖混",
            建筑面积="86.5",
            租赁登记备案号="ZL-001",
            已签订治安责任书="是",
        ),
        house_row(rooms[1], "经营", 产权单位统一社会信用代码=owner_unit.credit_code),
    ]
    job = _run(_csv(tmp_path, rows))
    assert job.status == ImportStatus.DONE, list(job.problems.values_list("message", flat=True))
    assert job.counts["create"] == 2
    first = House.objects.get(address=rooms[0])
    assert (first.use, first.structure, first.floor_area) == ("rented", "brick_concrete", Decimal("86.50"))
    assert first.owner_person == people["owner"]
    tenancy = Tenancy.objects.get(house=first)
    assert set(tenancy.tenants.all()) == {people["a"], people["b"]}
    assert tenancy.landlord == people["owner"] and tenancy.security_agreement_signed
    assert tenancy.registration_number == "ZL-001" and tenancy.valid_from == date(2024, 3, 1)
    assert House.objects.get(address=rooms[1]).owner_unit == owner_unit
    assert sorted(HouseVersion.objects.values_list("record", "action")) == [
        ("house", "create"),
        ("house", "create"),
        ("tenancy", "create"),
    ]


def test_same_file_twice_changes_nothing(
    tmp_path: Path, rooms: list[AddressNode], people: dict[str, Person], owner_unit: Unit
) -> None:
    path = _csv(
        tmp_path,
        [
            rented(rooms[0], TENANT_B, TENANT_A, 止租日期="2099-12-31", 已签订治安责任书="否"),
            rented(rooms[0], TENANT_A, 起租日期="2023-01-01", 止租日期="2023-12-31"),
            house_row(rooms[1], "自住", 建筑面积=90, 产权单位统一社会信用代码=owner_unit.credit_code),
            house_row(rooms[2], "空置"),
        ],
    )
    _run(path)
    counts = (House.objects.count(), Tenancy.objects.count(), HouseVersion.objects.count())
    job = _run(path)
    assert job.status == ImportStatus.DONE
    assert job.counts["unchanged"] == 4 and job.counts["create"] == 0 and job.counts["update"] == 0
    assert (House.objects.count(), Tenancy.objects.count(), HouseVersion.objects.count()) == counts


def test_changed_rows_become_updates_with_history(
    tmp_path: Path, rooms: list[AddressNode], people: dict[str, Person]
) -> None:
    _run(_csv(tmp_path, [rented(rooms[0], 建筑面积="80")], "a.csv"))
    house = House.objects.get()
    rows = [
        # House changed, the same tenancy now has an end date, and a second tenancy starts.
        rented(rooms[0], 建筑面积="82", 房屋结构="钢混", 止租日期="2099-06-30"),
        rented(rooms[0], TENANT_B, 起租日期="2024-05-01"),
    ]
    job = _run(_csv(tmp_path, rows, "b.csv"))
    assert job.status == ImportStatus.DONE
    assert job.counts["update"] == 2
    house.refresh_from_db()
    assert (house.floor_area, house.structure, house.version) == (Decimal("82.00"), "rc", 2)
    first, second = Tenancy.objects.order_by("valid_from")
    assert first.valid_to == date(2099, 6, 30) and first.version == 2
    assert list(second.tenants.all()) == [people["b"]]
    update = house.versions.get(record="house", action="update")
    assert update.changes == {"floor_area": ["80.00", "82.00"], "structure": ["", "rc"]}
    assert update.reason == "批量导入：b.csv"
    assert house.versions.filter(record="tenancy", action="end").count() == 1


def test_empty_cells_keep_what_is_stored(
    tmp_path: Path, rooms: list[AddressNode], people: dict[str, Person]
) -> None:
    _run(_csv(tmp_path, [rented(rooms[0], 建筑面积="80", 房屋结构="砖木")], "a.csv"))
    job = _run(_csv(tmp_path, [house_row(rooms[0])], "b.csv"))
    assert job.counts["unchanged"] == 1
    house = House.objects.get()
    assert (house.floor_area, house.structure, house.owner_person) == (
        Decimal("80.00"),
        "brick_wood",
        people["owner"],
    )


def test_stored_tenancy_details_are_not_overwritten(
    tmp_path: Path, rooms: list[AddressNode], people: dict[str, Person]
) -> None:
    _run(_csv(tmp_path, [rented(rooms[0], 租赁登记备案号="ZL-1")], "a.csv"))
    job = _run(_csv(tmp_path, [rented(rooms[0], 租赁登记备案号="ZL-2")], "b.csv"))
    assert job.status == ImportStatus.DONE and job.counts["unchanged"] == 1
    problem = job.problems.get()
    assert (problem.level, problem.column, problem.code) == ("warning", "租赁登记备案号", "not_updated")
    assert Tenancy.objects.get().registration_number == "ZL-1"


@pytest.mark.parametrize(
    ("change", "column", "words"),
    [
        ({"承租人证件号码": OUTSIDER}, "承租人证件号码", "找不到证件号码"),
        ({"承租人证件号码": f"{TENANT_A}，{OUTSIDER}"}, "承租人证件号码", OUTSIDER),
        ({"产权人证件号码": OWNER[:-1] + ("0" if OWNER[-1] != "0" else "1")}, "产权人证件号码", "校验码"),
        ({"承租人证件号码": ""}, "承租人证件号码", "至少填写一名承租人"),
        ({"起租日期": ""}, "起租日期", "起租日期不能为空"),
        ({"止租日期": "2020-01-01"}, "止租日期", "不能早于开始日期"),
        ({"出租人证件号码": TENANT_A}, "承租人证件号码", "出租人不能同时是承租人"),
        ({"建筑面积": "-5"}, "建筑面积", "大于 0"),
        ({"房屋用途": "仓库"}, "房屋用途", "不是可选的值"),
        (
            {"产权单位统一社会信用代码": credit_code("MA0HX001")},
            "产权单位统一社会信用代码",
            "只能是一个人或一个单位",
        ),
        ({"承租人证件号码": "1.30731E+17"}, "承租人证件号码", "科学计数法"),
    ],
)
def test_bad_rows_name_the_column_and_import_nothing(
    tmp_path: Path,
    rooms: list[AddressNode],
    people: dict[str, Person],
    change: dict[str, str],
    column: str,
    words: str,
) -> None:
    job = _run(_csv(tmp_path, [rented(rooms[0]), rented(rooms[1], **change)]))
    assert job.status == ImportStatus.CHECKED
    problem = job.problems.get()
    assert (problem.row, problem.column, problem.level) == (3, column, "error")
    assert words in problem.message
    assert House.objects.count() == 0


def test_house_address_must_be_a_room_or_a_door_plate(
    tmp_path: Path, rooms: list[AddressNode], building: AddressNode
) -> None:
    job = _run(_csv(tmp_path, [house_row(building, "自住")]))
    problem = job.problems.get()
    assert problem.column == "房屋地址" and "户室" in problem.message
    assert House.objects.count() == 0


def test_one_house_with_several_tenancies_in_one_file(
    tmp_path: Path, rooms: list[AddressNode], people: dict[str, Person]
) -> None:
    rows = [rented(rooms[0], TENANT_A), rented(rooms[0], TENANT_B, 起租日期="2024-06-01")]
    job = _run(_csv(tmp_path, rows))
    assert job.status == ImportStatus.DONE
    assert (job.counts["create"], job.counts["update"]) == (1, 1)
    assert House.objects.count() == 1 and Tenancy.objects.count() == 2
    clash = [rented(rooms[1]), rented(rooms[1], TENANT_B, 房屋用途="自住", 起租日期="2024-06-01")]
    job = _run(_csv(tmp_path, clash, "b.csv"))
    problem = job.problems.get()
    assert (problem.row, problem.column, problem.code) == (3, "房屋用途", "duplicate_in_file")


def test_station_admin_sees_only_their_area(
    tmp_path: Path,
    rooms: list[AddressNode],
    people: dict[str, Person],
    alice: Any,
    carol: Any,
    far_person: Any,
) -> None:
    job = _run(_csv(tmp_path, [rented(rooms[0])]), actor=carol)
    assert job.problems.get().level in ("missing", "unsure") and House.objects.count() == 0
    # A tenant living in another station's area answers like one who is not registered.
    job = _run(_csv(tmp_path, [rented(rooms[0], far_person.id_number)], "b.csv"), actor=alice)
    problem = job.problems.get()
    assert problem.column == "承租人证件号码" and "找不到" in problem.message
    job = _run(_csv(tmp_path, [rented(rooms[0])], "c.csv"), actor=alice)
    assert job.status == ImportStatus.DONE
    assert set(House.objects.get().versions.values_list("actor", flat=True)) == {alice.pk}


def test_valid_only_mode(tmp_path: Path, rooms: list[AddressNode], people: dict[str, Person]) -> None:
    rows = [rented(rooms[0]), rented(rooms[1], 承租人证件号码=OUTSIDER)]
    job = _run(_csv(tmp_path, rows), mode=ImportMode.VALID_ONLY)
    assert job.status == ImportStatus.DONE
    assert list(House.objects.values_list("address", flat=True)) == [rooms[0].pk]


def _records(rows: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    keys = {c.header: c.key for c in HousesHandler.columns}
    return [(i + 2, {keys[h]: v for h, v in r.items()}) for i, r in enumerate(rows)]


def test_checking_a_chunk_takes_the_same_queries_for_more_rows(
    rooms: list[AddressNode], people: dict[str, Person]
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(n: int) -> int:
        rows = [
            rented(rooms[i % 4], 起租日期=f"2024-01-{i % 28 + 1:02d}", 建筑面积=str(50 + i % 4))
            for i in range(n)
        ]
        with CaptureQueriesContext(connection) as ctx:
            plans = HousesHandler(None, {}).plan(_records(rows))
        assert not any(p.blocked for p in plans)
        return len(ctx.captured_queries)

    counts = queries(40), queries(8)
    assert counts[0] == counts[1]


def test_filled_template_imports(
    tmp_path: Path, rooms: list[AddressNode], people: dict[str, Person], alice: Any, alice_client: Any
) -> None:
    path = fill_template(
        alice_client, "houses", tmp_path / "h.xlsx", [rented(rooms[0], 已签订治安责任书="是")]
    )
    job = _run(path, actor=alice)
    assert job.status == ImportStatus.DONE and job.counts["create"] == 1
    assert Tenancy.objects.get().security_agreement_signed
