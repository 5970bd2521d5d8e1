"""A map from bytes to bytes, kept in a temporary file rather than in memory.

For what a bulk import remembers about every row of a file (the numbers seen so far, the
new people by name and birth date): held in Python objects that costs a few hundred bytes a
row, so a large enough file would take any amount of memory. Here it costs a bounded page
cache, whatever the number of rows.

SQLite's private temporary database (opened with an empty file name) is a file that SQLite
removes when the connection closes (on Unix, as soon as it has opened it, so not even a killed
process leaves it behind); only ``cache_kib`` of it is held in memory.
Reads and writes go many keys at a time (``get_many``, ``put_many``): one statement per few
hundred keys, not one per key.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

# Comfortably below SQLite's limit on parameters in one statement (999 before 3.32).
_PER_STATEMENT = 500


class DiskMap:
    """``bytes`` to ``bytes``; see the module's docstring.

    The first ``in_memory`` keys are held in a plain dict, which costs nothing to reach: most
    files stay below it. Past it, everything moves to the file (about 5 µs a key to write and
    read back), so memory stops growing there.
    """

    def __init__(self, in_memory: int = 200_000, cache_kib: int = 16 * 1024) -> None:
        self._memory: dict[bytes, bytes] | None = {}
        self._in_memory = in_memory
        self._cache_kib = cache_kib
        self._db: sqlite3.Connection | None = None

    @property
    def on_disk(self) -> bool:
        return self._memory is None

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect("", isolation_level=None)
        # A scratch file: nothing to recover after a crash, so no journal and no syncing. Without
        # a journal a failed write may leave part of itself: whoever owns the map gives it up
        # then (a failed import pass), as a journal in memory made every write half as slow again.
        db.execute(f"PRAGMA cache_size = -{int(self._cache_kib)}")
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.execute("CREATE TABLE m (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID")
        return db

    def get_many(self, keys: Iterable[bytes]) -> dict[bytes, bytes]:
        """The stored value of each of ``keys`` that has one."""
        if self._memory is not None:
            memory = self._memory
            return {k: memory[k] for k in keys if k in memory}
        if self._db is None:
            raise sqlite3.ProgrammingError("DiskMap is closed")
        wanted = list(dict.fromkeys(keys))
        found: dict[bytes, bytes] = {}
        for start in range(0, len(wanted), _PER_STATEMENT):
            part = wanted[start : start + _PER_STATEMENT]
            marks = ", ".join("?" * len(part))  # placeholders only: the keys are parameters
            found.update(self._db.execute(f"SELECT k, v FROM m WHERE k IN ({marks})", part))  # noqa: S608
        return found

    def put_many(self, items: Iterable[tuple[bytes, bytes]]) -> None:
        """Store each (key, value), replacing what a key held before."""
        if self._memory is not None:
            self._memory.update(items)
            if len(self._memory) <= self._in_memory:
                return
            items, self._memory = self._memory.items(), None
            self._db = self._open()
        if self._db is None:
            raise sqlite3.ProgrammingError("DiskMap is closed")
        self._db.execute("BEGIN")
        try:
            self._db.executemany("INSERT OR REPLACE INTO m (k, v) VALUES (?, ?)", items)
        finally:
            self._db.execute("COMMIT")

    def __len__(self) -> int:
        if self._memory is not None:
            return len(self._memory)
        if self._db is None:
            raise sqlite3.ProgrammingError("DiskMap is closed")
        return int(self._db.execute("SELECT count(*) FROM m").fetchone()[0])

    def close(self) -> None:
        self._memory = None
        if self._db is not None:
            self._db.close()
            self._db = None
