"""Bulk imports: one ``ImportJob`` per uploaded file, its problems row by row.

A job is checked first (nothing written to the registry), then committed in one
transaction. Progress and cancellation travel through small files next to the
upload rather than through this table, because the committing transaction holds
the job row (and, on SQLite, the whole database) until it ends.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    ADDRESSES = "addresses", _("标准地址")
    PERSONS = "persons", _("实有人口及居住信息")
    HOUSES = "houses", _("实有房屋及租住信息")
    UNITS = "units", _("实有单位及从业人员")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("已上传")
    CHECKING = "checking", _("检查中")
    CHECKED = "checked", _("已检查")
    COMMITTING = "committing", _("导入中")
    DONE = "done", _("已导入")
    FAILED = "failed", _("失败")
    CANCELLED = "cancelled", _("已取消")


class ImportMode(models.TextChoices):
    ALL_OR_NOTHING = "all", _("全部导入或全部不导入")
    VALID_ONLY = "valid_only", _("只导入无误的行，退回有误的行")


class ImportJob(models.Model):
    kind = models.CharField(_("导入类型"), max_length=12, choices=ImportKind.choices)
    mode = models.CharField(
        _("导入方式"), max_length=12, choices=ImportMode.choices, default=ImportMode.ALL_OR_NOTHING
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("导入人"),
    )
    actor_name = models.CharField(_("导入人账号"), max_length=150, blank=True)
    file_name = models.CharField(_("文件名"), max_length=200)
    file_sha256 = models.CharField(_("文件 SHA-256"), max_length=64)
    file_size = models.PositiveBigIntegerField(_("文件大小"))
    # Where the upload waits between check and commit; removed once the job ends.
    stored_path = models.CharField(max_length=300, blank=True)
    file_format = models.CharField(max_length=8, blank=True)
    rows = models.PositiveIntegerField(_("数据行数"), default=0)
    counts = models.JSONField(_("统计"), default=dict, blank=True)
    # Choices a person made after the check: {"<row>": {"address": "<code>"} | {"import_anyway": true}}
    decisions = models.JSONField(_("人工确认"), default=dict, blank=True)
    error = models.CharField(_("失败原因"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    checked_at = models.DateTimeField(_("检查时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"import #{self.pk} {self.kind}"

    @property
    def is_running(self) -> bool:
        return self.status in (ImportStatus.CHECKING, ImportStatus.COMMITTING)

    @property
    def problem_rows(self) -> int:
        return int(self.counts.get("problem_rows", 0))


class ProblemLevel(models.TextChoices):
    ERROR = "error", _("错误")
    WARNING = "warning", _("提示")
    DUPLICATE = "duplicate", _("疑似重复")
    UNSURE = "unsure", _("地址待确认")
    MISSING = "missing", _("地址不存在")


# Levels that keep a row out of the registry until someone fixes or decides it.
BLOCKING = (ProblemLevel.ERROR, ProblemLevel.DUPLICATE, ProblemLevel.UNSURE, ProblemLevel.MISSING)


class ImportProblem(models.Model):
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="problems")
    row = models.PositiveIntegerField(_("行号"))
    column = models.CharField(_("列"), max_length=50, blank=True)
    field = models.CharField(max_length=40, blank=True)
    level = models.CharField(_("类别"), max_length=10, choices=ProblemLevel.choices)
    code = models.CharField(max_length=32, blank=True)
    message = models.CharField(_("说明"), max_length=500)
    value = models.CharField(_("原始值"), max_length=200, blank=True)
    # For unsure addresses: [{"code", "full_text", "score"}]; for duplicates: [{"person": pk}]
    candidates = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("导入问题")
        verbose_name_plural = _("导入问题")
        ordering = ["job", "row", "id"]
        indexes = [models.Index(fields=["job", "level", "row"], name="import_problem_job_level")]

    def __str__(self) -> str:
        return f"import #{self.job_id} row {self.row}: {self.code}"
