"""Every change made by duplicate review goes through these functions.

``scan`` feeds the registry to the linkage engine (``ybss.linkage``) and fills
the queue; ``merge`` / ``unmerge`` / ``mark_different`` are the officer's
decisions. Each checks the actor's jurisdiction (both persons must be inside
it: "not yours" reads like "not found"), writes history and audit in one
transaction, and is called by the pages and the command line alike.

Identifiers are decrypted in memory only, for the length of a scan; pairs
store scores and the engine's per-field explanation, never the values.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from ybss.access import crypto
from ybss.access.roles import Cap
from ybss.access.scope import require, scope_for
from ybss.audit import log
from ybss.audit.models import Action
from ybss.core.db import prefix_q
from ybss.core.errors import ActionError
from ybss.exchange.handlers.common import near_number
from ybss.houses.models import House, HouseVersion, Tenancy, TenancyTenant
from ybss.linkage import fields as LF
from ybss.linkage import scoring as S
from ybss.linkage.engine import BLOCKING_KEYS, PersonTable
from ybss.people.models import ID_NUMBER, PHONE, DocType, Person, PersonVersion, Residence
from ybss.units.models import Employment, Unit, UnitVersion

from .models import DuplicatePair, Merge, PairStatus, ScanRun

THRESHOLD = S.DEFAULT_THRESHOLD
# Two valid numbers whose 17-digit bodies are one digit or one adjacent swap apart: in
# the registry every number passed its check at entry, so a typo survives only when its
# check character was recomputed (or mistyped to match). The import flags the same thing
# (same name and birth date, number one digit off); here it weighs as a repaired number
# would, a little less, and only counts when the names agree exactly: twins share a birth
# date and nearly a number, never a name.
NEAR_NUMBER_WEIGHT = 12.0
NEAR_BLOCK = 200


def _user(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _actor_name(actor: Any) -> str:
    return (getattr(actor, "username", "") if actor is not None else "系统")[:150]


def _record_id(pk: int) -> str:
    # Zero-padded so the engine's string order is the order of primary keys.
    return f"{pk:012d}"


def active_people() -> QuerySet[Person]:
    return Person.objects.filter(merged_into__isnull=True)


def _in(prefixes: Iterable[str], field: str) -> Q:
    q = Q(pk__in=[])
    for p in prefixes:
        q |= prefix_q(field, p)
    return q


def person_q(prefixes: Iterable[str], prefix: str = "") -> Q:
    """People living, or registered, inside ``prefixes`` (as ``people_in_scope``)."""
    prefixes = tuple(prefixes)
    return _in(prefixes, f"{prefix}residence_code") | _in(prefixes, f"{prefix}domicile_code")


def pairs_in_scope(user: Any) -> QuerySet[DuplicatePair]:
    """Pairs whose two persons the user may both see; anything else is not theirs."""
    prefixes = scope_for(user).prefixes

    def side(prefix: str) -> Q:
        # A record merged into another has moved its residences there: it is where its survivor is.
        return person_q(prefixes, prefix) | person_q(prefixes, f"{prefix}merged_into__")

    return DuplicatePair.objects.filter(side("person_l__"), side("person_r__"))


def merges_in_scope(user: Any) -> QuerySet[Merge]:
    # The merged record has no residence of its own any more; its domicile or the survivor's place count.
    prefixes = scope_for(user).prefixes
    return Merge.objects.filter(person_q(prefixes, "survivor__"))


# --------------------------------------------------------------------------- scanning


@dataclass
class ScanResult:
    run: ScanRun
    created: int
    updated: int
    removed: int
    compared_pairs: list[tuple[int, int]]


def _prepare(
    people: QuerySet[Person], since: datetime | None, new_q: Q
) -> tuple[PersonTable, list[int], bytearray]:
    """The engine's table of every active person, and which of them are new (to be compared)."""
    addresses = dict(
        Residence.objects.filter(valid_to__isnull=True, is_main=True, person__merged_into__isnull=True)
        .order_by()
        .values_list("person_id", "address__full_text")
    )
    new_filter = new_q if since is None else new_q & (Q(updated_at__gte=since) | Q(created_at__gte=since))
    new_pks = set(people.filter(new_filter).order_by().values_list("pk", flat=True))
    table = PersonTable()
    pks: list[int] = []
    new = bytearray()
    ring = crypto.keyring()
    rows = people.order_by("pk").values_list(
        "pk", "name", "doc_type", "id_number_enc", "gender", "birth_date", "phone_enc"
    )
    batch: list[tuple[str, ...]] = []
    for pk, name, doc_type, id_enc, gender, birth, phone_enc in rows.iterator(chunk_size=5000):
        number = ring.decrypt(id_enc, ID_NUMBER.context) if doc_type == DocType.RESIDENT_ID and id_enc else ""
        phone = ring.decrypt(phone_enc, PHONE.context) if phone_enc else ""
        batch.append(
            (
                _record_id(pk),
                name,
                number,
                gender if gender in ("1", "2") else "",
                birth.isoformat() if birth else "",
                phone,
                addresses.get(pk, ""),
            )
        )
        pks.append(pk)
        new.append(1 if pk in new_pks else 0)
        if len(batch) >= 5000:
            table.extend(batch)
            batch = []
    table.extend(batch)
    del batch
    table.freeze()
    return table, pks, new


def _candidate_pairs(table: PersonTable, new: bytearray) -> Iterator[tuple[int, int, bool]]:
    """``(i, j, near_number)`` for every pair that shares a blocking key and touches a new record.

    The engine's own blocks, restricted: a block with no new record is skipped whole,
    and in a block only pairs with a new record are compared, so an incremental scan
    compares new and changed records against everything and nothing else. Two valid
    numbers are compared only when their bodies are one typo apart (see NEAR_NUMBER_WEIGHT),
    found among records of one birth date and one name.
    """
    seen: set[tuple[int, int]] = set()
    id_code = table.id_code
    for kind in range(len(BLOCKING_KEYS)):
        oversized: set[int] = set()
        for block in table.blocks(kind, oversized):
            if not any(new[r] for r in block):
                continue
            for x, i in enumerate(block):
                for j in block[x + 1 :]:
                    if not (new[i] or new[j]):
                        continue
                    if id_code[i] and id_code[j] and id_code[i] != id_code[j]:
                        continue  # two different valid numbers: the near-number pass below
                    pair = (i, j) if i < j else (j, i)
                    if pair in seen:
                        continue
                    seen.add(pair)
                    yield pair[0], pair[1], False
    groups: dict[tuple[int, int], list[int]] = {}
    for i in range(len(table)):
        if id_code[i] and table.birth[i] and table.name[i]:
            groups.setdefault((table.birth[i], table.name[i]), []).append(i)
    for members in groups.values():
        if len(members) < 2 or len(members) > NEAR_BLOCK or not any(new[r] for r in members):
            continue
        for x, i in enumerate(members):
            for j in members[x + 1 :]:
                if not (new[i] or new[j]):
                    continue
                if near_number(LF.decode_id(id_code[i]), LF.decode_id(id_code[j])):
                    yield i, j, True


def explain(table: PersonTable, i: int, j: int, near: bool) -> tuple[float, list[dict[str, Any]]] | None:
    """The score and the per-field explanation of a pair, or None when it is not a candidate."""
    comparison = table.compare(i, j)
    fields = [
        {"field": f.field, "level": f.level_name, "weight": round(f.weight, 2), "outcome": f.outcome}
        for f in comparison.fields
    ]
    score = comparison.score
    if near:
        name = next((f for f in comparison.fields if f.field == "name"), None)
        if name is None or name.level != S.EXACT:
            return None
        for f, entry in zip(comparison.fields, fields, strict=True):
            if f.field == "id_number":
                score += NEAR_NUMBER_WEIGHT - f.weight
                entry.update(level="near", weight=NEAR_NUMBER_WEIGHT, outcome="agree")
    if score < THRESHOLD:
        return None
    return round(score, 2), fields


def scan(
    actor: Any,
    jurisdiction: str | None = None,
    since: datetime | None = None,
    *,
    incremental: bool = False,
) -> ScanResult:
    """Compare records against everything and fill the queue.

    ``jurisdiction`` (a division or address code prefix) limits which records are
    compared (against the whole registry); an actor is limited to their own
    jurisdiction as well. With ``since`` only records created or changed since then
    are compared; ``incremental`` takes ``since`` from the last scan that covered
    the same jurisdiction. Pairs already decided are never proposed again.
    """
    started = timezone.now()
    clock = time.perf_counter()
    prefixes: tuple[str, ...] | None = None
    if _user(actor) is not None:
        scope = require(actor, Cap.PERSON_DEDUPE)
        prefixes = scope.prefixes
        if jurisdiction:
            if not scope.covers(jurisdiction):
                raise ActionError("该范围不在您的辖区内。", field="jurisdiction", code="not_found")
            prefixes = (jurisdiction,)
    elif jurisdiction:
        prefixes = (jurisdiction,)
    # What the run covered, as stored: "" for the whole registry.
    covered = "" if prefixes is None else ",".join(sorted(prefixes)) or "-"
    if incremental and since is None:
        last = (
            ScanRun.objects.filter(finished_at__isnull=False)
            .filter(Q(jurisdiction="") | Q(jurisdiction=covered) | Q(jurisdiction__in=_covering(covered)))
            .order_by("-started_at")
            .first()
        )
        since = last.started_at if last else None
    new_q = Q() if prefixes is None else person_q(prefixes)
    table, pks, new = _prepare(active_people(), since, new_q)

    found: dict[tuple[int, int], tuple[float, list[dict[str, Any]]]] = {}
    compared: list[tuple[int, int]] = []
    for i, j, near in _candidate_pairs(table, new):
        compared.append((pks[i], pks[j]))
        result = explain(table, i, j, near)
        if result is not None:
            found[(pks[i], pks[j])] = result

    new_pks = [pk for pk, flag in zip(pks, new, strict=True) if flag]
    with transaction.atomic():
        existing = {
            (p.person_l_id, p.person_r_id): p
            for p in _pairs_touching(new_pks, len(new_pks) == len(pks)).select_for_update()
        }
        created = updated = removed = 0
        to_create = []
        for (left, right), (score, fields) in found.items():
            pair = existing.pop((left, right), None)
            if pair is None:
                to_create.append(
                    DuplicatePair(person_l_id=left, person_r_id=right, score=score, explanation=fields)
                )
            elif pair.status == PairStatus.PENDING and (pair.score != score or pair.explanation != fields):
                pair.score, pair.explanation = score, fields
                pair.save(update_fields=["score", "explanation", "scored_at"])
                updated += 1
        DuplicatePair.objects.bulk_create(to_create, batch_size=1000)
        created = len(to_create)
        # Pending pairs of re-compared records that no longer reach the threshold.
        stale = [p.pk for p in existing.values() if p.status == PairStatus.PENDING]
        removed = DuplicatePair.objects.filter(pk__in=stale).delete()[0] if stale else 0
        run = ScanRun.objects.create(
            started_at=started,
            finished_at=timezone.now(),
            jurisdiction=covered,
            since=since,
            actor_name=_actor_name(actor),
            records=len(pks),
            new_records=len(new_pks),
            compared=len(compared),
            proposed=len(found),
            seconds=round(time.perf_counter() - clock, 3),
        )
        log.record(
            actor,
            Action.CREATE,
            extra={
                "dedupe_scan": run.pk,
                "jurisdiction": run.jurisdiction,
                "incremental": since is not None,
                "records": run.records,
                "compared": run.compared,
                "created": created,
                "removed": removed,
            },
            actor_name=None if _user(actor) else "系统",
        )
    return ScanResult(run=run, created=created, updated=updated, removed=removed, compared_pairs=compared)


def _covering(code: str) -> list[str]:
    """Every prefix of ``code`` a scan may have been run for (a scan of a town covers its communities)."""
    return [code[:n] for n in range(1, len(code) + 1)]


def _pairs_touching(pks: list[int], everything: bool) -> QuerySet[DuplicatePair]:
    if everything:
        return DuplicatePair.objects.all()
    if not pks:
        return DuplicatePair.objects.none()
    return DuplicatePair.objects.filter(Q(person_l_id__in=pks) | Q(person_r_id__in=pks))


# --------------------------------------------------------------------------- decisions


def _check_pair(actor: Any, pair: DuplicatePair) -> DuplicatePair:
    """The pair, locked, if the actor may decide it; "not found" when either person is outside their area."""
    current = DuplicatePair.objects.select_for_update().filter(pk=pair.pk).first()
    if current is None:
        raise ActionError("找不到该疑似重复记录。", field="pair", code="not_found")
    if _user(actor) is not None:
        require(actor, Cap.PERSON_DEDUPE)
        if not pairs_in_scope(actor).filter(pk=current.pk).exists():
            raise ActionError("找不到该疑似重复记录。", field="pair", code="not_found")
    if current.status != PairStatus.PENDING:
        raise ActionError(
            f"该疑似重复记录已核查（{current.get_status_display()}），不能再次处理。",
            field="pair",
            code="decided",
        )
    return current


@transaction.atomic
def mark_different(actor: Any, pair: DuplicatePair) -> DuplicatePair:
    """ "Different people": remembered on the pair, which is never proposed again."""
    current = _check_pair(actor, pair)
    current.status = PairStatus.DIFFERENT
    current.decided_by = _user(actor)
    current.decided_by_name = _actor_name(actor)
    current.decided_at = timezone.now()
    current.save()
    log.record(
        actor,
        Action.CHANGE,
        targets=[("person", current.person_l_id), ("person", current.person_r_id)],
        extra={"dedupe_pair": current.pk, "decision": "different"},
    )
    return current


@transaction.atomic
def queue_for_review(actor: Any, first: Person, second: Person, reason: str) -> DuplicatePair:
    """Put a pair before the reviewers now (an import row flagged as a possible duplicate and
    imported anyway): the merge decision belongs to the review queue, not to the import.
    A pair already decided stays decided."""
    left, right = sorted((first.pk, second.pk))
    pair, created = DuplicatePair.objects.get_or_create(
        person_l_id=left,
        person_r_id=right,
        # Not scored yet: the next scan scores it like any pair it finds.
        defaults={"score": 0.0, "explanation": []},
    )
    if created:
        log.record(
            actor,
            Action.CREATE,
            targets=[("person", left), ("person", right)],
            extra={"dedupe_pair": pair.pk, "source": "import", "reason": reason[:100]},
        )
    return pair


def _version(actor: Any, person: Person, action: str, changes: dict[str, Any], reason: str) -> None:
    Person.objects.filter(pk=person.pk).update(version=F("version") + 1, updated_at=timezone.now())
    person.refresh_from_db()
    PersonVersion.objects.create(
        person=person,
        version=person.version,
        action=action,
        changes=changes,
        reason=reason[:200],
        actor=_user(actor),
        actor_name=_actor_name(actor),
    )


def _touch(
    actor: Any,
    history: Any,
    owner: dict[str, int],
    model: Any,
    record: str,
    obj_id: int,
    action: str,
    changes: dict[str, Any],
) -> None:
    """Bump a house's or unit's record version and write the history row the merge caused."""
    model.objects.filter(pk=obj_id).update(version=F("version") + 1)
    history.objects.create(
        **owner,
        record=record,
        record_id=obj_id,
        version=model.objects.values_list("version", flat=True).get(pk=obj_id),
        action=action,
        changes=changes,
        reason="重复人员合并" if action == "merge" else "撤销重复人员合并",
        actor=_user(actor),
        actor_name=_actor_name(actor),
    )


def _touch_house(
    actor: Any, house_id: int, record: str, obj_id: int, action: str, changes: dict[str, Any]
) -> None:
    model = House if record == HouseVersion.Record.HOUSE else Tenancy
    _touch(actor, HouseVersion, {"house_id": house_id}, model, record, obj_id, action, changes)


def _touch_unit(
    actor: Any, unit_id: int, record: str, obj_id: int, action: str, changes: dict[str, Any]
) -> None:
    model = Unit if record == UnitVersion.Record.UNIT else Employment
    _touch(actor, UnitVersion, {"unit_id": unit_id}, model, record, obj_id, action, changes)


def _refresh_codes(person: Person) -> None:
    current = (
        Residence.objects.filter(person=person, valid_to__isnull=True, is_main=True)
        .select_related("address")
        .first()
    )
    Person.objects.filter(pk=person.pk).update(residence_code=current.address.code if current else "")


@transaction.atomic
def merge(actor: Any, pair: DuplicatePair, survivor: Person | None = None) -> Merge:
    """Same person: keep ``survivor`` (by default the older record) and move everything of the other onto it.

    Moved: residences, tenancies (as tenant and as landlord), house ownership,
    employments and legal representation. Field values are not combined: the
    survivor keeps its own, and the merged record keeps its values and its
    history, marked ``merged_into``; it leaves lists and searches. Campaign
    submissions are not rewritten (see docs/dedupe.md): they name occupants by
    ID number inside encrypted payloads, and approving one looks the number up
    through ``find_by_id_number``, which follows ``merged_into`` to the survivor.
    """
    current = _check_pair(actor, pair)
    people = {
        p.pk: p
        for p in Person.objects.select_for_update()
        .filter(pk__in=[current.person_l_id, current.person_r_id])
        .order_by("pk")
    }
    if any(p.merged_into_id for p in people.values()):
        raise ActionError("其中一人已并入其他记录，不能合并。", field="pair", code="merged")
    keep = (
        people[survivor.pk] if survivor is not None and survivor.pk in people else people[current.person_l_id]
    )
    if survivor is not None and survivor.pk not in people:
        raise ActionError("保留的记录应为这两人之一。", field="survivor")
    gone = people[current.person_r_id if keep.pk == current.person_l_id else current.person_l_id]

    moved: dict[str, list[int]] = {}
    # Residences: both may not live somewhere else right now; at one address, the copy stops being "main".
    keep_now = Residence.objects.filter(person=keep, valid_to__isnull=True, is_main=True).first()
    gone_now = Residence.objects.filter(person=gone, valid_to__isnull=True, is_main=True).first()
    if keep_now and gone_now:
        if keep_now.address_id != gone_now.address_id:
            raise ActionError(
                "两条记录的当前居住地不同，请先为其中一条办理迁出，再合并。",
                field="pair",
                code="two_residences",
            )
        Residence.objects.filter(pk=gone_now.pk).update(is_main=False)
        moved["residences_not_main"] = [gone_now.pk]
    moved["residences"] = list(Residence.objects.filter(person=gone).values_list("pk", flat=True))
    Residence.objects.filter(person=gone).update(person=keep)

    both = set(
        Employment.objects.filter(person=keep, valid_to__isnull=True).values_list("unit_id", flat=True)
    ) & set(Employment.objects.filter(person=gone, valid_to__isnull=True).values_list("unit_id", flat=True))
    if both:
        raise ActionError(
            "两条记录在同一单位都有在职信息，请先结束其中一条，再合并。", field="pair", code="two_employments"
        )
    jobs = list(Employment.objects.filter(person=gone).values_list("pk", "unit_id"))
    moved["employments"] = [pk for pk, _ in jobs]
    Employment.objects.filter(person=gone).update(person=keep)
    for pk, unit_id in jobs:
        _touch_unit(
            actor, unit_id, UnitVersion.Record.EMPLOYMENT, pk, "merge", {"person": [gone.pk, keep.pk]}
        )
    units = list(Unit.objects.filter(legal_representative=gone).values_list("pk", flat=True))
    moved["units"] = units
    Unit.objects.filter(pk__in=units).update(legal_representative=keep)
    for pk in units:
        _touch_unit(
            actor, pk, UnitVersion.Record.UNIT, pk, "merge", {"legal_representative": [gone.pk, keep.pk]}
        )

    houses = list(House.objects.filter(owner_person=gone).values_list("pk", flat=True))
    moved["houses"] = houses
    House.objects.filter(pk__in=houses).update(owner_person=keep)
    for pk in houses:
        _touch_house(actor, pk, HouseVersion.Record.HOUSE, pk, "merge", {"owner_person": [gone.pk, keep.pk]})
    let = list(Tenancy.objects.filter(landlord=gone).values_list("pk", "house_id"))
    moved["landlord"] = [pk for pk, _ in let]
    Tenancy.objects.filter(landlord=gone).update(landlord=keep)
    rented = list(
        TenancyTenant.objects.filter(person=gone).values_list("pk", "tenancy_id", "tenancy__house_id")
    )
    already = set(TenancyTenant.objects.filter(person=keep).values_list("tenancy_id", flat=True))
    moved["tenants"] = [pk for pk, tenancy, _ in rented if tenancy not in already]
    moved["tenants_dropped"] = [tenancy for _, tenancy, _ in rented if tenancy in already]
    TenancyTenant.objects.filter(pk__in=moved["tenants"]).update(person=keep)
    TenancyTenant.objects.filter(person=gone, tenancy_id__in=moved["tenants_dropped"]).delete()
    for pk, house_id in let:
        _touch_house(
            actor, house_id, HouseVersion.Record.TENANCY, pk, "merge", {"landlord": [gone.pk, keep.pk]}
        )
    for _, tenancy, house_id in rented:
        _touch_house(
            actor, house_id, HouseVersion.Record.TENANCY, tenancy, "merge", {"tenant": [gone.pk, keep.pk]}
        )

    Person.objects.filter(pk=gone.pk).update(merged_into=keep)
    _refresh_codes(keep)
    _refresh_codes(gone)
    counts = {k: len(v) for k, v in moved.items() if v}
    record = Merge.objects.create(
        pair=current,
        survivor=keep,
        merged=gone,
        moved=moved,
        actor=_user(actor),
        actor_name=_actor_name(actor),
    )
    reason = f"重复核查：合并疑似重复记录 #{current.pk}"
    _version(actor, keep, "merge", {"merged": gone.pk, "merge": record.pk, "moved": counts}, reason)
    _version(actor, gone, "merged", {"merged_into": keep.pk, "merge": record.pk, "moved": counts}, reason)
    current.status = PairStatus.MERGED
    current.decided_by = _user(actor)
    current.decided_by_name = _actor_name(actor)
    current.decided_at = timezone.now()
    current.save()
    # Other open pairs of the merged record are about the survivor now: the next scan proposes them afresh.
    DuplicatePair.objects.filter(Q(person_l=gone) | Q(person_r=gone), status=PairStatus.PENDING).delete()
    log.record(
        actor,
        Action.MERGE,
        targets=[("person", keep.pk), ("person", gone.pk)],
        extra={
            "dedupe_pair": current.pk,
            "merge": record.pk,
            "survivor": keep.pk,
            "merged": gone.pk,
            **counts,
        },
    )
    return record


@transaction.atomic
def unmerge(actor: Any, merge_record: Merge) -> Merge:
    """Undo a merge exactly: every moved row goes back, the pair is open again."""
    record = Merge.objects.select_for_update().filter(pk=merge_record.pk).first()
    if record is None:
        raise ActionError("找不到该合并记录。", field="merge", code="not_found")
    if _user(actor) is not None:
        require(actor, Cap.PERSON_DEDUPE)
        if not merges_in_scope(actor).filter(pk=record.pk).exists():
            raise ActionError("找不到该合并记录。", field="merge", code="not_found")
    if record.undone_at is not None:
        raise ActionError("该合并已撤销，不能再次撤销。", field="merge", code="undone")
    keep = Person.objects.select_for_update().get(pk=record.survivor_id)
    gone = Person.objects.select_for_update().get(pk=record.merged_id)
    if keep.merged_into_id is not None:
        raise ActionError("保留的记录此后又并入了其他记录，请先撤销那次合并。", field="merge", code="merged")
    moved = record.moved
    residences = moved.get("residences", [])
    # A residence moved back must still be the gone person's own: the survivor may have moved since.
    current_elsewhere = (
        Residence.objects.filter(pk__in=residences, valid_to__isnull=True, is_main=True).exists()
        and Residence.objects.filter(person=gone, valid_to__isnull=True, is_main=True).exists()
    )
    if current_elsewhere:  # pragma: no cover - gone has no residences while merged
        raise ActionError("撤销会产生两处当前居住地，请先处理。", field="merge")
    Residence.objects.filter(pk__in=residences).update(person=gone)
    Residence.objects.filter(pk__in=moved.get("residences_not_main", [])).update(is_main=True)
    for pk, unit_id in Employment.objects.filter(pk__in=moved.get("employments", [])).values_list(
        "pk", "unit_id"
    ):
        Employment.objects.filter(pk=pk).update(person=gone)
        _touch_unit(
            actor, unit_id, UnitVersion.Record.EMPLOYMENT, pk, "unmerge", {"person": [keep.pk, gone.pk]}
        )
    for pk in moved.get("units", []):
        Unit.objects.filter(pk=pk).update(legal_representative=gone)
        _touch_unit(
            actor, pk, UnitVersion.Record.UNIT, pk, "unmerge", {"legal_representative": [keep.pk, gone.pk]}
        )
    for pk in moved.get("houses", []):
        House.objects.filter(pk=pk).update(owner_person=gone)
        _touch_house(
            actor, pk, HouseVersion.Record.HOUSE, pk, "unmerge", {"owner_person": [keep.pk, gone.pk]}
        )
    for pk, house_id in Tenancy.objects.filter(pk__in=moved.get("landlord", [])).values_list(
        "pk", "house_id"
    ):
        Tenancy.objects.filter(pk=pk).update(landlord=gone)
        _touch_house(
            actor, house_id, HouseVersion.Record.TENANCY, pk, "unmerge", {"landlord": [keep.pk, gone.pk]}
        )
    TenancyTenant.objects.filter(pk__in=moved.get("tenants", [])).update(person=gone)
    TenancyTenant.objects.bulk_create(
        [TenancyTenant(tenancy_id=t, person=gone) for t in moved.get("tenants_dropped", [])]
    )
    tenancies = set(
        TenancyTenant.objects.filter(pk__in=moved.get("tenants", [])).values_list("tenancy_id", flat=True)
    ) | set(moved.get("tenants_dropped", []))
    for pk, house_id in Tenancy.objects.filter(pk__in=tenancies).values_list("pk", "house_id"):
        _touch_house(
            actor, house_id, HouseVersion.Record.TENANCY, pk, "unmerge", {"tenant": [keep.pk, gone.pk]}
        )
    Person.objects.filter(pk=gone.pk).update(merged_into=None)
    _refresh_codes(keep)
    _refresh_codes(gone)
    reason = f"撤销合并 #{record.pk}"
    _version(actor, keep, "unmerge", {"merged": gone.pk, "merge": record.pk}, reason)
    _version(actor, gone, "unmerge", {"merged_into": keep.pk, "merge": record.pk}, reason)
    record.undone_by = _user(actor)
    record.undone_by_name = _actor_name(actor)
    record.undone_at = timezone.now()
    record.save()
    if record.pair_id:
        DuplicatePair.objects.filter(pk=record.pair_id).update(
            status=PairStatus.PENDING, decided_by=None, decided_by_name="", decided_at=None
        )
    log.record(
        actor,
        Action.CHANGE,
        targets=[("person", keep.pk), ("person", gone.pk)],
        extra={"unmerge": record.pk, "dedupe_pair": record.pair_id},
    )
    return record


def likely_duplicates(
    name: str, id_number: str, birth_date: Any, phone: str = "", *, limit: int = 5
) -> list[tuple[Person, float]]:
    """Registered people who may be the person about to be registered, best first.

    For the registration form: people of the same name and birth date (the
    index serves that), scored by the engine against the new record; a number
    one typo away from a registered one counts as in a scan.
    """
    if not name or not birth_date:
        return []
    candidates = list(active_people().filter(name=name, birth_date=birth_date).order_by("pk")[:50])
    if not candidates:
        return []
    table = PersonTable()
    table.add("new", name, id_number, "", birth_date.isoformat(), phone, "")
    for p in candidates:
        number = p.id_number if p.doc_type == DocType.RESIDENT_ID else ""
        gender = p.gender if p.gender in ("1", "2") else ""
        table.add(
            _record_id(p.pk),
            p.name,
            number,
            gender,
            p.birth_date.isoformat() if p.birth_date else "",
            p.phone,
            "",
        )
    table.freeze()
    out: list[tuple[Person, float]] = []
    for k, p in enumerate(candidates, start=1):
        code_new, code_old = table.id_code[0], table.id_code[k]
        near = bool(code_new and code_old and code_new != code_old)
        if near and not near_number(LF.decode_id(code_new), LF.decode_id(code_old)):
            continue
        result = explain(table, 0, k, near)
        if result is not None:
            out.append((p, result[0]))
    out.sort(key=lambda x: -x[1])
    return out[:limit]
