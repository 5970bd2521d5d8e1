"""Import of persons with their residence (实有人口及居住信息).

A row matches an existing person by identity-document number. An identical row
changes nothing; a different one becomes ``update_person`` (and a move when the
address differs), with history. New people go through ``bulk_register``.
Rows that look like an existing person with an ID one digit off are held back
as possible duplicates until someone decides.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, NamedTuple

from ybss.access import crypto
from ybss.addresses.models import AddressNode
from ybss.core.db import in_list, keyed_lookups
from ybss.core.errors import ActionError
from ybss.lib import sheets
from ybss.lib.diskmap import DiskMap
from ybss.lib.pickling import reduce_as_tuple
from ybss.people import actions
from ybss.people.models import (
    ID_NUMBER,
    PHONE,
    DocType,
    Gender,
    Person,
    PersonVersion,
    Relation,
    Residence,
    ResidenceKind,
    StayReason,
)

from ..columns import Column, labels
from ..importing import RowPlan
from ..models import ProblemLevel
from .common import Coercer, RegistryHandler, near_number

DOC_TYPES = labels(DocType)
GENDERS = labels(Gender)
KINDS = labels(ResidenceKind)
RELATIONS = labels(Relation)
REASONS = labels(StayReason)
NATIONALITY_ALIASES = {"中国": "CHN", "中华人民共和国": "CHN", "中国籍": "CHN"}

COLUMNS = [
    Column("name", "姓名", required=True, note="与证件一致，2–50 字。", example="张三"),
    Column(
        "doc_type",
        "证件类型",
        choices=DOC_TYPES,
        note="留空为居民身份证。",
        example="居民身份证",
    ),
    Column(
        "id_number",
        "证件号码",
        required=True,
        text=True,
        aliases=("身份证号", "公民身份号码", "身份证号码"),
        note="18 位居民身份证号，末位可为 X；老的 15 位号码会自动升为 18 位。请把本列设为文本格式。",
        example="130731199001011237",
    ),
    Column("gender", "性别", choices=GENDERS, note="留空时按身份证号推出。", example="男"),
    Column("birth_date", "出生日期", note="如 1990-01-01；居民身份证可留空。", example="1990-01-01"),
    Column("nationality", "国籍", note="ISO 三位字母代码，留空为 CHN。", example="CHN"),
    Column(
        "domicile_division",
        "户籍地区划代码",
        text=True,
        note="6 位或 12 位统计用区划代码。",
        example="130731100",
    ),
    Column("domicile_detail", "户籍地详址", example="河北省涿鹿县涿鹿镇某村"),
    Column("phone", "联系电话", text=True, aliases=("电话", "手机号", "手机号码"), example="13800138000"),
    Column("employer_text", "工作单位或学校", aliases=("工作单位",), example="涿鹿县某公司"),
    Column(
        "address",
        "居住地址",
        required=True,
        aliases=("现住址", "实际居住地址"),
        note="标准地址的户室或门牌；能确定的自动关联，不确定的在页面上选择。",
        example="涿鹿镇示范社区幸福路1号1栋1单元101",
    ),
    Column("residence_kind", "居住类型", required=True, choices=KINDS, example="租住"),
    Column("relation", "与户主关系", choices=RELATIONS, example="户主"),
    Column("stay_reason", "居住事由", choices=REASONS, example="务工"),
    Column("valid_from", "起居日期", required=True, note="开始在该地址居住的日期。", example="2024-03-01"),
    Column("permit_number", "居住证号", text=True),
    Column("permit_valid_to", "居住证有效期至", example="2026-03-01"),
]

COLUMN_BY_KEY = {col.key: col for col in COLUMNS}

PERSON_FIELDS = (
    "name",
    "gender",
    "birth_date",
    "nationality",
    "domicile_detail",
    "employer_text",
    "doc_type",
    "phone",
)

# What a row is compared with: the stored person's columns that the file can say something about.
STORED_FIELDS = (
    "id",
    "id_number_index",
    "residence_code",
    "domicile_code",
    "merged_into_id",
    "domicile_division_id",
    "phone_index",
    "phone_enc",
    "former_names",
    *(name for name in PERSON_FIELDS if name != "phone"),
)

# ActionError fields from the registry's actions, as import columns
FIELD_COLUMN = {"kind": "residence_kind", "address": "address", "reason": "stay_reason"}


@dataclass
class PersonRow:
    data: actions.PersonInput
    values: dict[str, Any]
    move: actions.MoveIn | None
    # The registered person with this number, if any; the instance only for rows that update it.
    person_id: int | None = None
    person: Person | None = None
    relocate: bool = False
    changes: bool = False
    # The number's blind indexes, computed once to find the person and reused to register one.
    indexes: tuple[str, ...] = ()
    # Registered people this row may duplicate, imported anyway: paired in the review queue once saved.
    review_with: list[int] = field(default_factory=list)


class NewPerson(NamedTuple):
    """A create row as the writer gets it, from ``PersonsHandler.prepare_writes``."""

    registration: actions.Registration
    # As ``PersonRow.review_with``.
    review_with: tuple[int, ...]

    def __reduce__(self) -> tuple[Any, ...]:
        return reduce_as_tuple(self)  # sent to the writing process by the thousand


class PersonsHandler(RegistryHandler):
    kind = "persons"
    columns = COLUMNS
    # Tables this import fills, whose statistics the commit refreshes as it goes.
    tables = (Person, Residence, PersonVersion)
    # A chunk's checks never read the rows this import wrote before it: numbers and people
    # repeated within the file come from ``seen`` and ``new_people``. So a commit may check
    # in a second process, against the registry as committed (ybss/exchange/worker.py).
    checks_apart = True
    # What the checks and the writer read of a dwelling (see ``actions.prepare_registrations``).
    address_fields = ("id", "code", "kind", "status")

    def __init__(self, actor: Any, decisions: dict[str, Any], file_name: str = "") -> None:
        super().__init__(actor, decisions, file_name)
        self.divisions: dict[str, Any] = {}
        # Parsed dates and choices, checked names: per distinct text, for the whole file.
        self.memo: dict[tuple[Any, ...], Any] = {}
        self.names: actions.NameCache = {}
        self.id_indexes = crypto.Sealer(ID_NUMBER).indexes
        self.phone_indexes = crypto.Sealer(PHONE).indexes
        # Both kept for every row of the file, so in DiskMaps, on disk past their first 200,000
        # keys: in memory they took about 400 bytes a row, and memory must not grow with the file.
        # index key digest -> row (4 bytes) + fingerprint: repeated numbers within the file
        self.seen = DiskMap()
        # digest of (name, birth date) -> the new people of this file with them, each as
        # row (4 bytes) + length (1 byte; numbers are at most 30 characters) + number
        self.new_people = DiskMap()

    # ------------------------------------------------------------ plan

    def _coerce(self, plan: RowPlan, raw: dict[str, Any]) -> dict[str, Any] | None:
        c = Coercer(plan, raw, COLUMN_BY_KEY, self.memo)
        v = {
            "name": c.text("name"),
            "doc_type": c.choice("doc_type", DOC_TYPES) or DocType.RESIDENT_ID,
            "id_number": c.id_number("id_number"),
            "gender": c.choice("gender", GENDERS),
            "birth_date": c.date("birth_date"),
            "nationality": c.text("nationality"),
            "domicile_division": c.text("domicile_division"),
            "domicile_detail": c.text("domicile_detail"),
            "phone": c.text("phone"),
            "employer_text": c.text("employer_text"),
            "address": c.text("address"),
            "residence_kind": c.choice("residence_kind", KINDS),
            "relation": c.choice("relation", RELATIONS),
            "stay_reason": c.choice("stay_reason", REASONS),
            "valid_from": c.date("valid_from"),
            "permit_number": c.text("permit_number"),
            "permit_valid_to": c.date("permit_valid_to"),
        }
        nationality = str(v["nationality"])
        v["nationality"] = NATIONALITY_ALIASES.get(nationality, nationality) or "CHN"
        return None if c.failed else v

    def _clean(self, plan: RowPlan, raw: dict[str, Any], v: dict[str, Any]) -> PersonRow | None:
        data = actions.PersonInput(
            name=v["name"],
            id_number=v["id_number"],
            doc_type=v["doc_type"],
            gender=v["gender"],
            birth_date=v["birth_date"],
            nationality=v["nationality"],
            domicile_division="",
            domicile_detail=v["domicile_detail"],
            phone=v["phone"],
            employer_text=v["employer_text"],
        )
        try:
            values = actions.clean_person(data, cache=self.names, today=self.today)
            values["domicile_division"] = actions.division_cached(v["domicile_division"], self.divisions)
        except ActionError as exc:
            key = exc.field or ""
            plan.add(key, exc.message, raw.get(key), code=exc.code)
            return None
        data.domicile_division = v["domicile_division"]  # our own object, made above
        if values.get("id15"):
            plan.add(
                "id_number",
                f"15 位旧身份证号已按国家标准升为 18 位：{values['id_number']}。",
                raw.get("id_number"),
                code="id15_converted",
                level=ProblemLevel.WARNING,
            )
        return PersonRow(data=data, values=values, move=None)

    def _fingerprint(self, v: dict[str, Any]) -> bytes:
        # ``_coerce`` always builds ``v`` in the same key order, so its values say it all.
        # Compared only within this pass, in the process that checks it: Python's own 64-bit
        # hash of the values does: 0.3 µs a row against 2.5 for a digest of their text.
        return hash(tuple(v.values())).to_bytes(8, "big", signed=True)

    def plan(self, records: list[tuple[int, dict[str, Any]]]) -> list[RowPlan]:
        plans: list[RowPlan] = []
        checked: list[tuple[RowPlan, PersonRow, dict[str, Any], dict[str, Any], bytes]] = []
        for number, raw in records:
            plan = RowPlan(number)
            plans.append(plan)
            v = self._coerce(plan, raw)
            if v is None:
                continue
            row = self._clean(plan, raw, v)
            if row is None:
                continue
            key = actions.index_key(row.values["doc_type"], row.values["id_number"])
            checked.append((plan, row, v, raw, hashlib.blake2b(key.encode(), digest_size=16).digest()))
        # The chunk's numbers seen in earlier chunks, in one lookup; this chunk's own as it goes.
        seen = self.seen.get_many(digest for *_, digest in checked)
        first_seen: dict[bytes, bytes] = {}
        staged: list[tuple[RowPlan, PersonRow, dict[str, Any], dict[str, Any]]] = []
        for plan, row, v, raw, digest in checked:
            number = plan.row
            fingerprint = self._fingerprint(v)
            packed = seen.get(digest)
            if packed is not None:
                earlier = (int.from_bytes(packed[:4], "big"), packed[4:])
                if earlier[1] == fingerprint:
                    plan.op = "skip"
                    plan.add(
                        "",
                        f"与第 {earlier[0]} 行完全相同，已跳过。",
                        level=ProblemLevel.WARNING,
                        code="duplicate_row",
                    )
                else:
                    plan.add(
                        "id_number",
                        f"证件号码与第 {earlier[0]} 行相同，但其他内容不同，请核对后只保留一行。",
                        raw.get("id_number"),
                        code="duplicate_in_file",
                    )
                continue
            seen[digest] = first_seen[digest] = number.to_bytes(4, "big") + fingerprint
            staged.append((plan, row, v, raw))
        self.seen.put_many(first_seen.items())

        self._resolve_addresses(staged)
        self._match_existing(staged)
        self._possible_duplicates(staged)
        return plans

    def _resolve_addresses(
        self, staged: list[tuple[RowPlan, PersonRow, dict[str, Any], dict[str, Any]]]
    ) -> None:
        chosen = {
            plan.row: str(self.decisions.get(str(plan.row), {}).get("address", ""))
            for plan, *_ in staged
            if self.decisions.get(str(plan.row), {}).get("address")
        }
        self.addresses.prefetch_for([v["address"] for _, _, v, _ in staged], set(chosen.values()))
        for plan, row, v, raw in staged:
            node = self.addresses.resolve(
                plan,
                "address",
                v["address"],
                raw.get("address"),
                chosen.get(plan.row),
                kinds=actions.DWELLING_KINDS,
            )
            if node is None:
                continue
            move = actions.MoveIn(
                address=node,
                valid_from=v["valid_from"],
                kind=v["residence_kind"],
                relation=v["relation"],
                reason=v["stay_reason"],
                permit_number=v["permit_number"],
                permit_valid_to=v["permit_valid_to"],
            )
            try:
                actions.check_new_move(node, move, self.today)
            except ActionError as exc:
                key = FIELD_COLUMN.get(exc.field or "", exc.field or "")
                plan.add(key, exc.message, raw.get(key), code=exc.code)
                continue
            row.move = move

    def _match_existing(
        self, staged: list[tuple[RowPlan, PersonRow, dict[str, Any], dict[str, Any]]]
    ) -> None:
        lookup: dict[str, int] = {}
        for i, (_, row, _v, _r) in enumerate(staged):
            key = actions.index_key(row.values["doc_type"], row.values["id_number"])
            row.indexes = self.id_indexes(key)
            for idx in row.indexes:
                lookup[idx] = i
        if not lookup:
            return
        # Plain values to compare: most rows of a re-import change nothing, and a model
        # instance per row would cost more than the comparison. Rows that do change
        # get their Person below.
        with keyed_lookups():
            found = list(
                Person.objects.filter(in_list(Person, "id_number_index", list(lookup)))
                .order_by()
                .values(*STORED_FIELDS)
            )
            current = {
                person_id: (address_id, valid_from)
                for person_id, address_id, valid_from in Residence.objects.filter(
                    in_list(Residence, "person", [p["id"] for p in found]),
                    valid_to__isnull=True,
                    is_main=True,
                ).values_list("person_id", "address_id", "valid_from")
            }
        updates: dict[int, PersonRow] = {}
        for stored in found:
            plan, row, _v, raw = staged[lookup[stored["id_number_index"]]]
            row.person_id = stored["id"]
            if plan.blocked:
                continue
            self._compare(plan, row, stored, current.get(stored["id"]), raw)
            if plan.op == "update":
                updates[stored["id"]] = row
        for pk, person in Person.objects.in_bulk(list(updates)).items():
            updates[pk].person = person

    def _compare(
        self,
        plan: RowPlan,
        row: PersonRow,
        stored: dict[str, Any],
        residence: tuple[int, date] | None,
        raw: dict[str, Any],
    ) -> None:
        if self.actor is not None and getattr(self.actor, "is_authenticated", False):
            code = stored["residence_code"] or stored["domicile_code"] or "-"
            if not self.addresses.scope_covers(code):
                plan.add(
                    "id_number",
                    "该证件号码已登记在本辖区以外的人员名下，请联系其所在派出所办理迁移。",
                    raw.get("id_number"),
                    code="out_of_scope",
                )
                return
        if stored["merged_into_id"] is not None:
            plan.add(
                "id_number",
                f"该证件号码属于已并入人员 #{stored['merged_into_id']} 的重复记录，"
                "请核对后使用保留记录的证件号码。",
                raw.get("id_number"),
                code="merged",
            )
            return
        values = row.values
        differs = [name for name in PERSON_FIELDS if name != "phone" and stored[name] != values[name]]
        if stored["domicile_division_id"] != getattr(values["domicile_division"], "pk", None):
            differs.append("domicile_division")
        if values["phone"]:
            if stored["phone_index"] not in self.phone_indexes(values["phone"]):
                differs.append("phone")
        elif stored["phone_enc"]:
            differs.append("phone")
        row.changes = bool(differs)
        moves = row.move is not None and (residence is None or residence[0] != row.move.address.pk)
        if moves and residence is not None and row.move is not None:
            if row.move.valid_from < residence[1]:
                plan.add(
                    "valid_from",
                    f"起居日期早于该人员在现住址的起居日期 {residence[1]}，无法办理迁移。",
                    raw.get("valid_from"),
                )
                return
            row.relocate = True
        if not moves:
            row.move = None
        plan.op = "update" if (row.changes or moves) else "unchanged"
        if plan.op == "update":
            # Keep what the file cannot say (former names) as it is.
            row.data = replace(row.data, former_names=list(stored["former_names"]))
        plan.payload = row

    def _possible_duplicates(
        self, staged: list[tuple[RowPlan, PersonRow, dict[str, Any], dict[str, Any]]]
    ) -> None:
        new = [
            (plan, row, raw) for plan, row, _v, raw in staged if row.person_id is None and not plan.blocked
        ]
        for plan, row, _raw in new:
            plan.op = "create"
            plan.payload = row
        if not new:
            return
        pairs = {
            (row.values["name"], row.values["birth_date"]) for _, row, _ in new if row.values["birth_date"]
        }
        existing: dict[Any, list[Person]] = dict(actions.same_name_and_birth(pairs)) if pairs else {}
        keys = [_pair_key((row.values["name"], row.values["birth_date"])) for _, row, _ in new]
        held = self.new_people.get_many(keys)
        changed: set[bytes] = set()
        for (plan, row, raw), key in zip(new, keys, strict=True):
            pair = (row.values["name"], row.values["birth_date"])
            number = row.values["id_number"]
            decided = bool(self.decisions.get(str(plan.row), {}).get("import_anyway"))
            hits = [p.pk for p in existing.get(pair, []) if near_number(number, p.id_number)]
            same = _unpack_people(held.get(key, b""))
            rows = [r for r, other in same if near_number(number, other)]
            if len(same) < 20:  # enough to catch a typo; bounded for files full of one name
                held[key] = held.get(key, b"") + _packed_person(plan.row, number)
                changed.add(key)
            if decided:
                row.review_with = hits
                continue
            if not (hits or rows):
                continue
            where = "、".join([f"已登记人员 #{pk}" for pk in hits] + [f"本文件第 {r} 行" for r in rows])
            plan.problems.append(
                _duplicate(
                    f"可能与{where}是同一人：姓名、出生日期相同，证件号码只差一位或相邻两位颠倒。"
                    "如需照常导入，请在页面上勾选“照常导入，交重复核查”后重新检查，"
                    "由民警在重复核查中决定是否合并。",
                    raw.get("id_number"),
                    [{"person": pk} for pk in hits] + [{"row": r} for r in rows],
                )
            )
        self.new_people.put_many((key, held[key]) for key in changed)

    # ------------------------------------------------------------ apply

    def prepare_writes(self, plans: list[RowPlan]) -> None:
        """Seal and lay out the chunk's new people for the writer (``prepare_registrations``).

        Where the rows are checked in a second process, this runs there too: what crosses
        to the writer is then plain rows, not the rows' checked values and addresses.
        """
        creates = [p for p in plans if p.op == "create"]
        if not creates:
            return
        try:
            prepared = actions.prepare_registrations(
                self.actor,
                [(p.payload.data, p.payload.move) for p in creates],
                cleaned_values=[p.payload.values for p in creates],
                id_indexes=[p.payload.indexes for p in creates],
            )
        except ActionError as exc:
            raise _in_batch(exc, creates[0].row) from exc
        for plan, registration in zip(creates, prepared, strict=True):
            plan.payload = NewPerson(registration, tuple(plan.payload.review_with))

    def apply(self, plans: list[RowPlan]) -> None:
        creates = [p for p in plans if p.op == "create"]
        if creates:
            try:
                made = actions.write_registrations(self.actor, [p.payload.registration for p in creates])
            except ActionError as exc:
                raise _in_batch(exc, creates[0].row) from exc
            # Only these few need their Person instance; ``made`` builds them on access.
            flagged = [(p.payload, made[i]) for i, p in enumerate(creates) if p.payload.review_with]
            if flagged:
                # Imported anyway: the possible duplicate waits in the review queue for a decision.
                from ybss.dedupe.actions import queue_for_review

                for flagged_row, new in flagged:
                    for other in Person.objects.filter(pk__in=flagged_row.review_with):
                        queue_for_review(self.actor, new, other, self.reason)
        for plan in plans:
            if plan.op != "update":
                continue
            row: PersonRow = plan.payload
            person = row.person
            if person is None:  # gone between the check and the commit (deleted by someone else)
                gone = f"第 {plan.row} 行：该人员记录刚被他人删除，请重新检查文件后再导入。"
                raise ActionError(gone, "id_number", "conflict")
            try:
                if row.changes:
                    person = actions.update_person(
                        self.actor, person, row.data, expected_version=person.version, reason=self.reason
                    )
                if row.move is not None:
                    if row.relocate:
                        actions.relocate(self.actor, person, row.move)
                    else:
                        actions.move_in(self.actor, person, row.move)
            except ActionError as exc:
                raise ActionError(f"第 {plan.row} 行：{exc.message}", exc.field, exc.code) from exc


def _in_batch(exc: ActionError, first_row: int) -> ActionError:
    """A batch action's error, which counts rows within the batch, placed in the file."""
    return ActionError(f"{exc.message}（批次从第 {first_row} 行起）", exc.field, exc.code)


def _pair_key(pair: tuple[str, date | None]) -> bytes:
    name, birth = pair
    text = f"{name}\x00{birth.toordinal() if birth else ''}"
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def _packed_person(row: int, number: str) -> bytes:
    encoded = number.encode()
    return row.to_bytes(4, "big") + len(encoded).to_bytes(1, "big") + encoded


def _unpack_people(held: bytes) -> list[tuple[int, str]]:
    """``_packed_person`` entries, one after the other, back as (row, number)."""
    people = []
    at = 0
    while at < len(held):
        size = held[at + 4]
        people.append((int.from_bytes(held[at : at + 4], "big"), held[at + 5 : at + 5 + size].decode()))
        at += 5 + size
    return people


def _duplicate(message: str, value: Any, candidates: list[dict[str, Any]]) -> Any:
    from ..importing import Problem

    shown = value.text if isinstance(value, sheets.Formula) else ("" if value is None else str(value))
    return Problem(
        "id_number", ProblemLevel.DUPLICATE, "possible_duplicate", message, shown[:200], candidates
    )


__all__ = ["COLUMNS", "AddressNode", "PersonsHandler"]
