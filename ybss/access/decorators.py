"""View guards. Each page declares the capability it needs; the access-matrix
test reads that declaration back from the URL conf."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from rest_framework import permissions
from rest_framework.request import Request

from .otp import needs_otp, otp_redirect
from .scope import require, scope_for

View = Callable[..., HttpResponse]


def requires(cap: str) -> Callable[[View], View]:
    """Login, then the capability; 403 without it. Where is up to the view's scoped lookups."""

    def decorate(view: View) -> View:
        @login_required
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if needs_otp(request):
                return otp_redirect(request)
            require(request.user, cap)
            return view(request, *args, **kwargs)

        guarded.ybss_capability = cap  # type: ignore[attr-defined]
        return guarded

    return decorate


class HasCapability(permissions.BasePermission):
    """DRF: the view's ``capabilities`` maps an action (or "read"/"write") to a capability."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        if needs_otp(request):  # a session still waiting for its second factor
            return False
        caps: dict[str, str] = view.capabilities
        action = getattr(view, "action", None) or ""
        cap = caps.get(action) or caps["read" if request.method in permissions.SAFE_METHODS else "write"]
        return scope_for(request.user).can(cap)
