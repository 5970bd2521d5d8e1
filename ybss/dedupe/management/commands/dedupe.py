"""``ybss dedupe persons [--jurisdiction X] [--full]``: scan the registry for suspected duplicates.

Incremental by default: records created or changed since the last scan that
covered the same jurisdiction are compared against everything. ``--full``
compares every record of the jurisdiction again (decided pairs stay decided).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ybss.core.errors import ActionError
from ybss.dedupe import actions


class Command(BaseCommand):
    help = "重复核查：扫描登记库中的疑似重复人员，放入核查队列（persons 子命令）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=["persons"], help="要扫描的记录类型（目前只有 persons）")
        parser.add_argument(
            "--jurisdiction", default="", help="只比较该区划或地址编码下的记录（与全库比较），如 130731100"
        )
        parser.add_argument(
            "--full", action="store_true", help="全量扫描，而不只是上次扫描后新增或修改的记录"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        code = options["jurisdiction"].strip()
        if code and not code.replace("-", "").isalnum():
            raise CommandError(f"区划或地址编码无效：{code}")
        try:
            result = actions.scan(None, code or None, incremental=not options["full"])
        except ActionError as exc:
            raise CommandError(exc.message) from exc
        run = result.run
        since = run.since.strftime("%Y-%m-%d %H:%M:%S") if run.since else "全量"
        self.stdout.write(
            f"扫描完成（{since}）：共 {run.records} 条记录，比较 {run.new_records} 条新增或修改的记录，"
            f"候选对 {run.compared} 个，疑似重复 {run.proposed} 对（新增 {result.created}，"
            f"更新 {result.updated}，移除 {result.removed}），用时 {run.seconds:.1f} 秒。"
        )
