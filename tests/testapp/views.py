"""Person-like pages on the test-only model, written the way the registry will be:
scoped lookups, masked lists, and the audited read path for anything more."""

from __future__ import annotations

import csv
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework import serializers, viewsets

from ybss.access.decorators import HasCapability, requires
from ybss.access.models import PurposeReason
from ybss.access.reads import purpose_from, sensitive_read
from ybss.access.roles import Cap
from ybss.access.scope import get_scoped_or_404, scoped
from ybss.audit.models import Action
from ybss.core.errors import ActionError
from ybss.lib.idcard import IdNumberError, mask_id, validate_id_number
from ybss.lib.phone import mask_phone

from .models import ID_NUMBER, Resident


def _residents(request: HttpRequest) -> Any:
    return scoped(request.user, Resident.objects.select_related("address"), "address__code").order_by("pk")


def _row(r: Resident) -> dict[str, str]:
    return {
        "name": r.name,
        "id_number": mask_id(r.id_number),
        "phone": mask_phone(r.phone),
        "address": r.address.full_text,
    }


@requires(Cap.PERSON_LIST)
def resident_list(request: HttpRequest) -> HttpResponse:
    start = max(0, int(request.GET.get("start", "0") or 0)) if request.GET.get("start", "0").isdigit() else 0
    rows = _residents(request)[start : start + 50]
    return render(request, "testapp/list.html", {"rows": [(r.pk, _row(r)) for r in rows]})


@requires(Cap.PERSON_VIEW_FULL)
def resident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    resident = get_scoped_or_404(
        request.user, Resident.objects.select_related("address"), "address__code", pk=pk
    )
    error = None
    if request.method == "POST":
        try:
            purpose = purpose_from(request.POST)
        except ActionError as exc:
            error = exc
        else:
            sensitive_read(request.user, Action.VIEW_FULL, [("person", resident.pk)], purpose)
            return render(
                request,
                "testapp/detail.html",
                {"r": resident, "id_number": resident.id_number, "phone": resident.phone},
            )
    return render(
        request,
        "testapp/purpose.html",
        {"error": error, "reasons": PurposeReason.objects.all(), "masked": _row(resident)},
        status=400 if error else 200,
    )


@requires(Cap.PERSON_SEARCH_ID)
def resident_search(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(
            request, "testapp/purpose.html", {"reasons": PurposeReason.objects.all(), "search": True}
        )
    try:
        purpose = purpose_from(request.POST)
        try:
            checked = validate_id_number(request.POST.get("id_number", ""))
        except IdNumberError as exc:
            raise ActionError(str(exc), field="id_number") from exc
    except ActionError as exc:
        return render(
            request,
            "testapp/purpose.html",
            {"error": exc, "reasons": PurposeReason.objects.all(), "search": True},
            status=400,
        )
    from ybss.access import crypto

    hits = list(
        _residents(request).filter(id_number_index__in=crypto.index_values(ID_NUMBER, checked.number18))
    )
    number = checked.number18
    sensitive_read(
        request.user,
        Action.SEARCH_ID,
        [("person", r.pk) for r in hits],
        purpose,
        # Enough to see a walk through sequence codes, not enough to rebuild the number.
        extra={
            "id_prefix": crypto.keyring().blind_index(number[:14], "audit.id_prefix"),
            "id_seq": int(number[14:17]),
            "hits": len(hits),
        },
    )
    return render(request, "testapp/list.html", {"rows": [(r.pk, _row(r)) for r in hits]})


@requires(Cap.PERSON_UNMASK)
def resident_unmask(request: HttpRequest) -> HttpResponse:
    """The list with full identifiers, for a stated purpose."""
    if request.method != "POST":
        return render(request, "testapp/purpose.html", {"reasons": PurposeReason.objects.all()})
    try:
        purpose = purpose_from(request.POST)
    except ActionError as exc:
        return render(
            request,
            "testapp/purpose.html",
            {"error": exc, "reasons": PurposeReason.objects.all()},
            status=400,
        )
    rows = list(_residents(request)[:50])
    sensitive_read(request.user, Action.UNMASK, [("person", r.pk) for r in rows], purpose)
    data = [
        (r.pk, {"name": r.name, "id_number": r.id_number, "phone": r.phone, "address": r.address.full_text})
        for r in rows
    ]
    return render(request, "testapp/list.html", {"rows": data})


@requires(Cap.PERSON_EXPORT)
def resident_export(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "testapp/purpose.html", {"reasons": PurposeReason.objects.all()})
    try:
        purpose = purpose_from(request.POST)
    except ActionError as exc:
        return render(
            request,
            "testapp/purpose.html",
            {"error": exc, "reasons": PurposeReason.objects.all()},
            status=400,
        )
    rows = list(_residents(request))
    sensitive_read(request.user, Action.EXPORT, [("person", r.pk) for r in rows], purpose)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="residents.csv"'
    writer = csv.writer(response)
    writer.writerow(["姓名", "证件号码", "电话", "地址"])
    for r in rows:
        writer.writerow(list(_row(r).values()))
    return response


class ResidentSerializer(serializers.Serializer[Resident]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    id_number = serializers.SerializerMethodField()
    address = serializers.CharField(source="address.full_text")

    def get_id_number(self, obj: Resident) -> str:
        return mask_id(obj.id_number)


class ResidentViewSet(viewsets.ReadOnlyModelViewSet[Resident]):
    serializer_class = ResidentSerializer
    permission_classes = [HasCapability]
    capabilities = {"read": Cap.PERSON_LIST, "write": Cap.PERSON_EDIT}

    def get_queryset(self) -> Any:
        return scoped(
            self.request.user, Resident.objects.select_related("address"), "address__code"
        ).order_by("pk")
