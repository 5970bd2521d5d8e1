"""The one place that decides who may see what, and where.

Every query for registry data goes through ``scoped()`` or
``get_scoped_or_404()``. A record outside the user's jurisdiction raises the
same ``Http404`` as a record that does not exist, so the answer never tells
whether it exists elsewhere.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any, TypeVar

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from ybss.core.db import prefix_q

from .roles import capabilities

M = TypeVar("M", bound=Model)
QS = TypeVar("QS", bound=QuerySet[Any])


@dataclass(frozen=True)
class Scope:
    role: str | None
    caps: frozenset[str]
    prefixes: tuple[str, ...]

    def can(self, cap: str) -> bool:
        return cap in self.caps

    def covers(self, code: str) -> bool:
        """``code`` (a division or address code) lies inside the jurisdiction."""
        return any(code.startswith(p) for p in self.prefixes)

    def leads_to(self, division_code: str) -> bool:
        """A division on the way down to the jurisdiction, shown for browsing only."""
        return any(p.startswith(division_code) for p in self.prefixes)

    def q(self, field: str) -> Q:
        if not self.prefixes:
            return Q(pk__in=[])
        return reduce(or_, (prefix_q(field, p) for p in self.prefixes))

    def q_with_ancestors(self, field: str) -> Q:
        """Inside the jurisdiction, or a division above it (a township's roads serve its communities)."""
        above = {
            p.split("-")[0][:n] for p in self.prefixes for n in (2, 4, 6, 9, 12) if n < len(p.split("-")[0])
        }
        return self.q(field) | Q(**{f"{field}__in": sorted(above)})


NO_SCOPE = Scope(role=None, caps=frozenset(), prefixes=())


def scope_for(user: Any) -> Scope:
    """The user's scope, computed once per request and kept on the user object."""
    cached = getattr(user, "_ybss_scope", None)
    if cached is not None:
        return cached
    scope = _compute(user)
    with contextlib.suppress(AttributeError):  # a user object that refuses attributes: recompute
        user._ybss_scope = scope
    return scope


SCOPE_CACHE_SECONDS = 60


def _compute(user: Any) -> Scope:
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", True):
        return NO_SCOPE
    key = f"ybss:scope:{user.pk}"
    hit = cache.get(key)
    if hit is None:
        hit = _load(user.pk)
        # Every request needs the scope; the cache saves its queries. Changes made
        # through the access actions clear it at once; other edits (the admin site)
        # take effect within SCOPE_CACHE_SECONDS.
        cache.set(key, hit, SCOPE_CACHE_SECONDS)
    role, prefixes = hit
    if role is None:
        return NO_SCOPE
    return Scope(role=role, caps=capabilities(role), prefixes=tuple(prefixes))


def _load(user_pk: int) -> tuple[str | None, tuple[str, ...]]:
    from .models import Jurisdiction, UserAccess

    access = UserAccess.objects.filter(user_id=user_pk).first()
    if access is None:
        return None, ()
    held = set(access.jurisdictions.values_list("pk", flat=True))
    # The whole tree is small (a county has hundreds of jurisdictions): one query, walked here.
    tree = list(Jurisdiction.objects.values_list("pk", "parent_id", "prefixes"))
    children: dict[int | None, list[int]] = {}
    own: dict[int, list[str]] = {}
    for pk, parent, prefixes in tree:
        children.setdefault(parent, []).append(pk)
        own[pk] = list(prefixes or [])
    codes: set[str] = set()
    frontier = list(held)
    while frontier:
        pk = frontier.pop()
        codes.update(own.get(pk, []))
        frontier.extend(children.get(pk, []))
    return access.role, _minimal(codes)


def _minimal(codes: Iterable[str]) -> tuple[str, ...]:
    kept: list[str] = []
    for code in sorted(set(codes), key=len):
        if not any(code.startswith(k) for k in kept):
            kept.append(code)
    return tuple(sorted(kept))


def forget(user: Any) -> None:
    """Drop a cached scope after the user's role or jurisdictions changed."""
    if hasattr(user, "_ybss_scope"):
        del user._ybss_scope
    cache.delete(f"ybss:scope:{user.pk}")


def require(user: Any, cap: str) -> Scope:
    scope = scope_for(user)
    if not scope.can(cap):
        raise PermissionDenied
    return scope


def scoped(user: Any, qs: QS, field: str) -> QS:
    """``qs`` limited to the user's jurisdiction, ``field`` holding the code to test."""
    return qs.filter(scope_for(user).q(field))


def get_scoped_or_404(user: Any, qs: QuerySet[M], field: str, **lookup: Any) -> M:
    obj = scoped(user, qs, field).filter(**lookup).first()
    if obj is None:
        raise Http404
    return obj
