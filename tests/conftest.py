"""Shared fixtures: the 涿鹿县 divisions loaded once per test database, and
named users: alice is a station administrator, bob may only read."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from ybss.addresses import actions
from ybss.addresses.models import AddressNode, Kind, Road
from ybss.divisions.loading import load_divisions
from ybss.divisions.models import Division

COUNTY = "130731"
TOWN = "130731100"  # 涿鹿镇
COMMUNITY = "130731100002"  # 鼓楼社区
VILLAGE = "130731100201"  # 西头堡村


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():
        load_divisions(COUNTY)


@pytest.fixture
def community(db: Any) -> Division:
    return Division.objects.get(code=COMMUNITY)


@pytest.fixture
def village(db: Any) -> Division:
    return Division.objects.get(code=VILLAGE)


@pytest.fixture
def alice(django_user_model: Any) -> Any:
    group, _ = Group.objects.get_or_create(name="派出所管理员")
    group.permissions.add(*Permission.objects.filter(content_type__app_label="addresses"))
    user = django_user_model.objects.create_user("alice", password="alice-password-1")
    user.groups.add(group)
    return user


@pytest.fixture
def bob(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("bob", password="bob-password-1")


@pytest.fixture
def alice_client(alice: Any) -> Client:
    client = Client()
    client.force_login(alice)
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
