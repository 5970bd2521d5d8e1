"""API glue shared by every app: error shape."""

from __future__ import annotations

from typing import Any

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ybss.core.errors import ActionError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ActionError):
        return Response(exc.as_dict(), status=400)
    return drf_exception_handler(exc, context)
