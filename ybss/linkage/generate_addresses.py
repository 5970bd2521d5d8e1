"""Synthetic address records with known truth, for tests and ``bench/linkage.py --kind addresses``.

    python -m ybss.linkage.generate --kind addresses --records 100000 --seed 1 --out a.csv --truth t.csv

A small world per county of 河北 (NBS codes shipped with the package): roads
with door plates, compounds standing at a door plate of a road (each
compound's name is unique in its county, as an address officer would insist),
their buildings, units, floors and rooms, and villages with groups and door
plates. Each standard address is written out one to four times, as sources
write it (:data:`NOISE`): without the province and city or without any
division, 3-2-502, 3号楼, 三幢二单元五〇二, traditional characters, full-width
digits, spaces, the township put in, the floor put in (5层502室), the compound
or the road left out, 第三村民小组 for 3组, and a ``division_code`` column
filled in half the time (a county code, sometimes padded to twelve digits,
now and then something that is not a code).

Hard negatives are there on purpose: the neighbours of an address (the next
room, the next door plate, the next building) are often addresses of the file
too, and the same road and door number exists in many counties.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from .generate import ROADS, Place, _cn_digits, _cn_number, _cumulative, places, write_generated
from .variants import SIMPLIFIED_TO_TRADITIONAL

COPIES = ((1, 0.30), (2, 0.35), (3, 0.25), (4, 0.10))
NOISE = {
    "no_province_city": 0.30,
    "no_division": 0.10,
    "compact": 0.12,  # 3-2-502
    "building_word": 0.12,  # 3号楼, 3幢, 3#
    "numerals": 0.06,  # 三幢二单元五〇二室
    "traditional": 0.04,
    "fullwidth": 0.04,
    "spaced": 0.04,
    "town": 0.10,  # the township put in
    "floor": 0.05,  # 5层502室
    "no_compound": 0.06,
    "no_road": 0.06,
    "group_ordinal": 0.25,  # 第三村民小组 (village addresses)
    "division_code": 0.5,
    "division_code_padded": 0.2,  # of those given
    "division_code_invalid": 0.01,
}
# Kinds of standard address: a room of a compound, a door plate of a road, a
# door plate of a village.
KINDS = (("room", 0.55), ("door", 0.20), ("village", 0.25))
# Share of addresses that bring a neighbour along (the next room, door, building).
NEIGHBOUR = 0.3
COMPOUND_STEMS = (
    "阳光", "幸福", "锦绣", "金色", "翠苑", "东方", "富强", "康乐", "书香", "紫荆", "和谐", "盛世", "碧水",
    "丽景", "世纪", "龙腾", "华清", "鸿运", "凤凰", "银河", "春晖", "丰泽", "嘉禾", "御景", "香榭", "明珠",
    "星河", "怡和", "清华", "泰和", "瑞祥", "安居", "桃源", "君悦", "博雅", "天润", "福源", "德馨", "长青",
)  # fmt: skip
COMPOUND_WORDS = ("小区", "花园", "家园", "苑", "名苑", "华庭", "新村", "公寓")
_FULLWIDTH = {ord("0") + i: 0xFF10 + i for i in range(10)}


@dataclass(frozen=True, slots=True)
class Compound:
    name: str
    road: str
    number: int
    buildings: int
    units: int
    floors: int


@dataclass(frozen=True, slots=True)
class StandardAddress:
    """One standard address of the synthetic world (its truth)."""

    place: Place
    kind: str  # room, door, village
    town: str = ""
    road: str = ""
    number: int = 0
    compound: str = ""
    building: int = 0
    unit: int = 0
    floor: int = 0
    room: int = 0
    village: str = ""
    group: int = 0


@dataclass
class County:
    place: Place
    roads: tuple[str, ...]
    road_town: dict[str, str]
    compounds: list[Compound]


@dataclass
class Stats:
    records: int = 0
    entities: int = 0
    neighbours: int = 0
    forms: Counter[str] = field(default_factory=Counter)


class AddressGenerator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.counties = [self._county(p) for p in places()]
        self.county_of = {c.place.county_code: c for c in self.counties}
        self.issued: set[StandardAddress] = set()
        self.stats = Stats()
        self._copies_cum = _cumulative([w for _, w in COPIES])
        self._kind_cum = _cumulative([w for _, w in KINDS])

    def _county(self, place: Place) -> County:
        rng = self.rng
        roads = tuple(rng.sample(ROADS, 14))
        towns = [t for t in place.towns if t.endswith(("镇", "街道"))] or list(place.towns)
        road_town = {road: rng.choice(towns) for road in roads}
        names = [stem + word for stem in COMPOUND_STEMS for word in COMPOUND_WORDS]
        # A door plate has one compound behind it: the doors are drawn without repeats.
        doors = rng.sample([(road, number) for road in roads for number in range(1, 301)], 60)
        compounds = [
            Compound(name, road, number, rng.randint(3, 30), rng.randint(1, 6), 18)
            for name, (road, number) in zip(rng.sample(names, 60), doors, strict=True)
        ]
        return County(place, roads, road_town, compounds)

    def new(self, county: County | None = None, kind: str = "") -> StandardAddress:
        """A standard address (not necessarily new to the file) of ``county`` and ``kind``, else any."""
        rng = self.rng
        county = county or rng.choice(self.counties)
        kind = kind or rng.choices([k for k, _ in KINDS], cum_weights=self._kind_cum)[0]
        place = county.place
        if kind == "room":
            c = rng.choice(county.compounds)
            floor = rng.randint(1, c.floors)
            return StandardAddress(
                place,
                kind,
                town=county.road_town[c.road],
                road=c.road,
                number=c.number,
                compound=c.name,
                building=rng.randint(1, c.buildings),
                unit=rng.randint(1, c.units),
                floor=floor,
                room=floor * 100 + rng.randint(1, 4),
            )
        if kind == "door":
            road = rng.choice(county.roads)
            return StandardAddress(
                place, kind, town=county.road_town[road], road=road, number=rng.randint(1, 300)
            )
        town, village = rng.choice(place.villages)
        return StandardAddress(
            place, kind, town=town, village=village, group=rng.randint(1, 12), number=rng.randint(1, 200)
        )

    def _neighbour(self, a: StandardAddress) -> StandardAddress:
        rng = self.rng
        if a.kind == "room":
            step = rng.choice(("room", "room", "floor", "building"))
            if step == "room":
                k = a.room % 100
                room = a.room + (1 if k < 4 else -1)
                return replace(a, room=room)
            if step == "floor":
                floor = a.floor + (1 if a.floor < 18 else -1)
                return replace(a, floor=floor, room=floor * 100 + a.room % 100)
            return replace(a, building=a.building + 1)
        if a.kind == "door":
            if rng.random() < 0.5:
                # The same road and number in another county: every county has its 人民路.
                other = rng.choice(self.counties)
                if a.road in other.roads:
                    return replace(a, place=other.place, town=other.road_town[a.road])
            return replace(a, number=a.number + 1)
        return replace(a, number=a.number + 1)

    def entities(self, count: int) -> list[StandardAddress]:
        """New standard addresses, some with a neighbour, none issued before."""
        out: list[StandardAddress] = []
        while len(out) < count:
            a = self.new()
            if a in self.issued:
                continue
            self.issued.add(a)
            out.append(a)
            if self.rng.random() < NEIGHBOUR:
                b = self._neighbour(a)
                if b not in self.issued:
                    self.issued.add(b)
                    out.append(b)
                    self.stats.neighbours += 1
        return out

    def copies(self, a: StandardAddress) -> list[tuple[str, str]]:
        count = self.rng.choices((1, 2, 3, 4), cum_weights=self._copies_cum)[0]
        return [self._copy(a, 0.25 if k == 0 else 1.0) for k in range(count)]

    def _hit(self, what: str, scale: float = 1.0) -> bool:
        if self.rng.random() < NOISE[what] * scale:
            self.stats.forms[what] += 1
            return True
        return False

    def _copy(self, a: StandardAddress, scale: float) -> tuple[str, str]:
        text = self.write(a, scale)
        code = ""
        if self._hit("division_code"):
            code = a.place.county_code
            if self._hit("division_code_padded"):
                code = code.ljust(12, "0")
            if self._hit("division_code_invalid"):
                code = self.rng.choice(("0", "N/A", "99999"))
        return text, code

    def write(self, a: StandardAddress, scale: float = 1.0) -> str:
        """The address as one source writes it."""
        hit = self._hit
        p = a.place
        prefix = p.province + p.city + p.county
        if hit("no_division", scale):
            prefix = ""
        elif hit("no_province_city", scale):
            prefix = p.county
        if a.town and hit("town", scale):
            prefix += a.town
        numerals = hit("numerals", scale)
        if a.kind == "village":
            group = f"{a.group}组"
            if hit("group_ordinal", scale):
                group = f"第{_cn_number(a.group)}村民小组"
            elif numerals:
                group = f"{_cn_number(a.group)}组"
            text = f"{prefix}{'' if a.town in prefix else a.town}{a.village}{group}{a.number}号"
        else:
            road = f"{a.road}{a.number}号"
            if a.kind == "door":
                text = prefix + road
            else:
                if hit("no_road", scale):
                    road = ""
                compound = "" if road and hit("no_compound", scale) else a.compound
                room = str(a.room)
                if hit("floor", scale):
                    room = f"{a.floor}层{a.room}"
                if hit("compact", scale):
                    tail = f"{a.building}-{a.unit}-{a.room}"
                elif numerals:
                    tail = f"{_cn_number(a.building)}幢{_cn_number(a.unit)}单元{_cn_digits(a.room)}室"
                elif hit("building_word", scale):
                    word = self.rng.choice(("号楼", "幢", "#"))
                    tail = f"{a.building}{word}{a.unit}单元{room}"
                else:
                    tail = f"{a.building}栋{a.unit}单元{room}室"
                text = f"{prefix}{road}{compound}{tail}"
        if hit("traditional", scale):
            text = "".join(SIMPLIFIED_TO_TRADITIONAL.get(c, c) for c in text)
        if hit("fullwidth", scale):
            text = text.translate(_FULLWIDTH)
        if hit("spaced", scale) and prefix:
            text = " ".join((p.province, p.city, p.county)) + " " + text[len(prefix) :]
        return text

    def records(self, count: int) -> list[tuple[str, str, int]]:
        """Copies of new addresses until at least ``count`` records, shuffled: (text, code, entity)."""
        batch: list[tuple[str, str, int]] = []
        while len(batch) < count:
            for a in self.entities(64):
                self.stats.entities += 1
                entity = self.stats.entities
                batch.extend((text, code, entity) for text, code in self.copies(a))
        self.rng.shuffle(batch)
        return batch


def generate(records: int, out: str | Path, *, seed: int = 1, truth: str | Path | None = None) -> Stats:
    """Write ``records`` address records to ``out`` (and their true address to ``truth``)."""
    gen = AddressGenerator(seed)
    gen.stats.records = write_generated(
        records,
        out,
        truth,
        ("address", "division_code"),
        "A",
        lambda n: (((text, code), entity) for text, code, entity in gen.records(n)),
    )
    return gen.stats


def describe(stats: Stats) -> str:
    return (
        f"{stats.records:,} records of {stats.entities:,} standard addresses; "
        f"{stats.neighbours:,} neighbours of another address of the file"
    )
