"""One transaction per request on PostgreSQL (ybss.core.middleware)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from ybss.access.models import PurposeReason
from ybss.core.middleware import RequestTransactionMiddleware

pytestmark = pytest.mark.django_db
on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")


def _writes_then(status: int, seen: dict[str, Any]) -> Any:
    def view(request: HttpRequest) -> HttpResponse:
        seen["atomic"] = connection.in_atomic_block
        PurposeReason.objects.create(code="mw-test", label="中间件测试")
        return HttpResponse(status=status)

    return view


@on_postgres
def test_a_request_runs_in_one_transaction_and_keeps_its_writes(settings: Any) -> None:
    settings.YBSS_REQUEST_TRANSACTION = True
    seen: dict[str, Any] = {}
    outside = connection.in_atomic_block
    response = RequestTransactionMiddleware(_writes_then(200, seen))(RequestFactory().get("/"))
    assert response.status_code == 200 and seen["atomic"] and connection.in_atomic_block == outside
    assert PurposeReason.objects.filter(code="mw-test").exists()


@on_postgres
def test_an_error_page_rolls_back_what_the_request_wrote(settings: Any) -> None:
    settings.YBSS_REQUEST_TRANSACTION = True
    response = RequestTransactionMiddleware(_writes_then(500, {}))(RequestFactory().get("/"))
    assert response.status_code == 500
    assert not PurposeReason.objects.filter(code="mw-test").exists()


def test_turned_off_or_on_sqlite_the_request_is_left_alone(settings: Any) -> None:
    settings.YBSS_REQUEST_TRANSACTION = connection.vendor != "postgresql"  # off on PG, on on SQLite
    seen: dict[str, Any] = {}
    outside = connection.in_atomic_block
    response = RequestTransactionMiddleware(_writes_then(500, seen))(RequestFactory().get("/"))
    assert response.status_code == 500 and seen["atomic"] == outside
    # Nothing wrapped it, so nothing undid it.
    assert PurposeReason.objects.filter(code="mw-test").exists()
