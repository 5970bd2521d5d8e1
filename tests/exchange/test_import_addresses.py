from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import COMMUNITY, VILLAGE
from tests.exchange.conftest import write_csv
from ybss.addresses.models import AddressChange, AddressNode, Kind, Road
from ybss.exchange import importing
from ybss.exchange.handlers.addresses import AddressesHandler
from ybss.exchange.models import ImportMode, ImportStatus

pytestmark = pytest.mark.django_db

HEADERS = ["社区/村区划代码", "街路巷", "门牌号", "小区/院落", "村民小组", "楼栋", "单元", "户室"]
OTHER_COMMUNITY = "130731100005"  # 北关社区, same township as 鼓楼社区


def row(division: str = COMMUNITY, **parts: str) -> dict[str, Any]:
    names = {
        "road": "街路巷",
        "doorplate": "门牌号",
        "compound": "小区/院落",
        "group": "村民小组",
        "building": "楼栋",
        "unit": "单元",
        "room": "户室",
    }
    return {"社区/村区划代码": division, **{names[k]: v for k, v in parts.items()}}


def _run(path: Path, actor: Any = None, mode: str = ImportMode.ALL_OR_NOTHING, commit: bool = True) -> Any:
    job = importing.create_job(actor, "addresses", path, path.name, mode)
    job = importing.check(job, actor)
    if commit and job.status == ImportStatus.CHECKED:
        job = importing.commit(job, actor)
    return job


def _csv(tmp_path: Path, rows: list[dict[str, Any]], name: str = "a.csv") -> Path:
    return write_csv(tmp_path / name, rows, headers=HEADERS)


def test_rows_create_their_whole_path_once(tmp_path: Path, community: Any) -> None:
    rows = [
        row(road="幸福路", doorplate="1", compound="和谐小区", building="1", unit="1", room="101"),
        row(road="幸福路", doorplate="1", compound="和谐小区", building="1", unit="1", room="102"),
        row(road="幸福路", doorplate="2"),
    ]
    job = _run(_csv(tmp_path, rows))
    assert job.status == ImportStatus.DONE
    assert job.counts["create"] == 3
    road = Road.objects.get(norm_key="幸福路")
    assert road.division_id == COMMUNITY[:9]  # shared by the township's communities
    rooms = AddressNode.objects.filter(kind=Kind.ROOM).order_by("code")
    assert [r.name for r in rooms] == ["101室", "102室"]
    assert rooms[0].parent == rooms[1].parent  # one unit, not one per row
    assert rooms[0].full_text.endswith("幸福路 1号 和谐小区 1栋 1单元 101室")
    assert AddressNode.objects.filter(kind=Kind.DOORPLATE, division_id=COMMUNITY).count() == 2
    # Every node was made by the action: one history row each, plus the road's.
    assert AddressChange.objects.count() == AddressNode.objects.count() + 1


def test_same_file_twice_changes_nothing(tmp_path: Path, community: Any, village: Any) -> None:
    path = _csv(
        tmp_path,
        [
            row(road="幸福路", doorplate="8", building="2", room="301"),
            row(VILLAGE, group="5", doorplate="12"),
            row(compound="电力家属院", building="甲"),
        ],
    )
    _run(path)
    nodes, changes = AddressNode.objects.count(), AddressChange.objects.count()
    job = _run(path)
    assert job.status == ImportStatus.DONE
    assert job.counts["unchanged"] == 3 and job.counts["create"] == 0
    assert AddressNode.objects.count() == nodes and AddressChange.objects.count() == changes


def test_existing_nodes_are_found_by_their_normalized_keys(tmp_path: Path, building: AddressNode) -> None:
    before = AddressNode.objects.count()
    rows = [
        row(road="轩辕路", doorplate="18号", compound="阳光小区", building="三栋", room="101"),
        row(road="轩辕路", doorplate="18", compound="阳光小区", building="3号楼", room="102"),
        row(road="轩辕路", doorplate="18", compound="阳光小区", building="3#"),
    ]
    job = _run(_csv(tmp_path, rows))
    assert job.status == ImportStatus.DONE
    assert [job.counts[k] for k in ("create", "unchanged")] == [2, 1]
    assert AddressNode.objects.count() == before + 2
    assert set(AddressNode.objects.filter(parent=building).values_list("name", flat=True)) == {
        "101室",
        "102室",
    }


def test_village_group_door_plates(tmp_path: Path, village: Any) -> None:
    job = _run(
        _csv(tmp_path, [row(VILLAGE, group="五组", doorplate="7"), row(VILLAGE, group="5", doorplate="8")])
    )
    assert job.status == ImportStatus.DONE
    group = AddressNode.objects.get(kind=Kind.GROUP)
    assert group.name == "5组" and group.division_id == VILLAGE
    assert sorted(AddressNode.objects.filter(parent=group).values_list("name", flat=True)) == ["7号", "8号"]


@pytest.mark.parametrize(
    ("parts", "column", "words"),
    [
        ({"compound": "阳光小区", "room": "101"}, "户室", "小区/单位院下不能直接建户室"),
        ({"building": "3"}, "楼栋", "楼栋须建在小区/院落或门牌号下"),
        ({"road": "幸福路", "doorplate": "1", "unit": "2"}, "单元", "门牌号下不能直接建单元"),
        ({"road": "幸福路", "group": "3", "doorplate": "1"}, "街路巷", "只能填写一个"),
        ({"doorplate": "9"}, "门牌号", "须属于一条街路巷或一个村民小组"),
        ({"road": "幸福路", "compound": "阳光小区"}, "门牌号", "须填写门牌号"),
        ({"road": "幸福路", "doorplate": "东侧"}, "门牌号", "应为数字"),
        ({}, "", "请至少填写"),
    ],
)
def test_bad_hierarchy_names_the_column(
    tmp_path: Path, community: Any, parts: dict[str, str], column: str, words: str
) -> None:
    good = row(road="幸福路", doorplate="1")
    job = _run(_csv(tmp_path, [good, row(**parts)]))
    assert job.status == ImportStatus.CHECKED
    problem = job.problems.get()
    assert (problem.row, problem.column, problem.level) == (3, column, "error")
    assert words in problem.message
    assert AddressNode.objects.count() == 0 and Road.objects.count() == 0  # the good row waits too


@pytest.mark.parametrize(
    ("code", "words"),
    [("13073110000", "12 位数字"), ("130731100999", "找不到区划代码"), ("鼓楼社区", "12 位数字")],
)
def test_bad_division(tmp_path: Path, community: Any, code: str, words: str) -> None:
    job = _run(_csv(tmp_path, [row(code, road="幸福路", doorplate="1")]))
    problem = job.problems.get()
    assert problem.column == "社区/村区划代码" and words in problem.message


def test_station_admin_imports_only_into_their_area(
    tmp_path: Path, community: Any, alice: Any, carol: Any
) -> None:
    path = _csv(tmp_path, [row(road="幸福路", doorplate="1", building="1")])
    job = _run(path, actor=carol)
    assert job.status == ImportStatus.CHECKED
    problem = job.problems.get()
    assert problem.column == "社区/村区划代码" and "不在您的辖区内" in problem.message
    assert AddressNode.objects.count() == 0
    job = _run(path, actor=alice)
    assert job.status == ImportStatus.DONE and AddressNode.objects.count() == 2
    assert set(AddressChange.objects.values_list("actor__username", flat=True)) == {"alice"}


def test_repeated_and_overlapping_rows(tmp_path: Path, community: Any) -> None:
    full = row(road="幸福路", doorplate="3", building="1", room="101")
    rows = [
        full,
        row(road="幸福路", doorplate="3"),
        full,
        row(road="幸福路", doorplate="3", building="1", room="102"),
    ]
    job = _run(_csv(tmp_path, rows))
    assert job.status == ImportStatus.DONE
    # Row 3 adds nothing row 2 did not; row 4 repeats row 2; row 5 adds one room.
    assert [job.counts[k] for k in ("create", "unchanged", "skip")] == [2, 1, 1]
    assert job.problems.get().code == "duplicate_row"
    assert AddressNode.objects.filter(kind=Kind.ROOM).count() == 2
    assert AddressNode.objects.filter(kind=Kind.DOORPLATE).count() == 1


def test_door_plate_of_another_community_is_refused(tmp_path: Path, building: AddressNode) -> None:
    # 轩辕路18号 is in 鼓楼社区; a row placing it in 北关社区 is a mistake, not a second 18号.
    job = _run(_csv(tmp_path, [row(OTHER_COMMUNITY, road="轩辕路", doorplate="18", building="5")]))
    problem = job.problems.get()
    assert problem.column == "门牌号" and "鼓楼社区" in problem.message
    job = _run(
        _csv(
            tmp_path,
            [row(road="轩辕路", doorplate="20"), row(OTHER_COMMUNITY, road="轩辕路", doorplate="20")],
            "b.csv",
        )
    )
    assert job.problems.get().row == 3
    assert not AddressNode.objects.filter(name="20号").exists()


def test_valid_only_mode_creates_the_good_rows(tmp_path: Path, community: Any) -> None:
    rows = [row(road="幸福路", doorplate="1"), row(building="7")]
    job = _run(_csv(tmp_path, rows), mode=ImportMode.VALID_ONLY)
    assert job.status == ImportStatus.DONE
    assert list(AddressNode.objects.values_list("name", flat=True)) == ["1号"]
    assert importing.rejected_path(job).exists()


def test_a_chunk_is_checked_in_a_few_queries(
    community: Any, building: AddressNode, django_assert_max_num_queries: Any
) -> None:
    from ybss.addresses import actions

    actions.batch_create_rooms(None, building, actions.RoomPattern(10, 2, 10))
    keys = {c.header: c.key for c in AddressesHandler.columns}
    numbers = [(u, f"{f}{n:02d}") for u in (1, 2) for f in range(1, 11) for n in range(1, 11)]
    records = [
        (
            i + 2,
            {
                keys[h]: v
                for h, v in row(
                    road="轩辕路", doorplate="18", compound="阳光小区", building="3", unit=str(u), room=r
                ).items()
            },
        )
        for i, (u, r) in enumerate(numbers)
    ]
    handler = AddressesHandler(None, {})
    with django_assert_max_num_queries(8):
        plans = handler.plan(records)
    assert len(plans) == 200 and {p.op for p in plans} == {"unchanged"}
    # Later chunks reuse what earlier ones looked up.
    handler.seen.clear()
    handler.paths.clear()
    with django_assert_max_num_queries(0):
        handler.plan(records)


def fill_template(client: Any, kind: str, path: Path, rows: list[dict[str, Any]]) -> Path:
    """The downloaded .xlsx template with ``rows`` typed into its 数据 sheet, as a user would."""
    import io

    from django.urls import reverse
    from openpyxl import load_workbook

    response = client.get(reverse("exchange:template", args=[kind, "xlsx"]))
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    sheet = wb["数据"]
    headers = [c.value for c in sheet[1]]
    for number, values in enumerate(rows, start=2):
        for column, header in enumerate(headers, start=1):
            if values.get(header) not in (None, ""):
                sheet.cell(row=number, column=column, value=values[header])
    wb.save(path)
    return path


def test_filled_template_imports(tmp_path: Path, community: Any, alice: Any, alice_client: Any) -> None:
    path = fill_template(
        alice_client, "addresses", tmp_path / "a.xlsx", [row(road="幸福路", doorplate="6", room="1")]
    )
    job = _run(path, actor=alice)
    assert job.status == ImportStatus.DONE and job.counts["create"] == 1
    assert AddressNode.objects.get(kind=Kind.ROOM).full_text.endswith("幸福路 6号 1室")
