"""Two officers save the same person at the same moment: one wins, the other is told."""

import threading
from typing import Any

import pytest
from django.db import connection, connections

from tests.access.conftest import IDS
from ybss.core.errors import ActionError
from ybss.people import actions
from ybss.people.actions import PersonInput
from ybss.people.models import Person, PersonVersion


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent connections")
@pytest.mark.django_db(transaction=True)
def test_second_concurrent_save_is_refused(community: Any) -> None:
    person = actions.register_person(None, PersonInput(name="张伟", id_number=IDS[0]))
    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def edit(name: str) -> None:
        try:
            barrier.wait()
            actions.update_person(None, person, PersonInput(name=name, id_number=IDS[0]), expected_version=1)
            results[name] = "saved"
        except ActionError as exc:
            results[name] = exc.code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=edit, args=(name,)) for name in ("张卫", "张为")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results.values()) == ["conflict", "saved"]
    person.refresh_from_db()
    winner = next(name for name, outcome in results.items() if outcome == "saved")
    assert person.name == winner and person.version == 2
    assert PersonVersion.objects.filter(person=person).count() == 2  # create + the one accepted change
    assert Person.objects.count() == 1
