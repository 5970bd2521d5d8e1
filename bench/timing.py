"""Median and 95th percentile for the benchmarks' timings.

The benchmarks do not use the standard library's ``statistics`` module: ``bench/statistics.py``
(the statistics dashboards' benchmark) has that name, and for mypy it shadows the module.
"""

from __future__ import annotations

from collections.abc import Sequence


def median(samples: Sequence[float]) -> float:
    ordered = sorted(samples)
    if not ordered:
        raise ValueError("no samples")
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def p95(samples: Sequence[float]) -> float:
    """The 95th percentile exactly as ``statistics.quantiles(samples, n=20)[18]`` gives it."""
    ordered = sorted(samples)
    size = len(ordered)
    if size < 2:
        raise ValueError("at least two samples")
    i, n = 19, 20
    j = min(max(i * (size + 1) // n, 1), size - 1)
    delta = i * (size + 1) - j * n
    return (ordered[j - 1] * (n - delta) + ordered[j] * delta) / n
