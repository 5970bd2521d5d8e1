"""Quality findings on houses: records that contradict each other.

Each function takes the houses or tenancies to look at, so a caller passes a
queryset already limited to the user's jurisdiction (``scoped(user, …)``), and
returns a queryset, so pages can count and page through the findings.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Exists, OuterRef, QuerySet

from .models import House, HouseUse, Tenancy, current_q


def rented_without_current_tenancy(
    houses: QuerySet[House] | None = None, today: date | None = None
) -> QuerySet[House]:
    """Active houses used as 出租 with no tenancy in force today."""
    qs = House.objects.all() if houses is None else houses
    in_force = Tenancy.objects.filter(current_q(today), house=OuterRef("pk"))
    return qs.filter(active=True, use=HouseUse.RENTED).exclude(Exists(in_force))


def tenancies_on_self_occupied(
    tenancies: QuerySet[Tenancy] | None = None, today: date | None = None
) -> QuerySet[Tenancy]:
    """Tenancies in force today on a house marked 自住 (self-occupied).

    Tenancies that ended before the owner moved back in are history, not a
    contradiction, so only those in force count.
    """
    qs = Tenancy.objects.all() if tenancies is None else tenancies
    return qs.filter(current_q(today), house__active=True, house__use=HouseUse.SELF)
