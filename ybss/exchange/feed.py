"""The change feed: which registry records changed, in order, each change once.

``GET /api/v1/changes?since=<cursor>&limit=<n>`` reads the audit log
(``ybss.audit``), not a table of its own. Every change to registry data is
already an audit event, written in the action's own transaction, and
``audit.log.record`` numbers events under a row lock on ``AuditHead`` that is
held until the transaction commits. So ``seq`` has no gaps, and an event
becomes visible only after every event numbered before it: a reader that
remembers the last ``seq`` it has seen and asks for what comes after it gets
every change exactly once, in order, across restarts on both sides.

What an item says, and what it never says:

* the cursor of the event, its time, the action (``create``, ``change``,
  ``merge``, ``delete``, ``import``), the records it touched as
  ``{"kind", "key"}`` (address code, person id, house id, unit id, road,
  tenancy, licence and employment ids) and, when the action noted them, the
  names of the fields that changed;
* never a value: no names, ID numbers, phones or addresses in clear. A
  consumer that wants the new state reads the record through the API, with
  its token's masking and scope.

Reads (full records, exports, searches), logins and account changes are not
changes to the registry and never appear.

Scope: an API token (or a signed-in user) sees an event only when at least one
of the records it names lies inside the jurisdiction now, and the item lists
only those records. People count as inside where they live or are registered,
houses and units where their address is, tenancies, licences and employments
where their house or unit is. The lookups are made once per page, one query
per kind of record. Events the reader may not see still move the cursor on,
so a narrow jurisdiction does not re-read the same stretch of log.

Cursors are ``v1.<seq>``. They are to be stored and sent back as they are;
the ``v1`` leaves room to change what follows without breaking stored ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ybss.access.decorators import HasCapability
from ybss.access.roles import Cap
from ybss.access.scope import Scope, scope_for
from ybss.addresses.models import Road
from ybss.audit.models import Action, AuditEvent, AuditHead, Outcome
from ybss.core.errors import ActionError
from ybss.houses.models import House, Tenancy
from ybss.people.models import Person
from ybss.units.models import Employment, Licence, Unit

DATA_ACTIONS = (Action.CREATE, Action.CHANGE, Action.MERGE, Action.DELETE, Action.IMPORT)
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
# Events looked at in one request at most: a token that may see little of the
# log still gets a quick answer (with ``has_more``) instead of a long scan.
MAX_SCAN = 10_000
# Keys per IN (...) list; below SQLite's old limit of 999 parameters.
IN_CHUNK = 900
CURSOR_RE = re.compile(r"v1\.(\d{1,18})")
LATEST = "latest"

# Kinds of record keyed by primary key, with the code that places them in a jurisdiction.
SCOPE_FIELD: dict[str, tuple[type[Model], str]] = {
    "house": (House, "address__code"),
    "unit": (Unit, "address__code"),
    "tenancy": (Tenancy, "house__address__code"),
    "licence": (Licence, "unit__address__code"),
    "employment": (Employment, "unit__address__code"),
}
ENTITY_KINDS = frozenset({"address", "person", "road", *SCOPE_FIELD})


def encode_cursor(seq: int) -> str:
    return f"v1.{seq}"


def head_seq() -> int:
    return AuditHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0


def decode_cursor(raw: str | None) -> int:
    """The ``seq`` a cursor stands for: 0 without one, the newest event for ``latest``."""
    raw = (raw or "").strip()
    if not raw:
        return 0
    if raw == LATEST:
        return head_seq()
    m = CURSOR_RE.fullmatch(raw)
    if m is None:
        raise ActionError(
            "游标格式不正确：请原样使用上一次响应中的 next 或条目的 cursor，或不带 since 从头读取。",
            field="since",
        )
    return int(m.group(1))


def parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ActionError(f"每页条数应为 1 到 {MAX_LIMIT} 之间的整数。", field="limit")
    return int(raw)


@dataclass
class FeedPage:
    items: list[dict[str, Any]]
    next: str
    has_more: bool

    def as_dict(self) -> dict[str, Any]:
        return {"items": self.items, "next": self.next, "has_more": self.has_more}


def _chunks(values: list[int], size: int = IN_CHUNK) -> Iterator[list[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _scoped(kind: str, scope: Scope) -> QuerySet[Any]:
    if kind == "person":
        return Person.objects.filter(scope.q("residence_code") | scope.q("domicile_code"))
    if kind == "road":  # as on the pages: a township's roads serve its communities
        return Road.objects.filter(scope.q_with_ancestors("division__code"))
    model, field = SCOPE_FIELD[kind]
    return model._default_manager.filter(scope.q(field))


def visible_entities(scope: Scope, targets: Iterable[str]) -> set[str]:
    """Which of ``targets`` ("kind:key") lie inside the scope now; one query per kind."""
    wanted: dict[str, set[str]] = {}
    for target in targets:
        kind, _, key = target.partition(":")
        if kind in ENTITY_KINDS and key:
            wanted.setdefault(kind, set()).add(key)
    visible = {f"address:{code}" for code in wanted.pop("address", set()) if scope.covers(code)}
    for kind, keys in wanted.items():
        pks = sorted({int(k) for k in keys if k.isdigit()})
        for part in _chunks(pks):
            found = _scoped(kind, scope).filter(pk__in=part).values_list("pk", flat=True)
            visible.update(f"{kind}:{pk}" for pk in found)
    return visible


def _item(seq: int, at: Any, action: str, entities: list[str], extra: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "cursor": encode_cursor(seq),
        "time": timezone.localtime(at).isoformat(),
        "action": action,
        "entities": [{"kind": k, "key": v} for k, _, v in (e.partition(":") for e in entities)],
    }
    fields = extra.get("fields") if isinstance(extra, dict) else None
    if isinstance(fields, list):
        item["fields"] = [f for f in fields if isinstance(f, str)]
    return item


def _changes() -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(action__in=DATA_ACTIONS, outcome=Outcome.OK)


def read_changes(user: Any, since: int, limit: int = DEFAULT_LIMIT) -> FeedPage:
    """Up to ``limit`` changes after ``since`` that ``user`` (or token) may see."""
    scope = scope_for(user)
    head = head_seq()
    if since > head:
        raise ActionError(
            "游标超出了变更记录的末尾：它不是本系统发出的，或数据库已从较早的备份恢复。请从头读取。",
            field="since",
        )
    items: list[dict[str, Any]] = []
    position, scanned = since, 0
    batch_size = max(limit, 200)
    while len(items) < limit and scanned < MAX_SCAN:
        batch = list(
            _changes()
            .filter(seq__gt=position, seq__lte=head)
            .order_by("seq")
            .values_list("seq", "at", "action", "targets", "extra")[: min(batch_size, MAX_SCAN - scanned)]
        )
        if not batch:
            # Every event up to the head has committed and been looked at: none can
            # appear below it later, so the cursor may move past the trailing reads too.
            position = head
            break
        visible = visible_entities(scope, (t for row in batch for t in row[3]))
        for seq, at, action, targets, extra in batch:
            position, scanned = seq, scanned + 1
            entities = [t for t in targets if t in visible]
            if entities:
                items.append(_item(seq, at, action, entities, extra))
                if len(items) >= limit:
                    break
    has_more = _changes().filter(seq__gt=position).exists()
    return FeedPage(items, encode_cursor(position), has_more)


# --- API ------------------------------------------------------------------------------


class FeedEntitySerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(
        choices=sorted(ENTITY_KINDS),
        help_text="记录类型：address 标准地址、person 人员、house 房屋、unit 单位、road 街路巷、"
        "tenancy 租赁、licence 证照、employment 从业",
    )
    key = serializers.CharField(
        help_text="标准地址为地址编码，其余为记录编号（与 /api/v1/ 下各接口的 id 相同）"
    )


# A field called "fields" cannot be declared on a Serializer class; inline_serializer takes a dict.
FeedChangeSerializer = inline_serializer(
    name="FeedChange",
    fields={
        "cursor": serializers.CharField(help_text="此条之后继续读取时作为 since 传入"),
        "time": serializers.DateTimeField(),
        "action": serializers.ChoiceField(choices=[a.value for a in DATA_ACTIONS]),
        "entities": FeedEntitySerializer(many=True),
        "fields": serializers.ListField(
            child=serializers.CharField(), required=False, help_text="修改了哪些字段（只有字段名，没有值）"
        ),
    },
)


class FeedPageSerializer(serializers.Serializer[Any]):
    items = serializers.ListField(child=FeedChangeSerializer)
    next = serializers.CharField(help_text="下一次请求的 since；保存下来，重启后接着用")
    has_more = serializers.BooleanField(help_text="为 true 时立即再取下一页")


class ChangeFeedView(APIView):
    permission_classes = [HasCapability]
    capabilities = {"read": Cap.CHANGE_FEED, "write": Cap.CHANGE_FEED}

    @extend_schema(
        summary="变更订阅：按顺序读取辖区内记录的变更",
        description=(
            "按发生顺序返回登记数据的变更（新建、修改、合并、删除/拆除、导入），每条恰好一次。"
            "条目只含记录类型和编号及修改的字段名，不含任何个人信息；需要最新内容时按编号调用相应接口读取。"
            "只返回令牌辖区内的记录。把响应中的 next 保存下来，下次作为 since 传入；"
            "has_more 为 true 时立即继续读取，否则稍后轮询。"
            "不带 since 从最早的变更开始；since=latest 不返回条目，只给出当前末尾的游标。"
            "示例客户端见 docs/examples/change_feed_client.py。"
        ),
        parameters=[
            OpenApiParameter(
                "since",
                OpenApiTypes.STR,
                description="游标：上一次响应的 next（或某条目的 cursor），或 latest",
            ),
            OpenApiParameter(
                "limit", OpenApiTypes.INT, description=f"每页最多条数，默认 {DEFAULT_LIMIT}，最大 {MAX_LIMIT}"
            ),
        ],
        responses={
            200: FeedPageSerializer,
            400: OpenApiResponse(description='游标或条数不正确，如 {"since": ["游标格式不正确……"]}'),
            429: OpenApiResponse(description="超出令牌的每分钟请求上限；按 Retry-After 秒数等待后重试"),
        },
        examples=[
            OpenApiExample(
                "一页变更",
                response_only=True,
                value={
                    "items": [
                        {
                            "cursor": "v1.1042",
                            "time": "2025-06-01T09:30:12.345678+08:00",
                            "action": "change",
                            "entities": [{"kind": "person", "key": "5120"}],
                            "fields": ["phone"],
                        },
                        {
                            "cursor": "v1.1043",
                            "time": "2025-06-01T09:31:40.120000+08:00",
                            "action": "create",
                            "entities": [
                                {"kind": "house", "key": "877"},
                                {"kind": "address", "key": "130731100002-0001-0003-0002-0502"},
                            ],
                        },
                    ],
                    "next": "v1.1043",
                    "has_more": False,
                },
            )
        ],
    )
    def get(self, request: Request) -> Response:
        since = decode_cursor(request.query_params.get("since"))
        limit = parse_limit(request.query_params.get("limit"))
        return Response(read_changes(request.user, since, limit).as_dict())
