from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.utils.translation import gettext_lazy as _

from .roles import Role


class Jurisdiction(models.Model):
    """A county bureau, police station, community policing area (警务区) or grid (网格).

    Its territory is a list of code prefixes: division codes (130731100) and/or
    standard-address codes (130731100002-0003, a compound). A jurisdiction also
    covers everything its children cover, so a station may be defined by its
    policing areas alone.
    """

    class Kind(models.TextChoices):
        COUNTY_BUREAU = "county_bureau", _("县（市、区）公安局")
        STATION = "station", _("派出所")
        POLICING_AREA = "policing_area", _("警务区")
        GRID = "grid", _("网格")

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("上级"),
    )
    prefixes = models.JSONField(
        _("辖区编码"), default=list, help_text=_("区划代码或标准地址编码，每个覆盖其下全部地址")
    )

    class Meta:
        verbose_name = _("辖区")
        verbose_name_plural = _("辖区")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    def descendants(self) -> list[Jurisdiction]:
        out: list[Jurisdiction] = []
        frontier = [self]
        while frontier:
            kids = list(Jurisdiction.objects.filter(parent__in=frontier))
            out.extend(kids)
            frontier = kids
        return out

    def all_prefixes(self) -> list[str]:
        codes = set(self.prefixes)
        for child in self.descendants():
            codes.update(child.prefixes)
        return _minimal(codes)

    def station(self) -> Jurisdiction | None:
        node: Jurisdiction | None = self
        while node is not None and node.kind != self.Kind.STATION:
            node = node.parent
        return node


def _minimal(codes: set[str]) -> list[str]:
    """Drop prefixes already covered by a shorter one."""
    kept: list[str] = []
    for code in sorted(codes, key=len):
        if not any(code.startswith(k) for k in kept):
            kept.append(code)
    return sorted(kept)


class UserAccess(models.Model):
    """A user's role and the jurisdictions that bound everything they see."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access", verbose_name=_("账号")
    )
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices)
    jurisdictions = models.ManyToManyField(
        Jurisdiction, blank=True, related_name="members", verbose_name=_("辖区")
    )

    class Meta:
        verbose_name = _("账号权限")
        verbose_name_plural = _("账号权限")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class PurposeReason(models.Model):
    """The configurable list of purposes a user picks before a full read."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    label = models.CharField(_("事由"), max_length=50)
    active = models.BooleanField(_("启用"), default=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("查询事由")
        verbose_name_plural = _("查询事由")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.label

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        cache.delete("ybss:reasons")  # the read path caches the active list


class ApiToken(models.Model):
    """A token for another department's system, bound to a jurisdiction.

    Only a SHA-256 of the token is stored; the token itself is shown once.
    """

    name = models.CharField(_("名称"), max_length=100, help_text=_("使用方，如 县住建局房屋系统"))
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("前缀"), max_length=8, editable=False)
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, verbose_name=_("辖区"))
    read_only = models.BooleanField(_("只读"), default=True)
    rate_per_minute = models.PositiveIntegerField(_("每分钟请求上限"), default=120)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, **fields: object) -> tuple[ApiToken, str]:
        key = "ybss_" + secrets.token_urlsafe(32)
        token = cls.objects.create(key_hash=cls.hash_key(key), prefix=key[5:13], **fields)
        return token, key
