from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.exchange.conftest import make_id, person_row, write_csv
from ybss.addresses import actions, proposals
from ybss.addresses.models import AddressNode, AddressProposal, Kind
from ybss.audit.models import AuditTarget
from ybss.core.errors import ActionError
from ybss.exchange.models import ImportJob, ImportStatus
from ybss.people.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def rooms(building: AddressNode) -> list[AddressNode]:
    """101, 102, 201, 202 of 轩辕路18号阳光小区3栋."""
    return actions.batch_create_rooms(None, building, actions.RoomPattern(2, 0, 2))


def test_import_row_with_a_new_address_waits_for_review(
    alice_client: Client, alice: Any, tmp_path: Path, rooms: list[AddressNode]
) -> None:
    new_text = "河北省张家口市涿鹿县涿鹿镇鼓楼社区轩辕路18号阳光小区3栋301"
    path = write_csv(tmp_path / "p.csv", [person_row("周新", make_id(seq="411"), new_text)])
    with open(path, "rb") as fh:
        alice_client.post(reverse("exchange:home"), {"kind": "persons", "mode": "all", "file": fh})
    job = ImportJob.objects.get()
    problem = job.problems.get(level="missing")
    before = AddressNode.objects.count()
    alice_client.post(reverse("exchange:decide", args=[job.pk]), {f"propose-{problem.row}": "1"})
    proposal = AddressProposal.objects.get()
    assert proposal.state == "pending" and proposal.text == new_text and proposal.import_row == problem.row
    assert proposal.area_code.startswith("130731100002")  # the nearest existing place: the building
    assert AddressNode.objects.count() == before  # asking creates nothing
    # Asking twice for the same row keeps one request.
    alice_client.post(reverse("exchange:decide", args=[job.pk]), {f"propose-{problem.row}": "1"})
    assert AddressProposal.objects.count() == 1
    assert "新增地址申请" in alice_client.get(reverse("exchange:job", args=[job.pk])).content.decode()

    # The address officer adds the room through the normal action, then links it.
    building = rooms[0].parent
    assert building is not None
    room = actions.create_node(alice, Kind.ROOM, "301", parent=building)
    page = alice_client.get(reverse("addresses:proposals")).content.decode()
    assert new_text in page
    decision = {"decision": "approve", "code": room.code}
    alice_client.post(reverse("addresses:proposal", args=[proposal.pk]), decision)
    proposal.refresh_from_db()
    assert proposal.state == "approved" and proposal.node == room
    assert AuditTarget.objects.filter(kind="address_proposal", key=str(proposal.pk)).count() == 2

    alice_client.post(reverse("exchange:check", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED and job.counts["problem_rows"] == 0
    alice_client.post(reverse("exchange:commit", args=[job.pk]))
    residence = Person.objects.get().current_residence()
    assert residence is not None and residence.address == room


def test_reject_needs_a_reason_and_only_reviewers_of_the_area_see_it(
    alice: Any, carol_client: Client, rooms: list[AddressNode]
) -> None:
    proposal = proposals.propose(alice, "轩辕路18号阳光小区3栋999", area_code=rooms[0].code)
    with pytest.raises(ActionError) as exc:
        proposals.reject(alice, proposal, "")
    assert exc.value.field == "note"
    assert carol_client.get(reverse("addresses:proposal", args=[proposal.pk])).status_code == 404
    assert "3栋999" not in carol_client.get(reverse("addresses:proposals")).content.decode()
    proposals.reject(alice, proposal, "该楼只有 6 层")
    proposal.refresh_from_db()
    assert proposal.state == "rejected" and proposal.note == "该楼只有 6 层"
    with pytest.raises(ActionError):
        proposals.approve(alice, proposal, rooms[0])


def test_supervisor_cannot_review(bob_client: Client) -> None:
    assert bob_client.get(reverse("addresses:proposals")).status_code == 403
