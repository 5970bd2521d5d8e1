"""Synthetic person records with known truth, for tests and ``bench/linkage.py``.

    python -m ybss.linkage.generate --records 100000 --seed 1 --out persons.csv --truth truth.csv

People live in households in real 河北 counties; each person is written out
one to five times, as different sources would have them (the household
register, an earlier campaign, a landlord's spreadsheet, a collector's
phone), and each copy after the first goes through the errors of
:data:`NOISE`: a mistyped or swapped ID digit, the old 15-digit number,
full-width digits, a lower-case x, traditional or same-sound characters in the
name, a changed phone, another way of writing the address, missing values,
and birth dates in four formats. The truth file says which person each record
is.

The hard negatives are there on purpose: twins (same birth date, address,
phone and surname, given names sharing a character, consecutive ID numbers),
households sharing address and phone, and the commonest names (张伟, 王芳 …).

Output is deterministic for a seed and written in chunks, so ten million
records need no more memory than one chunk plus the set of ID numbers issued.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import random
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from pypinyin import Style, lazy_pinyin

from ybss.lib import idcard
from ybss.lib.divisions import iter_divisions, short_name

from .variants import SIMPLIFIED_TO_TRADITIONAL

TODAY = date(2024, 6, 1)
CHUNK = 50_000
PROVINCE = "13"  # 河北省

# Per-copy error rates for every copy after a person's first (the first is the
# household register's and gets a quarter of these).
NOISE = {
    "id_missing": 0.06,
    "id_typo": 0.03,
    "id_transposition": 0.02,
    "id_15_digit": 0.04,  # of people born before 1985
    "id_fullwidth": 0.03,
    "id_lower_x": 0.5,  # of numbers ending in X
    "name_missing": 0.015,
    "name_traditional": 0.04,
    "name_same_sound": 0.03,
    "name_spaced": 0.01,
    "gender_missing": 0.15,
    "birth_missing": 0.15,
    "birth_wrong": 0.01,  # another date, e.g. the lunar birthday
    "phone_missing": 0.12,
    "phone_changed": 0.08,
    "phone_formatted": 0.15,
    "address_missing": 0.08,
    "address_moved": 0.06,
    "address_form": 0.35,
}
COPIES = ((1, 0.30), (2, 0.35), (3, 0.20), (4, 0.10), (5, 0.05))

SURNAMES = (
    ("王", 7.25), ("李", 7.19), ("张", 6.83), ("刘", 5.38), ("陈", 4.53), ("杨", 3.08), ("黄", 2.23),
    ("赵", 2.18), ("吴", 2.05), ("周", 1.93), ("徐", 1.45), ("孙", 1.38), ("马", 1.29), ("朱", 1.28),
    ("胡", 1.16), ("郭", 1.13), ("何", 1.06), ("林", 1.0), ("高", 1.0), ("罗", 0.95), ("郑", 0.86),
    ("梁", 0.8), ("谢", 0.7), ("宋", 0.65), ("唐", 0.63), ("许", 0.6), ("韩", 0.58), ("冯", 0.57),
    ("邓", 0.56), ("曹", 0.55), ("彭", 0.53), ("曾", 0.52), ("肖", 0.5), ("田", 0.49), ("董", 0.48),
    ("袁", 0.46), ("潘", 0.45), ("于", 0.44), ("蒋", 0.43), ("蔡", 0.42), ("余", 0.41), ("杜", 0.4),
    ("叶", 0.39), ("程", 0.38), ("苏", 0.37), ("魏", 0.36), ("吕", 0.35), ("丁", 0.34), ("任", 0.33),
    ("沈", 0.32), ("姚", 0.31), ("卢", 0.3), ("姜", 0.29), ("崔", 0.28), ("钟", 0.27), ("谭", 0.26),
    ("陆", 0.25), ("汪", 0.24), ("范", 0.23), ("金", 0.22), ("石", 0.21), ("廖", 0.2), ("贾", 0.2),
    ("夏", 0.19), ("韦", 0.19), ("付", 0.18), ("方", 0.18), ("白", 0.17), ("邹", 0.17), ("孟", 0.16),
    ("熊", 0.16), ("秦", 0.15), ("邱", 0.15), ("江", 0.15), ("尹", 0.14), ("薛", 0.14), ("闫", 0.13),
    ("段", 0.13), ("雷", 0.13), ("侯", 0.12), ("龙", 0.12), ("史", 0.12), ("陶", 0.11), ("黎", 0.11),
    ("贺", 0.11), ("顾", 0.1), ("毛", 0.1), ("郝", 0.1), ("龚", 0.1), ("邵", 0.1), ("万", 0.1),
    ("钱", 0.1), ("严", 0.1), ("欧阳", 0.05), ("司马", 0.02), ("诸葛", 0.01),
)  # fmt: skip
MALE_CHARS = (
    "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林阳建国文志海东亮成峰博晨轩子然泽睿航梓宏新春雷洋"
    "豪庆荣兴达贵顺义宝锋诚伦铭胜贤滨晋进运学锦维汉济泽润怀宪彦骏腾骁鸿钧锐镇钢军永德利民福生金荣祥"
)
FEMALE_CHARS = (
    "芳娜敏静丽艳娟霞秀英玲桂兰萍红燕丹莉婷雪琳慧颖倩洁晶佳欣怡梅琴云凤璐婉涵雨萱思诗悦瑶琪晓玉莲莺瑶鹃"
    "灿玮炜绮丝纯颂飒龄钰铃霞霭岚蕴芸蔷薇婧妍彤嘉宁爱欢双鸣聪韵莹"
)
# Extra characters that sound like name characters, for same-sound mistakes.
HOMOPHONE_POOL = "玮炜韦维唯薇卫威微为巍蔚慰魏尉未位纬苇委围惟娓葳违帷潍洧嵬隗隈偎崴"
HOMOPHONE_POOL += "丽莉俐力立利历励栗粒黎李理礼里鲤俪荔沥砺厉骊"
HOMOPHONE_POOL += "静靖敬婧境镜竞竟径劲晶京经精菁睛荆泾兢"
HOMOPHONE_POOL += "芳方坊枋钫舫昉放访防妨房仿纺"
HOMOPHONE_POOL += "明铭鸣名茗冥溟瞑酩敏民闵悯珉岷旻玟"
HOMOPHONE_POOL += "华化花桦骅铧画话划哗滑"
HOMOPHONE_POOL += "杰洁捷婕结节劼颉桀"
HOMOPHONE_POOL += "军君均钧俊峻骏郡竣浚珺筠"
HOMOPHONE_POOL += "涛韬滔焘桃陶淘萄逃"
HOMOPHONE_POOL += "玲铃龄伶羚凌菱翎灵零苓琳林霖淋麟临磷"
HOMOPHONE_POOL += "红宏鸿洪弘泓虹竑"
HOMOPHONE_POOL += "燕艳雁彦晏宴焰妍颜岩延言研严炎"
HOMOPHONE_POOL += "娟鹃涓倦隽卷"
HOMOPHONE_POOL += "英鹰莺婴樱瑛颖影营莹萤盈迎赢"
HOMOPHONE_POOL += "强墙蔷锵羌嫱"
HOMOPHONE_POOL += "磊垒蕾儡"
HOMOPHONE_POOL += "辉晖徽挥灰恢慧惠蕙汇会卉"
HOMOPHONE_POOL += "鹏朋彭蓬澎棚"
HOMOPHONE_POOL += "飞菲非霏斐绯扉"
HOMOPHONE_POOL += "鑫欣新馨心芯昕歆辛信"
HOMOPHONE_POOL += "宇雨语羽禹玉育煜钰毓昱郁"
HOMOPHONE_POOL += "婷庭廷亭霆停挺"
HOMOPHONE_POOL += "琪琦淇棋旗奇骐麒其祺岐"
HOMOPHONE_POOL += "超潮朝巢晁"
HOMOPHONE_POOL += "平萍坪评苹屏瓶凭"
HOMOPHONE_POOL += "勇涌永咏泳踊甬"
COMMON_FULL_NAMES = (
    ("张伟", 1, 29), ("王伟", 1, 28), ("王芳", 2, 27), ("李伟", 1, 26), ("李娜", 2, 25), ("张敏", 2, 24),
    ("李静", 2, 23), ("王静", 2, 22), ("刘伟", 1, 21), ("王秀英", 2, 20), ("张丽", 2, 19), ("李秀英", 2, 18),
    ("王丽", 2, 17), ("张静", 2, 16), ("张秀英", 2, 15), ("李强", 1, 14), ("王敏", 2, 13), ("李敏", 2, 12),
    ("王磊", 1, 11), ("刘洋", 1, 10), ("王艳", 2, 10), ("王勇", 1, 9), ("李军", 1, 9), ("张勇", 1, 8),
    ("李杰", 1, 8), ("张杰", 1, 7), ("张磊", 1, 7), ("王强", 1, 7), ("李娟", 2, 6), ("王军", 1, 6),
)  # fmt: skip
COMMON_NAME_SHARE = 0.06
ROADS = (
    "人民路",
    "解放路",
    "建设路",
    "中山路",
    "和平路",
    "新华路",
    "文化路",
    "胜利路",
    "光明路",
    "朝阳路",
    "长安街",
    "幸福路",
    "团结路",
    "迎宾路",
    "北京路",
    "滨河路",
    "公园路",
    "工业路",
    "车站路",
    "府前街",
    "育才路",
    "兴华街",
    "龙城路",
    "振兴大街",
    "长城路",
)
COMPOUNDS = (
    "阳光小区",
    "幸福家园",
    "锦绣花园",
    "金色家园",
    "翠苑小区",
    "东方明珠",
    "富强小区",
    "康乐小区",
    "书香苑",
    "紫荆花园",
    "和谐家园",
    "盛世华庭",
    "碧水蓝天",
    "丽景园",
    "世纪城",
    "龙腾苑",
    "华清园",
    "鸿运小区",
    "凤凰城",
    "银河湾",
)
_FULLWIDTH = {ord("0") + i: 0xFF10 + i for i in range(10)}
_CN_DIGITS = "〇一二三四五六七八九"


@dataclass(frozen=True, slots=True)
class Place:
    province: str
    city: str
    county: str
    county_code: str
    towns: tuple[str, ...]
    villages: tuple[tuple[str, str], ...]  # (town, village)


@dataclass(frozen=True, slots=True)
class Address:
    place: Place
    urban: bool
    road: str = ""
    number: int = 0
    compound: str = ""
    building: int = 0
    unit: int = 0
    room: int = 0
    town: str = ""
    village: str = ""
    group: int = 0


@dataclass(slots=True)
class Person:
    entity: int
    name: str
    sex: int
    birth: date
    id18: str
    phone: str
    address: Address


@dataclass
class Stats:
    records: int = 0
    entities: int = 0
    households: int = 0
    twins: int = 0
    common_names: int = 0
    errors: Counter[str] = field(default_factory=Counter)


@lru_cache(maxsize=1)
def places() -> tuple[Place, ...]:
    """Counties of 河北 with their townships and villages, from the shipped NBS data."""
    names: dict[str, str] = {}
    towns: dict[str, list[str]] = {}
    villages: dict[str, list[tuple[str, str]]] = {}
    for rec in iter_divisions():
        if not rec.code.startswith(PROVINCE):
            continue
        names[rec.code] = rec.name
        if len(rec.code) == 9:
            towns.setdefault(rec.code[:6], []).append(rec.name)
        elif len(rec.code) == 12 and rec.name.endswith("村委会"):
            town = names.get(rec.code[:9], "")
            villages.setdefault(rec.code[:6], []).append((town, short_name(rec.name)))
    valid = idcard.valid_division_codes()
    out = []
    for code in sorted(towns):
        if code not in valid or not villages.get(code) or code[4:6] == "00":
            continue
        city = names.get(code[:4], "")
        if city in ("市辖区", "省直辖县级行政区划", ""):
            continue
        out.append(
            Place(
                names[PROVINCE],
                city,
                names[code],
                code,
                tuple(towns[code][:30]),
                tuple(villages[code][:200]),
            )
        )
    return tuple(out[:60])


@lru_cache(maxsize=1)
def _homophones() -> dict[str, tuple[str, ...]]:
    pool = dict.fromkeys(MALE_CHARS + FEMALE_CHARS + HOMOPHONE_POOL)
    by_sound: dict[str, list[str]] = {}
    for ch in pool:
        by_sound.setdefault(lazy_pinyin(ch, style=Style.NORMAL)[0], []).append(ch)
    sound = {ch: lazy_pinyin(ch, style=Style.NORMAL)[0] for ch in pool}
    return {ch: tuple(c for c in by_sound[sound[ch]] if c != ch) for ch in pool}


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.places = places()
        self.issued: set[int] = set()
        self.entity = 0
        self.stats = Stats()
        self._surnames = [s for s, _ in SURNAMES]
        self._surname_cum = _cumulative([w for _, w in SURNAMES])
        self._common_cum = _cumulative([w for _, _, w in COMMON_FULL_NAMES])
        self._copies_cum = _cumulative([w for _, w in COPIES])

    # --- people --------------------------------------------------------------

    def _surname(self) -> str:
        return self.rng.choices(self._surnames, cum_weights=self._surname_cum)[0]

    def _given(self, sex: int, length: int | None = None) -> str:
        pool = MALE_CHARS if sex == 1 else FEMALE_CHARS
        length = length or (1 if self.rng.random() < 0.3 else 2)
        return "".join(self.rng.choice(pool) for _ in range(length))

    def _name(self, sex: int, surname: str | None = None) -> str:
        if surname is None and self.rng.random() < COMMON_NAME_SHARE:
            choices = [n for n, s, _ in COMMON_FULL_NAMES]
            name = self.rng.choices(choices, cum_weights=self._common_cum)[0]
            # Keep the sex that goes with the name; the weights are close enough.
            if dict((n, s) for n, s, _ in COMMON_FULL_NAMES)[name] == sex:
                self.stats.common_names += 1
                return name
        return (surname or self._surname()) + self._given(sex)

    def _id(self, place: Place, birth: date, sex: int, near: str | None = None) -> str:
        """A number nobody else has; twins get the next sequence numbers after ``near``'s."""
        rng = self.rng
        for attempt in range(1000):
            if near is not None and attempt < 50:
                base = int(near[14:16])
                seq = f"{base:02d}{rng.randrange(sex % 2, 10, 2)}"
            else:
                seq = f"{rng.randrange(100):02d}{rng.randrange(sex % 2, 10, 2)}"
            first17 = place.county_code + birth.strftime("%Y%m%d") + seq
            key = int(first17)
            if key not in self.issued:
                self.issued.add(key)
                return first17 + idcard.check_char(first17)
        raise RuntimeError("ID space exhausted")  # pragma: no cover

    def _phone(self) -> str:
        return f"1{self.rng.choice('3456789')}{self.rng.randrange(10**9):09d}"

    def _address(self, place: Place | None = None) -> Address:
        rng = self.rng
        place = place or rng.choice(self.places)
        if rng.random() < 0.7:
            return Address(
                place,
                True,
                road=rng.choice(ROADS),
                number=rng.randint(1, 300),
                compound=rng.choice(COMPOUNDS),
                building=rng.randint(1, 30),
                unit=rng.randint(1, 6),
                room=rng.randint(1, 18) * 100 + rng.randint(1, 4),
            )
        town, village = rng.choice(place.villages)
        return Address(
            place, False, town=town, village=village, group=rng.randint(1, 12), number=rng.randint(1, 200)
        )

    def _birth(self, start: int, end: int) -> date:
        first = date(start, 1, 1)
        last = min(date(end, 12, 31), TODAY - timedelta(days=1))
        return first + timedelta(days=self.rng.randrange((last - first).days + 1))

    def _person(self, place: Place, address: Address, phone: str, birth: date, sex: int, name: str) -> Person:
        self.entity += 1
        return Person(self.entity, name, sex, birth, self._id(place, birth, sex), phone, address)

    def household(self) -> list[Person]:
        """One household: a single person, a couple, a family with children (twins now and then)."""
        rng = self.rng
        address = self._address()
        place = address.place
        phone = self._phone()
        kind = rng.random()
        people: list[Person] = []
        head_sex = rng.choice((1, 2))
        head_birth = self._birth(1940, 2000)
        head = self._person(place, address, phone, head_birth, head_sex, self._name(head_sex))
        people.append(head)
        if kind < 0.25:
            return people
        spouse_sex = 3 - head_sex
        spouse_birth = self._birth(max(1935, head_birth.year - 5), min(2002, head_birth.year + 5))
        own_phone = self._phone() if rng.random() < 0.6 else phone
        people.append(
            self._person(place, address, own_phone, spouse_birth, spouse_sex, self._name(spouse_sex))
        )
        if kind < 0.5:
            return people
        father = head if head_sex == 1 else people[1]
        surname = _surname_of(father.name)
        first_child = head_birth.year + rng.randint(20, 35)
        if first_child > 2022:
            return people
        children = 1 if kind < 0.75 else 2
        twins = children == 2 and rng.random() < 0.15
        births = [self._birth(first_child, first_child + 1)]
        if children == 2:
            births.append(
                births[0] if twins else self._birth(min(2022, first_child + 2), min(2023, first_child + 8))
            )
        previous: Person | None = None
        for birth in births:
            sex = rng.choice((1, 2))
            if twins and previous is not None:
                name = _twin_name(previous.name, surname, sex, self)
                self.entity += 1
                child = Person(
                    self.entity,
                    name,
                    sex,
                    birth,
                    self._id(place, birth, sex, near=previous.id18),
                    phone,
                    address,
                )
                self.stats.twins += 2
            else:
                name = surname + (self._given(sex, 2) if twins else self._given(sex))
                child = self._person(place, address, phone, birth, sex, name)
            people.append(child)
            previous = child
        if kind > 0.9:
            elder_sex = rng.choice((1, 2))
            elder_birth = self._birth(1925, max(1926, head_birth.year - 18))
            people.append(
                self._person(place, address, phone, elder_birth, elder_sex, self._name(elder_sex, surname))
            )
        return people

    # --- copies --------------------------------------------------------------

    def copies(self, person: Person) -> list[list[str]]:
        rng = self.rng
        count = rng.choices((1, 2, 3, 4, 5), cum_weights=self._copies_cum)[0]
        return [self._copy(person, 0.25 if k == 0 else 1.0) for k in range(count)]

    def _hit(self, what: str, scale: float) -> bool:
        if self.rng.random() < NOISE[what] * scale:
            self.stats.errors[what] += 1
            return True
        return False

    def _copy(self, p: Person, scale: float) -> list[str]:
        return [
            self._copy_name(p.name, scale),
            self._copy_id(p, scale),
            self._copy_gender(p.sex, scale),
            self._copy_birth(p.birth, scale),
            self._copy_phone(p.phone, scale),
            self._copy_address(p.address, scale),
            str(p.entity),
        ]

    def _copy_gender(self, sex: int, scale: float) -> str:
        if self._hit("gender_missing", scale):
            return ""
        return ("男", "女")[sex - 1] if self.rng.random() < 0.5 else str(sex)

    def _copy_name(self, name: str, scale: float) -> str:
        if self._hit("name_missing", scale):
            return ""
        if self._hit("name_same_sound", scale):
            given_at = len(_surname_of(name))
            positions = [i for i in range(given_at, len(name)) if _homophones().get(name[i])]
            if positions:
                i = self.rng.choice(positions)
                name = name[:i] + self.rng.choice(_homophones()[name[i]]) + name[i + 1 :]
        if self._hit("name_traditional", scale):
            name = "".join(SIMPLIFIED_TO_TRADITIONAL.get(c, c) for c in name)
        if self._hit("name_spaced", scale):
            name = " ".join(name)
        return name

    def _copy_id(self, p: Person, scale: float) -> str:
        rng = self.rng
        number = p.id18
        if self._hit("id_missing", scale):
            return ""
        r = rng.random() / scale
        if r < NOISE["id_typo"]:
            self.stats.errors["id_typo"] += 1
            i = rng.randrange(18)
            digits = "0123456789" if i < 17 else "0123456789X"
            number = number[:i] + rng.choice([d for d in digits if d != number[i]]) + number[i + 1 :]
        elif r < NOISE["id_typo"] + NOISE["id_transposition"]:
            positions = [i for i in range(17) if number[i] != number[i + 1]]
            i = rng.choice(positions)
            self.stats.errors["id_transposition"] += 1
            number = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
        elif p.birth.year < 1985 and r < NOISE["id_typo"] + NOISE["id_transposition"] + NOISE["id_15_digit"]:
            self.stats.errors["id_15_digit"] += 1
            number = number[:6] + number[8:17]
        if number.endswith("X") and rng.random() < NOISE["id_lower_x"]:
            self.stats.errors["id_lower_x"] += 1
            number = number[:-1] + "x"
        if self._hit("id_fullwidth", scale):
            number = number.translate(_FULLWIDTH)
        return number

    def _copy_birth(self, birth: date, scale: float) -> str:
        rng = self.rng
        if self._hit("birth_missing", scale):
            return ""
        if self._hit("birth_wrong", scale):
            birth = birth + timedelta(days=rng.choice((-40, -30, -1, 1, 20, 35)))
        style = rng.randrange(4)
        if style == 0:
            return birth.isoformat()
        if style == 1:
            return birth.strftime("%Y%m%d")
        if style == 2:
            return f"{birth.year}/{birth.month}/{birth.day}"
        return f"{birth.year}年{birth.month}月{birth.day}日"

    def _copy_phone(self, phone: str, scale: float) -> str:
        rng = self.rng
        if self._hit("phone_missing", scale):
            return ""
        if self._hit("phone_changed", scale):
            phone = self._phone()
        if self._hit("phone_formatted", scale):
            style = rng.randrange(3)
            if style == 0:
                return f"{phone[:3]} {phone[3:7]} {phone[7:]}"
            if style == 1:
                return f"+86 {phone}"
            return f"{phone[:3]}-{phone[3:7]}-{phone[7:]}"
        return phone

    def _copy_address(self, address: Address, scale: float) -> str:
        if self._hit("address_missing", scale):
            return ""
        if self._hit("address_moved", scale):
            address = self._address()
        style = 0
        if self._hit("address_form", scale):
            style = self.rng.randint(1, 6)
        return render_address(address, style)

    # --- writing -------------------------------------------------------------

    def records(self, count: int) -> list[list[str]]:
        """Whole households until at least ``count`` records; shuffled."""
        batch: list[list[str]] = []
        while len(batch) < count:
            self.stats.households += 1
            for person in self.household():
                self.stats.entities += 1
                batch.extend(self.copies(person))
        self.rng.shuffle(batch)
        return batch


def _cumulative(weights: Sequence[float]) -> list[float]:
    total = 0.0
    out = []
    for w in weights:
        total += w
        out.append(total)
    return out


_COMPOUND_SURNAMES = frozenset(s for s, _ in SURNAMES if len(s) == 2)


def _surname_of(name: str) -> str:
    return name[:2] if name[:2] in _COMPOUND_SURNAMES else name[:1]


def _twin_name(sibling: str, surname: str, sex: int, gen: Generator) -> str:
    """A twin's name: the sibling's generation character, another second character of another sound."""
    given = sibling[len(surname) :]
    pool = MALE_CHARS if sex == 1 else FEMALE_CHARS
    taken = lazy_pinyin(given[-1], style=Style.NORMAL)[0]
    while True:
        ch = gen.rng.choice(pool)
        if lazy_pinyin(ch, style=Style.NORMAL)[0] != taken and ch != given[0]:
            return surname + given[0] + ch


def _cn_digits(n: int) -> str:
    """Digit by digit, as room numbers are read out: 502 → 五〇二."""
    return "".join(_CN_DIGITS[int(d)] for d in str(n))


def _cn_number(n: int) -> str:
    """A count below 100 in words: 3 → 三, 13 → 十三, 23 → 二十三."""
    tens, ones = divmod(n, 10)
    if not tens:
        return _CN_DIGITS[ones]
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")


def render_address(a: Address, style: int = 0) -> str:
    """An address as some source would write it: 0 standard, 1–6 the usual other forms."""
    p = a.place
    prefix = p.province + p.city + p.county
    if style in (1, 5):  # without province and city
        prefix = p.county
    if a.urban:
        tail = f"{a.building}栋{a.unit}单元{a.room}室"
        if style == 2:
            tail = f"{a.building}-{a.unit}-{a.room}"
        elif style == 3:
            tail = f"{a.building}号楼{a.unit}单元{a.room}"
        elif style == 4:
            tail = f"{_cn_number(a.building)}幢{_cn_number(a.unit)}单元{_cn_digits(a.room)}室"
        text = f"{prefix}{a.road}{a.number}号{a.compound}{tail}"
    else:
        group = f"{a.group}组"
        if style == 4:
            group = f"{_cn_number(a.group)}组"
        elif style == 3:
            group = f"第{_cn_number(a.group)}村民小组"
        text = f"{prefix}{a.town}{a.village}{group}{a.number}号"
    if style == 5:
        text = "".join(SIMPLIFIED_TO_TRADITIONAL.get(c, c) for c in text)
    if style == 6:
        text = f"{p.province} {p.city} {p.county} " + text[len(p.province + p.city + p.county) :]
    return text


def write_generated(
    records: int,
    out: str | Path,
    truth: str | Path | None,
    header: tuple[str, ...],
    prefix: str,
    batch: Callable[[int], Iterable[tuple[Sequence[str], int]]],
) -> int:
    """Write ``records`` rows of ``batch(n)`` (each its fields and its true entity) to ``out``,
    record ids ``prefix`` + nine digits, and each record's entity to ``truth``; the count written."""
    written = 0
    with contextlib.ExitStack() as files:
        f = files.enter_context(Path(out).open("w", encoding="utf-8", newline=""))
        t = files.enter_context(Path(truth).open("w", encoding="utf-8", newline="")) if truth else None
        w = csv.writer(f, lineterminator="\n")
        w.writerow(("record_id", *header))
        tw = csv.writer(t, lineterminator="\n") if t else None
        if tw:
            tw.writerow(("record_id", "entity_id"))
        while written < records:
            rows = list(batch(min(CHUNK, records - written)))[: records - written]
            for fields, entity in rows:
                written += 1
                rid = f"{prefix}{written:09d}"
                w.writerow((rid, *fields))
                if tw:
                    tw.writerow((rid, f"E{entity:09d}"))
    return written


def generate(records: int, out: str | Path, *, seed: int = 1, truth: str | Path | None = None) -> Stats:
    """Write ``records`` person records to ``out`` (and their true person to ``truth``)."""
    gen = Generator(seed)
    gen.stats.records = write_generated(
        records,
        out,
        truth,
        ("name", "id_number", "gender", "birth_date", "phone", "address"),
        "P",
        lambda n: ((row[:6], int(row[6])) for row in gen.records(n)),
    )
    return gen.stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ybss.linkage.generate", description="生成带真值的合成人员、单位或地址记录"
    )
    parser.add_argument("--kind", choices=("persons", "units", "addresses"), default="persons")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", required=True)
    parser.add_argument("--truth")
    args = parser.parse_args(argv)
    if args.kind != "persons":
        # Imported here: both build on this module.
        if args.kind == "units":
            from . import generate_units

            units = generate_units.generate(args.records, args.out, seed=args.seed, truth=args.truth)
            print(generate_units.describe(units))
        else:
            from . import generate_addresses

            addresses = generate_addresses.generate(args.records, args.out, seed=args.seed, truth=args.truth)
            print(generate_addresses.describe(addresses))
        return 0
    stats = generate(args.records, args.out, seed=args.seed, truth=args.truth)
    print(
        f"{stats.records:,} records of {stats.entities:,} people in {stats.households:,} households; "
        f"{stats.twins:,} twins, {stats.common_names:,} people with one of the commonest names"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
