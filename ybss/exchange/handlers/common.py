"""What every import handler needs: cell coercion that reports, address resolution."""

from __future__ import annotations

from collections import OrderedDict
from datetime import date, datetime
from typing import Any

from django.conf import settings

from ybss import addressing
from ybss.access.scope import scope_for, scoped
from ybss.addresses.matching import AddressMatcher
from ybss.addresses.models import AddressNode, Status
from ybss.core.db import in_list
from ybss.lib import sheets

from ..columns import Column
from ..importing import Problem, RowPlan
from ..models import ProblemLevel

_MISS = object()
# Cell values that are immutable and hashable, so a parse of one can be reused.
_MEMO_TYPES = frozenset({str, int, float, date, datetime, type(None)})


class Coercer:
    """Turns one row's raw cells into typed values, noting every bad cell on the plan.

    With ``memo`` (a dict the handler keeps for the file), dates and choices are
    parsed once per distinct cell text: a file repeats the same few of them on
    every row. Only successes are remembered; a bad cell is parsed, and reported,
    on each row.
    """

    MEMO = 50_000

    def __init__(
        self,
        plan: RowPlan,
        raw: dict[str, Any],
        columns: dict[str, Column],
        memo: dict[tuple[Any, ...], Any] | None = None,
    ) -> None:
        self.plan, self.raw, self.columns = plan, raw, columns
        self.memo = memo
        self.failed = False

    def _recall(self, key: tuple[Any, ...], raw: Any) -> Any:
        if self.memo is None or type(raw) not in _MEMO_TYPES:
            return _MISS
        return self.memo.get(key, _MISS)

    def _remember(self, key: tuple[Any, ...], value: Any) -> None:
        if self.memo is not None and type(key[-1]) in _MEMO_TYPES:
            if len(self.memo) >= self.MEMO:
                self.memo.clear()
            self.memo[key] = value

    def _fail(self, key: str, message: str, code: str) -> None:
        self.failed = True
        self.plan.add(key, message, self.raw.get(key), code=code)

    def _required(self, key: str, empty: bool) -> bool:
        column = self.columns[key]
        if empty and column.required:
            self._fail(key, f"{column.header}不能为空。", "required")
            return False
        return True

    def text(self, key: str) -> str:
        try:
            value = sheets.as_text(self.raw.get(key))
        except sheets.CellError as exc:
            self._fail(key, exc.message, exc.code)
            return ""
        self._required(key, not value)
        return value

    def id_number(self, key: str) -> str:
        try:
            value = sheets.as_id_number(self.raw.get(key))
        except sheets.CellError as exc:
            self._fail(key, exc.message, exc.code)
            return ""
        self._required(key, not value)
        return value

    def date(self, key: str) -> date | None:
        raw = self.raw.get(key)
        # Keyed by type too: a date cell and a text cell may be equal keys but read differently.
        memo_key = ("date", type(raw), raw)
        value = self._recall(memo_key, raw)
        if value is _MISS:
            try:
                value = sheets.as_date(raw)
            except sheets.CellError as exc:
                self._fail(key, f"{self.columns[key].header}：{exc.message}", exc.code)
                return None
            self._remember(memo_key, value)
        self._required(key, value is None)
        return value

    def choice(self, key: str, choices: dict[str, str]) -> str:
        raw = self.raw.get(key)
        memo_key = ("choice", key, type(raw), raw)  # a column always has the same choices
        value = self._recall(memo_key, raw)
        if value is _MISS:
            try:
                if raw is None or (isinstance(raw, str) and not raw.strip()):
                    value = ""
                else:
                    value = sheets.as_choice(raw, choices)
            except sheets.CellError as exc:
                self._fail(key, f"{self.columns[key].header}：{exc.message}", exc.code)
                return ""
            self._remember(memo_key, value)
        self._required(key, not value)
        return value


def near_number(a: str, b: str) -> bool:
    """Same length and one digit different, or two adjacent digits swapped: a likely typo.

    For 18-digit IDs only the 17-digit bodies are compared: a typo in a body that
    still passes the check usually comes with a different check character too.
    """
    if len(a) != len(b) or a == b:
        return False
    if len(a) == 18:
        if a[:17] == b[:17]:
            return True
        a, b = a[:17], b[:17]
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    if len(diff) == 1:
        return True
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


class AddressResolver:
    """Free-text address cells to standard addresses, through the address engine.

    Results are remembered per distinct text (files repeat addresses: a family
    shares a room, usually on adjacent rows), with a bound so a million-row file
    keeps flat memory.
    """

    CACHE = 30_000
    # Model instances weigh a couple of KB each; a chunk needs at most a thousand, and
    # one evicted early is only fetched again.
    NODE_CACHE = 20_000

    def __init__(self, actor: Any, fields: tuple[str, ...] = ()) -> None:
        self.actor = actor
        self.is_user = actor is not None and getattr(actor, "is_authenticated", False)
        # Where the handler says which fields of a node it reads, only those are loaded:
        # a whole node is twenty columns made into a model instance, for every row.
        self.fields = fields
        base = scoped(actor, AddressNode.objects.all(), "code") if self.is_user else None
        self.matcher = AddressMatcher(settings.YBSS_REGION, base)
        self.results: OrderedDict[str, tuple[str, str | None, list[dict[str, Any]]]] = OrderedDict()
        self.nodes: OrderedDict[str, AddressNode] = OrderedDict()

    def scope_covers(self, code: str) -> bool:
        return not self.is_user or scope_for(self.actor).covers(code)

    def match(self, text: str) -> tuple[str, str | None, list[dict[str, Any]]]:
        cached = self.results.get(text)
        if cached is not None:
            return cached
        found: tuple[str, str | None, list[dict[str, Any]]]
        code = self.matcher.exact(text)
        if code is not None:
            found = ("confident", code, [])
        else:
            parsed = addressing.parse(text, default_region=settings.YBSS_REGION)
            result = self.matcher.match(parsed)
            found = (str(result["status"]), result["address_code"], result["candidates"][:5])
        self.results[text] = found
        if len(self.results) > self.CACHE:
            self.results.popitem(last=False)
        return found

    def node(self, code: str) -> AddressNode | None:
        node = self.nodes.get(code)
        if node is None:
            node = self._nodes().filter(code=code).first()
            if node is None or not self.scope_covers(node.code):
                return None
            self.nodes[code] = node
            if len(self.nodes) > self.NODE_CACHE:
                self.nodes.popitem(last=False)
        return node

    def _nodes(self) -> Any:
        return AddressNode.objects.only(*self.fields) if self.fields else AddressNode.objects.all()

    def prefetch_for(self, texts: list[str], chosen: set[str]) -> None:
        """Match a chunk's address texts, then load all the nodes they name in a few queries."""
        codes = set(chosen)
        for text in texts:
            if text:
                status, code, _ = self.match(text)
                if status == "confident" and code:
                    codes.add(str(code))
        self.prefetch(codes)

    def prefetch(self, codes: set[str]) -> None:
        wanted = [c for c in codes if c not in self.nodes]
        for start in range(0, len(wanted), 500):
            for node in self._nodes().filter(in_list(AddressNode, "code", wanted[start : start + 500])):
                if self.scope_covers(node.code):
                    self.nodes[node.code] = node
        while len(self.nodes) > self.NODE_CACHE:
            self.nodes.popitem(last=False)

    def resolve(
        self,
        plan: RowPlan,
        key: str,
        text: str,
        raw: Any,
        chosen: str | None,
        kinds: tuple[str, ...] | None = None,
    ) -> AddressNode | None:
        """The standard address for a cell, or None with the reason noted on the plan.

        With ``kinds``, only candidates of those kinds are offered for a choice: a
        person lives in a room, not in the building the engine found for a room
        the base does not have yet; then the address is missing, not unsure.
        """
        if chosen:
            node = self.node(chosen)
            if node is None or node.status != Status.IN_USE:
                plan.add(key, "页面上选择的地址已不存在或不可用，请重新选择。", raw, code="choice_gone")
                return None
            return node
        if not text:
            return None
        status, code, candidates = self.match(text)
        if status == "confident" and code:
            node = self.node(str(code))
            if node is not None:
                return node
        shown = "" if raw is None else str(raw)[:200]
        offered = candidates
        if kinds is not None and candidates:
            self.prefetch({str(c["code"]) for c in candidates})
            offered = [
                c for c in candidates if (n := self.nodes.get(str(c["code"]))) is not None and n.kind in kinds
            ]
        if status == "review" and offered:
            plan.problems.append(
                Problem(
                    key,
                    ProblemLevel.UNSURE,
                    "address_unsure",
                    "地址不能确定对应哪个标准地址，请在页面上从候选地址中选择。",
                    shown,
                    [dict(c, code=str(c["code"])) for c in offered],
                )
            )
        else:
            plan.problems.append(
                Problem(
                    key,
                    ProblemLevel.MISSING,
                    "address_missing",
                    "找不到该标准地址。如确为新地址，请先由地址管理员在标准地址中新增，再重新检查。",
                    shown,
                    [dict(c, code=str(c["code"])) for c in candidates if c.get("score", 0) > 0],
                )
            )
        return None


class RegistryHandler:
    """What the person, house and unit handlers share: who imports, their choices, the
    history reason their writes carry, and the address resolver for the file."""

    # The fields of an address node the handler reads; empty for all of them.
    address_fields: tuple[str, ...] = ()

    def __init__(self, actor: Any, decisions: dict[str, Any], file_name: str = "") -> None:
        self.actor = actor
        self.decisions = decisions
        self.reason = f"批量导入：{file_name}"[:200]
        self.addresses = AddressResolver(actor, self.address_fields)
        self.today = date.today()
