"""Pages for auditors: search the log, review flags, answer "who saw this record"."""

from __future__ import annotations

import csv
from datetime import datetime, time

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ybss.access.decorators import requires
from ybss.access.roles import Cap
from ybss.core.paging import CappedPaginator
from ybss.lib.sheetwriter import neutralize

from . import log
from .models import Action, AuditEvent, AuditFlag

PAGE_SIZE = 50


def _day(value: str, end: bool) -> datetime | None:
    try:
        day = datetime.strptime(value.strip(), "%Y-%m-%d").date()
    except ValueError:
        return None
    return timezone.make_aware(datetime.combine(day, time.max if end else time.min))


def _filtered(request: HttpRequest) -> tuple[QuerySet[AuditEvent], dict[str, str], list[str]]:
    params = {
        k: request.GET.get(k, "").strip()[:64] for k in ("user", "kind", "key", "action", "start", "end")
    }
    errors: list[str] = []
    qs = AuditEvent.objects.all()
    if params["user"]:
        qs = qs.filter(actor_name=params["user"])
    if params["key"]:
        qs = qs.filter(target_rows__kind=params["kind"] or "person", target_rows__key=params["key"])
    if params["action"]:
        qs = qs.filter(action=params["action"])
    for name, end in (("start", False), ("end", True)):
        if params[name]:
            moment = _day(params[name], end)
            if moment is None:
                errors.append(_("日期格式应为 年-月-日，如 2026-11-27：%(value)s") % {"value": params[name]})
            else:
                qs = qs.filter(**{"at__lte" if end else "at__gte": moment})
    return qs.order_by("-seq").distinct(), params, errors


@requires(Cap.AUDIT_VIEW)
def event_list(request: HttpRequest) -> HttpResponse:
    qs, params, errors = _filtered(request)
    page = CappedPaginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "audit/events.html",
        {
            "page": page,
            "params": params,
            "errors": errors,
            "actions": Action.choices,
            "open_flags": AuditFlag.objects.filter(reviewed_at__isnull=True).count(),
        },
        status=400 if errors else 200,
    )


@requires(Cap.AUDIT_VIEW)
def subject_report(request: HttpRequest) -> HttpResponse:
    """Everyone who viewed or changed one record: one query over the target index."""
    qs, params, errors = _filtered(request)
    if not params["key"]:
        errors.append(_("请填写记录编号。"))
    if errors:
        return render(
            request,
            "audit/events.html",
            {"page": None, "params": params, "errors": errors, "actions": Action.choices},
            status=400,
        )
    events = list(qs.order_by("seq")[:10000])
    kind = params["kind"] or "person"
    with transaction.atomic():
        log.record(
            request.user,
            Action.EXPORT,
            targets=[(kind, params["key"])],
            extra={"report": "data_subject", "rows": len(events)},
        )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{kind}-{params["key"]}.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 CSV correctly only with a BOM
    writer = csv.writer(response)
    writer.writerow(["序号", "时间", "账号", "来源地址", "操作", "结果", "事由", "事由说明"])
    for e in events:
        writer.writerow(
            [
                e.seq,
                timezone.localtime(e.at).isoformat(timespec="seconds"),
                # Account names and purposes are typed by users: never a formula in a spreadsheet.
                neutralize(e.actor_name),
                e.ip,
                e.get_action_display(),
                e.get_outcome_display(),
                neutralize(e.reason_code),
                neutralize(e.reason_text),
            ]
        )
    return response


@requires(Cap.AUDIT_VIEW)
def flag_list(request: HttpRequest) -> HttpResponse:
    flags = AuditFlag.objects.select_related("user", "reviewed_by")[:200]
    return render(request, "audit/flags.html", {"flags": flags})


@requires(Cap.AUDIT_VIEW)
@require_POST
def flag_review(request: HttpRequest, pk: int) -> HttpResponse:
    flag = get_object_or_404(AuditFlag, pk=pk)
    if flag.reviewed_at is None:
        with transaction.atomic():
            flag.reviewed_by, flag.reviewed_at = request.user, timezone.now()  # type: ignore[assignment]
            flag.save(update_fields=["reviewed_by", "reviewed_at"])
            log.record(request.user, Action.CHANGE, targets=[("flag", flag.pk)], extra={"reviewed": True})
    return redirect("audit:flags")
