"""Field comparison levels, their weights, and the explanation of a score.

Each field of a candidate pair is compared to one *level* (exact, same sound,
different, missing …). Every level has a weight in bits: log2(m/u), where m is
how often two records of the same person show that level and u how often two
records of different people do, in the manner of Fellegi and Sunter. A pair's
score is the sum of its fields' weights, so a score of 23 says the evidence is
2**23 (about eight million) times likelier for one person than for two.

The weights are set by hand from the m and u written next to them (the
reasoning is in ``docs/linkage.md``) and are the same for every file, except
for the name: agreement on a name counts for less the more common the name is
in the file (term-frequency adjustment), so that two records of 张伟 need more
evidence than two of 欧阳翠花.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

FIELDS = ("id_number", "name", "birth_date", "gender", "phone", "address")

# Levels, shared by all fields; not every field uses every level.
MISSING = 0
EXACT = 1
REPAIR = 2  # ID: one side is a repair candidate of the other (a typo fixed by the check character)
PINYIN = 3  # name: same sound, different characters
SIMILAR = 4  # name: differs in one syllable; address: most of the text in common
CLOSE = 5  # birth date: one part differs
CONFLICT = 6  # ID: two different valid numbers (the hard constraint)
DIFFERENT = 7
# The interaction terms (see NAME_IN_HOUSEHOLD below), explained as a seventh "field".
HOUSEHOLD_NAME = 8
HOUSEHOLD_BIRTH = 9
# Levels of units and addresses (persons never produce them).
WITHIN = 10  # a place or address: one side names part of what the other names, or leaves the rest out
ORG_CODE = 11  # credit code: the organization code inside one is the other's old organization code
AMBIGUOUS = 12  # an address that fits several addresses that cannot be one

LEVEL_NAMES = {
    MISSING: "missing",
    EXACT: "exact",
    REPAIR: "repair",
    PINYIN: "pinyin",
    SIMILAR: "similar",
    CLOSE: "close",
    CONFLICT: "conflict",
    DIFFERENT: "different",
    HOUSEHOLD_NAME: "name_in_household",
    HOUSEHOLD_BIRTH: "birth_without_name",
    WITHIN: "within",
    ORG_CODE: "org_code",
    AMBIGUOUS: "ambiguous",
}
AGREEING = frozenset({EXACT, REPAIR, PINYIN, WITHIN, ORG_CODE})

DEFAULT_THRESHOLD = 23.0

# Weights in bits (log2 m/u). Comments give the m and u they come from.
ID_EXACT = 25.0  # m 0.95, u < 1e-7: a valid number is one person's
ID_REPAIR = 18.0  # one typo, and the check character points at the other number: u ≈ k / 10⁷ for k candidates
ID_BOTH_REPAIRED = 8.0  # two mistyped copies share a candidate
ID_CONFLICT = -40.0  # never one person: also enforced as a constraint when clustering
ID_DIFFERENT = -8.0  # m 0.004 (two typos), u ≈ 1
NAME_MAX = 14.0  # a name seen once or twice in the file
NAME_MIN = 7.0  # the commonest names (张伟 in a big file)
NAME_PINYIN_PENALTY = 2.0  # same sound, other characters: m 0.03 instead of 0.9
NAME_SIMILAR = -3.0  # one syllable differs: twins named 子涵 and 子轩
NAME_DIFFERENT = -7.0  # m 0.005, u ≈ 1
BIRTH_EXACT = 14.0  # m 0.95, u 1/(365·80)
BIRTH_CLOSE = 2.0  # day and month swapped or one digit off: m 0.02, u 0.005
BIRTH_DIFFERENT = -7.0
GENDER_AGREE = 1.0  # m 0.99, u 0.5
GENDER_DIFFERENT = -5.0  # m 0.015, u 0.5
PHONE_EXACT = 6.0  # households share phones, so far below the global u of a number
PHONE_DIFFERENT = -1.0  # people change numbers: m(different) 0.15
ADDRESS_EXACT = 4.5  # households share addresses
ADDRESS_SIMILAR = 1.5
ADDRESS_DIFFERENT = -1.0  # people move

# Interactions. Phone and address say "same household", and the weights above
# are set low because family members share them. Within one household,
# though, a name tells people apart (parents do not give two children one
# name), and a birth date does not (twins): so agreement on the name next to
# an agreeing phone or address earns more, and an agreeing birth date next to
# them with no name to compare earns less.
NAME_IN_HOUSEHOLD = 5.0
BIRTH_IN_HOUSEHOLD_WITHOUT_NAME = -6.0

# Commonest full names nationally: even in a small file, where their own count
# says little, agreement on one of them is worth no more than this.
COMMON_NAMES = frozenset(
    (
        "张伟", "王伟", "王芳", "李伟", "李娜", "张敏", "李静", "王静", "刘伟", "王秀英",
        "张丽", "李秀英", "王丽", "张静", "张秀英", "李强", "王敏", "李敏", "王磊", "刘洋",
        "王艳", "王勇", "李军", "张勇", "李杰", "张杰", "张磊", "王强", "李娟", "王军",
        "张艳", "张涛", "王涛", "李艳", "王超", "李明", "李勇", "王娟", "刘杰", "刘敏",
        "李霞", "李丽", "张军", "王杰", "张强", "王秀兰", "王刚", "王平", "刘芳", "张燕",
        "刘艳", "刘军", "李平", "王辉", "王燕", "陈静", "刘勇", "李玲", "李桂英", "王丹",
        "李刚", "李丹", "李萍", "王鹏", "刘涛", "陈伟", "张华", "刘静", "李涛", "王桂英",
        "张秀兰", "李红", "李超", "刘丽", "张桂英", "王玉兰",
    )
)  # fmt: skip
COMMON_NAME_WEIGHT = 9.0
# Term frequency with a prior: u = (count + PRIOR_COUNT·PRIOR_U) / (n + PRIOR_COUNT),
# so a small file leans on the national figure and a big one on its own counts.
PRIOR_U = 1.5e-4
PRIOR_COUNT = 20_000
NAME_M = 0.9


def term_weight(
    count: int, total: int, *, m: float, prior_u: float, prior_count: int, low: float, high: float
) -> float:
    """Weight of agreement on a value ``count`` of ``total`` records carry, between ``low`` and ``high``.

    u = (count + prior_count·prior_u) / (total + prior_count): a small file
    leans on the prior, a big one on its own counts.
    """
    u = (count + prior_count * prior_u) / (total + prior_count)
    return min(high, max(low, math.log2(m / u)))


def name_weight(count: int, total: int, *, common: bool) -> float:
    """Weight of agreement on a name that ``count`` of ``total`` records carry."""
    weight = term_weight(
        count, total, m=NAME_M, prior_u=PRIOR_U, prior_count=PRIOR_COUNT, low=NAME_MIN, high=NAME_MAX
    )
    return min(weight, COMMON_NAME_WEIGHT) if common else weight


def id_repair_weight(candidates: int) -> float:
    """Agreement through a repaired number: 18 bits for a single candidate, 2 fewer per doubling."""
    return ID_REPAIR - 2.0 * math.log2(max(1, candidates))


@dataclass(frozen=True, slots=True)
class FieldComparison:
    field: str
    level: int
    weight: float

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES[self.level]

    @property
    def outcome(self) -> str:
        """``agree``, ``disagree`` or ``missing``: what a reviewer wants to know first."""
        if self.level == MISSING:
            return "missing"
        return "agree" if self.level in AGREEING or self.weight > 0 else "disagree"


@dataclass(frozen=True, slots=True)
class Comparison:
    """A scored candidate pair: the sum of the fields' weights and each field's part in it."""

    score: float
    fields: tuple[FieldComparison, ...]

    @property
    def agreed(self) -> list[str]:
        return [f.field for f in self.fields if f.outcome == "agree"]

    @property
    def disagreed(self) -> list[str]:
        return [f.field for f in self.fields if f.outcome == "disagree"]

    @property
    def missing(self) -> list[str]:
        return [f.field for f in self.fields if f.outcome == "missing"]

    def explain(self) -> str:
        """One line for PAIRS.csv: ``id_number=exact(+25.0); name=pinyin(+9.2); phone=missing(0) …``."""
        parts = []
        for f in self.fields:
            weight = "0" if f.weight == 0 else f"{f.weight:+.1f}"
            parts.append(f"{f.field}={f.level_name}({weight})")
        return "; ".join(parts)
