"""Forms for the campaign pages. They check types and presence; the actions decide
everything else, so a page, the API and the benchmark refuse the same input with
the same Chinese sentence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from ybss.people.models import Relation, ResidenceKind

from .actions import Occupant

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
CHECKBOXES = forms.CheckboxSelectMultiple


def _choice(form: forms.Form, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


class CampaignForm(forms.Form):
    # Not required here: the action's message ("采集区域不能为空…") is the one users see.
    name = forms.CharField(label=_("活动名称"), max_length=100, required=False)
    area_codes = forms.MultipleChoiceField(
        label=_("采集区域"),
        required=False,
        widget=CHECKBOXES,
        help_text=_("辖区内的社区或村，可多选"),
    )
    starts_on = forms.DateField(label=_("开始日期"), required=False, widget=DATE)
    ends_on = forms.DateField(label=_("结束日期"), required=False, widget=DATE)
    collection_target = forms.CharField(label=_("采集率目标"), initial="0.95", max_length=10)
    accuracy_target = forms.CharField(label=_("准确率目标"), initial="0.95", max_length=10)
    recheck_rate = forms.CharField(
        label=_("复核抽样比例"), initial="0.05", max_length=10, help_text=_("如 0.05 即抽 5%")
    )
    recheck_threshold = forms.CharField(
        label=_("抽样起始采集率"),
        initial="0.8",
        max_length=10,
        help_text=_("某区域采集率达到此比例后才能抽取复核样本"),
    )

    def __init__(self, *args: Any, communities: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "area_codes").choices = communities


class AssignForm(forms.Form):
    collectors = forms.MultipleChoiceField(label=_("采集员"), required=False, widget=CHECKBOXES)

    def __init__(self, *args: Any, people: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "collectors").choices = people


class ReassignForm(forms.Form):
    from_user = forms.ChoiceField(label=_("原采集员"))
    to_user = forms.ChoiceField(label=_("改派给"))

    def __init__(
        self, *args: Any, holders: list[tuple[str, str]], people: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "from_user").choices = [("", "—"), *holders]
        _choice(self, "to_user").choices = [("", "—"), *people]


class DrawForm(forms.Form):
    area_code = forms.ChoiceField(label=_("抽样区域"))
    verifiers = forms.MultipleChoiceField(label=_("复核人"), required=False, widget=CHECKBOXES)

    def __init__(
        self, *args: Any, areas: list[tuple[str, str]], people: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "area_code").choices = [("", "—"), *areas]
        _choice(self, "verifiers").choices = people


def reason_field(key: str) -> str:
    """The form field holding the rejection reason for a captured field (dots upset CSS selectors)."""
    return "reason-" + key.replace(".", "-")


class RejectForm(forms.Form):
    """One reason box per captured field; at least one must be filled (the action says so)."""

    def __init__(self, *args: Any, fields: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.keys = {}
        for key, label in fields:
            name = reason_field(key)
            self.keys[name] = key
            self.fields[name] = forms.CharField(label=label, required=False, max_length=200)

    def reasons(self) -> dict[str, str]:
        return {self.keys[name]: value for name, value in self.cleaned_data.items() if value}


# ---------------------------------------------------------------- the visit form

OCCUPANT_INPUTS = ("name", "id_number", "phone", "relation", "kind")
DEFAULT_ROWS = 3
MAX_ROWS = 30


@dataclass
class OccupantRow:
    index: int
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def blank(self) -> bool:
        return not any(self.values.get(k) for k in ("name", "id_number", "phone"))

    def input_name(self, key: str) -> str:
        return f"occ-{self.index}-{key}"


@dataclass
class VisitForm:
    """The collector's visit form: occupant rows that grow without JavaScript, confirmations,
    the outcome, a note and the idempotency key minted when the page was rendered."""

    key: str
    rows: list[OccupantRow]
    confirmed: list[int] = field(default_factory=list)
    outcome: str = ""
    note: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    top_errors: list[str] = field(default_factory=list)

    @classmethod
    def blank(cls, key: str, rows: int = DEFAULT_ROWS) -> VisitForm:
        return cls(key=key, rows=[_empty_row(i) for i in range(rows)])

    @classmethod
    def from_post(cls, data: QueryDict) -> VisitForm:
        """Filled rows first, in the order typed, then empty ones: the action numbers
        occupants as sent, so "第 2 位住户" in its message is the second row shown."""
        try:
            count = int(data.get("rows", DEFAULT_ROWS))
        except ValueError:
            count = DEFAULT_ROWS
        count = max(1, min(count, MAX_ROWS))
        filled = []
        for i in range(count):
            values = {k: data.get(f"occ-{i}-{k}", "").strip() for k in OCCUPANT_INPUTS}
            row = OccupantRow(i, values)
            if not row.blank:
                filled.append(row)
        for n, row in enumerate(filled):
            row.index = n
        wanted = count + 1 if data.get("more") else count
        rows = filled + [_empty_row(n) for n in range(len(filled), max(wanted, len(filled) + 1))]
        confirmed = sorted({int(v) for v in data.getlist("confirmed") if v.isdigit()})
        return cls(
            key=data.get("idempotency_key", "").strip()[:64],
            rows=rows,
            confirmed=confirmed,
            outcome=data.get("outcome", ""),
            note=data.get("note", "").strip(),
        )

    @property
    def filled(self) -> list[OccupantRow]:
        return [r for r in self.rows if not r.blank]

    def occupants(self) -> list[Occupant]:
        return [
            Occupant(
                name=r.values["name"],
                id_number=r.values["id_number"],
                phone=r.values["phone"],
                relation=r.values["relation"] if r.values["relation"] in Relation.values else "",
                kind=r.values["kind"] or ResidenceKind.OWNED,
            )
            for r in self.filled
        ]

    def add_error(self, key: str | None, message: str) -> None:
        parts = (key or "").split(".")
        if len(parts) == 3 and parts[0] == "occupants" and parts[1].isdigit():
            index = int(parts[1])
            if index < len(self.rows):
                self.rows[index].errors[parts[2]] = message
                return
        if key in ("outcome", "note", "confirmed", "occupants"):
            self.errors[str(key)] = message
            return
        self.top_errors.append(message)


def _empty_row(index: int) -> OccupantRow:
    return OccupantRow(index, {k: "" for k in OCCUPANT_INPUTS} | {"kind": ResidenceKind.OWNED})
