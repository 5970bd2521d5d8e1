"""The access matrix: every URL in the URL conf, as every role, inside and
outside the role's jurisdiction.

New endpoints are picked up from the URL conf. An endpoint must declare its
capability (``@requires`` on a page, ``capabilities`` on an API view) or be
listed in PUBLIC; otherwise this test fails and says which one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.access.conftest import IDS, make_resident
from tests.conftest import TOWN, make_user
from tests.units.conftest import make_unit
from ybss.access.roles import MATRIX, Role
from ybss.addresses import actions
from ybss.addresses.models import Kind, Road
from ybss.audit.models import AuditFlag
from ybss.houses import actions as house_actions
from ybss.units import actions as unit_actions

pytestmark = pytest.mark.django_db

# Per-user pages that hold no registry data: every signed-in user may use them.
PUBLIC = {
    "start",
    "login",
    "logout",
    "otp_verify",
    "otp_setup",
    "api-root",
    "api-schema",
    "api-docs",
    "set_language",
}
WRITE_CAPS = {"address.edit", "person.edit", "users.manage"}


def _walk(patterns: list[Any], prefix: str = "", ns: str | None = None) -> Iterator[tuple[str, str, Any]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern), p.namespace or ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), f"{ns}:{p.name}" if ns else str(p.name), p.callback


def _capability(name: str, callback: Any, method: str) -> str | None:
    if name in PUBLIC:
        return None
    cap = getattr(callback, "ybss_capability", None)
    if cap:
        return str(cap)
    caps = getattr(getattr(callback, "cls", None), "capabilities", None)
    assert caps, (
        f"endpoint {name} declares no capability: add @requires or capabilities, or list it in PUBLIC"
    )
    actions_map = getattr(callback, "actions", {}) or {}
    action = actions_map.get(method.lower(), "")
    return str(caps.get(action) or caps["read" if method == "GET" else "write"])


def _fill(route: str, objs: dict[str, Any]) -> str | None:
    """A concrete URL for a route, using the object named by its route family."""
    if "format" in route:
        return None
    route = route.replace("^", "").replace("$", "")
    family = (
        "person"
        if "people/<int:pk>" in route or "people/(?P<pk>" in route
        else "resident"
        if "residents" in route
        else "flag"
        if "flags" in route
        else "account"
        if "accounts/<" in route
        else "employment"
        if "employments/<" in route
        else "tenancy"
        if "tenancies/<" in route
        else "dwelling"
        if "houses/at/" in route
        else "house"
        if "houses/" in route
        else "unit"
        if "units/" in route
        else "road"
        if "roads" in route and ("<" in route or "(?P" in route)
        else "division"
        if ("d/<str:code>" in route or "divisions" in route)
        else "node"
    )

    def value(m: re.Match[str]) -> str:
        return str(objs[family])

    url = re.sub(r"<(?:\w+:)?\w+>|\(\?P<\w+>[^)]*\)", value, route)
    return "/" + url


def _far_id() -> str:
    from ybss.lib.idcard import check_char

    base = "13073119880808456"
    return base + check_char(base)


@pytest.fixture
def world(community: Any, road: Road) -> dict[str, Any]:
    """Objects inside 涿鹿镇 (everyone's jurisdiction here) and outside it."""
    from ybss.divisions.loading import load_divisions
    from ybss.divisions.models import Division

    load_divisions("130731101")
    far_village = Division.objects.filter(code__startswith="130731101", level=5).order_by("code").first()
    assert far_village is not None
    far_road = actions.create_road(None, far_village, "远方路")
    far_group = actions.create_node(None, Kind.GROUP, "1", division=far_village)
    far_plate = actions.create_node(None, Kind.DOORPLATE, "1", parent=far_group)
    plate = actions.create_node(None, Kind.DOORPLATE, "18", division=community, road=road)
    building = actions.create_node(None, Kind.BUILDING, "1", parent=plate)
    mine = make_resident("张伟", building, IDS[0])
    theirs = make_resident("王芳", far_plate, IDS[2], "13900001111")
    far_user = make_user("faraway", Role.COLLECTOR, "130731101")
    from datetime import date

    from ybss.people import actions as people_actions
    from ybss.people.actions import MoveIn, PersonInput

    far_room = actions.create_node(None, Kind.DOORPLATE, "2", parent=far_group)
    near_room = actions.create_node(None, Kind.ROOM, "101", parent=building)
    person_mine = people_actions.register_person(
        None, PersonInput(name="李雷", id_number=IDS[1]), move_in=MoveIn(near_room, date(2024, 1, 1))
    )
    person_theirs = people_actions.register_person(
        None,
        PersonInput(name="王芳", id_number=_far_id(), phone="13900001111"),
        move_in=MoveIn(far_room, date(2024, 1, 1)),
    )
    flag = AuditFlag.objects.create(user=far_user, pattern=AuditFlag.Pattern.MANY_FULL_READS, detail="x")
    unit, far_unit = make_unit(building, "鼓楼便利店"), make_unit(far_plate, "远方商店")
    job = unit_actions.add_employment(None, unit, person_mine, valid_from=date(2023, 1, 1))
    far_job = unit_actions.add_employment(None, far_unit, person_theirs, valid_from=date(2023, 1, 1))
    house = house_actions.create_house(None, near_room, use="rented")
    far_house = house_actions.create_house(None, far_room, use="rented")
    since = date(2023, 1, 1)
    lease = house_actions.add_tenancy(None, house, tenants=[person_mine], valid_from=since)
    far_lease = house_actions.add_tenancy(None, far_house, tenants=[person_theirs], valid_from=since)
    inside = {
        "division": community.code,
        "road": road.pk,
        "node": building.pk,
        "resident": mine.pk,
        "person": person_mine.pk,
        "flag": flag.pk,
        "account": None,
        "unit": unit.pk,
        "employment": job.pk,
        "house": house.pk,
        "tenancy": lease.pk,
        "dwelling": near_room.pk,
    }
    outside = {
        "division": far_village.code,
        "road": far_road.pk,
        "node": far_plate.pk,
        "resident": theirs.pk,
        "person": person_theirs.pk,
        "flag": flag.pk,
        "account": far_user.pk,
        "unit": far_unit.pk,
        "employment": far_job.pk,
        "house": far_house.pk,
        "tenancy": far_lease.pk,
        "dwelling": far_room.pk,
    }
    missing = {
        "division": "130731100999",
        "road": 999999,
        "node": 999999,
        "resident": 999999,
        "person": 999999,
        "flag": 999999,
        "account": 999999,
        "unit": 999999,
        "employment": 999999,
        "house": 999999,
        "tenancy": 999999,
        "dwelling": 999999,
    }
    return {"inside": inside, "outside": outside, "missing": missing}


def _not_territorial(name: str, role: str) -> bool:
    """Endpoints whose reach is deliberately not bounded by jurisdiction."""
    return (
        name.startswith("audit:")  # auditors review the whole log; it holds no personal data
        or name == "division-detail"  # NBS division codes are public reference data
        or (name.startswith("access:") and role == Role.SYSADMIN)  # the system administrator manages everyone
    )


SECRETS = ["王芳", IDS[2], "13900001111", "远方路", _far_id(), "远方商店"]


@pytest.mark.parametrize("role", list(Role.values))
def test_every_endpoint_as_every_role(role: str, world: dict[str, Any]) -> None:
    user = make_user(f"user-{role}", role, TOWN)
    client = Client()
    client.force_login(user)
    world["inside"]["account"] = user.pk
    caps = MATRIX[role]
    checked = 0
    for route, name, callback in _walk(get_resolver().url_patterns):
        if name in PUBLIC:
            continue
        for method in ("GET", "POST"):
            cap = _capability(name, callback, method)
            urls = {k: _fill(route, world[k]) for k in ("inside", "outside", "missing")}
            if urls["inside"] is None:
                continue
            send = client.get if method == "GET" else client.post
            inside = send(urls["inside"])
            body = inside.content.decode("utf-8", "replace")
            for secret in SECRETS:
                assert secret not in body, (
                    f"{role} {method} {urls['inside']} shows out-of-scope data {secret}"
                )
            if cap not in caps:
                assert inside.status_code in (403, 405), (
                    f"{role} {method} {urls['inside']}: {inside.status_code}"
                )
                checked += 1
                continue
            assert inside.status_code < 500, f"{role} {method} {urls['inside']}: {inside.status_code}"
            if urls["outside"] != urls["inside"] and ("<" in route or "(?P" in route):
                theirs = send(str(urls["outside"]))
                nothing = send(str(urls["missing"]))
                if _not_territorial(name, role):
                    checked += 1
                    continue
                assert theirs.status_code == nothing.status_code, f"{role} {method} {urls['outside']}"
                if theirs.status_code == 404:
                    assert theirs.content == nothing.content, (
                        f"{role} {method}: not yours differs from not found"
                    )
                theirs_body = theirs.content.decode("utf-8", "replace")
                for secret in SECRETS:
                    assert secret not in theirs_body, f"{role} {method} {urls['outside']} leaks {secret}"
            checked += 1
    assert checked > 40
