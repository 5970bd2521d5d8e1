"""Address engine: normalize, parse, resolve divisions, key and match addresses.

Pure Python on top of the NBS division data in :mod:`ybss.lib.divisions`; it
imports nothing from Django so that it can run in scripts, workers and tests
alone. See ``docs/addressing.md`` for the rules and the API.
"""

from __future__ import annotations

from .gazetteer import Gazetteer, get_gazetteer
from .index import AddressIndex
from .matching import (
    CONFIDENT,
    KIND_LABELS,
    REVIEW,
    Candidate,
    MatchResult,
    canonical_key,
    element_value,
    match,
    standard_text,
)
from .normalize import normalize, normalize_name, normalize_number
from .parser import ELEMENT_KINDS, DivisionCandidate, Element, ParsedAddress, parse

__all__ = [
    "CONFIDENT",
    "ELEMENT_KINDS",
    "KIND_LABELS",
    "REVIEW",
    "AddressIndex",
    "Candidate",
    "DivisionCandidate",
    "Element",
    "Gazetteer",
    "MatchResult",
    "ParsedAddress",
    "canonical_key",
    "element_value",
    "get_gazetteer",
    "match",
    "normalize",
    "normalize_name",
    "normalize_number",
    "parse",
    "standard_text",
]
