"""Optional TOTP second factor (django-otp), meant for administrators.

Once a user has confirmed a device, every page and API call needs the
session to be verified with a current code; until then they see only the
code page. Setting up or removing a device is audited.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import segno
from django import forms
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from ybss.audit import log
from ybss.audit.models import Action, Outcome


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("6 位动态验证码"),
        min_length=6,
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def needs_otp(request: HttpRequest) -> bool:
    user: Any = request.user
    if not user.is_authenticated or getattr(user, "is_verified", lambda: True)():
        return False
    return has_device(user)


def has_device(user: Any) -> bool:
    """Cached: every page asks, and almost nobody's answer changes."""
    key = f"ybss:otp:{user.pk}"
    answer = cache.get(key)
    if answer is None:
        answer = bool(user_has_device(user, confirmed=True))
        cache.set(key, answer, 300)
    return bool(answer)


def otp_redirect(request: HttpRequest) -> HttpResponse:
    return redirect(f"/accounts/otp/?{urlencode({'next': request.get_full_path()})}")


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    return target if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) else "/"


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = next(
            (
                d
                for d in TOTPDevice.objects.devices_for_user(request.user, confirmed=True)
                if d.verify_token(form.cleaned_data["token"].strip())
            ),
            None,
        )
        if device is not None:
            otp_login(request, device)
            with transaction.atomic():
                log.record(request.user, Action.LOGIN, extra={"second_factor": "totp"})
            return redirect(_safe_next(request))
        with transaction.atomic():
            log.record(
                request.user, Action.LOGIN_FAILED, outcome=Outcome.FAILED, extra={"second_factor": "totp"}
            )
        form.add_error("token", _("验证码不正确或已过期。"))
    return render(
        request,
        "access/otp_verify.html",
        {"form": form, "next": _safe_next(request)},
        status=400 if form.errors else 200,
    )


@login_required
def setup(request: HttpRequest) -> HttpResponse:
    if needs_otp(request):
        return otp_redirect(request)
    confirmed = TOTPDevice.objects.filter(user=request.user, confirmed=True).exists()
    device, _created = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": "ybss"}
    )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"].strip()):
            with transaction.atomic():
                TOTPDevice.objects.filter(user=request.user, confirmed=True).delete()
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                cache.delete(f"ybss:otp:{request.user.pk}")
                log.record(
                    request.user,
                    Action.ACCESS_CHANGE,
                    targets=[("user", request.user.pk)],
                    extra={"second_factor": "enabled"},
                )
            otp_login(request, device)
            return render(request, "access/otp_setup.html", {"done": True})
        form.add_error("token", _("验证码不正确，请确认手机时间准确后重试。"))
    qr = segno.make(device.config_url, error="m").svg_inline(scale=4)
    return render(
        request,
        "access/otp_setup.html",
        {
            "form": form,
            "qr": qr,
            "secret": device.config_url.split("secret=")[1].split("&")[0],
            "confirmed": confirmed,
        },
        status=400 if form.errors else 200,
    )
