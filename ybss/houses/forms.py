"""Forms check types and ranges; everything else is the actions' job."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from ybss.units.forms import DATE, VersionedForm

from .models import HouseUse, Structure


class HouseForm(forms.Form):
    use = forms.ChoiceField(label=_("房屋用途"), choices=HouseUse.choices)
    structure = forms.ChoiceField(
        label=_("房屋结构"), choices=[("", "—"), *Structure.choices], required=False
    )
    floor_area = forms.DecimalField(
        label=_("建筑面积（平方米）"), required=False, max_digits=9, decimal_places=2
    )
    owner_person = forms.IntegerField(label=_("产权人（人员编号）"), required=False, min_value=1)
    owner_unit = forms.IntegerField(label=_("产权单位（单位编号）"), required=False, min_value=1)
    last_confirmed = forms.DateField(label=_("最近核实日期"), required=False, widget=DATE)


class HouseEditForm(VersionedForm, HouseForm):
    field_order = [*HouseForm.base_fields, "reason", "version"]


class TenancyForm(forms.Form):
    tenants = forms.CharField(
        label=_("承租人（人员编号）"), max_length=200, help_text=_("多人用逗号或空格分隔")
    )
    landlord = forms.IntegerField(label=_("出租人（人员编号）"), required=False, min_value=1)
    valid_from = forms.DateField(label=_("起租日期"), widget=DATE)
    valid_to = forms.DateField(label=_("止租日期"), required=False, widget=DATE)
    registration_number = forms.CharField(label=_("租赁登记备案号"), max_length=100, required=False)
    security_agreement_signed = forms.BooleanField(label=_("已签订治安责任书"), required=False)

    def clean_tenants(self) -> list[int]:
        parts = [p for p in re.split(r"[\s,，、]+", self.cleaned_data["tenants"]) if p]
        if not parts or not all(p.isdigit() for p in parts):
            raise forms.ValidationError(_("请填写人员编号（数字），多人用逗号分隔。"))
        return [int(p) for p in parts]
