"""Address-centric pages for the actual population.

A collector opens a room and sees who lives there (masked); from there they
register someone moving in, move someone out, or open a full record for a
stated purpose. Every lookup is scoped; every full read is audited.
"""

from __future__ import annotations

import contextlib
from datetime import date
from typing import Any

from django.contrib import messages
from django.db import connection
from django.db.models import BooleanField, F, Func, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ybss.access import crypto
from ybss.access.decorators import requires
from ybss.access.reads import purpose_from, sensitive_read
from ybss.access.roles import Cap
from ybss.access.scope import scope_for, scoped
from ybss.addresses.models import AddressNode
from ybss.audit.models import Action
from ybss.core import panels
from ybss.core.errors import ActionError
from ybss.core.paging import CappedPaginator
from ybss.lib.idcard import mask_id
from ybss.lib.phone import PhoneError, mask_phone, normalize_phone

from . import actions
from .actions import DWELLING_KINDS, MoveIn
from .forms import MoveInForm, MoveOutForm, PersonForm, PurposeForm, RelocateForm, SearchForm
from .models import PHONE, Person, PersonVersion, Residence


def people_in_scope(user: Any) -> QuerySet[Person]:
    """Everyone living, or registered, inside the user's jurisdiction; a record merged
    into another (ybss.dedupe) is no longer listed."""
    scope = scope_for(user)
    return Person.objects.filter(
        scope.q("residence_code") | scope.q("domicile_code"), merged_into__isnull=True
    )


# The expression of the PostgreSQL character index on names (people migration 0005), over
# the given name and former-names columns: written over the table's own columns, it must
# read exactly as the index's expression for the index to answer it.
NAME_CHARS = """string_to_array(lower(({name}::text || coalesce({former}::text, '')) COLLATE "C"), NULL)"""
# SQLite keeps the same characters in a table of their own, filled by triggers (people migration 0007).
SQLITE_NAME_CHARS = "SELECT person_id FROM people_person_name_chars WHERE ch = %s"


def name_matches(people: QuerySet[Person], q: str) -> QuerySet[Person]:
    """Names that start with ``q`` when there are any (an index serves that), else names
    or former names that contain it (narrowed by the names' characters where it can be)."""
    if connection.vendor == "sqlite":
        # SQLite never uses an index for Django's LIKE … ESCAPE; a range is the same test.
        prefix = Q(name__gte=q, name__lt=q + "\U0010ffff")
    else:
        prefix = Q(name__startswith=q)
    starting = people.filter(prefix)
    if starting.exists():
        return starting
    containing = people.filter(Q(name__contains=q) | Q(former_names__icontains=q))
    holding = _holding_characters(q)
    return containing if holding is None else containing.filter(holding)


class _HoldsCharacters(Func):
    """PostgreSQL: the person's name and former names hold every one of ``chars``, written as
    the character index's expression (migration 0005) so that the index answers it, on the
    outer query's own columns: as a subquery it joined people_person to itself, a key lookup
    for each of thousands of holders of a common character."""

    output_field = BooleanField()

    def __init__(self, chars: list[str]) -> None:
        super().__init__(F("name"), F("former_names"))
        self.chars = chars

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple[Any, ...]]:  # type: ignore[override]
        (name, name_params), (former, former_params) = (
            compiler.compile(e) for e in self.get_source_expressions()
        )
        sql = NAME_CHARS.format(name=name, former=former)
        return f"{sql} @> %s::text[]", (*name_params, *former_params, self.chars)


def _holding_characters(q: str) -> Q | None:
    """The people whose names and former names hold every character of ``q``, from the
    character index (migrations 0005 and 0007), when it can answer for ``q``: the LIKE
    after it keeps those with the text itself, so it must never leave one of them out.

    Only for text whose letters are ASCII or have no case: the index lowers ASCII alone
    (as SQLite's LIKE folds it), and former names match regardless of case.
    """
    if not q or not all(c.isascii() or c.lower() == c.upper() for c in q):
        return None
    chars = sorted(set(q.lower()))
    if connection.vendor == "postgresql":
        return Q(_HoldsCharacters(chars))
    if connection.vendor == "sqlite":
        # A subquery of its own over the character table, so the outer query may alias freely.
        return Q(pk__in=RawSQL(" INTERSECT ".join([SQLITE_NAME_CHARS] * len(chars)), tuple(chars)))  # noqa: S611
    return None


def search_people(user: Any, q: str) -> QuerySet[Person]:
    """What the search page lists for ``q``, and what exporting that list exports:
    by phone (exact, blind index) when ``q`` looks like one, else by name; everyone
    in the jurisdiction when ``q`` is empty."""
    people = people_in_scope(user)
    q = q.strip()
    if not q:
        return people
    try:
        phone = normalize_phone(q) if sum(c.isdigit() for c in q) >= 7 else None
    except PhoneError:
        phone = None
    if phone:
        # The condition of the partial index, spelled out for SQLite (PostgreSQL proves it).
        return people.filter(phone_index__in=crypto.index_values(PHONE, phone)).exclude(phone_index="")
    return name_matches(people, q)


def masked(person: Person) -> dict[str, Any]:
    return {
        "pk": person.pk,
        "name": person.name,
        "id_number": mask_id(person.id_number),
        "phone": mask_phone(person.phone),
        "gender": person.get_gender_display(),
    }


def _move(address: AddressNode, data: dict[str, Any]) -> MoveIn:
    return MoveIn(
        address=address,
        valid_from=data["valid_from"],
        kind=data["kind"],
        relation=data.get("relation") or "",
        reason=data.get("reason") or "",
        permit_number=data.get("permit_number") or "",
        permit_valid_to=data.get("permit_valid_to"),
    )


def _apply(form: Any, exc: ActionError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def residents_panel(request: HttpRequest, node: AddressNode) -> tuple[str, dict[str, Any]] | None:
    scope = scope_for(request.user)
    if node.kind not in DWELLING_KINDS or not scope.can(Cap.PERSON_LIST):
        return None
    current = Residence.objects.filter(address=node, valid_to__isnull=True).select_related("person")
    rows = [
        {
            **masked(r.person),
            "relation": r.get_relation_display(),
            "since": r.valid_from,
            "kind": r.get_kind_display(),
        }
        for r in current
    ]
    can_edit = scope.can(Cap.PERSON_EDIT) and scope.covers(node.code) and node.is_in_use
    return "people/_residents_panel.html", {"node": node, "rows": rows, "can_edit": can_edit}


panels.register(residents_panel)


@requires(Cap.PERSON_EDIT)
@require_http_methods(["GET", "POST"])
def move_in_new(request: HttpRequest, address_pk: int) -> HttpResponse:
    address = get_object_or_404(scoped(request.user, AddressNode.objects.all(), "code"), pk=address_pk)
    person_form = PersonForm(request.POST or None, request.FILES or None)
    move_form = MoveInForm(request.POST or None)
    duplicates: list[dict[str, Any]] = []
    if request.method == "POST" and person_form.is_valid() and move_form.is_valid():
        move = _move(address, move_form.cleaned_data)
        # Likely duplicates are shown first; saving anyway takes ticking "not the same person".
        if not request.POST.get("not_duplicate"):
            duplicates = _likely_duplicates(request.user, person_form.person_input())
        try:
            if duplicates:
                raise ActionError(_("可能已登记过此人，请先核对下列人员。"), code="possible_duplicate")
            person = actions.register_person(
                request.user, person_form.person_input(), photo=request.FILES.get("photo"), move_in=move
            )
        except ActionError as exc:
            _apply(person_form if exc.field in person_form.fields else move_form, exc)
        else:
            messages.success(
                request,
                _("已登记 %(name)s 入住 %(address)s。") % {"name": person.name, "address": address.full_text},
            )
            return redirect("addresses:node", pk=address.pk)
    bound = request.method == "POST"
    return render(
        request,
        "people/move_in.html",
        {"address": address, "person_form": person_form, "move_form": move_form, "duplicates": duplicates},
        status=400 if bound else 200,
    )


def _likely_duplicates(user: Any, data: actions.PersonInput) -> list[dict[str, Any]]:
    """Registered people (inside the user's jurisdiction) who may be the one about to be registered."""
    from ybss.dedupe.actions import likely_duplicates

    try:
        values = actions.clean_person(data)
    except ActionError:
        return []  # register_person names the bad field
    hits = likely_duplicates(values["name"], values["id_number"], values["birth_date"], values["phone"])
    visible = set(people_in_scope(user).filter(pk__in=[p.pk for p, _ in hits]).values_list("pk", flat=True))
    return [{**masked(p), "score": score} for p, score in hits if p.pk in visible]


def _person_or_404(request: HttpRequest, pk: int) -> Person:
    person = people_in_scope(request.user).filter(pk=pk).first()
    if person is None:
        raise Http404
    return person


@requires(Cap.PERSON_VIEW_FULL)
@require_http_methods(["GET", "POST"])
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The full record, for a stated purpose; the purpose form shows only masked data."""
    person = _person_or_404(request, pk)
    form = PurposeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            purpose = purpose_from(form.cleaned_data)
        except ActionError as exc:
            _apply(form, exc)
        else:
            sensitive_read(request.user, Action.VIEW_FULL, [("person", person.pk)], purpose)
            residences = list(person.residences.select_related("address").order_by("-valid_from", "-id"))
            scope = scope_for(request.user)
            return render(
                request,
                "people/detail.html",
                {
                    "person": person,
                    "id_number": person.id_number,
                    "phone": person.phone,
                    "residences": residences,
                    # With the history of records merged into this one (ybss.dedupe).
                    "versions": PersonVersion.objects.filter(
                        Q(person=person) | Q(person__merged_into=person)
                    ).order_by("-at", "-id")[:30],
                    "can_edit": scope.can(Cap.PERSON_EDIT)
                    and bool(person.residence_code)
                    and scope.covers(person.residence_code),
                    "current": next((r for r in residences if r.valid_to is None and r.is_main), None),
                    "today": date.today(),
                },
            )
    return render(
        request,
        "people/purpose.html",
        {"person": masked(person), "form": form},
        status=400 if form.is_bound else 200,
    )


@requires(Cap.PERSON_EDIT)
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person_or_404(request, pk)
    initial = {
        "name": person.name,
        "doc_type": person.doc_type,
        "id_number": person.id_number,
        "gender": person.gender,
        "birth_date": person.birth_date,
        "nationality": person.nationality,
        "domicile_division": person.domicile_division_id or "",
        "domicile_detail": person.domicile_detail,
        "phone": person.phone,
        "employer_text": person.employer_text,
    }
    form = PersonForm(request.POST or None, request.FILES or None, initial=initial)
    version = request.POST.get("version", str(person.version))
    if request.method == "POST" and form.is_valid():
        try:
            expected = int(version)
        except ValueError:
            expected = -1
        try:
            actions.update_person(
                request.user,
                person,
                form.person_input(),
                expected_version=expected,
                photo=request.FILES.get("photo"),
            )
        except ActionError as exc:
            _apply(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("people:moved", pk=person.pk)
    return render(
        request,
        "people/edit.html",
        {"form": form, "person": masked(person), "version": version},
        status=400 if form.is_bound else 200,
    )


@requires(Cap.PERSON_EDIT)
@require_http_methods(["GET", "POST"])
def move_out(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person_or_404(request, pk)
    form = MoveOutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            residence = actions.move_out(
                request.user, person, form.cleaned_data["valid_to"], form.cleaned_data.get("note") or ""
            )
        except ActionError as exc:
            _apply(form, exc)
        else:
            messages.success(request, _("已办理迁出。"))
            return redirect("addresses:node", pk=residence.address_id)
    return render(
        request,
        "people/simple_form.html",
        {"form": form, "person": masked(person), "title": _("迁出")},
        status=400 if form.is_bound else 200,
    )


@requires(Cap.PERSON_EDIT)
@require_http_methods(["GET", "POST"])
def relocate(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person_or_404(request, pk)
    form = RelocateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        target = (
            scoped(request.user, AddressNode.objects.all(), "code")
            .filter(code=form.cleaned_data["address_code"].strip())
            .first()
        )
        if target is None:
            form.add_error("address_code", _("找不到该地址。"))
        else:
            move = _move(target, form.cleaned_data)
            try:
                actions.relocate(request.user, person, move)
            except ActionError as exc:
                _apply(form, exc)
            else:
                messages.success(request, _("已迁移到 %(address)s。") % {"address": target.full_text})
                return redirect("addresses:node", pk=target.pk)
    return render(
        request,
        "people/simple_form.html",
        {"form": form, "person": masked(person), "title": _("迁移（县内搬家）")},
        status=400 if form.is_bound else 200,
    )


@requires(Cap.PERSON_VIEW_FULL)
def moved(request: HttpRequest, pk: int) -> HttpResponse:
    """After a save: back to the masked view, so the next full read asks for a purpose again."""
    person = _person_or_404(request, pk)
    current = person.current_residence()
    return redirect("addresses:node", pk=current.address_id) if current else redirect("people:detail", pk=pk)


@requires(Cap.PERSON_LIST)
@require_http_methods(["GET", "POST"])
def search(request: HttpRequest) -> HttpResponse:
    """By name (contains) or phone (exact); results masked. ID numbers: see search_id.

    The form is POSTed: names and phone numbers must never sit in URLs, browser
    history or proxy logs.
    """
    form = SearchForm(request.POST or None)
    page = None
    if form.is_valid() and form.cleaned_data["q"].strip():
        people = search_people(request.user, form.cleaned_data["q"])
        page = CappedPaginator(people.order_by("name", "pk"), 50).get_page(request.POST.get("page"))
        page.object_list = [masked(p) for p in page.object_list]
    return render(request, "people/search.html", {"form": form, "page": page, "purpose_form": PurposeForm()})


@requires(Cap.PERSON_SEARCH_ID)
@require_http_methods(["POST"])
def search_id(request: HttpRequest) -> HttpResponse:
    form = PurposeForm(request.POST)
    number = request.POST.get("id_number", "").strip()
    try:
        purpose = purpose_from(request.POST)
        if not number:
            raise ActionError(_("请填写证件号码。"), field="id_number")
    except ActionError as exc:
        return render(
            request,
            "people/search.html",
            {"form": SearchForm(), "purpose_form": form, "id_error": exc},
            status=400,
        )
    from ybss.lib.idcard import IdNumberError, validate_id_number

    # Other documents, or a typo: search as typed; no match is an answer too.
    with contextlib.suppress(IdNumberError):
        number = validate_id_number(number).number18
    hit = actions.find_by_id_number("resident_id", number.upper())
    hits = [hit] if hit is not None and people_in_scope(request.user).filter(pk=hit.pk).exists() else []
    extra: dict[str, Any] = {"hits": len(hits)}
    if len(number) == 18 and number[:17].isdigit():
        extra.update(
            id_prefix=crypto.keyring().blind_index(number[:14], "audit.id_prefix"), id_seq=int(number[14:17])
        )
    sensitive_read(request.user, Action.SEARCH_ID, [("person", p.pk) for p in hits], purpose, extra=extra)
    return render(
        request,
        "people/search.html",
        {
            "form": SearchForm(),
            "purpose_form": PurposeForm(),
            "page": [masked(p) for p in hits],
            "id_search": True,
        },
    )
