"""Canonical keys and matching of a parsed address against standard addresses."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher

from .normalize import normalize_name, normalize_number
from .parser import DIVISION_KINDS, KEY_KINDS, NUMBER_KINDS, ParsedAddress, parse

__all__ = [
    "CONFIDENT",
    "KEY_KINDS",
    "KIND_LABELS",
    "REVIEW",
    "Candidate",
    "MatchResult",
    "canonical_key",
    "element_value",
    "match",
    "standard_text",
]

KIND_LABELS = {
    "division": "区划",
    "province": "省",
    "city": "市",
    "district": "区县",
    "devzone": "开发区",
    "town": "乡镇街道",
    "community": "社区村",
    "village_group": "村民小组",
    "road": "道路",
    "road_no": "门牌号",
    "subroad": "支路",
    "subroad_no": "支路门牌号",
    "poi": "小区或建筑群",
    "subpoi": "分区",
    "building": "楼栋",
    "unit": "单元",
    "floor": "楼层",
    "room": "房间",
    "other": "其他",
}
# How much each kind says about identity. Names and house numbers weigh most;
# a floor is nearly always implied by the room number, so it weighs little.
WEIGHTS = {
    "division": 3.0,
    "town": 1.0,
    "community": 1.0,
    "village_group": 1.5,
    "road": 2.0,
    "road_no": 2.0,
    "subroad": 1.0,
    "subroad_no": 1.0,
    "poi": 2.0,
    "subpoi": 1.0,
    "building": 2.0,
    "unit": 1.5,
    "floor": 0.5,
    "room": 2.0,
}
_DEPTH = {k: i for i, k in enumerate(("town", "community", *KEY_KINDS))}
CONFIDENT = 0.85
REVIEW = 0.6
# Two candidates closer than this are a tie, whatever their scores: a human decides.
MARGIN = 0.05
_NAME_SIMILAR = 0.8


def element_value(kind: str, text: str) -> str:
    """Normalized value of an element of ``kind`` (the per-node ``norm_key`` of an address base)."""
    return normalize_number(kind, text) if kind in NUMBER_KINDS else normalize_name(text)


def _identity(parsed: ParsedAddress) -> dict[str, str]:
    """First value per kind, plus divisions the data did not know (they have no code)."""
    out: dict[str, str] = {}
    for el in parsed.elements:
        if el.kind in DIVISION_KINDS and el.code is not None:
            continue
        if el.kind == "other" or el.kind in out or not el.value:
            continue
        out[el.kind] = el.value
    return out


def canonical_key(parsed: ParsedAddress) -> str:
    """Stable match key: the division code, then each identity element normalized.

    Two spellings of one address give the same key (3号楼 / 三栋 / 3幢 / 3#
    all key as ``building=3``); the key is meant for equality lookups, not for
    display. Divisions named in the text but unknown to the data are part of
    the key by name.
    """
    ident = _identity(parsed)
    parts = [parsed.division_code or ""]
    for kind in (*DIVISION_KINDS, *KEY_KINDS):
        if kind in ident:
            parts.append(f"{kind}={ident[kind]}")
    return "|".join(parts)


# How each kind is written in the standard text: the value, then a word.
_STANDARD_WORDS = {
    "village_group": "组",
    "road_no": "号",
    "subroad_no": "号",
    "building": "栋",
    "unit": "单元",
    "floor": "层",
    "room": "室",
}


def standard_text(parsed: ParsedAddress) -> str:
    """The address written the standard way: 浙江省杭州市西湖区文三路90号东部软件园3栋2单元502室.

    The division is written in full from the province down (parents filled in
    from the data), followed by the identity elements in canonical form:
    numbers as digits with one word each (栋, 单元, 室), names folded.
    Divisions the data does not know are kept by name.
    """
    parts = [name for _, name in parsed.division_path]
    # Divisions the data does not know are written when they lie below the
    # known ones (a renamed village); above them (an abolished city) the
    # path from the data already says it.
    coded = [i for i, el in enumerate(parsed.elements) if el.code is not None]
    below = coded[-1] if coded else -1
    ident = _identity(
        replace(parsed, elements=tuple(e for i, e in enumerate(parsed.elements) if i > below or e.code))
    )
    for kind in (*DIVISION_KINDS, *KEY_KINDS):
        value = ident.get(kind)
        if value is None:
            continue
        if kind == "road_no" and "附" in value:
            value = value.replace("附", "号附")
        elif kind == "floor" and value.startswith("-"):
            value = "B" + value[1:]
        parts.append(value + _STANDARD_WORDS.get(kind, ""))
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A standard address to match against: an id, its division and its element values.

    ``elements`` maps element kinds (road, road_no, poi, building, unit,
    room…) to values as stored; they are normalized here, so raw spellings
    (三栋) and stored keys (3) both work.
    """

    id: Hashable
    division_code: str | None
    elements: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MatchResult:
    """How well one candidate fits, with the reasons.

    ``status`` is ``"confident"`` (safe to link automatically), ``"review"``
    (plausible, a person should confirm) or ``"no_match"``. ``agreed``,
    ``disagreed``, ``missing`` (in the address, not in the candidate) and
    ``extra`` (in the candidate, not in the address) hold element kinds, with
    ``"division"`` standing for the division code.
    """

    candidate_id: Hashable
    score: float
    status: str
    agreed: tuple[str, ...]
    disagreed: tuple[str, ...]
    missing: tuple[str, ...]
    extra: tuple[str, ...]
    explanation: str

    @property
    def confident(self) -> bool:
        return self.status == "confident"


CandidateLike = Candidate | tuple[Hashable, str | None, Mapping[str, str]] | Mapping[str, object]


def _as_candidate(obj: CandidateLike) -> Candidate:
    if isinstance(obj, Candidate):
        return obj
    if isinstance(obj, tuple) and len(obj) == 3:
        ident, code, elements = obj
        return Candidate(ident, code, dict(elements))
    if isinstance(obj, Mapping):
        els = obj.get("elements", {})
        div = obj.get("division_code")
        if not isinstance(els, Mapping) or not (div is None or isinstance(div, str)):
            raise TypeError("候选地址的 elements 应为映射，division_code 应为字符串或 None")
        key = obj.get("id")
        if not isinstance(key, Hashable):
            raise TypeError("候选地址的 id 必须可哈希")
        return Candidate(key, div, {str(k): str(v) for k, v in els.items()})
    raise TypeError(f"无法识别的候选地址：{obj!r}")


def _division_credit(parsed: ParsedAddress, code: str | None) -> float | None:
    """Share of the division weight earned, ``None`` when neither side has a division."""
    mine = parsed.division_code
    if parsed.ambiguous and code is not None and any(code.startswith(c.code) for c in parsed.candidates):
        return 0.8
    if mine is None or code is None:
        return None if mine is None and code is None else 0.5
    if mine == code:
        return 1.0
    if code.startswith(mine):
        return 0.9  # the address names a bigger area the candidate lies in
    if mine.startswith(code):
        return 0.7  # the candidate's division is coarser than the address's
    return 0.0


def _score_one(parsed: ParsedAddress, ident: dict[str, str], cand: Candidate) -> MatchResult:
    agreed: list[str] = []
    disagreed: list[str] = []
    missing: list[str] = []
    extra: list[str] = []
    notes: list[str] = []
    got = 0.0
    total = 0.0

    credit = _division_credit(parsed, cand.division_code)
    if credit is not None:
        w = WEIGHTS["division"]
        total += w
        got += w * credit
        (agreed if credit >= 0.5 else disagreed).append("division")
        if credit == 0.0:
            notes.append(f"区划 {parsed.division_code}≠{cand.division_code}")

    theirs = {k: element_value(k, v) for k, v in cand.elements.items() if k in WEIGHTS and v}
    my_depth = max((_DEPTH[k] for k in ident if k in _DEPTH), default=-1)
    their_depth = max((_DEPTH[k] for k in theirs if k in _DEPTH), default=-1)
    for kind in WEIGHTS:
        if kind == "division":
            continue
        w = WEIGHTS[kind]
        a = ident.get(kind)
        b = theirs.get(kind)
        if a is None and b is None:
            continue
        if a is None:
            # Below the address's last element the candidate is a child node (a
            # room of the building asked for): a different thing. Above it, the
            # address merely left a part out (no road before the compound).
            total += w if _DEPTH[kind] > my_depth else w * 0.25
            extra.append(kind)
        elif b is None:
            # Likewise a candidate that stops early is a parent node.
            total += w if _DEPTH[kind] > their_depth else w * 0.5
            missing.append(kind)
        elif a == b:
            total += w
            got += w
            agreed.append(kind)
        else:
            total += w
            ratio = 0.0 if kind in NUMBER_KINDS else SequenceMatcher(None, a, b).ratio()
            if ratio >= _NAME_SIMILAR:
                got += w * ratio
                agreed.append(kind)
                notes.append(f"{KIND_LABELS[kind]}相近（{a}≈{b}）")
            else:
                disagreed.append(kind)
                notes.append(f"{KIND_LABELS[kind]}不同（{a}≠{b}）")
    score = got / total if total else 0.0
    if "division" in disagreed:
        # Same street and number in another district is another address.
        score *= 0.6
    if any(k in NUMBER_KINDS for k in disagreed):
        # So is room 503 next to room 502, however much else agrees.
        score *= 0.6
    score = round(min(max(score, 0.0), 1.0), 4)
    return MatchResult(
        candidate_id=cand.id,
        score=score,
        status="",
        agreed=tuple(agreed),
        disagreed=tuple(disagreed),
        missing=tuple(missing),
        extra=tuple(extra),
        explanation=_explain(agreed, disagreed, missing, extra, notes),
    )


def _explain(
    agreed: list[str], disagreed: list[str], missing: list[str], extra: list[str], notes: list[str]
) -> str:
    def labels(kinds: list[str]) -> str:
        return "、".join(KIND_LABELS[k] for k in kinds)

    parts = []
    if agreed:
        parts.append(f"一致：{labels(agreed)}")
    if disagreed:
        parts.append(f"不一致：{labels(disagreed)}")
    if missing:
        parts.append(f"候选缺少：{labels(missing)}")
    if extra:
        parts.append(f"地址未写：{labels(extra)}")
    if notes:
        parts.append("；".join(notes))
    return "；".join(parts) or "无可比较的要素"


def match(
    parsed: ParsedAddress | str,
    candidates: Iterable[CandidateLike],
    *,
    region: str | None = None,
    confident: float = CONFIDENT,
    review: float = REVIEW,
) -> list[MatchResult]:
    """Score every candidate against ``parsed``; best first.

    The best result is ``"confident"`` when its score reaches ``confident`` and
    it leads the runner-up by at least 0.05; otherwise results at or above
    ``review`` are ``"review"`` and the rest ``"no_match"``. A string is
    parsed first (with ``region``).
    """
    if isinstance(parsed, str):
        parsed = parse(parsed, region)
    ident = _identity(parsed)
    results = [_score_one(parsed, ident, _as_candidate(c)) for c in candidates]
    results.sort(key=lambda r: -r.score)
    out: list[MatchResult] = []
    for i, r in enumerate(results):
        if r.score >= confident and i == 0 and (len(results) == 1 or r.score - results[1].score >= MARGIN):
            status = "confident"
        elif r.score >= review:
            status = "review"
        else:
            status = "no_match"
        out.append(replace(r, status=status))
    return out
