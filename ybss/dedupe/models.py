"""重复核查: candidate duplicate pairs of persons, the officers' decisions, and merges.

A pair is found by ``actions.scan`` (the linkage engine over the registry) and
stays in the queue until an officer decides: "same person" merges the two
records (``Merge`` holds everything that was moved, so the merge can be
undone), "different people" is remembered on the pair itself and the pair is
never proposed again. A pair is visible to whoever may see both persons.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ybss.people.models import Person


class PairStatus(models.TextChoices):
    PENDING = "pending", _("待核查")
    MERGED = "merged", _("同一人（已合并）")
    DIFFERENT = "different", _("不同人")


class DuplicatePair(models.Model):
    person_l = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("人员甲"))
    person_r = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("人员乙"))
    score = models.FloatField(_("相似度得分"))
    # The engine's explanation: [{"field", "level", "weight", "outcome"}], never the values compared.
    explanation = models.JSONField(_("得分说明"), default=list)
    status = models.CharField(
        _("状态"), max_length=10, choices=PairStatus.choices, default=PairStatus.PENDING, db_index=True
    )
    found_at = models.DateTimeField(_("发现时间"), auto_now_add=True)
    scored_at = models.DateTimeField(_("评分时间"), auto_now=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("核查人"),
    )
    decided_by_name = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(_("核查时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("疑似重复人员")
        verbose_name_plural = _("疑似重复人员")
        ordering = ["-score", "id"]
        constraints = [
            models.UniqueConstraint(fields=["person_l", "person_r"], name="duplicate_pair_unique"),
            models.CheckConstraint(condition=Q(person_l__lt=F("person_r")), name="duplicate_pair_ordered"),
        ]

    def __str__(self) -> str:
        return f"pair #{self.pk} (person #{self.person_l_id}, person #{self.person_r_id})"


class Merge(models.Model):
    """One merge of ``merged`` into ``survivor`` and exactly what it moved (ids), for the undo."""

    pair = models.ForeignKey(
        DuplicatePair, on_delete=models.PROTECT, null=True, blank=True, related_name="merges"
    )
    survivor = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("保留记录")
    )
    merged = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("并入记录"))
    # {"residences": [...], "residences_not_main": [...], "tenants": [...], "tenants_dropped": [...],
    #  "landlord": [...], "houses": [...], "employments": [...], "units": [...]}: primary keys only.
    moved = models.JSONField(_("迁移内容"), default=dict)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    at = models.DateTimeField(_("合并时间"), auto_now_add=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    undone_by_name = models.CharField(_("撤销人"), max_length=150, blank=True)
    undone_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("合并记录")
        verbose_name_plural = _("合并记录")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"merge #{self.pk}: person #{self.merged_id} into person #{self.survivor_id}"


class ScanRun(models.Model):
    """One batch scan; the next incremental scan starts from ``started_at`` of the last one."""

    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    jurisdiction = models.CharField(_("范围"), max_length=64, blank=True)
    since = models.DateTimeField(_("增量起点"), null=True, blank=True)
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    records = models.PositiveIntegerField(_("记录数"), default=0)
    new_records = models.PositiveIntegerField(_("新增或修改记录数"), default=0)
    compared = models.PositiveIntegerField(_("比较的记录对"), default=0)
    proposed = models.PositiveIntegerField(_("疑似重复对"), default=0)
    seconds = models.FloatField(_("用时（秒）"), default=0)

    class Meta:
        verbose_name = _("重复扫描")
        verbose_name_plural = _("重复扫描")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"scan #{self.pk}"
