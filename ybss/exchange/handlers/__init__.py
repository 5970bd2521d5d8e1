"""One import handler per kind of file; each validates rows and applies them through actions."""

from __future__ import annotations

from typing import Any

from .addresses import AddressesHandler
from .houses import HousesHandler
from .persons import PersonsHandler
from .units import UnitsHandler

HANDLERS: dict[str, Any] = {
    "addresses": AddressesHandler,
    "persons": PersonsHandler,
    "houses": HousesHandler,
    "units": UnitsHandler,
}
