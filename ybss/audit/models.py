"""The append-only, hash-chained audit log.

Each event carries the SHA-256 of the previous one (ybss.lib.hashchain), so
editing, deleting or inserting a row breaks the chain where it happened and
``ybss audit verify`` names that row. ``AuditHead`` holds the last sequence
number and hash: it serialises writers and anchors the tail, so cutting off
the newest rows shows too. The application has no code path that updates or
deletes these rows; on PostgreSQL a trigger refuses it outright.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    LOGIN = "login", _("登录")
    LOGIN_FAILED = "login_failed", _("登录失败")
    LOGOUT = "logout", _("退出")
    VIEW_FULL = "view_full", _("查看完整信息")
    UNMASK = "unmask", _("显示完整证件号/电话")
    SEARCH_ID = "search_id", _("按证件号查询")
    EXPORT = "export", _("导出")
    IMPORT = "import", _("导入")
    CREATE = "create", _("新建")
    CHANGE = "change", _("修改")
    MERGE = "merge", _("合并")
    DELETE = "delete", _("删除/拆除")
    RATE_LIMITED = "rate_limited", _("超出查询频率")
    FLAG = "flag", _("查询异常预警")
    ACCESS_CHANGE = "access_change", _("账号与权限变更")
    KEY_ROTATION = "key_rotation", _("密钥轮换")


class Outcome(models.TextChoices):
    OK = "ok", _("成功")
    DENIED = "denied", _("拒绝")
    FAILED = "failed", _("失败")


class AuditEvent(models.Model):
    seq = models.BigIntegerField(_("序号"), unique=True)
    at = models.DateTimeField(_("时间"), db_index=True)
    # No database constraint: the log must outlive anything it mentions. No index of its own
    # either: the (actor, at, action, outcome) index below leads with it.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    actor_name = models.CharField(_("操作人账号"), max_length=150, blank=True)
    ip = models.CharField(_("来源地址"), max_length=45, blank=True)
    action = models.CharField(_("操作"), max_length=16, choices=Action.choices)
    outcome = models.CharField(_("结果"), max_length=8, choices=Outcome.choices, default=Outcome.OK)
    reason_code = models.CharField(_("事由"), max_length=32, blank=True)
    reason_text = models.CharField(_("事由说明"), max_length=200, blank=True)
    targets = models.JSONField(_("涉及记录"), default=list, blank=True)
    extra = models.JSONField(_("附加信息"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-seq"]
        # Covers the per-user rate and flag counts run before every sensitive read, so they
        # are answered from the index alone; its leading columns serve the auditor's search.
        # Every index here is paid for by each audited read. Those declared in Meta carry no
        # PostgreSQL pattern-ops copy, which field-level indexes on text columns would add.
        # The hash has none: the unique seq already keeps the chain from forking, a hash covers
        # its seq so no two can be equal, and `verify` checks every link.
        indexes = [
            models.Index(fields=["actor", "at", "action", "outcome"], name="audit_event_actor_at_action"),
            models.Index(fields=["action"], name="audit_event_action"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.actor_name} {self.action}"

    def chain_record(self) -> dict[str, Any]:
        """Exactly the fields the hash covers, as plain JSON values."""
        return chain_record_of(self.__dict__)


# The fields the chain hash covers, by attribute name.
CHAINED = (
    "at",
    "actor_id",
    "actor_name",
    "ip",
    "action",
    "outcome",
    "reason_code",
    "reason_text",
    "targets",
    "extra",
)


def chain_record_of(values: Mapping[str, Any]) -> dict[str, Any]:
    """What ``AuditEvent.chain_record`` gives, from the field values alone (no model instance)."""
    record = {name: values[name] for name in CHAINED}
    record["at"] = values["at"].isoformat()
    return record


class AuditTarget(models.Model):
    """One record an event touched, so "who saw this person" is one indexed query."""

    # Unindexed: rows are found by (kind, key) and joined to their event by its key; an
    # event's own list is its ``targets``. Each target of every audited read paid for it.
    event = models.ForeignKey(
        AuditEvent,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="target_rows",
        db_index=False,
    )
    kind = models.CharField(max_length=32)
    key = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["kind", "key"], name="audit_target_kind_key")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"


class AuditHead(models.Model):
    """A single row: the newest event's sequence number and hash."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"#{self.seq}"


class AuditFlag(models.Model):
    """查询异常预警: a pattern of reads that an auditor should look at."""

    class Pattern(models.TextChoices):
        MANY_FULL_READS = "many_full_reads", _("短时间内大量查看完整信息")
        SEQUENTIAL_ID_SEARCH = "sequential_id_search", _("按证件号连续查询")
        RATE_LIMITED = "rate_limited", _("多次超出查询频率")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="audit_flags", verbose_name=_("账号")
    )
    pattern = models.CharField(_("模式"), max_length=24, choices=Pattern.choices)
    detail = models.CharField(_("说明"), max_length=300)
    targets = models.JSONField(_("涉及记录"), default=list)
    created_at = models.DateTimeField(_("发现时间"), auto_now_add=True, db_index=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("核查人"),
    )
    reviewed_at = models.DateTimeField(_("核查时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("查询异常预警")
        verbose_name_plural = _("查询异常预警")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} {self.get_pattern_display()}"
