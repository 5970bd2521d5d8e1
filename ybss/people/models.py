"""实有人口: the people who actually live in the area, and where.

A person's identifiers are stored encrypted with a blind index (ybss.access.crypto).
Where they live is a chain of dated ``Residence`` rows on standard addresses; moving
is an update that closes one and opens another, so history is never overwritten.
Two denormalised codes, the current main residence and the registered domicile,
make "who is inside my jurisdiction" an indexed prefix query.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ybss.access import crypto
from ybss.addresses.models import AddressNode
from ybss.core.db import TextJSONEncoder
from ybss.divisions.models import Division

ID_NUMBER = crypto.ProtectedField("people.Person", "id_number")
PHONE = crypto.ProtectedField("people.Person", "phone")


class DocType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("居民身份证")
    PASSPORT = "passport", _("护照")
    HK_MO_PERMIT = "hk_mo_permit", _("港澳居民来往内地通行证")
    TW_PERMIT = "tw_permit", _("台湾居民来往大陆通行证")
    FOREIGN_PR = "foreign_pr", _("外国人永久居留身份证")
    OTHER = "other", _("其他证件")


class Gender(models.TextChoices):
    """GB/T 2261.1-2003."""

    UNKNOWN = "0", _("未知的性别")
    MALE = "1", _("男")
    FEMALE = "2", _("女")
    UNSTATED = "9", _("未说明的性别")


class Person(models.Model):
    doc_type = models.CharField(
        _("证件类型"), max_length=16, choices=DocType.choices, default=DocType.RESIDENT_ID
    )
    id_number_enc = models.TextField(_("证件号码（密文）"), blank=True)
    # Blind indexes are looked up whole, never by prefix: their indexes are declared in Meta,
    # which on PostgreSQL leaves out the varchar_pattern_ops copy a field-level index adds
    # and every insert would pay for.
    id_number_index = models.CharField(max_length=64)
    # The 15-digit form of an old ID, when one was given, so either form finds the person.
    id15_index = models.CharField(max_length=64, blank=True)
    name = models.CharField(_("姓名"), max_length=50)
    former_names = models.JSONField(_("曾用名"), default=list, blank=True, encoder=TextJSONEncoder)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    nationality = models.CharField(_("国籍"), max_length=3, default="CHN")
    domicile_division = models.ForeignKey(
        Division,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,  # indexed in Meta: a code is matched whole here, see the blind indexes
        related_name="+",
        verbose_name=_("户籍地区划"),
    )
    domicile_detail = models.CharField(_("户籍地详址"), max_length=200, blank=True)
    domicile_address = models.ForeignKey(
        AddressNode,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,  # a partial index in Meta: imports and most forms leave it empty
        related_name="+",
        verbose_name=_("户籍地标准地址"),
    )
    phone_enc = models.TextField(_("联系电话（密文）"), blank=True)
    phone_index = models.CharField(max_length=64, blank=True)
    photo = models.ImageField(_("照片"), upload_to="photos/%Y/%m/", blank=True)
    employer_text = models.CharField(_("工作单位或学校"), max_length=100, blank=True)
    # Where the person counts for jurisdiction: codes kept by the actions, matched by prefix.
    residence_code = models.CharField(max_length=64, blank=True)
    domicile_code = models.CharField(max_length=64, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    last_confirmed = models.DateField(_("最近核实日期"), default=date.today)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    # A duplicate record merged into another (ybss.dedupe): kept, with its history, so the
    # merge can be undone; it no longer appears in lists and searches.
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,  # a partial index in Meta: almost every person has none
        related_name="merged_records",
        verbose_name=_("已合并到"),
    )

    class Meta:
        verbose_name = _("实有人口")
        verbose_name_plural = _("实有人口")
        ordering = ["id"]
        # Possible duplicates are people with the same name and birth date (imports, linkage).
        # On PostgreSQL the name and the two codes are "C"-collated (migrations 0002 and 0008),
        # so these plain indexes also serve prefix searches (LIKE '130731100%', names starting
        # with 王) without the varchar_pattern_ops copies a field-level index would add to
        # every insert.
        indexes = [
            models.Index(fields=["residence_code"], name="person_residence_code"),
            models.Index(fields=["domicile_code"], name="person_domicile_code"),
            models.Index(
                fields=["merged_into"], name="person_merged_into", condition=Q(merged_into__isnull=False)
            ),
            # Also the name's own index: name searches and the list by name use its leading column.
            models.Index(fields=["name", "birth_date"], name="person_name_birth"),
            # Partial: only the values there are. Almost every number is 18 digits, and many
            # people have no recorded domicile address; every insert paid for the empty ones.
            # Looking up a value (= or IN) implies IS NOT NULL on both databases; PostgreSQL
            # also proves id15_index <> '' from it, where SQLite needs the condition spelled out.
            models.Index(fields=["id15_index"], name="person_id15_given", condition=~Q(id15_index="")),
            # Children and many of the old have no phone of their own (a fifth of the demo's people).
            models.Index(fields=["phone_index"], name="person_phone_given", condition=~Q(phone_index="")),
            models.Index(
                fields=["domicile_division"],
                name="person_domicile_division_given",
                condition=Q(domicile_division__isnull=False),
            ),
            models.Index(
                fields=["domicile_address"],
                name="person_domicile_address_given",
                condition=Q(domicile_address__isnull=False),
            ),
        ]
        constraints = [models.UniqueConstraint(fields=["id_number_index"], name="person_id_number_unique")]

    def __str__(self) -> str:
        return f"person #{self.pk}"  # never the name: this string ends up in logs

    @property
    def id_number(self) -> str:
        return crypto.open_value(ID_NUMBER, self.id_number_enc)

    @property
    def phone(self) -> str:
        return crypto.open_value(PHONE, self.phone_enc)

    def current_residence(self) -> Residence | None:
        return self.residences.filter(valid_to__isnull=True, is_main=True).select_related("address").first()


VERSION_ACTIONS = {
    "create": _("登记"),
    "update": _("修改"),
    "move_in": _("迁入"),
    "move_out": _("迁出"),
    "confirm": _("核实"),
    "merge": _("合并重复记录"),
    "merged": _("并入另一记录"),
    "unmerge": _("撤销合并"),
}


class PersonVersion(models.Model):
    """One change to a person: who, when, which fields and why. Identifiers are noted
    as changed, never copied here in clear."""

    # Unindexed alone: the (person, version) constraint's index leads with it.
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="versions", db_index=False)
    version = models.PositiveIntegerField()
    action = models.CharField(_("操作"), max_length=24)
    changes = models.JSONField(_("变更内容"), default=dict)
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    # Unindexed: nothing lists versions by who made them (the audit log does that), and
    # every version row paid for the index; accounts are deactivated, not deleted.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, db_index=False
    )
    actor_name = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["person", "version"]
        constraints = [models.UniqueConstraint(fields=["person", "version"], name="person_version_unique")]

    def __str__(self) -> str:
        return f"person #{self.person_id} v{self.version}"

    @property
    def action_label(self) -> str:
        return str(VERSION_ACTIONS.get(self.action, self.action))


class ResidenceKind(models.TextChoices):
    OWNED = "owned", _("自有住房")
    RENTED = "rented", _("租住")
    LODGING = "lodging", _("借住")
    DORMITORY = "dormitory", _("单位宿舍")
    HOTEL_RENTAL = "hotel_rental", _("旅店式出租屋")
    OTHER = "other", _("其他")


class Relation(models.TextChoices):
    """GB/T 4761-2008 家庭关系代码 (the codes a household register uses most)."""

    HOUSEHOLDER = "02", _("户主")
    SPOUSE = "10", _("配偶")
    SON = "20", _("子")
    DAUGHTER = "30", _("女")
    GRANDCHILD = "40", _("孙子女")
    PARENT = "50", _("父母")
    GRANDPARENT = "60", _("祖父母")
    SIBLING = "70", _("兄弟姐妹")
    OTHER_RELATIVE = "80", _("其他亲属")
    NON_RELATIVE = "99", _("非亲属")


class StayReason(models.TextChoices):
    WORK = "work", _("务工")
    BUSINESS = "business", _("经商")
    STUDY = "study", _("就学")
    FAMILY = "family", _("投亲靠友")
    OTHER = "other", _("其他")


class Residence(models.Model):
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="residences", verbose_name=_("人员")
    )
    # Unindexed alone: residence_address_current (address, valid_to) leads with it.
    address = models.ForeignKey(
        AddressNode,
        on_delete=models.PROTECT,
        related_name="residences",
        verbose_name=_("居住地址"),
        db_index=False,
    )
    valid_from = models.DateField(_("起居日期"))
    valid_to = models.DateField(_("离开日期"), null=True, blank=True)
    is_main = models.BooleanField(_("主要居住地"), default=True)
    kind = models.CharField(_("居住类型"), max_length=16, choices=ResidenceKind.choices)
    relation = models.CharField(_("与户主关系"), max_length=2, choices=Relation.choices, blank=True)
    reason = models.CharField(_("居住事由"), max_length=10, choices=StayReason.choices, blank=True)
    permit_number = models.CharField(_("居住证号"), max_length=30, blank=True)
    permit_valid_to = models.DateField(_("居住证有效期至"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("居住信息")
        verbose_name_plural = _("居住信息")
        ordering = ["person", "valid_from", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(valid_to__isnull=True, is_main=True),
                name="one_current_main_residence",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="residence_ends_after_it_starts",
            ),
        ]
        indexes = [models.Index(fields=["address", "valid_to"], name="residence_address_current")]

    def __str__(self) -> str:
        return f"residence #{self.pk}"


# 八个必采 for people, as far as this registry holds them (criminal records are out of scope, DESIGN §3).
MUST_COLLECT = {
    "identity": "基本身份信息",
    "photo": "照片",
    "certificates": "证件信息",
    "contact": "联系方式",
    "residence": "居住信息",
    "employment": "从业/就学信息",
}


def completeness(person: Person) -> dict[str, bool]:
    """Which must-collect groups are filled in for this person."""
    current = person.current_residence()
    return {
        "identity": bool(person.name and person.id_number_index and person.gender and person.birth_date),
        "photo": bool(person.photo),
        "certificates": bool(person.id_number_enc)
        and (person.nationality == "CHN" or person.doc_type != DocType.RESIDENT_ID),
        "contact": bool(person.phone_enc),
        "residence": current is not None,
        "employment": bool(person.employer_text),
    }


def is_stale(person: Person, today: date | None = None) -> bool:
    """Not confirmed within the configured number of months (default 12): due for the next campaign."""
    today = today or date.today()
    months = (today.year - person.last_confirmed.year) * 12 + today.month - person.last_confirmed.month
    return months > settings.YBSS_STALE_MONTHS or (
        months == settings.YBSS_STALE_MONTHS and today.day > person.last_confirmed.day
    )
