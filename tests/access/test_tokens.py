from typing import Any

import pytest
from django.test import Client

from tests.access.conftest import IDS
from tests.testapp.models import Resident
from ybss.access.models import ApiToken, Jurisdiction
from ybss.addresses.models import AddressNode

pytestmark = pytest.mark.django_db


def _token(prefixes: list[str], read_only: bool = True, rate: int = 120) -> str:
    place = Jurisdiction.objects.create(name="县住建局", kind=Jurisdiction.Kind.STATION, prefixes=prefixes)
    _, key = ApiToken.issue(
        name="县住建局房屋系统", jurisdiction=place, read_only=read_only, rate_per_minute=rate
    )
    return key


def _get(key: str, url: str) -> Any:
    return Client().get(url, HTTP_AUTHORIZATION=f"Bearer {key}")


def test_token_reads_inside_its_jurisdiction_only(zhang: Resident, wang: Resident, room: AddressNode) -> None:
    key = _token(["130731100"])
    people = _get(key, "/api/test/residents/").json()
    names = (
        [p["name"] for p in people["results"]] if isinstance(people, dict) else [p["name"] for p in people]
    )
    assert names == ["张伟"]
    assert IDS[0] not in str(people)
    assert _get(key, f"/api/v1/addresses/{room.pk}/").status_code == 200
    assert _get(key, f"/api/v1/addresses/{wang.address.pk}/").status_code == 404


def test_read_only_token_cannot_write(room: AddressNode) -> None:
    key = _token(["130731100"])
    response = Client().post(
        "/api/v1/addresses/",
        {"kind": "room", "name": "2", "parent": room.parent_id},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 403


def test_read_write_token_writes_through_the_actions(room: AddressNode) -> None:
    key = _token(["130731100"], read_only=False)
    response = Client().post(
        "/api/v1/addresses/",
        {"kind": "room", "name": "2", "parent": room.parent_id},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 201, response.content
    from ybss.audit.models import AuditEvent

    assert AuditEvent.objects.filter(actor_name="api:县住建局房屋系统", action="create").exists()


def test_bad_revoked_and_throttled_tokens(room: AddressNode) -> None:
    from django.core.cache import cache
    from django.utils import timezone

    cache.clear()
    assert _get("ybss_nonsense", "/api/v1/addresses/").status_code == 401
    assert _get("not-a-token", "/api/v1/addresses/").status_code == 401
    key = _token(["130731100"], rate=3)
    assert [_get(key, "/api/v1/addresses/").status_code for _ in range(4)] == [200, 200, 200, 429]
    ApiToken.objects.update(revoked_at=timezone.now())
    assert _get(key, "/api/v1/addresses/").status_code == 401
