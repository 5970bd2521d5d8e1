from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    from ybss.access.scope import scope_for

    user = getattr(request, "user", None)
    return {"YBSS_REGION": settings.YBSS_REGION, "DEBUG": settings.DEBUG, "caps": scope_for(user).caps}
