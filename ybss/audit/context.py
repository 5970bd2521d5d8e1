"""Who is acting and from where, for audit rows written deep inside actions."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse

_client_ip: ContextVar[str] = ContextVar("ybss_client_ip", default="")


def client_ip() -> str:
    return _client_ip.get()


def ip_of(request: HttpRequest) -> str:
    if settings.SECURE_PROXY_SSL_HEADER:  # behind our own proxy: trust its forwarding header
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()[:45]
    return str(request.META.get("REMOTE_ADDR", ""))[:45]


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _client_ip.set(ip_of(request))
        try:
            return self.get_response(request)
        finally:
            _client_ip.reset(token)
