"""``ybss link persons|units|addresses INPUT --out CLUSTERS.csv [--pairs PAIRS.csv] [--threshold T]``.

A thin wrapper: the arguments, the reading, the linking and the writing are
all :mod:`ybss.linkage.cli`, which also runs without Django as
``python -m ybss.linkage``. This command only supplies the deployment's region
(``YBSS_REGION``) as the default of ``--default-region`` and turns an input
problem into a CommandError, so that the message and a non-zero exit reach
the user.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from ybss.linkage import cli
from ybss.linkage.files import LinkageInputError


class Command(BaseCommand):
    help = "记录链接：找出同一人、单位或地址的重复记录，输出聚类（persons、units、addresses 子命令）。"

    def add_arguments(self, parser: CommandParser) -> None:
        cli.add_arguments(parser, default_region=getattr(settings, "YBSS_REGION", None) or None)

    def handle(self, *args: Any, **options: Any) -> None:
        # The engine forks helper processes; none of them may inherit a database connection.
        connections.close_all()
        try:
            if options["sub"] == "persons":
                cli.run_persons(
                    options["input"],
                    options["out"],
                    pairs_path=options["pairs"],
                    threshold=options["threshold"],
                    stderr=self.stderr,
                )
            else:
                cli.run_kind(
                    options["sub"],
                    options["input"],
                    options["out"],
                    pairs_path=options["pairs"],
                    threshold=options["threshold"],
                    region=options["default_region"],
                    stderr=self.stderr,
                )
        except LinkageInputError as exc:
            raise CommandError(exc.message) from exc
        except OSError as exc:
            raise CommandError(f"{exc.strerror or exc}：{exc.filename or ''}") from exc
