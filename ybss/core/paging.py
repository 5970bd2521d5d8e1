"""Pagination for lists that may be very long."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.paginator import Paginator

COUNT_CAP = 200


class CappedPaginator(Paginator):
    """Counts at most ``COUNT_CAP + 1`` rows.

    A county-wide search can match tens of thousands of rooms, and counting
    all of them costs more than finding the first page. Nobody pages through
    more than a few pages of results; past the cap the page says "more than 200"
    and asks for a narrower search. Counting and paging then touch at most
    COUNT_CAP + 1 matching rows, however common the search term.
    """

    @cached_property
    def count(self) -> int:
        # Order is irrelevant to a count; dropping it spares the database a sort.
        items: Any = self.object_list
        if hasattr(items, "order_by") and not items.query.is_sliced:
            items = items.order_by()
        head = items[: COUNT_CAP + 1]
        return int(head.count())

    @property
    def cap(self) -> int:
        return COUNT_CAP

    @property
    def capped(self) -> bool:
        return self.count > COUNT_CAP
