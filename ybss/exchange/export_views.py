"""Download a filtered list as CSV or XLSX.

``GET /exchange/export/<kind>/`` shows a small form: the list's filters
(prefilled from the list page's link), the purpose, the format and, for roles
that may unmask, whether to show identifiers in full. ``POST`` checks all of
it, counts the rows, writes one ``export`` audit event through the audited
read path (``ybss.access.reads.sensitive_read``: capability, purpose, rate
limit, anomaly checks) and streams the file.

Every kind needs ``person.export``: addresses too. A jurisdiction's whole
address base, room by room, tells which buildings have how many homes and,
next to the house list, which are empty; it leaves the system only as an act a
station administrator answers for, with a purpose, like the rest. One
capability also keeps one rate limit and one place in the audit log for all
exports. A kind may require a further capability of its own.

The person search page POSTs its search text here (``prefill``) rather than
linking, so names and phone numbers stay out of URLs, as on the search page.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from django import forms
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from ybss.access.decorators import requires
from ybss.access.models import PurposeReason
from ybss.access.reads import purpose_from, sensitive_read
from ybss.access.roles import Cap
from ybss.access.scope import require, scope_for
from ybss.audit.models import Action
from ybss.core.errors import ActionError

from . import export
from .export import XLSX_MAX_ROWS, ExportKind, ExportOptions

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ExportForm(forms.Form):
    reason = forms.ChoiceField(label=gettext_lazy("导出事由"))
    reason_text = forms.CharField(label=gettext_lazy("具体说明"), max_length=200)
    format = forms.ChoiceField(
        label=gettext_lazy("文件格式"),
        choices=[
            ("csv", gettext_lazy("CSV（逗号分隔，Excel、WPS 均可打开）")),
            ("xlsx", gettext_lazy("Excel 工作簿（.xlsx）")),
        ],
        initial="csv",
        error_messages={"invalid_choice": gettext_lazy("文件格式只能是 CSV 或 Excel 工作簿（.xlsx）。")},
    )
    unmask = forms.BooleanField(
        label=gettext_lazy("显示完整证件号码和电话"),
        required=False,
        help_text=gettext_lazy("默认脱敏导出。勾选后导出完整号码，连同事由记入审计日志。"),
    )

    def __init__(self, *args: Any, maskable: bool, can_unmask: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [  # type: ignore[attr-defined]
            (r.code, r.label) for r in PurposeReason.objects.filter(active=True)
        ]
        self.can_unmask = maskable and can_unmask
        if not maskable:
            del self.fields["unmask"]

    def clean_unmask(self) -> bool:
        wanted = bool(self.cleaned_data.get("unmask"))
        if wanted and not self.can_unmask:
            raise forms.ValidationError(_("你的角色不能导出完整的证件号码和电话，请取消勾选。"))
        return wanted


def content_disposition(filename: str, fallback: str) -> str:
    """An attachment with a Chinese file name (RFC 6266 / RFC 5987), and an ASCII one for old clients."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _page(
    request: HttpRequest, kind: ExportKind, filters: forms.Form, form: ExportForm, status: int
) -> HttpResponse:
    return render(
        request,
        "exchange/export_form.html",
        {"kind": kind, "filters": filters, "form": form, "xlsx_max_rows": XLSX_MAX_ROWS},
        status=status,
    )


# requires() is typed for views that return HttpResponse; a streamed file is an HttpResponseBase.
@requires(Cap.PERSON_EXPORT)  # type: ignore[arg-type]
@require_http_methods(["GET", "POST"])
def export_form(request: HttpRequest, kind: str) -> HttpResponseBase:
    spec = export.get(kind)
    if spec is None:
        return render(
            request,
            "exchange/export_form.html",
            {"kind_error": _("导出类型：没有这种导出，请从下面选择。"), "kinds": export.kinds()},
            status=400,
        )
    require(request.user, spec.capability)
    can_unmask = scope_for(request.user).can(Cap.PERSON_UNMASK)
    if request.method == "GET" or request.POST.get("prefill"):
        data = request.GET if request.method == "GET" else request.POST
        filters = spec.filter_form(data if any(k in data for k in spec.filter_form.base_fields) else None)
        form = ExportForm(maskable=spec.maskable, can_unmask=can_unmask)
        return _page(request, spec, filters, form, 200)

    filters = spec.filter_form(request.POST)
    form = ExportForm(request.POST, maskable=spec.maskable, can_unmask=can_unmask)
    if not (filters.is_valid() and form.is_valid()):
        return _page(request, spec, filters, form, 400)
    try:
        purpose = purpose_from(form.cleaned_data)
    except ActionError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _page(request, spec, filters, form, 400)
    fmt = form.cleaned_data["format"]
    options = ExportOptions(unmask=bool(form.cleaned_data.get("unmask")))
    prepared = export.prepare(spec, request.user, filters.cleaned_data, options)
    rows = prepared.count()
    if fmt == "xlsx" and rows > XLSX_MAX_ROWS:
        form.add_error(
            "format",
            _("共 %(rows)s 行，超过 Excel 每张工作表的上限 %(limit)s 行：请选择 CSV，或缩小筛选范围。")
            % {"rows": rows, "limit": XLSX_MAX_ROWS},
        )
        return _page(request, spec, filters, form, 400)
    # The audit event is written (and the rate limit applied) before the first byte goes out.
    sensitive_read(
        request.user,
        Action.EXPORT,
        [],
        purpose,
        extra={
            "kind": spec.key,
            "format": fmt,
            "rows": rows,
            "filters": spec.audit_filters(filters.cleaned_data),
            "unmasked": options.unmask,
        },
    )
    today = date.today()
    response = StreamingHttpResponse(prepared.chunks(fmt), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = content_disposition(
        prepared.filename(fmt, today), f"ybss-{spec.key}-{today:%Y%m%d}.{fmt}"
    )
    response["Cache-Control"] = "no-store"
    return response
