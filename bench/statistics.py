"""Benchmark the statistics dashboards: ``python bench/statistics.py --help``.

The benchmark itself is ``bench/stats_dashboards.py``; this file runs it under the name the
statistics issue gives it. A script run from ``bench/`` has this directory first on
``sys.path``, so anything it imports that does ``import statistics`` (Django's SQLite
backend, Splink) finds this file instead of the standard library module. When imported
rather than run, this file therefore puts the standard library's module in its place.
"""

import importlib.util
import sys
import sysconfig
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import stats_dashboards

    stats_dashboards.main()
else:
    _spec = importlib.util.spec_from_file_location(
        "statistics", Path(sysconfig.get_paths()["stdlib"]) / "statistics.py"
    )
    assert _spec is not None and _spec.loader is not None
    _stdlib = importlib.util.module_from_spec(_spec)
    # The import system hands the importer whatever sys.modules holds when this file ends.
    sys.modules["statistics"] = _stdlib
    _spec.loader.exec_module(_stdlib)
