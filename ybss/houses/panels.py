"""The house section of an address page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ybss.access.roles import Cap
from ybss.access.scope import scope_for
from ybss.addresses.models import AddressNode, Kind
from ybss.core import panels

from .models import House


def house_panel(request: HttpRequest, node: AddressNode) -> tuple[str, dict[str, Any]] | None:
    scope = scope_for(request.user)
    if node.kind not in (Kind.ROOM, Kind.DOORPLATE) or not scope.can(Cap.PERSON_LIST):
        return None
    house = House.objects.filter(address=node, active=True).first()
    tenancies = list(house.current_tenancies()) if house else []
    return "houses/_panel.html", {
        "node": node,
        "house": house,
        "tenancies": tenancies,
        "can_edit": scope.can(Cap.PERSON_EDIT) and scope.covers(node.code) and node.is_in_use,
    }


panels.register(house_panel)
