"""The labelled address corpus: generated addresses plus a hand-written part.

Generated addresses are assembled from pieces (real NBS division names,
invented roads, compounds and numbers in many spellings), and each piece
carries its element type, so the expected labels come from the construction
and never from the parser. ``docs/address-annotation.md`` gives the rules.

    .venv/bin/python -m tests.addressing.corpus         # rewrite corpus_generated.jsonl

The hand-written part is ``corpus_hand.txt`` (used while developing the
parser) and ``corpus_holdout.txt`` (written later, never used to tune it):
one address per line, pieces
separated by ``|``, each piece ``text/TAG`` or bare ``text`` (unlabelled:
punctuation, noise). Tags are listed in ``TAGS``.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ybss.lib.divisions import iter_divisions, short_name

HERE = Path(__file__).resolve().parent
GENERATED = HERE / "corpus_generated.jsonl"
HAND = HERE / "corpus_hand.txt"
# Written after the parser rules were last changed, and not used to tune them.
HOLDOUT = HERE / "corpus_holdout.txt"

TAGS = {
    "P": "province",
    "C": "city",
    "D": "district",
    "Z": "devzone",
    "T": "town",
    "V": "community",
    "G": "village_group",
    "R": "road",
    "N": "road_no",
    "S": "subroad",
    "SN": "subroad_no",
    "O": "poi",
    "OS": "subpoi",
    "B": "building",
    "U": "unit",
    "F": "floor",
    "M": "room",
}

Piece = tuple[str, str | None, str | None]  # text, kind (None = unlabelled), value


@dataclass(frozen=True, slots=True)
class Labelled:
    input: str
    elements: tuple[tuple[str, int, int, str | None], ...]  # kind, start, end, value
    source: str
    # Generated addresses: the code of the most specific division written.
    division_code: str | None = None

    def as_json(self) -> str:
        els = [
            {"type": k, "start": a, "end": b, "text": self.input[a:b], "value": v}
            for k, a, b, v in self.elements
        ]
        obj = {
            "input": self.input,
            "elements": els,
            "source": self.source,
            "division_code": self.division_code,
        }
        return json.dumps(obj, ensure_ascii=False)


def assemble(pieces: list[Piece], source: str) -> Labelled:
    text = ""
    els: list[tuple[str, int, int, str | None]] = []
    for piece, kind, value in pieces:
        if kind is not None:
            els.append((kind, len(text), len(text) + len(piece), value))
        text += piece
    return Labelled(text, tuple(els), source)


def load(path: Path | None = None) -> list[Labelled]:
    """Generated and hand-written addresses (or only the JSONL file ``path``)."""
    out: list[Labelled] = []
    for line in (path or GENERATED).read_text(encoding="utf-8").splitlines():
        if line.strip():
            obj = json.loads(line)
            els = tuple((e["type"], e["start"], e["end"], e.get("value")) for e in obj["elements"])
            out.append(Labelled(obj["input"], els, obj.get("source", "generated"), obj.get("division_code")))
    if path is None:
        out.extend(load_hand())
        out.extend(load_hand(HOLDOUT, "holdout"))
    return out


def load_hand(path: Path = HAND, source: str = "hand") -> list[Labelled]:
    """Addresses labelled by hand in ``path`` (``corpus_hand.txt`` or ``corpus_holdout.txt``)."""
    out: list[Labelled] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        pieces: list[Piece] = []
        for part in line.split("|"):
            text, slash, tag = part.rpartition("/")
            if slash and tag in TAGS:
                pieces.append((text, TAGS[tag], None))
            elif part:
                pieces.append((part, None, None))
        if not pieces:
            raise ValueError(f"{path.name}:{lineno}: empty")
        out.append(assemble(pieces, source))
    return out


# -- generation ------------------------------------------------------------
_ROAD_STEMS = (
    "人民", "解放", "建设", "文化", "中山", "新华", "胜利", "和平", "长安", "幸福", "光明", "迎宾",
    "滨江", "环城", "工业", "学府", "金桥", "青年", "东风", "育才", "健康", "振兴", "凤凰", "桃园",
    "望湖", "丰收", "民主", "团结", "兴业", "商贸", "体育", "车站", "劳动", "秀水", "石榴", "梧桐",
    "银杏", "玉兰", "龙腾", "宏达", "广场", "友谊", "北环", "南环", "创新", "科技", "永安", "富强",
)  # fmt: skip
_ROAD_DIRS = ("", "", "", "东", "西", "南", "北", "中")
_ROAD_SUFFIXES = ("路", "路", "路", "大街", "街", "大道", "巷")
_POI_STEMS = (
    "阳光", "幸福", "金色", "锦绣", "翠苑", "桂花", "碧水", "江南", "世纪", "绿城", "龙湖", "御景",
    "香樟", "紫荆", "书香", "怡景", "兰亭", "明珠", "丽都", "欣苑", "嘉园", "铂悦", "星河", "海棠",
    "润泽", "馨园", "汇景", "华庭", "枫林", "清水湾", "盛世", "东方", "滨湖", "康乐", "和谐",
)  # fmt: skip
_POI_SUFFIXES = ("小区", "小区", "花园", "家园", "新村", "公寓", "苑", "名苑", "山庄", "华府", "大厦", "城")
_SUBPOIS = ("科技大厦", "商务楼", "北区", "南区", "东苑", "西苑", "一期", "二期", "A区", "B区")
_SHOPS = (
    "老王牙科诊所", "便民超市", "惠民药店", "张记五金店", "鑫源修车铺", "好又多超市", "红星理发店",
    "李记面馆", "平安大药房", "家家乐超市", "顺达快递站", "新华书店", "金鑫麻辣烫", "美佳美容院",
)  # fmt: skip
# Plausible slips of the hand or of an input method, for names that are not divisions.
_TYPO = {"路": "璐", "华": "化", "园": "圆", "苑": "院", "景": "井", "湖": "胡", "江": "将", "桥": "侨",
         "阳": "杨", "金": "今", "明": "名", "新": "心", "光": "广", "民": "名", "兴": "星"}  # fmt: skip
_CN = "〇一二三四五六七八九"
_PROVINCE_SHORT = {
    "内蒙古自治区": "内蒙古", "广西壮族自治区": "广西", "西藏自治区": "西藏", "宁夏回族自治区": "宁夏",
    "新疆维吾尔自治区": "新疆",
}  # fmt: skip


def _cn_small(n: int) -> str:
    if n < 10:
        return _CN[n]
    if n < 20:
        return "十" + (_CN[n % 10] if n % 10 else "")
    if n < 100:
        return _CN[n // 10] + "十" + (_CN[n % 10] if n % 10 else "")
    return "".join(_CN[int(d)] for d in str(n))


def _full_width(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in s)


class Generator:
    def __init__(self, seed: int = 2023) -> None:
        self.rng = random.Random(seed)
        self.names: dict[str, str] = {}
        villages: list[str] = []
        zones: list[str] = []
        for rec in iter_divisions():
            self.names[rec.code] = rec.name
            if len(rec.code) == 12:
                villages.append(rec.code)
            elif (
                len(rec.code) == 9
                and rec.name.endswith(("开发区", "高新区", "园区"))
                and "（" not in rec.name
                and not any(ch in rec.name[:-3] for ch in "市县区")
            ):
                zones.append(rec.code)
        self.villages = villages
        self.zones = zones

    # -- pieces --------------------------------------------------------------
    def province(self, code: str) -> Piece | None:
        name = self.names[code[:2]]
        if self.rng.random() < 0.25:
            short = _PROVINCE_SHORT.get(name) or name.removesuffix("省").removesuffix("市")
            if len(short) >= 2:
                return (short, "province", name)
        return (name, "province", name)

    def city(self, code: str) -> Piece | None:
        name = self.names.get(code[:4], "")
        if not name or name in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
            return None
        if name.endswith("市") and len(name) >= 3 and self.rng.random() < 0.25:
            return (name[:-1], "city", name)
        return (name, "city", name)

    def county(self, code: str) -> Piece | None:
        name = self.names.get(code[:6], "")
        if not name or name == "市辖区":
            return None
        return (name, "district", name)

    def town(self, code: str) -> Piece | None:
        name = self.names.get(code[:9], "")
        if not name.endswith(("镇", "乡", "街道")) or "(" in name or "（" in name:
            return None
        return (name, "town", name)

    def village(self, code: str) -> Piece | None:
        name = short_name(self.names[code])
        if not name.endswith(("村", "社区")) or "(" in name or "（" in name:
            return None
        if name.endswith("村") and self.rng.random() < 0.1:
            return (name + "村委会", "community", name)
        return (name, "community", name)

    def road(self, typo: bool = False) -> Piece:
        stem = self.rng.choice(_ROAD_STEMS)
        name = stem + self.rng.choice(_ROAD_DIRS) + self.rng.choice(_ROAD_SUFFIXES)
        return (self._typo(name) if typo else name, "road", name)

    def poi(self, typo: bool = False) -> Piece:
        name = self.rng.choice(_POI_STEMS) + self.rng.choice(_POI_SUFFIXES)
        return (self._typo(name) if typo else name, "poi", name)

    def _typo(self, name: str) -> str:
        spots = [i for i, ch in enumerate(name[:-1]) if ch in _TYPO]
        if not spots:
            return name
        i = self.rng.choice(spots)
        return name[:i] + _TYPO[name[i]] + name[i + 1 :]

    def number(self, kind: str, n: int | None = None) -> Piece:
        rng = self.rng
        if kind == "road_no":
            n = n or rng.randint(1, 399)
            roll = rng.random()
            if roll < 0.1:
                return (f"{_cn_small(n)}号", kind, str(n))
            if roll < 0.15:
                return (f"{n}号院", kind, str(n))
            if roll < 0.2:
                k = rng.randint(1, 9)
                return (f"{n}号附{k}号", kind, f"{n}附{k}")
            return (f"{n}号", kind, str(n))
        if kind == "building":
            n = n or rng.randint(1, 40)
            form = rng.choice(("栋", "栋", "号楼", "号楼", "幢", "#", "座", "cn栋", "cn幢", "第栋"))
            if form.startswith("cn"):
                return (f"{_cn_small(n)}{form[2:]}", kind, str(n))
            if form == "第栋":
                return (f"第{n}栋", kind, str(n))
            return (f"{n}{form}", kind, str(n))
        if kind == "unit":
            n = n or rng.randint(1, 6)
            form = rng.choice(("单元", "单元", "单元", "门", "梯", "cn单元"))
            if form == "cn单元":
                return (f"{_cn_small(n)}单元", kind, str(n))
            return (f"{n}{form}", kind, str(n))
        if kind == "room":
            n = n or rng.randint(1, 30) * 100 + rng.randint(1, 4)
            form = rng.choice(("室", "室", "", "", "户", "cn室"))
            if form == "cn室":
                return (f"{_cn_small(n)}室", kind, str(n))
            return (f"{n}{form}", kind, str(n))
        if kind == "floor":
            n = n or rng.randint(1, 30)
            return (f"{n}{rng.choice(('楼', '层'))}", kind, str(n))
        if kind == "village_group":
            n = n or rng.randint(1, 15)
            form = rng.choice(("组", "组", "组", "队", "村民小组", "cn组"))
            if form == "cn组":
                return (f"{_cn_small(n)}组", kind, str(n))
            return (f"{n}{form}", kind, str(n))
        raise ValueError(kind)

    # -- addresses -------------------------------------------------------------
    def divisions(self, code: str, levels: str) -> list[Piece]:
        """Division pieces for ``code``: ``levels`` is a subset of "PCDTV" in order."""
        out: list[Piece] = []
        for ch in levels:
            piece = {
                "P": self.province,
                "C": self.city,
                "D": self.county,
                "T": self.town,
                "V": self.village,
            }[ch](code)
            if piece is not None:
                out.append(piece)
        return out

    def sep(self, pieces: list[Piece]) -> list[Piece]:
        """Sometimes put spaces, commas or dashes between pieces (unlabelled)."""
        if self.rng.random() > 0.15:
            return pieces
        mark = self.rng.choice((" ", ",", "-", "，", "、"))
        out: list[Piece] = []
        for i, p in enumerate(pieces):
            if i and self.rng.random() < 0.5 and p[1] not in (None, "building", "unit", "floor", "room"):
                out.append((mark, None, None))
            out.append(p)
        return out

    def one(self, i: int) -> Labelled:
        rng = self.rng
        code = rng.choice(self.villages)
        style = i % 16
        typo = rng.random() < 0.15
        p: list[Piece]
        if style in (0, 1, 2):  # a dwelling in a compound, full or partial divisions
            levels = rng.choice(("PCDT", "CDT", "DT", "PCD", "CD", "PCDTV", "DTV"))
            p = self.divisions(code, levels)
            p += [self.road(typo), self.number("road_no"), self.poi(typo)]
            p += [self.number("building"), self.number("unit"), self.number("room")]
            if rng.random() < 0.3:  # compact form
                b, u, r = rng.randint(1, 40), rng.randint(1, 6), rng.randint(1, 30) * 100 + rng.randint(1, 4)
                p[-3:] = [(str(b), "building", str(b)), ("-", None, None), (str(u), "unit", str(u))]
                p += [("-", None, None), (str(r), "room", str(r))]
        elif style == 3:  # no road, compound straight after the divisions
            p = self.divisions(code, rng.choice(("CD", "DT", "PCDT")))
            p += [self.poi(typo), self.number("building"), self.number("unit"), self.number("room")]
        elif style == 4:  # village house numbers
            p = self.divisions(code, rng.choice(("DTV", "PCDTV", "CDTV", "TV")))
            p += [self.number("village_group"), self.number("road_no")]
        elif style == 5:  # village without group
            p = self.divisions(code, rng.choice(("DTV", "PCDTV")))
            p += [self.number("road_no")]
        elif style == 6:  # redundant repeats
            p = self.divisions(code, "PCD")
            if p:
                p.append(p[-1])
            p += [*self.divisions(code, "T"), self.road(), self.number("road_no")]
            p = [(t, k, v) for t, k, v in p]
            if rng.random() < 0.5:
                with_dash: list[Piece] = []
                for j, piece in enumerate(p):
                    if j and piece[1] in ("city", "district") and j < 4:
                        with_dash.append(("-", None, None))
                    with_dash.append(piece)
                p = with_dash
        elif style == 7:  # shop on a street
            p = self.divisions(code, rng.choice(("CD", "DT", "CDT")))
            p += [self.road(typo), self.number("road_no"), (rng.choice(_SHOPS), "poi", None)]
        elif style == 8:  # development zone
            zone = rng.choice(self.zones)
            code = zone + "000"
            p = self.divisions(code, rng.choice(("CD", "PCD", "C", "D")))
            p += [(self.names[zone], "devzone", self.names[zone])]
            p += [self.road(), self.number("road_no")]
            if rng.random() < 0.5:
                p += [self.poi(), self.number("building")]
        elif style == 9:  # room written without its unit
            p = self.divisions(code, rng.choice(("DT", "CD")))
            p += [
                self.road(),
                self.number("road_no"),
                self.poi(),
                self.number("building"),
                self.number("room"),
            ]
        elif style == 10:  # missing building
            p = self.divisions(code, rng.choice(("DT", "CDT")))
            p += [self.poi(typo), self.number("unit"), self.number("room")]
        elif style == 11:  # office floor in a sub-compound
            p = self.divisions(code, rng.choice(("CD", "PCD")))
            p += [self.road(), self.number("road_no"), self.poi(), (rng.choice(_SUBPOIS), "subpoi", None)]
            p += [self.number("floor")]
        elif style == 12:  # bare street address, no division
            p = [self.road(typo), self.number("road_no"), self.poi(typo), self.number("building")]
            p += [self.number("unit"), self.number("room")]
        elif style == 13:  # compact with no road and no division
            b, u, r = rng.randint(1, 40), rng.randint(1, 6), rng.randint(1, 30) * 100 + rng.randint(1, 4)
            p = [self.poi(typo), (str(b), "building", str(b)), ("-", None, None), (str(u), "unit", str(u))]
            p += [("-", None, None), (str(r), "room", str(r))]
        elif style == 14:  # lane and house in a lane
            p = self.divisions(code, rng.choice(("CD", "D")))
            lane, no = rng.randint(1, 999), rng.randint(1, 99)
            p += [self.road(), (f"{lane}弄", "subroad", f"{lane}弄"), (f"{no}号", "subroad_no", str(no))]
            p += [self.number("room")]
        else:  # full-width digits, traditional building words
            p = self.divisions(code, rng.choice(("CDT", "DT")))
            p += [
                self.road(),
                self.number("road_no"),
                self.poi(),
                self.number("building"),
                self.number("unit"),
            ]
            p += [self.number("room")]
            p = [
                (_full_width(t) if k in ("road_no", "building", "unit", "room") else t, k, v) for t, k, v in p
            ]
        item = assemble(self.sep(p), f"generated:{style}")
        depth = {"province": 2, "city": 4, "district": 6, "town": 9, "community": 12}
        written = [depth[k] for k, _, _, _ in item.elements if k in depth]
        if style == 8:
            written = [n for n in written if n <= 6] + [9]
        div = code[: max(written)] if written else None
        return Labelled(item.input, item.elements, item.source, div)

    def many(self, n: int) -> Iterator[Labelled]:
        for i in range(n):
            yield self.one(i)


def main(argv: list[str]) -> None:
    n = int(argv[0]) if argv else 3200
    gen = Generator()
    with GENERATED.open("w", encoding="utf-8") as fh:
        for item in gen.many(n):
            fh.write(item.as_json() + "\n")
    print(f"wrote {n} addresses to {GENERATED}")


if __name__ == "__main__":
    main(sys.argv[1:])
