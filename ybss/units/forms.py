"""Forms check types and ranges; everything else is the actions' job."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import BusinessStatus, SpecialIndustry, UnitType

DATE = forms.DateInput(attrs={"type": "date"})


class VersionedForm(forms.Form):
    """Edit forms carry the version the editor saw, for the optimistic lock."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(label=_("修改原因"), max_length=200, required=False)


class UnitFields(forms.Form):
    name = forms.CharField(label=_("单位名称"), max_length=200)
    unit_type = forms.ChoiceField(label=_("单位类型"), choices=UnitType.choices)
    credit_code = forms.CharField(
        label=_("统一社会信用代码"), max_length=40, required=False, help_text=_("18 位，无则留空")
    )
    industry = forms.CharField(label=_("所属行业"), max_length=200, required=False)
    special_industries = forms.MultipleChoiceField(
        label=_("特种行业"),
        choices=SpecialIndustry.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    business_status = forms.ChoiceField(
        label=_("经营状态"), choices=[("", "—"), *BusinessStatus.choices], required=False
    )
    legal_representative = forms.IntegerField(label=_("法定代表人（人员编号）"), required=False, min_value=1)
    contact_name = forms.CharField(label=_("联系人"), max_length=100, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=40, required=False)
    last_confirmed = forms.DateField(label=_("最近核实日期"), required=False, widget=DATE)


class UnitCreateForm(UnitFields):
    address_code = forms.CharField(label=_("标准地址编码"), max_length=64)

    field_order = ["address_code"]


class UnitEditForm(VersionedForm, UnitFields):
    contact_phone = forms.CharField(
        label=_("联系电话"), max_length=40, required=False, help_text=_("留空则不修改")
    )

    field_order = [*UnitFields.base_fields, "reason", "version"]


class LicenceForm(forms.Form):
    kind = forms.CharField(label=_("证照类型"), max_length=100, help_text=_("如 营业执照、特种行业许可证"))
    number = forms.CharField(label=_("证照编号"), max_length=100)
    valid_from = forms.DateField(label=_("有效期起"), widget=DATE)
    valid_to = forms.DateField(
        label=_("有效期至"), required=False, widget=DATE, help_text=_("长期有效则留空")
    )


class EmploymentForm(forms.Form):
    person = forms.IntegerField(label=_("人员编号"), min_value=1)
    role = forms.CharField(label=_("岗位"), max_length=100, required=False)
    valid_from = forms.DateField(label=_("入职日期"), widget=DATE)
    valid_to = forms.DateField(label=_("离职日期"), required=False, widget=DATE, help_text=_("仍在职则留空"))


class EndForm(VersionedForm):
    valid_to = forms.DateField(label=_("结束日期"), widget=DATE)

    field_order = ["valid_to", "reason", "version"]
