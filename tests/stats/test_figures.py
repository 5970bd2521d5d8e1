"""Every figure, recounted from the raw records one by one in plain Python, must equal
what ``refresh`` stored, in every area at every level."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from django.conf import settings

from ybss.addresses.models import AddressNode, Status
from ybss.dedupe.models import DuplicatePair, PairStatus
from ybss.houses.models import House, HouseUse
from ybss.houses.quality import rented_without_current_tenancy
from ybss.people import categories
from ybss.people.models import Person, Residence, completeness, is_stale
from ybss.stats import figures
from ybss.stats.models import AreaFigure
from ybss.units.models import BusinessStatus, Unit, stale_before

pytestmark = pytest.mark.django_db


def _areas(code: str) -> set[str]:
    division = code.split("-")[0]
    out = {division[:n] for n in (6, 9, 12) if n <= len(division)}
    if "-" in code:
        out.add("-".join(code.split("-")[:2]))
    return out


def _older_than(confirmed: date, today: date, months: int) -> bool:
    """``is_stale``'s rule for any number of months."""
    gap = (today.year - confirmed.year) * 12 + today.month - confirmed.month
    return gap > months or (gap == months and today.day > confirmed.day)


def _band(birth: date | None, today: date) -> str:
    if birth is None:
        return "unknown"
    age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    return "80+" if age >= 80 else f"{age // 10 * 10}-{age // 10 * 10 + 9}"


def recount(today: date) -> Counter[tuple[str, str]]:
    out: Counter[tuple[str, str]] = Counter()

    def add(code: str, figure: str) -> None:
        for area in _areas(code):
            out[(area, figure)] += 1

    months = {m for m, _a, _b in figures.months_shown(today)}
    stale_months = settings.YBSS_STALE_MONTHS
    waiting = {
        pk
        for pair in DuplicatePair.objects.filter(status=PairStatus.PENDING)
        for pk in (pair.person_l_id, pair.person_r_id)
    }
    for p in Person.objects.all():
        if p.residence_code:
            here = p.residence_code
            cats = categories.of(p, here[:6])
            add(here, "pop:total")
            for cat in cats - {"away_from_registration"}:
                add(here, f"pop:{cat}")
            add(here, f"age:{_band(p.birth_date, today)}:{p.gender if p.gender in ('1', '2') else '0'}")
            if "migrant" in cats:
                add(here, f"origin_p:{p.domicile_code[:2] or 'none'}")
                add(here, f"origin_c:{p.domicile_code[:4] or 'none'}")
            for group, filled in completeness(p).items():
                if filled:
                    add(here, f"complete:{group}")
            assert is_stale(p, today) == _older_than(p.last_confirmed, today, stale_months)
            above = None
            for key, lower, upper in figures.freshness_buckets():
                older = lower is None or _older_than(p.last_confirmed, today, lower)
                newer = upper is None or not _older_than(p.last_confirmed, today, upper)
                if older and newer:
                    assert above is None, "freshness buckets overlap"
                    above = key
                    add(here, f"fresh:{key}")
            assert above is not None, "freshness buckets leave a gap"
            r = p.current_residence()
            if not (r and r.address.status == Status.IN_USE and r.address.code == here):
                add(here, "quality:no_address")
            if p.pk in waiting:
                add(here, "quality:duplicates_pending")
        if p.domicile_code and "away_from_registration" in categories.of(p, p.domicile_code[:6]):
            add(p.domicile_code, "pop:away_from_registration")
    sizes: Counter[str] = Counter()
    for r in Residence.objects.filter(is_main=True).select_related("address"):
        if r.valid_from.strftime("%Y-%m") in months:
            add(r.address.code, f"move_in:{r.valid_from:%Y-%m}")
        if r.valid_to and r.valid_to.strftime("%Y-%m") in months:
            add(r.address.code, f"move_out:{r.valid_to:%Y-%m}")
        if r.valid_to is None:
            sizes[r.address.code] += 1
    for code, n in sizes.items():
        add(code, f"hh:{n if n < 6 else '6+'}")
    occupied = {r.address_id for r in Residence.objects.filter(valid_to__isnull=True, is_main=True)}
    for h in House.objects.filter(active=True).select_related("address"):
        code = h.address.code
        add(code, "house:total")
        add(code, f"house:use:{h.use}")
        add(code, "house:occupied" if h.address_id in occupied else "house:unoccupied")
        current = [
            t
            for t in h.tenancies.all()
            if t.valid_from <= today and (t.valid_to is None or t.valid_to >= today)
        ]
        if h.use == HouseUse.RENTED and not current:
            add(code, "house:rented_untenanted")
        if h.last_confirmed < stale_before(today):
            add(code, "house:stale")
    for u in Unit.objects.select_related("address"):
        if u.business_status == BusinessStatus.CANCELLED:
            continue
        code = u.address.code
        add(code, "unit:total")
        add(code, f"unit:type:{u.unit_type}")
        add(code, f"unit:industry:{u.industry or 'none'}")
        if u.special_industry_codes:
            add(code, "unit:special_any")
        for c in u.special_industry_codes:
            add(code, f"unit:special:{c}")
        for days in figures.LICENCE_DAYS:
            if any(
                lic.valid_to and today <= lic.valid_to <= today + timedelta(days=days)
                for lic in u.licences.all()
            ):
                add(code, f"unit:licence:{days}")
        if u.legal_representative_id is None:
            add(code, "unit:no_legal_rep")
        if not u.completeness()["contact"]:
            add(code, "unit:no_contact")
        if u.last_confirmed < stale_before(today):
            add(code, "unit:stale")
    for a in AddressNode.objects.filter(status=Status.IN_USE):
        if (
            not a.children.filter(status=Status.IN_USE).exists()
            and not a.residences.filter(valid_to__isnull=True).exists()
            and not a.houses.filter(active=True).exists()
            and not a.units.exclude(business_status=BusinessStatus.CANCELLED).exists()
        ):
            add(a.code, "quality:empty_address")
    return out


def _table() -> dict[tuple[str, str], int]:
    return {(a, f): v for a, f, v in AreaFigure.objects.values_list("area", "figure", "value")}


def test_every_figure_matches_a_recount_in_every_area(world: dict[str, Any]) -> None:
    today = world["today"]
    figures.refresh(today)
    expected = {k: v for k, v in recount(today).items() if v}
    stored = _table()
    missing = {k: v for k, v in expected.items() if stored.get(k) != v}
    extra = {k: v for k, v in stored.items() if k not in expected}
    assert not missing and not extra, (list(missing.items())[:10], list(extra.items())[:10])
    county = {f: v for (a, f), v in stored.items() if a == "130731"}
    # The generated county exercises every kind of figure, so a wrong filter cannot hide behind a zero.
    for figure in [
        *[f"pop:{c}" for c in figures.POPULATION],
        "origin_p:51",
        "origin_c:none",
        "house:rented_untenanted",
        "house:occupied",
        "unit:licence:30",
        "unit:licence:90",
        "unit:no_legal_rep",
        "unit:no_contact",
        "unit:special:hotel",
        "quality:empty_address",
        "quality:duplicates_pending",
        "fresh:stale",
        "hh:1",
        "hh:3",
    ]:
        assert county.get(figure, 0) > 0, figure
    assert county["quality:no_address"] == 1  # the one planted defect
    assert county["quality:duplicates_pending"] == 5  # three waiting pairs, one person in two
    assert county["pop:total"] == county["pop:registered"] + county["pop:migrant"] + county["pop:foreign"]
    assert county["unit:licence:30"] <= county["unit:licence:60"] <= county["unit:licence:90"]
    assert any(f.startswith("move_out:") for f in county) and any(f.startswith("move_in:") for f in county)


def test_untenanted_rentals_are_the_house_quality_finding(world: dict[str, Any]) -> None:
    today = world["today"]
    found = set(rented_without_current_tenancy(House.objects.all(), today).values_list("pk", flat=True))
    listed = figures.records("house:rented_untenanted", ["130731"], today)
    assert listed is not None and set(listed.values_list("pk", flat=True)) == found and found


def test_each_figure_lists_exactly_the_records_it_counts(world: dict[str, Any]) -> None:
    today = world["today"]
    figures.refresh(today)
    community = world["defect"][:12]
    for area in ("130731", community):
        values = figures.for_prefixes([area], today)
        for figure, value in values.items():
            qs = figures.records(figure, [area], today)
            assert qs is not None, figure
            assert qs.count() == value, (area, figure)


def test_areas_finer_than_the_table_are_computed_live_the_same_way(world: dict[str, Any]) -> None:
    today = world["today"]
    figures.refresh(today)
    node = AddressNode.objects.filter(depth__gte=3, kind="building").order_by("code").first()
    assert node is not None and not figures.stored(node.code)
    live = figures.for_prefixes([node.code], today)
    for figure, value in live.items():
        qs = figures.records(figure, [node.code], today)
        assert qs is not None and qs.count() == value, figure
    assert (
        live.get("pop:total", 0)
        == Person.objects.filter(residence_code__startswith=node.code + "-").count()
        + Person.objects.filter(residence_code=node.code).count()
    )
    # A stored level is a lookup, and the same as the sum of its parts.
    community = node.code[:12]
    parts = AreaFigure.objects.filter(area__startswith=community + "-")
    summed: Counter[str] = Counter()
    for f, v in parts.values_list("figure", "value"):
        summed[f] += v
    whole = figures.for_prefixes([community], today)
    assert whole["pop:total"] == summed["pop:total"] and whole["house:total"] == summed["house:total"]


def test_a_province_is_the_sum_of_its_counties(world: dict[str, Any]) -> None:
    figures.refresh(world["today"])
    assert figures.for_prefixes(["13"]) == figures.for_prefixes(["130731"])


def test_no_breakdown_by_ethnicity_or_religion_exists() -> None:
    names = {f.name for f in Person._meta.get_fields()}
    assert "nationality" in names  # the check can see fields (境外人员 come from it)
    for forbidden in ("ethnic", "minzu", "religio", "politic", "criminal"):
        assert not any(forbidden in n for n in names), forbidden
    keys = " ".join(s.key for s in figures.SPECS) + " ".join(figures.LABELS.values())
    for word in ("民族", "宗教", "政治", "犯罪", "ethnic", "relig"):
        assert word not in keys


def test_freshness_cut_off_is_the_stale_rule_on_every_day_of_a_leap_year() -> None:
    start = date(2024, 1, 1)
    for i in range(0, 366, 3):
        today = start + timedelta(days=i)
        for back in range(300, 460, 7):
            confirmed = today - timedelta(days=back)
            for months in (3, 6, 12):
                assert (confirmed < figures.confirmed_cutoff(today, months)) == _older_than(
                    confirmed, today, months
                )


def test_a_record_merged_into_another_is_counted_once(world: dict[str, Any]) -> None:
    from ybss.people.models import Person

    figures.refresh(world["today"])
    before = figures.for_prefixes(["130731"], world["today"])["pop:total"]
    living = Person.objects.exclude(residence_code="").order_by("pk")
    survivor, copy = living[0], living[1]
    Person.objects.filter(pk=copy.pk).update(merged_into=survivor)
    figures.refresh(world["today"])
    assert figures.for_prefixes(["130731"], world["today"])["pop:total"] == before - 1
