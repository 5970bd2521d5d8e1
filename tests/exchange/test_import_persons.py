from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.exchange.conftest import make_id, person_row, write_csv
from ybss.addresses.models import AddressNode
from ybss.audit.models import AuditEvent
from ybss.exchange import importing
from ybss.exchange.models import ImportMode, ImportStatus
from ybss.people.models import Person, PersonVersion, Residence

pytestmark = pytest.mark.django_db


def _run(path: Path, actor: Any = None, mode: str = ImportMode.ALL_OR_NOTHING, commit: bool = True) -> Any:
    job = importing.create_job(actor, "persons", path, path.name, mode)
    job = importing.check(job, actor)
    if commit and job.status == ImportStatus.CHECKED:
        job = importing.commit(job, actor)
    return job


def test_check_then_commit_creates_people_at_their_rooms(tmp_path: Path, rooms: list[AddressNode]) -> None:
    rows = [person_row(f"张{c}", make_id(seq=f"12{i}"), rooms[i % 4]) for i, c in enumerate("一二三四五")]
    path = write_csv(tmp_path / "p.csv", rows)
    job = importing.create_job(None, "persons", path, path.name)
    job = importing.check(job, None)
    assert job.status == ImportStatus.CHECKED
    assert job.counts["create"] == 5 and job.counts["problem_rows"] == 0
    assert Person.objects.count() == 0  # the check writes nothing
    job = importing.commit(job, None)
    assert job.status == ImportStatus.DONE
    assert Person.objects.count() == 5
    assert Residence.objects.filter(address=rooms[0], valid_to__isnull=True).count() == 2
    assert not Path(job.stored_path or "/nonexistent").exists()
    actions = list(AuditEvent.objects.filter(action="import").values_list("extra", flat=True))
    assert {a["phase"] for a in actions} == {"check", "commit"}
    assert all(a["sha256"] == job.file_sha256 for a in actions)


def test_same_file_twice_changes_nothing(tmp_path: Path, rooms: list[AddressNode]) -> None:
    rows = [
        person_row("王五", make_id(seq="131"), rooms[0]),
        person_row("赵六", make_id(seq="141"), rooms[1]),
    ]
    path = write_csv(tmp_path / "p.csv", rows)
    _run(path)
    versions = PersonVersion.objects.count()
    job = _run(path)
    assert job.status == ImportStatus.DONE
    assert job.counts["unchanged"] == 2 and job.counts["create"] == 0 and job.counts["update"] == 0
    assert PersonVersion.objects.count() == versions


def test_changed_row_becomes_an_update_with_history(tmp_path: Path, rooms: list[AddressNode]) -> None:
    number = make_id(seq="151")
    _run(write_csv(tmp_path / "a.csv", [person_row("孙七", number, rooms[0])]))
    job = _run(
        write_csv(
            tmp_path / "b.csv",
            [person_row("孙七", number, rooms[2], 联系电话="13800138000", 起居日期="2024-05-01")],
        )
    )
    assert job.counts["update"] == 1
    person = Person.objects.get()
    assert person.phone == "13800138000"
    residence = person.current_residence()
    assert residence is not None and residence.address == rooms[2]
    assert list(person.versions.values_list("action", flat=True)) == [
        "create",
        "update",
        "move_out",
        "move_in",
    ]


def test_one_bad_row_imports_nothing(tmp_path: Path, rooms: list[AddressNode]) -> None:
    good = person_row("周八", make_id(seq="161"), rooms[0])
    bad = person_row(
        "吴九", make_id(seq="171")[:-1] + "0" if not make_id(seq="171").endswith("0") else "1", rooms[1]
    )
    job = _run(write_csv(tmp_path / "p.csv", [good, bad]))
    assert job.status == ImportStatus.CHECKED
    assert job.counts["problem_rows"] == 1
    problem = job.problems.get(level="error")
    assert problem.row == 3 and problem.column == "证件号码" and "校验" in problem.message
    assert Person.objects.count() == 0


def test_valid_only_mode_imports_good_rows_and_returns_the_rest(
    tmp_path: Path, rooms: list[AddressNode]
) -> None:
    good = person_row("郑十", make_id(seq="181"), rooms[0])
    bad = person_row("", make_id(seq="191"), rooms[1])
    job = _run(write_csv(tmp_path / "p.csv", [good, bad]), mode=ImportMode.VALID_ONLY)
    assert job.status == ImportStatus.DONE
    assert Person.objects.count() == 1
    assert importing.rejected_path(job).exists()
    from openpyxl import load_workbook

    ws = load_workbook(importing.rejected_path(job)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "原行号" and rows[1][0] == 3 and "姓名不能为空" in rows[1][-1]


def _one_digit_off(number: str) -> str:
    """The same number with one body digit changed and the check character recomputed: a valid ID."""
    from ybss.lib.idcard import check_char

    body = number[:16] + ("1" if number[16] != "1" else "3")
    return body + check_char(body)


def test_near_duplicate_of_an_existing_person_is_held_back(tmp_path: Path, rooms: list[AddressNode]) -> None:
    number = make_id(seq="211")
    _run(write_csv(tmp_path / "a.csv", [person_row("钱多多", number, rooms[0])]))
    near = _one_digit_off(number)
    job = _run(write_csv(tmp_path / "b.csv", [person_row("钱多多", near, rooms[1])]))
    assert job.status == ImportStatus.CHECKED
    problem = job.problems.get(level="duplicate")
    assert problem.candidates == [{"person": Person.objects.get().pk}]
    assert Person.objects.count() == 1
    # An officer decides they are different people: the row then imports.
    job.decisions = {str(problem.row): {"import_anyway": True}}
    job.save()
    job = importing.commit(importing.check(job, None), None)
    assert job.status == ImportStatus.DONE and Person.objects.count() == 2
    # Imported anyway, the pair waits in the duplicate review queue for an officer's decision.
    from ybss.dedupe.models import DuplicatePair

    pair = DuplicatePair.objects.get()
    assert pair.status == "pending"
    assert {pair.person_l_id, pair.person_r_id} == set(Person.objects.values_list("pk", flat=True))


def test_same_name_and_birth_with_a_distant_number_is_not_a_duplicate(
    tmp_path: Path, rooms: list[AddressNode]
) -> None:
    _run(write_csv(tmp_path / "a.csv", [person_row("张伟", make_id(seq="221"), rooms[0])]))
    job = _run(write_csv(tmp_path / "b.csv", [person_row("张伟", make_id(seq="957"), rooms[1])]))
    assert job.status == ImportStatus.DONE and Person.objects.count() == 2


def test_repeated_rows_in_a_file(tmp_path: Path, rooms: list[AddressNode]) -> None:
    number = make_id(seq="231")
    same = person_row("冯一", number, rooms[0])
    job = _run(write_csv(tmp_path / "a.csv", [same, person_row("陈二", make_id(seq="241"), rooms[1]), same]))
    assert job.status == ImportStatus.DONE
    assert job.counts["skip"] == 1 and Person.objects.count() == 2
    clash = person_row("冯一", number, rooms[1])
    job = _run(write_csv(tmp_path / "b.csv", [person_row("冯一", number, rooms[0]), clash]), commit=False)
    assert job.problems.get(level="error").code == "duplicate_in_file"


def test_unsure_address_waits_for_a_choice(tmp_path: Path, rooms: list[AddressNode]) -> None:
    from ybss.addresses import actions as address_actions

    # A second building with the same room numbers: "18号101" could be either 101.
    other = address_actions.create_node(None, "building", "4", parent=rooms[0].parent.parent)  # type: ignore[union-attr]
    address_actions.batch_create_rooms(None, other, address_actions.RoomPattern(1, 0, 2))
    job = _run(
        write_csv(tmp_path / "a.csv", [person_row("褚三", make_id(seq="251"), "轩辕路18号101")]), commit=False
    )
    problem = job.problems.get()
    assert problem.level == "unsure" and problem.column == "居住地址"
    assert rooms[0].code in {c["code"] for c in problem.candidates}
    assert Person.objects.count() == 0
    job.decisions = {str(problem.row): {"address": rooms[0].code}}
    job.save()
    job = importing.commit(importing.check(job, None), None)
    assert job.status == ImportStatus.DONE
    residence = Person.objects.get().current_residence()
    assert residence is not None and residence.address == rooms[0]


def test_missing_address_is_reported_not_created(tmp_path: Path, rooms: list[AddressNode]) -> None:
    before = AddressNode.objects.count()
    job = _run(write_csv(tmp_path / "a.csv", [person_row("卫四", make_id(seq="261"), "涿鹿镇不存在路999号")]))
    assert job.problems.get().level == "missing"
    assert AddressNode.objects.count() == before and Person.objects.count() == 0


def test_station_admin_imports_only_into_their_area(
    tmp_path: Path, rooms: list[AddressNode], alice: Any, carol: Any
) -> None:
    path = write_csv(tmp_path / "a.csv", [person_row("蒋五", make_id(seq="271"), rooms[0])])
    job = _run(path, actor=carol)
    assert job.status == ImportStatus.CHECKED and job.problems.get().level in ("missing", "unsure")
    assert Person.objects.count() == 0
    job = _run(path, actor=alice)
    assert job.status == ImportStatus.DONE and Person.objects.count() == 1


def test_supervisor_may_not_import(tmp_path: Path, rooms: list[AddressNode], bob: Any) -> None:
    from django.core.exceptions import PermissionDenied

    path = write_csv(tmp_path / "a.csv", [person_row("沈六", make_id(seq="281"), rooms[0])])
    with pytest.raises(PermissionDenied):
        importing.create_job(bob, "persons", path, path.name)


def test_old_fifteen_digit_number_matches_the_person(tmp_path: Path, rooms: list[AddressNode]) -> None:
    job = _run(write_csv(tmp_path / "a.csv", [person_row("韩七", "130731900101123", rooms[0])]))
    assert job.status == ImportStatus.DONE
    assert Person.objects.get().id_number == "13073119900101123" + Person.objects.get().id_number[-1]
    job = _run(write_csv(tmp_path / "b.csv", [person_row("韩七", Person.objects.get().id_number, rooms[0])]))
    assert job.counts["unchanged"] == 1


def test_gbk_csv(tmp_path: Path, rooms: list[AddressNode]) -> None:
    path = write_csv(tmp_path / "g.csv", [person_row("杨八", make_id(seq="291"), rooms[0])], encoding="gbk")
    job = _run(path)
    assert job.status == ImportStatus.DONE and Person.objects.get().name == "杨八"


def test_cancel_during_commit_leaves_nothing(tmp_path: Path, rooms: list[AddressNode]) -> None:
    from datetime import date, timedelta

    births = [(date(1960, 1, 1) + timedelta(days=i)).strftime("%Y%m%d") for i in range(2500)]
    rows = [person_row(f"钱{i}", make_id(birth=b, seq="123"), rooms[i % 4]) for i, b in enumerate(births)]
    for i, row in enumerate(rows):
        row["姓名"] = "钱" + "一二三四五六七八九十"[i % 10] + "甲乙丙丁戊己庚辛壬癸"[i // 10 % 10]
    job = importing.check(
        importing.create_job(None, "persons", write_csv(tmp_path / "p.csv", rows), "p.csv"), None
    )
    assert job.counts["create"] == 2500

    def cancel_once_rows_are_written(snapshot: dict[str, Any]) -> None:
        if snapshot["phase"] == "commit" and snapshot["done"] >= 1000:
            importing.cancel_path(job).touch()  # what the page's 取消 button does

    job = importing.commit(
        job, None, importing.Progress(job, on_update=cancel_once_rows_are_written, interval=0)
    )
    assert job.status == ImportStatus.CANCELLED
    assert Person.objects.count() == 0
    assert AuditEvent.objects.filter(action="import", extra__result="cancelled").exists()


def test_a_number_of_a_merged_duplicate_is_refused(tmp_path: Path, rooms: list[AddressNode]) -> None:
    number = make_id(seq="611")
    _run(
        write_csv(
            tmp_path / "a.csv",
            [person_row("吕方", number, rooms[0]), person_row("吕圆", make_id(seq="622"), rooms[1])],
        )
    )
    copy, survivor = Person.objects.get(name="吕方"), Person.objects.get(name="吕圆")
    Person.objects.filter(pk=copy.pk).update(merged_into=survivor)
    job = _run(write_csv(tmp_path / "b.csv", [person_row("吕方", number, rooms[2])]))
    assert job.status == ImportStatus.CHECKED
    assert job.problems.get().code == "merged"
