"""Every statistic the dashboards and the monthly report show, defined once.

Each figure is a *spec*: which records it counts (people, residences, houses, units,
addresses), which code places a record in an area, and a filter. The same spec
answers both questions a dashboard asks:

- ``compute`` counts it per area (grouped in the database), for ``refresh``;
- ``records`` gives the records behind one figure in one area, for the list a
  figure links to.

So a figure and its list cannot disagree about what they mean. docs/statistics.md
defines every figure in words; tests/stats recounts each one from the raw records.

Population categories come from ``ybss.people.categories`` (the one definition of
户籍人口/流动人口/境外人员/人户分离), judged against the county the person lives in
(or, for 户在人不在, is registered in), so that counts add up from communities to the
county. Completeness and freshness follow ``people.models.completeness``/``is_stale``.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, CharField, Count, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Length, Substr
from django.utils import timezone

from ybss.addresses.models import AddressNode, Status
from ybss.core.db import insert_many, prefix_q
from ybss.dedupe.models import DuplicatePair, PairStatus
from ybss.houses.models import House, HouseUse, Tenancy, current_q
from ybss.lib.divisions import iter_divisions
from ybss.people import categories
from ybss.people.models import MUST_COLLECT, DocType, Person, Residence
from ybss.units.models import BusinessStatus, Licence, SpecialIndustry, Unit, UnitType, stale_before

from .models import AreaFigure, Snapshot

# An area key: a county, township or community code, or a community code and the
# first address segment (a compound, door plate or village group).
AREA_CHARS = 17
COUNTY = 6
LEVELS = (6, 9, 12)
AGE_BANDS = [(lo, lo + 9) for lo in range(0, 80, 10)] + [(80, None)]
HOUSEHOLD_SIZES = ["1", "2", "3", "4", "5", "6+"]
LICENCE_DAYS = (30, 60, 90)
MONTHS_SHOWN = 12
MANY_HOUSES = 3  # a landlord with at least this many rented houses in the area

POPULATION = [
    "registered",
    "migrant",
    "foreign",
    "away_from_registration",
    "living_here_registered_elsewhere",
]


# ----------------------------------------------------------------------------- dates


def years_before(day: date, years: int) -> date:
    """The same day ``years`` earlier; 29 February becomes the 28th."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def band_label(lo: int, hi: int | None) -> str:
    return f"{lo}+" if hi is None else f"{lo}-{hi}"


def confirmed_cutoff(today: date, months: int) -> date:
    """``last_confirmed`` before this day means "more than ``months`` months ago",
    counted the way ``people.models.is_stale`` counts (whole months, then days)."""
    index = today.year * 12 + today.month - 1 - months
    year, month = divmod(index, 12)
    first = date(year, month + 1, 1)
    next_first = date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    return min(first + timedelta(days=today.day - 1), next_first)


def freshness_buckets() -> list[tuple[str, int | None, int | None]]:
    """(key, more than this many months, at most this many months); the last one is 不鲜活."""
    stale = settings.YBSS_STALE_MONTHS
    steps = sorted({m for m in (3, 6) if m < stale} | {stale})
    out: list[tuple[str, int | None, int | None]] = []
    lower: int | None = None
    for m in steps:
        out.append((f"le{m}", lower, m))
        lower = m
    out.append(("stale", stale, None))
    return out


def months_shown(today: date) -> list[tuple[str, date, date]]:
    """The last ``MONTHS_SHOWN`` calendar months, this one included: (YYYY-MM, first day, next first day)."""
    out = []
    index = today.year * 12 + today.month - 1
    for i in range(MONTHS_SHOWN - 1, -1, -1):
        year, month = divmod(index - i, 12)
        first = date(year, month + 1, 1)
        ny, nm = divmod(index - i + 1, 12)
        out.append((f"{year:04d}-{month + 1:02d}", first, date(ny, nm + 1, 1)))
    return out


# ----------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class Ctx:
    today: date
    county: str = ""  # the county the categories are judged against


Filter = Callable[[Ctx], Q]


@dataclass(frozen=True)
class Spec:
    """One figure (``key``), or a family of figures (``key`` ending in ":") told apart by ``group``."""

    key: str
    kind: str  # person | residence | house | unit | address
    field: str  # the code that places a record in an area
    where: Filter
    per_county: bool = False
    group: Callable[[Ctx], Any] | None = None  # an expression whose value completes the key
    member: Callable[[Ctx, str], Q] | None = None  # the filter for one value of the group


def _kind_qs(kind: str) -> QuerySet[Any]:
    # A record merged into another (ybss.dedupe) is the same person counted once, as the survivor.
    if kind == "person":
        return categories.annotate(Person.objects.filter(merged_into__isnull=True))
    if kind == "residence":
        return Residence.objects.filter(is_main=True, person__merged_into__isnull=True)
    if kind == "house":
        return House.objects.filter(active=True)
    if kind == "unit":
        return Unit.objects.exclude(business_status=BusinessStatus.CANCELLED)
    if kind == "address":
        return AddressNode.objects.filter(status=Status.IN_USE)
    raise ValueError(kind)


LIVING = ~Q(residence_code="")


def _always(ctx: Ctx) -> Q:
    return Q()


def _living(ctx: Ctx) -> Q:
    return LIVING


def _category(name: str) -> Filter:
    def where(ctx: Ctx) -> Q:
        return categories.q(name, ctx.county)

    return where


def completeness_q(group: str) -> Q:
    """The filter form of ``people.models.completeness``: the group is filled in."""
    if group == "identity":
        return ~Q(name="") & ~Q(id_number_index="") & ~Q(gender="") & Q(birth_date__isnull=False)
    if group == "photo":
        return ~Q(photo="") & Q(photo__isnull=False)
    if group == "certificates":
        return ~Q(id_number_enc="") & (Q(nationality="CHN") | ~Q(doc_type=DocType.RESIDENT_ID))
    if group == "contact":
        return ~Q(phone_enc="")
    if group == "residence":
        return Q(Exists(Residence.objects.filter(person=OuterRef("pk"), valid_to__isnull=True, is_main=True)))
    if group == "employment":
        return ~Q(employer_text="")
    raise ValueError(group)


def _complete(group: str) -> Filter:
    def where(ctx: Ctx) -> Q:
        return LIVING & completeness_q(group)

    return where


def freshness_q(ctx: Ctx, key: str) -> Q:
    for name, above, upto in freshness_buckets():
        if name == key:
            q = Q()
            if above is not None:
                q &= Q(last_confirmed__lt=confirmed_cutoff(ctx.today, above))
            if upto is not None:
                q &= Q(last_confirmed__gte=confirmed_cutoff(ctx.today, upto))
            return q
    raise ValueError(key)


def _fresh(key: str) -> Filter:
    def where(ctx: Ctx) -> Q:
        return LIVING & freshness_q(ctx, key)

    return where


def _no_address(ctx: Ctx) -> Q:
    """Living here by its code, but no current main residence on an in-use address with that code."""
    placed = Residence.objects.filter(
        person=OuterRef("pk"),
        valid_to__isnull=True,
        is_main=True,
        address__status=Status.IN_USE,
        address__code=OuterRef("residence_code"),
    )
    return LIVING & ~Q(Exists(placed))


def age_q(ctx: Ctx, band: str) -> Q:
    if band == "unknown":
        return Q(birth_date__isnull=True)
    lo_text, _, hi_text = band.partition("-")
    lo = int(lo_text.rstrip("+"))
    q = Q(birth_date__lte=years_before(ctx.today, lo))
    if hi_text:
        q &= Q(birth_date__gt=years_before(ctx.today, int(hi_text) + 1))
    return q


def sex_q(sex: str) -> Q:
    return Q(gender=sex) if sex in ("1", "2") else ~Q(gender__in=["1", "2"])


def _age_group(ctx: Ctx) -> Any:
    whens = [When(birth_date__isnull=True, then=Value("unknown"))]
    for lo, hi in AGE_BANDS:
        whens.append(When(age_q(ctx, band_label(lo, hi)), then=Value(band_label(lo, hi))))
    sex = Case(When(gender="1", then=Value("1")), When(gender="2", then=Value("2")), default=Value("0"))
    return Case(*whens, default=Value("unknown"), output_field=CharField()), sex


def _age_member(ctx: Ctx, suffix: str) -> Q:
    band, _, sex = suffix.partition(":")
    return LIVING & age_q(ctx, band) & sex_q(sex)


def _origin_member(length: int) -> Callable[[Ctx, str], Q]:
    def member(ctx: Ctx, suffix: str) -> Q:
        if suffix == "none":
            return categories.q("migrant", ctx.county) & Q(domicile_code="")
        return categories.q("migrant", ctx.county) & Q(domicile_code__startswith=suffix[:length])

    return member


def _month_group(field_name: str) -> Callable[[Ctx], Any]:
    def group(ctx: Ctx) -> Any:
        whens = [
            When(**{f"{field_name}__gte": first, f"{field_name}__lt": nxt}, then=Value(label))
            for label, first, nxt in months_shown(ctx.today)
        ]
        return Case(*whens, default=Value(""), output_field=CharField())

    return group


def _month_member(field_name: str) -> Callable[[Ctx, str], Q]:
    def member(ctx: Ctx, suffix: str) -> Q:
        for label, first, nxt in months_shown(ctx.today):
            if label == suffix:
                return Q(**{f"{field_name}__gte": first, f"{field_name}__lt": nxt})
        return Q(pk__in=[])

    return member


def _occupied() -> Q:
    return Q(
        Exists(Residence.objects.filter(address=OuterRef("address"), valid_to__isnull=True, is_main=True))
    )


def _untenanted(ctx: Ctx) -> Q:
    in_force = Tenancy.objects.filter(current_q(ctx.today), house=OuterRef("pk"))
    return Q(use=HouseUse.RENTED) & ~Q(Exists(in_force))


def _licence(days: int) -> Filter:
    def where(ctx: Ctx) -> Q:
        return Q(
            Exists(
                Licence.objects.filter(
                    unit=OuterRef("pk"),
                    valid_to__gte=ctx.today,
                    valid_to__lte=ctx.today + timedelta(days=days),
                )
            )
        )

    return where


def _duplicates_pending(ctx: Ctx) -> Q:
    waiting = DuplicatePair.objects.filter(status=PairStatus.PENDING)
    return Q(pk__in=waiting.values("person_l")) | Q(pk__in=waiting.values("person_r"))


def _empty_address(ctx: Ctx) -> Q:
    """An in-use address with nothing under it and no one, no house and no unit on it."""
    return (
        ~Exists(AddressNode.objects.filter(parent=OuterRef("pk"), status=Status.IN_USE))
        & ~Exists(Residence.objects.filter(address=OuterRef("pk"), valid_to__isnull=True))
        & ~Exists(House.objects.filter(address=OuterRef("pk"), active=True))
        & ~Exists(
            Unit.objects.filter(address=OuterRef("pk")).exclude(business_status=BusinessStatus.CANCELLED)
        )
    )


def _by_value(field_name: str) -> Callable[[Ctx], Any]:
    def group(ctx: Ctx) -> Any:
        return F(field_name)

    return group


def _value_member(field_name: str) -> Callable[[Ctx, str], Q]:
    def member(ctx: Ctx, suffix: str) -> Q:
        return Q(**{field_name: suffix})

    return member


def _special(code: str) -> Filter:
    def where(ctx: Ctx) -> Q:
        return Q(special_industries__contains=f",{code},")

    return where


PERSON_SPECS: list[Spec] = [
    Spec("pop:total", "person", "residence_code", _living),
    *[
        Spec(f"pop:{name}", "person", "residence_code", _category(name), per_county=True)
        for name in POPULATION
        if name != "away_from_registration"
    ],
    # 户在人不在 belongs to where the person is registered, not where they live.
    Spec("pop:away_from_registration", "person", "domicile_code", _category("away_from_registration"), True),
    Spec(
        "age:",
        "person",
        "residence_code",
        _living,
        group=_age_group,
        member=_age_member,
    ),
    Spec(
        "origin_p:",
        "person",
        "residence_code",
        _category("migrant"),
        per_county=True,
        group=lambda ctx: Substr("domicile_code", 1, 2),
        member=_origin_member(2),
    ),
    Spec(
        "origin_c:",
        "person",
        "residence_code",
        _category("migrant"),
        per_county=True,
        group=lambda ctx: Substr("domicile_code", 1, 4),
        member=_origin_member(4),
    ),
    *[Spec(f"complete:{g}", "person", "residence_code", _complete(g)) for g in MUST_COLLECT],
    Spec("quality:no_address", "person", "residence_code", _no_address),
    Spec("quality:duplicates_pending", "person", "residence_code", _duplicates_pending),
]
FRESH_SPECS = [Spec(f"fresh:{k}", "person", "residence_code", _fresh(k)) for k, _, _ in freshness_buckets()]
RESIDENCE_SPECS = [
    Spec(
        "move_in:",
        "residence",
        "address__code",
        _always,
        group=_month_group("valid_from"),
        member=_month_member("valid_from"),
    ),
    Spec(
        "move_out:",
        "residence",
        "address__code",
        lambda ctx: Q(valid_to__isnull=False),
        group=_month_group("valid_to"),
        member=_month_member("valid_to"),
    ),
]
HOUSE_SPECS = [
    Spec("house:total", "house", "address__code", _always),
    Spec(
        "house:use:", "house", "address__code", _always, group=_by_value("use"), member=_value_member("use")
    ),
    Spec("house:occupied", "house", "address__code", lambda ctx: _occupied()),
    Spec("house:unoccupied", "house", "address__code", lambda ctx: ~_occupied()),
    Spec("house:rented_untenanted", "house", "address__code", _untenanted),
    Spec("house:stale", "house", "address__code", lambda ctx: Q(last_confirmed__lt=stale_before(ctx.today))),
]
UNIT_SPECS = [
    Spec("unit:total", "unit", "address__code", _always),
    Spec(
        "unit:type:",
        "unit",
        "address__code",
        _always,
        group=_by_value("unit_type"),
        member=_value_member("unit_type"),
    ),
    Spec(
        "unit:industry:",
        "unit",
        "address__code",
        _always,
        group=_by_value("industry"),
        member=lambda ctx, suffix: Q(industry="" if suffix == "none" else suffix),
    ),
    Spec("unit:special_any", "unit", "address__code", lambda ctx: ~Q(special_industries="")),
    *[Spec(f"unit:special:{c}", "unit", "address__code", _special(c)) for c in SpecialIndustry.values],
    *[Spec(f"unit:licence:{d}", "unit", "address__code", _licence(d)) for d in LICENCE_DAYS],
    Spec("unit:no_legal_rep", "unit", "address__code", lambda ctx: Q(legal_representative__isnull=True)),
    Spec(
        "unit:no_contact", "unit", "address__code", lambda ctx: Q(contact_name="") | Q(contact_phone_enc="")
    ),
    Spec("unit:stale", "unit", "address__code", lambda ctx: Q(last_confirmed__lt=stale_before(ctx.today))),
]
ADDRESS_SPECS = [Spec("quality:empty_address", "address", "code", _empty_address)]
SPECS: list[Spec] = PERSON_SPECS + FRESH_SPECS + RESIDENCE_SPECS + HOUSE_SPECS + UNIT_SPECS + ADDRESS_SPECS

# Household sizes count dwellings by their number of current main residents: not a filter
# on one record, so counted on its own (``_households``) and listed as addresses.
HOUSEHOLD_KEYS = [f"hh:{s}" for s in HOUSEHOLD_SIZES]


def spec_for(figure: str) -> tuple[Spec, str] | None:
    """The spec of a figure key and the value of its group ("" for a single figure)."""
    for spec in SPECS:
        if spec.group is None and figure == spec.key:
            return spec, ""
        if spec.group is not None and figure.startswith(spec.key) and len(figure) > len(spec.key):
            return spec, figure[len(spec.key) :]
    return None


def kind_of(figure: str) -> str | None:
    if figure in HOUSEHOLD_KEYS:
        return "dwelling"
    found = spec_for(figure)
    return found[0].kind if found else None


# ----------------------------------------------------------------------------- counting


def area_key(code: str) -> str:
    """The finest area a code is counted in: its division and first address segment."""
    return "-".join(code.split("-")[:2])


def ancestors(key: str) -> list[str]:
    """The stored areas a finest-level key adds to, county first."""
    division = key.split("-")[0]
    out = [division[:n] for n in LEVELS if n <= len(division)]
    if "-" in key:
        out.append(key)
    return list(dict.fromkeys(out))


def _prefixes_q(field_name: str, prefixes: Iterable[str]) -> Q:
    q = Q(pk__in=[])
    for p in prefixes:
        q |= prefix_q(field_name, p)
    return q


def _counties(spec: Spec, restrict: list[str] | None) -> list[str]:
    qs = _kind_qs(spec.kind).exclude(**{spec.field: ""})
    if restrict is not None:
        qs = qs.filter(_prefixes_q(spec.field, restrict))
    return sorted(
        c
        for c in qs.annotate(c=Substr(spec.field, 1, COUNTY))
        .order_by()
        .values_list("c", flat=True)
        .distinct()
        if c
    )


def count_spec(spec: Spec, today: date, restrict: list[str] | None = None) -> Counter[tuple[str, str]]:
    """``{(finest area, figure key): n}`` for one spec, optionally only inside ``restrict``."""
    out: Counter[tuple[str, str]] = Counter()
    counties = _counties(spec, restrict) if spec.per_county else [""]
    for county in counties:
        ctx = Ctx(today, county)
        qs = _kind_qs(spec.kind).exclude(**{spec.field: ""}).filter(spec.where(ctx))
        if county:
            qs = qs.filter(prefix_q(spec.field, county))
        if restrict is not None:
            qs = qs.filter(_prefixes_q(spec.field, restrict))
        qs = qs.annotate(area=Substr(spec.field, 1, AREA_CHARS))
        if spec.group is None:
            for area, n in qs.values("area").annotate(n=Count("pk")).values_list("area", "n"):
                out[(area_key(area), spec.key)] += n
            continue
        grouped = spec.group(ctx)
        parts = grouped if isinstance(grouped, tuple) else (grouped,)
        names = [f"g{i}" for i in range(len(parts))]
        qs = qs.annotate(**dict(zip(names, parts, strict=True)))
        for row in qs.values("area", *names).annotate(n=Count("pk")):
            values = [str(row[n] if row[n] is not None else "") for n in names]
            if spec.key in ("origin_p:", "origin_c:", "unit:industry:") and not values[0]:
                values[0] = "none"
            if not values[0] and spec.key.startswith("move_"):
                continue  # outside the months shown
            out[(area_key(row["area"]), spec.key + ":".join(values))] += row["n"]
    return out


def _households(restrict: list[str] | None = None) -> Counter[tuple[str, str]]:
    qs = Residence.objects.filter(valid_to__isnull=True, is_main=True)
    if restrict is not None:
        qs = qs.filter(_prefixes_q("address__code", restrict))
    out: Counter[tuple[str, str]] = Counter()
    for code, n in qs.values("address__code").annotate(n=Count("pk")).values_list("address__code", "n"):
        out[(area_key(code), f"hh:{household_label(n)}")] += 1
    return out


def household_label(n: int) -> str:
    return str(n) if n < 6 else "6+"


def compute(today: date | None = None, restrict: list[str] | None = None) -> Counter[tuple[str, str]]:
    """Every figure per finest area: the one place where aggregates are computed."""
    day = today or timezone.localdate()
    out: Counter[tuple[str, str]] = Counter()
    for spec in SPECS:
        out.update(count_spec(spec, day, restrict))
    out.update(_households(restrict))
    return out


def roll_up(counts: Counter[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Add each finest-area count to the county, township and community above it."""
    out: dict[tuple[str, str], int] = defaultdict(int)
    for (key, figure), n in counts.items():
        for area in ancestors(key):
            out[(area, figure)] += n
    return out


@dataclass
class RefreshReport:
    rows: int = 0
    seconds: float = 0.0
    as_of: date | None = None
    timings: dict[str, float] = field(default_factory=dict)


def refresh(today: date | None = None) -> RefreshReport:
    """Recompute every figure and replace the aggregate table in one transaction."""
    started_at = timezone.now()
    started = time.perf_counter()
    day = today or timezone.localdate()
    report = RefreshReport(as_of=day)
    counts: Counter[tuple[str, str]] = Counter()
    for spec in SPECS:
        t = time.perf_counter()
        counts.update(count_spec(spec, day))
        report.timings[spec.key] = time.perf_counter() - t
    t = time.perf_counter()
    counts.update(_households())
    report.timings["hh:"] = time.perf_counter() - t
    rows = [AreaFigure(area=a, figure=f, value=n) for (a, f), n in roll_up(counts).items() if n]
    with transaction.atomic():
        AreaFigure.objects.all().delete()
        insert_many(rows)
        report.rows = len(rows)
        report.seconds = time.perf_counter() - started
        Snapshot.objects.create(
            as_of=day,
            started_at=started_at,
            finished_at=timezone.now(),
            seconds=report.seconds,
            rows=report.rows,
        )
    return report


def latest() -> Snapshot | None:
    return Snapshot.objects.order_by("-finished_at", "-id").first()


# ----------------------------------------------------------------------------- reading


def stored(prefix: str) -> bool:
    """Whether the aggregate table holds rows for exactly this area."""
    parts = prefix.split("-")
    return (len(parts) == 1 and len(prefix) in LEVELS) or (len(parts) == 2 and len(parts[0]) in LEVELS)


def for_prefixes(prefixes: Iterable[str], today: date | None = None) -> Counter[str]:
    """Every figure for an area made of ``prefixes`` (non-overlapping, as scopes are).

    Stored levels are read from the aggregate table; a province or city is the sum of
    its counties; anything finer than a top-level address node is computed live.
    """
    exact, wider, finer = [], [], []
    for p in prefixes:
        if stored(p):
            exact.append(p)
        elif p.isdigit() and len(p) < COUNTY:
            wider.append(p)
        else:
            finer.append(p)
    out: Counter[str] = Counter()
    if exact:
        for figure, value in AreaFigure.objects.filter(area__in=exact).values_list("figure", "value"):
            out[figure] += value
    for p in wider:
        rows = AreaFigure.objects.filter(prefix_q("area", p)).annotate(n=Length("area"))
        for figure, value in rows.filter(n=COUNTY).values_list("figure", "value"):
            out[figure] += value
    if finer:
        snap = latest()
        day = today or (snap.as_of if snap else timezone.localdate())
        for (_, figure), n in compute(day, finer).items():
            out[figure] += n
    return out


def for_many(areas: dict[str, list[str]], today: date | None = None) -> dict[str, Counter[str]]:
    """``for_prefixes`` for several areas at once (the rows of a drill-down table), in one query
    when every prefix is a stored level."""
    plain = all(stored(p) for ps in areas.values() for p in ps)
    if not plain:
        return {key: for_prefixes(ps, today) for key, ps in areas.items()}
    owner: dict[str, list[str]] = defaultdict(list)
    for key, ps in areas.items():
        for p in ps:
            owner[p].append(key)
    out: dict[str, Counter[str]] = {key: Counter() for key in areas}
    rows = AreaFigure.objects.filter(area__in=list(owner)).values_list("area", "figure", "value")
    for area, figure, value in rows:
        for key in owner[area]:
            out[key][figure] += value
    return out


# ----------------------------------------------------------------------------- records behind a figure


def records(figure: str, prefixes: list[str], today: date) -> QuerySet[Any] | None:
    """The records a figure counts inside ``prefixes``; None for an unknown figure.

    People, houses and units are returned as such; residences (move-ins and -outs)
    as residences; household sizes as the dwellings (address nodes).
    """
    if figure in HOUSEHOLD_KEYS:
        size = figure.split(":", 1)[1]
        qs = AddressNode.objects.filter(_prefixes_q("code", prefixes)).annotate(
            n=Count("residences", filter=Q(residences__valid_to__isnull=True, residences__is_main=True))
        )
        return qs.filter(n__gte=6) if size == "6+" else qs.filter(n=int(size))
    found = spec_for(figure)
    if found is None:
        return None
    spec, suffix = found
    base = _kind_qs(spec.kind).exclude(**{spec.field: ""}).filter(_prefixes_q(spec.field, prefixes))
    counties = _counties(spec, prefixes) if spec.per_county else [""]
    # Not ``Q(pk__in=[]) | …``: or-ing with an empty Q() (a figure with no filter) keeps the other side.
    q: Q | None = None
    for county in counties:
        ctx = Ctx(today, county)
        one = spec.where(ctx)
        if spec.member is not None:
            one &= spec.member(ctx, suffix)
        if county:
            one &= prefix_q(spec.field, county)
        q = one if q is None else q | one
    return base.filter(q) if q is not None else base.none()


# ----------------------------------------------------------------------------- labels


@lru_cache(maxsize=1)
def _division_names() -> dict[str, str]:
    """Province and city names from the shipped NBS table, for migrants' origins."""
    out: dict[str, str] = {}
    for rec in iter_divisions():
        if len(rec.code) > 4:
            if len(rec.code) > 6:
                break
            continue
        out[rec.code] = rec.name
    return out


def origin_label(code: str) -> str:
    if code == "none":
        return "未登记户籍地区划"
    names = _division_names()
    if len(code) == 4:
        province = names.get(code[:2], code[:2])
        city = names.get(code, code)
        return (
            province
            if city in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划")
            else province + city
        )
    return names.get(code, code)


LABELS: dict[str, str] = {
    "pop:total": "实有人口",
    **{f"pop:{k}": v for k, v in categories.CATEGORIES.items()},
    **{f"complete:{k}": v for k, v in MUST_COLLECT.items()},
    "quality:no_address": "无标准地址的人员",
    "quality:empty_address": "无人无物的地址",
    "quality:duplicates_pending": "待核查的疑似重复人员",
    "house:total": "实有房屋",
    **{f"house:use:{k}": str(v) for k, v in HouseUse.choices},
    "house:occupied": "有人居住",
    "house:unoccupied": "无人居住",
    "house:rented_untenanted": "出租但无在租登记",
    "house:stale": "房屋不鲜活",
    "unit:total": "实有单位",
    **{f"unit:type:{k}": str(v) for k, v in UnitType.choices},
    "unit:special_any": "特种行业单位",
    **{f"unit:special:{k}": str(v) for k, v in SpecialIndustry.choices},
    **{f"unit:licence:{d}": f"{d} 天内证照到期" for d in LICENCE_DAYS},
    "unit:no_legal_rep": "无法定代表人",
    "unit:no_contact": "无联系人或联系电话",
    "unit:stale": "单位不鲜活",
    **{k: f"{k.split(':')[1]} 人户" for k in HOUSEHOLD_KEYS},
}


def fresh_label(key: str) -> str:
    for name, above, upto in freshness_buckets():
        if name == key:
            if upto is None:
                return f"超过 {above} 个月（不鲜活）"
            return f"{above or 0}–{upto} 个月内" if above else f"{upto} 个月内"
    return key


def label(figure: str) -> str:
    if figure in LABELS:
        return LABELS[figure]
    family, _, rest = figure.partition(":")
    if family in ("origin_p", "origin_c"):
        return origin_label(rest)
    if family == "fresh":
        return fresh_label(rest)
    if family == "age":
        band, _, sex = rest.partition(":")
        return f"{'不详' if band == 'unknown' else band + ' 岁'} {({'1': '男', '2': '女'}).get(sex, '其他')}"
    if family in ("move_in", "move_out"):
        return f"{rest} {'迁入' if family == 'move_in' else '迁出'}"
    if figure.startswith("unit:industry:"):
        industry = figure.removeprefix("unit:industry:")
        return "未填写行业" if industry == "none" else industry
    return figure


def landlords(prefixes: list[str], limit: int = 20) -> list[dict[str, Any]]:
    """Owners of at least ``MANY_HOUSES`` active houses used as 出租/旅店式出租屋 inside the area."""
    rows = (
        House.objects.filter(active=True, use__in=[HouseUse.RENTED, HouseUse.HOTEL_RENTAL])
        .filter(owner_person__isnull=False)
        .filter(_prefixes_q("address__code", prefixes))
        .values("owner_person")
        .annotate(n=Count("pk"))
        .filter(n__gte=MANY_HOUSES)
        .order_by("-n", "owner_person")[:limit]
    )
    return list(rows)
