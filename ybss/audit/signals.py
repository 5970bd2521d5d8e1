"""Logins, failed logins and logouts go into the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver

from . import log
from .context import ip_of
from .models import Action, Outcome


def _ip(request: Any) -> str:
    return ip_of(request) if request is not None else ""


@receiver(user_logged_in)
def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    with transaction.atomic():
        log.record(user, Action.LOGIN, ip=_ip(request))


@receiver(user_logged_out)
def on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        with transaction.atomic():
            log.record(user, Action.LOGOUT, ip=_ip(request))


@receiver(user_login_failed)
def on_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # Never the password: Django already replaces it, but take only the name.
    username = str(credentials.get("username", ""))[:150]
    with transaction.atomic():
        log.record(None, Action.LOGIN_FAILED, outcome=Outcome.FAILED, ip=_ip(request), actor_name=username)
