"""集中采集: a campaign over an area and a period, its work list, visits, reviews and re-checks.

The work list is generated from the standard address base, so what is expected
(应采) never depends on what was collected: an address nobody visited counts
against the collection rate. Definitions of the two rates: docs/rates.md.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ybss.addresses.models import AddressNode


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        ACTIVE = "active", _("进行中")
        CLOSED = "closed", _("已结束")

    name = models.CharField(_("活动名称"), max_length=100)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.DRAFT)
    # Division or address code prefixes (communities, townships, compounds) the campaign covers.
    area_codes = models.JSONField(_("采集区域"), default=list)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    collection_target = models.DecimalField(
        _("采集率目标"), max_digits=4, decimal_places=3, default=Decimal("0.950")
    )
    accuracy_target = models.DecimalField(
        _("准确率目标"), max_digits=4, decimal_places=3, default=Decimal("0.950")
    )
    recheck_rate = models.DecimalField(
        _("复核抽样比例"), max_digits=4, decimal_places=3, default=Decimal("0.050")
    )
    # An area's sample is drawn once its collection rate reaches this share.
    recheck_threshold = models.DecimalField(
        _("抽样起始采集率"), max_digits=4, decimal_places=3, default=Decimal("0.800")
    )
    seed = models.CharField(max_length=32)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    work_list_built_at = models.DateTimeField(_("任务生成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("采集活动")
        verbose_name_plural = _("采集活动")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name


class Outcome(models.TextChoices):
    COLLECTED = "collected", _("已采集")
    NOBODY_HOME = "nobody_home", _("无人在家")
    REFUSED = "refused", _("拒绝")
    VACANT = "vacant", _("空置")
    DEMOLISHED = "demolished", _("已拆除")
    WRONG_ADDRESS = "wrong_address", _("地址有误")


# Accepted outcomes that count as collected (numerator of the collection rate).
COUNTS_AS_COLLECTED = (Outcome.COLLECTED, Outcome.VACANT)
# Accepted outcomes that take the address out of what is expected (denominator).
LEAVES_THE_ROSTER = (Outcome.DEMOLISHED, Outcome.WRONG_ADDRESS)
# Outcomes after which the address is visited again.
REVISIT = (Outcome.NOBODY_HOME,)


class WorkItem(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("待采集")
        PENDING = "pending", _("待审核")
        REVISIT = "revisit", _("需再访")
        DONE = "done", _("已完成")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="items")
    address = models.ForeignKey(AddressNode, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=64)
    # The community (12-digit division) and the building or door plate, for drill-down and assignment.
    area_code = models.CharField(max_length=12)
    group_code = models.CharField(max_length=64)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("采集员"),
    )
    # Why it is on the list beyond being a dwelling: "stale" / "incomplete" records there.
    reasons = models.CharField(_("列入原因"), max_length=40, blank=True)
    state = models.CharField(_("状态"), max_length=8, choices=State.choices, default=State.OPEN)
    outcome = models.CharField(_("结果"), max_length=16, choices=Outcome.choices, blank=True)
    attempts = models.PositiveSmallIntegerField(_("上门次数"), default=0)
    last_visit_at = models.DateTimeField(_("最近上门"), null=True, blank=True)
    done_on = models.DateField(_("完成日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("采集任务")
        verbose_name_plural = _("采集任务")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["campaign", "address"], name="one_item_per_address")]
        indexes = [
            models.Index(fields=["campaign", "area_code"], name="work_item_area"),
            models.Index(fields=["campaign", "assignee", "state"], name="work_item_assignee"),
            models.Index(fields=["campaign", "code"], name="work_item_code"),
        ]

    def __str__(self) -> str:
        return f"work item #{self.pk}"


class Visit(models.Model):
    """One submission by a collector: a visit outcome and what was captured there."""

    class State(models.TextChoices):
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已通过")
        REJECTED = "rejected", _("已退回")

    class Kind(models.TextChoices):
        VISIT = "visit", _("上门采集")
        CORRECTION = "correction", _("复核更正")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="visits")
    item = models.ForeignKey(WorkItem, on_delete=models.PROTECT, related_name="visits")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.VISIT)
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("采集员")
    )
    outcome = models.CharField(_("上门结果"), max_length=16, choices=Outcome.choices)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    # What was captured (occupants with their identifiers), encrypted: it is personal data at rest.
    payload_enc = models.TextField(blank=True)
    # The same form sent twice (double tap, retry after a timeout) carries the same key.
    idempotency_key = models.CharField(max_length=64)
    state = models.CharField(_("审核状态"), max_length=8, choices=State.choices, default=State.PENDING)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审核人"),
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    # {field: reason} for a rejection, shown to the collector.
    rejection = models.JSONField(_("退回原因"), default=dict, blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("采集记录")
        verbose_name_plural = _("采集记录")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["collector", "idempotency_key"], name="visit_idempotency"),
            models.UniqueConstraint(
                fields=["item"], condition=Q(state="pending"), name="one_pending_visit_per_item"
            ),
        ]
        indexes = [models.Index(fields=["campaign", "state"], name="visit_campaign_state")]

    def __str__(self) -> str:
        return f"visit #{self.pk}"


class RecheckDraw(models.Model):
    """The re-check sample of one area, drawn once, reproducibly from the campaign's seed."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="draws")
    area_code = models.CharField(_("区域"), max_length=64)
    seed = models.CharField(max_length=80)
    population = models.PositiveIntegerField(_("可抽记录数"))
    size = models.PositiveIntegerField(_("抽样数"))
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    drawn_at = models.DateTimeField(_("抽样时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("复核抽样")
        verbose_name_plural = _("复核抽样")
        constraints = [models.UniqueConstraint(fields=["campaign", "area_code"], name="one_draw_per_area")]

    def __str__(self) -> str:
        return f"draw #{self.pk}"


class RecheckItem(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("待复核")
        DONE = "done", _("已复核")

    draw = models.ForeignKey(RecheckDraw, on_delete=models.PROTECT, related_name="items")
    visit = models.OneToOneField(Visit, on_delete=models.PROTECT, related_name="recheck")
    verifier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("复核人")
    )
    state = models.CharField(_("状态"), max_length=8, choices=State.choices, default=State.OPEN)
    fields_checked = models.PositiveIntegerField(_("核查项数"), default=0)
    fields_confirmed = models.PositiveIntegerField(_("核对无误项数"), default=0)
    # Which fields were wrong (names only; corrected values travel in the correction visit).
    wrong_fields = models.JSONField(_("有误项"), default=list, blank=True)
    correction = models.OneToOneField(
        Visit, on_delete=models.PROTECT, null=True, blank=True, related_name="corrects"
    )
    checked_at = models.DateTimeField(_("复核时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("复核记录")
        verbose_name_plural = _("复核记录")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"recheck #{self.pk}"
