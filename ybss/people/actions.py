"""Every change to the actual population goes through these functions.

Pages, the API, imports and the demo builder call them. Each one checks its
input (Chinese messages naming the field), the actor's jurisdiction, writes a
version row and an audit row, all in one transaction.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, NamedTuple, overload

import psycopg
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from ybss.access import crypto
from ybss.access.roles import Cap
from ybss.access.scope import require
from ybss.addresses.models import AddressNode, Kind, Status
from ybss.audit import log
from ybss.audit.models import Action
from ybss.core.db import in_list, insert_rows, keyed_lookups, pg_array, value_preparer
from ybss.core.errors import ActionError
from ybss.divisions.loading import resolve_code
from ybss.lib.idcard import IdNumberError, validate_id_number
from ybss.lib.phone import PhoneError, normalize_phone
from ybss.lib.pickling import reduce_as_tuple
from ybss.lib.text import InvalidName, clean_name

from . import name_chars
from .models import ID_NUMBER, PHONE, DocType, Gender, Person, PersonVersion, Residence, ResidenceKind

DWELLING_KINDS = (Kind.ROOM, Kind.DOORPLATE)
# Choices' .values builds a new list on every call; bulk imports check millions of rows.
DOC_TYPES = frozenset(DocType.values)
GENDERS = frozenset(Gender.values)
RESIDENCE_KINDS = frozenset(ResidenceKind.values)


@dataclass
class PersonInput:
    """What a form, an API call or an import row says about a person."""

    name: str
    id_number: str
    doc_type: str = DocType.RESIDENT_ID
    gender: str = ""
    birth_date: date | None = None
    nationality: str = "CHN"
    domicile_division: str = ""
    domicile_detail: str = ""
    phone: str = ""
    employer_text: str = ""
    former_names: list[str] = field(default_factory=list)


@dataclass
class MoveIn:
    address: AddressNode
    valid_from: date
    kind: str = ResidenceKind.OWNED
    relation: str = ""
    reason: str = ""
    permit_number: str = ""
    permit_valid_to: date | None = None


def _user(actor: Any) -> Any:
    from django.contrib.auth import get_user_model

    return actor if isinstance(actor, get_user_model()) else None


def _check_scope(actor: Any, code: str, field_name: str) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return
    scope = require(actor, Cap.PERSON_EDIT)
    if not scope.covers(code):
        raise ActionError("找不到该地址。", field=field_name, code="not_found")


NameCache = dict[tuple[str, str], str]


def _clean_text(value: str, label: str, max_length: int, cache: NameCache | None) -> str:
    """``clean_name``, remembered in ``cache`` when the caller keeps one for a batch.

    Names, villages and employers repeat across an import file; only names that
    pass are remembered, so a bad one is refused, with its message, every time.
    """
    if cache is None:
        return clean_name(value, label, max_length=max_length)
    key = (value, label)
    hit = cache.get(key)
    if hit is None:
        hit = clean_name(value, label, max_length=max_length)
        if len(cache) >= 30_000:
            cache.clear()
        cache[key] = hit
    return hit


def clean_person(
    data: PersonInput, *, cache: NameCache | None = None, today: date | None = None
) -> dict[str, Any]:
    """Validated field values, or an ActionError naming the first bad field.

    ``cache`` (a dict a bulk caller keeps for its batch) spares checking the same
    name or address text again; ``today``, the date birth dates may not be after,
    spares asking the clock for every row.
    """
    today = today or date.today()
    try:
        name = _clean_text(data.name, "姓名", 50, cache)
    except InvalidName as exc:
        raise ActionError(str(exc), field="name") from exc
    former = []
    for raw in data.former_names:
        try:
            former.append(clean_name(raw, "曾用名", max_length=50))
        except InvalidName as exc:
            raise ActionError(str(exc), field="former_names") from exc
    if data.doc_type not in DOC_TYPES:
        raise ActionError("证件类型不在可选范围内。", field="doc_type")
    if data.gender and data.gender not in GENDERS:
        raise ActionError("性别代码应为 0、1、2 或 9（GB/T 2261.1）。", field="gender")
    nationality = (data.nationality or "CHN").strip().upper()
    if len(nationality) != 3 or not nationality.isalpha():
        raise ActionError("国籍应为 ISO 3166-1 三位字母代码，如 CHN、USA。", field="nationality")
    out: dict[str, Any] = {
        "name": name,
        "former_names": former,
        "doc_type": data.doc_type,
        "nationality": nationality,
        "birth_date": data.birth_date,
    }
    number = (data.id_number or "").strip()
    if data.doc_type == DocType.RESIDENT_ID:
        gender = data.gender if data.gender in ("1", "2") else None
        try:
            checked = validate_id_number(number, gender=gender, today=today)
        except IdNumberError as exc:
            field_name = "gender" if exc.code == "sex_mismatch" else "id_number"
            message = str(exc)
            if exc.suggestions:
                message += "可能是：" + "、".join(exc.suggestions[:3])
            raise ActionError(message, field=field_name, code=exc.code) from exc
        if data.birth_date and data.birth_date != checked.birth_date:
            raise ActionError("出生日期与身份证号码中的出生日期不一致。", field="birth_date")
        out.update(
            id_number=checked.number18,
            id15=checked.number15 or "",
            birth_date=checked.birth_date,
            gender=data.gender or checked.sex,
        )
    else:
        if not number or len(number) > 30 or not number.replace("-", "").isalnum():
            raise ActionError("证件号码应为 1–30 位字母或数字。", field="id_number")
        if data.birth_date and data.birth_date > today:
            raise ActionError("出生日期不能晚于今天。", field="birth_date")
        out.update(id_number=number.upper(), id15="", gender=data.gender or Gender.UNKNOWN)
    if data.domicile_division:
        try:
            division = resolve_code(data.domicile_division)
        except ValueError as exc:
            raise ActionError(str(exc), field="domicile_division") from exc
        if division is None:
            raise ActionError(f"找不到区划代码 {data.domicile_division}。", field="domicile_division")
        out["domicile_division"] = division
    else:
        out["domicile_division"] = None
    try:
        out["domicile_detail"] = (
            _clean_text(data.domicile_detail, "户籍地详址", 200, cache)
            if data.domicile_detail.strip()
            else ""
        )
        out["employer_text"] = (
            _clean_text(data.employer_text, "工作单位", 100, cache) if data.employer_text.strip() else ""
        )
    except InvalidName as exc:
        raise ActionError(
            str(exc), field="domicile_detail" if "户籍" in str(exc) else "employer_text"
        ) from exc
    if data.phone.strip():
        try:
            out["phone"] = normalize_phone(data.phone)
        except PhoneError as exc:
            raise ActionError(str(exc), field="phone") from exc
    else:
        out["phone"] = ""
    return out


_RESIDENT_ID = DocType.RESIDENT_ID.value  # a plain str: an enum member is slow to look up per row


def index_key(doc_type: str, number: str) -> str:
    # Resident IDs are unique on their own; other documents only with their type.
    return number if doc_type == _RESIDENT_ID else f"{doc_type}:{number}"


def find_by_id_number(doc_type: str, number: str, *, follow_merged: bool = True) -> Person | None:
    """The person holding this number; for a record merged into another (ybss.dedupe), the survivor."""
    indexes = crypto.index_values(ID_NUMBER, index_key(doc_type, number))
    # No ordering: with ORDER BY id, PostgreSQL may walk the whole primary key looking for a miss.
    person = next(iter(Person.objects.filter(id_number_index__in=indexes).order_by()[:1]), None)
    while follow_merged and person is not None and person.merged_into_id is not None:
        person = person.merged_into
    return person


def same_name_and_birth(pairs: set[tuple[str, date]]) -> dict[tuple[str, date], list[Person]]:
    """Registered people sharing a name and a birth date with any of ``pairs``, looked up pair by pair.

    ``name IN (…) AND birth_date IN (…)`` would match the cross product: every 张伟 born on any of
    the dates. A join on the pairs uses the (name, birth_date) index for exactly what is asked.
    """
    out: dict[tuple[str, date], list[Person]] = {}
    items = sorted(pairs)
    table = Person._meta.db_table
    postgres = transaction.get_connection().vendor == "postgresql"
    # SQLite takes two parameters a pair, within its 999; PostgreSQL two arrays of any length.
    step = 5000 if postgres else 400
    for start in range(0, len(items), step):
        chunk = items[start : start + step]
        params: list[Any]
        if postgres:
            # Two array parameters keep the statement short enough for psycopg to cache.
            names, names_param = pg_array([n for n, _ in chunk], "text[]")
            births, births_param = pg_array([b for _, b in chunk], "date[]")
            pairs_sql = f"SELECT * FROM unnest({names}, {births})"  # noqa: S608 - expressions of pg_array
            params = [names_param, births_param]
        else:
            pairs_sql = "VALUES " + ", ".join(["(%s, %s)"] * len(chunk))
            params = [x for pair in chunk for x in pair]
        sql = (
            f"WITH v(n, b) AS ({pairs_sql}) "  # noqa: S608 - placeholders only
            f"SELECT p.id, p.name, p.birth_date, p.doc_type, p.id_number_enc FROM {table} p "
            "JOIN v ON p.name = v.n AND p.birth_date = v.b"
        )
        with keyed_lookups():
            found = list(Person.objects.raw(sql, params))
        for person in found:
            out.setdefault((person.name, person.birth_date), []).append(person)  # type: ignore[arg-type]
    return out


def check_photo(photo: UploadedFile | None) -> None:
    if photo is None:
        return
    if photo.size is None or photo.size > settings.YBSS_MAX_PHOTO_BYTES:
        raise ActionError(f"照片不能超过 {settings.YBSS_MAX_PHOTO_BYTES // 1024 // 1024} MB。", field="photo")
    from PIL import Image, UnidentifiedImageError

    try:
        data = photo.read()
        photo.seek(0)
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            if image.format not in ("JPEG", "PNG"):
                raise ActionError("照片应为 JPEG 或 PNG 图片。", field="photo")
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ActionError("照片文件不是有效的图片。", field="photo") from exc


def _version(actor: Any, person: Person, action: str, changes: dict[str, Any], reason: str = "") -> None:
    PersonVersion.objects.create(
        person=person,
        version=person.version,
        action=action,
        changes=changes,
        reason=reason[:200],
        actor=_user(actor),
        actor_name=getattr(actor, "username", "") if actor else "系统",
    )


def _refresh_codes(person: Person) -> None:
    current = person.current_residence()
    person.residence_code = current.address.code if current else ""
    if person.domicile_address_id:
        person.domicile_code = person.domicile_address.code  # type: ignore[union-attr]
    elif person.domicile_division_id:
        person.domicile_code = person.domicile_division_id
    else:
        person.domicile_code = ""
    Person.objects.filter(pk=person.pk).update(
        residence_code=person.residence_code, domicile_code=person.domicile_code
    )


@transaction.atomic
def register_person(
    actor: Any, data: PersonInput, *, photo: UploadedFile | None = None, move_in: MoveIn | None = None
) -> Person:
    """A new person, usually moving in at an address at the same time."""
    if move_in is not None:
        _check_scope(actor, move_in.address.code, "address")
    elif actor is not None and getattr(actor, "is_authenticated", False):
        require(actor, Cap.PERSON_EDIT)
    values = clean_person(data)
    check_photo(photo)
    if find_by_id_number(values["doc_type"], values["id_number"]) is not None:
        raise ActionError("该证件号码已登记，请查找已有人员后办理迁入。", field="id_number", code="duplicate")
    ring = crypto.keyring()
    person = Person(
        doc_type=values["doc_type"],
        id_number_enc=ring.encrypt(values["id_number"], ID_NUMBER.context),
        id_number_index=ring.blind_index(
            index_key(values["doc_type"], values["id_number"]), ID_NUMBER.context
        ),
        name=values["name"],
        former_names=values["former_names"],
        gender=values["gender"],
        birth_date=values["birth_date"],
        nationality=values["nationality"],
        domicile_division=values["domicile_division"],
        domicile_detail=values["domicile_detail"],
        employer_text=values["employer_text"],
    )
    if values["id15"]:
        person.id15_index = ring.blind_index(values["id15"], ID_NUMBER.context)
    if values["phone"]:
        person.phone_enc, person.phone_index = crypto.seal(PHONE, values["phone"])
    if photo is not None:
        person.photo.save(photo.name or "photo.jpg", photo, save=False)
    person.save()
    _version(actor, person, "create", {"fields": sorted(k for k, v in values.items() if v)})
    log.record(actor, Action.CREATE, targets=[("person", person.pk)])
    if move_in is not None:
        _open_residence(actor, person, move_in)
    _refresh_codes(person)
    return person


@transaction.atomic
def update_person(
    actor: Any,
    person: Person,
    data: PersonInput,
    *,
    expected_version: int,
    reason: str = "",
    photo: UploadedFile | None = None,
) -> Person:
    """Change a person's details; refused if someone else saved since ``expected_version``."""
    current = Person.objects.select_for_update().get(pk=person.pk)
    _check_scope(actor, current.residence_code or current.domicile_code or "-", "id_number")
    if current.version != expected_version:
        raise ActionError("该记录已被他人修改，请刷新后重试。", field="version", code="conflict")
    values = clean_person(data)
    check_photo(photo)
    other = find_by_id_number(values["doc_type"], values["id_number"], follow_merged=False)
    if other is not None and other.pk != current.pk:
        raise ActionError("该证件号码已登记在另一人员名下。", field="id_number", code="duplicate")
    changes: dict[str, Any] = {}
    for name in (
        "name",
        "former_names",
        "gender",
        "birth_date",
        "nationality",
        "domicile_detail",
        "employer_text",
        "doc_type",
    ):
        old, new = getattr(current, name), values[name]
        if old != new:
            changes[name] = [str(old), str(new)]
            setattr(current, name, new)
    if current.domicile_division != values["domicile_division"]:
        changes["domicile_division"] = [
            current.domicile_division_id,
            getattr(values["domicile_division"], "pk", None),
        ]
        current.domicile_division = values["domicile_division"]
    new_index = crypto.keyring().blind_index(
        index_key(values["doc_type"], values["id_number"]), ID_NUMBER.context
    )
    if new_index != current.id_number_index:
        changes["id_number"] = "changed"  # never the numbers themselves
        current.id_number_enc = crypto.keyring().encrypt(values["id_number"], ID_NUMBER.context)
        current.id_number_index = new_index
    if values["phone"] != current.phone:
        changes["phone"] = "changed"
        current.phone_enc, current.phone_index = crypto.seal(PHONE, values["phone"])
    if photo is not None:
        current.photo.save(photo.name or "photo.jpg", photo, save=False)
        changes["photo"] = "changed"
    if not changes:
        return current
    current.version = F("version") + 1
    current.last_confirmed = date.today()
    current.save()
    current.refresh_from_db()
    _version(actor, current, "update", changes, reason)
    log.record(actor, Action.CHANGE, targets=[("person", current.pk)], extra={"fields": sorted(changes)})
    _refresh_codes(current)
    return current


@transaction.atomic
def confirm_person(actor: Any, person: Person, reason: str = "") -> Person:
    """Someone saw the record still holds (a campaign visit): it is fresh again, nothing else changes."""
    current = Person.objects.select_for_update().get(pk=person.pk)
    _check_scope(actor, current.residence_code or current.domicile_code or "-", "id_number")
    Person.objects.filter(pk=current.pk).update(version=F("version") + 1, last_confirmed=date.today())
    current.refresh_from_db()
    _version(actor, current, "confirm", {}, reason)
    log.record(actor, Action.CHANGE, targets=[("person", current.pk)], extra={"confirmed": True})
    return current


def _check_dwelling(address: AddressNode) -> None:
    if address.kind not in DWELLING_KINDS:
        raise ActionError("居住地址应为户室，或平房、农村住房的门牌号。", field="address")
    if address.status != Status.IN_USE:
        raise ActionError(f"该地址已{address.get_status_display()}，不能登记居住。", field="address")


def _open_residence(actor: Any, person: Person, move: MoveIn) -> Residence:
    address = AddressNode.objects.select_for_update().get(pk=move.address.pk)
    _check_dwelling(address)
    if move.kind not in RESIDENCE_KINDS:
        raise ActionError("居住类型不在可选范围内。", field="kind")
    if move.valid_from > date.today():
        raise ActionError("起居日期不能晚于今天。", field="valid_from")
    if person.residences.filter(valid_to__isnull=True, is_main=True).exists():
        raise ActionError("该人员已有当前主要居住地，请办理迁出或迁移。", field="address", code="overlap")
    last_end = (
        person.residences.filter(valid_to__isnull=False)
        .order_by("-valid_to")
        .values_list("valid_to", flat=True)
        .first()
    )
    if last_end is not None and move.valid_from < last_end:
        raise ActionError(
            f"起居日期早于上一处居住的离开日期 {last_end}，居住时间不能重叠。",
            field="valid_from",
            code="overlap",
        )
    if move.permit_valid_to and move.permit_valid_to < move.valid_from:
        raise ActionError("居住证有效期不能早于起居日期。", field="permit_valid_to")
    residence = Residence.objects.create(
        person=person,
        address=address,
        valid_from=move.valid_from,
        kind=move.kind,
        relation=move.relation,
        reason=move.reason,
        permit_number=move.permit_number[:30],
        permit_valid_to=move.permit_valid_to,
    )
    log.record(
        actor,
        Action.CREATE,
        targets=[("person", person.pk), ("address", address.code)],
        extra={"residence": residence.pk},
    )
    return residence


@transaction.atomic
def move_in(actor: Any, person: Person, move: MoveIn) -> Residence:
    _check_scope(actor, move.address.code, "address")
    person = Person.objects.select_for_update().get(pk=person.pk)
    residence = _open_residence(actor, person, move)
    Person.objects.filter(pk=person.pk).update(version=F("version") + 1, last_confirmed=date.today())
    person.refresh_from_db()
    _version(actor, person, "move_in", {"address": move.address.code, "from": str(move.valid_from)})
    _refresh_codes(person)
    return residence


@transaction.atomic
def move_out(actor: Any, person: Person, on: date, reason: str = "") -> Residence:
    person = Person.objects.select_for_update().get(pk=person.pk)
    current = person.current_residence()
    if current is None:
        raise ActionError("该人员没有当前居住地。", field="valid_to")
    _check_scope(actor, current.address.code, "valid_to")
    if on < current.valid_from:
        raise ActionError(f"离开日期不能早于起居日期 {current.valid_from}。", field="valid_to")
    if on > date.today():
        raise ActionError("离开日期不能晚于今天。", field="valid_to")
    Residence.objects.filter(pk=current.pk).update(valid_to=on)
    current.refresh_from_db()
    Person.objects.filter(pk=person.pk).update(version=F("version") + 1, last_confirmed=date.today())
    person.refresh_from_db()
    _version(actor, person, "move_out", {"address": current.address.code, "to": str(on)}, reason)
    log.record(
        actor,
        Action.CHANGE,
        targets=[("person", person.pk), ("address", current.address.code)],
        extra={"moved_out": str(on)},
    )
    _refresh_codes(person)
    return current


@transaction.atomic
def relocate(actor: Any, person: Person, move: MoveIn) -> Residence:
    """Moving within the county: close the current residence and open the new one on the same day."""
    move_out(actor, person, move.valid_from, "迁移")
    return move_in(actor, person, move)


BULK_CHUNK = 500


def _row_error(row: int, exc: ActionError) -> ActionError:
    return ActionError(f"第 {row} 条：{exc.message}", field=exc.field, code=exc.code)


def division_cached(code: str, cache: dict[str, Any]) -> Any:
    """``clean_person``'s domicile lookup, remembered for the rest of a batch."""
    if not code:
        return None
    if code not in cache:
        try:
            division = resolve_code(code)
        except ValueError as exc:
            raise ActionError(str(exc), field="domicile_division") from exc
        if division is None:
            raise ActionError(f"找不到区划代码 {code}。", field="domicile_division")
        cache[code] = division
    return cache[code]


def check_new_move(address: AddressNode, move: MoveIn, today: date) -> None:
    """``_open_residence``'s checks for a person who has no residence yet."""
    _check_dwelling(address)
    if move.kind not in RESIDENCE_KINDS:
        raise ActionError("居住类型不在可选范围内。", field="kind")
    if move.valid_from > today:
        raise ActionError("起居日期不能晚于今天。", field="valid_from")
    if move.permit_valid_to and move.permit_valid_to < move.valid_from:
        raise ActionError("居住证有效期不能早于起居日期。", field="permit_valid_to")


# The Person columns bulk_register writes for each row; the rest are the same for every row.
_PERSON_COLUMNS = (
    "doc_type",
    "id_number_enc",
    "id_number_index",
    "id15_index",
    "name",
    "former_names",
    "gender",
    "birth_date",
    "nationality",
    "domicile_division_id",
    "domicile_detail",
    "phone_enc",
    "phone_index",
    "employer_text",
    "residence_code",
    "domicile_code",
)
_NAME = _PERSON_COLUMNS.index("name")
_FORMER_NAMES = _PERSON_COLUMNS.index("former_names")
_ID_INDEX = _PERSON_COLUMNS.index("id_number_index")
_RESIDENCE_CODE = _PERSON_COLUMNS.index("residence_code")


_RESIDENCE_COLUMNS = (
    "person_id",
    "address_id",
    "valid_from",
    "kind",
    "relation",
    "reason",
    "permit_number",
    "permit_valid_to",
)


class RegisteredPeople(Sequence[Person]):
    """The people ``bulk_register`` has just written, as ``Person`` instances made when asked for.

    The rows were written without model instances; a bulk import looks at few of the
    people it made (those imported anyway for the duplicate review), and building
    an instance for each of them would cost about as much as writing the row.
    """

    def __init__(
        self,
        ids: list[int],
        rows: list[tuple[Any, ...]],
        fixed: dict[str, Any],
        using: str,
    ) -> None:
        self._ids, self._rows, self._fixed, self._using = ids, rows, fixed, using

    def __len__(self) -> int:
        return len(self._ids)

    def _person(self, i: int) -> Person:
        values = dict(zip(_PERSON_COLUMNS, self._rows[i], strict=True))
        values["former_names"] = list(values["former_names"])
        # The division by its code: loaded if someone asks for it, as for any Person read.
        person = Person(id=self._ids[i], **values, **self._fixed)
        person._state.adding = False
        person._state.db = self._using
        return person

    @overload
    def __getitem__(self, index: int) -> Person: ...

    @overload
    def __getitem__(self, index: slice) -> list[Person]: ...

    def __getitem__(self, index: int | slice) -> Person | list[Person]:
        if isinstance(index, slice):
            return [self._person(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._person(index)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RegisteredPeople):
            return self._ids == other._ids
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(other) == len(self) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    @property
    def pks(self) -> list[int]:
        return list(self._ids)


class Registration(NamedTuple):
    """One new person checked and sealed by ``prepare_registrations``, ready to write.

    Plain values only: a bulk import prepares its people in the process that checks
    the file and writes them in another, and what crosses between them is pickled.
    """

    # The person's row, in ``_PERSON_COLUMNS`` order: the number and phone already sealed.
    person: tuple[Any, ...]
    # Every blind index of the number (one per index key in use), to find it registered already.
    indexes: tuple[str, ...]
    # The residence's row without its person (``_RESIDENCE_COLUMNS[1:]``), or None.
    residence: tuple[Any, ...] | None
    # The fields the person's first version names as filled.
    filled: tuple[str, ...]

    def __reduce__(self) -> tuple[Any, ...]:
        return reduce_as_tuple(self)  # sent to the writing process by the thousand


@transaction.atomic
def bulk_register(
    actor: Any,
    rows: Sequence[tuple[PersonInput, MoveIn | None]],
    *,
    cleaned_values: Sequence[dict[str, Any]] | None = None,
    id_indexes: Sequence[tuple[str, ...]] | None = None,
) -> Sequence[Person]:
    """Many new people at once (imports, the demo): ``register_person`` for each row, batched.

    ``prepare_registrations`` then ``write_registrations``: every row gets the same checks
    as ``register_person`` (fields, scope, duplicate numbers, in the batch and in the
    database, the dwelling and the move-in dates) before anything is written; one bad row
    refuses the whole batch, with an ActionError whose message names the row (1-based).
    Then people, their version rows and residences are inserted in bulk, and one audit
    event names every person and address of the batch.

    The people come back as a sequence of ``Person`` (made on access, see ``RegisteredPeople``).
    """
    prepared = prepare_registrations(actor, rows, cleaned_values=cleaned_values, id_indexes=id_indexes)
    return write_registrations(actor, prepared)


def prepare_registrations(
    actor: Any,
    rows: Sequence[tuple[PersonInput, MoveIn | None]],
    *,
    cleaned_values: Sequence[dict[str, Any]] | None = None,
    id_indexes: Sequence[tuple[str, ...]] | None = None,
) -> list[Registration]:
    """``bulk_register``'s checks that need no database, and each row sealed and laid out.

    ``cleaned_values`` are ``clean_person``'s results for the rows, in order, when the
    caller has just computed them (an import validates every row for its report first);
    the field checks are then not run twice. ``id_indexes`` are, likewise, the
    ``crypto.index_values`` of each row's ``index_key``, which an import has computed to
    find the people it already knows. Scope, repeated numbers within the rows and the
    move-in are still checked here; ``write_registrations`` checks the rest.
    """
    if cleaned_values is not None and len(cleaned_values) != len(rows):
        raise ValueError("cleaned_values must have one entry per row")
    if id_indexes is not None and len(id_indexes) != len(rows):
        raise ValueError("id_indexes must have one entry per row")
    if actor is not None and getattr(actor, "is_authenticated", False):
        require(actor, Cap.PERSON_EDIT)
    divisions: dict[str, Any] = {}
    seen: dict[str, int] = {}
    today = date.today()
    id_sealer, phone_sealer = crypto.Sealer(ID_NUMBER), crypto.Sealer(PHONE)
    # Most rows fill the same fields: one sorted tuple per distinct set (found by the fields
    # in the values' own order, without sorting each row's), which pickling then sends once.
    filled: dict[tuple[str, ...], tuple[str, ...]] = {}
    prepared: list[Registration] = []
    for row, (data, move) in enumerate(rows, start=1):
        try:
            if move is not None:
                _check_scope(actor, move.address.code, "address")
                check_new_move(move.address, move, today)
            if cleaned_values is not None:
                values = cleaned_values[row - 1]
            else:
                values = clean_person(replace(data, domicile_division=""))
                values["domicile_division"] = division_cached(data.domicile_division, divisions)
        except ActionError as exc:
            raise _row_error(row, exc) from exc
        key = index_key(values["doc_type"], values["id_number"])
        if key in seen:
            raise ActionError(
                f"第 {row} 条：证件号码与第 {seen[key]} 条重复。", field="id_number", code="duplicate"
            )
        seen[key] = row
        indexes = tuple(id_indexes[row - 1]) if id_indexes is not None else id_sealer.indexes(key)
        division = values["domicile_division"]
        phone_enc, phone_index = phone_sealer.seal(values["phone"])
        person = (
            values["doc_type"],
            id_sealer.encrypt(values["id_number"]),
            indexes[0],
            id_sealer.index(values["id15"]) if values["id15"] else "",
            values["name"],
            # A tuple is the same JSON as the list and lets the writer encode the usual [] once.
            tuple(values["former_names"]),
            values["gender"],
            values["birth_date"],
            values["nationality"],
            division.pk if division is not None else None,
            values["domicile_detail"],
            phone_enc,
            phone_index,
            values["employer_text"],
            move.address.code if move is not None else "",
            division.pk if division is not None else "",
        )
        residence = (
            (
                move.address.pk,
                move.valid_from,
                move.kind,
                move.relation,
                move.reason,
                move.permit_number[:30],
                move.permit_valid_to,
            )
            if move is not None
            else None
        )
        given = tuple([k for k, v in values.items() if v])
        names = filled.get(given)
        if names is None:
            names = filled[given] = tuple(sorted(given))
        prepared.append(Registration(person, indexes, residence, names))
    return prepared


def write_registrations(actor: Any, prepared: Sequence[Registration]) -> Sequence[Person]:
    """Write people ``prepare_registrations`` made ready, after the checks that need the database.

    In the writer's transaction: no row's number may be registered already, and every
    dwelling is locked and must still be in use (an import prepares its rows before
    it writes them, and someone may have changed an address in between). Then the
    people, their version rows and residences are inserted in bulk, and one audit event
    names every person and address.
    """
    if not prepared:
        return []
    if actor is not None and getattr(actor, "is_authenticated", False):
        require(actor, Cap.PERSON_EDIT)
    first: dict[str, int] = {}
    for row, registration in enumerate(prepared, start=1):
        earlier = first.setdefault(registration.person[_ID_INDEX], row)
        if earlier != row:
            raise ActionError(
                f"第 {row} 条：证件号码与第 {earlier} 条重复。", field="id_number", code="duplicate"
            )
    # With one index key in use, the unique index on the number's blind index refuses a
    # registered number as the people are inserted, and the lookup that names its row only
    # runs then: an import checks a thousand numbers a batch, and has just looked them up.
    # While keys are rotated a number may be stored under the old key's index, which the
    # constraint cannot see: then every index is looked up first.
    if any(len(r.indexes) > 1 for r in prepared):
        _refuse_registered(prepared)
        return _write_registrations(actor, prepared)
    try:
        return _write_registrations(actor, prepared)
    except (IntegrityError, psycopg.IntegrityError):
        _refuse_registered(prepared)
        raise


def _refuse_registered(prepared: Sequence[Registration]) -> None:
    """An ActionError naming the first row whose number is registered already, if any."""
    for start in range(0, len(prepared), BULK_CHUNK):
        lookup = {
            idx: row
            for row in range(start, min(start + BULK_CHUNK, len(prepared)))
            for idx in prepared[row].indexes
        }
        # Unordered: ".first()" would sort by id, and a miss would then scan the whole table.
        with keyed_lookups():
            hit = next(
                iter(
                    Person.objects.filter(in_list(Person, "id_number_index", list(lookup)))
                    .order_by()
                    .values_list("id_number_index", flat=True)[:1]
                ),
                None,
            )
        if hit is not None:
            raise ActionError(
                f"第 {lookup[hit] + 1} 条：该证件号码已登记，请查找已有人员后办理迁入。",
                field="id_number",
                code="duplicate",
            )


@transaction.atomic
def _write_registrations(actor: Any, prepared: Sequence[Registration]) -> Sequence[Person]:
    address_ids = sorted({r.residence[0] for r in prepared if r.residence is not None})
    addresses: dict[int, AddressNode] = {}
    for start in range(0, len(address_ids), BULK_CHUNK):
        chunk = address_ids[start : start + BULK_CHUNK]
        # Only what the checks and the codes read: the rest of a node is never needed here.
        locked = (
            AddressNode.objects.select_for_update()
            .filter(in_list(AddressNode, "id", chunk))
            .only("id", "code", "kind", "status")
        )
        addresses.update((a.pk, a) for a in locked)
    person_rows: list[tuple[Any, ...]] = []
    for row, registration in enumerate(prepared, start=1):
        person = registration.person
        if registration.residence is not None:
            address = addresses.get(registration.residence[0])
            try:
                if address is None:
                    raise ActionError("找不到该地址。", field="address", code="not_found")
                _check_dwelling(address)
            except ActionError as exc:
                raise _row_error(row, exc) from exc
            if person[_RESIDENCE_CODE] != address.code:  # renumbered since it was prepared
                person = (*person[:_RESIDENCE_CODE], address.code, *person[_RESIDENCE_CODE + 1 :])
        person_rows.append(person)

    now = timezone.now()
    fixed = {"version": 1, "last_confirmed": date.today(), "created_at": now, "updated_at": now}
    with name_chars.filled_by_caller(connection) as characters:
        person_ids = insert_rows(
            Person, _PERSON_COLUMNS, person_rows, count=len(person_rows), constants=fixed
        )
        if characters is not None:
            # The former names' column as the database is given it: what the trigger reads.
            stored = value_preparer(Person._meta.get_field("former_names"), connection)
            characters.add(
                (pk, row[_NAME], stored(row[_FORMER_NAMES]))
                for pk, row in zip(person_ids, person_rows, strict=True)
            )

    user, actor_name = _user(actor), getattr(actor, "username", "") if actor else "系统"
    # One changes value per distinct set of fields, not one per row.
    changes: dict[tuple[str, ...], dict[str, Any]] = {}
    insert_rows(
        PersonVersion,
        ("person_id", "changes"),
        (
            (pk, changes.get(r.filled) or changes.setdefault(r.filled, {"fields": list(r.filled)}))
            for pk, r in zip(person_ids, prepared, strict=True)
        ),
        count=len(person_ids),
        constants={
            "version": 1,
            "action": "create",
            "actor_id": getattr(user, "pk", None),
            "actor_name": actor_name,
            "at": now,
        },
    )
    residence_rows = [
        (pk, *r.residence) for pk, r in zip(person_ids, prepared, strict=True) if r.residence is not None
    ]
    insert_rows(
        Residence,
        _RESIDENCE_COLUMNS,
        residence_rows,
        count=len(residence_rows),
        constants={"created_at": now},
    )
    log.record(
        actor,
        Action.CREATE,
        targets=[("person", pk) for pk in person_ids]
        + [("address", addresses[pk].code) for pk in address_ids],
        extra={"bulk": len(person_ids), "residences": len(residence_rows)},
    )
    return RegisteredPeople(person_ids, person_rows, fixed, transaction.get_connection().alias)
