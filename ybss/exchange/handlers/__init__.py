"""One import handler per kind of file; each validates rows and applies them through actions."""

from __future__ import annotations

from typing import Any

from .persons import PersonsHandler

HANDLERS: dict[str, Any] = {
    "persons": PersonsHandler,
}
