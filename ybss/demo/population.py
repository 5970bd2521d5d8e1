"""A synthetic actual population for the demo county, from a seed.

Families live in the demo's dwellings: locals in their own homes, migrants from other
provinces renting rooms (some with a residence permit), a few foreigners on passports.
Some people are registered in one township of the county and live in another (人户分离),
and some are registered here but live elsewhere, so they have no residence at all.

ID numbers are valid GB 11643 numbers for the person's birthplace, birth date and sex:
locals born before 1993 mostly carry the county's old code 132530, the rest 130730's
successor 130731; migrants carry a real county code of their home province.

Everything is written through ``ybss.people.actions.bulk_register``, which applies the
same checks as registering one person. The same seed and target give the same people.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from itertools import accumulate

from django.db import transaction

from ybss.access import crypto
from ybss.addresses.models import AddressNode, Kind
from ybss.core.db import prefix_q
from ybss.divisions.models import Division, Level
from ybss.lib.divisions import PLACEHOLDER_NAMES, history, iter_divisions
from ybss.lib.idcard import check_char
from ybss.people.actions import MoveIn, PersonInput, bulk_register
from ybss.people.models import ID_NUMBER, DocType, Person, Relation, ResidenceKind, StayReason

from . import names

DEMO_COUNTY = "130731"
# A county of about 120,000 dwellings has about 350,000 people.
PEOPLE_PER_DWELLING = 350_000 / 120_000
BATCH = 2000
# Dates are counted back from a fixed day so that the same seed gives the same people
# whatever day the demo runs (and never a date after today).
REFERENCE = date(2025, 12, 31)

# Mean people per dwelling from the main household alone (measured), and per extra
# renting household; extra renters make up the target when dwellings are few.
_MAIN_PER_DWELLING = 3.06
_RENTERS_PER_HOUSEHOLD = 2.35

Row = tuple[PersonInput, MoveIn | None]


@dataclass
class PopulationReport:
    people: int = 0
    residences: int = 0
    households: int = 0
    dwellings_used: int = 0
    migrants: int = 0
    foreigners: int = 0
    split: int = 0  # registered in one township of the county, living in another
    away: int = 0  # registered here, living elsewhere: no residence
    seconds: float = 0.0


def people_for(dwellings: int) -> int:
    """The population target for a demo of ``dwellings`` dwellings (about 350,000 for 120,000)."""
    return round(dwellings * PEOPLE_PER_DWELLING)


def has_population(county: str = DEMO_COUNTY) -> bool:
    return Person.objects.filter(
        prefix_q("residence_code", county) | prefix_q("domicile_code", county)
    ).exists()


@dataclass(frozen=True)
class Dwelling:
    pk: int
    code: str
    kind: str
    full_text: str

    def node(self) -> AddressNode:
        return AddressNode(pk=self.pk, code=self.code, kind=self.kind, full_text=self.full_text)


def dwellings(county: str = DEMO_COUNTY) -> list[Dwelling]:
    """Rooms, and door plates with nothing under them (village houses, 平房), in code order."""
    base = AddressNode.objects.in_use().within(county)
    rooms = base.filter(kind=Kind.ROOM)
    houses = base.filter(kind=Kind.DOORPLATE).exclude(
        pk__in=AddressNode.objects.within(county).filter(parent__kind=Kind.DOORPLATE).values("parent_id")
    )
    out = [Dwelling(*row) for row in rooms.values_list("pk", "code", "kind", "full_text")]
    out += [Dwelling(*row) for row in houses.values_list("pk", "code", "kind", "full_text")]
    out.sort(key=lambda d: d.code)
    return out


def old_code(county: str) -> tuple[str, int] | None:
    """The county's code before its last change, and the year it changed (IDs issued then keep it).

    涿鹿县 (130731) was 132530 until 1993. A county whose code never changed gives None.
    """
    best: tuple[str, int] | None = None
    for rec in history().values():
        if rec.in_use or county not in rec.successors or not rec.end[:4].isdigit():
            continue
        year = int(rec.end[:4])
        if best is None or year > best[1]:
            best = (rec.code, year)
    return best


def taken_numbers() -> set[str]:
    """Document numbers already registered, as the generator keeps them (17 digits of a resident ID).

    A second county generated into the same database must not draw a number the first one
    gave out: a migrant of either may come from the other.
    """
    decrypt = crypto.keyring().decryptor(ID_NUMBER.context)
    out: set[str] = set()
    for token, doc_type in (
        Person.objects.order_by().values_list("id_number_enc", "doc_type").iterator(chunk_size=20_000)
    ):
        if token:
            number = decrypt(token)
            out.add(number[:17] if doc_type == DocType.RESIDENT_ID and len(number) == 18 else number)
    return out


@lru_cache(maxsize=1)
def home_counties() -> dict[str, list[tuple[str, str]]]:
    """Real county-level codes by province, with the home place as written.

    ``{"14": [("140121", "山西省太原市清徐县"), …], …}``
    """
    names_by_code: dict[str, str] = {}
    out: dict[str, list[tuple[str, str]]] = {}
    for rec in iter_divisions():
        if len(rec.code) > 6:
            break  # provinces, cities and counties come first
        names_by_code[rec.code] = rec.name
        if len(rec.code) == 6 and rec.name not in PLACEHOLDER_NAMES and rec.name.endswith(("县", "市", "旗")):
            city = names_by_code.get(rec.code[:4], "")
            place = (
                names_by_code.get(rec.code[:2], "") + ("" if city in PLACEHOLDER_NAMES else city) + rec.name
            )
            out.setdefault(rec.code[:2], []).append((rec.code, place))
    return out


class _Weighted:
    def __init__(self, rng: random.Random, table: Sequence[tuple[str, float]]) -> None:
        self.rng = rng
        self.values = [v for v, _ in table]
        self.cum = list(accumulate(w for _, w in table))

    def __call__(self) -> str:
        return self.rng.choices(self.values, cum_weights=self.cum)[0]


@dataclass
class _Member:
    relation: str
    gender: str
    age: int
    surname: str
    lives_here: bool = True


class _Generator:
    def __init__(
        self, rng: random.Random, county: str, report: PopulationReport, taken: set[str] | None = None
    ) -> None:
        self.rng = rng
        self.county = county
        self.report = report
        self.ref = min(REFERENCE, date.today())
        self.surname = _Weighted(rng, names.SURNAMES)
        self.phone_prefix = _Weighted(rng, names.MOBILE_PREFIXES)
        self.province = _Weighted(rng, names.MIGRANT_PROVINCES)
        self.nationality = _Weighted(rng, names.FOREIGN_WEIGHTS)
        counties = home_counties()
        self.homes = counties
        self.hebei = [c for c in counties.get(county[:2], []) if c[0] != county]
        towns = list(Division.objects.filter(parent_id=county, level=Level.TOWNSHIP).order_by("code"))
        self.towns = [(t.code, t.name) for t in towns]
        villages: dict[str, list[str]] = {}
        for code, short in (
            Division.objects.within(county)
            .filter(level=Level.COMMUNITY)
            .order_by("code")
            .values_list("code", "short_name")
        ):
            villages.setdefault(code[:9], []).append(short)
        self.villages = villages
        self.county_name = Division.objects.get(code=county).name
        self.old_code = old_code(county)
        self.ids: set[str] = taken if taken is not None else set()
        self.phones: set[str] = set()
        self.permits = 0
        self.foreign_countdown = rng.randint(20, 120)

    # -- people -----------------------------------------------------------------------------

    def birth(self, age: int) -> date:
        return self.ref - timedelta(days=age * 365 + age // 4 + self.rng.randint(0, 364))

    def given(self, gender: str, year: int) -> str:
        rng = self.rng
        era = "old" if year < 1965 else "mid" if year < 1995 else "young"
        if rng.random() < 0.3:
            return rng.choice(names.WHOLE_NAMES[(era, gender)])
        chars = names.NAME_CHARS[(era, gender)]
        if rng.random() < {"old": 0.2, "mid": 0.35, "young": 0.12}[era]:
            return rng.choice(chars)
        first, second = rng.choice(chars), rng.choice(chars)
        if first == second and rng.random() < 0.8:
            second = rng.choice(chars)
        return first + second

    def id_number(self, division: str, birth: date, gender: str) -> str:
        stem = division + birth.strftime("%Y%m%d")
        odd = "13579" if gender == "1" else "02468"
        while True:
            first17 = f"{stem}{self.rng.randint(0, 99):02d}{self.rng.choice(odd)}"
            if first17 not in self.ids:
                self.ids.add(first17)
                return first17 + check_char(first17)

    def phone(self, age: int) -> str:
        if age < 16 or self.rng.random() > (0.55 if age > 75 else 0.96):
            return ""
        while True:
            number = self.phone_prefix() + f"{self.rng.randint(0, 99_999_999):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def person(
        self, m: _Member, division: str, domicile: str, detail: str, employers: list[str]
    ) -> PersonInput:
        birth = self.birth(m.age)
        rng = self.rng
        employer = ""
        if 3 <= m.age < 18:
            employer = rng.choice(next(s for start, s in reversed(names.SCHOOLS) if m.age >= start))
        elif 18 <= m.age < 65 and rng.random() < 0.45:
            employer = rng.choice(employers)
        given = self.given(m.gender, birth.year)
        former = []
        if m.age > 40 and rng.random() < 0.015:
            former = [m.surname + self.given(m.gender, birth.year - 10)]
        return PersonInput(
            name=m.surname + given,
            id_number=self.id_number(division, birth, m.gender),
            gender=m.gender,
            domicile_division=domicile,
            domicile_detail=detail,
            phone=self.phone(m.age),
            employer_text=employer,
            former_names=former,
        )

    # -- households -------------------------------------------------------------------------

    def family(self, size: int, migrant: bool) -> list[_Member]:
        """Householder first; GB/T 4761 relations; ages consistent with the roles."""
        rng = self.rng
        pick = rng.random()
        if migrant:
            shapes = {
                1: ["H"],
                2: ["HS"] * 6 + ["HX"] * 4,
                3: ["HSC"] * 7 + ["HXX"] * 3,
                4: ["HSCC"] * 6 + ["HXXX"] * 4,
            }
        else:
            shapes = {
                1: ["H"],
                2: ["HS"] * 8 + ["HC", "HP"],
                3: ["HSC"] * 15 + ["HSP"] * 2 + ["HCC", "HPP", "HPP"],
                4: ["HSCC"] * 12 + ["HSCP"] * 5 + ["HSPP"] * 3,
                5: ["HSCCP"] * 7 + ["HSCPP"] * 7 + ["HSDG"] * 6,
            }
        shape = shapes[size][int(pick * len(shapes[size]))]
        has_parents, has_children = "P" in shape, "C" in shape or "D" in shape
        if "D" in shape:
            age = rng.randint(54, 75)
        elif has_parents:
            age = rng.randint(24, 52)
        elif migrant:
            age = rng.randint(19, 55)
        elif has_children:
            age = rng.randint(26, 62)
        elif size == 1:
            age = rng.choice([rng.randint(20, 40), rng.randint(60, 92)])
        else:
            age = rng.randint(22, 85)
        gender = "1" if rng.random() < (0.8 if size > 1 else 0.55) else "2"
        head = _Member(Relation.HOUSEHOLDER, gender, age, self.surname())
        out = [head]
        father = head if gender == "1" else None
        mother = head if gender == "2" else None
        if "S" in shape:
            s_gender = "2" if gender == "1" else "1"
            s_age = max(20, age + (rng.randint(-6, 1) if gender == "1" else rng.randint(-1, 6)))
            spouse = _Member(Relation.SPOUSE, s_gender, s_age, self.surname())
            out.append(spouse)
            father = father or spouse
            mother = mother or spouse
        family_name = father.surname if father else self.surname()
        mother_age = mother.age if mother else age
        child_age = None
        for letter in shape[1:]:
            if letter in "CD":
                if child_age is None:
                    child_age = mother_age - rng.randint(21, 34)
                else:
                    child_age -= rng.randint(1, 7)
                child_age = max(24 if letter == "D" else 0, child_age)
                c_gender = "1" if letter == "D" or rng.random() < 0.52 else "2"
                out.append(
                    _Member(
                        Relation.SON if c_gender == "1" else Relation.DAUGHTER,
                        c_gender,
                        child_age,
                        family_name,
                    )
                )
            elif letter == "G":
                son = out[-1]
                out.append(
                    _Member(
                        Relation.OTHER_RELATIVE, "2", max(20, son.age + rng.randint(-4, 1)), self.surname()
                    )
                )  # 儿媳
                g_gender = "1" if rng.random() < 0.52 else "2"
                out.append(
                    _Member(Relation.GRANDCHILD, g_gender, max(0, son.age - rng.randint(22, 32)), son.surname)
                )
            elif letter == "P":
                have_father = any(m.relation == Relation.PARENT and m.gender == "1" for m in out)
                p_gender = "2" if have_father or (shape.count("P") == 1 and rng.random() < 0.6) else "1"
                p_age = min(95, age + rng.randint(22, 34))
                surname = head.surname if p_gender == "1" else self.surname()
                out.append(_Member(Relation.PARENT, p_gender, p_age, surname))
            elif letter == "X":
                out.append(
                    _Member(Relation.NON_RELATIVE, rng.choice("112"), rng.randint(18, 55), self.surname())
                )
        return out

    def local(self, dwelling: Dwelling, node: AddressNode) -> list[Row]:
        rng = self.rng
        size = rng.choices((1, 2, 3, 4, 5), cum_weights=(8, 28, 53, 76, 100))[0]
        members = self.family(size, migrant=False)
        town = dwelling.code[:9]
        domicile, detail = town, dwelling.full_text[:200]
        split = rng.random() < 0.12 and len(self.towns) > 1
        if split:
            code, town_name = rng.choice([t for t in self.towns if t[0] != town])
            village = rng.choice(self.villages.get(code) or [""])
            domicile = code
            detail = f"{self.county_name}{town_name}{village}{rng.randint(1, 120)}号"
        head = members[0]
        if head.age >= 45 and rng.random() < 0.3:
            # A grown-up child still registered at home, working in Beijing or Zhangjiakou.
            away_age = max(18, min(35, head.age - rng.randint(22, 30)))
            gender = "1" if rng.random() < 0.55 else "2"
            couple = (Relation.HOUSEHOLDER, Relation.SPOUSE)
            surname = next(
                (m.surname for m in members if m.gender == "1" and m.relation in couple), head.surname
            )
            members.append(_Member(Relation.SON, gender, away_age, surname, lives_here=False))
        earliest = max(self.birth(head.age) + timedelta(days=18 * 366), date(1985, 1, 1))
        latest = self.ref - timedelta(days=20)
        moved = earliest + timedelta(days=rng.randint(0, max(0, (latest - earliest).days)))
        moved = min(moved, latest)
        rows: list[Row] = []
        for m in members:
            person = self.person(m, self._local_code(m), domicile, detail, names.EMPLOYERS)
            move = None
            if m.lives_here:
                start = max(moved, _birth_of(person))
                move = MoveIn(node, start, kind=ResidenceKind.OWNED, relation=m.relation)
                self.report.split += split
            else:
                self.report.away += 1
            rows.append((person, move))
        return rows

    def _local_code(self, m: _Member) -> str:
        rng = self.rng
        if m.relation in (Relation.SPOUSE, Relation.OTHER_RELATIVE) and rng.random() < 0.15:
            # Married in from elsewhere: the ID keeps the birthplace.
            pool = self.hebei if rng.random() < 0.6 and self.hebei else self.homes[self.province()]
            return rng.choice(pool)[0]
        if self.old_code and self.ref.year - m.age < self.old_code[1] and rng.random() < 0.9:
            return self.old_code[0]
        return self.county

    def migrant(self, node: AddressNode) -> list[Row]:
        rng = self.rng
        size = rng.choices((1, 2, 3, 4), cum_weights=(25, 55, 85, 100))[0]
        members = self.family(size, migrant=True)
        code, place = rng.choice(self.homes[self.province()])
        stay = rng.randint(15, 2400)
        moved = self.ref - timedelta(days=stay)
        rows: list[Row] = []
        for m in members:
            home, home_place = (code, place)
            if m.relation == Relation.NON_RELATIVE:  # a workmate sharing the room
                home, home_place = rng.choice(self.homes[self.province()])
            person = self.person(m, home, "", home_place, names.MIGRANT_EMPLOYERS)
            start = max(moved, _birth_of(person))
            adult = m.age >= 18
            move = MoveIn(
                node,
                start,
                kind=ResidenceKind.RENTED,
                relation=m.relation,
                reason=(
                    rng.choice([StayReason.WORK] * 7 + [StayReason.BUSINESS] * 3)
                    if adult
                    else StayReason.FAMILY
                ),
            )
            if adult and stay > 200 and rng.random() < 0.5:
                issued = start + timedelta(days=rng.randint(30, max(30, (self.ref - start).days)))
                self.permits += 1
                move.permit_number = f"{self.county}{issued.year}{self.permits:06d}"
                move.permit_valid_to = issued + timedelta(days=365)
            rows.append((person, move))
        self.report.migrants += len(rows)
        return rows

    def foreign(self, node: AddressNode) -> list[Row]:
        rng = self.rng
        nationality = self.nationality()
        table = names.FOREIGN[nationality]
        moved = self.ref - timedelta(days=rng.randint(30, 1500))
        rows: list[Row] = []
        head_gender = "1" if rng.random() < 0.7 else "2"
        surname = rng.choice(table.surnames)
        members = [(head_gender, rng.randint(23, 60), Relation.HOUSEHOLDER)]
        if rng.random() < 0.4:
            members.append(("2" if head_gender == "1" else "1", rng.randint(23, 60), Relation.SPOUSE))
        for gender, age, relation in members:
            given = rng.choice(table.male if gender == "1" else table.female)
            family = surname + ("A" if nationality == "RUS" and gender == "2" else "")
            while True:
                number = "".join(
                    rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") if c == "A" else str(rng.randint(0, 9))
                    for c in table.passport
                )
                if number not in self.ids:
                    self.ids.add(number)
                    break
            birth = self.birth(age)
            person = PersonInput(
                name=f"{family} {given}",
                id_number=number,
                doc_type=DocType.PASSPORT,
                gender=gender,
                birth_date=birth,
                nationality=nationality,
                phone=self.phone(age),
                employer_text=rng.choice(
                    [f"{self.county_name}某葡萄酒有限公司", "外语培训机构", "个体经营", ""]
                ),
            )
            reason = rng.choice([StayReason.WORK, StayReason.BUSINESS, StayReason.STUDY])
            rows.append(
                (person, MoveIn(node, moved, kind=ResidenceKind.RENTED, relation=relation, reason=reason))
            )
        self.report.foreigners += len(rows)
        return rows

    def dwelling(self, dwelling: Dwelling, occupancy: float, extra_renters: float) -> list[Row]:
        rng = self.rng
        if occupancy < 1 and rng.random() > occupancy:
            return []  # fewer people asked for than the dwellings hold: spread them out
        urban = dwelling.kind == Kind.ROOM
        node = dwelling.node()
        rows: list[Row] = []
        if urban:
            self.foreign_countdown -= 1
            if self.foreign_countdown <= 0:
                self.foreign_countdown = rng.randint(150, 450)
                rows = self.foreign(node)
        if not rows:
            draw = rng.random()
            if draw < (0.06 if urban else 0.05):
                return []
            migrant = draw < (0.32 if urban else 0.11)
            rows = self.migrant(node) if migrant else self.local(dwelling, node)
        households = 1
        if extra_renters and rng.random() < extra_renters:
            # A rented room in the courtyard, or a flat shared with another household.
            rows += self.migrant(node)
            households += 1
        self.report.households += households
        self.report.dwellings_used += 1
        return rows


def _birth_of(person: PersonInput) -> date:
    number = person.id_number
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def generate(
    seed: int = 2023,
    people: int | None = None,
    *,
    county: str = DEMO_COUNTY,
    report: PopulationReport | None = None,
    taken: set[str] | None = None,
) -> Iterator[Row]:
    """The people ``build_population`` would register, household by household, without writing them.

    Also what ``bench/import_export.py`` writes into an import file. ``taken`` holds the
    numbers given out already (see ``taken_numbers``) and receives the new ones.
    """
    report = report if report is not None else PopulationReport()
    homes = dwellings(county)
    target = people if people is not None else people_for(len(homes))
    rng = random.Random(f"ybss-people-{seed}" + ("" if county == DEMO_COUNTY else f"-{county}"))
    gen = _Generator(rng, county, report, taken)
    per_dwelling = target / max(1, len(homes))
    occupancy = min(1.0, per_dwelling / _MAIN_PER_DWELLING)
    extra = min(0.95, max(0.0, (per_dwelling - _MAIN_PER_DWELLING) / _RENTERS_PER_HOUSEHOLD))
    made = 0
    for home in homes:
        if made >= target:
            break
        rows = gen.dwelling(home, occupancy, extra)
        made += len(rows)
        yield from rows


def build_population(
    seed: int = 2023,
    people: int | None = None,
    *,
    county: str = DEMO_COUNTY,
    batch: int = BATCH,
    progress: Callable[[str], None] | None = None,
    taken: set[str] | None = None,
) -> PopulationReport:
    """Fill the county's dwellings with about ``people`` people (default: ``people_for`` its dwellings)."""
    started = time.perf_counter()
    report = PopulationReport()
    pending: list[Row] = []

    def flush() -> None:
        with transaction.atomic():
            made = bulk_register(None, pending)
        report.people += len(made)
        report.residences += sum(1 for _, move in pending if move is not None)
        pending.clear()
        if progress:
            progress(f"实有人口：累计 {report.people} 人")

    if taken is None:
        taken = taken_numbers()
    for row in generate(seed, people, county=county, report=report, taken=taken):
        pending.append(row)
        if len(pending) >= batch:
            flush()
    if pending:
        flush()
    report.seconds = time.perf_counter() - started
    return report
