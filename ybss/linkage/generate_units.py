"""Synthetic unit records with known truth, for tests and ``bench/linkage.py --kind units``.

    python -m ybss.linkage.generate --kind units --records 100000 --seed 1 --out u.csv --truth t.csv

Units of the counties of 河北: companies (宏达商贸有限公司, with or without the
city or county before the name), individual businesses (宏达超市), and
government bodies and institutions (涿鹿县人民医院, 涿鹿镇人民政府), each with a
valid 统一社会信用代码 registered in its county, an address (the address
generator's world, :mod:`.generate_addresses`), a phone and a legal
representative. Each unit is written one to four times, with the errors of
:data:`NOISE`: a code missing, mistyped, swapped, in lower case, spaced, in
full-width characters or given as the old organization code; the name with
another place before it or in brackets, 有限责任公司 for 有限公司, without its
legal form, in traditional characters, with one character of the same sound;
the address in another form or moved; the phone changed or formatted; the
representative missing or another person.

Hard negatives are there on purpose: branches (…有限公司涿鹿分公司, …人民路店),
with their own code, often the head office's phone; the same name in another
county (every county has its 人民医院, and some companies share a name); and
units sharing an office building's address and its phone.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ybss.lib import credit_code

from .generate import Generator, Place, _cumulative, _homophones, write_generated
from .generate_addresses import AddressGenerator, StandardAddress
from .variants import SIMPLIFIED_TO_TRADITIONAL

COPIES = ((1, 0.30), (2, 0.35), (3, 0.25), (4, 0.10))
NOISE = {
    "name_missing": 0.01,
    "name_place": 0.15,  # another place before the name, or in brackets
    "name_form": 0.08,  # 有限责任公司 for 有限公司 and back
    "name_no_form": 0.04,
    "name_traditional": 0.03,
    "name_fullwidth": 0.04,  # full-width brackets and letters, spaces
    "name_same_sound": 0.02,
    "code_missing": 0.12,  # individual businesses: three times as often
    "code_typo": 0.03,
    "code_transposition": 0.02,
    "code_lower": 0.08,
    "code_spaced": 0.04,
    "code_fullwidth": 0.02,
    "code_org": 0.05,  # the old 9-character organization code
    "address_missing": 0.10,
    "address_moved": 0.03,
    "phone_missing": 0.20,
    "phone_changed": 0.06,
    "phone_formatted": 0.15,
    "representative_missing": 0.35,
    "representative_changed": 0.04,
}
KINDS = (("company", 0.55), ("shop", 0.33), ("institution", 0.12))
BRANCH_SHARE = 0.08  # of companies: one or two branches
SAME_NAME_SHARE = 0.04  # of companies: another county's company has the name
OFFICE_SHARE = 0.15  # of companies: in an office building with others
BRAND_CHARS = (
    "宏达鑫源华康永盛恒通金泰顺发万家亿丰汇德隆天成鼎瑞兴旺佳美福润正阳广利昌博远众诚"
    "安宝大东富国和弘辉吉聚凯联明鹏启荣三祥信亚易宇长志中卓新"
)
TRADES = (
    "商贸", "贸易", "科技", "建材", "五金", "餐饮", "物流", "食品", "农资", "化工", "机械", "建筑", "置业",
    "服装", "家电", "汽车维修",
)  # fmt: skip
SHOPS = ("超市", "便利店", "饭店", "五金店", "理发店", "药房", "书店", "商店", "宾馆", "网吧", "商行", "诊所")
INSTITUTIONS = (
    "人民医院", "中医院", "第一中学", "第二中学", "实验小学", "公安局", "市场监督管理局", "人民法院",
    "自然资源和规划局", "供电公司", "邮政局",
)  # fmt: skip
TOWN_INSTITUTIONS = ("人民政府", "卫生院", "中心小学", "派出所")
AREA_CODES = {
    "石家庄市": "0311", "唐山市": "0315", "秦皇岛市": "0335", "邯郸市": "0310", "邢台市": "0319",
    "保定市": "0312", "张家口市": "0313", "承德市": "0314", "沧州市": "0317", "廊坊市": "0316",
}  # fmt: skip
_FULLWIDTH = {ord("0") + i: 0xFF10 + i for i in range(10)} | {ord("A") + i: 0xFF21 + i for i in range(26)}
_FULLWIDTH_NAME = {ord("("): "（", ord(")"): "）"} | {ord("A") + i: chr(0xFF21 + i) for i in range(26)}


@dataclass(frozen=True, slots=True)
class Unit:
    """One unit of the synthetic world (its truth)."""

    entity: int
    kind: str  # company, shop, institution
    place: Place
    prefix: str  # the place written before the name ("" none)
    core: str  # 宏达商贸, 宏达超市, 人民医院
    form: str  # 有限公司, 股份有限公司, "" (shops, institutions)
    branch: str  # 涿鹿分公司, 人民路店, "" (a head office)
    code: str
    address: StandardAddress
    phone: str
    representative: str

    @property
    def name(self) -> str:
        return f"{self.prefix}{self.core}{self.form}{self.branch}"

    @property
    def registered(self) -> str:
        """What must be unique in a county: a company's name without its place (企业名称登记 forbids
        two 宏达商贸 in one county, whatever is written before them); an institution's with it."""
        return f"{self.prefix if self.kind == 'institution' else ''}{self.core}{self.branch}"


@dataclass
class Stats:
    records: int = 0
    entities: int = 0
    branches: int = 0
    same_names: int = 0
    offices: int = 0
    errors: Counter[str] = field(default_factory=Counter)


def _short(county: str) -> str:
    """涿鹿县 → 涿鹿, as branch names and bracketed places write it."""
    for suffix in ("自治县", "县", "区", "市"):
        if county.endswith(suffix) and len(county) - len(suffix) >= 2:
            return county[: -len(suffix)]
    return county


class UnitGenerator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        # The address world and people's names and phones, drawn from this generator's randomness.
        self.addresses = AddressGenerator(seed)
        self.addresses.rng = self.rng
        self.people = Generator(seed)
        self.people.rng = self.rng
        self.issued_codes: set[str] = set()
        self.issued_names: set[tuple[str, str]] = set()
        self.entity = 0
        self.stats = Stats()
        self._kind_cum = _cumulative([w for _, w in KINDS])
        self._copies_cum = _cumulative([w for _, w in COPIES])
        self._offices: dict[str, list[StandardAddress]] = {}
        self._recent: list[Unit] = []

    # --- units -----------------------------------------------------------------

    def _code(self, kind: str, place: Place) -> str:
        rng = self.rng
        prefix = {"company": "91", "shop": "92"}.get(kind) or rng.choice(("11", "12"))
        while True:
            body = "MA" + "".join(rng.choice(credit_code.ALPHABET) for _ in range(6))
            first17 = prefix + place.county_code + body + credit_code.org_check_char(body)
            code = first17 + credit_code.credit_check_char(first17)
            if code not in self.issued_codes:
                self.issued_codes.add(code)
                return code

    def _brand(self) -> str:
        return "".join(self.rng.sample(BRAND_CHARS, 2))

    def _address(self, place: Place, kind: str = "") -> StandardAddress:
        """An address in ``place``: a door plate of a road or a village for "door", a room for "room"."""
        if kind == "door":
            kind = "door" if self.rng.random() < 0.6 else "village"
        return self.addresses.new(self.addresses.county_of[place.county_code], kind)

    def _phone(self, place: Place) -> str:
        if self.rng.random() < 0.25:
            area = AREA_CODES.get(place.city, "0311")
            return f"{area}-{self.rng.randrange(2, 9)}{self.rng.randrange(10**6):06d}"
        return self.people._phone()

    def _unit(self, kind: str, place: Place, **known: str | StandardAddress) -> Unit:
        rng = self.rng
        self.entity += 1
        county = place.county
        address = known.get("address") or self._address(place, "door" if kind == "shop" else "")
        assert isinstance(address, StandardAddress)
        form = ""
        prefix = ""
        if kind == "company":
            core = str(known.get("core") or self._brand() + rng.choice(TRADES))
            form = str(known.get("form") or ("股份有限公司" if rng.random() < 0.05 else "有限公司"))
            if "prefix" in known:
                prefix = str(known["prefix"])
            else:
                prefix = rng.choice(("", "", place.city.removesuffix("市"), county))
        elif kind == "shop":
            core = self._brand() + rng.choice(SHOPS)
        elif rng.random() < 0.5:
            core = rng.choice(INSTITUTIONS)
            prefix = county
        else:
            town = address.town or rng.choice(place.towns)
            core = rng.choice(TOWN_INSTITUTIONS)
            prefix = town
        sex = rng.choice((1, 2))
        return Unit(
            self.entity,
            kind,
            place,
            prefix,
            core,
            form,
            str(known.get("branch", "")),
            self._code(kind, place),
            address,
            str(known.get("phone") or self._phone(place)),
            self.people._name(sex),
        )

    def units(self) -> list[Unit]:
        """A new unit, with its branches, a namesake in another county or office neighbours now and then."""
        rng = self.rng
        kind = rng.choices([k for k, _ in KINDS], cum_weights=self._kind_cum)[0]
        place = rng.choice(self.addresses.counties).place
        out: list[Unit] = []
        if kind == "company" and rng.random() < OFFICE_SHARE:
            offices = self._offices.setdefault(place.county_code, [])
            if len(offices) < 5 or rng.random() < 0.2:
                offices.append(self._address(place, "room"))
            unit = self._unit(kind, place, address=rng.choice(offices))
            self.stats.offices += 1
        else:
            unit = self._unit(kind, place)
        if (unit.place.county_code, unit.registered) in self.issued_names:
            return []
        self.issued_names.add((unit.place.county_code, unit.registered))
        out.append(unit)
        if kind == "company" and rng.random() < BRANCH_SHARE:
            for _ in range(rng.randint(1, 2)):
                other = rng.choice(self.addresses.counties).place if rng.random() < 0.5 else place
                if rng.random() < 0.6:
                    branch = f"{_short(other.county)}分公司"
                else:
                    address = self._address(other, "door")
                    branch = f"{address.road or address.village}店"
                phone = unit.phone if rng.random() < 0.3 else ""
                known: dict[str, str | StandardAddress] = {
                    "core": unit.core,
                    "form": unit.form,
                    "prefix": unit.prefix,
                    "branch": branch,
                    "phone": phone,
                }
                child = self._unit(kind, other, **known)
                if (child.place.county_code, child.registered) not in self.issued_names:
                    self.issued_names.add((child.place.county_code, child.registered))
                    out.append(child)
                    self.stats.branches += 1
        if kind == "company" and rng.random() < SAME_NAME_SHARE:
            other = rng.choice(self.addresses.counties).place
            namesake = self._unit(kind, other, core=unit.core, form=unit.form, prefix="")
            if (
                other.county_code != place.county_code
                and (other.county_code, namesake.registered) not in self.issued_names
            ):
                self.issued_names.add((other.county_code, namesake.registered))
                out.append(namesake)
                self.stats.same_names += 1
        return out

    # --- copies ----------------------------------------------------------------

    def _hit(self, what: str, scale: float) -> bool:
        if self.rng.random() < NOISE[what] * scale:
            self.stats.errors[what] += 1
            return True
        return False

    def copies(self, unit: Unit) -> list[list[str]]:
        count = self.rng.choices((1, 2, 3, 4), cum_weights=self._copies_cum)[0]
        return [self._copy(unit, 0.25 if k == 0 else 1.0) for k in range(count)]

    def _copy(self, u: Unit, scale: float) -> list[str]:
        address = ""
        if not self._hit("address_missing", scale):
            target = u.address
            if self._hit("address_moved", scale):
                target = self._address(u.place)
            address = self.addresses.write(target, scale)
        return [
            self._copy_name(u, scale),
            self._copy_code(u, scale),
            address,
            self._copy_phone(u.phone, scale),
            self._copy_representative(u.representative, scale),
        ]

    def _copy_name(self, u: Unit, scale: float) -> str:
        rng, hit = self.rng, self._hit
        if hit("name_missing", scale):
            return ""
        prefix, core, form, branch = u.prefix, u.core, u.form, u.branch
        if hit("name_place", scale):
            # Another way of writing the place before the name, as people do.
            city = u.place.city.removesuffix("市")
            style = rng.randrange(3)
            if u.kind == "institution":
                prefix = (u.place.city if prefix == u.place.county else u.place.county) + prefix
            elif u.kind == "shop" or (style == 2 and not prefix):
                prefix = city
            elif style == 0 and prefix:
                prefix = ""
            elif style == 1 and not branch:
                core = f"{core[:2]}({prefix or city}){core[2:]}"
                prefix = ""
            elif prefix == u.place.county:
                prefix = u.place.city + prefix
        if form and hit("name_form", scale):
            form = {"有限公司": "有限责任公司", "有限责任公司": "有限公司"}.get(form, form)
        if form and not branch and hit("name_no_form", scale):
            form = ""
        if hit("name_same_sound", scale):
            positions = [i for i in range(2) if _homophones().get(core[i])]
            if positions:
                i = rng.choice(positions)
                core = core[:i] + rng.choice(_homophones()[core[i]]) + core[i + 1 :]
        name = f"{prefix}{core}{form}{branch}"
        if hit("name_traditional", scale):
            name = "".join(SIMPLIFIED_TO_TRADITIONAL.get(c, c) for c in name)
        if hit("name_fullwidth", scale):
            name = name.translate(_FULLWIDTH_NAME)
            if rng.random() < 0.5:
                name = f"{name[:2]} {name[2:]}"
        return name

    def _copy_code(self, u: Unit, scale: float) -> str:
        rng, hit = self.rng, self._hit
        code = u.code
        if hit("code_missing", scale * (3 if u.kind == "shop" else 1)):
            return ""
        if hit("code_org", scale):
            return f"{code[8:16]}-{code[16]}"
        r = rng.random() / scale
        if r < NOISE["code_typo"]:
            self.stats.errors["code_typo"] += 1
            i = rng.randrange(18)
            code = code[:i] + rng.choice([c for c in credit_code.ALPHABET if c != code[i]]) + code[i + 1 :]
        elif r < NOISE["code_typo"] + NOISE["code_transposition"]:
            positions = [i for i in range(17) if code[i] != code[i + 1]]
            i = rng.choice(positions)
            self.stats.errors["code_transposition"] += 1
            code = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
        if hit("code_lower", scale):
            code = code.lower()
        if hit("code_spaced", scale):
            code = " ".join(code[k : k + 4] for k in range(0, 18, 4))
        if hit("code_fullwidth", scale):
            code = code.translate(_FULLWIDTH)
        return code

    def _copy_phone(self, phone: str, scale: float) -> str:
        if not phone or self._hit("phone_missing", scale):
            return ""
        if self._hit("phone_changed", scale):
            phone = self.people._phone()
        if self._hit("phone_formatted", scale) and "-" not in phone:
            return f"{phone[:3]} {phone[3:7]} {phone[7:]}" if self.rng.random() < 0.5 else f"+86 {phone}"
        return phone

    def _copy_representative(self, name: str, scale: float) -> str:
        if self._hit("representative_missing", scale):
            return ""
        if self._hit("representative_changed", scale):
            return self.people._name(self.rng.choice((1, 2)))
        return name

    def records(self, count: int) -> list[tuple[list[str], int]]:
        """Copies of new units until at least ``count`` records, shuffled: (fields, entity)."""
        batch: list[tuple[list[str], int]] = []
        while len(batch) < count:
            for unit in self.units():
                self.stats.entities += 1
                batch.extend((fields, unit.entity) for fields in self.copies(unit))
        self.rng.shuffle(batch)
        return batch


def generate(records: int, out: str | Path, *, seed: int = 1, truth: str | Path | None = None) -> Stats:
    """Write ``records`` unit records to ``out`` (and their true unit to ``truth``)."""
    gen = UnitGenerator(seed)
    gen.stats.records = write_generated(
        records, out, truth, ("name", "credit_code", "address", "phone", "representative"), "U", gen.records
    )
    return gen.stats


def describe(stats: Stats) -> str:
    return (
        f"{stats.records:,} records of {stats.entities:,} units; {stats.branches:,} branches, "
        f"{stats.same_names:,} namesakes in another county, {stats.offices:,} in shared office buildings"
    )
