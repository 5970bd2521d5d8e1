"""Proposals for addresses the base does not have: raise, approve with a node, reject.

An approval never invents an address: the reviewer creates it through the
normal actions (or finds that it exists under another name) and links it here.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from ybss.access.roles import Cap
from ybss.access.scope import require, scope_for
from ybss.audit import log
from ybss.audit.models import Action
from ybss.core.errors import ActionError
from ybss.lib.text import InvalidName, clean_name

from .models import AddressNode, AddressProposal, Status

Actor = Any


def _user(actor: Actor) -> Any:
    from django.contrib.auth import get_user_model

    return actor if isinstance(actor, get_user_model()) else None


def _is_user(actor: Actor) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False)


def may_review(actor: Actor, proposal: AddressProposal) -> bool:
    """Address officers of the area, or of any area below it when it is only known coarsely."""
    if not _is_user(actor):
        return True
    scope = scope_for(actor)
    if not scope.can(Cap.ADDRESS_EDIT):
        return False
    return scope.covers(proposal.area_code) or scope.leads_to(proposal.area_code)


@transaction.atomic
def propose(
    actor: Actor,
    text: str,
    *,
    area_code: str,
    source: str = "",
    import_job: int | None = None,
    import_row: int | None = None,
) -> AddressProposal:
    """Ask for an address to be added; for an import row, asking twice returns the first request."""
    if _is_user(actor):
        require(actor, Cap.ADDRESS_VIEW)
    try:
        text = clean_name(text, "申请的地址", max_length=400)
    except InvalidName as exc:
        raise ActionError(str(exc), field="text") from exc
    if not area_code:
        raise ActionError("请说明地址所在区域。", field="area_code")
    if import_job is not None:
        existing = AddressProposal.objects.filter(import_job=import_job, import_row=import_row).first()
        if existing is not None and existing.state != AddressProposal.State.REJECTED:
            return existing
        if existing is not None:
            existing.delete()  # a rejected request asked again starts afresh
    proposal = AddressProposal.objects.create(
        text=text,
        area_code=area_code[:64],
        source=source[:200],
        import_job=import_job,
        import_row=import_row,
        proposed_by=_user(actor),
    )
    log.record(actor, Action.CREATE, targets=[("address_proposal", proposal.pk)], extra={"area": area_code})
    return proposal


def _reviewable(actor: Actor, proposal: AddressProposal) -> AddressProposal:
    if _is_user(actor):
        require(actor, Cap.ADDRESS_EDIT)
    current = AddressProposal.objects.select_for_update().get(pk=proposal.pk)
    if not may_review(actor, current):
        raise ActionError("找不到该申请。", field="proposal", code="not_found")
    if current.state != AddressProposal.State.PENDING:
        raise ActionError(f"该申请已{current.get_state_display()}。", field="proposal", code="finished")
    return current


@transaction.atomic
def approve(actor: Actor, proposal: AddressProposal, node: AddressNode, note: str = "") -> AddressProposal:
    """Link the standard address that answers the request (created by the reviewer, or found)."""
    current = _reviewable(actor, proposal)
    if node.status != Status.IN_USE:
        raise ActionError("所选地址不在用，不能作为新增结果。", field="node")
    if _is_user(actor) and not scope_for(actor).covers(node.code):
        raise ActionError("找不到该地址。", field="node", code="not_found")
    current.state = AddressProposal.State.APPROVED
    current.node = node
    current.note = note.strip()[:200]
    current.reviewed_by = _user(actor)
    current.reviewed_at = timezone.now()
    current.save()
    log.record(
        actor,
        Action.CHANGE,
        targets=[("address_proposal", current.pk), ("address", node.code)],
        extra={"state": "approved"},
    )
    return current


@transaction.atomic
def reject(actor: Actor, proposal: AddressProposal, note: str) -> AddressProposal:
    current = _reviewable(actor, proposal)
    note = note.strip()
    if len(note) < 2:
        raise ActionError("请写明驳回理由。", field="note")
    current.state = AddressProposal.State.REJECTED
    current.note = note[:200]
    current.reviewed_by = _user(actor)
    current.reviewed_at = timezone.now()
    current.save()
    log.record(actor, Action.CHANGE, targets=[("address_proposal", current.pk)], extra={"state": "rejected"})
    return current
