"""The review pages and the command line."""

from __future__ import annotations

from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from tests.dedupe.conftest import ORIGINAL, TYPO, register
from ybss.addresses.models import AddressNode
from ybss.audit.models import Action, AuditEvent
from ybss.dedupe import actions
from ybss.dedupe.models import DuplicatePair, Merge, PairStatus, ScanRun
from ybss.people.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(rooms: list[AddressNode]) -> DuplicatePair:
    register("李建国", ORIGINAL, rooms[0], phone="13812345678", since=date(2015, 3, 1))
    register("李建国", TYPO, rooms[0], phone="13812345679", since=date(2021, 6, 1))
    actions.scan(None)
    return DuplicatePair.objects.get()


def test_the_queue_lists_pairs_in_scope_only(
    alice_client: Client, carol_client: Client, pair: DuplicatePair
) -> None:
    page = alice_client.get("/dedupe/")
    assert page.status_code == 200
    assert f'data-pair="{pair.pk}"' in page.content.decode()
    theirs = carol_client.get("/dedupe/")
    assert "李建国" not in theirs.content.decode()
    assert carol_client.get(f"/dedupe/{pair.pk}/").status_code == 404
    assert carol_client.post(f"/dedupe/{pair.pk}/merge/").status_code == 404


def test_opening_a_pair_is_audited_and_masked(alice_client: Client, pair: DuplicatePair) -> None:
    page = alice_client.get(f"/dedupe/{pair.pk}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert ORIGINAL not in body and TYPO not in body and "13812345678" not in body
    assert 'class="differs"' in body  # the numbers and phones differ
    assert "只差一位或相邻两位颠倒" in body
    event = AuditEvent.objects.get(action=Action.VIEW_FULL)
    assert event.extra["dedupe_pair"] == pair.pk
    assert event.targets == sorted([f"person:{pair.person_l_id}", f"person:{pair.person_r_id}"])


def test_merge_then_undo_from_the_pages(alice_client: Client, pair: DuplicatePair) -> None:
    response = alice_client.post(f"/dedupe/{pair.pk}/merge/", {"survivor": str(pair.person_l_id)})
    assert response.status_code == 302
    assert Person.objects.get(pk=pair.person_r_id).merged_into_id == pair.person_l_id
    merges = alice_client.get("/dedupe/merges/")
    assert "撤销合并" in merges.content.decode()
    record = Merge.objects.get()
    # The survivor's full record shows both histories.
    detail = alice_client.post(
        f"/people/{pair.person_l_id}/", {"reason": "verify", "reason_text": "核对合并结果"}
    ).content.decode()
    assert f"并入记录 #{pair.person_r_id}" in detail
    assert alice_client.post(f"/dedupe/merges/{record.pk}/undo/").status_code == 302
    assert Person.objects.get(pk=pair.person_r_id).merged_into_id is None
    again = alice_client.post(f"/dedupe/merges/{record.pk}/undo/", follow=True)
    assert "该合并已撤销，不能再次撤销。" in again.content.decode()


def test_different_people_from_the_page(alice_client: Client, pair: DuplicatePair) -> None:
    assert alice_client.post(f"/dedupe/{pair.pk}/different/").status_code == 302
    assert DuplicatePair.objects.get().status == PairStatus.DIFFERENT
    again = alice_client.post(f"/dedupe/{pair.pk}/merge/", follow=True)
    assert "已核查（不同人）" in again.content.decode()


def test_scan_button(alice_client: Client, rooms: list[AddressNode]) -> None:
    register("李建国", ORIGINAL, rooms[0])
    register("李建国", TYPO, rooms[1])
    response = alice_client.post("/dedupe/scan/", follow=True)
    assert "新发现 1 对疑似重复" in response.content.decode()


def test_collectors_may_not_review(db: Any) -> None:
    from tests.conftest import TOWN, make_user
    from ybss.access.roles import Role

    client = Client()
    client.force_login(make_user("cathy", Role.COLLECTOR, TOWN))
    assert client.get("/dedupe/").status_code == 403


def test_command_is_incremental(rooms: list[AddressNode]) -> None:
    register("李建国", ORIGINAL, rooms[0])
    register("李建国", TYPO, rooms[1])
    out = StringIO()
    call_command("dedupe", "persons", "--jurisdiction", "130731100", stdout=out)
    assert "疑似重复 1 对" in out.getvalue() and "全量" in out.getvalue()
    out = StringIO()
    call_command("dedupe", "persons", "--jurisdiction", "130731100002", stdout=out)
    assert "比较 0 条新增或修改的记录" in out.getvalue()
    assert ScanRun.objects.count() == 2


def test_registering_shows_likely_duplicates_first(alice_client: Client, rooms: list[AddressNode]) -> None:
    register("李建国", ORIGINAL, rooms[0])
    form = {
        "name": "李建国",
        "doc_type": "resident_id",
        "id_number": TYPO,
        "nationality": "CHN",
        "valid_from": "2024-01-01",
        "kind": "owned",
    }
    first = alice_client.post(f"/people/move-in/{rooms[1].pk}/", form)
    body = first.content.decode()
    assert first.status_code == 400 and 'id="possible-duplicates"' in body
    assert ORIGINAL not in body
    assert Person.objects.count() == 1
    second = alice_client.post(f"/people/move-in/{rooms[1].pk}/", {**form, "not_duplicate": "1"})
    assert second.status_code == 302
    assert Person.objects.count() == 2
