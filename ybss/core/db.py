"""Database helpers shared by the apps."""

from __future__ import annotations

from django.db import connections
from django.db.models import Q

# Codes are made of digits, capital letters and "-", all below "~" in byte order.
_CODE_CEILING = "~"


def prefix_q(field: str, prefix: str, using: str = "default") -> Q:
    """``field`` starts with ``prefix``, written so that the index on ``field`` is used.

    Django spells startswith as ``LIKE … ESCAPE '\\'`` and SQLite never uses an
    index for a LIKE with ESCAPE, so a prefix query there would scan the whole
    table. A range on the byte order is the same test and uses the index.
    PostgreSQL keeps LIKE, which its ``varchar_pattern_ops`` index serves
    whatever the database's collation.
    """
    if connections[using].vendor == "sqlite":
        return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + _CODE_CEILING})
    return Q(**{f"{field}__startswith": prefix})
