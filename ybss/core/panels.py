"""Sections that other apps add to an address page.

The address page is where collectors and officers work: who lives in this
room, the house and its tenancy, the units at this door plate. Each app
registers a function that returns its section for a node (or None), so the
address app needs to know nothing about people, houses or units.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

Panel = Callable[[HttpRequest, Any], tuple[str, dict[str, Any]] | None]
_PANELS: list[Panel] = []


def register(panel: Panel) -> Panel:
    if panel not in _PANELS:
        _PANELS.append(panel)
    return panel


def render_panels(request: HttpRequest, node: Any) -> SafeString:
    parts = []
    for panel in _PANELS:
        section = panel(request, node)
        if section is not None:
            template, context = section
            parts.append(render_to_string(template, context, request=request))
    return mark_safe("".join(parts))  # noqa: S308 - each part is an auto-escaped template
