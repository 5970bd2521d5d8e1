"""``ybss stats refresh``: recompute the statistics (run it from cron, e.g. every hour)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ybss.stats.figures import refresh


class Command(BaseCommand):
    help = "统计：refresh 重新计算全部统计数（建议定时运行，页面显示统计时点）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["refresh"], help="refresh：重新计算")
        parser.add_argument("--timings", action="store_true", help="列出每项指标的计算用时")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] != "refresh":
            raise CommandError("未知操作。")
        report = refresh()
        self.stdout.write(
            f"已刷新统计：{report.rows} 行，统计日期 {report.as_of}，用时 {report.seconds:.1f} 秒。"
        )
        if options["timings"]:
            for key, seconds in sorted(report.timings.items(), key=lambda kv: -kv[1]):
                self.stdout.write(f"  {key:<40} {seconds:.3f}s")
