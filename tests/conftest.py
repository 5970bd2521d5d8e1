"""Shared fixtures: the 涿鹿县 divisions loaded once per test database, and
named users: alice is a station administrator, bob may only read."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from ybss.access.models import Jurisdiction, UserAccess
from ybss.access.roles import Role
from ybss.addresses import actions
from ybss.addresses.models import AddressNode, Kind, Road
from ybss.divisions.loading import load_divisions
from ybss.divisions.models import Division

COUNTY = "130731"
TOWN = "130731100"  # 涿鹿镇
OTHER_TOWN = "130731101"  # 张家堡镇
COMMUNITY = "130731100002"  # 鼓楼社区
VILLAGE = "130731100201"  # 西头堡村


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():
        load_divisions(COUNTY)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    # Scopes are cached per user id, and ids are reused after each test's rollback.
    from django.core.cache import cache

    cache.clear()


def _reasons() -> None:
    # Seeded by a data migration; a transactional test's flush removes them.
    from ybss.access.models import PurposeReason

    if not PurposeReason.objects.exists():
        for order, (code, label) in enumerate(
            [("verify", "核查"), ("service", "服务群众"), ("case", "案件办理")]
        ):
            PurposeReason.objects.create(code=code, label=label, order=order)


def _divisions() -> None:
    # Transactional tests empty the database when they finish; reload for the next one.
    if not Division.objects.filter(code=COMMUNITY).exists():
        load_divisions(COUNTY)


@pytest.fixture
def community(db: Any) -> Division:
    _divisions()
    return Division.objects.get(code=COMMUNITY)


@pytest.fixture
def village(db: Any) -> Division:
    _divisions()
    return Division.objects.get(code=VILLAGE)


def make_user(username: str, role: str, *prefixes: str, kind: str = Jurisdiction.Kind.STATION) -> Any:
    """A user with one role over one jurisdiction made of ``prefixes``."""
    _reasons()
    user = get_user_model().objects.create_user(username, password=f"{username}-password-1")
    place = Jurisdiction.objects.create(name=f"{username} 辖区", kind=kind, prefixes=list(prefixes))
    access = UserAccess.objects.create(user=user, role=role)
    access.jurisdictions.add(place)
    return user


@pytest.fixture
def alice(db: Any) -> Any:
    """Station administrator of 涿鹿镇 (130731100)."""
    return make_user("alice", Role.STATION_ADMIN, TOWN)


@pytest.fixture
def bob(db: Any) -> Any:
    """County supervisor: reads everywhere in the county, writes nothing."""
    return make_user("bob", Role.SUPERVISOR, COUNTY, kind=Jurisdiction.Kind.COUNTY_BUREAU)


@pytest.fixture
def carol(db: Any) -> Any:
    """Station administrator of the neighbouring 张家堡镇 (130731101)."""
    return make_user("carol", Role.STATION_ADMIN, OTHER_TOWN)


@pytest.fixture
def alice_client(alice: Any) -> Client:
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def carol_client(carol: Any) -> Client:
    client = Client()
    client.force_login(carol)
    return client


@pytest.fixture
def bob_client(bob: Any) -> Client:
    client = Client()
    client.force_login(bob)
    return client


@pytest.fixture
def road(community: Division) -> Road:
    return actions.create_road(None, community.parent, "轩辕路")  # type: ignore[arg-type]


@pytest.fixture
def building(community: Division, road: Road) -> AddressNode:
    plate = actions.create_node(None, Kind.DOORPLATE, "18", division=community, road=road)
    compound = actions.create_node(None, Kind.COMPOUND, "阳光小区", parent=plate)
    return actions.create_node(None, Kind.BUILDING, "3", parent=compound)
