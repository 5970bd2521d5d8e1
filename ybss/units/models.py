"""实有单位: the organizations actually at an address, their licences and who works there.

A unit sits on a standard address, so "units in my jurisdiction" is a prefix
query on the address code. Employment is a dated link between a person and a
unit: leaving is an update that sets ``valid_to``, never a delete. Every change
to a unit, its licences or its employments adds a ``UnitVersion`` row.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ybss.access import crypto
from ybss.addresses.models import AddressNode
from ybss.people.models import Person

CONTACT_PHONE = crypto.ProtectedField("units.Unit", "contact_phone")


class UnitType(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业")
    GOVERNMENT = "government", _("机关")
    INSTITUTION = "institution", _("事业单位")
    INDIVIDUAL = "individual", _("个体工商户")
    SOCIAL = "social", _("社会组织")


class SpecialIndustry(models.TextChoices):
    HOTEL = "hotel", _("旅馆业")
    SECONDHAND = "secondhand", _("旧货/维修")
    ENTERTAINMENT = "entertainment", _("娱乐场所")
    HAZARDOUS = "hazardous", _("危爆物品")
    PETROL = "petrol", _("加油站")
    LOGISTICS = "logistics", _("寄递物流")


class BusinessStatus(models.TextChoices):
    OPEN = "open", _("营业")
    SUSPENDED = "suspended", _("停业")
    CANCELLED = "cancelled", _("注销")


class CompletenessGroup(models.TextChoices):
    """The must-collect groups (必采项) scored for a unit."""

    BUSINESS_STATUS = "business_status", _("经营状态")
    LEGAL_REPRESENTATIVE = "legal_representative", _("法定代表人")
    CONTACT = "contact", _("联系人")
    LICENCES = "licences", _("证照")


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (the last day of a shorter month)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def stale_before(today: date | None = None) -> date:
    """Records last confirmed before this date are stale (不鲜活)."""
    return months_before(today or date.today(), settings.YBSS_STALE_MONTHS)


def encode_industries(codes: list[str] | tuple[str, ...] | set[str]) -> str:
    """Flags as ``,hotel,petrol,``: a substring test finds one flag on every database."""
    ordered = [c for c in SpecialIndustry.values if c in set(codes)]
    return f",{','.join(ordered)}," if ordered else ""


class UnitQuerySet(models.QuerySet["Unit"]):
    def with_industry(self, code: str) -> UnitQuerySet:
        return self.filter(special_industries__contains=f",{code},")

    def licences_expiring(self, days: int, today: date | None = None) -> UnitQuerySet:
        """Units with a licence that ends within ``days`` days from today (not already ended)."""
        start = today or date.today()
        return self.filter(
            licences__valid_to__gte=start, licences__valid_to__lte=start + timedelta(days=days)
        ).distinct()

    def stale(self, today: date | None = None) -> UnitQuerySet:
        return self.filter(last_confirmed__lt=stale_before(today))


class Unit(models.Model):
    address = models.ForeignKey(
        AddressNode, on_delete=models.PROTECT, related_name="units", verbose_name=_("标准地址")
    )
    name = models.CharField(_("单位名称"), max_length=100, db_index=True)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, db_index=True)
    unit_type = models.CharField(_("单位类型"), max_length=12, choices=UnitType.choices)
    industry = models.CharField(_("所属行业"), max_length=100, blank=True)
    special_industries = models.CharField(_("特种行业"), max_length=120, blank=True)
    business_status = models.CharField(
        _("经营状态"), max_length=12, choices=BusinessStatus.choices, blank=True
    )
    legal_representative = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="represented_units",
        verbose_name=_("法定代表人"),
    )
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone_enc = models.TextField(_("联系电话（密文）"), blank=True)
    # Looked up whole, never by prefix: indexed in Meta, without PostgreSQL's pattern-ops copy.
    contact_phone_index = models.CharField(max_length=64, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    last_confirmed = models.DateField(_("最近核实日期"), default=date.today)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects: ClassVar[UnitQuerySet] = UnitQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("实有单位")
        verbose_name_plural = _("实有单位")
        ordering = ["id"]
        constraints = [
            # A credit code names one organization; a cancelled (注销) unit frees it.
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~Q(credit_code="") & ~Q(business_status="cancelled"),
                name="unit_credit_code_unique_among_active",
            )
        ]
        indexes = [models.Index(fields=["contact_phone_index"], name="unit_contact_phone_index")]

    def __str__(self) -> str:
        return self.name

    @property
    def contact_phone(self) -> str:
        return crypto.open_value(CONTACT_PHONE, self.contact_phone_enc)

    @property
    def special_industry_codes(self) -> list[str]:
        return [c for c in self.special_industries.split(",") if c]

    @property
    def special_industry_labels(self) -> list[str]:
        return [str(SpecialIndustry(c).label) for c in self.special_industry_codes]

    @property
    def is_active(self) -> bool:
        return self.business_status != BusinessStatus.CANCELLED

    @property
    def is_stale(self) -> bool:
        return self.last_confirmed < stale_before()

    def completeness(self) -> dict[str, bool]:
        """Whether each must-collect group is filled in."""
        return {
            CompletenessGroup.BUSINESS_STATUS: bool(self.business_status),
            CompletenessGroup.LEGAL_REPRESENTATIVE: self.legal_representative_id is not None,
            CompletenessGroup.CONTACT: bool(self.contact_name and self.contact_phone_enc),
            CompletenessGroup.LICENCES: self._has_licence(),
        }

    def _has_licence(self) -> bool:
        prefetched = getattr(self, "_prefetched_objects_cache", {})
        if "licences" in prefetched:  # a list page prefetched them: no query per row
            return bool(prefetched["licences"])
        return self.licences.exists()


class Licence(models.Model):
    """A licence or permit (营业执照, 特种行业许可证, 消防许可…)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="licences", verbose_name=_("单位"))
    kind = models.CharField(_("证照类型"), max_length=50)
    number = models.CharField(_("证照编号"), max_length=50)
    valid_from = models.DateField(_("有效期起"))
    valid_to = models.DateField(_("有效期至"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("证照")
        verbose_name_plural = _("证照")
        ordering = ["unit", "valid_to", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="licence_ends_after_it_starts",
            )
        ]
        indexes = [models.Index(fields=["valid_to"], name="licence_valid_to")]

    def __str__(self) -> str:
        return f"{self.kind} {self.number}"

    def days_left(self, today: date | None = None) -> int | None:
        if self.valid_to is None:
            return None
        return (self.valid_to - (today or date.today())).days


class Employment(models.Model):
    """A person works at a unit from ``valid_from``; ``valid_to`` is null while they still do."""

    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="employments", verbose_name=_("单位")
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="employments", verbose_name=_("人员")
    )
    role = models.CharField(_("岗位"), max_length=50, blank=True)
    valid_from = models.DateField(_("入职日期"))
    valid_to = models.DateField(_("离职日期"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("从业信息")
        verbose_name_plural = _("从业信息")
        ordering = ["unit", "-valid_from", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "person"],
                condition=Q(valid_to__isnull=True),
                name="one_current_employment_per_unit",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="employment_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"employment #{self.pk}"

    @property
    def is_current(self) -> bool:
        return self.valid_to is None or self.valid_to >= date.today()


class UnitVersion(models.Model):
    """One change to a unit, one of its licences or employments: who, when, what and why.
    The contact phone is noted as changed, never copied here in clear."""

    class Record(models.TextChoices):
        UNIT = "unit", _("单位")
        LICENCE = "licence", _("证照")
        EMPLOYMENT = "employment", _("从业信息")

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="versions")
    record = models.CharField(_("记录"), max_length=12, choices=Record.choices)
    record_id = models.PositiveBigIntegerField()
    version = models.PositiveIntegerField()
    action = models.CharField(_("操作"), max_length=24)
    changes = models.JSONField(_("变更内容"), default=dict)
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    actor_name = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["record", "record_id", "version"], name="unit_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.record} #{self.record_id} v{self.version}"
