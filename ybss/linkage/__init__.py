"""Record linkage: find the records of one person, never join two.

Pure Python with no Django import, so that batch jobs, the command line and
the benchmark can run it alone; the registry calls it through thin adapters.
Units and addresses are linked by :mod:`.units` and :mod:`.addresses` (on
:mod:`.core`). See ``docs/linkage.md`` for how it works and what it measures.

>>> table = build_table([
...     ("a", "張偉", "130731199001011231", "", "", "13812345678", ""),
...     ("b", "张伟", "130731199001011321", "", "", "13812345678", ""),  # two digits swapped
... ])
>>> link(table).clusters()
[['a', 'b']]
>>> print(table.compare(0, 1).explain())  # doctest: +NORMALIZE_WHITESPACE
id_number=repair(+10.8); name=exact(+9.0); birth_date=missing(0); gender=missing(0);
phone=exact(+6.0); address=missing(0); household=name_in_household(+5.0)
"""

from __future__ import annotations

from .cluster import ConstrainedUnionFind
from .engine import BLOCKING_KEYS, COLUMNS, Linkage, PersonTable, build_table, link
from .files import LinkageInputError, read_persons
from .scoring import DEFAULT_THRESHOLD, Comparison, FieldComparison

__all__ = [
    "BLOCKING_KEYS",
    "COLUMNS",
    "DEFAULT_THRESHOLD",
    "Comparison",
    "ConstrainedUnionFind",
    "FieldComparison",
    "Linkage",
    "LinkageInputError",
    "PersonTable",
    "build_table",
    "link",
    "read_persons",
]
