"""Import pages: templates, upload, the check report, choices, commit, progress."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from ybss.access.decorators import requires
from ybss.access.roles import Cap
from ybss.addresses import proposals
from ybss.addresses.models import AddressProposal
from ybss.core.errors import ActionError

from . import importing, reports
from .handlers import HANDLERS
from .models import BLOCKING, ImportJob, ImportKind, ImportMode, ImportStatus, ProblemLevel

KIND_LABELS = dict(ImportKind.choices)


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_lazy("导入类型"), choices=[(k, KIND_LABELS[k]) for k in HANDLERS])
    mode = forms.ChoiceField(
        label=_lazy("导入方式"), choices=ImportMode.choices, initial=ImportMode.ALL_OR_NOTHING
    )
    file = forms.FileField(label=_lazy("文件（.xlsx 或 .csv）"))


def _attachment(name: str) -> str:
    return f"attachment; filename*=UTF-8''{quote(name)}"


def _job(request: HttpRequest, pk: int) -> ImportJob:
    # An import's rows are personal data of the file's uploader: only they see the job.
    return get_object_or_404(ImportJob, pk=pk, user_id=request.user.pk or 0)


@requires(Cap.DATA_IMPORT)
def import_home(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = importing.create_job(
                    request.user,
                    form.cleaned_data["kind"],
                    upload,
                    upload.name or "",
                    form.cleaned_data["mode"],
                )
                importing.run(job, request.user, "check")
            except ActionError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                return redirect("exchange:job", pk=job.pk)
    else:
        form = UploadForm(initial={"kind": request.GET.get("kind", "persons")})
    jobs = ImportJob.objects.filter(user_id=request.user.pk or 0)[:20]
    kinds = [(k, KIND_LABELS[k]) for k in HANDLERS]
    return render(request, "exchange/import_home.html", {"form": form, "jobs": jobs, "kinds": kinds})


@require_GET
@requires(Cap.DATA_IMPORT)
def template(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    if kind not in HANDLERS or fmt not in ("xlsx", "csv"):
        raise Http404
    columns = HANDLERS[kind].columns
    label = KIND_LABELS[kind]
    if fmt == "csv":
        body = reports.template_csv(columns)
        content_type = "text/csv; charset=utf-8"
    else:
        body = reports.template_xlsx(columns, _("%(kind)s导入模板") % {"kind": label})
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = _attachment(f"{label}导入模板.{fmt}")
    return response


@requires(Cap.DATA_IMPORT)
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = importing.reap_stale(_job(request, pk))
    level = request.GET.get("level", "")
    problems = job.problems.all()
    if level in ProblemLevel.values:
        problems = problems.filter(level=level)
    page = Paginator(problems, 50).get_page(request.GET.get("page"))
    to_decide = list(
        job.problems.filter(
            level__in=(ProblemLevel.UNSURE, ProblemLevel.DUPLICATE, ProblemLevel.MISSING)
        ).order_by("row")[:200]
    )
    asked = {
        p.import_row: p
        for p in AddressProposal.objects.filter(import_job=job.pk, import_row__in=[d.row for d in to_decide])
    }
    for problem in to_decide:
        problem.proposal = asked.get(problem.row)  # type: ignore[attr-defined]
    blocked = bool(job.counts.get("problem_rows") or job.counts.get("error"))
    context: dict[str, Any] = {
        "job": job,
        "page": page,
        "level": level,
        "levels": ProblemLevel.choices,
        "blocking": [str(b) for b in BLOCKING],
        "to_decide": to_decide,
        "blocked": blocked,
        "can_commit": job.status == ImportStatus.CHECKED
        and (not blocked or job.mode == ImportMode.VALID_ONLY)
        and job.rows > job.counts.get("problem_rows", 0),
        "progress": importing.read_progress(job) if job.is_running else {},
        "has_rejected": job.status == ImportStatus.DONE and importing.rejected_path(job).exists(),
        "kind_label": KIND_LABELS[job.kind],
    }
    return render(request, "exchange/job.html", context)


@require_GET
@requires(Cap.DATA_IMPORT)
def job_progress(request: HttpRequest, pk: int) -> JsonResponse:
    job = importing.reap_stale(_job(request, pk))
    return JsonResponse(
        {"status": job.status, "status_label": job.get_status_display(), **importing.read_progress(job)}
    )


def _act(request: HttpRequest, job: ImportJob, what: str) -> HttpResponse:
    try:
        if what == "cancel":
            importing.cancel(job, request.user)
        else:
            importing.run(job, request.user, what)
    except ActionError as exc:
        messages.error(request, exc.message)
    return redirect("exchange:job", pk=job.pk)


@require_POST
@requires(Cap.DATA_IMPORT)
def job_check(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, _job(request, pk), "check")


@require_POST
@requires(Cap.DATA_IMPORT)
def job_commit(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, _job(request, pk), "commit")


@require_POST
@requires(Cap.DATA_IMPORT)
def job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, _job(request, pk), "cancel")


@require_POST
@requires(Cap.DATA_IMPORT)
def job_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the choices for unsure addresses and possible duplicates, then check again."""
    job = _job(request, pk)
    if job.status not in (ImportStatus.CHECKED, ImportStatus.UPLOADED):
        messages.error(request, _("该导入任务当前不能修改选择。"))
        return redirect("exchange:job", pk=job.pk)
    decisions = dict(job.decisions)
    levels = (ProblemLevel.UNSURE, ProblemLevel.DUPLICATE, ProblemLevel.MISSING)
    for problem in job.problems.filter(level__in=levels):
        row = str(problem.row)
        if problem.level == ProblemLevel.MISSING:
            if request.POST.get(f"propose-{problem.row}") == "1" and problem.value:
                near = max(problem.candidates, key=lambda c: c.get("score", 0), default=None)
                try:
                    proposals.propose(
                        request.user,
                        problem.value,
                        area_code=str(near["code"]) if near else settings.YBSS_REGION,
                        source=_("导入任务 #%(job)s 第 %(row)s 行") % {"job": job.pk, "row": problem.row},
                        import_job=job.pk,
                        import_row=problem.row,
                    )
                except ActionError as exc:
                    messages.error(request, exc.message)
        elif problem.level == ProblemLevel.UNSURE:
            code = request.POST.get(f"address-{problem.row}", "").strip()
            allowed = {str(c.get("code")) for c in problem.candidates}
            if code and code in allowed:
                decisions.setdefault(row, {})["address"] = code
        elif request.POST.get(f"import-anyway-{problem.row}") == "1":
            decisions.setdefault(row, {})["import_anyway"] = True
    job.decisions = decisions
    job.save(update_fields=["decisions"])
    return _act(request, job, "check")


@require_GET
@requires(Cap.DATA_IMPORT)
def job_report(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    tmp = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False)  # noqa: SIM115 - handed to FileResponse
    tmp.close()
    reports.report_xlsx(job, Path(tmp.name))
    fh = open(tmp.name, "rb")  # noqa: SIM115 - FileResponse closes it
    Path(tmp.name).unlink()  # the open handle keeps the data until the response is sent
    return _file(fh, as_attachment=True, filename=f"导入检查报告-{job.pk}.xlsx", content_type=_XLSX)


@require_GET
@requires(Cap.DATA_IMPORT)
def job_rejected(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    path = importing.rejected_path(job)
    if not path.exists():
        raise Http404
    return _file(open(path, "rb"), as_attachment=True, filename=f"退回的行-{job.pk}.xlsx", content_type=_XLSX)


def _file(fh: Any, **kwargs: Any) -> HttpResponse:
    # FileResponse streams; typed as HttpResponse for the access decorators.
    return cast(HttpResponse, FileResponse(fh, **kwargs))


_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
