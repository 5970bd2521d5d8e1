"""REST API for the actual population. Lists and records are masked; the full
record is a POST with a stated purpose, audited like the page."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ybss.access import crypto
from ybss.access.decorators import HasCapability
from ybss.access.reads import purpose_from, sensitive_read
from ybss.access.roles import Cap
from ybss.access.scope import require, scoped
from ybss.addresses.models import AddressNode
from ybss.audit.models import Action
from ybss.core.errors import ActionError
from ybss.lib.idcard import mask_id
from ybss.lib.phone import PhoneError, mask_phone, normalize_phone

from . import actions
from .actions import MoveIn, PersonInput
from .models import (
    PHONE,
    DocType,
    Gender,
    Person,
    Relation,
    ResidenceKind,
    StayReason,
    completeness,
    is_stale,
)
from .views import people_in_scope


class ResidenceSerializer(serializers.Serializer[Any]):
    address = serializers.CharField(source="address.code")
    full_text = serializers.CharField(source="address.full_text")
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(allow_null=True)
    kind = serializers.CharField()
    relation = serializers.CharField()


class PersonSerializer(serializers.Serializer[Person]):
    """What lists and masked records show.

    No birth date: the eight digits a masked ID number hides are the birth date
    (GB 11643), so the two side by side would give the number away. The full
    record carries it.
    """

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField()
    doc_type = serializers.CharField()
    id_number = serializers.SerializerMethodField(help_text="脱敏证件号码")
    phone = serializers.SerializerMethodField(help_text="脱敏电话")
    gender = serializers.CharField()
    nationality = serializers.CharField()
    residence_code = serializers.CharField()
    version = serializers.IntegerField()
    last_confirmed = serializers.DateField()
    stale = serializers.SerializerMethodField()
    completeness = serializers.SerializerMethodField()

    def get_id_number(self, obj: Person) -> str:
        return mask_id(obj.id_number)

    def get_phone(self, obj: Person) -> str:
        return mask_phone(obj.phone)

    def get_stale(self, obj: Person) -> bool:
        return is_stale(obj)

    def get_completeness(self, obj: Person) -> dict[str, bool]:
        return completeness(obj)


class PersonWriteSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=50)
    doc_type = serializers.ChoiceField(choices=DocType.choices, default=DocType.RESIDENT_ID)
    id_number = serializers.CharField(max_length=30)
    gender = serializers.ChoiceField(choices=Gender.choices, required=False, allow_blank=True, default="")
    birth_date = serializers.DateField(required=False, allow_null=True, default=None)
    nationality = serializers.CharField(max_length=3, default="CHN")
    domicile_division = serializers.CharField(max_length=12, required=False, allow_blank=True, default="")
    domicile_detail = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    employer_text = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    version = serializers.IntegerField(required=False, help_text="修改时必填：读取时的版本号")
    # Moving in at the same time as registering:
    address = serializers.CharField(max_length=64, required=False, help_text="入住的标准地址编码")
    valid_from = serializers.DateField(required=False, default=date.today)
    kind = serializers.ChoiceField(choices=ResidenceKind.choices, default=ResidenceKind.OWNED)
    relation = serializers.ChoiceField(choices=Relation.choices, required=False, allow_blank=True, default="")
    reason = serializers.ChoiceField(choices=StayReason.choices, required=False, allow_blank=True, default="")

    def person_input(self) -> PersonInput:
        d = self.validated_data
        return PersonInput(
            name=d["name"],
            id_number=d["id_number"],
            doc_type=d["doc_type"],
            gender=d["gender"],
            birth_date=d["birth_date"],
            nationality=d["nationality"],
            domicile_division=d["domicile_division"],
            domicile_detail=d["domicile_detail"],
            phone=d["phone"],
            employer_text=d["employer_text"],
        )


class PurposeSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(help_text="事由代码，如 verify")
    reason_text = serializers.CharField(help_text="具体说明")


class MoveOutSerializer(serializers.Serializer[Any]):
    valid_to = serializers.DateField()


def _address(request: Request, code: str) -> AddressNode:
    node = scoped(request.user, AddressNode.objects.all(), "code").filter(code=code).first()
    if node is None:
        raise ActionError("找不到该地址。", field="address")
    return node


@extend_schema_view(
    list=extend_schema(
        summary="实有人口列表（脱敏）",
        parameters=[
            OpenApiParameter("q", str, description="姓名包含，或完整电话号码"),
            OpenApiParameter("address", str, description="标准地址编码前缀：住在其中的人员"),
        ],
    ),
    retrieve=extend_schema(summary="单个人员（脱敏）"),
    create=extend_schema(summary="登记人员（可同时入住）", request=PersonWriteSerializer),
    update=extend_schema(summary="修改人员（须带版本号）", request=PersonWriteSerializer),
)
class PersonViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Person],
):
    serializer_class = PersonSerializer
    permission_classes = [HasCapability]
    capabilities = {"read": Cap.PERSON_LIST, "write": Cap.PERSON_EDIT, "full": Cap.PERSON_VIEW_FULL}
    http_method_names = ["get", "post", "put", "head", "options"]

    def get_queryset(self) -> QuerySet[Person]:
        qs = people_in_scope(self.request.user).order_by("pk")
        params = self.request.query_params
        if params.get("address"):
            qs = qs.filter(residence_code__startswith=params["address"][:64])
        q = params.get("q", "").strip()[:50]
        if q:
            try:
                phone = normalize_phone(q) if sum(c.isdigit() for c in q) >= 7 else None
            except PhoneError:
                phone = None
            qs = (
                qs.filter(phone_index__in=crypto.index_values(PHONE, phone))
                if phone
                else qs.filter(name__contains=q)
            )
        return qs

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ser = PersonWriteSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        move = None
        if d.get("address"):
            move = MoveIn(
                _address(request, d["address"]), d["valid_from"], d["kind"], d["relation"], d["reason"]
            )
        person = actions.register_person(request.user, ser.person_input(), move_in=move)
        return Response(PersonSerializer(person).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        person = self.get_object()
        ser = PersonWriteSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        if "version" not in ser.validated_data:
            raise ActionError("修改时须提供读取时的版本号。", field="version")
        person = actions.update_person(
            request.user, person, ser.person_input(), expected_version=ser.validated_data["version"]
        )
        return Response(PersonSerializer(person).data)

    @extend_schema(summary="查看完整信息（须说明事由，记入审计日志）", request=PurposeSerializer)
    @action(detail=True, methods=["post"])
    def full(self, request: Request, pk: str | None = None) -> Response:
        person = self.get_object()
        purpose = purpose_from(request.data)
        sensitive_read(request.user, Action.VIEW_FULL, [("person", person.pk)], purpose)
        data = dict(PersonSerializer(person).data)
        data.update(
            id_number=person.id_number,
            phone=person.phone,
            birth_date=person.birth_date.isoformat() if person.birth_date else None,
            residences=ResidenceSerializer(person.residences.select_related("address"), many=True).data,
        )
        return Response(data)

    @extend_schema(summary="迁出", request=MoveOutSerializer)
    @action(detail=True, methods=["post"], url_path="move-out")
    def move_out(self, request: Request, pk: str | None = None) -> Response:
        require(request.user, Cap.PERSON_EDIT)
        ser = MoveOutSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        person = self.get_object()
        actions.move_out(request.user, person, ser.validated_data["valid_to"])
        person.refresh_from_db()
        return Response(PersonSerializer(person).data)
