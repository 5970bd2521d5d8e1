"""Database helpers shared by the apps."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import date
from typing import Any

import psycopg
from django.db import DatabaseError, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

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


def in_list(model: type[Model], field: str, values: Sequence[str | int], using: str = "default") -> RawSQL:
    """``<field> IN (values)`` as a filter condition, for long lists of plain keys.

    ``filter(field__in=values)`` prepares every value through the field, which for the
    thousand blind indexes or codes a bulk import looks up per chunk costs more than
    the query. The values must already be what the column holds (str or int); they
    are parameters, never SQL. Use as ``qs.filter(in_list(Person, "id_number_index", keys))``.
    """
    connection = connections[using]
    quote = connection.ops.quote_name
    meta = model._meta
    model_field = meta.get_field(field)
    if not isinstance(model_field, Field) or model_field.column is None:
        raise TypeError(f"in_list: {model.__name__}.{field} is not a column")
    column = f"{quote(meta.db_table)}.{quote(model_field.column)}"
    target = model_field.target_field if isinstance(model_field, models.ForeignKey) else model_field
    if isinstance(target, models.CharField | models.TextField):
        array = "text[]"
    elif isinstance(target, models.IntegerField):
        array = "bigint[]"
    else:
        raise TypeError(f"in_list: {model.__name__}.{field} is neither text nor an integer")
    if not values:
        return RawSQL("1 = 0", (), output_field=models.BooleanField())
    # Names come from the model, quoted; the values are parameters.
    if connection.vendor == "postgresql":
        # One parameter: the statement stays short, so psycopg parses it once and caches it,
        # where a thousand placeholders are parsed again on every call. The array's type is
        # said outright: a list of small ints could otherwise go as numeric[], and a bigint
        # column compared with numeric cannot use its index.
        expression, param = pg_array(values, array)
        return RawSQL(f"{column} = ANY({expression})", (param,), output_field=models.BooleanField())  # noqa: S611
    marks = ", ".join(["%s"] * len(values))
    return RawSQL(f"{column} IN ({marks})", tuple(values), output_field=models.BooleanField())  # noqa: S611


# Joins text values into one parameter; no cleaned key, code or name holds it.
_UNIT_SEPARATOR = "\x1f"


def pg_array(values: Sequence[Any], array: str) -> tuple[str, Any]:
    """PostgreSQL: an SQL expression of type ``array`` holding ``values``, and its one parameter.

    The values go joined into one string that the server splits (``string_to_array``):
    Django's psycopg cursors bind parameters on the client, and a Python list is quoted
    element by element in Python (1.4 ms for a thousand blind indexes, against 0.04 ms
    for one string; the whole query took 3.0 ms against 0.5). Text values that hold
    the separator, or are empty (which splitting would lose), go as a list. ``array`` is
    ``text[]``, ``bigint[]`` (values are ints) or ``date[]`` (values are dates).
    """
    if array == "text[]":
        try:
            joined = _UNIT_SEPARATOR.join(values)
        except TypeError:  # not all str
            joined = ""
        if not joined or "" in values or joined.count(_UNIT_SEPARATOR) != len(values) - 1:
            return f"%s::{array}", list(values)
        return "string_to_array(%s, chr(31))", joined
    if array == "bigint[]":
        return "string_to_array(%s, ',')::bigint[]", ",".join(map(str, values))
    if array == "date[]":
        return "string_to_array(%s, ',')::date[]", ",".join(v.isoformat() for v in values)
    raise ValueError(f"pg_array: no way to pass {array}")


@contextmanager
def keyed_lookups(using: str = "default") -> Iterator[None]:
    """Have PostgreSQL answer this block's queries through their indexes, not by reading tables whole.

    For lookups of a thousand keys in a table that a bulk import is filling in the
    same transaction: the statistics lag behind the table, and the planner keeps
    choosing a sequential scan whose cost grows with every chunk written (an index
    probe per key stays flat). Only inside a transaction, and only until the block
    ends: the setting goes back to what it was.
    """
    connection = connections[using]
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cur:
        cur.execute("SELECT current_setting('enable_seqscan'), set_config('enable_seqscan', 'off', true)")
        before = cur.fetchone()[0]
    try:
        yield
    finally:
        # After an error the transaction is lost anyway, and with it the setting; say nothing more.
        with suppress(DatabaseError), connection.cursor() as cur:
            cur.execute("SELECT set_config('enable_seqscan', %s, true)", [before])


def prepared_cursor(using: str = "default") -> Any:
    """A cursor whose statements PostgreSQL parses and plans once per connection.

    For the few statements that run inside every request and cost more to plan than to
    run (the sensitive read's audit statement: planned 0.5 ms, run 0.3 ms). Django's own
    cursors bind parameters on the client and never prepare; this one binds them on the
    server and prepares every statement it runs, so keep it to fixed statement texts.
    Prepared statements are turned off with ``DB_PREPARED_STATEMENTS=0`` (for a pooler in
    transaction mode that does not keep them); then, and on SQLite, whose driver keeps its
    own compiled statements, this is the ordinary cursor. Used as ``with prepared_cursor() as cur``.
    """
    connection = connections[using]
    connection.ensure_connection()
    raw = connection.connection
    if connection.vendor != "postgresql" or getattr(raw, "prepare_threshold", None) is None:
        return connection.cursor()
    cursor: Any = _PreparingCursor(raw)
    # Wrapped as Django wraps its own: errors become django.db's, and debug logging and
    # execute wrappers see the statement.
    if connection.queries_logged:
        return connection.make_debug_cursor(cursor)
    return connection.make_cursor(cursor)


class _PreparingCursor(psycopg.Cursor[Any]):
    """Binds on the server and prepares whatever it runs (``prepared_cursor``)."""

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
    ) -> Any:
        return super().execute(query, params, prepare=True, binary=binary)


# Fields whose database value is the Python value itself, for values of the listed type: a bulk
# insert skips Django's per-value preparation for them. Exact classes only, so that a custom field
# with its own conversion is never mistaken for a plain one.
_PLAIN_FIELDS: dict[type[Field[Any, Any]], tuple[type, ...]] = {
    models.CharField: (str,),
    models.TextField: (str,),
    models.IntegerField: (int,),
    models.BigIntegerField: (int,),
    models.SmallIntegerField: (int,),
    models.PositiveIntegerField: (int,),
    models.PositiveBigIntegerField: (int,),
    models.PositiveSmallIntegerField: (int,),
    models.AutoField: (int,),
    models.BigAutoField: (int,),
    models.SmallAutoField: (int,),
    models.BooleanField: (bool,),
}


def _plain_types(field: Field[Any, Any]) -> tuple[type, ...]:
    """The types whose values ``value_preparer`` passes through for this field, None's included."""
    target = field.target_field if isinstance(field, models.ForeignKey) else field
    plain = _PLAIN_FIELDS.get(type(target))
    return (*plain, type(None)) if plain is not None else ()


def value_preparer(
    field: Field[Any, Any], connection: BaseDatabaseWrapper, *, for_copy: bool = False
) -> Callable[[Any], Any]:
    """How one column's values become database values.

    Plain values of plain fields are passed through (``bool`` is not taken for an ``int``);
    anything else goes through the field's own ``get_db_prep_save``, remembered per value
    because dates and choices repeat across a batch. ``for_copy``: for PostgreSQL's
    ``COPY``, which hands every column to the server as text, JSON values, dates and
    times come as their text (see ``_as_copy_text``).
    """
    plain = _plain_types(field)
    prep = _as_copy_text(field.get_db_prep_save) if for_copy else field.get_db_prep_save
    if plain:

        def prepare_plain(value: Any) -> Any:
            return value if type(value) in plain else prep(value, connection)

        return prepare_plain
    if for_copy and type(field) is models.DateField:
        # A date is its ISO text, whatever the field would first make of it: birth dates are
        # mostly distinct within a batch, so remembering them cost more than it saved.
        memoized = _memoized(prep, connection)
        return lambda value: value.isoformat() if type(value) is date else memoized(value)
    return _memoized(prep, connection)


def _memoized(
    prep: Callable[[Any, BaseDatabaseWrapper], Any], connection: BaseDatabaseWrapper
) -> Callable[[Any], Any]:
    """``prep`` for one column's values, remembered per value (see ``value_preparer``)."""
    memo: dict[Any, Any] = {}
    # Unhashable values (a JSON list or dict) by identity: a bulk insert often gives one
    # object to many rows (a version's list of fields filled). Each is held with its
    # prepared form, so its id cannot be reused by another object meanwhile; rows are
    # not to change such an object between them.
    shared: dict[int, tuple[Any, Any]] = {}

    def prepare(value: Any) -> Any:
        key = (type(value), value)  # True and 1 are equal keys, but not the same JSON
        try:
            return memo[key]
        except KeyError:
            memo[key] = out = prep(value, connection)
            return out
        except TypeError:
            held = shared.get(id(value))
            if held is not None and held[0] is value:
                return held[1]
            out = prep(value, connection)
            if len(shared) < SHARED_VALUES:
                shared[id(value)] = (value, out)
            return out

    return prepare


def _as_copy_text(
    prep: Callable[[Any, BaseDatabaseWrapper], Any],
) -> Callable[[Any, BaseDatabaseWrapper], Any]:
    """``prep``, with JSON values, dates and times turned into the text ``COPY`` sends.

    A value shared by many rows (a version's list of fields filled, a batch's time, the
    usual birth dates) is then encoded once, not by psycopg once a row: its dumpers took
    1.6 µs for an aware datetime and 0.7 µs for a date, against 0.2 µs for a string, so a
    person's four dates and times cost more than its other 20 columns together.
    ISO 8601 is what the server reads whatever its DateStyle; an aware time keeps its offset.
    """
    from psycopg.types.json import Json, Jsonb

    def as_text(value: Any, connection: BaseDatabaseWrapper) -> Any:
        out = prep(value, connection)
        if isinstance(out, date):  # a datetime is a date too
            return out.isoformat()
        if not isinstance(out, Json | Jsonb):
            return out
        text = (out.dumps or json.dumps)(out.obj)
        return text.decode() if isinstance(text, bytes) else text

    return as_text


# Distinct unhashable values remembered per column and call: enough for the shared ones,
# bounded for a column where every row has its own.
SHARED_VALUES = 64


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
    model = type(objs[0])
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.generated and not f.primary_key]
    # Only fields that change a value on save (auto_now, files) need ``pre_save``.
    plain_save = [type(f).pre_save is Field.pre_save for f in fields]
    rows = (
        [
            getattr(obj, f.attname) if plain else f.pre_save(obj, True)
            for f, plain in zip(fields, plain_save, strict=True)
        ]
        for obj in objs
    )
    ids = insert_rows(
        model, [f.attname for f in fields], rows, count=len(objs), batch_size=batch_size, using=using
    )
    pk = meta.pk
    assert pk is not None
    for obj, new_id in zip(objs, ids, strict=True):
        setattr(obj, pk.attname, new_id)
        obj._state.adding = False
        obj._state.db = using


def insert_rows(
    model: type[Model],
    names: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    count: int,
    constants: Mapping[str, Any] | None = None,
    batch_size: int = 2000,
    using: str = "default",
) -> list[int]:
    """Insert ``count`` new rows given as plain values and return their primary keys, in order.

    ``names`` are the model's field attnames (``person_id`` for a foreign key) and each
    row holds their values as the model instance would; ``constants`` gives fields one
    value for every row. The model's other fields get what a new instance would get:
    their default, and the current time for ``auto_now`` and ``auto_now_add`` (once for
    the call, not per row). Building no model instances
    is what makes a bulk import of a million rows affordable; the keys are reserved as
    ``insert_many`` does. Must run inside a transaction.
    """
    connection = connections[using]
    if not connection.in_atomic_block:
        raise RuntimeError("insert_rows must run inside a transaction")
    if count == 0:
        return []
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    by_name = {f.attname: f for f in meta.concrete_fields if not f.generated}
    given = [by_name[name] for name in names]
    fixed = dict(constants or {})
    named = set(names) | set(fixed)
    if len(named) != len(names) + len(fixed):
        raise ValueError("insert_rows: a field is both in names and in constants")
    rest = [by_name[name] for name in fixed]
    rest += [f for f in by_name.values() if f.attname not in named and f is not pk]
    for_copy = connection.vendor == "postgresql"
    tail = tuple(
        value_preparer(f, connection, for_copy=for_copy)(
            fixed[f.attname] if f.attname in fixed else _new_value(f)
        )
        for f in rest
    )
    # Values already of a plain field's type go as they are, without a call each.
    prepare = [
        (i, _plain_types(f), value_preparer(f, connection, for_copy=for_copy)) for i, f in enumerate(given)
    ]
    quote = connection.ops.quote_name
    table = meta.db_table
    columns = ", ".join(quote(f.column) for f in [pk, *given, *rest])
    marks = ", ".join(["%s"] * (1 + len(given) + len(rest)))
    # Table and column names come from the model, quoted; values are parameters.
    sql = f"INSERT INTO {quote(table)} ({columns}) VALUES ({marks})"  # noqa: S608
    with connection.cursor() as cur:
        ids = _reserve_ids(cur, connection.vendor, table, pk.column, count)
        source = iter(rows)
        for start in range(0, count, batch_size):
            batch = []
            for new_id, row in zip(ids[start : start + batch_size], source, strict=False):
                values = list(row)
                for i, plain, prep in prepare:
                    value = values[i]
                    if type(value) not in plain:
                        values[i] = prep(value)
                batch.append((new_id, *values, *tail))
            if len(batch) != min(batch_size, count - start):
                raise ValueError("insert_rows: fewer rows than count")
            if connection.vendor == "postgresql":
                # COPY: one stream instead of a statement per row, several times faster.
                with cur.cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
                    for record in batch:
                        copy.write_row(record)
            else:
                insert_grouped(cur, sql, marks, batch)
        if next(source, None) is not None:
            raise ValueError("insert_rows: more rows than count")
    return ids


# SQLite: rows per INSERT statement. Each statement's execution has a fixed cost, which
# triggers pay again (the name-character index on people_person); within the
# 999-parameter limit of older SQLite builds.
_ROWS_PER_STATEMENT = 20
_SQLITE_MAX_PARAMS = 999


class TextJSONEncoder(json.JSONEncoder):
    """JSON with characters as themselves, not ``\\u5f20`` escapes. PostgreSQL's jsonb keeps
    characters either way; SQLite stores the text as given, and a LIKE over it (former
    names in the name search) must see 张, not its escape."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ensure_ascii"] = False
        super().__init__(*args, **kwargs)


def insert_grouped(
    cur: Any, sql: str, marks: str, batch: list[tuple[Any, ...]], rows: int = _ROWS_PER_STATEMENT
) -> None:
    """``executemany`` of ``sql`` (one row of ``marks``) over ``batch``, up to ``rows`` rows a statement."""
    width = len(batch[0]) if batch else 1
    per = max(1, min(rows, _SQLITE_MAX_PARAMS // width))
    whole = len(batch) - len(batch) % per
    if per > 1 and whole:
        grouped = sql + f", ({marks})" * (per - 1)
        cur.executemany(
            grouped, [tuple(v for row in batch[i : i + per] for v in row) for i in range(0, whole, per)]
        )
    if whole < len(batch):
        cur.executemany(sql, batch[whole:])


def _new_value(field: Field[Any, Any]) -> Any:
    """The value a field of a new, unsaved instance has when it is saved (what ``pre_save`` gives)."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return timezone.now() if isinstance(field, models.DateTimeField) else date.today()
    return field.get_default()


def _reserve_ids(cur: Any, vendor: str, table: str, column: str, count: int) -> list[int]:
    if vendor == "postgresql":
        # The sequence is looked up first and named as a constant: taken from a subquery,
        # nextval() opened it again for every number, six times as slow (7.4 against
        # 1.2 ms for a thousand). One row holding an array: a thousand result rows cost
        # more to send and read than the sequence does to hand out the numbers.
        cur.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
        sequence = cur.fetchone()[0]
        cur.execute("SELECT array_agg(nextval(%s::regclass)) FROM generate_series(1, %s)", [sequence, count])
        return list(cur.fetchone()[0])
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


@contextmanager
def foreign_keys_checked_per_statement(using: str = "default") -> Iterator[None]:
    """On PostgreSQL, inside a transaction: check foreign keys as each statement ends.

    The project's foreign keys are ``DEFERRABLE INITIALLY DEFERRED`` (Django's
    default), so PostgreSQL checks every row's at the commit. A bulk writer's
    transaction then ends with all of them at once, on one core while nothing else
    runs: 12 s at the end of a million-row import. Checked as each statement ends,
    they overlap the rest of the work instead. Set once, before the writes: switching
    to IMMEDIATE after each batch instead (inside the batch's savepoint) made the
    server walk the transaction's earlier rows again each time, and that import took
    154 s instead of 118. Afterwards the transaction is put back as it was (every
    constraint deferred).
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    yield
    # Not after an error: the transaction or savepoint is rolled back, and its mode with it.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
