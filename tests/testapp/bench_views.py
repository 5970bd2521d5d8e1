"""Baseline pages for bench/audit.py: the same record and template, stored in clear,
with no purpose and no audit row. They keep the access control (the login and
capability guard, and the jurisdiction scoping): the benchmark measures what auditing and
encryption add, and access control is neither. Never routed in the application."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from tests.urls import urlpatterns as test_urlpatterns
from ybss.access.decorators import requires
from ybss.access.roles import Cap
from ybss.access.scope import get_scoped_or_404, scoped
from ybss.lib.idcard import mask_id
from ybss.lib.phone import mask_phone

from .models import PlainResident


@requires(Cap.PERSON_VIEW_FULL)
def plain_detail(request: HttpRequest, pk: int) -> HttpResponse:
    residents = PlainResident.objects.select_related("address")
    r = get_scoped_or_404(request.user, residents, "address__code", pk=pk)
    return render(request, "testapp/detail.html", {"r": r, "id_number": r.id_number, "phone": r.phone})


@requires(Cap.PERSON_LIST)
def plain_list(request: HttpRequest) -> HttpResponse:
    start = int(request.GET.get("start", 0))
    residents = scoped(request.user, PlainResident.objects.select_related("address"), "address__code")
    rows = residents.order_by("pk")[start : start + 50]
    data = [
        (
            r.pk,
            {
                "name": r.name,
                "id_number": mask_id(r.id_number),
                "phone": mask_phone(r.phone),
                "address": r.address.full_text,
            },
        )
        for r in rows
    ]
    return render(request, "testapp/list.html", {"rows": data})


urlpatterns = [
    *test_urlpatterns,
    path("plain/residents/", plain_list),
    path("plain/residents/<int:pk>/", plain_detail),
]
