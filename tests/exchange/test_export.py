"""Exporting filtered lists: what is in the file, who may, and what the audit log keeps."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from tests.conftest import make_user
from tests.units.conftest import credit_code, make_unit
from ybss.access import crypto
from ybss.access.roles import MATRIX, Cap, Role
from ybss.addresses import actions as address_actions
from ybss.addresses.models import AddressNode, Kind
from ybss.audit.models import Action, AuditEvent
from ybss.divisions.models import Division
from ybss.exchange import export
from ybss.houses import actions as house_actions
from ybss.lib.idcard import check_char, mask_id
from ybss.lib.phone import mask_phone
from ybss.lib.sheetwriter import BOM
from ybss.people import actions as people_actions
from ybss.people.actions import MoveIn, PersonInput
from ybss.people.models import ID_NUMBER, PHONE, Person

pytestmark = pytest.mark.django_db
PURPOSE = {"reason": "verify", "reason_text": "年度数据核对"}
FORMULA_NAMES = ['=HYPERLINK("http://x","y")', "@SUM(1,2)", "+1", "-1", "\t制表符", "=1+1"]
URL = "/exchange/export/persons/"


def id_number(n: int, region: str = "130731") -> str:
    body = f"{region}19900101{n:03d}"
    return body + check_char(body)


@pytest.fixture
def rooms(building: AddressNode) -> list[AddressNode]:
    return address_actions.batch_create_rooms(None, building, address_actions.RoomPattern(2, 0, 3))


@pytest.fixture
def far_room(db: Any) -> AddressNode:
    """A room in 张家堡镇 (130731101): carol's station, not alice's."""
    village = Division.objects.filter(code__startswith="130731101", level=5).order_by("code").first()
    assert village is not None
    group = address_actions.create_node(None, Kind.GROUP, "1", division=village)
    plate = address_actions.create_node(None, Kind.DOORPLATE, "1", parent=group)
    return address_actions.create_node(None, Kind.ROOM, "1", parent=plate)


def register(name: str, n: int, room: AddressNode, phone: str = "") -> Person:
    return people_actions.register_person(
        None,
        PersonInput(name=name, id_number=id_number(n), phone=phone),
        move_in=MoveIn(room, date(2024, 1, 1)),
    )


def legacy_person(name: str, n: int, room: AddressNode) -> Person:
    """A record as an older system left it: the forms refuse such names, stored data may hold them."""
    enc, index = crypto.seal(ID_NUMBER, id_number(n))
    phone_enc, phone_index = crypto.seal(PHONE, "13900000000")
    return Person.objects.create(
        name=name,
        id_number_enc=enc,
        id_number_index=index,
        phone_enc=phone_enc,
        phone_index=phone_index,
        gender="1",
        residence_code=room.code,
    )


def download(client: Client, url: str = URL, **data: Any) -> Any:
    response = client.post(url, {**PURPOSE, "format": "csv", **data})
    assert response.status_code == 200, response.content.decode()[:2000]
    return response


def csv_rows(response: Any) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith(BOM)
    return list(csv.DictReader(io.StringIO(text.removeprefix(BOM))))


def xlsx_sheet(response: Any) -> Any:
    return load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


def exports() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=Action.EXPORT).order_by("seq"))


def test_formula_names_come_out_as_plain_text_in_csv_and_xlsx(
    alice_client: Client, rooms: list[AddressNode]
) -> None:
    for n, name in enumerate(FORMULA_NAMES):
        legacy_person(name, n, rooms[0])
    rows = csv_rows(download(alice_client))
    assert sorted(r["姓名"] for r in rows) == sorted("'" + name for name in FORMULA_NAMES)
    assert all(r["证件号码"].startswith("\t") for r in rows)  # text for Excel

    sheet = xlsx_sheet(download(alice_client, format="xlsx"))
    cells = [list(r) for r in sheet.iter_rows()]
    assert not [c.coordinate for row in cells for c in row if c.data_type == "f"]
    headers = [c.value for c in cells[0]]
    name_col, id_col = headers.index("姓名"), headers.index("证件号码")
    assert sorted(row[name_col].value for row in cells[1:]) == sorted("'" + name for name in FORMULA_NAMES)
    for row in cells[1:]:
        assert row[id_col].data_type == "s" and row[id_col].number_format == "@"
        assert re.fullmatch(r"130731\*{8}\d{3}[\dX]", row[id_col].value)


def test_full_ids_are_string_cells_in_xlsx_and_tab_led_text_in_csv(
    alice_client: Client, rooms: list[AddressNode]
) -> None:
    register("张伟", 1, rooms[0], phone="13812345678")
    sheet = xlsx_sheet(download(alice_client, format="xlsx", unmask="on"))
    header, row = [c.value for c in sheet[1]], sheet[2]
    id_cell, phone_cell = row[header.index("证件号码")], row[header.index("联系电话")]
    assert (id_cell.value, id_cell.data_type, id_cell.number_format) == (id_number(1), "s", "@")
    assert (phone_cell.value, phone_cell.data_type) == ("13812345678", "s")
    [line] = csv_rows(download(alice_client, unmask="on"))
    assert line["证件号码"] == "\t" + id_number(1) and line["联系电话"] == "\t13812345678"


def test_masked_by_default_full_only_with_unmask_and_the_audit_says_so(
    alice_client: Client, rooms: list[AddressNode]
) -> None:
    register("张伟", 1, rooms[0], phone="13812345678")
    [masked] = csv_rows(download(alice_client))
    assert masked["证件号码"] == "\t" + mask_id(id_number(1))
    assert masked["联系电话"] == "\t138****5678"
    [full] = csv_rows(download(alice_client, unmask="on"))
    assert full["证件号码"] == "\t" + id_number(1)
    first, second = exports()
    assert first.extra["unmasked"] is False and second.extra["unmasked"] is True
    assert (second.reason_code, second.reason_text) == ("verify", "年度数据核对")


def _birth_date_in(text: str, born: date) -> bool:
    return any(f in text for f in (born.isoformat(), born.strftime("%Y%m%d"), born.strftime("%Y/%m/%d")))


def test_a_masked_export_cannot_give_the_id_number_back_through_the_birth_date(
    alice_client: Client, rooms: list[AddressNode]
) -> None:
    """The eight digits a masked ID hides are the birth date: a masked export masks that
    column too, in CSV and XLSX alike; an unmasked one shows it."""
    person = register("张伟", 1, rooms[0])
    assert person.birth_date == date(1990, 1, 1)
    [masked] = csv_rows(download(alice_client))
    assert masked["出生日期"] == export.MASKED_DATE
    assert not _birth_date_in(str(masked), date(1990, 1, 1))
    sheet = xlsx_sheet(download(alice_client, format="xlsx"))
    values = [str(c.value) for row in sheet.iter_rows(min_row=2) for c in row]
    assert export.MASKED_DATE in values and not _birth_date_in(" ".join(values), date(1990, 1, 1))
    [full] = csv_rows(download(alice_client, unmask="on"))
    assert full["出生日期"] == "1990-01-01" and full["证件号码"] == "\t" + id_number(1)


def test_a_role_without_unmask_gets_masked_ids_and_cannot_ask_for_more(
    monkeypatch: pytest.MonkeyPatch, bob_client: Client, rooms: list[AddressNode]
) -> None:
    register("张伟", 1, rooms[0], phone="13812345678")
    # Supervisors may not export at all by default...
    assert bob_client.post(URL, {**PURPOSE, "format": "csv"}).status_code == 403
    # ...a deployment that lets them export still never lets them unmask.
    monkeypatch.setitem(MATRIX, Role.SUPERVISOR, MATRIX[Role.SUPERVISOR] | {Cap.PERSON_EXPORT})
    page = bob_client.get(URL).content.decode()
    assert 'name="unmask"' not in page
    [row] = csv_rows(download(bob_client))
    assert row["证件号码"] == "\t" + mask_id(id_number(1)) and id_number(1) not in str(row)
    refused = bob_client.post(URL, {**PURPOSE, "format": "csv", "unmask": "on"})
    assert refused.status_code == 400
    assert "显示完整证件号码和电话：你的角色不能导出完整的证件号码和电话" in refused.content.decode()
    assert [e.extra["unmasked"] for e in exports()] == [False]


def test_station_a_cannot_export_station_b_people(
    alice_client: Client, carol_client: Client, rooms: list[AddressNode], far_room: AddressNode
) -> None:
    mine = register("张伟", 1, rooms[0])
    theirs = register("王芳", 2, far_room)
    assert [int(r["人员编号"]) for r in csv_rows(download(alice_client))] == [mine.pk]
    assert [int(r["人员编号"]) for r in csv_rows(download(carol_client))] == [theirs.pk]
    assert [int(r["人员编号"]) for r in csv_rows(download(carol_client, q="张伟"))] == []


def test_the_filtered_export_is_the_filtered_list(alice_client: Client, rooms: list[AddressNode]) -> None:
    for n, name in enumerate(["张伟", "张敏", "李娜", "王张", "赵六"]):
        register(name, n, rooms[n % len(rooms)])
    page = alice_client.post("/people/search/", {"q": "张"}).content.decode()
    listed = {int(pk) for pk in re.findall(r'href="/people/(\d+)/"', page)}
    exported = {int(r["人员编号"]) for r in csv_rows(download(alice_client, q="张"))}
    assert exported == listed and len(listed) == 2  # names that start with 张, as the list shows
    by_phone = register("钱七", 9, rooms[0], phone="13811112222")
    assert [int(r["人员编号"]) for r in csv_rows(download(alice_client, q="138 1111 2222"))] == [by_phone.pk]


def test_no_purpose_no_export_and_nothing_audited(alice_client: Client, rooms: list[AddressNode]) -> None:
    register("张伟", 1, rooms[0])
    response = alice_client.post(URL, {"format": "csv"})
    assert response.status_code == 400 and response["Content-Type"].startswith("text/html")
    assert "导出事由：" in response.content.decode()
    short = alice_client.post(URL, {"format": "csv", "reason": "verify", "reason_text": "x"})
    assert short.status_code == 400 and "具体说明：" in short.content.decode()
    unknown = alice_client.post(URL, {"format": "csv", "reason": "nosuch", "reason_text": "核对数据"})
    assert unknown.status_code == 400 and "导出事由：" in unknown.content.decode()
    assert exports() == []


def test_bad_kind_and_bad_format_name_the_field(alice_client: Client, rooms: list[AddressNode]) -> None:
    response = alice_client.post("/exchange/export/spaceships/", PURPOSE)
    assert response.status_code == 400 and "导出类型：" in response.content.decode()
    assert "/exchange/export/persons/" in response.content.decode()
    bad = alice_client.post(URL, {**PURPOSE, "format": "pdf"})
    assert bad.status_code == 400 and "文件格式：" in bad.content.decode()
    bad_code = alice_client.post(
        "/exchange/export/addresses/", {**PURPOSE, "format": "csv", "within": "x'--"}
    )
    assert bad_code.status_code == 400 and "区划或地址编码：" in bad_code.content.decode()
    assert exports() == []


def test_the_audit_event_names_kind_filters_rows_and_format_but_no_personal_data(
    alice_client: Client, rooms: list[AddressNode]
) -> None:
    register("张伟", 1, rooms[0])
    register("张敏", 2, rooms[1])
    download(alice_client, q="张伟", format="xlsx")
    [event] = exports()
    assert event.actor_name == "alice" and event.targets == []
    assert event.extra["kind"] == "persons" and event.extra["rows"] == 1 and event.extra["format"] == "xlsx"
    assert event.extra["filters"]["q_type"] == "name" and len(event.extra["filters"]["q_hash"]) == 64
    assert "张伟" not in str(event.extra)


def test_export_page_and_prefill_from_the_search_page(alice_client: Client, rooms: list[AddressNode]) -> None:
    search = alice_client.post("/people/search/", {"q": "张"}).content.decode()
    assert 'action="/exchange/export/persons/"' in search and 'name="prefill"' in search
    page = alice_client.post(URL, {"prefill": "1", "q": "张伟"})
    assert page.status_code == 200 and 'value="张伟"' in page.content.decode()
    assert 'name="unmask"' in page.content.decode()  # station administrators may unmask
    units = alice_client.get("/exchange/export/units/?industry=hotel&expiring=30").content.decode()
    assert '<option value="hotel" selected>' in units
    assert exports() == []


def test_download_headers(alice_client: Client, rooms: list[AddressNode]) -> None:
    register("张伟", 1, rooms[0])
    response = download(alice_client)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    disposition = response["Content-Disposition"]
    today = f"{date.today():%Y%m%d}"
    assert disposition.startswith(f'attachment; filename="ybss-persons-{today}.csv"; ')
    # 实有人口_<date>.csv, RFC 5987 encoded
    assert f"filename*=UTF-8''%E5%AE%9E%E6%9C%89%E4%BA%BA%E5%8F%A3_{today}.csv" in disposition
    xlsx = download(alice_client, format="xlsx")
    assert xlsx["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_too_many_rows_for_a_sheet_suggests_csv(
    monkeypatch: pytest.MonkeyPatch, alice_client: Client, rooms: list[AddressNode]
) -> None:
    register("张伟", 1, rooms[0])
    register("张敏", 2, rooms[1])
    monkeypatch.setattr("ybss.exchange.export_views.XLSX_MAX_ROWS", 1)
    response = alice_client.post(URL, {**PURPOSE, "format": "xlsx"})
    assert response.status_code == 400 and "文件格式：共 2 行" in response.content.decode()
    assert exports() == []


def test_queries_do_not_grow_with_the_rows(alice_client: Client, rooms: list[AddressNode]) -> None:
    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            rows = csv_rows(download(alice_client))
        return len(rows), len(queries)

    register("张伟", 0, rooms[0])
    count()  # the first request fills the caches (scope, purposes)
    one = count()
    for n in range(1, 12):
        register(f"张{n}", n, rooms[n % len(rooms)], phone="13800000000")
    many = count()
    assert (one[0], many[0]) == (1, 12)
    assert many[1] == one[1]


PHONES = ["13812345678", "19912345678", "12345678901", "10086", "010-62345678", "0755-2345678-801", ""]
NUMBERS = ["11010519491231002x", "130731900101123", "E12345678", " 130731199001011231", "１３０７３１", ""]


def test_fast_masks_are_the_list_masks() -> None:
    for phone in PHONES:
        assert export.fast_mask_phone(phone) == mask_phone(phone), phone
    for number in [id_number(1), *NUMBERS]:
        assert export.fast_mask_id(number) == mask_id(number), number


def test_units_houses_and_addresses(
    alice_client: Client, building: AddressNode, rooms: list[AddressNode]
) -> None:
    tenant = register("李娜", 5, rooms[0])
    unit = make_unit(
        building,
        "鼓楼便利店",
        credit_code=credit_code(),
        special_industries=["hotel"],
        business_status="open",
        contact_name="张店长",
        contact_phone="13812345678",
    )
    [u] = csv_rows(download(alice_client, "/exchange/export/units/", industry="hotel"))
    assert (u["单位编号"], u["单位名称"], u["特种行业"]) == (str(unit.pk), "鼓楼便利店", "旅馆业")
    assert u["统一社会信用代码"] == "\t" + credit_code() and u["联系电话"] == "\t138****5678"
    assert csv_rows(download(alice_client, "/exchange/export/units/", industry="petrol")) == []

    house = house_actions.create_house(None, rooms[0], use="rented")
    house_actions.add_tenancy(None, house, tenants=[tenant], valid_from=date(2024, 1, 1))
    house_actions.create_house(None, rooms[1], use="rented")  # rented, nobody renting: a finding
    h, _ = csv_rows(download(alice_client, "/exchange/export/houses/", finding=""))
    assert (h["房屋编号"], h["现承租人"], h["房屋用途"]) == (str(house.pk), "李娜", "出租")
    finding = csv_rows(download(alice_client, "/exchange/export/houses/", finding="rented_without_tenancy"))
    assert [r["地址编码"] for r in finding] == ["\t" + rooms[1].code]

    nodes = csv_rows(download(alice_client, "/exchange/export/addresses/", within=building.code))
    assert [r["地址编码"].lstrip("\t") for r in nodes] == sorted([building.code, *(r.code for r in rooms)])
    assert {r["地址类型"] for r in nodes} == {"楼栋", "户室"}
    words = csv_rows(download(alice_client, "/exchange/export/addresses/", q=rooms[0].name))
    assert rooms[0].code in [r["地址编码"].lstrip("\t") for r in words]
    assert [e.extra["kind"] for e in exports()] == [
        "units",
        "units",
        "houses",
        "houses",
        "addresses",
        "addresses",
    ]


def test_only_station_administrators_export(client: Client, rooms: list[AddressNode]) -> None:
    for role in (Role.COLLECTOR, Role.OFFICER, Role.AUDITOR, Role.SYSADMIN):
        client.force_login(make_user(f"u-{role}", role, "130731100"))
        assert client.get(URL).status_code == 403, role
        assert client.get("/exchange/export/addresses/").status_code == 403, role
