"""``ybss keys``: field-encryption keys.

Rotation without downtime:
1. ``ybss keys generate`` and put the new key FIRST in YBSS_FIELD_KEY, keeping the old
   one after it (``k2:new…,k1:old…``); restart. New writes use k2, old rows still read.
2. ``ybss keys rotate`` re-encrypts every row still under an older key, in small batches.
3. ``ybss keys status`` shows nothing left under k1; then remove k1 and restart.
"""

from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from ybss.access import crypto
from ybss.audit import log
from ybss.audit.models import Action
from ybss.lib.fieldcrypt import (
    DecryptError,
    KeyConfigError,
    generate_index_key_string,
    generate_key_string,
    token_key_id,
)


class Command(BaseCommand):
    requires_system_checks: list[str] = []
    help = "字段加密密钥：generate 生成新密钥，status 查看各密钥下的数据量，rotate 用当前密钥重新加密。"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True, metavar="子命令")
        gen = sub.add_parser("generate", help="生成新的数据密钥（和索引密钥）")
        gen.add_argument("--id", default="k1", help="密钥编号，如 k2")
        sub.add_parser("status", help="各密钥下的加密字段数")
        rot = sub.add_parser("rotate", help="把旧密钥下的数据用当前密钥重新加密")
        rot.add_argument("--batch", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        sub = options["sub"]
        if sub == "generate":
            try:
                self.stdout.write(f"YBSS_FIELD_KEY={generate_key_string(options['id'])}")
            except KeyConfigError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(
                f"# 仅首次部署需要（索引密钥不随数据密钥轮换）：YBSS_INDEX_KEY={generate_index_key_string()}"
            )
            return
        try:
            ring = crypto.keyring()
        except KeyConfigError as exc:
            raise CommandError(str(exc)) from exc
        if sub == "status":
            for field in crypto.registered():
                enc = f"{field.name}_enc"
                counts: Counter[str] = Counter()
                for token in (
                    field.model._default_manager.exclude(**{enc: ""}).values_list(enc, flat=True).iterator()
                ):
                    try:
                        counts[token_key_id(token)] += 1
                    except DecryptError:
                        counts["无法识别"] += 1
                shown = "，".join(f"{k}: {n}" for k, n in sorted(counts.items())) or "无数据"
                self.stdout.write(f"{field.context}（当前密钥 {ring.current_key_id}）：{shown}")
            return
        if options["batch"] < 1:
            raise CommandError("--batch 至少为 1。")
        total = 0
        for report in crypto.rotate(batch=options["batch"]):
            self.stdout.write(f"{report.field}：检查 {report.checked} 条，重新加密 {report.rotated} 条")
            total += report.rotated
        with transaction.atomic():
            log.record(
                None,
                Action.KEY_ROTATION,
                actor_name="系统",
                extra={"rotated": total, "key": ring.current_key_id},
            )
        self.stdout.write(f"完成：共重新加密 {total} 条，当前密钥 {ring.current_key_id}。")
