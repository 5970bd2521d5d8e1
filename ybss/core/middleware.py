"""One transaction per request on PostgreSQL.

Every sensitive read writes its audit row in a transaction of its own, and every request
then saves the session (its inactivity expiry moves on). On PostgreSQL each commit waits
for the write-ahead log to reach the disk, so a full read paid that wait twice. Inside
one request-wide transaction the audit row and the session commit together, once, before
the response leaves: a page whose audit row could not be written is still never sent.
The actions' own ``transaction.atomic`` blocks become savepoints and keep their
all-or-nothing meaning.

SQLite is left alone: it takes its single write lock at BEGIN, so a request-wide
transaction would serialise every request, and there a commit costs no disk wait.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponseBase


class RequestTransactionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not (settings.YBSS_REQUEST_TRANSACTION and connection.vendor == "postgresql"):
            return self.get_response(request)
        with transaction.atomic():
            response = self.get_response(request)
            if response.status_code >= 500:
                # A crash answered as an error page: what it half-did is undone, as the
                # actions' own transactions would have been.
                transaction.set_rollback(True)
            return response
