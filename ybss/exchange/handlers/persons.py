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
from typing import Any

from ybss.access import crypto
from ybss.addresses.models import AddressNode
from ybss.core.errors import ActionError
from ybss.lib import sheets
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

# ActionError fields from the registry's actions, as import columns
FIELD_COLUMN = {"kind": "residence_kind", "address": "address", "reason": "stay_reason"}


@dataclass
class PersonRow:
    data: actions.PersonInput
    values: dict[str, Any]
    move: actions.MoveIn | None
    person: Person | None = None
    relocate: bool = False
    changes: bool = False
    # Registered people this row may duplicate, imported anyway: paired in the review queue once saved.
    review_with: list[int] = field(default_factory=list)


class PersonsHandler(RegistryHandler):
    kind = "persons"
    columns = COLUMNS
    # Tables this import fills, whose statistics the commit refreshes as it goes.
    tables = (Person, Residence, PersonVersion)

    def __init__(self, actor: Any, decisions: dict[str, Any], file_name: str = "") -> None:
        super().__init__(actor, decisions, file_name)
        self.divisions: dict[str, Any] = {}
        # index key digest -> (row, fingerprint): repeated numbers within the file
        self.seen: dict[bytes, tuple[int, bytes]] = {}
        # (name, birth date) -> [(row, number)] of new people in this file
        self.new_people: dict[tuple[str, date | None], list[tuple[int, str]]] = {}

    # ------------------------------------------------------------ plan

    def _coerce(self, plan: RowPlan, raw: dict[str, Any]) -> dict[str, Any] | None:
        c = Coercer(plan, raw, {col.key: col for col in COLUMNS})
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
            values = actions.clean_person(data)
            values["domicile_division"] = actions.division_cached(v["domicile_division"], self.divisions)
        except ActionError as exc:
            key = exc.field or ""
            plan.add(key, exc.message, raw.get(key), code=exc.code)
            return None
        data = replace(data, domicile_division=v["domicile_division"])
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
        return hashlib.blake2b(repr(sorted(v.items())).encode(), digest_size=12).digest()

    def plan(self, records: list[tuple[int, dict[str, Any]]]) -> list[RowPlan]:
        plans: list[RowPlan] = []
        staged: list[tuple[RowPlan, PersonRow, dict[str, Any], dict[str, Any]]] = []
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
            digest = hashlib.blake2b(key.encode(), digest_size=16).digest()
            fingerprint = self._fingerprint(v)
            earlier = self.seen.get(digest)
            if earlier is not None:
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
            self.seen[digest] = (number, fingerprint)
            staged.append((plan, row, v, raw))

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
            for idx in crypto.index_values(ID_NUMBER, key):
                lookup[idx] = i
        if not lookup:
            return
        found = list(Person.objects.filter(id_number_index__in=list(lookup)).order_by())
        current = {
            r.person_id: r
            for r in Residence.objects.filter(
                person__in=found, valid_to__isnull=True, is_main=True
            ).select_related("address")
        }
        for person in found:
            plan, row, _v, raw = staged[lookup[person.id_number_index]]
            row.person = person
            if plan.blocked:
                continue
            self._compare(plan, row, person, current.get(person.pk), raw)

    def _compare(
        self, plan: RowPlan, row: PersonRow, person: Person, residence: Residence | None, raw: dict[str, Any]
    ) -> None:
        if self.actor is not None and getattr(self.actor, "is_authenticated", False):
            code = person.residence_code or person.domicile_code or "-"
            if not self.addresses.scope_covers(code):
                plan.add(
                    "id_number",
                    "该证件号码已登记在本辖区以外的人员名下，请联系其所在派出所办理迁移。",
                    raw.get("id_number"),
                    code="out_of_scope",
                )
                return
        if person.merged_into_id is not None:
            plan.add(
                "id_number",
                f"该证件号码属于已并入人员 #{person.merged_into_id} 的重复记录，"
                "请核对后使用保留记录的证件号码。",
                raw.get("id_number"),
                code="merged",
            )
            return
        values = row.values
        differs = [
            name for name in PERSON_FIELDS if name != "phone" and getattr(person, name) != values[name]
        ]
        if person.domicile_division_id != getattr(values["domicile_division"], "pk", None):
            differs.append("domicile_division")
        if values["phone"]:
            if person.phone_index not in crypto.index_values(PHONE, values["phone"]):
                differs.append("phone")
        elif person.phone_enc:
            differs.append("phone")
        row.changes = bool(differs)
        moves = row.move is not None and (residence is None or residence.address_id != row.move.address.pk)
        if moves and residence is not None and row.move is not None:
            if row.move.valid_from < residence.valid_from:
                plan.add(
                    "valid_from",
                    f"起居日期早于该人员在现住址的起居日期 {residence.valid_from}，无法办理迁移。",
                    raw.get("valid_from"),
                )
                return
            row.relocate = True
        if not moves:
            row.move = None
        plan.op = "update" if (row.changes or moves) else "unchanged"
        # Keep what the file cannot say (former names) as it is.
        row.data = replace(row.data, former_names=list(person.former_names))
        plan.payload = row

    def _possible_duplicates(
        self, staged: list[tuple[RowPlan, PersonRow, dict[str, Any], dict[str, Any]]]
    ) -> None:
        new = [(plan, row, raw) for plan, row, _v, raw in staged if row.person is None and not plan.blocked]
        for plan, row, _raw in new:
            plan.op = "create"
            plan.payload = row
        if not new:
            return
        pairs = {
            (row.values["name"], row.values["birth_date"]) for _, row, _ in new if row.values["birth_date"]
        }
        existing: dict[Any, list[Person]] = dict(actions.same_name_and_birth(pairs)) if pairs else {}
        for plan, row, raw in new:
            pair = (row.values["name"], row.values["birth_date"])
            number = row.values["id_number"]
            decided = bool(self.decisions.get(str(plan.row), {}).get("import_anyway"))
            hits = [p.pk for p in existing.get(pair, []) if near_number(number, p.id_number)]
            rows = [r for r, other in self.new_people.get(pair, []) if near_number(number, other)]
            same = self.new_people.setdefault(pair, [])
            if len(same) < 20:  # enough to catch a typo; bounded for files full of one name
                same.append((plan.row, number))
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

    # ------------------------------------------------------------ apply

    def apply(self, plans: list[RowPlan]) -> None:
        creates = [p for p in plans if p.op == "create"]
        if creates:
            batch = [(p.payload.data, p.payload.move) for p in creates]
            try:
                made = actions.bulk_register(
                    self.actor, batch, cleaned_values=[p.payload.values for p in creates]
                )
            except ActionError as exc:
                raise ActionError(
                    f"{exc.message}（批次从第 {creates[0].row} 行起）", exc.field, exc.code
                ) from exc
            flagged = [
                (p.payload, new) for p, new in zip(creates, made, strict=True) if p.payload.review_with
            ]
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
            assert person is not None
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


def _duplicate(message: str, value: Any, candidates: list[dict[str, Any]]) -> Any:
    from ..importing import Problem

    shown = value.text if isinstance(value, sheets.Formula) else ("" if value is None else str(value))
    return Problem(
        "id_number", ProblemLevel.DUPLICATE, "possible_duplicate", message, shown[:200], candidates
    )


__all__ = ["COLUMNS", "AddressNode", "PersonsHandler"]
