"""实有房屋: every room or whole house that can be lived in or used, and its tenancies.

A house sits on a standard address: a room (户室), or the door plate of a
whole house (a village house, a detached building). There is at most one
active house per address. Renting is a dated ``Tenancy``; a tenancy ends by
setting ``valid_to``, so the tenants over time stay on record. Every change to
a house or a tenancy adds a ``HouseVersion`` row.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ybss.addresses.models import AddressNode
from ybss.people.models import Person
from ybss.units.models import Unit, stale_before

MAX_FLOOR_AREA = Decimal("10000")


class HouseUse(models.TextChoices):
    SELF = "self", _("自住")
    RENTED = "rented", _("出租")
    BUSINESS = "business", _("经营")
    VACANT = "vacant", _("空置")
    HOTEL_RENTAL = "hotel_rental", _("旅店式出租屋")
    OTHER = "other", _("其他")


class Structure(models.TextChoices):
    REINFORCED_CONCRETE = "rc", _("钢混")
    BRICK_CONCRETE = "brick_concrete", _("砖混")
    BRICK_WOOD = "brick_wood", _("砖木")
    OTHER = "other", _("其他")


class House(models.Model):
    address = models.ForeignKey(
        AddressNode, on_delete=models.PROTECT, related_name="houses", verbose_name=_("标准地址")
    )
    use = models.CharField(_("房屋用途"), max_length=16, choices=HouseUse.choices)
    structure = models.CharField(_("房屋结构"), max_length=16, choices=Structure.choices, blank=True)
    floor_area = models.DecimalField(
        _("建筑面积（平方米）"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    owner_person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_houses",
        verbose_name=_("产权人（个人）"),
    )
    owner_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_houses",
        verbose_name=_("产权单位"),
    )
    active = models.BooleanField(_("有效"), default=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    last_confirmed = models.DateField(_("最近核实日期"), default=date.today)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("实有房屋")
        verbose_name_plural = _("实有房屋")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["address"], condition=Q(active=True), name="one_active_house_per_address"
            ),
            models.CheckConstraint(
                condition=Q(owner_person__isnull=True) | Q(owner_unit__isnull=True),
                name="house_owner_is_a_person_or_a_unit",
            ),
            models.CheckConstraint(
                condition=Q(floor_area__isnull=True)
                | (Q(floor_area__gt=0) & Q(floor_area__lt=MAX_FLOOR_AREA)),
                name="house_floor_area_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"house #{self.pk}"

    @property
    def is_stale(self) -> bool:
        return self.last_confirmed < stale_before()

    def current_tenancies(self, today: date | None = None) -> models.QuerySet[Tenancy]:
        return self.tenancies.filter(current_q(today))


def current_q(today: date | None = None, prefix: str = "") -> Q:
    """Tenancies in force on ``today``: started, and not ended before it."""
    day = today or date.today()
    return Q(**{f"{prefix}valid_from__lte": day}) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gte": day})
    )


class Tenancy(models.Model):
    """A rental of a house from ``valid_from`` to ``valid_to`` (null: open-ended)."""

    house = models.ForeignKey(
        House, on_delete=models.PROTECT, related_name="tenancies", verbose_name=_("房屋")
    )
    landlord = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tenancies_let",
        verbose_name=_("出租人"),
    )
    # A through table rather than a JSON list of ids: the database keeps every
    # tenant a real person, and "where does this person rent" is an indexed join.
    tenants: models.ManyToManyField[Person, TenancyTenant] = models.ManyToManyField(
        Person, through="TenancyTenant", related_name="tenancies", verbose_name=_("承租人")
    )
    valid_from = models.DateField(_("起租日期"))
    valid_to = models.DateField(_("止租日期"), null=True, blank=True)
    registration_number = models.CharField(_("租赁登记备案号"), max_length=50, blank=True)
    security_agreement_signed = models.BooleanField(_("已签订治安责任书"), default=False)
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("租赁信息")
        verbose_name_plural = _("租赁信息")
        ordering = ["house", "-valid_from", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="tenancy_ends_after_it_starts",
            )
        ]

    def __str__(self) -> str:
        return f"tenancy #{self.pk}"

    @property
    def is_current(self) -> bool:
        today = date.today()
        return self.valid_from <= today and (self.valid_to is None or self.valid_to >= today)


class TenancyTenant(models.Model):
    tenancy = models.ForeignKey(Tenancy, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenancy", "person"], name="tenancy_tenant_unique")]

    def __str__(self) -> str:
        return f"tenant #{self.person_id} of tenancy #{self.tenancy_id}"


class HouseVersion(models.Model):
    """One change to a house or one of its tenancies: who, when, what and why."""

    class Record(models.TextChoices):
        HOUSE = "house", _("房屋")
        TENANCY = "tenancy", _("租赁信息")

    house = models.ForeignKey(House, on_delete=models.PROTECT, related_name="versions")
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
            models.UniqueConstraint(fields=["record", "record_id", "version"], name="house_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.record} #{self.record_id} v{self.version}"
