"""The duplicate review pages: the queue, one pair side by side, the merge history.

Everything is scoped (a pair is shown only to someone who may see both
persons; otherwise it is "not found"), identifiers are masked as in lists, and
opening a pair goes through the audited read path. Decisions call the actions.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from ybss.access.decorators import requires
from ybss.access.reads import Purpose, sensitive_read
from ybss.access.roles import Cap
from ybss.audit.models import Action
from ybss.core.errors import ActionError
from ybss.core.paging import CappedPaginator
from ybss.lib.idcard import mask_id
from ybss.lib.phone import mask_phone
from ybss.people.models import Person

from . import actions
from .models import DuplicatePair, PairStatus, ScanRun

FIELD_LABELS = {
    "id_number": gettext_lazy("证件号码"),
    "name": gettext_lazy("姓名"),
    "birth_date": gettext_lazy("出生日期"),
    "gender": gettext_lazy("性别"),
    "phone": gettext_lazy("联系电话"),
    "address": gettext_lazy("居住地址"),
    "household": gettext_lazy("同户关系"),
}
LEVEL_LABELS = {
    "exact": gettext_lazy("相同"),
    "repair": gettext_lazy("校验码修复后相同"),
    "near": gettext_lazy("只差一位或相邻两位颠倒"),
    "pinyin": gettext_lazy("同音"),
    "similar": gettext_lazy("相近"),
    "close": gettext_lazy("接近"),
    "conflict": gettext_lazy("两个不同的有效号码"),
    "different": gettext_lazy("不同"),
    "missing": gettext_lazy("缺失"),
    "name_in_household": gettext_lazy("同户且姓名相同"),
    "birth_without_name": gettext_lazy("同户、无姓名、生日相同"),
}
OUTCOME_LABELS = {
    "agree": gettext_lazy("一致"),
    "disagree": gettext_lazy("不一致"),
    "missing": gettext_lazy("缺失"),
}


def _pair_or_404(request: HttpRequest, pk: int) -> DuplicatePair:
    pair = actions.pairs_in_scope(request.user).filter(pk=pk).select_related("person_l", "person_r").first()
    if pair is None:
        raise Http404
    return pair


@requires(Cap.PERSON_DEDUPE)
def queue(request: HttpRequest) -> HttpResponse:
    pairs = (
        actions.pairs_in_scope(request.user)
        .filter(status=PairStatus.PENDING)
        .select_related("person_l", "person_r")
        .order_by("-score", "pk")
    )
    page = CappedPaginator(pairs, 50).get_page(request.GET.get("page"))
    rows = [
        {
            "pk": p.pk,
            "score": p.score,
            "left": p.person_l.name,
            "right": p.person_r.name,
            "agreed": [
                str(FIELD_LABELS.get(f["field"], f["field"]))
                for f in p.explanation
                if f["outcome"] == "agree"
            ],
        }
        for p in page.object_list
    ]
    return render(
        request,
        "dedupe/queue.html",
        {"page": page, "rows": rows, "last_scan": ScanRun.objects.order_by("-started_at").first()},
    )


@requires(Cap.PERSON_DEDUPE)
@require_POST
def run_scan(request: HttpRequest) -> HttpResponse:
    try:
        result = actions.scan(request.user, incremental=True)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("扫描完成：比较 %(records)s 条新增或修改的记录，新发现 %(created)s 对疑似重复。")
            % {"records": result.run.new_records, "created": result.created},
        )
    return redirect("dedupe:queue")


def _side(person: Person) -> dict[str, Any]:
    current = person.current_residence()
    return {
        "pk": person.pk,
        "name": person.name,
        "id_number": mask_id(person.id_number),
        "phone": mask_phone(person.phone),
        "gender": person.get_gender_display(),
        "birth_date": person.birth_date.isoformat() if person.birth_date else "",
        "domicile": person.domicile_division.name if person.domicile_division_id else "",  # type: ignore[union-attr]
        "address": current.address.full_text if current else "",
        "residences": person.residences.count(),
        "versions": person.versions.count(),
        "created_at": person.created_at,
    }


@requires(Cap.PERSON_DEDUPE)
def pair_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Both records side by side, masked, differences marked; opening it is an audited read."""
    pair = _pair_or_404(request, pk)
    sensitive_read(
        request.user,
        Action.VIEW_FULL,
        [("person", pair.person_l_id), ("person", pair.person_r_id)],
        Purpose("verify", f"重复核查：疑似重复记录 #{pair.pk}"),
        extra={"dedupe_pair": pair.pk, "masked": True},
    )
    left, right = _side(pair.person_l), _side(pair.person_r)
    raw = {
        "id_number": (pair.person_l.id_number, pair.person_r.id_number),
        "phone": (pair.person_l.phone, pair.person_r.phone),
    }
    labels = [
        ("name", _("姓名")),
        ("id_number", _("证件号码")),
        ("gender", _("性别")),
        ("birth_date", _("出生日期")),
        ("phone", _("联系电话")),
        ("domicile", _("户籍地")),
        ("address", _("当前居住地址")),
        ("residences", _("居住记录条数")),
        ("versions", _("变更记录条数")),
    ]
    rows = []
    for key, label in labels:
        a, b = raw.get(key, (left[key], right[key]))
        rows.append(
            {
                "label": label,
                "left": left[key],
                "right": right[key],
                "differs": key not in ("residences", "versions") and a != b,
            }
        )
    explanation = [
        {
            "field": FIELD_LABELS.get(f["field"], f["field"]),
            "level": LEVEL_LABELS.get(f["level"], f["level"]),
            "outcome": f["outcome"],
            "outcome_label": OUTCOME_LABELS.get(f["outcome"], f["outcome"]),
            "weight": f["weight"],
        }
        for f in pair.explanation
    ]
    return render(
        request,
        "dedupe/pair.html",
        {
            "pair": pair,
            "left": left,
            "right": right,
            "rows": rows,
            "explanation": explanation,
            "pending": pair.status == PairStatus.PENDING,
            "merge": pair.merges.filter(undone_at__isnull=True).first(),
        },
    )


@requires(Cap.PERSON_DEDUPE)
@require_POST
def merge_pair(request: HttpRequest, pk: int) -> HttpResponse:
    pair = _pair_or_404(request, pk)
    chosen = request.POST.get("survivor", "")
    survivor = None
    if chosen:
        survivor = (
            pair.person_l
            if chosen == str(pair.person_l_id)
            else pair.person_r
            if chosen == str(pair.person_r_id)
            else None
        )
        if survivor is None:
            messages.error(request, _("保留的记录应为这两人之一。"))
            return redirect("dedupe:pair", pk=pair.pk)
    try:
        record = actions.merge(request.user, pair, survivor)
    except ActionError as exc:
        messages.error(request, exc.message)
        return redirect("dedupe:pair", pk=pair.pk)
    messages.success(
        request,
        _("已合并：记录 #%(merged)s 并入 #%(survivor)s。可在合并记录中撤销。")
        % {"merged": record.merged_id, "survivor": record.survivor_id},
    )
    return redirect("dedupe:queue")


@requires(Cap.PERSON_DEDUPE)
@require_POST
def different(request: HttpRequest, pk: int) -> HttpResponse:
    pair = _pair_or_404(request, pk)
    try:
        actions.mark_different(request.user, pair)
    except ActionError as exc:
        messages.error(request, exc.message)
        return redirect("dedupe:pair", pk=pair.pk)
    messages.success(request, _("已标记为不同人，今后不再提示这两条记录。"))
    return redirect("dedupe:queue")


@requires(Cap.PERSON_DEDUPE)
def merge_list(request: HttpRequest) -> HttpResponse:
    merges = actions.merges_in_scope(request.user).select_related("survivor", "merged").order_by("-at", "-pk")
    page = CappedPaginator(merges, 50).get_page(request.GET.get("page"))
    return render(request, "dedupe/merges.html", {"page": page})


@requires(Cap.PERSON_DEDUPE)
@require_http_methods(["POST"])
def undo_merge(request: HttpRequest, pk: int) -> HttpResponse:
    record = actions.merges_in_scope(request.user).filter(pk=pk).first()
    if record is None:
        raise Http404
    try:
        actions.unmerge(request.user, record)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已撤销合并，两条记录恢复原状，该疑似重复记录重新待核查。"))
    return redirect("dedupe:merges")
