"""REST API for houses and tenancies. Writes call the same actions as the pages."""

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
from ybss.access.scope import scoped
from ybss.core.db import prefix_q
from ybss.core.errors import ActionError
from ybss.units.actions import address_by_pk, person_by_pk

from . import actions
from .models import House, HouseUse, Structure, Tenancy

CAPABILITIES = {"read": Cap.PERSON_LIST, "write": Cap.PERSON_EDIT}


class TenancySerializer(serializers.ModelSerializer[Tenancy]):
    tenants = serializers.SerializerMethodField(help_text="承租人 ID")

    class Meta:
        model = Tenancy
        fields = [
            "id",
            "landlord",
            "tenants",
            "valid_from",
            "valid_to",
            "registration_number",
            "security_agreement_signed",
            "version",
        ]
        read_only_fields = fields

    def get_tenants(self, tenancy: Tenancy) -> list[int]:
        return sorted(p.pk for p in tenancy.tenants.all())


class HouseSerializer(serializers.ModelSerializer[House]):
    address_code = serializers.CharField(source="address.code", read_only=True)
    address_text = serializers.CharField(source="address.full_text", read_only=True)
    stale = serializers.BooleanField(source="is_stale", read_only=True)

    class Meta:
        model = House
        fields = [
            "id",
            "address",
            "address_code",
            "address_text",
            "use",
            "structure",
            "floor_area",
            "owner_person",
            "owner_unit",
            "active",
            "last_confirmed",
            "stale",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class HouseWriteSerializer(serializers.Serializer[Any]):
    address = serializers.IntegerField(help_text="标准地址 ID（户室或门牌号）")
    use = serializers.ChoiceField(choices=HouseUse.choices)
    structure = serializers.ChoiceField(choices=Structure.choices, required=False, allow_blank=True)
    floor_area = serializers.DecimalField(max_digits=9, decimal_places=2, required=False, allow_null=True)
    owner_person = serializers.IntegerField(required=False, allow_null=True, help_text="产权人 人员 ID")
    owner_unit = serializers.IntegerField(required=False, allow_null=True, help_text="产权单位 ID")
    last_confirmed = serializers.DateField(required=False)
    version = serializers.IntegerField(required=False, help_text="修改时必填：读取时的版本号")
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class TenancyWriteSerializer(serializers.Serializer[Any]):
    tenants = serializers.ListField(child=serializers.IntegerField(), help_text="承租人 ID 列表")
    landlord = serializers.IntegerField(required=False, allow_null=True, default=None)
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(required=False, allow_null=True, default=None)
    registration_number = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    security_agreement_signed = serializers.BooleanField(required=False, default=False)


def _fields(actor: Any, data: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in data.items() if k not in ("address", "version", "reason")}
    if "owner_person" in out:
        out["owner_person"] = person_by_pk(actor, out["owner_person"], "owner_person")
    if "owner_unit" in out:
        out["owner_unit"] = actions.unit_by_pk(actor, out["owner_unit"], "owner_unit")
    return out


@extend_schema_view(
    list=extend_schema(
        summary="实有房屋列表",
        parameters=[
            OpenApiParameter("within", str, description="地址编码或区划代码前缀"),
            OpenApiParameter("use", str, enum=HouseUse.values, description="房屋用途"),
        ],
    ),
    retrieve=extend_schema(summary="单个实有房屋"),
    create=extend_schema(
        summary="登记实有房屋", request=HouseWriteSerializer, responses={201: HouseSerializer}
    ),
    update=extend_schema(summary="修改实有房屋（须带版本号）", request=HouseWriteSerializer),
    partial_update=extend_schema(
        summary="修改实有房屋的部分字段（须带版本号）", request=HouseWriteSerializer
    ),
)
class HouseViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[House],
):
    serializer_class = HouseSerializer
    permission_classes = [HasCapability]
    capabilities = CAPABILITIES

    def get_queryset(self) -> QuerySet[House]:
        qs = scoped(self.request.user, House.objects.select_related("address"), "address__code")
        params = self.request.query_params
        if self.action == "list":
            if params.get("within"):
                qs = qs.filter(prefix_q("address__code", params["within"][:64]))
            if params.get("use") in HouseUse.values:
                qs = qs.filter(use=params["use"])
        return qs.order_by("id")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ser = HouseWriteSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        address = address_by_pk(request.user, ser.validated_data["address"])
        house = actions.create_house(
            request.user,
            address,
            reason=ser.validated_data.get("reason", ""),
            **_fields(request.user, ser.validated_data),
        )
        return Response(HouseSerializer(house).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        house = self.get_object()
        ser = HouseWriteSerializer(data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        if ser.validated_data.get("version") is None:
            raise ActionError("修改时须提供读取时的版本号 version。", field="version")
        house = actions.update_house(
            request.user,
            house,
            expected_version=ser.validated_data["version"],
            reason=ser.validated_data.get("reason", ""),
            **_fields(request.user, ser.validated_data),
        )
        return Response(HouseSerializer(house).data)

    @extend_schema(
        summary="租赁信息（GET 列出，POST 登记）",
        request=TenancyWriteSerializer,
        responses=TenancySerializer(many=True),
    )
    @action(detail=True, methods=["get", "post"])
    def tenancies(self, request: Request, pk: str | None = None) -> Response:
        house = self.get_object()
        if request.method == "GET":
            rows = house.tenancies.prefetch_related("tenants")
            return Response(TenancySerializer(rows, many=True).data)
        ser = TenancyWriteSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        tenants = [person_by_pk(request.user, n, "tenants") for n in data.pop("tenants")]
        tenancy = actions.add_tenancy(
            request.user,
            house,
            tenants=[t for t in tenants if t is not None],
            landlord=person_by_pk(request.user, data.pop("landlord"), "landlord"),
            **data,
        )
        return Response(TenancySerializer(tenancy).data, status=status.HTTP_201_CREATED)
