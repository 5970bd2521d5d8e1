"""The synthetic generator: deterministic, with the errors and hard negatives it promises."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.linkage.helpers import read_rows
from ybss.lib import idcard
from ybss.linkage import generate_addresses, generate_units
from ybss.linkage.generate import NOISE, generate, render_address
from ybss.linkage.generate import places as generator_places


@pytest.mark.parametrize(
    ("write", "records"),
    [(generate, 500), (generate_units.generate, 400), (generate_addresses.generate, 400)],
    ids=["persons", "units", "addresses"],
)
def test_same_seed_same_file_other_seed_other_file(tmp_path, write, records):
    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    write(records, a, seed=4)
    write(records, b, seed=4)
    write(records, c, seed=5)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_records_truth_and_errors(tmp_path):
    data, truth = tmp_path / "p.csv", tmp_path / "t.csv"
    stats = generate(5000, data, seed=2, truth=truth)
    rows, truths = read_rows(data), read_rows(truth)
    assert len(rows) == len(truths) == stats.records == 5000
    assert [r[0] for r in rows] == [t[0] for t in truths]
    assert len({t[1] for t in truths}) < 4000  # people have several copies
    assert stats.twins > 0 and stats.common_names > 0
    # Every error the generator promises happened at least once.
    assert {k for k in NOISE if k != "id_lower_x"} <= set(stats.errors)
    numbers = [r[2] for r in rows]
    assert any(len(n) == 15 for n in numbers)
    assert any("\uff10" <= ch <= "\uff19" for n in numbers for ch in n)
    assert any(n.endswith("x") for n in numbers)
    assert sum(1 for n in numbers if len(n) == 18 and idcard.is_valid(n)) > 3500
    dates = Counter(
        "dash" if "-" in r[4] else "slash" if "/" in r[4] else "cjk" if "年" in r[4] else "compact"
        for r in rows
        if r[4]
    )
    assert set(dates) == {"dash", "slash", "cjk", "compact"}


def test_twins_share_everything_but_their_numbers_and_names(tmp_path):
    data, truth = tmp_path / "p.csv", tmp_path / "t.csv"
    generate(3000, data, seed=8, truth=truth)
    entity = {t[0]: t[1] for t in read_rows(truth)}
    people: dict[str, list[str]] = {}
    for r in read_rows(data):
        if len(r[2]) == 18 and idcard.is_valid(r[2]):
            people.setdefault(entity[r[0]], r)
    by_birth_and_phone: dict[tuple[str, str], list[list[str]]] = {}
    for r in people.values():
        by_birth_and_phone.setdefault((r[2][:14], r[5]), []).append(r)
    twins = [g for g in by_birth_and_phone.values() if len(g) == 2 and g[0][5]]
    assert twins
    for one, two in twins:
        assert one[2] != two[2] and one[2][:14] == two[2][:14]
        assert one[1] != two[1]


def test_address_forms_normalize_alike():
    from ybss.linkage.fields import normalize_address

    place = generator_places()[0]
    from ybss.linkage.generate import Address

    a = Address(place, True, road="人民路", number=18, compound="阳光小区", building=13, unit=2, room=502)
    forms = {render_address(a, style) for style in range(7)}
    assert len(forms) == 7
    assert len({normalize_address(f) for f in forms if not f.startswith(place.county)}) == 1
