"""Cells that point at records already in the registry: people by ID number, units by credit code.

Houses name their owner, landlord and tenants, units their legal representative
and employees, by identity-document number. These helpers find those people
through the blind index in one query per chunk, and only inside the actor's
jurisdiction: someone registered elsewhere answers like someone not registered
at all, as ``visible_person`` does for the forms.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from typing import Any, TypeVar

from ybss.access import crypto
from ybss.access.scope import scope_for
from ybss.lib import sheets
from ybss.lib.credit_code import CreditCodeError, validate_credit_code
from ybss.lib.idcard import IdNumberError, validate_id_number
from ybss.people.actions import index_key
from ybss.people.models import ID_NUMBER, DocType, Person
from ybss.units.models import BusinessStatus, Unit

from ..importing import RowPlan
from ..models import ProblemLevel

K = TypeVar("K")
V = TypeVar("V")

# Between several numbers in one cell: 、 ， , ; ； or white space.
SEPARATORS = re.compile(r"[、，,;；\s]+")
_RESIDENT_LIKE = re.compile(r"^[0-9]{14}[0-9X]$|^[0-9]{17}[0-9X]$")
_OTHER_DOC = re.compile(r"^[0-9A-Z][0-9A-Z-]{0,29}$")
_OTHER_TYPES = [t for t in DocType.values if t != DocType.RESIDENT_ID]


class Bounded(OrderedDict[K, V]):
    """A dict that forgets its oldest entries past ``limit``, so million-row files keep flat memory."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def __setitem__(self, key: K, value: V) -> None:
        super().__setitem__(key, value)
        if len(self) > self.limit:
            self.popitem(last=False)


def is_user(actor: Any) -> bool:
    return actor is not None and bool(getattr(actor, "is_authenticated", False))


def fingerprint(values: dict[str, Any]) -> bytes:
    return hashlib.blake2b(repr(sorted(values.items())).encode(), digest_size=12).digest()


def skip_repeated(plan: RowPlan, seen: Bounded[bytes, int], values: dict[str, Any]) -> bool:
    """A row identical to an earlier one is skipped with a warning; True if it was."""
    digest = fingerprint(values)
    earlier = seen.get(digest)
    if earlier is not None:
        plan.op = "skip"
        plan.add("", f"与第 {earlier} 行完全相同，已跳过。", level=ProblemLevel.WARNING, code="duplicate_row")
        return True
    seen[digest] = plan.row
    return False


def id_cells(raw: Any, *, several: bool = False) -> list[str]:
    """The numbers in a cell as text; a cell damaged by Excel raises ``CellError``."""
    if raw is None:
        return []
    if several and isinstance(raw, str):
        parts = [p for p in SEPARATORS.split(raw) if p]
        return [sheets.as_id_number(p) for p in parts]
    value = sheets.as_id_number(raw)
    return [value] if value else []


class PersonFinder:
    """Identity-document numbers to registered persons, visible to the actor."""

    CACHE = 100_000

    def __init__(self, actor: Any) -> None:
        self.actor = actor
        # number as normalized here -> person (None: not registered or not visible)
        self.found: Bounded[str, Person | None] = Bounded(self.CACHE)

    def normalize(self, plan: RowPlan, key: str, raw: Any, number: str) -> str | None:
        """The number as stored (15 digits raised to 18), or None with the problem noted."""
        try:
            return validate_id_number(number).number18
        except IdNumberError as exc:
            if _RESIDENT_LIKE.match(number):
                plan.add(key, f"证件号码 {number}：{exc.message}", raw, code=exc.code)
                return None
        if _OTHER_DOC.match(number):
            return number  # a passport or permit number: looked up under the other document types
        plan.add(key, f"证件号码 {number} 格式不正确：应为 18 位身份证号或 1–30 位字母数字。", raw)
        return None

    def load(self, numbers: set[str]) -> None:
        """Look up every number not yet known, in as few queries as the list allows."""
        wanted = [n for n in numbers if n not in self.found]
        for start in range(0, len(wanted), 300):
            batch = wanted[start : start + 300]
            index: dict[str, str] = {}
            for number in batch:
                keys = [number] if _RESIDENT_LIKE.match(number) else []
                keys += [index_key(t, number) for t in _OTHER_TYPES]
                for key in keys:
                    for value in crypto.index_values(ID_NUMBER, key):
                        index[value] = number
            people = list(Person.objects.filter(id_number_index__in=list(index)))
            if is_user(self.actor) and people:
                scope = scope_for(self.actor)
                visible = set(
                    Person.objects.filter(
                        scope.q("residence_code") | scope.q("domicile_code"), pk__in=[p.pk for p in people]
                    ).values_list("pk", flat=True)
                )
                people = [p for p in people if p.pk in visible]
            hits = {index[p.id_number_index]: p for p in people}
            for number in batch:
                self.found[number] = hits.get(number)

    def get(self, plan: RowPlan, key: str, raw: Any, number: str) -> Person | None:
        person = self.found.get(number)
        if person is None:
            plan.add(
                key,
                f"找不到证件号码为 {number} 的人员：请先在实有人口中登记（或导入）此人，再导入本行。",
                raw,
                code="not_found",
            )
        return person


class UnitFinder:
    """Credit codes to registered, not cancelled units visible to the actor."""

    CACHE = 50_000

    def __init__(self, actor: Any) -> None:
        self.actor = actor
        self.found: Bounded[str, Unit | None] = Bounded(self.CACHE)

    def normalize(self, plan: RowPlan, key: str, raw: Any, text: str) -> str | None:
        try:
            return validate_credit_code(text).code
        except CreditCodeError as exc:
            plan.add(key, exc.message + "。", raw, code=exc.code)
            return None

    def load(self, codes: set[str]) -> None:
        wanted = [c for c in codes if c not in self.found]
        if not wanted:
            return
        hits: dict[str, Unit] = {}
        query = Unit.objects.filter(credit_code__in=wanted).exclude(business_status=BusinessStatus.CANCELLED)
        for unit in query.select_related("address"):
            if not is_user(self.actor) or scope_for(self.actor).covers(unit.address.code):
                hits[unit.credit_code] = unit
        for code in wanted:
            self.found[code] = hits.get(code)

    def get(self, plan: RowPlan, key: str, raw: Any, code: str) -> Unit | None:
        unit = self.found.get(code)
        if unit is None:
            plan.add(
                key,
                f"找不到统一社会信用代码为 {code} 的单位：请先登记（或导入）该单位，再导入本行。",
                raw,
                code="not_found",
            )
        return unit
