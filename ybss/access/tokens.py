"""Token authentication for other departments' systems.

A token acts as a user with the "api" role: reading addresses and masked
lists inside the token's jurisdiction, and writing only if it is read-write.
Every request is rate-limited per token.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework import authentication, exceptions, throttling
from rest_framework.request import Request

from .models import ApiToken
from .roles import Cap
from .scope import Scope

# The change feed names changed records by key only, less than the masked lists show.
READ_CAPS = frozenset({Cap.ADDRESS_VIEW, Cap.PERSON_LIST, Cap.CHANGE_FEED})
WRITE_CAPS = frozenset({Cap.ADDRESS_EDIT, Cap.PERSON_EDIT})


class TokenUser:
    """Stands in for a user on token requests; never stored."""

    is_authenticated = True
    is_active = True
    is_anonymous = False
    pk = None
    id = None

    def __init__(self, token: ApiToken) -> None:
        self.token = token
        self.username = f"api:{token.name}"[:150]
        caps = READ_CAPS if token.read_only else READ_CAPS | WRITE_CAPS
        self._ybss_scope = Scope(role="api", caps=caps, prefixes=tuple(token.jurisdiction.all_prefixes()))

    def __str__(self) -> str:
        return self.username

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return False


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[TokenUser, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0] != self.keyword:
            return None
        if len(header) != 2 or not header[1].startswith("ybss_"):
            raise exceptions.AuthenticationFailed("令牌格式不正确。")
        token = (
            ApiToken.objects.select_related("jurisdiction")
            .filter(key_hash=ApiToken.hash_key(header[1]), revoked_at__isnull=True)
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed("令牌无效或已吊销。")
        return TokenUser(token), token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """Per-token limit from the token's own setting; sessions are limited elsewhere."""

    scope = "api_token"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        token = request.auth
        if not isinstance(token, ApiToken):
            return None
        self.num_requests, self.duration = token.rate_per_minute, 60
        return f"throttle_token_{token.pk}"

    def get_rate(self) -> str:
        return "60/min"  # replaced per token in get_cache_key

    def allow_request(self, request: Request, view: Any) -> bool:
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.key = key
        self.history = self.cache.get(key, [])
        self.now = timezone.now().timestamp()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if len(self.history) >= self.num_requests:
            return self.throttle_failure()
        return self.throttle_success()
