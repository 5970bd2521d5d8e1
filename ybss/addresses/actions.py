"""Every change to the standard address base goes through these functions.

Pages, the API, the command line and the demo builder all call them, so the
checks, the history row and the locking are written once. Each function runs
in one transaction: on any error nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from ybss.access.roles import Cap
from ybss.access.scope import require
from ybss.audit import log as audit_log
from ybss.audit.models import Action as AuditAction
from ybss.core.errors import ActionError
from ybss.divisions.models import Division, Level
from ybss.lib.text import InvalidName

from .keys import LABELS, node_key, road_key
from .models import (
    ALLOWED_CHILDREN,
    CODE_SEGMENT,
    AddressChange,
    AddressNode,
    Kind,
    Road,
    Status,
    ancestor_codes,
)

Actor = Any  # a User, an API TokenUser, or None for the operator and the demo builder
_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MAX_SEGMENT = 36**CODE_SEGMENT - 1


def _user(actor: Actor) -> Any:
    """The stored user behind an actor; None for the system and for API tokens."""
    return actor if isinstance(actor, get_user_model()) else None


def _segment(n: int) -> str:
    if n > MAX_SEGMENT:
        raise ActionError("同一上级下的地址数量已达上限，无法再新增。")
    out = ""
    for _ in range(CODE_SEGMENT):
        n, r = divmod(n, 36)
        out = _DIGITS[r] + out
    return out


def _next_sequence(prefix: str, depth: int) -> int:
    last = (
        AddressNode.objects.within(f"{prefix}-")
        .filter(depth=depth)
        .order_by("-code")
        .values_list("code", flat=True)
        .first()
    )
    return int(last.rsplit("-", 1)[1], 36) + 1 if last else 1


def _check_region(division: Division) -> None:
    region = settings.YBSS_REGION
    if region and not division.code.startswith(region):
        raise ActionError(
            f"区划 {division.code}（{division.name}）不在本系统的辖区 {region} 内。", field="division"
        )


def _check_scope(actor: Actor, code: str, field: str) -> None:
    """A user may only change addresses inside their jurisdiction.

    Outside it the answer is the same as for an address that does not exist.
    ``actor=None`` is the operator at the command line or the demo builder,
    who is bounded by the deployment region only.
    """
    if actor is None or not getattr(actor, "is_authenticated", False):
        return
    scope = require(actor, Cap.ADDRESS_EDIT)
    if not scope.covers(code):
        raise ActionError("找不到该地址或区划。", field=field, code="not_found")


def division_full_name(division: Division) -> str:
    return division.full_name()


def _full_text(division_name: str, road: Road | None, chain: Iterable[str]) -> str:
    parts = [division_name]
    if road is not None:
        parts.append(road.name)
    parts.extend(chain)
    return " ".join(parts)


def _search_text(full_text: str) -> str:
    return full_text.replace(" ", "")


_AUDIT_ACTION = {
    AddressChange.Action.CREATE: AuditAction.CREATE,
    AddressChange.Action.BATCH_CREATE: AuditAction.CREATE,
    AddressChange.Action.RENAME: AuditAction.CHANGE,
    AddressChange.Action.MERGE: AuditAction.MERGE,
    AddressChange.Action.MOVE: AuditAction.MERGE,
    AddressChange.Action.DEMOLISH: AuditAction.DELETE,
}


def _record(
    actor: Actor,
    action: str,
    summary: str,
    *,
    node: AddressNode | None = None,
    road: Road | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """History for the address page and a row in the audit log, in the action's transaction."""
    targets: list[tuple[str, object]] = (
        [("address", node.code)] if node is not None else [("road", road.pk)] if road is not None else []
    )
    audit_log.record(
        actor, _AUDIT_ACTION[AddressChange.Action(action)], targets=targets, extra={"summary": summary[:200]}
    )
    AddressChange.objects.create(
        node=node,
        road=road,
        action=action,
        summary=summary[:400],
        before=before or {},
        after=after or {},
        actor=_user(actor),
    )


def _key(kind: str, raw: str) -> tuple[str, str]:
    try:
        return node_key(kind, raw)
    except InvalidName as exc:
        raise ActionError(str(exc), field="name") from exc


# --- roads ---------------------------------------------------------------


@transaction.atomic
def create_road(actor: Actor, division: Division, name: str) -> Road:
    if division.level not in (Level.TOWNSHIP, Level.COMMUNITY):
        raise ActionError("街路巷只能建在乡镇街道或社区/村下。", field="division")
    _check_region(division)
    _check_scope(actor, division.code, "division")
    try:
        key, display = road_key(name)
    except InvalidName as exc:
        raise ActionError(str(exc), field="name") from exc
    if Road.objects.filter(division=division, norm_key=key, status=Status.IN_USE).exists():
        raise ActionError(f"{division.short_name}已有街路巷“{display}”。", field="name", code="duplicate")
    road = Road.objects.create(division=division, name=display, norm_key=key)
    _record(actor, AddressChange.Action.CREATE, f"新建街路巷 {display}", road=road, after={"name": display})
    return road


@transaction.atomic
def rename_road(actor: Actor, road: Road, new_name: str) -> Road:
    road = Road.objects.select_for_update().get(pk=road.pk)
    _check_scope(actor, road.division_id, "road")
    try:
        key, display = road_key(new_name)
    except InvalidName as exc:
        raise ActionError(str(exc), field="name") from exc
    if (
        Road.objects.filter(division=road.division, norm_key=key, status=Status.IN_USE)
        .exclude(pk=road.pk)
        .exists()
    ):
        raise ActionError(f"已有同名街路巷“{display}”。", field="name", code="duplicate")
    old = road.name
    road.name, road.norm_key = display, key
    road.save(update_fields=["name", "norm_key", "updated_at"])
    for plate in AddressNode.objects.filter(road=road):
        _refresh_subtree_text(plate)
    _record(
        actor,
        AddressChange.Action.RENAME,
        f"街路巷更名：{old} → {display}",
        road=road,
        before={"name": old},
        after={"name": display},
    )
    return road


# --- nodes -----------------------------------------------------------------


@transaction.atomic
def create_node(
    actor: Actor,
    kind: str,
    name: str,
    *,
    division: Division | None = None,
    road: Road | None = None,
    parent: AddressNode | None = None,
) -> AddressNode:
    """Create one node: a door plate on a road or in a village group, a compound,
    a building, a unit or a room under its parent."""
    if kind not in Kind.values:
        raise ActionError(f"未知的地址类型：{kind}", field="kind")
    key, display = _key(kind, name)
    if parent is not None:
        parent = (
            AddressNode.objects.select_for_update(of=("self",))
            .select_related("division", "road")
            .get(pk=parent.pk)
        )
        _check_scope(actor, parent.code, "parent")
        if not parent.is_in_use:
            raise ActionError(
                f"上级地址“{parent.name}”已{parent.get_status_display()}，不能在其下新增。", field="parent"
            )
        if kind not in ALLOWED_CHILDREN[parent.kind]:
            raise ActionError(
                f"{parent.get_kind_display()}下不能直接建{Kind(kind).label}。", field="kind", code="hierarchy"
            )
        division = parent.division
        scope = f"N{parent.pk}"
        prefix, depth = parent.code, parent.depth + 1
        chain = [*(a.name for a in parent.ancestors()), parent.name]
        road = parent.road if parent.depth == 1 else _top_road(parent)
    else:
        if division is None and road is not None:
            division = road.division
        if division is None:
            raise ActionError("请选择所属社区/村。", field="division")
        division = Division.objects.select_for_update().get(pk=division.pk)
        if division.level != Level.COMMUNITY:
            raise ActionError("地址必须建在社区/村（12 位区划代码）下。", field="division")
        _check_region(division)
        _check_scope(actor, division.code, "division")
        if kind not in ALLOWED_CHILDREN[None]:
            raise ActionError(f"{Kind(kind).label}必须建在上级地址下。", field="parent", code="hierarchy")
        if kind == Kind.DOORPLATE:
            if road is None:
                raise ActionError("门牌号须属于一条街路巷或一个村民小组。", field="road")
            if road.status != Status.IN_USE:
                raise ActionError(f"街路巷“{road.name}”已停用。", field="road")
            if not division.code.startswith(road.division_id):
                raise ActionError(f"街路巷“{road.name}”不属于{division.short_name}。", field="road")
            scope = f"R{road.pk}"
        else:
            road = None
            scope = f"D{division.code}"
        prefix, depth, chain = division.code, 1, []
    existing = AddressNode.objects.filter(
        sibling_scope=scope, kind=kind, norm_key=key, status=Status.IN_USE
    ).first()
    if existing is not None:
        raise ActionError(
            f"{LABELS[Kind(kind)]}重复：已有“{existing.full_text}”。", field="name", code="duplicate"
        )
    seq = _next_sequence(prefix, depth)
    full = _full_text(division_full_name(division), road, [*chain, display])
    try:
        with transaction.atomic():
            node = AddressNode.objects.create(
                kind=kind,
                division=division,
                road=road if depth == 1 else None,
                parent=parent,
                code=f"{prefix}-{_segment(seq)}",
                depth=depth,
                name=display,
                norm_key=key,
                sibling_scope=scope,
                full_text=full,
                search_text=_search_text(full),
            )
    except IntegrityError as exc:
        # Another writer got there between our check and insert.
        raise ActionError(
            f"{LABELS[Kind(kind)]}“{display}”刚被他人新建，请刷新后重试。", field="name", code="duplicate"
        ) from exc
    _record(
        actor,
        AddressChange.Action.CREATE,
        f"新建{node.get_kind_display()} {full}",
        node=node,
        after={"code": node.code, "name": display},
    )
    return node


def _child(parent: AddressNode, kind: str, name: str, key: str, seq: int) -> AddressNode:
    """An unsaved node under ``parent``; its canonical text extends the parent's."""
    full = f"{parent.full_text} {name}"
    return AddressNode(
        kind=kind,
        division_id=parent.division_id,
        parent=parent,
        code=f"{parent.code}-{_segment(seq)}",
        depth=parent.depth + 1,
        name=name,
        norm_key=key,
        sibling_scope=f"N{parent.pk}",
        full_text=full,
        search_text=_search_text(full),
    )


def _top_road(node: AddressNode) -> Road | None:
    top_code = "-".join(node.code.split("-")[:2])
    top = AddressNode.objects.select_related("road").filter(code=top_code).first()
    return top.road if top else None


@dataclass(frozen=True)
class RoomPattern:
    """Floors × units × rooms per floor, rooms numbered floor·100 + n (101…602)."""

    floors: int
    units: int
    rooms_per_floor: int
    first_floor: int = 1

    def total(self) -> int:
        return self.floors * max(self.units, 1) * self.rooms_per_floor

    def check(self, limit: int) -> None:
        for field, value, low, high in (
            ("floors", self.floors, 1, 99),
            ("units", self.units, 0, 30),
            ("rooms_per_floor", self.rooms_per_floor, 1, 99),
            ("first_floor", self.first_floor, -5, 99),
        ):
            label = {
                "floors": "层数",
                "units": "单元数",
                "rooms_per_floor": "每层户数",
                "first_floor": "起始楼层",
            }[field]
            if not isinstance(value, int) or value < low or value > high:
                raise ActionError(f"{label}应在 {low} 到 {high} 之间，收到 {value}。", field=field)
        if self.first_floor + self.floors - 1 > 99:
            raise ActionError("最高楼层不能超过 99 层。", field="floors")
        if self.total() > limit:
            raise ActionError(
                f"此规则将生成 {self.total()} 户，超过单次上限 {limit} 户；请分楼栋或分单元生成。",
                field="floors",
                code="too_many",
            )

    def room_numbers(self) -> list[str]:
        numbers = []
        for floor in range(self.first_floor, self.first_floor + self.floors):
            if floor == 0:
                continue
            for n in range(1, self.rooms_per_floor + 1):
                tag = f"B{-floor}" if floor < 0 else str(floor)
                numbers.append(f"{tag}{n:02d}")
        return numbers


@transaction.atomic
def batch_create_rooms(actor: Actor, building: AddressNode, pattern: RoomPattern) -> list[AddressNode]:
    """Create the units and rooms of a building from a pattern, all or nothing.

    Units that already exist are reused; any room that already exists is a
    collision and nothing at all is created.
    """
    pattern.check(settings.YBSS_MAX_BATCH_ROOMS)
    building = (
        AddressNode.objects.select_for_update(of=("self",)).select_related("division").get(pk=building.pk)
    )
    _check_scope(actor, building.code, "building")
    if building.kind != Kind.BUILDING:
        raise ActionError("只能为楼栋批量生成单元和户室。", field="building")
    if not building.is_in_use:
        raise ActionError(f"楼栋已{building.get_status_display()}。", field="building")
    numbers = pattern.room_numbers()

    parents: list[AddressNode] = []
    new_units: list[AddressNode] = []
    if pattern.units == 0:
        parents.append(building)
    else:
        seq = _next_sequence(building.code, building.depth + 1)
        existing_units = {
            u.norm_key: u
            for u in AddressNode.objects.filter(parent=building, kind=Kind.UNIT, status=Status.IN_USE)
        }
        for u in range(1, pattern.units + 1):
            key = str(u)
            unit = existing_units.get(key)
            if unit is None:
                unit = _child(building, Kind.UNIT, f"{u}单元", key, seq)
                seq += 1
                new_units.append(unit)
            parents.append(unit)
    AddressNode.objects.bulk_create(new_units)

    existing_parent_ids = [p.pk for p in parents if p.pk is not None]
    taken = set(
        AddressNode.objects.filter(
            parent_id__in=existing_parent_ids, kind=Kind.ROOM, status=Status.IN_USE
        ).values_list("parent_id", "norm_key")
    )
    clashes = [
        f"{p.name}{n}室" if p.kind == Kind.UNIT else f"{n}室"
        for p in parents
        for n in numbers
        if (p.pk, n) in taken
    ]
    if clashes:
        shown = "、".join(clashes[:10]) + ("等" if len(clashes) > 10 else "")
        raise ActionError(
            f"与已有户室重复，未生成任何户室：{shown}（共 {len(clashes)} 户）。",
            field="rooms_per_floor",
            code="duplicate",
        )
    rooms: list[AddressNode] = []
    for parent in parents:
        seq = _next_sequence(parent.code, parent.depth + 1)
        for n in numbers:
            rooms.append(_child(parent, Kind.ROOM, f"{n}室", n, seq))
            seq += 1
    AddressNode.objects.bulk_create(rooms, batch_size=1000)
    _record(
        actor,
        AddressChange.Action.BATCH_CREATE,
        f"按规则生成 {len(new_units)} 个单元、{len(rooms)} 户：{building.full_text}",
        node=building,
        after={
            "floors": pattern.floors,
            "units": pattern.units,
            "rooms_per_floor": pattern.rooms_per_floor,
            "first_floor": pattern.first_floor,
            "rooms": len(rooms),
            "units_created": len(new_units),
        },
    )
    return rooms


@transaction.atomic
def rename_node(actor: Actor, node: AddressNode, new_name: str) -> AddressNode:
    node = AddressNode.objects.select_for_update().get(pk=node.pk)
    _check_scope(actor, node.code, "name")
    if not node.is_in_use:
        raise ActionError(f"地址已{node.get_status_display()}，不能更名。", field="name")
    key, display = _key(node.kind, new_name)
    clash = (
        AddressNode.objects.filter(
            sibling_scope=node.sibling_scope, kind=node.kind, norm_key=key, status=Status.IN_USE
        )
        .exclude(pk=node.pk)
        .first()
    )
    if clash is not None:
        raise ActionError(
            f"{LABELS[Kind(node.kind)]}重复：已有“{clash.full_text}”。", field="name", code="duplicate"
        )
    old_name, old_text = node.name, node.full_text
    node.name, node.norm_key = display, key
    node.save(update_fields=["name", "norm_key", "updated_at"])
    _refresh_subtree_text(node)
    node.refresh_from_db()
    _record(
        actor,
        AddressChange.Action.RENAME,
        f"更名：{old_text} → {node.full_text}",
        node=node,
        before={"name": old_name},
        after={"name": display},
    )
    return node


def _refresh_subtree_text(node: AddressNode) -> None:
    """Recompute the canonical text of a node and everything under it."""
    road = node.road if node.depth == 1 else _top_road(node)
    division_name = division_full_name(node.division)
    names = {a.code: a.name for a in node.ancestors()}
    items = list(AddressNode.objects.within(node.code))
    names.update((n.code, n.name) for n in items)
    for item in items:
        item.full_text = _full_text(
            division_name, road, [names[c] for c in [*ancestor_codes(item.code), item.code]]
        )
        item.search_text = _search_text(item.full_text)
    AddressNode.objects.bulk_update(items, ["full_text", "search_text"], batch_size=500)


@transaction.atomic
def demolish_node(actor: Actor, node: AddressNode, reason: str = "") -> int:
    """Mark a node and everything under it demolished; returns how many nodes changed."""
    node = AddressNode.objects.select_for_update().get(pk=node.pk)
    _check_scope(actor, node.code, "status")
    if not node.is_in_use:
        raise ActionError(f"地址已{node.get_status_display()}。", field="status")
    # Segments are fixed-width, so the code prefix is exactly the subtree.
    qs = AddressNode.objects.within(node.code).filter(status=Status.IN_USE)
    count = qs.update(status=Status.DEMOLISHED)
    _record(
        actor,
        AddressChange.Action.DEMOLISH,
        f"拆除：{node.full_text}（共 {count} 个地址）{reason}"[:400],
        node=node,
        after={"count": count, "reason": reason[:200]},
    )
    return count


@transaction.atomic
def merge_nodes(actor: Actor, source: AddressNode, target: AddressNode) -> AddressNode:
    """Merge a node entered twice into the one that stays.

    The source's children move under the target and get codes there; the
    source stays in the base as 已合并 pointing at the target, so old codes
    still lead somewhere. Children with the same key on both sides are a
    conflict to settle first (merge those children), not something to guess.
    """
    first, second = sorted([source, target], key=lambda n: n.pk)
    locked = {n.pk: n for n in AddressNode.objects.select_for_update().filter(pk__in=[first.pk, second.pk])}
    source, target = locked[source.pk], locked[target.pk]
    _check_scope(actor, source.code, "source")
    _check_scope(actor, target.code, "target")
    if source.pk == target.pk:
        raise ActionError("不能把地址合并到它自己。", field="target")
    if source.kind != target.kind:
        raise ActionError(
            f"只能合并同类地址：{source.get_kind_display()}不能并入{target.get_kind_display()}。",
            field="target",
        )
    if not source.is_in_use or not target.is_in_use:
        raise ActionError("只能合并两个在用的地址。", field="target")
    if target.code.startswith(source.code + "-"):
        raise ActionError("不能合并到自己的下级地址。", field="target")
    children = list(AddressNode.objects.filter(parent=source, status=Status.IN_USE).order_by("code"))
    target_keys = set(
        AddressNode.objects.filter(parent=target, status=Status.IN_USE).values_list("kind", "norm_key")
    )
    conflicts = [c.name for c in children if (c.kind, c.norm_key) in target_keys]
    if conflicts:
        raise ActionError(
            f"两处都有下级地址 {'、'.join(conflicts[:10])}，请先合并这些下级地址。",
            field="target",
            code="conflict",
        )
    seq = _next_sequence(target.code, target.depth + 1)
    moved = 0
    for child in children:
        old_prefix = child.code
        new_prefix = f"{target.code}-{_segment(seq)}"
        seq += 1
        subtree = list(AddressNode.objects.within(old_prefix))
        for n in subtree:
            n.code = new_prefix + n.code[len(old_prefix) :]
        # Codes are unique; moving a whole subtree in one UPDATE could collide
        # mid-way on some backends, so give each row its final code directly.
        AddressNode.objects.bulk_update(subtree, ["code"], batch_size=500)
        child.refresh_from_db()
        child.parent = target
        child.sibling_scope = f"N{target.pk}"
        child.save(update_fields=["parent", "sibling_scope", "updated_at"])
        _record(
            actor,
            AddressChange.Action.MOVE,
            f"随合并迁移：{old_prefix} → {new_prefix}",
            node=child,
            before={"code": old_prefix},
            after={"code": new_prefix},
        )
        moved += 1
    _refresh_subtree_text(target)
    source.status = Status.MERGED
    source.merged_into = target
    source.save(update_fields=["status", "merged_into", "updated_at"])
    _record(
        actor,
        AddressChange.Action.MERGE,
        f"合并：{source.full_text} → {target.full_text}",
        node=source,
        before={"code": source.code},
        after={"merged_into": target.code, "children_moved": moved},
    )
    return target


@transaction.atomic
def batch_create_children(
    actor: Actor, parent: AddressNode, kind: str, names: list[str]
) -> list[AddressNode]:
    """Create many siblings at once (door plates 1–40 of a village group, buildings of a
    compound), all or nothing: any duplicate, in the list or already stored, stops it."""
    limit = settings.YBSS_MAX_BATCH_ROOMS
    if not names:
        raise ActionError("请至少填写一个号码或名称。", field="names")
    if len(names) > limit:
        raise ActionError(
            f"一次最多新建 {limit} 个地址，收到 {len(names)} 个。", field="names", code="too_many"
        )
    parent = AddressNode.objects.select_for_update(of=("self",)).select_related("division").get(pk=parent.pk)
    _check_scope(actor, parent.code, "parent")
    if not parent.is_in_use:
        raise ActionError(f"上级地址已{parent.get_status_display()}，不能在其下新增。", field="parent")
    if kind not in ALLOWED_CHILDREN[parent.kind]:
        raise ActionError(
            f"{parent.get_kind_display()}下不能直接建{Kind(kind).label}。", field="kind", code="hierarchy"
        )
    keyed: dict[str, str] = {}
    for raw in names:
        key, display = _key(kind, raw)
        if key in keyed:
            raise ActionError(
                f"{LABELS[Kind(kind)]}“{display}”在列表中重复。", field="names", code="duplicate"
            )
        keyed[key] = display
    taken = set(
        AddressNode.objects.filter(
            sibling_scope=f"N{parent.pk}", kind=kind, status=Status.IN_USE, norm_key__in=list(keyed)
        ).values_list("norm_key", flat=True)
    )
    if taken:
        shown = "、".join(keyed[k] for k in sorted(taken)[:10])
        raise ActionError(
            f"{LABELS[Kind(kind)]}与已有地址重复，未新建任何地址：{shown}。", field="names", code="duplicate"
        )
    seq = _next_sequence(parent.code, parent.depth + 1)
    nodes = []
    for key, display in keyed.items():
        nodes.append(_child(parent, kind, display, key, seq))
        seq += 1
    AddressNode.objects.bulk_create(nodes, batch_size=1000)
    _record(
        actor,
        AddressChange.Action.BATCH_CREATE,
        f"批量新建 {len(nodes)} 个{Kind(kind).label}：{parent.full_text}",
        node=parent,
        after={"kind": kind, "count": len(nodes)},
    )
    return nodes
