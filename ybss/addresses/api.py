"""REST API for the address base. Writes call the same actions as the pages."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ybss.access.decorators import HasCapability
from ybss.access.roles import Cap
from ybss.access.scope import scope_for, scoped
from ybss.core.db import prefix_q
from ybss.core.errors import ActionError
from ybss.divisions.models import Division

from . import actions
from .models import AddressChange, AddressNode, Kind, Road, Status

CAPABILITIES = {"read": Cap.ADDRESS_VIEW, "write": Cap.ADDRESS_EDIT, "history": Cap.ADDRESS_VIEW}


class ScopedChoices:
    """Restrict a serializer's related-object choices to the requesting user's jurisdiction,
    so a code outside it is refused exactly like a code that does not exist."""

    def scope_related_fields(self, fields: dict[str, Any]) -> None:
        request = self.context.get("request")  # type: ignore[attr-defined]
        if request is None:
            return
        scope = scope_for(request.user)
        choices = {
            "division": Division.objects.filter(scope.q_with_ancestors("code")),
            "road": Road.objects.filter(scope.q_with_ancestors("division__code")),
            "parent": AddressNode.objects.filter(scope.q("code")),
        }
        for name, qs in choices.items():
            if name in fields:
                fields[name].queryset = qs


class RoadSerializer(ScopedChoices, serializers.ModelSerializer[Road]):
    division = serializers.SlugRelatedField(slug_field="code", queryset=Division.objects.all())

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        self.scope_related_fields(fields)
        return fields

    class Meta:
        model = Road
        fields = ["id", "division", "name", "norm_key", "status", "created_at", "updated_at"]
        read_only_fields = ["id", "norm_key", "status", "created_at", "updated_at"]


class AddressNodeSerializer(ScopedChoices, serializers.ModelSerializer[AddressNode]):
    division = serializers.SlugRelatedField(
        slug_field="code", queryset=Division.objects.all(), required=False
    )
    parent: serializers.PrimaryKeyRelatedField[AddressNode] = serializers.PrimaryKeyRelatedField(  # type: ignore[assignment]
        queryset=AddressNode.objects.all(), required=False, allow_null=True
    )
    road = serializers.PrimaryKeyRelatedField(queryset=Road.objects.all(), required=False, allow_null=True)
    element_class = serializers.IntegerField(read_only=True)

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        self.scope_related_fields(fields)
        return fields

    class Meta:
        model = AddressNode
        fields = [
            "id",
            "code",
            "kind",
            "element_class",
            "division",
            "road",
            "parent",
            "name",
            "norm_key",
            "full_text",
            "status",
            "merged_into",
            "depth",
            "created_at",
            "updated_at",
        ]
        # Only what a client chooses on creation is writable; the rest comes from the actions.
        read_only_fields = [f for f in fields if f not in ("kind", "division", "road", "parent", "name")]


class RoomPatternSerializer(serializers.Serializer[Any]):
    floors = serializers.IntegerField(min_value=1, max_value=99)
    units = serializers.IntegerField(min_value=0, max_value=30)
    rooms_per_floor = serializers.IntegerField(min_value=1, max_value=99)
    first_floor = serializers.IntegerField(min_value=-5, max_value=99, default=1)


class RenameSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)


class MergeSerializer(serializers.Serializer[Any]):
    target = serializers.CharField(max_length=64, help_text="保留的地址编码")


class ChangeSerializer(serializers.ModelSerializer[AddressChange]):
    actor: serializers.StringRelatedField[Any] = serializers.StringRelatedField()

    class Meta:
        model = AddressChange
        fields = ["id", "action", "summary", "before", "after", "actor", "at"]


@extend_schema_view(
    list=extend_schema(
        summary="街路巷列表",
        parameters=[
            OpenApiParameter("division", str, description="区划代码前缀"),
            OpenApiParameter("q", str, description="名称包含"),
        ],
    ),
    retrieve=extend_schema(summary="单条街路巷"),
    create=extend_schema(summary="新建街路巷"),
)
class RoadViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet[Road]
):
    serializer_class = RoadSerializer
    permission_classes = [HasCapability]
    capabilities = CAPABILITIES

    def get_queryset(self) -> QuerySet[Road]:
        scope = scope_for(self.request.user)
        qs = Road.objects.select_related("division").filter(scope.q_with_ancestors("division__code"))
        params = self.request.query_params
        if params.get("division"):
            qs = qs.filter(prefix_q("division__code", params["division"][:12]))
        if params.get("q"):
            qs = qs.filter(name__contains=params["q"][:50])
        return qs.order_by("id")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ser = self.get_serializer(data=request.data)
        ser.is_valid(raise_exception=True)
        road = actions.create_road(request.user, ser.validated_data["division"], ser.validated_data["name"])
        return Response(self.get_serializer(road).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="街路巷更名", request=RenameSerializer, responses=RoadSerializer)
    @action(detail=True, methods=["post"])
    def rename(self, request: Request, pk: str | None = None) -> Response:
        ser = RenameSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        road = actions.rename_road(request.user, self.get_object(), ser.validated_data["name"])
        return Response(self.get_serializer(road).data)


@extend_schema_view(
    list=extend_schema(
        summary="标准地址列表与检索",
        parameters=[
            OpenApiParameter("within", str, description="地址编码或区划代码前缀：只列出其中的地址"),
            OpenApiParameter("q", str, description="检索词：标准地址全称的任意部分，空格分隔多个词"),
            OpenApiParameter("kind", str, enum=Kind.values, description="地址类型"),
            OpenApiParameter("parent", int, description="上级地址 ID：只列出其直接下级"),
            OpenApiParameter("status", str, enum=Status.values, description="状态，默认只列在用"),
        ],
    ),
    retrieve=extend_schema(summary="单个标准地址"),
    create=extend_schema(summary="新建门牌、小区、楼栋、单元或户室"),
)
class AddressNodeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[AddressNode],
):
    serializer_class = AddressNodeSerializer
    permission_classes = [HasCapability]
    capabilities = CAPABILITIES

    def get_queryset(self) -> QuerySet[AddressNode]:
        qs = scoped(self.request.user, AddressNode.objects.select_related("division"), "code")
        params = self.request.query_params
        if self.action == "list":
            qs = qs.filter(status=params.get("status") or Status.IN_USE)
            if params.get("within"):
                qs = qs.within(params["within"][:64])
            if params.get("kind"):
                qs = qs.filter(kind=params["kind"])
            if params.get("parent", "").isdigit():
                qs = qs.filter(parent_id=int(params["parent"]))
            if params.get("q"):
                qs = qs.search(params["q"][:100])
        return qs.order_by("code")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ser = self.get_serializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = ser.validated_data
        node = actions.create_node(
            request.user,
            data["kind"],
            data["name"],
            division=data.get("division"),
            road=data.get("road"),
            parent=data.get("parent"),
        )
        return Response(self.get_serializer(node).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="按规则批量生成单元和户室",
        request=RoomPatternSerializer,
        responses={201: AddressNodeSerializer(many=True)},
    )
    @action(detail=True, methods=["post"])
    def rooms(self, request: Request, pk: str | None = None) -> Response:
        ser = RoomPatternSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        rooms = actions.batch_create_rooms(
            request.user, self.get_object(), actions.RoomPattern(**ser.validated_data)
        )
        return Response(
            {
                "created": len(rooms),
                "first": rooms[0].code if rooms else None,
                "last": rooms[-1].code if rooms else None,
            },
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(summary="更名", request=RenameSerializer, responses=AddressNodeSerializer)
    @action(detail=True, methods=["post"])
    def rename(self, request: Request, pk: str | None = None) -> Response:
        ser = RenameSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        node = actions.rename_node(request.user, self.get_object(), ser.validated_data["name"])
        return Response(self.get_serializer(node).data)

    @extend_schema(summary="合并到另一个地址", request=MergeSerializer, responses=AddressNodeSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, pk: str | None = None) -> Response:
        ser = MergeSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        target = self.get_queryset().filter(code=ser.validated_data["target"]).first()
        if target is None:
            raise ActionError("找不到该地址编码。", field="target")
        node = actions.merge_nodes(request.user, self.get_object(), target)
        return Response(self.get_serializer(node).data)

    @extend_schema(summary="变更历史", responses=ChangeSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk: str | None = None) -> Response:
        changes = AddressChange.objects.filter(node=self.get_object()).select_related("actor")[:200]
        return Response(ChangeSerializer(changes, many=True).data)
