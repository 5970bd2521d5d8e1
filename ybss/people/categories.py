"""Derived population categories. Nobody types these: they follow from the data.

- 户籍人口 registered: registered domicile inside the area, and living here;
- 流动人口 migrant: living here, Chinese, registered outside the area;
- 境外人员 foreign: living here, foreign nationality;
- 人户分离（户在人不在）registered here but living elsewhere: domicile inside the area, no current residence
  here, or a current residence in another township than the domicile;
- 人户分离（人在户不在）living here away from the registration: living here, registered in the area but
  in another township.

The same rule is written twice on purpose: as database filters for counting (``q``) and as plain
Python for one person (``of``). A test recounts every person with ``of`` and compares with ``q``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Substr

from .models import Person

CATEGORIES = {
    "registered": "户籍人口",
    "migrant": "流动人口",
    "foreign": "境外人员",
    "away_from_registration": "人户分离（户在人不在）",
    "living_here_registered_elsewhere": "人户分离（人在户不在）",
}
TOWNSHIP = 9  # length of a township code: the unit at which 人户分离 is judged


def _living(region: str) -> Q:
    return Q(residence_code__startswith=region)


def _registered(region: str) -> Q:
    return Q(domicile_code__startswith=region)


def _same_township() -> Q:
    return Q(domicile_township=F("residence_township"))


def annotate(qs: models.QuerySet[Person]) -> models.QuerySet[Person]:
    return qs.annotate(
        domicile_township=Substr("domicile_code", 1, TOWNSHIP),
        residence_township=Substr("residence_code", 1, TOWNSHIP),
    )


def q(category: str, region: str) -> Q:
    chinese = Q(nationality="CHN")
    if category == "registered":
        return _living(region) & _registered(region) & chinese
    if category == "migrant":
        return _living(region) & ~_registered(region) & chinese
    if category == "foreign":
        return _living(region) & ~chinese
    if category == "away_from_registration":
        return _registered(region) & chinese & (~_living(region) | ~_same_township())
    if category == "living_here_registered_elsewhere":
        return _living(region) & _registered(region) & chinese & ~_same_township()
    raise ValueError(f"unknown category {category!r}")


def count(region: str, base: models.QuerySet[Person] | None = None) -> dict[str, int]:
    qs = annotate(base if base is not None else Person.objects.all())
    return {name: qs.filter(q(name, region)).count() for name in CATEGORIES}


def of(person: Person, region: str) -> set[str]:
    living = person.residence_code.startswith(region)
    registered = person.domicile_code.startswith(region) and bool(person.domicile_code)
    chinese = person.nationality == "CHN"
    same = person.domicile_code[:TOWNSHIP] == person.residence_code[:TOWNSHIP]
    out = set()
    if living and registered and chinese:
        out.add("registered")
    if living and not registered and chinese:
        out.add("migrant")
    if living and not chinese:
        out.add("foreign")
    if registered and chinese and (not living or not same):
        out.add("away_from_registration")
    if living and registered and chinese and not same:
        out.add("living_here_registered_elsewhere")
    return out
