"""What can be exported, and how: one entry per list.

Each ``ExportKind`` names its columns (Chinese headers, identifiers marked as
text), its filter form, the queryset and the row function. The queryset is
the one the list page shows: the same filter function, so an export holds
exactly the records the user was looking at, inside their jurisdiction
(``ybss.access.scope``). Identifiers are masked as the lists mask them
(``mask_id``, ``mask_phone``) unless the user may unmask (``person.unmask``)
and asked to, with the stated purpose every export carries anyway. Where the ID
number is masked the birth date is too (``MASKED_DATE``): the digits a mask hides
are the birth date.

Rows are read with ``values_list(...).iterator(chunk_size=CHUNK)``: no model
instances. Whatever a row needs from other tables is joined into the same
query (address texts, division names, legal representatives) or fetched once
per chunk (current tenants), so an export of a million rows keeps a flat
memory and a fixed number of queries per chunk.

Headers and labels are Chinese whatever the page language: the files go to
other departments and come back through the import, which reads Chinese
headers.

Campaign progress (集中采集进度) will be one more kind. The collection app
registers it from its ``AppConfig.ready()``::

    from ybss.exchange import export
    export.register(export.ExportKind(key="campaign-progress", label=_("采集进度"), ...))

and the export page, its URL, the audit and the file writers need nothing new.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import islice
from typing import Any, TypeVar

from django import forms
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from ybss.access import crypto
from ybss.access.roles import Cap
from ybss.addresses.models import ELEMENT_CLASS, AddressNode, Kind, Status
from ybss.addresses.views import search_nodes
from ybss.houses.models import HouseUse, Structure, TenancyTenant, current_q
from ybss.houses.views import FINDINGS, filter_houses
from ybss.lib.idcard import mask_id
from ybss.lib.phone import mask_phone
from ybss.lib.sheetwriter import SheetColumn, csv_chunks, xlsx_chunks
from ybss.people.models import ID_NUMBER, PHONE, DocType, Gender
from ybss.people.views import search_people
from ybss.units.models import CONTACT_PHONE, BusinessStatus, SpecialIndustry, UnitType
from ybss.units.views import EXPIRY_WINDOWS, filter_units

CHUNK = 2000
FORMATS = ("csv", "xlsx")
# Excel holds 1,048,576 rows a sheet, the header included.
XLSX_MAX_ROWS = 1_048_575
# Keyed-hash context for search text recorded in the audit log (never the text itself).
AUDIT_FILTER_CONTEXT = "audit.export_filter"

T = TypeVar("T")


@dataclass(frozen=True)
class ExportOptions:
    # Full ID numbers and phones; the view allows it only with person.unmask and a purpose.
    unmask: bool = False


RowFunction = Callable[[QuerySet[Any], ExportOptions], Iterator[Sequence[Any]]]


def given_filters(filters: dict[str, Any]) -> dict[str, Any]:
    """The filters that were set, for the audit log (lists with no personal data in their filters)."""
    return {k: v for k, v in filters.items() if v not in ("", None)}


@dataclass(frozen=True)
class ExportKind:
    key: str  # in the URL: /exchange/export/<key>/
    label: Any  # the page title (translated)
    file_label: str  # Chinese, for the file name and the sheet title
    columns: tuple[SheetColumn, ...]
    filter_form: type[forms.Form]
    # (user, the filter form's cleaned data) -> the list's queryset, scoped
    queryset: Callable[[Any, dict[str, Any]], QuerySet[Any]]
    rows: RowFunction
    # The filters as the audit log may hold them: no personal data in clear.
    audit_filters: Callable[[dict[str, Any]], dict[str, Any]] = given_filters
    # Needed on top of person.export, which every export needs.
    capability: str = Cap.PERSON_EXPORT
    # Has ID or phone columns that ``unmask`` shows in full.
    maskable: bool = False


_KINDS: dict[str, ExportKind] = {}


def register(kind: ExportKind) -> ExportKind:
    if kind.key in _KINDS and _KINDS[kind.key] is not kind:
        raise ValueError(f"export kind {kind.key} is registered twice")
    _KINDS[kind.key] = kind
    return kind


def get(key: str) -> ExportKind | None:
    return _KINDS.get(key)


def kinds() -> list[ExportKind]:
    return list(_KINDS.values())


@dataclass(frozen=True)
class PreparedExport:
    """One export, validated: the queryset fixed, ready to count and stream.

    The download view and ``bench/export.py`` both go through this.
    """

    kind: ExportKind
    queryset: QuerySet[Any]
    options: ExportOptions

    def count(self) -> int:
        return self.queryset.count()

    def rows(self) -> Iterator[Sequence[Any]]:
        return self.kind.rows(self.queryset, self.options)

    def chunks(self, fmt: str) -> Iterator[bytes]:
        if fmt == "csv":
            return csv_chunks(self.kind.columns, self.rows())
        if fmt == "xlsx":
            return xlsx_chunks(self.kind.columns, self.rows(), title=self.kind.file_label)
        raise ValueError(f"unknown format {fmt}")

    def filename(self, fmt: str, today: date | None = None) -> str:
        return f"{self.kind.file_label}_{(today or date.today()):%Y%m%d}.{fmt}"


def prepare(kind: ExportKind, user: Any, filters: dict[str, Any], options: ExportOptions) -> PreparedExport:
    return PreparedExport(kind, kind.queryset(user, filters), options)


# --- helpers --------------------------------------------------------------------


def chunked(iterable: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(iterable)
    while batch := list(islice(it, size)):
        yield batch


def labels(choices: Any) -> dict[str, str]:
    """code -> Chinese label, whatever language the page is in."""
    with translation.override("zh-hans"):
        return {str(value): str(label) for value, label in choices.choices}


def fast_mask_phone(phone: str) -> str:
    """``mask_phone``, without its normalizing pass for the stored mobile form (13812345678).

    Stored numbers are already normalized, and nearly all are mobiles, so this
    saves most of the masking time of a large export; anything else goes to
    ``mask_phone`` itself. A test checks the two agree.
    """
    if len(phone) == 11 and phone.isascii() and phone.isdigit() and phone[0] == "1" and phone[1] in "3456789":
        return phone[:3] + "****" + phone[7:]
    return mask_phone(phone)


def fast_mask_id(number: str) -> str:
    """``mask_id`` for the stored form (ASCII, no spaces, 15 or 18 characters); anything else
    goes to ``mask_id`` itself. A test checks the two agree."""
    n = len(number)
    if (n == 18 or n == 15) and number.isascii() and number.isalnum():
        upper = number.upper()
        return upper[:6] + "*" * (n - 10) + upper[-4:]
    return mask_id(number)


def _opener(
    field: crypto.ProtectedField, options: ExportOptions, mask: Callable[[str], str]
) -> Callable[[str], str]:
    """Decrypts a stored token, and masks the value unless the export is unmasked."""
    decrypt = crypto.keyring().decryptor(field.context)
    if options.unmask:
        return lambda token: decrypt(token) if token else ""
    return lambda token: mask(decrypt(token)) if token else ""


def _search_filters(data: dict[str, Any]) -> dict[str, Any]:
    """A person search (a name or a phone number) recorded as its keyed hash, not in clear."""
    q = str(data.get("q") or "").strip()
    if not q:
        return {}
    kind = "phone" if sum(c.isdigit() for c in q) >= 7 else "name"
    return {"q_type": kind, "q_hash": crypto.keyring().blind_index(q, AUDIT_FILTER_CONTEXT)}


# --- persons ----------------------------------------------------------------------


class PersonFilters(forms.Form):
    q = forms.CharField(label=_("姓名或电话"), max_length=50, required=False)


PERSON_COLUMNS = (
    SheetColumn("人员编号", width=10),
    SheetColumn("姓名", width=12),
    SheetColumn("证件类型", width=14),
    SheetColumn("证件号码", text=True, width=22),
    SheetColumn("性别", width=8),
    SheetColumn("出生日期", width=12),
    SheetColumn("国籍", width=8),
    SheetColumn("联系电话", text=True, width=16),
    SheetColumn("居住地址编码", text=True, width=32),
    SheetColumn("居住地址", width=48),
    SheetColumn("户籍地区划代码", text=True, width=16),
    SheetColumn("户籍地区划", width=20),
    SheetColumn("最近核实日期", width=14),
)
PERSON_FIELDS = (
    "pk",
    "name",
    "doc_type",
    "id_number_enc",
    "gender",
    "birth_date",
    "nationality",
    "phone_enc",
    "residence_code",
    "domicile_division_id",
    "last_confirmed",
)


def person_queryset(user: Any, filters: dict[str, Any]) -> QuerySet[Any]:
    return search_people(user, str(filters.get("q") or "")).order_by("pk")


def person_values(qs: QuerySet[Any]) -> QuerySet[Any]:
    """The columns an export reads: PERSON_FIELDS, the residence address text and the
    domicile division name, in one query (a join and an indexed subquery per row)."""
    home = AddressNode.objects.filter(code=OuterRef("residence_code")).values("full_text")[:1]
    return qs.annotate(home_text=Subquery(home)).values_list(
        *PERSON_FIELDS, "home_text", "domicile_division__name"
    )


# A masked ID number keeps the division code and the last four characters; the eight
# digits between are the birth date (GB 11643). Shown beside it, the birth date would
# give the whole number back, so a masked export masks it too.
MASKED_DATE = "****-**-**"


def person_rows(qs: QuerySet[Any], options: ExportOptions) -> Iterator[Sequence[Any]]:
    doc_types, genders = labels(DocType), labels(Gender)
    id_number = _opener(ID_NUMBER, options, fast_mask_id)
    phone = _opener(PHONE, options, fast_mask_phone)
    masked = not options.unmask
    for row in person_values(qs).iterator(chunk_size=CHUNK):
        pk, name, doc, id_enc, gender, born, nation, phone_enc, home, domicile, seen, home_text, town = row
        yield (
            pk,
            name,
            doc_types.get(doc, doc),
            id_number(id_enc),
            genders.get(gender, gender),
            MASKED_DATE if masked and born is not None else born,
            nation,
            phone(phone_enc),
            home,
            home_text or "",
            domicile or "",
            town or "",
            seen,
        )


PERSONS = register(
    ExportKind(
        key="persons",
        label=_("实有人口"),
        file_label="实有人口",
        columns=PERSON_COLUMNS,
        filter_form=PersonFilters,
        queryset=person_queryset,
        rows=person_rows,
        audit_filters=_search_filters,
        maskable=True,
    )
)


# --- addresses --------------------------------------------------------------------


class AddressFilters(forms.Form):
    q = forms.CharField(label=_("地址关键词"), max_length=100, required=False)
    within = forms.RegexField(
        label=_("区划或地址编码"),
        regex=r"^[0-9A-Z-]+$",
        max_length=64,
        required=False,
        error_messages={"invalid": _("编码只能包含数字、大写字母和“-”。")},
        help_text=_("只导出该区划或地址之下的地址；留空为辖区内全部。"),
    )


ADDRESS_COLUMNS = (
    SheetColumn("地址编码", text=True, width=32),
    SheetColumn("地址类型", width=12),
    SheetColumn("名称", width=16),
    SheetColumn("标准地址全称", width=48),
    SheetColumn("要素类别", width=10),
    SheetColumn("所属社区/村代码", text=True, width=16),
    SheetColumn("所属社区/村", width=20),
    SheetColumn("街路巷", width=16),
    SheetColumn("状态", width=8),
)


def address_queryset(user: Any, filters: dict[str, Any]) -> QuerySet[Any]:
    return search_nodes(user, str(filters.get("q") or "").strip(), str(filters.get("within") or ""))


def address_rows(qs: QuerySet[Any], options: ExportOptions) -> Iterator[Sequence[Any]]:
    kinds_, statuses = labels(Kind), labels(Status)
    fields = ("code", "kind", "name", "full_text", "division_id", "division__name", "road__name", "status")
    for code, kind, name, text, division, division_name, road, status in qs.values_list(*fields).iterator(
        chunk_size=CHUNK
    ):
        yield (
            code,
            kinds_.get(kind, kind),
            name,
            text,
            ELEMENT_CLASS.get(kind, ""),
            division,
            division_name,
            road or "",
            statuses.get(status, status),
        )


ADDRESSES = register(
    ExportKind(
        key="addresses",
        label=_("标准地址"),
        file_label="标准地址",
        columns=ADDRESS_COLUMNS,
        filter_form=AddressFilters,
        queryset=address_queryset,
        rows=address_rows,
    )
)


# --- units ------------------------------------------------------------------------


class UnitFilters(forms.Form):
    q = forms.CharField(label=_("单位名称"), max_length=50, required=False)
    industry = forms.ChoiceField(label=_("特种行业"), required=False)
    expiring = forms.ChoiceField(label=_("证照到期"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["industry"].choices = [("", _("全部行业")), *SpecialIndustry.choices]  # type: ignore[attr-defined]
        self.fields["expiring"].choices = [  # type: ignore[attr-defined]
            ("", _("证照到期：不限")),
            *((str(d), _("%(days)s 天内到期") % {"days": d}) for d in EXPIRY_WINDOWS),
        ]


UNIT_COLUMNS = (
    SheetColumn("单位编号", width=10),
    SheetColumn("单位名称", width=28),
    SheetColumn("统一社会信用代码", text=True, width=22),
    SheetColumn("单位类型", width=12),
    SheetColumn("所属行业", width=16),
    SheetColumn("特种行业", width=16),
    SheetColumn("经营状态", width=10),
    SheetColumn("地址编码", text=True, width=32),
    SheetColumn("标准地址", width=48),
    SheetColumn("法定代表人", width=12),
    SheetColumn("联系人", width=12),
    SheetColumn("联系电话", text=True, width=16),
    SheetColumn("最近核实日期", width=14),
)


def unit_queryset(user: Any, filters: dict[str, Any]) -> QuerySet[Any]:
    return filter_units(
        user,
        q=str(filters.get("q") or ""),
        industry=str(filters.get("industry") or ""),
        expiring=str(filters.get("expiring") or ""),
    )


def unit_rows(qs: QuerySet[Any], options: ExportOptions) -> Iterator[Sequence[Any]]:
    types, industries, statuses = labels(UnitType), labels(SpecialIndustry), labels(BusinessStatus)
    phone = _opener(CONTACT_PHONE, options, fast_mask_phone)
    fields = (
        "pk",
        "name",
        "credit_code",
        "unit_type",
        "industry",
        "special_industries",
        "business_status",
        "address__code",
        "address__full_text",
        "legal_representative__name",
        "contact_name",
        "contact_phone_enc",
        "last_confirmed",
    )
    for row in qs.values_list(*fields).iterator(chunk_size=CHUNK):
        pk, name, credit, kind, industry, special, status, code, text, legal, contact, phone_enc, seen = row
        yield (
            pk,
            name,
            credit,
            types.get(kind, kind),
            industry,
            "、".join(industries.get(c, c) for c in special.split(",") if c),
            statuses.get(status, status),
            code,
            text,
            legal or "",
            contact,
            phone(phone_enc),
            seen,
        )


UNITS = register(
    ExportKind(
        key="units",
        label=_("实有单位"),
        file_label="实有单位",
        columns=UNIT_COLUMNS,
        filter_form=UnitFilters,
        queryset=unit_queryset,
        rows=unit_rows,
        maskable=True,
    )
)


# --- houses -----------------------------------------------------------------------


class HouseFilters(forms.Form):
    finding = forms.ChoiceField(label=_("范围"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["finding"].choices = [("", _("辖区内全部在用房屋")), *FINDINGS.items()]  # type: ignore[attr-defined]


HOUSE_COLUMNS = (
    SheetColumn("房屋编号", width=10),
    SheetColumn("地址编码", text=True, width=32),
    SheetColumn("标准地址", width=48),
    SheetColumn("房屋用途", width=12),
    SheetColumn("房屋结构", width=10),
    SheetColumn("建筑面积（平方米）", width=12),
    SheetColumn("产权人", width=12),
    SheetColumn("产权单位", width=24),
    SheetColumn("现承租人", width=24),
    SheetColumn("最近核实日期", width=14),
)


def house_queryset(user: Any, filters: dict[str, Any]) -> QuerySet[Any]:
    return filter_houses(user, str(filters.get("finding") or ""))


def house_rows(qs: QuerySet[Any], options: ExportOptions) -> Iterator[Sequence[Any]]:
    uses, structures = labels(HouseUse), labels(Structure)
    fields = (
        "pk",
        "address__code",
        "address__full_text",
        "use",
        "structure",
        "floor_area",
        "owner_person__name",
        "owner_unit__name",
        "last_confirmed",
    )
    for chunk in chunked(qs.values_list(*fields).iterator(chunk_size=CHUNK), CHUNK):
        tenants: dict[int, list[str]] = {}
        current = (
            TenancyTenant.objects.filter(
                current_q(prefix="tenancy__"), tenancy__house_id__in=[r[0] for r in chunk]
            )
            .order_by("tenancy__house_id", "person_id")
            .values_list("tenancy__house_id", "person__name")
        )
        for house_id, name in current:
            tenants.setdefault(house_id, []).append(name)
        for pk, code, text, use, structure, area, owner, owner_unit, confirmed in chunk:
            yield (
                pk,
                code,
                text,
                uses.get(use, use),
                structures.get(structure, structure),
                area,
                owner or "",
                owner_unit or "",
                "、".join(tenants.get(pk, [])),
                confirmed,
            )


HOUSES = register(
    ExportKind(
        key="houses",
        label=_("实有房屋"),
        file_label="实有房屋",
        columns=HOUSE_COLUMNS,
        filter_form=HouseFilters,
        queryset=house_queryset,
        rows=house_rows,
    )
)
