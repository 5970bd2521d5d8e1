from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ybss.audit.log import verify


class Command(BaseCommand):
    help = "审计日志：verify 校验整条哈希链，指出第一处被修改、删除或插入的记录。"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True, metavar="子命令")
        sub.add_parser("verify", help="校验审计日志哈希链")

    def handle(self, *args: Any, **options: Any) -> None:
        result = verify()
        if result.ok:
            self.stdout.write(f"审计日志完整：共校验 {result.checked} 条，哈希链无断裂。")
            return
        problem = result.problem
        assert problem is not None
        raise CommandError(
            f"审计日志被篡改：第 {problem.seq} 条，{problem.message}（已校验 {result.checked} 条）"
        )
