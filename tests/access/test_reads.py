from typing import Any

import pytest
from django.db import transaction
from django.test import Client, override_settings

from tests.access.conftest import IDS, make_resident
from tests.testapp.models import Resident
from ybss.access.reads import Purpose, sensitive_read
from ybss.audit import log
from ybss.audit.models import Action, AuditEvent, AuditFlag, AuditHead, AuditTarget
from ybss.lib.idcard import check_char

pytestmark = pytest.mark.django_db
PURPOSE = {"reason": "verify", "reason_text": "入户核查"}


def test_list_is_masked_and_scoped(alice_client: Client, zhang: Resident, wang: Resident) -> None:
    page = alice_client.get("/test/residents/").content.decode()
    assert "张伟" in page and "130731********1231" in page and "138****5678" in page
    assert IDS[0] not in page
    assert "王芳" not in page  # another station's resident


def test_full_record_needs_a_purpose_and_is_audited(alice_client: Client, zhang: Resident) -> None:
    url = f"/test/residents/{zhang.pk}/"
    page = alice_client.get(url).content.decode()
    assert IDS[0] not in page
    response = alice_client.post(url, {"reason": "verify", "reason_text": ""})
    assert response.status_code == 400 and "reason_text" in response.content.decode()
    response = alice_client.post(url, {"reason": "gossip", "reason_text": "好奇"})
    assert response.status_code == 400 and "不在可选范围" in response.content.decode()
    assert not AuditEvent.objects.filter(action=Action.VIEW_FULL).exists()
    response = alice_client.post(url, PURPOSE)
    assert response.status_code == 200 and IDS[0] in response.content.decode()
    event = AuditEvent.objects.get(action=Action.VIEW_FULL)
    assert event.actor_name == "alice" and event.reason_code == "verify" and event.reason_text == "入户核查"
    assert event.targets == [f"person:{zhang.pk}"]
    # "Who has viewed this person" in one query, through the target index.
    assert list(AuditEvent.objects.filter(target_rows__kind="person", target_rows__key=str(zhang.pk))) == [
        event
    ]
    # The read's row is a link of the chain like any other (on PostgreSQL its hash is
    # computed by the database), and the head moved on to it.
    alice_client.post(url, PURPOSE)
    assert log.verify().ok and AuditHead.objects.get().seq == event.seq + 1


def test_not_yours_equals_not_found(alice_client: Client, wang: Resident) -> None:
    theirs = alice_client.post(f"/test/residents/{wang.pk}/", PURPOSE)
    missing = alice_client.post("/test/residents/999999/", PURPOSE)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.content == missing.content
    assert not AuditEvent.objects.filter(action=Action.VIEW_FULL).exists()


def test_search_by_id_finds_only_inside_scope(alice_client: Client, zhang: Resident, wang: Resident) -> None:
    hit = alice_client.post("/test/residents/search/", {"id_number": IDS[0], **PURPOSE}).content.decode()
    assert "张伟" in hit and IDS[0] not in hit
    miss = alice_client.post("/test/residents/search/", {"id_number": IDS[2], **PURPOSE}).content.decode()
    assert "王芳" not in miss
    assert AuditEvent.objects.filter(action=Action.SEARCH_ID).count() == 2
    # The searched number itself never lands in the log.
    assert not AuditEvent.objects.filter(extra__icontains=IDS[0][:14]).exists()


def _sequential_ids(n: int) -> list[str]:
    out = []
    for seq in range(101, 101 + n):
        base = f"13073119900101{seq:03d}"
        out.append(base + check_char(base))
    return out


@override_settings(YBSS_READS_PER_MINUTE=8, YBSS_FLAG_SEQUENTIAL_SEARCHES=5)
def test_enumerating_ids_is_slowed_and_flagged(
    alice_client: Client, zhang: Resident, django_user_model: Any
) -> None:
    statuses = [
        alice_client.post("/test/residents/search/", {"id_number": number, **PURPOSE}).status_code
        for number in _sequential_ids(12)
    ]
    assert statuses[:8] == [200] * 8
    assert set(statuses[8:]) == {429}
    flags = AuditFlag.objects.filter(user__username="alice")
    assert {f.pattern for f in flags} >= {
        AuditFlag.Pattern.SEQUENTIAL_ID_SEARCH,
        AuditFlag.Pattern.RATE_LIMITED,
    }
    assert AuditEvent.objects.filter(action=Action.RATE_LIMITED, outcome="denied").count() == 4


@override_settings(YBSS_FLAG_FULL_READS=5, YBSS_READS_PER_MINUTE=100)
def test_many_full_reads_raise_a_flag_naming_the_records(alice_client: Client, room: Any) -> None:
    people = [make_resident(f"居民{i}", room, _sequential_ids(6)[i]) for i in range(6)]
    for person in people:
        assert alice_client.post(f"/test/residents/{person.pk}/", PURPOSE).status_code == 200
    flag = AuditFlag.objects.get(pattern=AuditFlag.Pattern.MANY_FULL_READS)
    assert flag.user.username == "alice"
    assert {f"person:{p.pk}" for p in people[:5]} <= set(flag.targets)


def test_auditor_sees_flags_and_searches_by_person(
    alice_client: Client, zhang: Resident, django_user_model: Any
) -> None:
    from tests.conftest import COUNTY, make_user
    from ybss.access.models import Jurisdiction
    from ybss.access.roles import Role

    alice_client.post(f"/test/residents/{zhang.pk}/", PURPOSE)
    auditor = make_user("dave", Role.AUDITOR, COUNTY, kind=Jurisdiction.Kind.COUNTY_BUREAU)
    client = Client()
    client.force_login(auditor)
    page = client.get("/audit/", {"kind": "person", "key": str(zhang.pk)}).content.decode()
    assert "alice" in page and "入户核查" in page
    assert "张伟" not in page and IDS[0] not in page  # the auditor sees who and why, not the person
    report = client.get("/audit/subject.csv", {"kind": "person", "key": str(zhang.pk)})
    assert report.status_code == 200 and "alice" in report.content.decode("utf-8-sig")
    assert AuditTarget.objects.filter(event__action=Action.EXPORT, key=str(zhang.pk)).exists()
    assert client.get("/audit/", {"start": "yesterday"}).status_code == 400
    # An auditor reads no personal data.
    assert client.get("/test/residents/").status_code == 403


def test_auditor_page_shows_flags(django_user_model: Any) -> None:
    from tests.conftest import COUNTY, make_user
    from ybss.access.models import Jurisdiction
    from ybss.access.roles import Role

    mallory = make_user("mallory", Role.COLLECTOR, COUNTY)
    AuditFlag.objects.create(
        user=mallory,
        pattern=AuditFlag.Pattern.MANY_FULL_READS,
        detail="10 分钟内查看完整信息 40 次",
        targets=["person:1", "person:2"],
    )
    auditor = make_user("dave", Role.AUDITOR, COUNTY, kind=Jurisdiction.Kind.COUNTY_BUREAU)
    client = Client()
    client.force_login(auditor)
    page = client.get("/audit/flags/").content.decode()
    assert "mallory" in page and "person:1" in page and "短时间内大量查看完整信息" in page
    flag = AuditFlag.objects.get()
    assert client.post(f"/audit/flags/{flag.pk}/review/").status_code == 302
    flag.refresh_from_db()
    assert flag.reviewed_by == auditor


def test_unmask_and_export_need_a_purpose_and_the_role(
    alice_client: Client, bob_client: Client, zhang: Resident
) -> None:
    assert alice_client.post("/test/residents/unmask/", {"reason": "verify"}).status_code == 400
    page = alice_client.post("/test/residents/unmask/", PURPOSE).content.decode()
    assert IDS[0] in page and "13812345678" in page
    assert AuditEvent.objects.filter(action=Action.UNMASK, target_rows__key=str(zhang.pk)).exists()
    export = alice_client.post("/test/residents/export/", PURPOSE)
    assert export.status_code == 200 and "130731********1231" in export.content.decode()
    assert IDS[0] not in export.content.decode()  # exports are masked too
    assert AuditEvent.objects.filter(action=Action.EXPORT).count() == 1
    # A county supervisor reads masked lists but may neither unmask nor export.
    assert bob_client.post("/test/residents/unmask/", PURPOSE).status_code == 403
    assert bob_client.post("/test/residents/export/", PURPOSE).status_code == 403


def test_subject_report_neutralizes_formulas_typed_as_purposes(
    alice_client: Client, zhang: Resident, django_user_model: Any
) -> None:
    import csv
    import io

    from tests.conftest import COUNTY, make_user
    from ybss.access.models import Jurisdiction
    from ybss.access.roles import Role

    typed = '=HYPERLINK("http://evil.invalid","点我")'
    assert (
        alice_client.post(f"/test/residents/{zhang.pk}/", {**PURPOSE, "reason_text": typed}).status_code
        == 200
    )
    auditor = make_user("erin", Role.AUDITOR, COUNTY, kind=Jurisdiction.Kind.COUNTY_BUREAU)
    client = Client()
    client.force_login(auditor)
    report = client.get("/audit/subject.csv", {"kind": "person", "key": str(zhang.pk)})
    rows = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    texts = [row[7] for row in rows[1:]]
    assert "'" + typed in texts and typed not in texts


@pytest.mark.parametrize("count", [1, 50, 51, 400])
def test_a_read_naming_many_records_indexes_them_all(alice: Any, count: int) -> None:
    """Up to ``log.ONE_STATEMENT_TARGETS`` the targets go into the read's one statement
    (PostgreSQL); beyond, the write takes the bulk path. Either way all are indexed."""
    keys = [str(10_000 + i) for i in range(count)]
    with transaction.atomic():
        sensitive_read(alice, Action.VIEW_FULL, [("person", k) for k in keys], Purpose("verify", "入户核查"))
    event = AuditEvent.objects.get(action=Action.VIEW_FULL)
    assert sorted(AuditTarget.objects.filter(event=event).values_list("key", flat=True)) == sorted(keys)
    assert log.verify().ok and AuditHead.objects.get().seq == event.seq
