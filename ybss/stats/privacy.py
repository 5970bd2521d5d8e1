"""Small counts below station level (docs/statistics.md, "Small counts").

A viewer who may open the records behind a figure (``person.list``: every list a
figure links to is guarded by it) sees exact numbers: the list would show them
anyway. Anyone else, and every exported report, sees counts from 1 to
``YBSS_STATS_MIN_CELL - 1`` in an area below station level as "<N", so that a small
group cannot be singled out. Zero is shown as zero.
"""

from __future__ import annotations

from django.conf import settings

from ybss.access.roles import Cap
from ybss.access.scope import Scope


def min_cell() -> int:
    return int(getattr(settings, "YBSS_STATS_MIN_CELL", 5))


def sees_records(scope: Scope) -> bool:
    return scope.can(Cap.PERSON_LIST)


def hidden(value: int, below_station: bool, exact: bool) -> bool:
    return below_station and not exact and 0 < value < min_cell()


def shown(value: int, below_station: bool, exact: bool) -> str:
    """The count as the viewer may see it."""
    return f"<{min_cell()}" if hidden(value, below_station, exact) else str(value)
