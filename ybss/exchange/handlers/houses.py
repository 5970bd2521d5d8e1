"""Import of actual houses with their tenancies (实有房屋及租住信息).

A row is one house, found by its address (the active house there is the
natural key), and optionally one tenancy of it, found by its start date and
its set of tenants. People and units the row names (owner, landlord, tenants)
must already be registered: they are found by ID number or credit code, inside
the actor's jurisdiction only.

Writes go through ``ybss.houses.actions``: a new house is ``create_house``, a
changed one ``update_house`` with a version row, a new tenancy ``add_tenancy``,
a tenancy given an end date ``end_tenancy``. An empty optional cell says
nothing: it neither clears nor changes what is stored, so a partial file from
another department cannot erase what officers collected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ybss.addresses.models import AddressNode
from ybss.core.errors import ActionError
from ybss.houses import actions
from ybss.houses.models import House, HouseUse, Structure, Tenancy, TenancyTenant
from ybss.lib import sheets
from ybss.people.models import Person
from ybss.units.actions import check_dates, text

from ..columns import Column, labels
from ..importing import RowPlan
from ..models import ProblemLevel
from .common import Coercer, RegistryHandler
from .refs import Bounded, PersonFinder, UnitFinder, id_cells, skip_repeated

USES = labels(HouseUse)
STRUCTURES = labels(Structure)
YES_NO = {"1": "是", "0": "否"}

COLUMNS = [
    Column(
        "address",
        "房屋地址",
        required=True,
        aliases=("地址", "标准地址"),
        note="户室的标准地址；整栋房屋（如农村住房）填门牌号。能确定的自动关联，不确定的在页面上选择。",
        example="涿鹿镇鼓楼社区轩辕路18号阳光小区3栋101",
    ),
    Column("use", "房屋用途", required=True, choices=USES, example="出租"),
    Column("structure", "房屋结构", choices=STRUCTURES, example="砖混"),
    Column(
        "floor_area",
        "建筑面积",
        aliases=("建筑面积（平方米）", "面积"),
        note="平方米，大于 0、小于 10000，最多两位小数。",
        example="86.5",
    ),
    Column(
        "owner_id",
        "产权人证件号码",
        text=True,
        note="个人产权人的证件号码，须已在实有人口中登记。与产权单位只填一个。",
    ),
    Column(
        "owner_credit",
        "产权单位统一社会信用代码",
        text=True,
        aliases=("产权单位信用代码",),
        note="单位产权人，须已在实有单位中登记。",
    ),
    Column("landlord_id", "出租人证件号码", text=True, note="须已在实有人口中登记。"),
    Column(
        "tenant_ids",
        "承租人证件号码",
        text=True,
        note="一人或多人，用顿号、逗号、分号或空格隔开；每人须已在实有人口中登记。填写租赁信息时必填。",
        example="130731199001011237",
    ),
    Column("valid_from", "起租日期", note="填写租赁信息时必填。", example="2024-03-01"),
    Column("valid_to", "止租日期", note="留空表示租期未定。", example="2025-02-28"),
    Column("registration_number", "租赁登记备案号", text=True),
    Column("security_signed", "已签订治安责任书", choices=YES_NO, note="是 或 否；留空为否。", example="是"),
]
HEADERS = {c.key: c.header for c in COLUMNS}
TENANCY_KEYS = ("landlord_id", "tenant_ids", "valid_from", "valid_to", "registration_number")
# ActionError fields from the actions, as import columns
FIELD_COLUMN = {
    "owner_person": "owner_id",
    "owner_unit": "owner_credit",
    "landlord": "landlord_id",
    "tenants": "tenant_ids",
    "house": "address",
}
# House fields as the file states them, and the column each comes from.
STATED_COLUMN = {"use": "use", "structure": "structure", "floor_area": "floor_area", "owner": "owner_id"}


@dataclass
class TenancyState:
    tenancy: Tenancy | None  # None: added by a row of this file
    row: int | None
    landlord: int | None
    valid_to: date | None
    registration_number: str
    security: bool | None


@dataclass
class HouseState:
    """What the registry holds for one address, plus what earlier rows of the file say about it."""

    house: House | None
    planned: dict[str, tuple[int, Any]] = field(default_factory=dict)
    tenancies: dict[tuple[date, frozenset[int]], TenancyState] = field(default_factory=dict)
    loaded: bool = False


@dataclass
class TenancyInput:
    valid_from: date
    valid_to: date | None
    landlord: Person | None
    tenants: list[Person]
    registration_number: str
    security: bool | None


@dataclass
class HouseRow:
    values: dict[str, Any]
    address: AddressNode | None = None
    owner_numbers: list[str] = field(default_factory=list)
    owner_codes: list[str] = field(default_factory=list)
    landlord_numbers: list[str] = field(default_factory=list)
    tenant_numbers: list[str] = field(default_factory=list)
    tenancy: TenancyInput | None = None
    # set while deciding
    state: HouseState | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    add: bool = False
    end: tuple[TenancyState, date] | None = None


class HousesHandler(RegistryHandler):
    kind = "houses"
    columns = COLUMNS
    STATES = 50_000

    def __init__(self, actor: Any, decisions: dict[str, Any], file_name: str = "") -> None:
        super().__init__(actor, decisions, file_name)
        self.people = PersonFinder(actor)
        self.units = UnitFinder(actor)
        self.states: Bounded[int, HouseState] = Bounded(self.STATES)
        self.seen: Bounded[bytes, int] = Bounded(100_000)

    # ------------------------------------------------------------ plan

    def _numbers(self, plan: RowPlan, raw: dict[str, Any], key: str, *, several: bool = False) -> list[str]:
        try:
            cells = id_cells(raw.get(key), several=several)
        except sheets.CellError as exc:
            plan.add(key, exc.message, raw.get(key), code=exc.code)
            return []
        out = []
        for number in cells:
            normalized = self.people.normalize(plan, key, raw.get(key), number)
            if normalized is not None and normalized not in out:
                out.append(normalized)
        if not several and len(out) > 1:
            plan.add(key, f"{HEADERS[key]}只能填写一个。", raw.get(key))
        return out

    def _coerce(self, plan: RowPlan, raw: dict[str, Any]) -> HouseRow | None:
        c = Coercer(plan, raw, {col.key: col for col in COLUMNS})
        v: dict[str, Any] = {
            "address": c.text("address"),
            "use": c.choice("use", USES),
            "structure": c.choice("structure", STRUCTURES),
            "floor_area": c.text("floor_area"),
            "owner_credit": c.text("owner_credit"),
            "valid_from": c.date("valid_from"),
            "valid_to": c.date("valid_to"),
            "registration_number": c.text("registration_number"),
            "security_signed": c.choice("security_signed", YES_NO),
        }
        row = HouseRow(values=v)
        row.owner_numbers = self._numbers(plan, raw, "owner_id")
        row.landlord_numbers = self._numbers(plan, raw, "landlord_id")
        row.tenant_numbers = self._numbers(plan, raw, "tenant_ids", several=True)
        if v["owner_credit"]:
            code = self.units.normalize(plan, "owner_credit", raw.get("owner_credit"), v["owner_credit"])
            row.owner_codes = [code] if code else []
        if c.failed or plan.blocked:
            return None
        if skip_repeated(
            plan, self.seen, {**v, "numbers": (row.owner_numbers, row.landlord_numbers, row.tenant_numbers)}
        ):
            return None
        if row.owner_numbers and row.owner_codes:
            plan.add("owner_credit", "产权人只能是一个人或一个单位，不能同时填写。", raw.get("owner_credit"))
            return None
        given = {"use": v["use"]}
        given.update({k: v[k] for k in ("structure", "floor_area") if v[k]})
        try:
            cleaned = actions.clean_house(self.actor, given)
            if self._has_tenancy(row):
                if v["valid_from"] is None:
                    raise ActionError("填写租赁信息时，起租日期不能为空。", field="valid_from")
                check_dates(v["valid_from"], v["valid_to"])
                if not row.tenant_numbers:
                    raise ActionError("填写租赁信息时，请至少填写一名承租人。", field="tenants")
                if set(row.landlord_numbers) & set(row.tenant_numbers):
                    raise ActionError("出租人不能同时是承租人。", field="tenants")
                v["registration_number"] = text(
                    v["registration_number"], "租赁登记备案号", "registration_number", max_length=50
                )
        except ActionError as exc:
            key = FIELD_COLUMN.get(exc.field or "", exc.field or "")
            plan.add(key, exc.message, raw.get(key), code=exc.code)
            return None
        row.values.update(cleaned)
        return row

    def _has_tenancy(self, row: HouseRow) -> bool:
        return bool(row.landlord_numbers or row.tenant_numbers) or any(
            row.values[k] for k in ("valid_from", "valid_to", "registration_number")
        )

    def plan(self, records: list[tuple[int, dict[str, Any]]]) -> list[RowPlan]:
        plans: list[RowPlan] = []
        staged: list[tuple[RowPlan, HouseRow, dict[str, Any]]] = []
        for number, raw in records:
            plan = RowPlan(number)
            plans.append(plan)
            row = self._coerce(plan, raw)
            if row is not None:
                staged.append((plan, row, raw))
        self._resolve_addresses(staged)
        staged = [s for s in staged if not s[0].blocked]
        self._resolve_references(staged)
        staged = [s for s in staged if not s[0].blocked]
        self._load_states([row for _, row, _ in staged])
        for plan, row, raw in staged:
            self._decide(plan, row, raw)
        return plans

    def _resolve_addresses(self, staged: list[tuple[RowPlan, HouseRow, dict[str, Any]]]) -> None:
        for plan, row, raw in staged:
            chosen = str(self.decisions.get(str(plan.row), {}).get("address", "") or "")
            node = self.addresses.resolve(plan, "address", row.values["address"], raw.get("address"), chosen)
            if node is None:
                continue
            if node.kind not in actions.HOUSE_KINDS:
                plan.add(
                    "address",
                    "房屋应登记在户室上，整栋房屋（如农村住房）登记在门牌号上。",
                    raw.get("address"),
                    code="not_a_house",
                )
                continue
            row.address = node

    def _resolve_references(self, staged: list[tuple[RowPlan, HouseRow, dict[str, Any]]]) -> None:
        self.people.load(
            {n for _, r, _ in staged for n in (*r.owner_numbers, *r.landlord_numbers, *r.tenant_numbers)}
        )
        self.units.load({c for _, r, _ in staged for c in r.owner_codes})
        for plan, row, raw in staged:
            owner: tuple[str, Any] | None = None
            if row.owner_numbers:
                person = self.people.get(plan, "owner_id", raw.get("owner_id"), row.owner_numbers[0])
                owner = ("person", person) if person else None
            elif row.owner_codes:
                unit = self.units.get(plan, "owner_credit", raw.get("owner_credit"), row.owner_codes[0])
                owner = ("unit", unit) if unit else None
            if owner is not None:
                row.values["owner"] = owner
            v = row.values
            if not self._has_tenancy(row):
                continue
            landlord = None
            if row.landlord_numbers:
                landlord = self.people.get(
                    plan, "landlord_id", raw.get("landlord_id"), row.landlord_numbers[0]
                )
            tenants = [
                self.people.get(plan, "tenant_ids", raw.get("tenant_ids"), n) for n in row.tenant_numbers
            ]
            if plan.blocked:
                continue
            row.tenancy = TenancyInput(
                valid_from=v["valid_from"],
                valid_to=v["valid_to"],
                landlord=landlord,
                tenants=[t for t in tenants if t is not None],
                registration_number=v["registration_number"],
                security=None if not v["security_signed"] else v["security_signed"] == "1",
            )

    def _load_states(self, rows: list[HouseRow]) -> None:
        """The registry's house at each new address, and the tenancies of those the rows rent out."""
        addresses = {r.address.pk for r in rows if r.address is not None and r.address.pk not in self.states}
        if addresses:
            found = {h.address_id: h for h in House.objects.filter(address_id__in=addresses, active=True)}
            for pk in addresses:
                self.states[pk] = HouseState(house=found.get(pk))
        for r in rows:
            assert r.address is not None
            r.state = self.states.get(r.address.pk) or HouseState(house=None)
            self.states[r.address.pk] = r.state
        waiting = {
            r.state.house.pk: r.state
            for r in rows
            if r.tenancy and r.state and r.state.house is not None and not r.state.loaded
        }
        if not waiting:
            return
        tenancies = list(Tenancy.objects.filter(house_id__in=list(waiting)))
        tenants: dict[int, set[int]] = {}
        for tenancy_id, person_id in TenancyTenant.objects.filter(
            tenancy_id__in=[t.pk for t in tenancies]
        ).values_list("tenancy_id", "person_id"):
            tenants.setdefault(tenancy_id, set()).add(person_id)
        for tenancy in tenancies:
            key = (tenancy.valid_from, frozenset(tenants.get(tenancy.pk, ())))
            waiting[tenancy.house_id].tenancies.setdefault(
                key,
                TenancyState(
                    tenancy,
                    None,
                    tenancy.landlord_id,
                    tenancy.valid_to,
                    tenancy.registration_number,
                    tenancy.security_agreement_signed,
                ),
            )
        for state in waiting.values():
            state.loaded = True

    @staticmethod
    def _stored(house: House | None, name: str) -> Any:
        if house is None:
            return None
        if name == "owner":
            if house.owner_person_id:
                return ("person", house.owner_person_id)
            return ("unit", house.owner_unit_id) if house.owner_unit_id else None
        return getattr(house, name)

    def _decide(self, plan: RowPlan, row: HouseRow, raw: dict[str, Any]) -> None:
        state = row.state
        assert state is not None and row.address is not None
        stated: dict[str, Any] = {"use": row.values["use"]}
        for name in ("structure", "floor_area"):
            if row.values.get(name) not in (None, ""):
                stated[name] = row.values[name]
        if "owner" in row.values:
            kind, obj = row.values["owner"]
            stated["owner"] = (kind, obj.pk)
        changes: dict[str, Any] = {}
        for name, value in stated.items():
            earlier = state.planned.get(name)
            key = "owner_credit" if name == "owner" and value[0] == "unit" else STATED_COLUMN[name]
            if earlier is not None and earlier[1] != value:
                plan.add(
                    key,
                    f"与第 {earlier[0]} 行是同一房屋，但{HEADERS[key]}不同，请核对后保持一致。",
                    raw.get(key),
                    code="duplicate_in_file",
                )
            elif earlier is None and (state.house is None or self._stored(state.house, name) != value):
                changes[name] = value
        tenancy_key = None
        ts: TenancyState | None = None
        if row.tenancy is not None:
            t = row.tenancy
            tenancy_key = (t.valid_from, frozenset(p.pk for p in t.tenants))
            ts = state.tenancies.get(tenancy_key)
            if ts is None:
                row.add = True
            else:
                self._compare_tenancy(plan, row, ts, raw)
        if plan.blocked:
            return
        first = state.house is None and not state.planned
        # Only a row that will be imported speaks for the house to the rows after it.
        for name in stated:
            state.planned.setdefault(name, (plan.row, stated[name]))
        if row.add and row.tenancy is not None and tenancy_key is not None:
            t = row.tenancy
            state.tenancies[tenancy_key] = TenancyState(
                None,
                plan.row,
                t.landlord.pk if t.landlord else None,
                t.valid_to,
                t.registration_number,
                t.security,
            )
        if row.end is not None:
            row.end[0].row, row.end[0].valid_to = plan.row, row.end[1]
        row.changes = self._action_fields(changes, row)
        if first:
            plan.op = "create"
        elif row.changes or row.add or row.end:
            plan.op = "update"
        else:
            plan.op = "unchanged"
        plan.payload = row

    def _compare_tenancy(self, plan: RowPlan, row: HouseRow, ts: TenancyState, raw: dict[str, Any]) -> None:
        """The tenancy is already on record, or added by an earlier row: compare what the row says."""
        t = row.tenancy
        assert t is not None
        said: dict[str, tuple[Any, Any]] = {
            "landlord_id": (t.landlord.pk if t.landlord else None, ts.landlord),
            "valid_to": (t.valid_to, ts.valid_to),
            "registration_number": (t.registration_number or None, ts.registration_number),
            "security_signed": (t.security, ts.security),
        }
        for key, (new, old) in said.items():
            if new is None or new == old:
                continue
            if ts.tenancy is None:
                plan.add(
                    key,
                    f"与第 {ts.row} 行是同一租赁（房屋、起租日期、承租人相同），"
                    f"但{HEADERS[key]}不同，请核对。",
                    raw.get(key),
                    code="duplicate_in_file",
                )
            elif key == "valid_to" and (old is None or old >= self.today) and ts.row is None:
                row.end = (ts, new)
            elif key == "valid_to" and ts.row is not None:
                plan.add(
                    key,
                    f"第 {ts.row} 行已为该租赁填写了不同的止租日期，请核对。",
                    raw.get(key),
                    code="duplicate_in_file",
                )
            else:
                plan.add(
                    key,
                    f"该租赁已登记，其{HEADERS[key]}与本行不同；导入不修改已登记租赁的这一项，请在房屋页面上核对。",
                    raw.get(key),
                    level=ProblemLevel.WARNING,
                    code="not_updated",
                )

    @staticmethod
    def _action_fields(changes: dict[str, Any], row: HouseRow) -> dict[str, Any]:
        """The changed fields as ``create_house`` / ``update_house`` take them."""
        out = {k: v for k, v in changes.items() if k != "owner"}
        if "owner" in changes:
            kind, obj = row.values["owner"]
            out["owner_person"] = obj if kind == "person" else None
            out["owner_unit"] = obj if kind == "unit" else None
        return out

    # ------------------------------------------------------------ apply

    def apply(self, plans: list[RowPlan]) -> None:
        for plan in plans:
            try:
                self._apply_row(plan.payload)
            except ActionError as exc:
                raise ActionError(f"第 {plan.row} 行：{exc.message}", exc.field, exc.code) from exc

    def _apply_row(self, row: HouseRow) -> None:
        state = row.state
        assert state is not None and row.address is not None
        if state.house is None:
            fields = dict(row.changes)
            use = fields.pop("use", row.values["use"])
            state.house = actions.create_house(self.actor, row.address, use=use, reason=self.reason, **fields)
        elif row.changes:
            state.house = actions.update_house(
                self.actor,
                state.house,
                expected_version=state.house.version,
                reason=self.reason,
                **row.changes,
            )
        if row.add and row.tenancy is not None:
            t = row.tenancy
            tenancy = actions.add_tenancy(
                self.actor,
                state.house,
                valid_from=t.valid_from,
                valid_to=t.valid_to,
                landlord=t.landlord,
                tenants=t.tenants,
                registration_number=t.registration_number,
                security_agreement_signed=bool(t.security),
            )
            key = (t.valid_from, frozenset(p.pk for p in t.tenants))
            if key in state.tenancies:
                state.tenancies[key].tenancy = tenancy
        if row.end is not None:
            ts, valid_to = row.end
            assert ts.tenancy is not None
            ts.tenancy = actions.end_tenancy(
                self.actor,
                ts.tenancy,
                expected_version=ts.tenancy.version,
                valid_to=valid_to,
                reason=self.reason,
            )
            ts.valid_to = valid_to


__all__ = ["COLUMNS", "HousesHandler"]
