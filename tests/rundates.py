"""Dates relative to today, worked out when a test runs rather than when it is collected.

A parametrize list is built at collection; a run that crosses midnight (Asia/Shanghai)
would otherwise check "tomorrow" against a today that has become it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.utils import timezone


@dataclass(frozen=True)
class DaysFromToday:
    days: int
    iso: bool = False

    def resolve(self) -> date | str:
        day = timezone.localdate() + timedelta(days=self.days)
        return day.isoformat() if self.iso else day


TOMORROW = DaysFromToday(1)
TOMORROW_TEXT = DaysFromToday(1, iso=True)


def at_run_time(fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` with every :class:`DaysFromToday` replaced by its date."""
    return {k: v.resolve() if isinstance(v, DaysFromToday) else v for k, v in fields.items()}
