"""Two submissions for the same room at the same moment: exactly one visit, nothing counted twice."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from tests.campaigns.conftest import World, running_campaign
from ybss.campaigns import actions
from ybss.campaigns.models import Outcome, Visit, WorkItem
from ybss.core.errors import ActionError


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent connections")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same_key", [True, False], ids=["double tap", "two forms"])
def test_simultaneous_submissions_make_one_visit(world: World, same_key: bool) -> None:
    campaign = running_campaign(world)
    item = WorkItem.objects.filter(campaign=campaign, assignee=world.c1).order_by("code")[0]
    barrier = threading.Barrier(2)
    results: list[Any] = []

    def submit(n: int) -> None:
        try:
            barrier.wait()
            key = "tap" if same_key else f"form-{n}"
            visit, created = actions.submit_visit(world.c1, item, outcome=Outcome.VACANT, idempotency_key=key)
            results.append(("created" if created else "repeat", visit.pk))
        except ActionError as exc:
            results.append((exc.code, None))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert Visit.objects.filter(item=item).count() == 1
    outcomes = sorted(code for code, _ in results)
    assert outcomes == (["created", "repeat"] if same_key else ["created", "pending"])
    item.refresh_from_db()
    assert item.attempts == 1 and item.state == WorkItem.State.PENDING
    actions.approve(world.officer, Visit.objects.get(item=item))
    assert actions.rates(campaign).collected == 1
