"""The unit generator: deterministic, with the errors and hard negatives it promises."""

from __future__ import annotations

from collections import defaultdict

from tests.linkage.helpers import read_rows
from ybss.lib import credit_code
from ybss.linkage.generate_units import NOISE, generate


def test_records_truth_errors_and_hard_negatives(tmp_path):
    data, truth = tmp_path / "u.csv", tmp_path / "t.csv"
    stats = generate(6000, data, seed=2, truth=truth)
    rows, truths = read_rows(data), read_rows(truth)
    assert len(rows) == len(truths) == stats.records == 6000
    assert [r[0] for r in rows] == [t[0] for t in truths]
    assert len({t[1] for t in truths}) < 4000  # units have several copies
    assert set(NOISE) <= set(stats.errors)  # every error promised happened
    assert stats.branches and stats.same_names and stats.offices
    codes = [r[2] for r in rows]
    assert sum(1 for c in codes if credit_code.is_valid_credit_code(c)) > 3000
    assert any(len(c) == 10 and c[8] == "-" for c in codes)  # the old organization code
    unit_of = {t[0]: t[1] for t in truths}
    names: dict[str, set[str]] = defaultdict(set)
    valid: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        names[r[1]].add(unit_of[r[0]])
        if credit_code.is_valid_credit_code(r[2]):
            valid[unit_of[r[0]]].add(credit_code.validate_credit_code(r[2]).code)
    # One valid code per unit; some names are two units' (namesakes in another county).
    assert all(len(v) == 1 for v in valid.values())
    assert any(len(units) > 1 for name, units in names.items() if name)
    assert any("分公司" in name for name in names) and any("人民医院" in name for name in names)
