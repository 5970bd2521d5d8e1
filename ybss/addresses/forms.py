from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Kind


class RoadForm(forms.Form):
    name = forms.CharField(label=_("街路巷名称"), max_length=200, help_text=_("如 轩辕路、新华街、幸福巷"))


class NodeForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=Kind.choices)
    name = forms.CharField(
        label=_("号码或名称"), max_length=200, help_text=_("门牌号 18、楼栋 3、单元 2、户室 502，或小区名称")
    )
    road = forms.TypedChoiceField(label=_("街路巷"), required=False, coerce=int, empty_value=None)

    def __init__(
        self, *args: object, kinds: list[str], roads: list[tuple[int, str]] | None = None, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["kind"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(k, Kind(k).label) for k in kinds]
        road_field = self.fields["road"]
        assert isinstance(road_field, forms.ChoiceField)
        if roads:
            road_field.choices = [("", "—"), *roads]
        else:
            del self.fields["road"]


class RoomPatternForm(forms.Form):
    floors = forms.IntegerField(label=_("层数"), min_value=1, max_value=99, initial=6)
    units = forms.IntegerField(
        label=_("单元数"), min_value=0, max_value=30, initial=2, help_text=_("0 表示不分单元")
    )
    rooms_per_floor = forms.IntegerField(label=_("每单元每层户数"), min_value=1, max_value=99, initial=2)
    first_floor = forms.IntegerField(label=_("起始楼层"), min_value=-5, max_value=99, initial=1)


class RenameForm(forms.Form):
    name = forms.CharField(label=_("新名称或号码"), max_length=200)


class MergeForm(forms.Form):
    target_code = forms.CharField(label=_("合并到（保留的地址编码）"), max_length=64)


class DemolishForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=200, required=False)
    confirm = forms.BooleanField(label=_("确认拆除该地址及其下级全部地址"), required=True)
