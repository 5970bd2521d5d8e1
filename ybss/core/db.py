"""Database helpers shared by the apps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connections
from django.db.models import Model, Q

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


def insert_many(objs: Sequence[Model], batch_size: int = 2000, using: str = "default") -> None:
    """Insert new model instances with plain ``executemany`` and set their primary keys.

    What ``bulk_create`` does for a bulk import, without its per-value SQL
    compilation, which costs more than the database does at a million rows.
    Primary keys are reserved first: from the sequence on PostgreSQL, and on
    SQLite by taking the write lock before reading the largest key, so no other
    writer can take the same numbers. Must run inside a transaction.
    """
    if not objs:
        return
    if not connections[using].in_atomic_block:
        raise RuntimeError("insert_many must run inside a transaction")
    model = type(objs[0])
    meta = model._meta
    connection = connections[using]
    table = meta.db_table
    pk = meta.pk
    assert pk is not None
    fields = [f for f in meta.concrete_fields if not f.generated]
    quote = connection.ops.quote_name
    with connection.cursor() as cur:
        ids = _reserve_ids(cur, connection.vendor, table, pk.column, len(objs))
        for obj, new_id in zip(objs, ids, strict=True):
            setattr(obj, pk.attname, new_id)
        columns = ", ".join(quote(f.column) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        # Table and column names come from the model, quoted; values are parameters.
        sql = f"INSERT INTO {quote(table)} ({columns}) VALUES ({marks})"  # noqa: S608
        prepare = [(f, f.get_db_prep_save) for f in fields]
        for start in range(0, len(objs), batch_size):
            rows = [
                [prep(f.pre_save(obj, True), connection) for f, prep in prepare]
                for obj in objs[start : start + batch_size]
            ]
            if connection.vendor == "postgresql":
                # COPY: one stream instead of a statement per row, several times faster.
                with cur.cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cur.executemany(sql, rows)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using


def _reserve_ids(cur: Any, vendor: str, table: str, column: str, count: int) -> list[int]:
    if vendor == "postgresql":
        cur.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, column, count],
        )
        return [row[0] for row in cur.fetchall()]
    # SQLite: a write takes the database's write lock, so the largest key read next stays the largest.
    cur.execute("UPDATE sqlite_sequence SET seq = seq WHERE name = %s", [table])
    cur.execute(f'SELECT COALESCE(MAX("{column}"), 0) FROM "{table}"')  # noqa: S608 - names from the model
    top = int(cur.fetchone()[0])
    cur.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
    row = cur.fetchone()
    top = max(top, int(row[0]) if row else 0)
    if row:
        cur.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [top + count, table])
    else:
        cur.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, top + count])
    return list(range(top + 1, top + count + 1))
