"""The labelled corpus is well formed, and the parser scores well on it.

The full figures (per element type, cpca and jionlp next to ours) come from
``bench/address_parse.py``; this test keeps the micro-F1 from slipping.
"""

from __future__ import annotations

import random
from collections import Counter

from tests.addressing.corpus import GENERATED, HOLDOUT, TAGS, Generator, Labelled, load, load_hand
from ybss.addressing import ELEMENT_KINDS, Gazetteer, parse


def _f1(items: list[Labelled], gz: Gazetteer) -> float:
    tp = fp = fn = 0
    for item in items:
        gold = {(k, a, b) for k, a, b, _ in item.elements}
        got = {
            (e.kind, e.start, e.end) for e in parse(item.input, gazetteer=gz).elements if e.kind != "other"
        }
        tp += len(gold & got)
        fp += len(got - gold)
        fn += len(gold - got)
    return 2 * tp / (2 * tp + fp + fn)


def test_corpus_is_large_and_well_formed() -> None:
    corpus = load()
    assert len(corpus) >= 3000
    hand = [c for c in corpus if c.source in ("hand", "holdout")]
    assert len(hand) >= 300
    kinds: Counter[str] = Counter()
    for item in corpus:
        last = 0
        for kind, start, end, _ in item.elements:
            assert kind in ELEMENT_KINDS and kind != "other"
            assert last <= start < end <= len(item.input), item
            last = end
            kinds[kind] += 1
    # Every element class of the annotation guide occurs.
    assert set(TAGS.values()) <= set(kinds)


def test_generated_file_is_what_the_generator_writes() -> None:
    # The labels come from construction: regenerating gives the same file.
    first = GENERATED.read_text(encoding="utf-8").splitlines()[:50]
    gen = Generator()
    assert [g.as_json() for g in gen.many(50)] == first


def test_micro_f1_on_the_hand_written_part(national: Gazetteer) -> None:
    assert _f1(load_hand(), national) >= 0.95


def test_micro_f1_on_the_held_out_part(national: Gazetteer) -> None:
    assert _f1(load_hand(HOLDOUT, "holdout"), national) >= 0.95


def test_micro_f1_on_a_sample_of_the_generated_part(national: Gazetteer) -> None:
    generated = [c for c in load() if c.source.startswith("generated")]
    sample = random.Random(3).sample(generated, 800)
    assert _f1(sample, national) >= 0.95
