from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ybss.access.models import PurposeReason

from .actions import PersonInput
from .models import DocType, Gender, Relation, ResidenceKind, StayReason


class PersonForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    doc_type = forms.ChoiceField(label=_("证件类型"), choices=DocType.choices, initial=DocType.RESIDENT_ID)
    id_number = forms.CharField(
        label=_("证件号码"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    gender = forms.ChoiceField(
        label=_("性别"), choices=[("", _("按身份证号码")), *Gender.choices], required=False
    )
    birth_date = forms.DateField(
        label=_("出生日期"),
        required=False,
        help_text=_("居民身份证可不填"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    nationality = forms.CharField(label=_("国籍"), max_length=3, initial="CHN")
    domicile_division = forms.CharField(
        label=_("户籍地区划代码"),
        max_length=12,
        required=False,
        help_text=_("如 130731100，或外地的县级代码"),
    )
    domicile_detail = forms.CharField(label=_("户籍地详址"), max_length=200, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=30, required=False)
    employer_text = forms.CharField(label=_("工作单位或学校"), max_length=100, required=False)
    photo = forms.FileField(label=_("照片"), required=False, help_text=_("JPEG 或 PNG，不超过 2 MB"))

    def person_input(self) -> PersonInput:
        d = self.cleaned_data
        return PersonInput(
            name=d["name"],
            id_number=d["id_number"],
            doc_type=d["doc_type"],
            gender=d.get("gender") or "",
            birth_date=d.get("birth_date"),
            nationality=d.get("nationality") or "CHN",
            domicile_division=d.get("domicile_division") or "",
            domicile_detail=d.get("domicile_detail") or "",
            phone=d.get("phone") or "",
            employer_text=d.get("employer_text") or "",
        )


class MoveInForm(forms.Form):
    valid_from = forms.DateField(
        label=_("起居日期"), initial=date.today, widget=forms.DateInput(attrs={"type": "date"})
    )
    kind = forms.ChoiceField(label=_("居住类型"), choices=ResidenceKind.choices)
    relation = forms.ChoiceField(
        label=_("与户主关系"), choices=[("", "—"), *Relation.choices], required=False
    )
    reason = forms.ChoiceField(label=_("居住事由"), choices=[("", "—"), *StayReason.choices], required=False)
    permit_number = forms.CharField(label=_("居住证号"), max_length=30, required=False)
    permit_valid_to = forms.DateField(
        label=_("居住证有效期至"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class PurposeForm(forms.Form):
    reason = forms.ChoiceField(label=_("查询事由"))
    reason_text = forms.CharField(label=_("具体说明"), max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [  # type: ignore[attr-defined]
            (r.code, r.label) for r in PurposeReason.objects.filter(active=True)
        ]


class MoveOutForm(forms.Form):
    valid_to = forms.DateField(
        label=_("离开日期"), initial=date.today, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class RelocateForm(MoveInForm):
    address_code = forms.CharField(label=_("新居住地址编码"), max_length=64)


class SearchForm(forms.Form):
    q = forms.CharField(label=_("姓名或电话"), max_length=50, required=False)
