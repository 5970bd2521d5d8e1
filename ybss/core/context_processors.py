from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    return {"YBSS_REGION": settings.YBSS_REGION, "DEBUG": settings.DEBUG}
