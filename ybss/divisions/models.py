from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from ybss.core.db import prefix_q
from ybss.lib import divisions as data


class Level(models.IntegerChoices):
    PROVINCE = 1, _("省级")
    CITY = 2, _("地级")
    COUNTY = 3, _("县级")
    TOWNSHIP = 4, _("乡镇街道")
    COMMUNITY = 5, _("社区/村")


class DivisionQuerySet(models.QuerySet["Division"]):
    def within(self, code: str) -> DivisionQuerySet:
        """The division and everything under it: a prefix range on the primary key."""
        return self.filter(prefix_q("code", code, self.db))


class Division(models.Model):
    """One NBS division. The code is the key: its prefixes are its ancestors."""

    code = models.CharField(_("区划代码"), max_length=12, primary_key=True)
    name = models.CharField(_("名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=100, db_index=True)
    level = models.PositiveSmallIntegerField(_("级别"), choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("上级"),
    )

    objects = DivisionQuerySet.as_manager()

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def ancestors(self) -> list[Division]:
        """Province first, self excluded; one query whatever the depth."""
        codes = [self.code[:n] for n in (2, 4, 6, 9) if n < len(self.code)]
        return list(Division.objects.filter(code__in=codes).order_by("code"))

    def full_name(self) -> str:
        """河北省张家口市涿鹿县涿鹿镇鼓楼社区, skipping the 市辖区/县 placeholders."""
        parts = [d.short_name for d in self.ancestors() if d.name not in data.PLACEHOLDER_NAMES]
        return "".join([*parts, self.short_name])


class DivisionSuccessor(models.Model):
    """An abolished county-level code and where its territory went (GB/T 2260 lineage)."""

    old_code = models.CharField(_("旧代码"), max_length=6, db_index=True)
    old_name = models.CharField(_("旧名称"), max_length=100)
    abolished = models.CharField(_("弃用年份"), max_length=10, blank=True)
    new_code = models.CharField(_("现行代码"), max_length=6)

    class Meta:
        verbose_name = _("区划代码沿革")
        verbose_name_plural = _("区划代码沿革")
        constraints = [
            models.UniqueConstraint(fields=["old_code", "new_code"], name="division_successor_unique")
        ]

    def __str__(self) -> str:
        return f"{self.old_code} {self.old_name} → {self.new_code}"
