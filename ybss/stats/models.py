"""The aggregate table the dashboards read, and when it was last refreshed.

``ybss stats refresh`` recomputes every figure from the registry (``figures.refresh``)
and replaces the table in one transaction. One row per (area, figure): the area is a
county (6 digits), township (9), community (12) or a top-level address node
(``130731100002-0003``), so any of those levels is a lookup, not a sum.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AreaFigure(models.Model):
    area = models.CharField(_("区域编码"), max_length=64)
    figure = models.CharField(_("指标"), max_length=160)
    value = models.BigIntegerField(_("数值"))

    class Meta:
        verbose_name = _("统计数")
        verbose_name_plural = _("统计数")
        constraints = [models.UniqueConstraint(fields=["area", "figure"], name="area_figure_unique")]

    def __str__(self) -> str:
        return f"{self.area} {self.figure}={self.value}"


class Snapshot(models.Model):
    """One refresh: the day the figures describe and how long it took."""

    as_of = models.DateField(_("统计日期"))
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("完成时间"))
    seconds = models.FloatField(_("用时（秒）"))
    rows = models.PositiveIntegerField(_("行数"))

    class Meta:
        verbose_name = _("统计刷新")
        verbose_name_plural = _("统计刷新")
        ordering = ["-finished_at", "-id"]

    def __str__(self) -> str:
        return f"snapshot {self.as_of} ({self.rows} rows)"
