"""The change feed: every change once and in order, scoped by token, values never shown."""

from __future__ import annotations

import importlib.util
import io
import json
import urllib.error
from datetime import date
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from tests.conftest import make_user
from ybss.access.models import ApiToken, Jurisdiction
from ybss.access.roles import Role
from ybss.addresses import actions as address_actions
from ybss.addresses.models import AddressNode, Kind
from ybss.audit import log
from ybss.audit.models import Action, AuditEvent, Outcome
from ybss.divisions.models import Division
from ybss.exchange.feed import DATA_ACTIONS, read_changes
from ybss.lib.idcard import check_char
from ybss.people import actions as people_actions
from ybss.people.actions import MoveIn, PersonInput
from ybss.people.models import Person
from ybss.units import actions as unit_actions

pytestmark = pytest.mark.django_db
URL = "/api/v1/changes"
CLIENT = Path(__file__).resolve().parents[2] / "docs" / "examples" / "change_feed_client.py"


def id_number(n: int) -> str:
    body = f"13073119900101{n:03d}"
    return body + check_char(body)


def token(prefixes: list[str], rate: int = 1000) -> str:
    place = Jurisdiction.objects.create(name="县住建局", kind=Jurisdiction.Kind.STATION, prefixes=prefixes)
    _, key = ApiToken.issue(name="县住建局房屋系统", jurisdiction=place, rate_per_minute=rate)
    return key


def get(key: str, **params: Any) -> Any:
    return Client().get(URL, params, HTTP_AUTHORIZATION=f"Bearer {key}")


def read_all(key: str, limit: int, since: str = "") -> tuple[list[dict[str, Any]], str]:
    items: list[dict[str, Any]] = []
    while True:
        page = get(key, since=since, limit=limit).json()
        items += page["items"]
        since = page["next"]
        if not page["has_more"]:
            return items, since


def seq(cursor: str) -> int:
    return int(cursor.removeprefix("v1."))


@pytest.fixture
def rooms(building: AddressNode) -> list[AddressNode]:
    return address_actions.batch_create_rooms(None, building, address_actions.RoomPattern(1, 0, 3))


@pytest.fixture
def far_room(db: Any) -> AddressNode:
    village = Division.objects.filter(code__startswith="130731101", level=5).order_by("code").first()
    assert village is not None
    group = address_actions.create_node(None, Kind.GROUP, "1", division=village)
    plate = address_actions.create_node(None, Kind.DOORPLATE, "1", parent=group)
    return address_actions.create_node(None, Kind.ROOM, "1", parent=plate)


def register(name: str, n: int, room: AddressNode) -> Person:
    return people_actions.register_person(
        None, PersonInput(name=name, id_number=id_number(n)), move_in=MoveIn(room, date(2024, 1, 1))
    )


def data_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action__in=DATA_ACTIONS, outcome=Outcome.OK).order_by("seq"))


def test_every_change_once_and_in_order_across_pages(rooms: list[AddressNode]) -> None:
    key = token(["130731100"])
    for n in range(4):
        register(f"张{n}", n, rooms[n % 3])
    everything = get(key, limit=1000).json()
    assert not everything["has_more"]
    expected = [e.seq for e in data_events()]
    assert [seq(i["cursor"]) for i in everything["items"]] == expected and len(expected) > 8
    for limit in (1, 2, 3, 7):
        items, last = read_all(key, limit)
        assert items == everything["items"], limit
        assert last == everything["next"]


def test_a_cursor_from_an_earlier_response_still_works_after_new_changes(rooms: list[AddressNode]) -> None:
    key = token(["130731100"])
    register("张伟", 1, rooms[0])
    first = get(key, limit=2).json()
    assert first["has_more"]
    rest_before, end = read_all(key, 2, first["next"])
    person = register("李娜", 2, rooms[1])
    people_actions.update_person(
        None, person, PersonInput(name="李娜娜", id_number=id_number(2)), expected_version=1
    )
    # The old cursor gives the same items as before, then the new ones, in order.
    again, _ = read_all(key, 3, first["next"])
    assert again[: len(rest_before)] == rest_before
    new = again[len(rest_before) :]
    assert [seq(i["cursor"]) for i in new] == [e.seq for e in data_events() if e.seq > seq(end)]
    assert new[-1]["action"] == "change" and new[-1]["fields"] == ["name"]
    assert new[-1]["entities"] == [{"kind": "person", "key": str(person.pk)}]
    # And the later cursor gives only the new ones.
    assert read_all(key, 100, end)[0] == new


def test_out_of_scope_events_are_skipped_and_the_cursor_moves_past_them(
    rooms: list[AddressNode], far_room: AddressNode
) -> None:
    key = token(["130731100"])
    mine = register("张伟", 1, rooms[0])
    _, start = read_all(key, 100)
    theirs = register("王芳", 2, far_room)
    unit_actions.create_unit(None, far_room, name="远方商店", unit_type="individual")
    page = get(key, since=start).json()
    assert page["items"] == [] and not page["has_more"]
    assert seq(page["next"]) == max(e.seq for e in AuditEvent.objects.all())
    # One event naming people on both sides: only the one inside is listed.
    with transaction.atomic():
        log.record(None, Action.CHANGE, targets=[("person", mine.pk), ("person", theirs.pk)])
    [item] = get(key, since=page["next"]).json()["items"]
    assert item["entities"] == [{"kind": "person", "key": str(mine.pk)}]
    # The other side's token sees the other half.
    far_key = token(["130731101"])
    far_items, _ = read_all(far_key, 100)
    assert {e["key"] for i in far_items for e in i["entities"] if e["kind"] == "person"} == {str(theirs.pk)}
    [mixed] = [i for i in far_items if i["cursor"] == item["cursor"]]
    assert mixed["entities"] == [{"kind": "person", "key": str(theirs.pk)}]


def test_reads_logins_and_failed_actions_never_appear(alice: Any, rooms: list[AddressNode]) -> None:
    person = register("张伟", 1, rooms[0])
    client = Client()
    client.force_login(alice)
    assert (
        client.post(f"/people/{person.pk}/", {"reason": "verify", "reason_text": "入户核查"}).status_code
        == 200
    )
    exported: Any = client.post(
        "/exchange/export/persons/", {"reason": "verify", "reason_text": "核对", "format": "csv"}
    )
    b"".join(exported.streaming_content)
    with transaction.atomic():
        log.record(alice, Action.CHANGE, targets=[("person", person.pk)], outcome=Outcome.DENIED)
        log.record(alice, Action.LOGIN)
        log.record(alice, Action.ACCESS_CHANGE, targets=[("user", alice.pk)])
        log.record(alice, Action.CHANGE, targets=[("flag", 1)], extra={"reviewed": True})
    reads = AuditEvent.objects.filter(action__in=[Action.VIEW_FULL, Action.EXPORT, Action.LOGIN])
    assert set(reads.values_list("action", flat=True)) == {Action.VIEW_FULL, Action.EXPORT, Action.LOGIN}
    items, _ = read_all(token(["130731100"]), 100)
    assert items and {i["action"] for i in items} <= {"create", "change"}
    shown = {seq(i["cursor"]) for i in items}
    assert shown == {
        e.seq for e in data_events() if any(not t.startswith(("flag:", "user:")) for t in e.targets)
    }
    assert not shown & set(reads.values_list("seq", flat=True))


def test_items_hold_keys_and_field_names_never_values(rooms: list[AddressNode]) -> None:
    person = register("张伟", 1, rooms[0])
    people_actions.update_person(
        None,
        person,
        PersonInput(name="张伟", id_number=id_number(1), phone="13812345678"),
        expected_version=1,
    )
    body = get(token(["130731100"]), limit=1000).content.decode()
    for secret in ("张伟", id_number(1), "13812345678", "138****5678", "轩辕路", "阳光小区"):
        assert secret not in body
    items = json.loads(body)["items"]
    assert items[-1]["fields"] == ["phone"]
    kinds = {e["kind"] for i in items for e in i["entities"]}
    assert kinds == {"address", "road", "person"}
    assert set(items[0]) == {"cursor", "time", "action", "entities"}


def test_bad_cursor_or_limit_is_a_400_in_chinese(rooms: list[AddressNode]) -> None:
    key = token(["130731100"])
    for bad in ("garbage", "v2.3", "v1.-1", "v1.", "1"):
        response = get(key, since=bad)
        assert response.status_code == 400, bad
        assert "游标格式不正确" in response.json()["since"][0]
    ahead = get(key, since="v1.999999")
    assert ahead.status_code == 400 and "超出了变更记录的末尾" in ahead.json()["since"][0]
    for limit in ("0", "1001", "x", "-5"):
        response = get(key, limit=limit)
        assert response.status_code == 400 and "每页条数" in response.json()["limit"][0], limit


def test_latest_gives_the_current_end_without_items(rooms: list[AddressNode]) -> None:
    key = token(["130731100"])
    page = get(key, since="latest").json()
    assert page == {
        "items": [],
        "next": f"v1.{max(e.seq for e in AuditEvent.objects.all())}",
        "has_more": False,
    }
    register("张伟", 1, rooms[0])
    assert get(key, since=page["next"]).json()["items"]


def test_who_may_read_the_feed(client: Client, rooms: list[AddressNode]) -> None:
    assert Client().get(URL).status_code in (401, 403)
    for role, status in [
        (Role.STATION_ADMIN, 200),
        (Role.COLLECTOR, 403),
        (Role.SUPERVISOR, 403),
        (Role.AUDITOR, 403),
    ]:
        client.force_login(make_user(f"u-{role}", role, "130731100"))
        assert client.get(URL).status_code == status, role
    assert get(token(["130731100"])).status_code == 200
    assert Client().get(URL, HTTP_AUTHORIZATION="Bearer ybss_nonsense").status_code == 401


def test_a_narrow_token_scans_in_bounded_steps(
    monkeypatch: pytest.MonkeyPatch, rooms: list[AddressNode]
) -> None:
    monkeypatch.setattr("ybss.exchange.feed.MAX_SCAN", 3)
    for n in range(3):
        register(f"张{n}", n, rooms[n])
    scope_user = make_user("nobody-here", Role.STATION_ADMIN, "130731101")
    first = read_changes(scope_user, 0, 100)
    assert first.items == [] and first.has_more and seq(first.next) >= 3
    positions = [seq(first.next)]
    page = first
    while page.has_more:
        page = read_changes(scope_user, seq(page.next), 100)
        positions.append(seq(page.next))
    assert positions == sorted(set(positions)) and positions[-1] == max(
        e.seq for e in AuditEvent.objects.all()
    )


def test_openapi_documents_the_feed(alice_client: Client) -> None:
    schema = alice_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/changes"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"since", "limit"}
    assert {"200", "400", "429"} <= set(operation["responses"])


def _load_client() -> Any:
    spec = importlib.util.spec_from_file_location("change_feed_client", CLIENT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_client_retries_429_and_5xx_and_stops_on_other_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    feed = _load_client()
    answers: list[Any] = []

    def fake_fetch(base_url: str, key: str, since: str, limit: int, timeout: float = 60) -> Any:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def http_error(code: int, retry_after: str | None = None) -> urllib.error.HTTPError:
        headers = Message()
        if retry_after:
            headers["Retry-After"] = retry_after
        return urllib.error.HTTPError(
            URL, code, "x", headers, io.BytesIO('{"since": ["游标格式不正确"]}'.encode())
        )

    monkeypatch.setattr(feed, "fetch_page", fake_fetch)
    waits: list[float] = []
    answers[:] = [http_error(429, "7"), http_error(503), urllib.error.URLError("down"), {"items": []}]
    assert feed.fetch_with_retry("http://x", "k", "", 10, sleep=waits.append) == {"items": []}
    assert waits[0] == 7 and len(waits) == 3 and all(0 < w <= 300 for w in waits)
    answers[:] = [http_error(400)]
    with pytest.raises(feed.FeedError, match="游标格式不正确"):
        feed.fetch_with_retry("http://x", "k", "bad", 10, sleep=waits.append)
    answers[:] = [http_error(500)] * 3
    with pytest.raises(feed.FeedError, match="giving up"):
        feed.fetch_with_retry("http://x", "k", "", 10, sleep=waits.append, max_attempts=3)


@pytest.mark.django_db(transaction=True)
def test_example_client_follows_the_feed_and_resumes_after_a_restart(
    live_server: Any, tmp_path: Path, rooms: list[AddressNode]
) -> None:
    feed = _load_client()
    key = token(["130731100"])
    register("张伟", 1, rooms[0])
    state = str(tmp_path / "feed.cursor")
    seen: list[dict[str, Any]] = []
    end = feed.follow(live_server.url, key, state, limit=2, once=True, handler=seen.append)
    assert Path(state).read_text().strip() == end
    assert [seq(i["cursor"]) for i in seen] == [e.seq for e in data_events()]
    register("李娜", 2, rooms[1])
    more: list[dict[str, Any]] = []  # a new process: only the cursor file carries over
    feed.follow(live_server.url, key, state, limit=2, once=True, handler=more.append)
    assert more and [seq(i["cursor"]) for i in seen + more] == [e.seq for e in data_events()]
