import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ybss.divisions.loading import load_divisions


class Command(BaseCommand):
    help = "载入随软件发布的国家统计局 2023 年统计用区划代码（可重复执行，不会重复写入）。"

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--province", metavar="CODE", help="只载入一个省，如 13")
        group.add_argument("--county", metavar="CODE", help="只载入一个县（区），如 130731")
        group.add_argument("--scope", metavar="CODE", help="任意级别的区划代码前缀")
        group.add_argument("--all", action="store_true", help="载入全国（约 66.5 万条）")

    def handle(self, *args: Any, **options: Any) -> None:
        scope = options["province"] or options["county"] or options["scope"]
        if options["province"] and len(options["province"]) != 2:
            raise CommandError("--province 应为 2 位省级代码，如 13。")
        if options["county"] and len(options["county"]) != 6:
            raise CommandError("--county 应为 6 位县级代码，如 130731。")
        if not scope and not options["all"]:
            raise CommandError("请指定 --all、--province CODE 或 --county CODE。")
        started = time.perf_counter()
        try:
            report = load_divisions(scope)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{report}（用时 {time.perf_counter() - started:.1f} 秒）")
