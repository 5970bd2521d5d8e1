"""Pages for address officers to review requests for new addresses."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ybss.access.decorators import requires
from ybss.access.roles import Cap
from ybss.access.scope import scope_for
from ybss.core.errors import ActionError

from . import proposals
from .models import AddressNode, AddressProposal


def _in_scope(request: HttpRequest) -> QuerySet[AddressProposal]:
    scope = scope_for(request.user)
    return AddressProposal.objects.filter(scope.q_with_ancestors("area_code") | scope.q("area_code"))


@requires(Cap.ADDRESS_EDIT)
def proposal_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", AddressProposal.State.PENDING)
    rows = _in_scope(request)
    if state in AddressProposal.State.values:
        rows = rows.filter(state=state)
    return render(
        request,
        "addresses/proposals.html",
        {"rows": rows.select_related("node")[:200], "state": state, "states": AddressProposal.State.choices},
    )


@require_http_methods(["GET", "POST"])
@requires(Cap.ADDRESS_EDIT)
def proposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = AddressProposal.objects.filter(pk=pk).first()
    if proposal is None or not proposals.may_review(request.user, proposal):
        raise Http404
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("decision") == "approve":
                code = request.POST.get("code", "").strip()
                node = AddressNode.objects.filter(code=code).first()
                if node is None:
                    raise ActionError(_("找不到编码为 %(code)s 的标准地址。") % {"code": code}, field="code")
                proposals.approve(request.user, proposal, node, request.POST.get("note", ""))
                messages.success(request, _("已关联新增的标准地址。"))
            else:
                proposals.reject(request.user, proposal, request.POST.get("note", ""))
                messages.success(request, _("已驳回。"))
            return redirect("addresses:proposals")
        except ActionError as exc:
            error = exc.message
    return render(request, "addresses/proposal.html", {"proposal": proposal, "error": error})
