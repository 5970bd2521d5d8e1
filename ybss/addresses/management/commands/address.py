"""``ybss address …``: maintain the address base from the command line.

Thin on purpose: every subcommand calls the same action as the pages and the
API, and turns its ActionError into a CommandError naming the field.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import sys
from collections.abc import Iterator
from typing import IO, Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ybss import addressing
from ybss.addresses import actions
from ybss.addresses.matching import AddressMatcher
from ybss.addresses.models import AddressNode, Kind, Road
from ybss.core.errors import ActionError
from ybss.divisions.models import Division


def _node(code: str) -> AddressNode:
    node = AddressNode.objects.filter(code=code).first()
    if node is None:
        raise CommandError(f"找不到地址编码 {code}。")
    return node


def _decode(data: bytes, source: str) -> str:
    """Text of ``data``: UTF-8 (with or without BOM), else GBK/GB18030; the bad line is named."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
        encodings: tuple[str, ...] = ("utf-8",)
    else:
        encodings = ("utf-8", "gb18030")
    lines = data.split(b"\n")
    utf8_file = len(encodings) == 1 or _mostly_utf8(lines)
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "gb18030" and utf8_file:
            break  # a UTF-8 file with a broken line: say which, do not guess
        return text
    # Name the first line that neither encoding reads (or that UTF-8 does not,
    # in a file that is otherwise UTF-8).
    for number, line in enumerate(lines, 1):
        try:
            line.decode("utf-8" if utf8_file else "gb18030")
        except UnicodeDecodeError:
            expected = "UTF-8" if utf8_file else "UTF-8 或 GBK/GB18030"
            raise CommandError(f"{source}第 {number} 行无法按 {expected} 解码，请检查文件编码。") from None
    raise CommandError(f"{source}无法解码，请使用 UTF-8 或 GBK/GB18030 编码。")


def _mostly_utf8(lines: list[bytes]) -> bool:
    """Whether most lines with non-ASCII bytes are valid UTF-8: then the file
    is UTF-8 with some broken lines, not GBK (whose short lines can happen to
    be valid UTF-8)."""
    good = bad = 0
    for line in lines:
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad += 1
        else:
            good += 1
    return good > bad


class Command(BaseCommand):
    help = "标准地址维护：新建街路巷、门牌、楼栋，按规则生成户室，更名、合并、拆除、检索；地址解析与匹配。"
    stealth_options = ("stdin",)

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
        for name, what in (
            ("parse", "解析地址：每行一条（或 CSV 的一列），每条输出一行 JSON"),
            ("match", "解析地址并与标准地址库匹配，每条输出一行 JSON"),
        ):
            p = sub.add_parser(name, help=what)
            p.add_argument("file", nargs="?", help="输入文件；省略时读标准输入")
            p.add_argument("--default-region", help="默认区域（区划代码前缀），默认取 YBSS_REGION")
            p.add_argument("--csv", action="store_true", help="输入为 CSV，用 --column 指定地址列")
            p.add_argument("--column", help="CSV 中地址所在列的列名")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self._dispatch(options)
        except ActionError as exc:
            where = f"（{exc.field}）" if exc.field else ""
            raise CommandError(f"{exc.message}{where}") from exc

    def _dispatch(self, o: dict[str, Any]) -> None:
        sub = o["sub"]
        if sub in ("parse", "match"):
            self._parse_or_match(o)
        elif sub == "create-road":
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

    # -- parse / match -----------------------------------------------------------
    def _parse_or_match(self, o: dict[str, Any]) -> None:
        region = o["default_region"]
        if region is None:
            region = getattr(settings, "YBSS_REGION", None) or None
        try:
            gz = addressing.get_gazetteer(region)
            len(gz)
        except ValueError as exc:
            raise CommandError(f"--default-region：{exc}") from exc
        if o["csv"] and not o["column"]:
            raise CommandError("使用 --csv 时必须用 --column 指定地址所在的列。")
        if o["column"] and not o["csv"]:
            raise CommandError("--column 只能与 --csv 一起使用。")
        matcher = AddressMatcher(region) if o["sub"] == "match" else None
        for text in self._inputs(o):
            parsed = addressing.parse(text, region, gazetteer=gz)
            out = _parse_json(parsed)
            if matcher is not None:
                out.update(matcher.match(parsed))
            self.stdout.write(json.dumps(out, ensure_ascii=False))

    def _inputs(self, o: dict[str, Any]) -> Iterator[str]:
        if o["file"]:
            source = f"文件 {o['file']} "
            try:
                with open(o["file"], "rb") as fh:
                    data = fh.read()
            except OSError as exc:
                raise CommandError(f"无法读取{source}：{exc.strerror}") from exc
        else:
            source = "标准输入"
            stream: IO[bytes] | IO[str] = o.get("stdin") or sys.stdin.buffer
            raw = stream.read()
            data = raw.encode("utf-8") if isinstance(raw, str) else raw
        text = _decode(data, source)
        if not o["csv"]:
            lines = text.splitlines()
            yield from lines
            return
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, None)
        if header is None:
            raise CommandError(f"{source}为空：CSV 至少需要表头行。")
        header = [h.strip() for h in header]
        column = o["column"].strip()
        if column not in header:
            raise CommandError(f"CSV 表头中没有“{column}”列（现有列：{'、'.join(header) or '无'}）。")
        at = header.index(column)
        for row in reader:
            if not row:
                continue
            if at >= len(row):
                raise CommandError(f"CSV 第 {reader.line_num} 行缺少“{column}”列。")
            yield row[at]


def _parse_json(parsed: addressing.ParsedAddress) -> dict[str, Any]:
    return {
        "input": parsed.text,
        "elements": [
            {"type": e.kind, "text": e.raw, "start": e.start, "end": e.end, "value": e.value}
            for e in parsed.elements
        ],
        "division_code": parsed.division_code,
        "division_name": "".join(name for _, name in parsed.division_path) or None,
        "standard": addressing.standard_text(parsed),
        "confidence": parsed.confidence,
    }
