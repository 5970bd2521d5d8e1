"""What the faster person import must still do: every row checked and reported, state across chunks."""

from __future__ import annotations

import functools
import gc
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests.exchange.conftest import make_id, person_row, write_csv
from ybss.addresses.models import AddressNode
from ybss.exchange import importing
from ybss.exchange.models import ImportMode, ImportStatus
from ybss.lib.idcard import check_char
from ybss.people.models import Person, PersonVersion, Residence

pytestmark = pytest.mark.django_db


def _run(path: Path, actor: Any = None, mode: str = ImportMode.ALL_OR_NOTHING) -> Any:
    job = importing.create_job(actor, "persons", path, path.name, mode)
    job = importing.check(job, actor)
    if job.status == ImportStatus.CHECKED:
        job = importing.commit(job, actor)
    return job


def _one_digit_off(number: str) -> str:
    body = number[:16] + ("1" if number[16] != "1" else "3")
    return body + check_char(body)


def test_a_bad_cell_repeated_on_many_rows_is_reported_on_each(
    tmp_path: Path, rooms: list[AddressNode]
) -> None:
    # Dates and choices are parsed once per distinct text; a bad one must still be named on every row.
    rows = [
        person_row("周一", make_id(seq="311"), rooms[0], **{"起居日期": "2024-13-01"}),
        person_row("周二", make_id(seq="321"), rooms[1], **{"起居日期": "2024-13-01"}),
        person_row("周三", make_id(seq="331"), rooms[2], **{"居住类型": "城堡"}),
        person_row("周四", make_id(seq="341"), rooms[3], **{"居住类型": "城堡"}),
        person_row("周五", make_id(seq="351"), rooms[0]),
    ]
    job = _run(write_csv(tmp_path / "p.csv", rows))
    assert job.status == ImportStatus.CHECKED and Person.objects.count() == 0
    bad = {(p.row, p.field) for p in job.problems.filter(level="error")}
    assert bad == {(2, "valid_from"), (3, "valid_from"), (4, "residence_kind"), (5, "residence_kind")}


def test_good_values_repeated_across_rows_are_the_same_on_each(
    tmp_path: Path, rooms: list[AddressNode]
) -> None:
    rows = [
        person_row(f"吴{c}", make_id(seq=f"4{i}1"), rooms[i % 4], **{"起居日期": "2024年3月1日"})
        for i, c in enumerate("一二三四")
    ]
    job = _run(write_csv(tmp_path / "p.csv", rows))
    assert job.status == ImportStatus.DONE
    assert set(Residence.objects.values_list("valid_from", "kind")) == {(date(2024, 3, 1), "rented")}


def test_near_duplicates_within_one_file_are_held_back(tmp_path: Path, rooms: list[AddressNode]) -> None:
    number = make_id(seq="511")
    rows = [
        person_row("郑好", number, rooms[0]),
        person_row("王其", make_id(seq="521"), rooms[1]),
        person_row("郑好", _one_digit_off(number), rooms[2]),
    ]
    job = _run(write_csv(tmp_path / "p.csv", rows))
    assert job.status == ImportStatus.CHECKED and Person.objects.count() == 0
    problem = job.problems.get(level="duplicate")
    assert problem.row == 4 and problem.candidates == [{"row": 2}]


@pytest.mark.parametrize("on_disk", [False, True])
def test_state_carries_across_chunks(
    tmp_path: Path, rooms: list[AddressNode], monkeypatch: Any, on_disk: bool
) -> None:
    # Repeated rows and near duplicates are found across chunk boundaries too, whether what the
    # import remembers of earlier rows is still in memory or already moved to disk.
    monkeypatch.setattr(importing, "CHUNK", 2)
    if on_disk:
        from ybss.exchange.handlers import persons
        from ybss.lib.diskmap import DiskMap

        monkeypatch.setattr(persons, "DiskMap", functools.partial(DiskMap, in_memory=0))
    number = make_id(seq="611")
    rows = [
        person_row("冯一", number, rooms[0]),
        person_row("陈二", make_id(seq="621"), rooms[1]),
        person_row("褚三", make_id(seq="631"), rooms[2]),
        person_row("冯一", number, rooms[0]),
        person_row("冯一", _one_digit_off(number), rooms[3]),
    ]
    job = _run(write_csv(tmp_path / "p.csv", rows))
    assert job.status == ImportStatus.CHECKED
    assert job.counts["skip"] == 1
    assert job.problems.get(level="warning", code="duplicate_row").row == 5
    # The commit (undone) had written the first chunk: the person may be named too.
    assert {"row": 2} in job.problems.get(level="duplicate").candidates
    rows.pop()
    job = _run(write_csv(tmp_path / "q.csv", rows))
    assert job.status == ImportStatus.DONE and Person.objects.count() == 3
    assert PersonVersion.objects.filter(action="create").count() == 3


def test_reimport_compares_every_field_and_updates_only_changes(
    tmp_path: Path, rooms: list[AddressNode]
) -> None:
    extra = {"联系电话": "13812345678", "户籍地区划代码": "130731100", "工作单位或学校": "某公司"}
    rows = [person_row(f"蒋{c}", make_id(seq=f"7{i}1"), rooms[i], **extra) for i, c in enumerate("一二三")]
    _run(write_csv(tmp_path / "a.csv", rows))
    job = _run(write_csv(tmp_path / "a.csv", rows))
    assert job.counts["unchanged"] == 3 and job.counts["update"] == 0
    rows[0]["联系电话"] = ""
    rows[1]["户籍地区划代码"] = "130731101"
    rows[2]["居住地址"] = rooms[3].full_text
    versions = PersonVersion.objects.count()
    job = _run(write_csv(tmp_path / "b.csv", rows))
    assert job.status == ImportStatus.DONE and job.counts["update"] == 3
    first, second, third = (Person.objects.get(name=f"蒋{c}") for c in "一二三")
    assert first.phone == "" and second.domicile_division_id == "130731101"
    assert third.current_residence().address == rooms[3]  # type: ignore[union-attr]
    assert PersonVersion.objects.count() > versions


def test_a_pass_puts_the_garbage_collector_back(tmp_path: Path, rooms: list[AddressNode]) -> None:
    before = gc.get_threshold()
    _run(write_csv(tmp_path / "p.csv", [person_row("沈一", make_id(seq="811"), rooms[0])]))
    assert gc.get_threshold() == before


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's page cache")
def test_a_commit_puts_the_sqlite_cache_back(tmp_path: Path, rooms: list[AddressNode]) -> None:
    with connection.cursor() as cur:
        cur.execute("PRAGMA cache_size")
        before = cur.fetchone()[0]
    _run(write_csv(tmp_path / "p.csv", [person_row("韩一", make_id(seq="911"), rooms[0])]))
    with connection.cursor() as cur:
        cur.execute("PRAGMA cache_size")
        assert cur.fetchone()[0] == before


def test_people_remembered_per_name_and_birth_pack_and_unpack() -> None:
    from ybss.exchange.handlers.persons import _packed_person, _unpack_people

    numbers = [(2, "130731199001011234"), (70000, "X12345"), (16_777_217, "")]
    assert _unpack_people(b"".join(_packed_person(r, n) for r, n in numbers)) == numbers
    assert _unpack_people(b"") == []


def test_importing_people_into_more_dwellings_reads_no_more_addresses(
    tmp_path: Path, rooms: list[AddressNode]
) -> None:
    # A node loaded with only some fields loads the rest one query per node when read:
    # the checks and the writer must read nothing else of it, however many dwellings.
    from django.test.utils import CaptureQueriesContext

    def address_queries(dwellings: int, first: int) -> int:
        rows = [
            person_row(f"孙{first + i}", make_id(seq=f"{first + i:03d}"), rooms[i % dwellings])
            for i in range(8)
        ]
        path = write_csv(tmp_path / f"p{first}.csv", rows)
        with CaptureQueriesContext(connection) as ctx:
            job = _run(path)
        assert job.status == ImportStatus.DONE and job.counts["create"] == 8
        return sum("addresses_addressnode" in q["sql"] for q in ctx.captured_queries)

    assert address_queries(4, 100) == address_queries(1, 300)
