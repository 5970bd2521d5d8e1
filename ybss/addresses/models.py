"""The standard address base (一标).

A road (街路巷) belongs to a township or community. The address tree then
goes door plate → compound → building → unit → room; village houses hang a
door plate under a village group (组) instead of a road and stop there.

Every node has a hierarchical code: its division's code followed by one
four-character segment per level (``130731100002-0001-0003-0002-0502``).
"Everything in community X" or "in building Y" is then a prefix range on an
indexed column. Nodes are never deleted: they are demolished or merged, and
every change leaves an ``AddressChange`` row.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ybss.core.db import prefix_q
from ybss.divisions.models import Division

CODE_SEGMENT = 4


class Status(models.TextChoices):
    IN_USE = "in_use", _("在用")
    MERGED = "merged", _("已合并")
    DEMOLISHED = "demolished", _("已拆除")


class Kind(models.TextChoices):
    GROUP = "group", _("村民小组")
    DOORPLATE = "doorplate", _("门牌号")
    COMPOUND = "compound", _("小区/单位院")
    BUILDING = "building", _("楼栋")
    UNIT = "unit", _("单元")
    ROOM = "room", _("户室")


# GA/T 2000.32 element classes, for exchange with other systems.
ELEMENT_CLASS = {
    Kind.GROUP: 30,
    Kind.DOORPLATE: 40,
    Kind.COMPOUND: 40,
    Kind.BUILDING: 50,
    Kind.UNIT: 60,
    Kind.ROOM: 60,
}

# What may hang under what; None is the top of the tree inside a division.
ALLOWED_CHILDREN: dict[str | None, tuple[str, ...]] = {
    None: (Kind.GROUP, Kind.DOORPLATE, Kind.COMPOUND),
    Kind.GROUP: (Kind.DOORPLATE,),
    Kind.DOORPLATE: (Kind.COMPOUND, Kind.BUILDING, Kind.ROOM),
    Kind.COMPOUND: (Kind.BUILDING,),
    Kind.BUILDING: (Kind.UNIT, Kind.ROOM),
    Kind.UNIT: (Kind.ROOM,),
    Kind.ROOM: (),
}

# How a numbered node reads: 18号, 5组, 3栋, 2单元, 502室.
NUMBER_SUFFIX = {
    Kind.GROUP: "组",
    Kind.DOORPLATE: "号",
    Kind.BUILDING: "栋",
    Kind.UNIT: "单元",
    Kind.ROOM: "室",
}

# Nodes that people live in, or that stand for a dwelling when nothing
# finer exists (a village house is its door plate).
DWELLING_KINDS = (Kind.ROOM,)


def ancestor_codes(code: str) -> list[str]:
    """Codes of the nodes above ``code``, top first (the division part is not a node)."""
    parts = code.split("-")
    return ["-".join(parts[:i]) for i in range(2, len(parts))]


class Road(models.Model):
    """A street, road, lane or alley (街路巷)."""

    division = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="roads", verbose_name=_("所属区划")
    )
    name = models.CharField(_("名称"), max_length=100)
    norm_key = models.CharField(_("规范键"), max_length=100)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.IN_USE)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("合并到")
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("街路巷")
        verbose_name_plural = _("街路巷")
        ordering = ["division_id", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["division", "norm_key"],
                condition=Q(status="in_use"),
                name="road_unique_name_in_division",
            )
        ]

    def __str__(self) -> str:
        return self.name


class AddressNodeQuerySet(models.QuerySet["AddressNode"]):
    def in_use(self) -> AddressNodeQuerySet:
        return self.filter(status=Status.IN_USE)

    def within(self, code: str) -> AddressNodeQuerySet:
        """Nodes whose code starts with ``code``: a division, or a node and its subtree."""
        return self.filter(prefix_q("code", code, self.db))

    def search(self, text: str) -> AddressNodeQuerySet:
        """Every term must appear in the node's canonical text, spaces ignored."""
        from ybss.addresses.keys import search_terms

        qs = self
        for term in search_terms(text):
            qs = qs.filter(search_text__contains=term)
        return qs


class AddressNode(models.Model):
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    division = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="address_nodes", verbose_name=_("所属社区/村")
    )
    road = models.ForeignKey(
        Road,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="doorplates",
        verbose_name=_("街路巷"),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("上级"),
    )
    code = models.CharField(_("地址编码"), max_length=64, unique=True)
    depth = models.PositiveSmallIntegerField(_("层级"))
    name = models.CharField(_("名称"), max_length=100)
    norm_key = models.CharField(_("规范键"), max_length=100)
    # Siblings that may not share a key: the road for door plates on a road,
    # the parent node, or the division for top-level nodes. A string column
    # lets one partial unique index cover all three cases.
    sibling_scope = models.CharField(_("同级范围"), max_length=80)
    full_text = models.CharField(_("标准地址全称"), max_length=400)
    search_text = models.CharField(_("检索文本"), max_length=400)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.IN_USE)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("合并到")
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects: ClassVar[AddressNodeQuerySet] = AddressNodeQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("标准地址")
        verbose_name_plural = _("标准地址")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["sibling_scope", "kind", "norm_key"],
                condition=Q(status="in_use"),
                name="address_node_unique_key_among_siblings",
            )
        ]
        indexes = [models.Index(fields=["division", "kind"], name="address_node_division_kind")]

    def __str__(self) -> str:
        return self.full_text

    @property
    def element_class(self) -> int:
        return ELEMENT_CLASS[Kind(self.kind)]

    @property
    def is_in_use(self) -> bool:
        return self.status == Status.IN_USE

    def ancestors(self) -> list[AddressNode]:
        """Top first, self excluded; one query, read off the code."""
        codes = ancestor_codes(self.code)
        if not codes:
            return []
        return list(AddressNode.objects.filter(code__in=codes).select_related("road").order_by("depth"))


class AddressChange(models.Model):
    """One change to the address base. Rows are only ever added."""

    class Action(models.TextChoices):
        CREATE = "create", _("新建")
        BATCH_CREATE = "batch_create", _("批量生成")
        RENAME = "rename", _("更名")
        MERGE = "merge", _("合并")
        DEMOLISH = "demolish", _("拆除")
        MOVE = "move", _("随合并迁移")

    node = models.ForeignKey(
        AddressNode,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="changes",
        verbose_name=_("地址"),
    )
    road = models.ForeignKey(
        Road,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="changes",
        verbose_name=_("街路巷"),
    )
    action = models.CharField(_("操作"), max_length=16, choices=Action.choices)
    summary = models.CharField(_("说明"), max_length=400)
    before = models.JSONField(_("变更前"), default=dict, blank=True)
    after = models.JSONField(_("变更后"), default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("操作人")
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("地址变更记录")
        verbose_name_plural = _("地址变更记录")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return self.summary


class AddressProposal(models.Model):
    """A request to add an address that the base does not have yet.

    Raised where an address is needed but missing (an import row, a collector in
    the field); an address officer of the area reviews it and either creates the
    address through the normal pages and links it, or rejects it with a reason.
    Nothing is created by the proposal itself.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已新增")
        REJECTED = "rejected", _("已驳回")

    text = models.CharField(_("申请的地址"), max_length=400)
    # The nearest known place: an existing node's code, else a division code; decides who reviews it.
    area_code = models.CharField(_("所在区域"), max_length=64, db_index=True)
    source = models.CharField(_("来源"), max_length=200, blank=True)
    import_job = models.PositiveBigIntegerField(null=True, blank=True)
    import_row = models.PositiveIntegerField(null=True, blank=True)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PENDING)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("申请人"),
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审核人"),
    )
    note = models.CharField(_("审核意见"), max_length=200, blank=True)
    node = models.ForeignKey(
        AddressNode,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("新增的地址"),
    )
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("新增地址申请")
        verbose_name_plural = _("新增地址申请")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["import_job", "import_row"],
                condition=Q(import_job__isnull=False),
                name="one_proposal_per_import_row",
            )
        ]

    def __str__(self) -> str:
        return f"proposal #{self.pk}"
