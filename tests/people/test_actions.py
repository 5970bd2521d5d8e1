from datetime import date, timedelta
from typing import Any

import pytest

from tests.access.conftest import IDS
from ybss.addresses import actions as address_actions
from ybss.addresses.models import AddressNode
from ybss.audit.models import AuditEvent
from ybss.core.errors import ActionError
from ybss.lib.idcard import check_char
from ybss.people import actions
from ybss.people.actions import MoveIn, PersonInput
from ybss.people.models import Person, PersonVersion, Residence

pytestmark = pytest.mark.django_db


def _id(birth: str = "19900101", seq: str = "123", county: str = "130731") -> str:
    base = county + birth + seq
    return base + check_char(base)


@pytest.fixture
def rooms(building: AddressNode) -> list[AddressNode]:
    return address_actions.batch_create_rooms(None, building, address_actions.RoomPattern(2, 0, 2))


def _person(name: str, number: str, **kw: Any) -> PersonInput:
    return PersonInput(name=name, id_number=number, **kw)


def test_register_and_move_in(rooms: list[AddressNode]) -> None:
    person = actions.register_person(
        None,
        _person("张伟", IDS[0], phone="138 1234 5678", domicile_division="130731100"),
        move_in=MoveIn(rooms[0], date(2024, 3, 1), relation="02"),
    )
    assert person.id_number == IDS[0] and person.gender == "1" and person.birth_date == date(1990, 1, 1)
    assert person.phone == "13812345678"
    assert person.residence_code == rooms[0].code and person.domicile_code == "130731100"
    assert person.current_residence().address == rooms[0]  # type: ignore[union-attr]
    assert actions.find_by_id_number("resident_id", IDS[0]) == person
    assert (
        AuditEvent.objects.filter(
            action="create", target_rows__kind="person", target_rows__key=str(person.pk)
        ).count()
        == 2
    )


def test_fifteen_digit_id_is_converted_and_both_forms_find_the_person(rooms: list[AddressNode]) -> None:
    from ybss.access import crypto
    from ybss.people.models import ID_NUMBER

    person = actions.register_person(None, _person("李明", "130731900101123"))
    assert person.id_number == "13073119900101123" + check_char("13073119900101123")
    assert Person.objects.filter(
        id15_index=crypto.keyring().blind_index("130731900101123", ID_NUMBER.context)
    ).get()


@pytest.mark.parametrize(
    ("data", "field", "fragment"),
    [
        (
            PersonInput(name="张伟", id_number=IDS[0][:-1] + ("0" if IDS[0][-1] != "0" else "1")),
            "id_number",
            "校验",
        ),
        (
            PersonInput(
                name="张伟", id_number=_id(birth=(date.today() + timedelta(days=400)).strftime("%Y%m%d"))
            ),
            "id_number",
            "",
        ),
        (PersonInput(name="张伟", id_number=IDS[0], gender="2"), "gender", ""),
        (
            PersonInput(name="张伟", id_number=IDS[0], domicile_division="999999"),
            "domicile_division",
            "999999",
        ),
        (PersonInput(name="<script>alert(1)</script>", id_number=IDS[0]), "name", "不允许的字符"),
        (PersonInput(name="张伟", id_number=IDS[0], phone="12345"), "phone", ""),
        (PersonInput(name="张伟", id_number=IDS[0], nationality="China"), "nationality", "ISO"),
        (PersonInput(name="张伟", id_number=IDS[0], birth_date=date(1991, 1, 1)), "birth_date", "不一致"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(data: PersonInput, field: str, fragment: str) -> None:
    with pytest.raises(ActionError) as info:
        actions.register_person(None, data)
    assert info.value.field == field
    assert fragment in info.value.message
    assert not Person.objects.exists() and not AuditEvent.objects.exists()


def test_wrong_check_digit_suggests_the_intended_number() -> None:
    typo = IDS[0][:10] + IDS[0][11] + IDS[0][10] + IDS[0][12:]  # two neighbours swapped
    with pytest.raises(ActionError) as info:
        actions.register_person(None, _person("张伟", typo))
    assert IDS[0] in info.value.message


def test_duplicate_id_on_a_second_person_is_refused() -> None:
    actions.register_person(None, _person("张伟", IDS[0]))
    with pytest.raises(ActionError, match="已登记") as info:
        actions.register_person(None, _person("张玮", IDS[0]))
    assert info.value.field == "id_number"
    assert Person.objects.count() == 1


def test_move_out_and_relocate_keep_history(rooms: list[AddressNode]) -> None:
    person = actions.register_person(
        None, _person("张伟", IDS[0]), move_in=MoveIn(rooms[0], date(2024, 1, 1))
    )
    actions.relocate(None, person, MoveIn(rooms[1], date(2025, 6, 1), kind="rented"))
    history = list(
        Residence.objects.filter(person=person)
        .order_by("valid_from")
        .values_list("address_id", "valid_from", "valid_to")
    )
    assert history == [
        (rooms[0].pk, date(2024, 1, 1), date(2025, 6, 1)),
        (rooms[1].pk, date(2025, 6, 1), None),
    ]
    person.refresh_from_db()
    assert person.residence_code == rooms[1].code
    assert [v.action for v in PersonVersion.objects.filter(person=person)] == [
        "create",
        "move_out",
        "move_in",
    ]
    actions.move_out(None, person, date(2025, 7, 1))
    person.refresh_from_db()
    assert person.residence_code == "" and person.current_residence() is None


@pytest.mark.parametrize("start", [date(2024, 12, 31), date(2024, 6, 1)])
def test_overlapping_residence_is_refused(rooms: list[AddressNode], start: date) -> None:
    person = actions.register_person(
        None, _person("张伟", IDS[0]), move_in=MoveIn(rooms[0], date(2024, 1, 1))
    )
    if start == date(2024, 12, 31):
        with pytest.raises(ActionError, match="已有当前主要居住地") as info:
            actions.move_in(None, person, MoveIn(rooms[1], start))
        assert info.value.field == "address"
    else:
        actions.move_out(None, person, date(2025, 1, 1))
        with pytest.raises(ActionError, match="不能重叠") as info:
            actions.move_in(None, person, MoveIn(rooms[1], start))
        assert info.value.field == "valid_from"
    assert Residence.objects.filter(person=person).count() == 1


def test_demolished_or_non_dwelling_address_is_refused(
    rooms: list[AddressNode], building: AddressNode
) -> None:
    address_actions.demolish_node(None, rooms[0])
    with pytest.raises(ActionError, match="已拆除"):
        actions.register_person(None, _person("张伟", IDS[0]), move_in=MoveIn(rooms[0], date(2024, 1, 1)))
    with pytest.raises(ActionError, match="户室") as info:
        actions.register_person(None, _person("张伟", IDS[0]), move_in=MoveIn(building, date(2024, 1, 1)))
    assert info.value.field == "address" and not Person.objects.exists()


def test_version_conflict_is_refused(rooms: list[AddressNode]) -> None:
    person = actions.register_person(None, _person("张伟", IDS[0]))
    first = actions.update_person(
        None, person, _person("张伟", IDS[0], phone="13900001111"), expected_version=1
    )
    assert first.version == 2
    with pytest.raises(ActionError, match="已被他人修改") as info:
        actions.update_person(None, person, _person("张卫", IDS[0]), expected_version=1)
    assert info.value.field == "version"
    person.refresh_from_db()
    assert person.name == "张伟" and person.phone == "13900001111"
    change = PersonVersion.objects.get(person=person, version=2)
    assert change.changes == {"phone": "changed"}


def test_actor_outside_jurisdiction_cannot_move_people_in(carol: Any, rooms: list[AddressNode]) -> None:
    with pytest.raises(ActionError, match="找不到该地址"):
        actions.register_person(carol, _person("张伟", IDS[0]), move_in=MoveIn(rooms[0], date(2024, 1, 1)))
    assert not Person.objects.exists()


def test_photo_checks(rooms: list[AddressNode], settings: Any) -> None:
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    with pytest.raises(ActionError, match="不是有效的图片") as info:
        actions.register_person(
            None,
            _person("张伟", IDS[0]),
            photo=SimpleUploadedFile("x.jpg", b"<?php echo 1; ?>", "image/jpeg"),
        )
    assert info.value.field == "photo"
    big = SimpleUploadedFile("big.jpg", b"\xff" * (10 * 1024 * 1024), "image/jpeg")
    with pytest.raises(ActionError, match="不能超过"):
        actions.register_person(None, _person("张伟", IDS[0]), photo=big)
    buf = io.BytesIO()
    Image.new("RGB", (20, 30), "white").save(buf, "JPEG")
    settings.MEDIA_ROOT = str(settings.VAR_DIR / "test-media")
    person = actions.register_person(
        None, _person("张伟", IDS[0]), photo=SimpleUploadedFile("ok.jpg", buf.getvalue(), "image/jpeg")
    )
    assert person.photo.name.endswith(".jpg")


def test_clean_person_refuses_a_birth_after_the_day_it_is_given() -> None:
    number = "11010520160229" + "123"
    number += check_char(number)  # born 2016-02-29
    data = PersonInput(name="张三", id_number=number)
    assert actions.clean_person(data, today=date(2016, 2, 29))["birth_date"] == date(2016, 2, 29)
    with pytest.raises(ActionError) as exc:
        actions.clean_person(data, today=date(2016, 2, 28))
    assert exc.value.field == "id_number" and exc.value.code == "future_birth"
    born = date(2016, 3, 1)
    passport = PersonInput(name="Anna", id_number="E1234567", doc_type="passport", birth_date=born)
    assert actions.clean_person(passport, today=date(2016, 3, 1))["birth_date"] == date(2016, 3, 1)
    with pytest.raises(ActionError) as exc:
        actions.clean_person(passport, today=date(2016, 2, 29))
    assert exc.value.field == "birth_date"


def test_same_name_and_birth_finds_every_pair_however_many_are_asked() -> None:
    # More pairs than one statement takes on SQLite (400), half of them nobody's.
    births = [date(1950, 1, 1) + timedelta(days=i) for i in range(450)]
    rows = []
    for i, born in enumerate(births):
        body = f"130731{born:%Y%m%d}{i % 1000:03d}"
        rows.append((PersonInput(name=f"姓名{i}", id_number=body + check_char(body)), None))
    actions.bulk_register(None, rows)
    pairs = {(f"姓名{i}", born) for i, born in enumerate(births)} | {
        (f"姓名{i}", born + timedelta(days=1)) for i, born in enumerate(births)
    }
    found = actions.same_name_and_birth(pairs)
    assert set(found) == {(f"姓名{i}", born) for i, born in enumerate(births)}
    assert all(len(people) == 1 and people[0].name == pair[0] for pair, people in found.items())
