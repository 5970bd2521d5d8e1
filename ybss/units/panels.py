"""The units section of an address page: units at this address or under it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ybss.access.roles import Cap
from ybss.access.scope import scope_for
from ybss.addresses.models import AddressNode, Kind
from ybss.core import panels
from ybss.core.db import prefix_q

from .models import Unit


def units_panel(request: HttpRequest, node: AddressNode) -> tuple[str, dict[str, Any]] | None:
    scope = scope_for(request.user)
    if node.kind == Kind.GROUP or not scope.can(Cap.PERSON_LIST):
        return None
    units = list(
        Unit.objects.filter(scope.q("address__code"))
        .filter(prefix_q("address__code", node.code))
        .select_related("address")
        .order_by("name")[:50]
    )
    return "units/_panel.html", {
        "node": node,
        "units": units,
        "can_edit": scope.can(Cap.PERSON_EDIT) and scope.covers(node.code) and node.is_in_use,
    }


panels.register(units_panel)
