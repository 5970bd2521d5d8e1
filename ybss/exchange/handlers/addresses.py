"""Import of standard addresses (标准地址).

A row names one address by its parts: the community/village division code and
any of road, door number, compound, village group, building, unit and room.
Every node along that path that does not exist yet is created through the
address actions (``create_road``, ``create_node``), so the hierarchy rules,
the normalized keys (三栋 = 3号楼 = 3#), the history and the audit are the ones
the pages use. Existing nodes are found by their normalized key among their
siblings, the same test the database's unique index makes, so importing a file
again finds every node and creates nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from ybss.access.roles import Cap
from ybss.access.scope import scope_for
from ybss.addresses import actions
from ybss.addresses.keys import node_key, road_key
from ybss.addresses.models import ALLOWED_CHILDREN, AddressNode, Kind, Road, Status
from ybss.core.errors import ActionError
from ybss.divisions.models import Division, Level
from ybss.lib.text import InvalidName

from ..columns import Column
from ..importing import RowPlan
from .common import Coercer
from .refs import Bounded, is_user, skip_repeated

COLUMNS = [
    Column(
        "division",
        "社区/村区划代码",
        required=True,
        text=True,
        aliases=("区划代码", "社区/村代码"),
        note="12 位统计用区划代码（社区居委会或村委会）。请把本列设为文本格式。",
        example="130731100002",
    ),
    Column(
        "road",
        "街路巷",
        note="城镇地址的街路巷名称；门牌号挂在街路巷上。与村民小组二选一。",
        example="轩辕路",
    ),
    Column("doorplate", "门牌号", aliases=("门牌",), note="如 18、18号、18附1。", example="18"),
    Column(
        "compound",
        "小区/院落",
        aliases=("小区", "院落", "小区/单位院"),
        note="有门牌号时建在门牌号下，否则直接建在社区/村下。",
        example="阳光小区",
    ),
    Column(
        "group",
        "村民小组",
        aliases=("组",),
        note="农村地址的村民小组，如 5组；门牌号挂在村民小组下。与街路巷二选一。",
    ),
    Column(
        "building",
        "楼栋",
        aliases=("楼号", "栋"),
        note="3、3号楼、三栋、3# 视为同一楼栋；建在小区/院落或门牌号下。",
        example="3",
    ),
    Column("unit", "单元", note="建在楼栋下，如 2、2单元。", example="2"),
    Column("room", "户室", aliases=("室", "房号"), note="建在单元、楼栋或门牌号下，如 502。", example="502"),
]

# The order a path is read in, top first, and the node kind of each column.
PATH = (
    ("group", Kind.GROUP),
    ("doorplate", Kind.DOORPLATE),
    ("compound", Kind.COMPOUND),
    ("building", Kind.BUILDING),
    ("unit", Kind.UNIT),
    ("room", Kind.ROOM),
)
COLUMN_OF_KIND = {kind: key for key, kind in PATH}
# What to fill in above a node that cannot stand at the top.
NEEDS_PARENT: dict[str, str] = {
    Kind.BUILDING: "楼栋须建在小区/院落或门牌号下，请填写小区/院落或门牌号。",
    Kind.UNIT: "单元须建在楼栋下，请填写楼栋。",
    Kind.ROOM: "户室须建在单元、楼栋或门牌号下，请填写楼栋或门牌号。",
}
FIELD_COLUMN = {"road": "road", "division": "division", "parent": "", "kind": "", "name": ""}


@dataclass(frozen=True)
class Step:
    column: str
    kind: str
    key: str
    name: str


@dataclass
class AddressRow:
    division: Division
    road_name: str = ""
    road_key: str = ""
    steps: list[Step] = field(default_factory=list)
    road: Road | None = None
    # Nodes of the path that already exist, top first; the rest are to be created.
    nodes: list[AddressNode] = field(default_factory=list)

    def idents(self, placement: str) -> tuple[tuple[Any, ...] | None, list[tuple[Any, ...]]]:
        """Stable names for the road and each node of the path, whether they exist yet or not."""
        road: tuple[Any, ...] | None = None
        if self.road_key:
            road = ("road", self.road.division_id if self.road else placement, self.road_key)
        parent: tuple[Any, ...] = ("D", self.division.code)
        out = []
        for i, step in enumerate(self.steps):
            if i == 0 and step.kind == Kind.DOORPLATE and road is not None:
                parent = road
            parent = (parent, step.kind, step.key)
            out.append(parent)
        return road, out


class AddressesHandler:
    kind = "addresses"
    columns = COLUMNS
    CACHE = 100_000

    def __init__(self, actor: Any, decisions: dict[str, Any], file_name: str = "") -> None:
        self.actor = actor
        self.decisions = decisions
        self.scope = scope_for(actor) if is_user(actor) else None
        self.divisions: dict[str, Division | None] = {}
        # (community code, road key) -> road serving that community
        self.roads: Bounded[tuple[str, str], Road] = Bounded(self.CACHE)
        # (sibling scope, kind, key) -> node: the key the database keeps unique
        self.nodes: Bounded[tuple[str, str, str], AddressNode] = Bounded(self.CACHE)
        # Roads and nodes that earlier rows of this file create, and the row whose whole path each is
        self.planned: Bounded[tuple[Any, ...], int] = Bounded(self.CACHE)
        self.paths: Bounded[tuple[Any, ...], int] = Bounded(self.CACHE)
        self.seen: Bounded[bytes, int] = Bounded(self.CACHE)
        # door plates new on a road -> (community, row) of the row that creates them
        self.plates: Bounded[tuple[Any, ...], tuple[str, int]] = Bounded(self.CACHE)

    # ------------------------------------------------------------ plan

    def _division(self, code: str) -> Division | None:
        if code not in self.divisions:
            self.divisions[code] = Division.objects.filter(code=code).first()
        return self.divisions[code]

    def _covers(self, code: str) -> bool:
        return self.scope is None or self.scope.covers(code)

    def _road_placement(self, community: str) -> str:
        """New roads go to the township, which all its communities share, where the actor may edit it."""
        township = community[:9]
        return township if self._covers(township) else community

    def _check_division(self, plan: RowPlan, raw: dict[str, Any], code: str) -> Division | None:
        shown = raw.get("division")
        if not (len(code) == 12 and code.isdigit()):
            plan.add("division", "社区/村区划代码应为 12 位数字。", shown)
            return None
        division = self._division(code)
        if division is None:
            plan.add("division", f"找不到区划代码 {code}。", shown, code="not_found")
            return None
        if division.level != Level.COMMUNITY:
            plan.add("division", f"{code}（{division.short_name}）不是社区/村一级的区划。", shown)
            return None
        region = settings.YBSS_REGION
        if region and not code.startswith(region):
            plan.add("division", f"{division.short_name}（{code}）不在本系统的辖区 {region} 内。", shown)
            return None
        if self.scope is not None and not self.scope.can(Cap.ADDRESS_EDIT):
            plan.add("division", "您的账号没有维护标准地址的权限，不能导入地址。", shown, code="forbidden")
            return None
        if not self._covers(code):
            plan.add("division", f"{division.short_name}（{code}）不在您的辖区内，不能导入其地址。", shown)
            return None
        return division

    def _parse(self, plan: RowPlan, raw: dict[str, Any], v: dict[str, str]) -> AddressRow | None:
        division = self._check_division(plan, raw, v["division"])
        if division is None:
            return None
        row = AddressRow(division=division)
        ok = True
        if v["road"]:
            try:
                row.road_key, row.road_name = road_key(v["road"])
            except InvalidName as exc:
                plan.add("road", str(exc), raw.get("road"))
                ok = False
        for key, kind in PATH:
            if not v[key]:
                continue
            try:
                norm, _display = node_key(kind, v[key])
            except InvalidName as exc:
                plan.add(key, str(exc), raw.get(key))
                ok = False
                continue
            row.steps.append(Step(key, kind, norm, v[key]))
        if not ok:
            return None
        return row if self._check_hierarchy(plan, raw, row, bool(v["road"])) else None

    def _check_hierarchy(self, plan: RowPlan, raw: dict[str, Any], row: AddressRow, has_road: bool) -> bool:
        """The rules of ALLOWED_CHILDREN, said in terms of the file's columns."""
        steps = row.steps
        if not steps and not has_road:
            plan.add("", "请至少填写街路巷、门牌号、小区/院落或村民小组中的一项。")
            return False
        kinds = [s.kind for s in steps]
        if has_road and Kind.GROUP in kinds:
            plan.add(
                "road", "街路巷与村民小组只能填写一个：门牌号属于一条街路巷或一个村民小组。", raw.get("road")
            )
            return False
        if has_road and steps and steps[0].kind != Kind.DOORPLATE:
            plan.add(
                "doorplate", "填写了街路巷时须填写门牌号：小区、楼栋等挂在门牌号下。", raw.get("doorplate")
            )
            return False
        previous: str | None = None
        for step in steps:
            if step.kind not in ALLOWED_CHILDREN[previous]:
                if previous is None:
                    message = NEEDS_PARENT[step.kind]
                else:
                    message = f"{Kind(previous).label}下不能直接建{Kind(step.kind).label}。"
                    if previous == Kind.COMPOUND and step.kind != Kind.BUILDING:
                        message += "请填写楼栋。"
                plan.add(step.column, message, raw.get(step.column), code="hierarchy")
                return False
            if step.kind == Kind.DOORPLATE and previous is None and not has_road:
                plan.add(
                    "doorplate",
                    "门牌号须属于一条街路巷或一个村民小组，请填写其中一项。",
                    raw.get("doorplate"),
                )
                return False
            previous = step.kind
        return True

    def plan(self, records: list[tuple[int, dict[str, Any]]]) -> list[RowPlan]:
        plans: list[RowPlan] = []
        staged: list[tuple[RowPlan, AddressRow, dict[str, Any]]] = []
        columns = {c.key: c for c in COLUMNS}
        for number, raw in records:
            plan = RowPlan(number)
            plans.append(plan)
            c = Coercer(plan, raw, columns)
            v = {key: c.text(key) for key in columns}
            if c.failed:
                continue
            if skip_repeated(plan, self.seen, v):
                continue
            row = self._parse(plan, raw, v)
            if row is not None:
                staged.append((plan, row, raw))
        self._find_roads([row for _, row, _ in staged])
        self._find_nodes([row for _, row, _ in staged])
        for plan, row, raw in staged:
            self._decide(plan, row, raw)
        return plans

    def _find_roads(self, rows: list[AddressRow]) -> None:
        wanted = {(r.division.code, r.road_key) for r in rows if r.road_key} - set(self.roads)
        items = sorted(wanted)
        for start in range(0, len(items), 500):
            batch = items[start : start + 500]
            codes = {c for c, _ in batch} | {c[:9] for c, _ in batch}
            found = Road.objects.filter(
                division_id__in=codes, norm_key__in={k for _, k in batch}, status=Status.IN_USE
            )
            by_place = {(r.division_id, r.norm_key): r for r in found}
            for community, key in batch:
                # The community's own road first, then the township's.
                road = by_place.get((community, key)) or by_place.get((community[:9], key))
                if road is not None:
                    self.roads[(community, key)] = road
        for row in rows:
            if row.road_key:
                row.road = self.roads.get((row.division.code, row.road_key))

    def _top_scope(self, row: AddressRow) -> str | None:
        if row.steps[0].kind == Kind.DOORPLATE and row.road_key:
            return f"R{row.road.pk}" if row.road is not None else None
        return f"D{row.division.code}"

    def _find_nodes(self, rows: list[AddressRow]) -> None:
        """Walk all the paths down together, one query per level for the whole chunk."""
        walking: list[tuple[AddressRow, str]] = []
        for r in rows:
            top = self._top_scope(r) if r.steps else None
            if top is not None:
                walking.append((r, top))
        level = 0
        while walking:
            wanted = {(scope, r.steps[level].kind, r.steps[level].key) for r, scope in walking}
            self._fetch(wanted)
            deeper = []
            for r, scope in walking:
                node = self.nodes.get((scope, r.steps[level].kind, r.steps[level].key))
                if node is None:
                    continue  # the rest of this path is new
                r.nodes.append(node)
                if level + 1 < len(r.steps):
                    deeper.append((r, f"N{node.pk}"))
            walking, level = deeper, level + 1

    def _fetch(self, wanted: set[tuple[str, str, str]]) -> None:
        missing = sorted(w for w in wanted if w not in self.nodes)
        for start in range(0, len(missing), 500):
            batch = set(missing[start : start + 500])
            query = AddressNode.objects.filter(
                sibling_scope__in={s for s, _, _ in batch},
                norm_key__in={k for _, _, k in batch},
                status=Status.IN_USE,
            )
            for node in query:
                triple = (node.sibling_scope, node.kind, node.norm_key)
                if triple in batch:
                    self.nodes[triple] = node

    def _decide(self, plan: RowPlan, row: AddressRow, raw: dict[str, Any]) -> None:
        if (
            row.nodes
            and row.steps[0].kind == Kind.DOORPLATE
            and row.nodes[0].division_id != row.division.code
        ):
            plate = row.nodes[0]
            other = self._division(plate.division_id)
            plan.add(
                "doorplate",
                f"{row.road_name}{plate.name}已登记在{other.short_name if other else plate.division_id}，"
                f"与所填社区/村（{row.division.short_name}）不符。",
                raw.get("doorplate"),
                code="other_division",
            )
            return
        road, idents = row.idents(self._road_placement(row.division.code))
        if road is not None and row.steps and not row.nodes:
            # A door plate new on a road: another row may be creating it for another community.
            first = self.plates.get(idents[0])
            if first is not None and first[0] != row.division.code:
                plan.add(
                    "doorplate",
                    f"第 {first[1]} 行把{row.road_name}{row.steps[0].name}登记在另一个社区/村，"
                    "同一街路巷的门牌号只能属于一个社区/村。",
                    raw.get("doorplate"),
                    code="other_division",
                )
                return
            self.plates[idents[0]] = (row.division.code, plan.row)
        path = idents[-1] if idents else road
        assert path is not None
        earlier = self.paths.get(path)
        if earlier is not None:
            plan.op = "skip"
            plan.add("", f"与第 {earlier} 行是同一地址，已跳过。", level="warning", code="duplicate_row")
            return
        self.paths[path] = plan.row
        new = idents[len(row.nodes) :]
        if road is not None and row.road is None:
            new = [road, *new]
        fresh = [i for i in new if i not in self.planned]
        for ident in fresh:
            self.planned[ident] = plan.row
        plan.op = "create" if fresh else "unchanged"
        plan.payload = row

    # ------------------------------------------------------------ apply

    def apply(self, plans: list[RowPlan]) -> None:
        for plan in plans:
            try:
                self._ensure(plan.payload)
            except ActionError as exc:
                raise ActionError(f"第 {plan.row} 行：{exc.message}", exc.field, exc.code) from exc

    def _ensure(self, row: AddressRow) -> None:
        road = None
        if row.road_key:
            road = self._ensure_road(row)
        parent: AddressNode | None = None
        for i, step in enumerate(row.steps):
            if parent is None:
                on_road = step.kind == Kind.DOORPLATE and road is not None
                scope = f"R{road.pk}" if on_road and road is not None else f"D{row.division.code}"
            else:
                scope = f"N{parent.pk}"
            triple = (scope, step.kind, step.key)
            node = (
                self.nodes.get(triple)
                or AddressNode.objects.filter(
                    sibling_scope=scope, kind=step.kind, norm_key=step.key, status=Status.IN_USE
                ).first()
            )
            if node is not None and parent is None and node.division_id != row.division.code:
                raise ActionError(
                    f"{node.full_text}已登记在另一个社区/村，与所填社区/村不符。", field="doorplate"
                )
            if node is None:
                if parent is not None:
                    node = actions.create_node(self.actor, step.kind, step.name, parent=parent)
                else:
                    node = actions.create_node(
                        self.actor,
                        step.kind,
                        step.name,
                        division=row.division,
                        road=road if i == 0 and step.kind == Kind.DOORPLATE else None,
                    )
            self.nodes[triple] = node
            parent = node

    def _ensure_road(self, row: AddressRow) -> Road:
        cached = self.roads.get((row.division.code, row.road_key))
        if cached is not None:
            return cached
        self._find_roads([row])
        if row.road is not None:
            return row.road
        division = self._division(self._road_placement(row.division.code))
        assert division is not None
        road = actions.create_road(self.actor, division, row.road_name)
        self.roads[(row.division.code, row.road_key)] = road
        return road


__all__ = ["COLUMNS", "AddressesHandler"]
