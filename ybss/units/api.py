"""REST API for units. Writes call the same actions as the pages."""

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
from ybss.lib.phone import mask_phone

from . import actions
from .models import BusinessStatus, Employment, Licence, SpecialIndustry, Unit, UnitType, UnitVersion

CAPABILITIES = {"read": Cap.PERSON_LIST, "write": Cap.PERSON_EDIT}


class LicenceSerializer(serializers.ModelSerializer[Licence]):
    class Meta:
        model = Licence
        fields = ["id", "kind", "number", "valid_from", "valid_to", "version"]
        read_only_fields = ["id", "version"]


class EmploymentSerializer(serializers.ModelSerializer[Employment]):
    person = serializers.IntegerField(source="person_id", help_text="人员 ID")

    class Meta:
        model = Employment
        fields = ["id", "person", "role", "valid_from", "valid_to", "version"]
        read_only_fields = ["id", "version"]


class VersionRowSerializer(serializers.ModelSerializer[UnitVersion]):
    class Meta:
        model = UnitVersion
        fields = ["record", "record_id", "version", "action", "changes", "reason", "actor_name", "at"]


class UnitSerializer(serializers.ModelSerializer[Unit]):
    address_code = serializers.CharField(source="address.code", read_only=True)
    address_text = serializers.CharField(source="address.full_text", read_only=True)
    special_industries = serializers.ListField(
        source="special_industry_codes", child=serializers.CharField(), read_only=True
    )
    contact_phone = serializers.SerializerMethodField(help_text="脱敏后的联系电话")
    stale = serializers.BooleanField(source="is_stale", read_only=True)
    completeness = serializers.SerializerMethodField(help_text="各必采项是否已采集")
    licences = LicenceSerializer(many=True, read_only=True)

    class Meta:
        model = Unit
        fields = [
            "id",
            "address",
            "address_code",
            "address_text",
            "name",
            "credit_code",
            "unit_type",
            "industry",
            "special_industries",
            "business_status",
            "legal_representative",
            "contact_name",
            "contact_phone",
            "last_confirmed",
            "stale",
            "completeness",
            "licences",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_contact_phone(self, unit: Unit) -> str:
        return mask_phone(unit.contact_phone) if unit.contact_phone_enc else ""

    def get_completeness(self, unit: Unit) -> dict[str, bool]:
        return {str(k): v for k, v in unit.completeness().items()}


class UnitWriteSerializer(serializers.Serializer[Any]):
    """What a client may send; the actions check everything beyond types."""

    address = serializers.IntegerField(help_text="标准地址 ID")
    name = serializers.CharField(max_length=200)
    unit_type = serializers.ChoiceField(choices=UnitType.choices)
    credit_code = serializers.CharField(max_length=40, required=False, allow_blank=True)
    industry = serializers.CharField(max_length=200, required=False, allow_blank=True)
    special_industries = serializers.ListField(
        child=serializers.ChoiceField(choices=SpecialIndustry.choices), required=False
    )
    business_status = serializers.ChoiceField(
        choices=BusinessStatus.choices, required=False, allow_blank=True
    )
    legal_representative = serializers.IntegerField(required=False, allow_null=True, help_text="人员 ID")
    contact_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    last_confirmed = serializers.DateField(required=False)
    version = serializers.IntegerField(required=False, help_text="修改时必填：读取时的版本号")
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class EmploymentWriteSerializer(serializers.Serializer[Any]):
    person = serializers.IntegerField(help_text="人员 ID")
    role = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(required=False, allow_null=True, default=None)


def _fields(actor: Any, data: dict[str, Any]) -> dict[str, Any]:
    """Serializer data as action keyword arguments, resolving ids to records."""
    out = {k: v for k, v in data.items() if k not in ("address", "version", "reason")}
    if "legal_representative" in out:
        out["legal_representative"] = actions.person_by_pk(
            actor, out["legal_representative"], "legal_representative"
        )
    if "address" in data:
        out["address"] = actions.address_by_pk(actor, data["address"])
    return out


@extend_schema_view(
    list=extend_schema(
        summary="实有单位列表",
        parameters=[
            OpenApiParameter("within", str, description="地址编码或区划代码前缀"),
            OpenApiParameter("q", str, description="单位名称包含"),
            OpenApiParameter("industry", str, enum=SpecialIndustry.values, description="特种行业"),
            OpenApiParameter("expiring", int, enum=[30, 60, 90], description="证照在此天数内到期"),
        ],
    ),
    retrieve=extend_schema(summary="单个实有单位（含证照、必采项完整度）"),
    create=extend_schema(
        summary="登记实有单位", request=UnitWriteSerializer, responses={201: UnitSerializer}
    ),
    update=extend_schema(summary="修改实有单位（须带版本号）", request=UnitWriteSerializer),
    partial_update=extend_schema(summary="修改实有单位的部分字段（须带版本号）", request=UnitWriteSerializer),
)
class UnitViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Unit],
):
    serializer_class = UnitSerializer
    permission_classes = [HasCapability]
    capabilities = CAPABILITIES

    def get_queryset(self) -> QuerySet[Unit]:
        qs = scoped(
            self.request.user,
            Unit.objects.select_related("address").prefetch_related("licences"),
            "address__code",
        )
        params = self.request.query_params
        if self.action == "list":
            if params.get("within"):
                qs = qs.filter(prefix_q("address__code", params["within"][:64]))
            if params.get("q"):
                qs = qs.filter(name__contains=params["q"][:50])
            if params.get("industry") in SpecialIndustry.values:
                qs = qs.with_industry(params["industry"])
            if params.get("expiring", "") in ("30", "60", "90"):
                qs = qs.licences_expiring(int(params["expiring"]))
        return qs.order_by("id")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ser = UnitWriteSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        values = _fields(request.user, ser.validated_data)
        unit = actions.create_unit(request.user, reason=ser.validated_data.get("reason", ""), **values)
        return Response(UnitSerializer(unit).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        unit = self.get_object()
        ser = UnitWriteSerializer(data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        if ser.validated_data.get("version") is None:
            raise ActionError("修改时须提供读取时的版本号 version。", field="version")
        unit = actions.update_unit(
            request.user,
            unit,
            expected_version=ser.validated_data["version"],
            reason=ser.validated_data.get("reason", ""),
            **_fields(request.user, ser.validated_data),
        )
        return Response(UnitSerializer(self.get_queryset().get(pk=unit.pk)).data)

    @extend_schema(summary="登记证照", request=LicenceSerializer, responses={201: LicenceSerializer})
    @action(detail=True, methods=["post"])
    def licences(self, request: Request, pk: str | None = None) -> Response:
        ser = LicenceSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        licence = actions.add_licence(request.user, self.get_object(), **ser.validated_data)
        return Response(LicenceSerializer(licence).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="从业人员（GET 列出，POST 登记）",
        request=EmploymentWriteSerializer,
        responses=EmploymentSerializer(many=True),
    )
    @action(detail=True, methods=["get", "post"])
    def employments(self, request: Request, pk: str | None = None) -> Response:
        unit = self.get_object()
        if request.method == "GET":
            return Response(EmploymentSerializer(unit.employments.all(), many=True).data)
        ser = EmploymentWriteSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        person = actions.person_by_pk(request.user, data.pop("person"), "person")
        if person is None:  # pragma: no cover - the serializer requires it
            raise ActionError("找不到该人员。", field="person")
        employment = actions.add_employment(request.user, unit, person, **data)
        return Response(EmploymentSerializer(employment).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="变更历史", responses=VersionRowSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk: str | None = None) -> Response:
        rows = UnitVersion.objects.filter(unit=self.get_object())[:200]
        return Response(VersionRowSerializer(rows, many=True).data)
