from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from tests.conftest import make_user
from tests.exchange.conftest import HEADERS, make_id, person_row, write_csv
from ybss.access.roles import Role
from ybss.addresses.models import AddressNode
from ybss.exchange.models import ImportJob, ImportStatus
from ybss.people.models import Person

pytestmark = pytest.mark.django_db


def _upload(client: Client, path: Path, mode: str = "all") -> Any:
    with open(path, "rb") as fh:
        return client.post(reverse("exchange:home"), {"kind": "persons", "mode": mode, "file": fh})


def test_template_has_the_headers_and_a_notes_sheet(alice_client: Client) -> None:
    response = alice_client.get(reverse("exchange:template", args=["persons", "xlsx"]))
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    assert [c.value for c in wb["数据"][1]] == HEADERS
    notes = [row[0] for row in wb["填写说明"].iter_rows(min_row=5, values_only=True)]
    assert notes == HEADERS
    assert wb["数据"]["C2"].number_format == "@"  # 证件号码 stays text in Excel
    csv = alice_client.get(reverse("exchange:template", args=["persons", "csv"]))
    assert csv.content.decode("utf-8-sig").strip().split(",") == HEADERS


def test_upload_report_fix_commit(alice_client: Client, tmp_path: Path, rooms: list[AddressNode]) -> None:
    rows = [person_row("赵甲", make_id(seq="311"), rooms[0]), person_row("钱乙", "1.30731E+17", rooms[1])]
    response = _upload(alice_client, write_csv(tmp_path / "p.csv", rows))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("exchange:job", args=[job.pk])
    page = alice_client.get(response["Location"]).content.decode()
    assert "科学计数法" in page and "1.30731E+17" in page and 'id="commit"' not in page
    report = alice_client.get(reverse("exchange:report", args=[job.pk]))
    body = b"".join(report.streaming_content)  # type: ignore[attr-defined]
    wb = load_workbook(io.BytesIO(body))
    listed = list(wb["问题清单"].iter_rows(min_row=2, values_only=True))
    assert listed[0][:2] == (3, "证件号码")
    marked = wb["有问题的行"]
    bad = [c for row in marked.iter_rows(min_row=2) for c in row if c.fill.fgColor.rgb.endswith("FFC7CE")]
    assert [c.value for c in bad] == ["1.30731E+17"]
    # Fix the file and upload again.
    rows[1] = person_row("钱乙", make_id(seq="321"), rooms[1])
    _upload(alice_client, write_csv(tmp_path / "p2.csv", rows))
    job = ImportJob.objects.order_by("-pk")[0]
    assert job.status == ImportStatus.CHECKED
    alice_client.post(reverse("exchange:commit", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and Person.objects.count() == 2
    assert "已导入" in alice_client.get(reverse("exchange:job", args=[job.pk])).content.decode()


def test_hostile_file_is_refused_on_upload(alice_client: Client, tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    path.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptedPackage".encode("utf-16-le") + b"\0" * 600
    )
    response = _upload(alice_client, path)
    assert response.status_code == 200
    assert "密码" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_jobs_are_private_to_their_uploader(
    alice_client: Client, tmp_path: Path, rooms: list[AddressNode]
) -> None:
    _upload(alice_client, write_csv(tmp_path / "p.csv", [person_row("孙丙", make_id(seq="331"), rooms[0])]))
    job = ImportJob.objects.get()
    other = Client()
    other.force_login(make_user("dave", Role.STATION_ADMIN, "130731100"))
    assert other.get(reverse("exchange:job", args=[job.pk])).status_code == 404
    assert other.post(reverse("exchange:commit", args=[job.pk])).status_code == 404
    assert other.get(reverse("exchange:report", args=[job.pk])).status_code == 404


def test_roles_without_import_see_no_page(bob_client: Client) -> None:
    assert bob_client.get(reverse("exchange:home")).status_code == 403


def test_decide_records_choices_only_from_the_candidates(
    alice_client: Client, tmp_path: Path, rooms: list[AddressNode]
) -> None:
    from ybss.addresses import actions as address_actions

    other = address_actions.create_node(None, "building", "4", parent=rooms[0].parent.parent)  # type: ignore[union-attr]
    address_actions.batch_create_rooms(None, other, address_actions.RoomPattern(1, 0, 2))
    _upload(
        alice_client, write_csv(tmp_path / "p.csv", [person_row("李丁", make_id(seq="341"), "轩辕路18号101")])
    )
    job = ImportJob.objects.get()
    problem = job.problems.get(level="unsure")
    alice_client.post(
        reverse("exchange:decide", args=[job.pk]), {f"address-{problem.row}": "130731999999-XXXX"}
    )
    job.refresh_from_db()
    assert job.decisions == {}
    alice_client.post(reverse("exchange:decide", args=[job.pk]), {f"address-{problem.row}": rooms[0].code})
    job.refresh_from_db()
    assert job.decisions == {str(problem.row): {"address": rooms[0].code}}
    assert job.status == ImportStatus.CHECKED and job.counts["problem_rows"] == 0


def test_a_job_whose_process_died_stops_looking_busy(
    alice_client: Client, tmp_path: Path, rooms: list[AddressNode]
) -> None:
    import os
    import time

    from ybss.exchange import importing

    _upload(alice_client, write_csv(tmp_path / "p.csv", [person_row("吴戊", make_id(seq="351"), rooms[0])]))
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.COMMITTING)  # as a killed commit leaves it
    progress = importing.progress_path(job)
    progress.write_text("{}")
    assert alice_client.get(reverse("exchange:progress", args=[job.pk])).json()["status"] == "committing"
    old = time.time() - importing.STALE_SECONDS - 5
    os.utime(progress, (old, old))
    assert alice_client.get(reverse("exchange:progress", args=[job.pk])).json()["status"] == "checked"
    job.refresh_from_db()
    assert "中断" in job.error
