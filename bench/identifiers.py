"""Throughput of the identifier checks in ybss.lib.

    .venv/bin/python bench/identifiers.py [count]

Bulk imports of population records validate every ID number, so the number
that matters is validations per second next to the floor set by computing the
check character alone; both are measured in the same run so the ratio holds
whatever machine this runs on.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from pathlib import Path

# Run as a script from a checkout, where the package is not installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TODAY = date(2024, 6, 1)


def timed(label: str, items: Iterable[str], fn: Callable[[str], object], baseline: float | None) -> float:
    batch = list(items)
    start = time.perf_counter()
    for item in batch:
        fn(item)
    elapsed = time.perf_counter() - start
    rate = len(batch) / elapsed
    ratio = f"costs {baseline / rate:5.1f}× the baseline" if baseline else "baseline"
    print(f"{label:<48} {len(batch):>7} in {elapsed:6.3f} s  {rate:>11,.0f}/s  {ratio}")
    return rate


def main(count: int) -> None:
    load_start = time.perf_counter()
    from ybss.lib import credit_code, idcard, phone

    codes = sorted(c for c in idcard.current_division_codes() if not c.endswith("00"))
    print(
        f"division code set: {len(idcard.valid_division_codes())} codes, "
        f"loaded in {time.perf_counter() - load_start:.3f} s (import included)"
    )

    rng = random.Random(20240601)
    first = date(1930, 1, 1)
    span = (TODAY - first).days
    first17s = [
        rng.choice(codes)
        + (first + timedelta(days=rng.randrange(span))).strftime("%Y%m%d")
        + f"{rng.randrange(1000):03d}"
        for _ in range(count)
    ]
    numbers = [f + idcard.check_char(f) for f in first17s]

    def typo(n: str) -> str:
        i = rng.randrange(17)
        return n[:i] + str((int(n[i]) + rng.randint(1, 9)) % 10) + n[i + 1 :]

    typos = [typo(n) for n in numbers[: max(1, count // 10)]]
    credit = []
    for _ in range(count):
        body = "".join(rng.choice(credit_code.ALPHABET) for _ in range(8))
        first17 = "91" + rng.choice(codes) + body + credit_code.org_check_char(body)
        credit.append(first17 + credit_code.credit_check_char(first17))
    phones = [f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}" for _ in range(count // 2)]
    for _ in range(count - count // 2):
        area = rng.choice(["010", "021", "0755", "0313"])
        local_len = 8 if len(area) == 3 else rng.choice([7, 8])
        phones.append(
            f"{area}-{rng.randrange(2, 10)}{rng.randrange(10 ** (local_len - 1)):0{local_len - 1}d}"
        )
    spaced = [f"+86 {p[:3]} {p[3:7]} {p[7:]}" for p in phones[: count // 2]]

    baseline = timed("ID check char only (baseline)", first17s, idcard.check_char, None)
    timed(
        "validate_id_number, valid 18-digit",
        numbers,
        lambda n: idcard.validate_id_number(n, today=TODAY),
        baseline,
    )
    timed("is_valid, valid 18-digit", numbers, lambda n: idcard.is_valid(n, today=TODAY), baseline)
    timed(
        "is_valid, one typo (raises, builds suggestions)",
        typos,
        lambda n: idcard.is_valid(n, today=TODAY),
        baseline,
    )
    timed("repair_candidates, one typo", typos, lambda n: idcard.repair_candidates(n, today=TODAY), baseline)
    timed("mask_id", numbers, idcard.mask_id, baseline)
    timed("validate_credit_code", credit, credit_code.validate_credit_code, baseline)
    timed("normalize_phone, normal forms", phones, phone.normalize_phone, baseline)
    timed("normalize_phone, +86 with spaces", spaced, phone.normalize_phone, baseline)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
