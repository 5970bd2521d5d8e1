"""``ybss address …``: maintain the address base from the command line.

Thin on purpose: every subcommand calls the same action as the pages and the
API, and turns its ActionError into a CommandError naming the field.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ybss.addresses import actions
from ybss.addresses.models import AddressNode, Kind, Road
from ybss.core.errors import ActionError
from ybss.divisions.models import Division


def _node(code: str) -> AddressNode:
    node = AddressNode.objects.filter(code=code).first()
    if node is None:
        raise CommandError(f"找不到地址编码 {code}。")
    return node


class Command(BaseCommand):
    help = "标准地址维护：新建街路巷、门牌、楼栋，按规则生成户室，更名、合并、拆除、检索。"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True, metavar="子命令")
        p = sub.add_parser("create-road", help="新建街路巷")
        p.add_argument("division", help="乡镇街道或社区/村的区划代码")
        p.add_argument("name", help="名称，如 轩辕路")
        p = sub.add_parser("create", help="新建门牌、村民小组、小区、楼栋、单元或户室")
        p.add_argument("kind", choices=Kind.values)
        p.add_argument("name", help="号码或名称")
        p.add_argument("--division", help="顶层地址所属社区/村（12 位代码）")
        p.add_argument("--road", type=int, help="门牌号所在街路巷 ID")
        p.add_argument("--parent", help="上级地址编码")
        p = sub.add_parser("rooms", help="按规则为楼栋生成单元和户室")
        p.add_argument("building", help="楼栋的地址编码")
        p.add_argument("--floors", type=int, required=True)
        p.add_argument("--units", type=int, required=True)
        p.add_argument("--rooms-per-floor", type=int, required=True)
        p.add_argument("--first-floor", type=int, default=1)
        p = sub.add_parser("rename", help="更名")
        p.add_argument("code", help="地址编码")
        p.add_argument("name")
        p = sub.add_parser("merge", help="把重复录入的地址合并到保留的地址")
        p.add_argument("source", help="要合并掉的地址编码")
        p.add_argument("target", help="保留的地址编码")
        p = sub.add_parser("demolish", help="标记拆除（含全部下级）")
        p.add_argument("code")
        p.add_argument("--reason", default="")
        p = sub.add_parser("find", help="检索地址")
        p.add_argument("text")
        p.add_argument("--within", default="", help="地址编码或区划代码前缀")
        p.add_argument("--limit", type=int, default=20)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self._dispatch(options)
        except ActionError as exc:
            where = f"（{exc.field}）" if exc.field else ""
            raise CommandError(f"{exc.message}{where}") from exc

    def _dispatch(self, o: dict[str, Any]) -> None:
        sub = o["sub"]
        if sub == "create-road":
            division = Division.objects.filter(code=o["division"]).first()
            if division is None:
                raise CommandError(f"找不到区划代码 {o['division']}。")
            new_road = actions.create_road(None, division, o["name"])
            self.stdout.write(f"{new_road.pk}\t{new_road.name}")
        elif sub == "create":
            division = Division.objects.filter(code=o["division"]).first() if o["division"] else None
            road = Road.objects.filter(pk=o["road"]).first() if o["road"] else None
            parent = _node(o["parent"]) if o["parent"] else None
            node = actions.create_node(
                None, o["kind"], o["name"], division=division, road=road, parent=parent
            )
            self.stdout.write(f"{node.code}\t{node.full_text}")
        elif sub == "rooms":
            pattern = actions.RoomPattern(o["floors"], o["units"], o["rooms_per_floor"], o["first_floor"])
            rooms = actions.batch_create_rooms(None, _node(o["building"]), pattern)
            self.stdout.write(f"已生成 {len(rooms)} 户。")
        elif sub == "rename":
            node = actions.rename_node(None, _node(o["code"]), o["name"])
            self.stdout.write(node.full_text)
        elif sub == "merge":
            target = actions.merge_nodes(None, _node(o["source"]), _node(o["target"]))
            self.stdout.write(f"已合并到 {target.full_text}")
        elif sub == "demolish":
            count = actions.demolish_node(None, _node(o["code"]), o["reason"])
            self.stdout.write(f"已标记拆除 {count} 个地址。")
        elif sub == "find":
            qs = AddressNode.objects.in_use().search(o["text"]).order_by("code")
            if o["within"]:
                qs = qs.within(o["within"])
            for node in qs[: max(1, min(o["limit"], 500))]:
                self.stdout.write(f"{node.code}\t{node.full_text}")
