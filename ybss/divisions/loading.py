"""Load the shipped NBS divisions into the database.

Loading is a diff: rows already present with the same name are left alone,
so running it twice writes nothing the second time. Rows are written with
plain parameterised ``executemany`` rather than model instances because the
whole country is 665k rows and must load in well under a minute.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction

from ybss.lib import divisions as data

from .models import Division, DivisionSuccessor

BATCH = 5000


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    successors_created: int = 0

    def __str__(self) -> str:
        return (
            f"新增 {self.created} 条，更新 {self.updated} 条，未变 {self.unchanged} 条；"
            f"新增沿革 {self.successors_created} 条。"
        )


def _in_scope(code: str, scope: str | None) -> bool:
    # A scope brings its ancestors along, so that a county loaded alone still
    # hangs under its province and city.
    return scope is None or code.startswith(scope) or scope.startswith(code)


def validate_scope(scope: str | None) -> str | None:
    if scope is None:
        return None
    code = scope.strip()
    if not code.isdigit() or len(code) not in data.LENGTH_LEVELS:
        raise ValueError(f"区划范围应为 2、4、6、9 或 12 位数字代码：{scope!r}")
    return code


@transaction.atomic
def load_divisions(scope: str | None = None) -> LoadReport:
    """Load every division under ``scope`` (a code prefix) or the whole country."""
    scope = validate_scope(scope)
    records = [r for r in data.iter_divisions() if _in_scope(r.code, scope)]
    if not records:
        raise ValueError(f"区划数据中没有代码 {scope} 开头的区划。")
    codes = {r.code for r in records}
    existing_qs = Division.objects.all()
    if scope is not None:
        existing_qs = existing_qs.within(scope) | existing_qs.filter(code__in=_scope_prefixes(scope))
    existing = dict(existing_qs.values_list("code", "name"))
    known_parents = codes | set(existing)

    report = LoadReport()
    inserts: list[tuple[str, str, str, int, str | None]] = []
    updates: list[tuple[str, str, str]] = []
    for rec in records:
        old = existing.get(rec.code)
        if old is None:
            parent = rec.parent_code
            inserts.append(
                (rec.code, rec.name, rec.short_name, rec.level, parent if parent in known_parents else None)
            )
        elif old != rec.name:
            updates.append((rec.name, rec.short_name, rec.code))
        else:
            report.unchanged += 1

    table = connection.ops.quote_name(Division._meta.db_table)
    columns = "(code, name, short_name, level, parent_id)"
    with connection.cursor() as cur:
        if connection.vendor == "postgresql" and inserts:
            # COPY is several times faster than INSERT for the whole country.
            with cur.cursor.copy(f"COPY {table} {columns} FROM STDIN") as copy:
                for row in inserts:
                    copy.write_row(row)
        else:
            for start in range(0, len(inserts), BATCH):
                cur.executemany(
                    f"INSERT INTO {table} {columns} VALUES (%s, %s, %s, %s, %s)",  # noqa: S608
                    inserts[start : start + BATCH],
                )
        if updates:
            cur.executemany(f"UPDATE {table} SET name = %s, short_name = %s WHERE code = %s", updates)  # noqa: S608
    report.created = len(inserts)
    report.updated = len(updates)
    report.successors_created = _load_successors()
    return report


def _scope_prefixes(scope: str) -> list[str]:
    return [scope[:n] for n in (2, 4, 6, 9, 12) if n <= len(scope)]


def _load_successors() -> int:
    have = set(DivisionSuccessor.objects.values_list("old_code", "new_code"))
    rows = []
    for rec in data.history().values():
        if rec.in_use:
            continue
        for new in data.successor_codes(rec.code):
            if (rec.code, new) not in have:
                rows.append(
                    DivisionSuccessor(old_code=rec.code, old_name=rec.name, abolished=rec.end, new_code=new)
                )
                have.add((rec.code, new))
    DivisionSuccessor.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def resolve_code(code: str) -> Division | None:
    """The division for a code, following the history of abolished county codes.

    A 6-digit code abolished long ago (132530, 涿鹿县 before 1993) resolves to
    its current successor, so old ID numbers and spreadsheets still find
    their place. Longer codes under an abolished county are resolved by their
    county part only when the exact code is unknown.
    """
    code = data.normalize_code(code)
    found = Division.objects.filter(code=code).first()
    if found is not None or len(code) < 6:
        return found
    county = code[:6]
    successors = list(DivisionSuccessor.objects.filter(old_code=county).values_list("new_code", flat=True))
    if not successors:
        successors = [c for c in data.successor_codes(county) if c != county]
    for new in successors:
        hit = Division.objects.filter(code=new).first()
        if hit is not None:
            return hit
    return None
