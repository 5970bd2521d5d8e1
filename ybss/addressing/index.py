"""An in-memory index of standard addresses for matching many inputs quickly.

:func:`ybss.addressing.match` scores every candidate it is given; for an
address base of millions of rooms the candidates must first be narrowed
("blocking"). The index groups standard addresses by *place*: the division
and the road, door plate, lane, village group and compound they share. A
room is then a *tail* (building, unit, floor, room) inside its place.

A search

1. finds places by exact or similar road and compound names, by village
   group, or (failing those) by division, keeping only places whose
   division fits the address's;
2. inside each place takes the tails that agree with the numbers the address
   gives, allowing one of building or unit to be missing;
3. scores those few candidates with :func:`match`.

It never scans all candidates. Exact equality on the normalized key comes
first: an address whose every element agrees scores 1.0 and is returned
first.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher

from .matching import (
    CONFIDENT,
    REVIEW,
    Candidate,
    CandidateLike,
    MatchResult,
    _as_candidate,
    element_value,
    match,
)
from .parser import ParsedAddress, parse

__all__ = ["AddressIndex"]

# Elements that identify a place; the rest are the tail inside it.
PLACE_KINDS = (
    "town",
    "community",
    "village_group",
    "road",
    "road_no",
    "subroad",
    "subroad_no",
    "poi",
    "subpoi",
)
TAIL_KINDS = ("building", "unit", "floor", "room")
# Names looked up by similarity when not found exactly.
NAME_KINDS = ("road", "poi")
_SIMILAR = 0.6
# Generic words at the end of a compound's name: 阳光小区, 阳光花园 and 阳光
# are often one compound written three ways.
_GENERIC_SUFFIXES = (
    "小区", "花园", "家园", "新村", "公寓", "名苑", "山庄", "华府", "华庭", "大厦", "社区", "苑", "园", "城",
)  # fmt: skip
_MAX_PLACES = 12
_MAX_CANDIDATES = 200

Tail = tuple[str, str, str, str]  # building, unit, floor, room ("" when absent)


@dataclass(slots=True)
class _Place:
    division: str | None
    elements: dict[str, str]
    tails: dict[Tail, list[Hashable]] = field(default_factory=dict)
    # (building, room), (unit, room), (room,) → tails, for addresses missing a level.
    partial: dict[tuple[str, ...], list[Tail]] = field(default_factory=dict)


def _grams(name: str) -> set[str]:
    return {name[i : i + 2] for i in range(len(name) - 1)} or {name}


class AddressIndex:
    """Standard addresses indexed for :meth:`search`.

    >>> idx = AddressIndex()
    >>> idx.add(Candidate(1, "130731100002", {"road": "轩辕路", "road_no": "18", "poi": "阳光小区",
    ...                                        "building": "3", "unit": "2", "room": "502"}))
    >>> idx.search("轩辕路18号阳光小区3-2-502", region="130731")[0].candidate_id
    1
    """

    def __init__(self, candidates: Iterable[CandidateLike] = ()) -> None:
        self._places: list[_Place] = []
        self._place_ids: dict[tuple[str | None, tuple[tuple[str, str], ...]], int] = {}
        # (kind, normalized name) → place numbers; (kind, bigram) → names.
        self._by_name: dict[tuple[str, str], list[int]] = {}
        self._grams: dict[tuple[str, str], set[str]] = {}
        self._by_group: dict[str, list[int]] = {}
        # (kind, alias or stem) → known names it may stand for.
        self._aliases: dict[tuple[str, str], set[str]] = {}
        self._by_division: dict[str, list[int]] = {}
        self._count = 0
        for cand in candidates:
            self.add(cand)

    def __len__(self) -> int:
        return self._count

    # -- building --------------------------------------------------------------
    def add(self, candidate: CandidateLike) -> None:
        """Add one standard address (a :class:`Candidate`, tuple or mapping)."""
        cand = _as_candidate(candidate)
        values = {k: element_value(k, v) for k, v in cand.elements.items() if v}
        place_key = tuple((k, values[k]) for k in PLACE_KINDS if values.get(k))
        key = (cand.division_code, place_key)
        number = self._place_ids.get(key)
        if number is None:
            number = len(self._places)
            self._place_ids[key] = number
            self._places.append(_Place(cand.division_code, dict(place_key)))
            for kind in NAME_KINDS:
                name = values.get(kind)
                if name:
                    self._by_name.setdefault((kind, name), []).append(number)
                    for g in _grams(name):
                        self._grams.setdefault((kind, g), set()).add(name)
                    if kind == "poi":
                        self._aliases.setdefault((kind, _stem(name)), set()).add(name)
            group = values.get("village_group")
            if group:
                self._by_group.setdefault(group, []).append(number)
            if cand.division_code:
                self._by_division.setdefault(cand.division_code, []).append(number)
        place = self._places[number]
        b, u, f, r = (values.get(k, "") for k in TAIL_KINDS)
        tail = (b, u, f, r)
        ids = place.tails.get(tail)
        if ids is None:
            place.tails[tail] = [cand.id]
            if r:
                for part in {(b, "", r), ("", u, r), ("", "", r)}:
                    if part != (b, u, r):
                        place.partial.setdefault(part, []).append(tail)
        else:
            ids.append(cand.id)
        self._count += 1

    def add_alias(self, kind: str, alias: str, name: str) -> None:
        """Let ``alias`` (an old or informal name) stand for the known ``name`` of a road or compound."""
        self._aliases.setdefault((kind, element_value(kind, alias)), set()).add(element_value(kind, name))

    # -- searching -------------------------------------------------------------
    def resolve_aliases(self, parsed: ParsedAddress) -> ParsedAddress:
        """``parsed`` with road and compound names replaced by the known name they stand for.

        A name not in the base is replaced when exactly one known name fits:
        through an alias given to :meth:`add_alias`, or by the same stem with
        another generic word (阳光花园 or 阳光 for 阳光小区). Otherwise it is
        left alone, and scoring compares it as written.
        """
        changed: dict[tuple[str, str], str] = {}
        for el in parsed.elements:
            if el.kind in NAME_KINDS and el.value and (el.kind, el.value) not in self._by_name:
                names = {
                    n
                    for n in self._alias_names(el.kind, el.value)
                    if any(
                        _division_fits(parsed, self._places[p].division) for p in self._by_name[(el.kind, n)]
                    )
                }
                if len(names) == 1:
                    changed[(el.kind, el.value)] = next(iter(names))
        if not changed:
            return parsed
        elements = tuple(
            replace(el, value=changed[(el.kind, el.value)]) if (el.kind, el.value) in changed else el
            for el in parsed.elements
        )
        return replace(parsed, elements=elements)

    def _alias_names(self, kind: str, name: str) -> set[str]:
        names = set(self._aliases.get((kind, name), ()))
        if not names and kind == "poi":
            names = set(self._aliases.get((kind, _stem(name)), ()))
        return {n for n in names if (kind, n) in self._by_name}

    def candidates(self, parsed: ParsedAddress) -> list[Candidate]:
        """The few standard addresses worth scoring against ``parsed``."""
        mine: dict[str, str] = {}
        for el in parsed.elements:
            if el.kind not in mine and el.kind != "other" and el.value:
                mine[el.kind] = el.value
        places = self._places_for(parsed, mine)
        out: list[Candidate] = []
        b, u, f, r = (mine.get(k, "") for k in TAIL_KINDS)
        for number in places:
            place = self._places[number]
            exact = (b, u, f, r) in place.tails or (b, u, "", r) in place.tails
            tails: list[Tail] = [
                t
                for t in ((b, u, f, r), (b, u, "", r), ("", "", "", ""), (b, "", "", ""), (b, u, "", ""))
                if t in place.tails
            ]
            if r:
                keys: list[tuple[str, str, str]] = []
                if not exact:
                    keys.append((b, "", r))  # room written without its unit, or a wrong unit
                if not b:
                    keys.append(("", u, r))  # building left out
                if not b and not u:
                    keys.append(("", "", r))
                for key in keys:
                    tails.extend(place.partial.get(key, ()))
            seen: set[Tail] = set()
            for tail in tails:
                if tail in seen:
                    continue
                seen.add(tail)
                elements = dict(place.elements)
                for kind, value in zip(TAIL_KINDS, tail, strict=True):
                    if value:
                        elements[kind] = value
                for ident in place.tails[tail]:
                    out.append(Candidate(ident, place.division, elements))
                if len(out) >= _MAX_CANDIDATES:
                    return out
        return out

    def search(
        self,
        address: ParsedAddress | str,
        *,
        limit: int = 5,
        region: str | None = None,
        confident: float = CONFIDENT,
        review: float = REVIEW,
    ) -> list[MatchResult]:
        """Best standard addresses for ``address``, best first (at most ``limit``)."""
        parsed = parse(address, region) if isinstance(address, str) else address
        parsed = self.resolve_aliases(parsed)
        results = match(parsed, self.candidates(parsed), confident=confident, review=review)
        return results[:limit]

    def _places_for(self, parsed: ParsedAddress, mine: Mapping[str, str]) -> list[int]:
        scored: dict[int, float] = {}
        for kind in NAME_KINDS:
            name = mine.get(kind)
            if not name:
                continue
            for other, sim in self._similar_names(kind, name):
                for number in self._by_name[(kind, other)]:
                    scored[number] = scored.get(number, 0.0) + sim
        group = mine.get("village_group")
        if group:
            for number in self._by_group.get(group, ()):
                scored[number] = scored.get(number, 0.0) + 0.5
        if not scored and parsed.division_code and len(parsed.division_code) >= 9:
            # Nothing named but the division: its places (bounded).
            for code, numbers in self._by_division.items():
                if code.startswith(parsed.division_code):
                    for number in numbers[:_MAX_PLACES]:
                        scored[number] = 0.1
        fits = [n for n in scored if _division_fits(parsed, self._places[n].division)]
        for number in fits:
            place = self._places[number]
            # Places that also agree on the door plate and compound rank first.
            for kind in ("road_no", "poi", "subroad_no"):
                if kind in mine and place.elements.get(kind) == mine[kind]:
                    scored[number] += 0.5
            if place.division and parsed.division_code and place.division.startswith(parsed.division_code):
                scored[number] += 0.2
        fits.sort(key=lambda n: -scored[n])
        if fits:
            # Keep the places close to the best one; the rest would not win.
            floor = scored[fits[0]] * 0.75
            fits = [n for n in fits if scored[n] >= floor]
        return fits[:_MAX_PLACES]

    def _similar_names(self, kind: str, name: str) -> list[tuple[str, float]]:
        if (kind, name) in self._by_name:
            return [(name, 1.0)]
        aliases = self._alias_names(kind, name)
        if aliases:
            return [(other, 0.95) for other in aliases]
        counts: dict[str, int] = {}
        for g in _grams(name):
            for other in self._grams.get((kind, g), ()):
                counts[other] = counts.get(other, 0) + 1
        best = sorted(counts, key=lambda o: -counts[o])[:30]
        out = []
        for other in best:
            sim = SequenceMatcher(None, name, other).ratio()
            if sim >= _SIMILAR:
                out.append((other, sim))
        return out


def _stem(name: str) -> str:
    for suffix in _GENERIC_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def _division_fits(parsed: ParsedAddress, code: str | None) -> bool:
    mine = parsed.division_code
    if code is None or mine is None:
        return True
    if parsed.ambiguous:
        return any(code.startswith(c.code) or c.code.startswith(code) for c in parsed.candidates)
    return code.startswith(mine) or mine.startswith(code)
