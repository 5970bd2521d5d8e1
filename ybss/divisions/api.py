from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from ybss.access.decorators import HasCapability
from ybss.access.roles import Cap

from .models import Division


class DivisionSerializer(serializers.ModelSerializer[Division]):
    class Meta:
        model = Division
        fields = ["code", "name", "short_name", "level", "parent"]


@extend_schema_view(
    list=extend_schema(
        summary="行政区划列表",
        parameters=[
            OpenApiParameter("parent", str, description="上级区划代码：只列出其直接下级"),
            OpenApiParameter("within", str, description="区划代码前缀：列出该区划及其全部下级"),
            OpenApiParameter("level", int, description="级别 1–5"),
            OpenApiParameter("q", str, description="名称包含"),
        ],
    ),
    retrieve=extend_schema(summary="单个行政区划"),
)
class DivisionViewSet(viewsets.ReadOnlyModelViewSet[Division]):
    serializer_class = DivisionSerializer
    # Division codes are public reference data; they are still behind a login.
    permission_classes = [HasCapability]
    capabilities = {"read": Cap.ADDRESS_VIEW, "write": Cap.ADDRESS_EDIT}
    lookup_field = "code"

    def get_queryset(self) -> QuerySet[Division]:
        qs = Division.objects.all()
        params = self.request.query_params
        if params.get("parent"):
            qs = qs.filter(parent_id=params["parent"])
        if params.get("within"):
            qs = qs.within(params["within"][:12])
        if params.get("level", "").isdigit():
            qs = qs.filter(level=int(params["level"]))
        if params.get("q"):
            qs = qs.filter(short_name__contains=params["q"][:50])
        return qs.order_by("code")
