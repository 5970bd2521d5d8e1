"""Account management for station and system administrators."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from ybss.core.errors import ActionError

from . import actions
from .decorators import requires
from .models import PurposeReason, UserAccess
from .roles import Cap, Role


class AccountForm(forms.Form):
    username = forms.CharField(label=_("账号"), max_length=30)
    role = forms.ChoiceField(label=_("角色"))
    jurisdictions = forms.MultipleChoiceField(label=_("辖区"), widget=forms.CheckboxSelectMultiple)
    active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def __init__(self, *args: Any, actor: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.places = {str(j.pk): j for j in actions.manageable_jurisdictions(actor)}
        self.fields["role"].choices = [(r, Role(r).label) for r in actions.grantable_roles(actor)]  # type: ignore[attr-defined]
        self.fields["jurisdictions"].choices = [  # type: ignore[attr-defined]
            (k, f"{j.get_kind_display()} · {j.name}") for k, j in self.places.items()
        ]
        if editing:
            self.fields["username"].disabled = True
        else:
            del self.fields["active"]

    def chosen_places(self) -> list[Any]:
        return [self.places[k] for k in self.cleaned_data["jurisdictions"]]


def _apply(form: forms.Form, exc: ActionError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@requires(Cap.USERS_MANAGE)
@require_http_methods(["GET", "POST"])
def account_list(request: HttpRequest) -> HttpResponse:
    form = AccountForm(request.POST or None, actor=request.user)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            user, password = actions.create_account(
                request.user, form.cleaned_data["username"], form.cleaned_data["role"], form.chosen_places()
            )
        except ActionError as exc:
            _apply(form, exc)
        else:
            created = (user.username, password)
            form = AccountForm(actor=request.user)
    users = actions.manageable_users(request.user).prefetch_related("access__jurisdictions")
    return render(
        request,
        "access/accounts.html",
        {"form": form, "users": users, "created": created},
        status=400 if form.is_bound and form.errors else 200,
    )


@requires(Cap.USERS_MANAGE)
@require_http_methods(["GET", "POST"])
def account_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(actions.manageable_users(request.user), pk=pk)
    access = UserAccess.objects.filter(user=user).first()
    initial = {
        "username": user.username,
        "active": user.is_active,
        "role": access.role if access else "",
        "jurisdictions": [str(j.pk) for j in (access.jurisdictions.all() if access else [])],
    }
    form = AccountForm(request.POST or None, actor=request.user, editing=True, initial=initial)
    new_password = None
    if request.method == "POST" and "reset_password" in request.POST:
        new_password = actions.reset_password(request.user, user)
        form = AccountForm(actor=request.user, editing=True, initial=initial)
    elif request.method == "POST" and form.is_valid():
        try:
            actions.change_account(
                request.user,
                user,
                form.cleaned_data["role"],
                form.chosen_places(),
                form.cleaned_data["active"],
            )
        except ActionError as exc:
            _apply(form, exc)
    return render(
        request,
        "access/account_edit.html",
        {"form": form, "account": user, "new_password": new_password},
        status=400 if form.is_bound and form.errors else 200,
    )


class ReasonForm(forms.Form):
    code = forms.CharField(label=_("代码"), max_length=32, help_text=_("英文，如 verify"))
    label = forms.CharField(label=_("事由"), max_length=50)
    active = forms.BooleanField(label=_("启用"), required=False, initial=True)


@requires(Cap.SETTINGS_MANAGE)
@require_http_methods(["GET", "POST"])
def reason_list(request: HttpRequest) -> HttpResponse:
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_reason(
                request.user,
                form.cleaned_data["code"],
                form.cleaned_data["label"],
                form.cleaned_data["active"],
            )
        except ActionError as exc:
            _apply(form, exc)
        else:
            form = ReasonForm()
    return render(
        request,
        "access/reasons.html",
        {"form": form, "reasons": PurposeReason.objects.all()},
        status=400 if form.is_bound and form.errors else 200,
    )
