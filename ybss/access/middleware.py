from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from .reads import RateLimited


class RateLimitedMiddleware:
    """Turns the read path's RateLimited into a 429 page with Retry-After."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, RateLimited):
            return None
        response = TemplateResponse(
            request, "access/rate_limited.html", {"retry_after": exception.retry_after}, status=429
        )
        response["Retry-After"] = str(exception.retry_after)
        return response.render()
