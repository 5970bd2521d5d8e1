"""The address generator: deterministic, with the forms and hard negatives it promises."""

from __future__ import annotations

from tests.linkage.helpers import read_rows
from ybss.linkage.addresses import address_key, parse_address
from ybss.linkage.generate_addresses import NOISE, AddressGenerator, generate


def test_records_truth_and_forms(tmp_path):
    data, truth = tmp_path / "a.csv", tmp_path / "t.csv"
    stats = generate(6000, data, seed=2, truth=truth)
    rows, truths = read_rows(data), read_rows(truth)
    assert len(rows) == len(truths) == stats.records == 6000
    assert [r[0] for r in rows] == [t[0] for t in truths]
    assert len({t[1] for t in truths}) < 4000
    assert set(NOISE) <= set(stats.forms)  # every form promised happened
    assert stats.neighbours > 0
    assert any(len(r[2]) == 12 for r in rows) and any(r[2] == "" for r in rows)


def test_every_form_of_one_address_has_one_key():
    gen = AddressGenerator(7)
    checked = 0
    for a in gen.entities(40):
        if a.kind != "room":
            continue
        # The forms that keep the county: every one must give the standard form's key.
        standard = address_key(parse_address(gen.write(a, 0.0), "13"))
        for _ in range(20):
            text = gen.write(a)
            if a.place.county not in text.replace(" ", "") or "层" in text:
                continue
            got = address_key(parse_address(text, "13"))
            assert got.elements == standard.elements or {k for k, _ in got.elements} < {
                k for k, _ in standard.elements
            }, text
            checked += 1
    assert checked > 100


def test_neighbours_are_other_addresses():
    gen = AddressGenerator(3)
    for a in gen.entities(50):
        b = gen._neighbour(a)
        assert b != a
        assert address_key(parse_address(gen.write(b, 0.0), "13")) != address_key(
            parse_address(gen.write(a, 0.0), "13")
        )


def test_a_door_plate_has_one_compound_and_a_compound_one_door():
    for county in AddressGenerator(5).counties:
        doors = [(c.road, c.number) for c in county.compounds]
        names = [c.name for c in county.compounds]
        assert len(set(doors)) == len(doors) and len(set(names)) == len(names)
