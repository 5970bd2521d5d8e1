"""The NBS division data shipped with the package, read without Django.

Codes are hierarchical: 2 digits for a province, 4 for a city (prefecture),
6 for a county, 9 for a township and 12 for a community or village. The
parent of a division is therefore its code cut to the previous level's length,
which is what makes "everything inside X" a prefix test.
"""

from __future__ import annotations

import io
import lzma
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

LEVEL_LENGTHS = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}
LENGTH_LEVELS = {v: k for k, v in LEVEL_LENGTHS.items()}
LEVEL_NAMES = {1: "省级", 2: "地级", 3: "县级", 4: "乡级", 5: "村级"}

# Official suffixes of community and village committees. They are part of the
# legal name but never of an address as people write it: 鼓楼社区居民委员会 is
# "鼓楼社区", 西头堡村村民委员会 is "西头堡村".
_COMMITTEE_SUFFIXES = [
    ("社区居民委员会", "社区"),
    ("社区居委会", "社区"),
    ("村民委员会", "村"),
    ("村委会", "村"),
    ("嘎查委员会", "嘎查"),
    ("牧委会", "嘎查"),
    ("居民委员会", ""),
    ("居委会", ""),
    ("委员会", ""),
]
_PARENS = re.compile(r"[（(][^（）()]*[）)]$")


@dataclass(frozen=True, slots=True)
class DivisionRecord:
    code: str
    name: str

    @property
    def level(self) -> int:
        return level_of(self.code)

    @property
    def parent_code(self) -> str | None:
        return parent_code(self.code)

    @property
    def short_name(self) -> str:
        return short_name(self.name)


def level_of(code: str) -> int:
    """Level (1 province … 5 community/village) of a division code."""
    try:
        return LENGTH_LEVELS[len(code)]
    except KeyError:
        raise ValueError(f"区划代码长度应为 2、4、6、9 或 12 位：{code!r}") from None


def parent_code(code: str) -> str | None:
    level = level_of(code)
    return None if level == 1 else code[: LEVEL_LENGTHS[level - 1]]


def normalize_code(raw: str) -> str:
    """Turn a padded 12-digit code (130731000000) into its natural length (130731)."""
    code = raw.strip()
    if not code.isdigit():
        raise ValueError(f"区划代码只能包含数字：{raw!r}")
    if len(code) == 12:
        for length in (2, 4, 6, 9):
            if code[length:] == "0" * (12 - length):
                return code[:length]
    level_of(code)
    return code


def short_name(name: str) -> str:
    """Name without the official committee suffix, for display and matching."""
    base = _PARENS.sub("", name.strip())
    for suffix, keep in _COMMITTEE_SUFFIXES:
        if base.endswith(suffix) and len(base) > len(suffix):
            stem = base[: -len(suffix)]
            if keep and not stem.endswith(keep):
                stem += keep
            return stem
    return base


def _open_data(name: str) -> io.TextIOWrapper:
    raw = resources.files("ybss.data").joinpath(name).open("rb")
    return io.TextIOWrapper(lzma.LZMAFile(raw), encoding="utf-8")


def iter_divisions(data_file: str = "divisions.tsv.xz") -> Iterator[DivisionRecord]:
    """Every division in the shipped data, parents before children."""
    with _open_data(data_file) as fh:
        next(fh)  # header
        for line in fh:
            code, _, name = line.rstrip("\n").partition("\t")
            if code:
                yield DivisionRecord(code, name)


@dataclass(frozen=True, slots=True)
class HistoricCode:
    code: str
    name: str
    in_use: bool
    start: str
    end: str
    successors: tuple[str, ...]


@lru_cache(maxsize=1)
def history() -> dict[str, HistoricCode]:
    """County-level codes since 1981 (GB/T 2260 lineage), keyed by code.

    A code that was abolished and later reused keeps its latest meaning.
    """
    out: dict[str, HistoricCode] = {}
    with _open_data("division_history.tsv.xz") as fh:
        next(fh)
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 7:
                continue
            code, name, _level, status, start, end, succ = parts
            successors = tuple(s for s in succ.split(";") if s)
            out[code] = HistoricCode(code, name, status == "在用", start, end, successors)
    return out


def successor_codes(code: str) -> list[str]:
    """Current county-level codes that an abolished code's territory went to.

    ``132530`` (涿鹿县 before 1993) gives ``["130731"]``. A code in use gives
    itself; an unknown code gives an empty list. Successors annotated with a
    year (``130102[2001]``) only took part of the territory early on; the plain
    ones are where the rest went when the code was abolished, so they come first.
    """
    hist = history()
    seen: set[str] = set()
    result: list[str] = []

    def walk(c: str, depth: int) -> None:
        if c in seen or depth > 10:
            return
        seen.add(c)
        rec = hist.get(c)
        if rec is None:
            return
        if rec.in_use:
            result.append(c)
            return
        plain = [s for s in rec.successors if "[" not in s]
        partial = [s.split("[")[0] for s in rec.successors if "[" in s]
        for nxt in plain + partial:
            walk(nxt, depth + 1)

    walk(code, 0)
    return result


# Placeholder tiers in the NBS tables that never appear in a written address.
PLACEHOLDER_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})
