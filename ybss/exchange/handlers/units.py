"""Import of actual units with their employees (实有单位及从业人员).

A row is one unit and optionally one person working there, so a unit with ten
employees takes ten rows that repeat the unit. The unit's natural key is its
统一社会信用代码 when the row gives one, otherwise its name (normalized) at its
standard address. Rows that repeat a unit must agree on what they say about it;
an empty optional cell says nothing, neither clearing nor changing what is
stored.

Writes go through ``ybss.units.actions``: ``create_unit``, ``update_unit`` with
a version row, ``add_employment`` for a new employment, ``end_employment`` when
a stored employment gets its 离职日期. An employment already on record (same
person, same 入职日期) is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ybss import addressing
from ybss.access import crypto
from ybss.access.scope import scope_for
from ybss.addresses.models import AddressNode
from ybss.core.errors import ActionError
from ybss.lib import sheets
from ybss.people.models import Person
from ybss.units import actions
from ybss.units.models import (
    CONTACT_PHONE,
    BusinessStatus,
    Employment,
    SpecialIndustry,
    Unit,
    UnitType,
)

from ..columns import Column, labels
from ..importing import RowPlan
from ..models import ProblemLevel
from .common import Coercer, RegistryHandler
from .refs import SEPARATORS, Bounded, PersonFinder, id_cells, is_user, skip_repeated

UNIT_TYPES = labels(UnitType)
INDUSTRIES = labels(SpecialIndustry)
STATUSES = labels(BusinessStatus)

COLUMNS = [
    Column(
        "name",
        "单位名称",
        required=True,
        aliases=("名称",),
        note="与营业执照一致，最多 100 字。",
        example="鼓楼便利店",
    ),
    Column(
        "credit_code",
        "统一社会信用代码",
        text=True,
        aliases=("信用代码",),
        note="18 位；填写时按此代码查找已登记的单位，不填时按单位名称和地址查找。",
        example="91130731MA0C1234X5",
    ),
    Column("unit_type", "单位类型", required=True, choices=UNIT_TYPES, example="个体工商户"),
    Column("industry", "所属行业", example="零售业"),
    Column(
        "special_industries",
        "特种行业",
        note="可填多个，用顿号隔开；可选：" + "、".join(INDUSTRIES.values()) + "。",
        example="旅馆业、娱乐场所",
    ),
    Column("business_status", "经营状态", choices=STATUSES, example="营业"),
    Column(
        "address",
        "单位地址",
        required=True,
        aliases=("地址", "经营地址"),
        note="门牌号、小区/单位院、楼栋或户室的标准地址；不确定的在页面上选择。",
        example="涿鹿镇鼓楼社区轩辕路18号",
    ),
    Column("legal_rep_id", "法定代表人证件号码", text=True, note="须已在实有人口中登记。"),
    Column("contact_name", "联系人", example="张三"),
    Column("contact_phone", "联系电话", text=True, example="13800138000"),
    Column(
        "employee_id",
        "从业人员证件号码",
        text=True,
        note="每行一名从业人员，须已在实有人口中登记；同一单位的多名从业人员分多行填写。",
    ),
    Column("role", "岗位", example="店员"),
    Column("valid_from", "入职日期", note="填写从业人员时必填，不能晚于今天。", example="2024-03-01"),
    Column("valid_to", "离职日期", note="仍在职留空。"),
]
HEADERS = {c.key: c.header for c in COLUMNS}
UNIT_KEYS = (
    "name",
    "credit_code",
    "unit_type",
    "industry",
    "special_industries",
    "business_status",
    "legal_representative",
    "contact_name",
    "contact_phone",
)
# Action fields to import columns, where they differ
FIELD_COLUMN = {"legal_representative": "legal_rep_id", "person": "employee_id", "kind": ""}


def column_of(name: str) -> str:
    return FIELD_COLUMN.get(name, name)


@dataclass
class EmploymentState:
    employment: Employment | None  # None: added by a row of this file
    row: int | None  # the row that added it or gave it its end date
    valid_from: date
    valid_to: date | None
    role: str


@dataclass
class UnitState:
    """What the registry holds for one unit, plus what earlier rows of the file say about it."""

    unit: Unit | None
    planned: dict[str, tuple[int, Any]] = field(default_factory=dict)
    # person id -> 入职日期 -> employment, stored or added by an earlier row
    employments: dict[int, dict[date, EmploymentState]] = field(default_factory=dict)
    people_loaded: set[int] = field(default_factory=set)


@dataclass
class UnitRow:
    values: dict[str, Any]
    inputs: dict[str, Any] = field(default_factory=dict)  # as the actions take them
    address: AddressNode | None = None
    rep_numbers: list[str] = field(default_factory=list)
    employee_numbers: list[str] = field(default_factory=list)
    employee: Person | None = None
    state: UnitState | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    add: EmploymentState | None = None
    end: tuple[EmploymentState, date] | None = None


class UnitsHandler(RegistryHandler):
    kind = "units"
    columns = COLUMNS
    STATES = 50_000

    def __init__(self, actor: Any, decisions: dict[str, Any], file_name: str = "") -> None:
        super().__init__(actor, decisions, file_name)
        self.people = PersonFinder(actor)
        # ("C", credit code) or ("N", address id, normalized name) -> the unit's state
        self.states: Bounded[tuple[Any, ...], UnitState] = Bounded(self.STATES)
        self.seen: Bounded[bytes, int] = Bounded(100_000)

    # ------------------------------------------------------------ plan

    def _numbers(self, plan: RowPlan, raw: dict[str, Any], key: str) -> list[str]:
        try:
            cells = id_cells(raw.get(key))
        except sheets.CellError as exc:
            plan.add(key, exc.message, raw.get(key), code=exc.code)
            return []
        out = [n for n in (self.people.normalize(plan, key, raw.get(key), c) for c in cells) if n]
        return out

    def _industries(self, plan: RowPlan, raw: dict[str, Any], text: str) -> list[str]:
        codes: list[str] = []
        for part in (p for p in SEPARATORS.split(text) if p):
            try:
                code = sheets.as_choice(part, INDUSTRIES)
            except sheets.CellError as exc:
                plan.add("special_industries", f"特种行业：{exc.message}", raw.get("special_industries"))
                return []
            if code not in codes:
                codes.append(code)
        return codes

    def _coerce(self, plan: RowPlan, raw: dict[str, Any]) -> UnitRow | None:
        c = Coercer(plan, raw, {col.key: col for col in COLUMNS})
        v: dict[str, Any] = {
            "name": c.text("name"),
            "credit_code": c.text("credit_code"),
            "unit_type": c.choice("unit_type", UNIT_TYPES),
            "industry": c.text("industry"),
            "special_industries": c.text("special_industries"),
            "business_status": c.choice("business_status", STATUSES),
            "address": c.text("address"),
            "contact_name": c.text("contact_name"),
            "contact_phone": c.text("contact_phone"),
            "role": c.text("role"),
            "valid_from": c.date("valid_from"),
            "valid_to": c.date("valid_to"),
        }
        row = UnitRow(values=v)
        row.rep_numbers = self._numbers(plan, raw, "legal_rep_id")
        row.employee_numbers = self._numbers(plan, raw, "employee_id")
        industries = self._industries(plan, raw, v["special_industries"]) if v["special_industries"] else []
        if c.failed or plan.blocked:
            return None
        if skip_repeated(plan, self.seen, {**v, "numbers": (row.rep_numbers, row.employee_numbers)}):
            return None
        given: dict[str, Any] = {"name": v["name"], "unit_type": v["unit_type"]}
        for name in ("credit_code", "industry", "business_status", "contact_name", "contact_phone"):
            if v[name]:
                given[name] = v[name]
        if industries:
            given["special_industries"] = industries
        try:
            cleaned = actions.clean_unit(self.actor, given)
            if row.employee_numbers:
                if v["valid_from"] is None:
                    raise ActionError("填写从业人员时，入职日期不能为空。", field="valid_from")
                actions.check_dates(v["valid_from"], v["valid_to"])
                if v["valid_from"] > self.today:
                    raise ActionError("入职日期不能晚于今天。", field="valid_from")
                v["role"] = actions.text(v["role"], "岗位", "role", max_length=50)
            elif v["valid_from"] or v["valid_to"] or v["role"]:
                raise ActionError("填写了岗位或入职、离职日期，但没有填写从业人员证件号码。", field="person")
        except ActionError as exc:
            key = column_of(exc.field or "")
            plan.add(key, exc.message, raw.get(key), code=exc.code)
            return None
        row.values.update(cleaned)  # normalized: the credit code upper-case, the phone without spaces
        row.inputs = dict(given, **{k: cleaned[k] for k in given if k != "special_industries"})
        return row

    def plan(self, records: list[tuple[int, dict[str, Any]]]) -> list[RowPlan]:
        plans: list[RowPlan] = []
        staged: list[tuple[RowPlan, UnitRow, dict[str, Any]]] = []
        for number, raw in records:
            plan = RowPlan(number)
            plans.append(plan)
            row = self._coerce(plan, raw)
            if row is not None:
                staged.append((plan, row, raw))
        self._resolve_addresses(staged)
        self._resolve_people([s for s in staged if not s[0].blocked])
        staged = [s for s in staged if not s[0].blocked]
        self._match(staged)
        staged = [s for s in staged if not s[0].blocked]
        self._load_employments([row for _, row, _ in staged])
        for plan, row, raw in staged:
            self._decide(plan, row, raw)
        return plans

    def _resolve_addresses(self, staged: list[tuple[RowPlan, UnitRow, dict[str, Any]]]) -> None:
        for plan, row, raw in staged:
            chosen = str(self.decisions.get(str(plan.row), {}).get("address", "") or "")
            node = self.addresses.resolve(plan, "address", row.values["address"], raw.get("address"), chosen)
            if node is None:
                continue
            try:
                actions.clean_unit(self.actor, {"address": node})
            except ActionError as exc:
                plan.add("address", exc.message, raw.get("address"), code=exc.code)
                continue
            row.address = node

    def _resolve_people(self, staged: list[tuple[RowPlan, UnitRow, dict[str, Any]]]) -> None:
        self.people.load({n for _, r, _ in staged for n in (*r.rep_numbers, *r.employee_numbers)})
        for plan, row, raw in staged:
            if row.rep_numbers:
                rep = self.people.get(plan, "legal_rep_id", raw.get("legal_rep_id"), row.rep_numbers[0])
                if rep is not None:
                    row.values["legal_representative"] = rep
                    row.inputs["legal_representative"] = rep
            if row.employee_numbers:
                row.employee = self.people.get(
                    plan, "employee_id", raw.get("employee_id"), row.employee_numbers[0]
                )

    @staticmethod
    def _keys(row: UnitRow) -> list[tuple[Any, ...]]:
        assert row.address is not None
        keys: list[tuple[Any, ...]] = []
        if row.values.get("credit_code"):
            keys.append(("C", row.values["credit_code"]))
        keys.append(("N", row.address.pk, addressing.normalize_name(row.values["name"])))
        return keys

    def _match(self, staged: list[tuple[RowPlan, UnitRow, dict[str, Any]]]) -> None:
        """Find each row's unit: in this file's earlier rows, else in the registry."""
        codes = {r.values["credit_code"] for _, r, _ in staged if r.values.get("credit_code")}
        codes -= {k[1] for k in self.states if k[0] == "C"}
        by_code: dict[str, Unit] = {}
        for hit in Unit.objects.filter(credit_code__in=list(codes)).select_related("address").order_by("pk"):
            # The unit that is not cancelled, else the latest one with the code.
            if hit.credit_code not in by_code or not by_code[hit.credit_code].is_active:
                by_code[hit.credit_code] = hit
        places = {r.address.pk for _, r, _ in staged if r.address is not None}
        by_name: dict[tuple[int, str], list[Unit]] = {}
        for hit in Unit.objects.filter(address_id__in=list(places)).select_related("address").order_by("pk"):
            by_name.setdefault((hit.address_id, addressing.normalize_name(hit.name)), []).append(hit)
        scope = scope_for(self.actor) if is_user(self.actor) else None
        for plan, row, raw in staged:
            keys = self._keys(row)
            code = row.values.get("credit_code") or ""
            state = next((self.states[k] for k in keys if k in self.states), None)
            if (
                state is not None
                and code
                and state.unit is not None
                and state.unit.credit_code not in ("", code)
            ):
                state = None  # same name and place, but another organization
            if state is None:
                unit: Unit | None = by_code.get(code) if code else None
                if unit is None:
                    named = by_name.get((keys[-1][1], keys[-1][2]), [])
                    named = [u for u in named if not code or not u.credit_code]
                    unit = next((u for u in named if u.is_active), named[-1] if named else None)
                if unit is not None and scope is not None and not scope.covers(unit.address.code):
                    plan.add(
                        "credit_code",
                        "该统一社会信用代码已登记在本辖区以外的单位名下，请联系其所在派出所核实。",
                        raw.get("credit_code"),
                        code="out_of_scope",
                    )
                    continue
                state = UnitState(unit=unit)
                if unit is not None and unit.credit_code:
                    keys.append(("C", unit.credit_code))
            for key in keys:
                self.states.setdefault(key, state)
            row.state = state

    def _load_employments(self, rows: list[UnitRow]) -> None:
        """Stored employments of the people the rows name, at the units the rows name."""
        waiting = [
            r
            for r in rows
            if r.employee is not None
            and r.state is not None
            and r.state.unit is not None
            and r.employee.pk not in r.state.people_loaded
        ]
        if not waiting:
            return
        states = {r.state.unit.pk: r.state for r in waiting if r.state and r.state.unit}
        people = {r.employee.pk for r in waiting if r.employee}
        for e in Employment.objects.filter(unit_id__in=list(states), person_id__in=list(people)):
            states[e.unit_id].employments.setdefault(e.person_id, {}).setdefault(
                e.valid_from, EmploymentState(e, None, e.valid_from, e.valid_to, e.role)
            )
        for state in states.values():
            state.people_loaded |= people

    @staticmethod
    def _stored(unit: Unit, name: str) -> Any:
        if name == "address":
            return unit.address_id
        if name == "legal_representative":
            return unit.legal_representative_id
        return getattr(unit, name)

    @staticmethod
    def _same(unit: Unit, name: str, value: Any) -> bool:
        if name == "contact_phone":
            return unit.contact_phone_index in crypto.index_values(CONTACT_PHONE, value)
        return bool(UnitsHandler._stored(unit, name) == value)

    def _decide(self, plan: RowPlan, row: UnitRow, raw: dict[str, Any]) -> None:
        state = row.state
        assert state is not None and row.address is not None
        stated: dict[str, Any] = {"address": row.address.pk}
        for name in UNIT_KEYS:
            if name in row.inputs:
                value = row.values[name]
                stated[name] = value.pk if isinstance(value, Person) else value
        changes: dict[str, Any] = {}
        for name, value in stated.items():
            earlier = state.planned.get(name)
            key = column_of(name)
            if earlier is not None and earlier[1] != value:
                plan.add(
                    key,
                    f"与第 {earlier[0]} 行是同一单位，但{HEADERS[key]}不同，请核对后保持一致。",
                    raw.get(key),
                    code="duplicate_in_file",
                )
            elif earlier is None and (state.unit is None or not self._same(state.unit, name, value)):
                changes[name] = row.address if name == "address" else row.inputs[name]
        if row.employee is not None:
            self._decide_employment(plan, row, raw)
        if plan.blocked:
            return
        first = state.unit is None and not state.planned
        # Only a row that will be imported speaks for the unit to the rows after it.
        for name, value in stated.items():
            state.planned.setdefault(name, (plan.row, value))
        if row.add is not None and row.employee is not None:
            state.employments.setdefault(row.employee.pk, {})[row.add.valid_from] = row.add
        if row.end is not None:
            row.end[0].row, row.end[0].valid_to = plan.row, row.end[1]
        row.changes = changes
        if first:
            plan.op = "create"
        elif changes or row.add or row.end:
            plan.op = "update"
        else:
            plan.op = "unchanged"
        plan.payload = row

    def _decide_employment(self, plan: RowPlan, row: UnitRow, raw: dict[str, Any]) -> None:
        state, person = row.state, row.employee
        assert state is not None and person is not None
        v = row.values
        start, end, role = v["valid_from"], v["valid_to"], v["role"]
        held = state.employments.get(person.pk, {})
        same = held.get(start)
        if same is None:
            for other in held.values():
                if (other.valid_to is None or other.valid_to >= start) and (
                    end is None or other.valid_from <= end
                ):
                    where = f"第 {other.row} 行" if other.employment is None else "已登记"
                    plan.add(
                        "valid_from",
                        f"该人员在本单位已有时间重叠的从业记录（{where}，{other.valid_from} 起），"
                        "请先结束原记录或调整日期。",
                        raw.get("valid_from"),
                        code="overlap",
                    )
                    return
            row.add = EmploymentState(None, plan.row, start, end, role)
            return
        for key, new, old in (("role", role or None, same.role), ("valid_to", end, same.valid_to)):
            if new is None or new == old:
                continue
            if same.employment is None:
                plan.add(
                    key,
                    f"与第 {same.row} 行是同一从业记录（人员、入职日期相同），但{HEADERS[key]}不同，请核对。",
                    raw.get(key),
                    code="duplicate_in_file",
                )
            elif key == "valid_to" and old is None and same.row is None:
                if end > self.today:
                    plan.add("valid_to", "离职日期不能晚于今天。", raw.get("valid_to"))
                else:
                    row.end = (same, end)
            elif key == "valid_to" and same.row is not None:
                plan.add(
                    key,
                    f"第 {same.row} 行已为该从业记录填写了不同的离职日期，请核对。",
                    raw.get(key),
                    code="duplicate_in_file",
                )
            else:
                plan.add(
                    key,
                    f"该从业记录已登记，其{HEADERS[key]}与本行不同；导入不修改已登记从业记录的这一项，请在单位页面上核对。",
                    raw.get(key),
                    level=ProblemLevel.WARNING,
                    code="not_updated",
                )

    # ------------------------------------------------------------ apply

    def apply(self, plans: list[RowPlan]) -> None:
        for plan in plans:
            try:
                self._apply_row(plan.payload)
            except ActionError as exc:
                raise ActionError(f"第 {plan.row} 行：{exc.message}", exc.field, exc.code) from exc

    def _apply_row(self, row: UnitRow) -> None:
        state = row.state
        assert state is not None and row.address is not None
        if state.unit is None:
            fields = dict(row.changes)
            fields.pop("address", None)
            name, unit_type = (
                fields.pop("name", row.inputs["name"]),
                fields.pop("unit_type", row.inputs["unit_type"]),
            )
            state.unit = actions.create_unit(
                self.actor, row.address, name=name, unit_type=unit_type, reason=self.reason, **fields
            )
        elif row.changes:
            state.unit = actions.update_unit(
                self.actor, state.unit, expected_version=state.unit.version, reason=self.reason, **row.changes
            )
        if row.add is not None and row.employee is not None:
            row.add.employment = actions.add_employment(
                self.actor,
                state.unit,
                row.employee,
                valid_from=row.add.valid_from,
                valid_to=row.add.valid_to,
                role=row.add.role,
            )
        if row.end is not None:
            es, valid_to = row.end
            assert es.employment is not None
            es.employment = actions.end_employment(
                self.actor,
                es.employment,
                expected_version=es.employment.version,
                valid_to=valid_to,
                reason=self.reason,
            )


__all__ = ["COLUMNS", "UnitsHandler"]
