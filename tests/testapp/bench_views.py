"""Baseline pages for bench/audit.py: the same record and template, stored in clear,
with no purpose, no audit row and no scoping. Never routed in the application."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path

from tests.urls import urlpatterns as test_urlpatterns
from ybss.lib.idcard import mask_id
from ybss.lib.phone import mask_phone

from .models import PlainResident


def plain_detail(request: HttpRequest, pk: int) -> HttpResponse:
    r = get_object_or_404(PlainResident.objects.select_related("address"), pk=pk)
    return render(request, "testapp/detail.html", {"r": r, "id_number": r.id_number, "phone": r.phone})


def plain_list(request: HttpRequest) -> HttpResponse:
    start = int(request.GET.get("start", 0))
    rows = PlainResident.objects.select_related("address").order_by("pk")[start : start + 50]
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
