"""``ybss import``: bulk import from the command line, with the checks the pages use.

ybss import persons FILE --check            validation report only
ybss import persons FILE                     check and commit in one transaction
ybss import persons FILE --valid-only --rejected bad.xlsx
ybss import template persons --out 人口模板.xlsx
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ybss.core.errors import ActionError
from ybss.exchange import importing, reports
from ybss.exchange.handlers import HANDLERS
from ybss.exchange.models import BLOCKING, ImportKind, ImportMode, ImportStatus

KIND_LABELS = dict(ImportKind.choices)


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:d}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class Bar:
    """A progress line on stderr: bar, rows, rows per second, time left."""

    PHASES = {"check": "检查", "commit": "导入"}

    def __init__(self, stream: Any, enabled: bool) -> None:
        self.stream = stream
        self.enabled = enabled
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.last_line = 0.0

    def __call__(self, snap: dict[str, Any]) -> None:
        if not self.enabled:
            return
        total, done = snap["total"], snap["done"]
        share = done / total if total else 0.0
        filled = int(share * 30)
        line = (
            f"{self.PHASES.get(snap['phase'], snap['phase'])} [{'#' * filled}{' ' * (30 - filled)}] "
            f"{share:4.0%} {done:,}/{total:,} 行 · {snap['rate']:,.0f} 行/秒 · 剩余 {_clock(snap['eta'])}"
        )
        if self.tty:
            self.stream.write("\r" + line)
        else:
            # Logs get a line at most every few seconds, not a carriage-return storm.
            now = time.monotonic()
            if now - self.last_line < 2 and done < total:
                return
            self.last_line = now
            self.stream.write(line + "\n")
        self.stream.flush()

    def end(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()


class Command(BaseCommand):
    help = "批量导入：检查并导入人口、地址、房屋、单位表格（.xlsx 或 .csv）"
    # Django's system checks import every URLconf and view, over a second before the first
    # row; they check the deployment, not the file (``ybss check`` runs them).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", help="persons / addresses / houses / units，或 template")
        parser.add_argument("file", nargs="?", help="要导入的 .xlsx 或 .csv 文件；template 时为类型")
        parser.add_argument("--check", action="store_true", help="只检查，不导入")
        parser.add_argument("--valid-only", action="store_true", help="只导入无误的行，有误的行退回")
        parser.add_argument("--user", help="以该账号的身份和辖区导入（默认：系统，不限辖区）")
        parser.add_argument("--report", help="把检查报告另存为 .xlsx")
        parser.add_argument("--rejected", help="--valid-only 时把退回的行另存为 .xlsx")
        parser.add_argument(
            "--choose", action="append", default=[], metavar="ROW=CODE", help="第 ROW 行的地址取标准地址 CODE"
        )
        parser.add_argument(
            "--import-anyway",
            action="append",
            default=[],
            type=int,
            metavar="ROW",
            help="第 ROW 行虽疑似重复仍照常导入，并放入重复核查队列由民警决定",
        )
        parser.add_argument("--out", help="template：模板保存路径（.xlsx 或 .csv）")
        parser.add_argument("--quiet", action="store_true", help="不显示进度")

    def handle(self, *args: Any, **options: Any) -> None:
        kind = options["kind"]
        if kind == "template":
            self._template(options)
            return
        if kind not in HANDLERS:
            raise CommandError(f"不支持的导入类型：{kind}（可选：{'、'.join(HANDLERS)}、template）")
        if not options["file"]:
            raise CommandError("请给出要导入的文件。")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        actor = self._actor(options.get("user"))
        decisions = self._decisions(options)
        mode = ImportMode.VALID_ONLY if options["valid_only"] else ImportMode.ALL_OR_NOTHING
        try:
            job = importing.create_job(actor, kind, path, path.name, mode)
        except ActionError as exc:
            raise CommandError(exc.message) from exc
        if decisions:
            job.decisions = decisions
            job.save(update_fields=["decisions"])
        bar = Bar(sys.stderr, not options["quiet"])
        progress = importing.Progress(job, on_update=bar, interval=0.2)
        started = time.monotonic()
        try:
            if options["check"]:
                job = importing.check(job, actor, progress)
                bar.end()
                self._summary(job, time.monotonic() - started, options)
                importing.discard(job)
                if job.counts.get("problem_rows") or job.counts.get("error"):
                    raise CommandError("检查发现问题，请修改后重新检查。", returncode=1)
                return
            job = importing.commit(job, actor, progress, require_check=False)
        except KeyboardInterrupt:
            bar.end()
            importing.mark_interrupted(job, actor)
            raise CommandError("已中断：本次导入已全部撤销，数据库未改动。", returncode=130) from None
        except ActionError as exc:
            bar.end()
            raise CommandError(exc.message) from exc
        bar.end()
        self._summary(job, time.monotonic() - started, options)
        if job.status != ImportStatus.DONE:
            raise CommandError("有问题的行，未导入任何数据。请修改后重新导入。", returncode=1)
        if options.get("rejected") and importing.rejected_path(job).exists():
            Path(options["rejected"]).write_bytes(importing.rejected_path(job).read_bytes())
            self.stdout.write(f"退回的行已保存到 {options['rejected']}")
        importing.discard(job)

    def _actor(self, username: str | None) -> Any:
        if not username:
            return None
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"找不到启用中的账号：{username}")
        return user

    def _decisions(self, options: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for item in options["choose"]:
            row, sep, code = str(item).partition("=")
            if not sep or not row.strip().isdigit() or not code.strip():
                raise CommandError(f"--choose 应写作 行号=地址编码，例如 12=130731100001-0001：{item}")
            out.setdefault(row.strip(), {})["address"] = code.strip()
        for row in options["import_anyway"]:
            out.setdefault(str(row), {})["import_anyway"] = True
        return out

    def _summary(self, job: Any, seconds: float, options: dict[str, Any]) -> None:
        c = job.counts
        rate = c.get("rows", 0) / seconds if seconds > 0 else 0
        self.stdout.write(
            f"{KIND_LABELS[job.kind]}：{c.get('rows', 0):,} 行，用时 {seconds:.1f} 秒（{rate:,.0f} 行/秒）\n"
            f"  新增 {c.get('create', 0):,} · 更新 {c.get('update', 0):,} · 无变化 {c.get('unchanged', 0):,}"
            f" · 跳过重复行 {c.get('skip', 0):,} · 有问题的行 {c.get('problem_rows', 0):,}"
        )
        problems = list(job.problems.order_by("row", "id")[:50])
        for p in problems:
            where = f"第 {p.row} 行" if p.row else "文件"
            column = f"【{p.column}】" if p.column else ""
            value = f"（原值：{p.value}）" if p.value else ""
            mark = "✗" if p.level in BLOCKING else "!"
            self.stdout.write(f"  {mark} {where}{column}{p.message}{value}")
        stored = c.get("stored_problems", 0)
        if stored > len(problems):
            self.stdout.write(f"  …… 共 {stored:,} 条，完整清单请用 --report 保存为 .xlsx")
        if options.get("report"):
            reports.report_xlsx(job, Path(options["report"]))
            self.stdout.write(f"检查报告已保存到 {options['report']}")

    def _template(self, options: dict[str, Any]) -> None:
        kind = options["file"]
        if kind not in HANDLERS:
            raise CommandError(f"不支持的模板类型：{kind}（可选：{'、'.join(HANDLERS)}）")
        out = Path(options.get("out") or f"{kind}.xlsx")
        columns = HANDLERS[kind].columns
        if out.suffix.lower() == ".csv":
            out.write_bytes(reports.template_csv(columns))
        elif out.suffix.lower() == ".xlsx":
            out.write_bytes(reports.template_xlsx(columns, f"{KIND_LABELS[kind]}导入模板"))
        else:
            raise CommandError("--out 的扩展名应为 .xlsx 或 .csv")
        self.stdout.write(f"模板已保存到 {out}")
