"""Rebuild the division data shipped inside the package.

Reads the NBS 2023 CSVs and the county-code history from a copy of the shared
data folder and writes two xz-compressed TSV files into ``ybss/data/``. The
package never reads the shared folder at run time: deployments are offline.

    python scripts/build_division_data.py ../shared/data/divisions
"""

from __future__ import annotations

import csv
import lzma
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "ybss" / "data"
LEVEL_FILES = ["provinces.csv", "cities.csv", "areas.csv", "streets.csv", "villages.csv"]


def build(src: Path) -> None:
    rows: list[str] = []
    for name in LEVEL_FILES:
        with open(src / name, encoding="utf-8", newline="") as fh:
            for rec in csv.DictReader(fh):
                rows.append(f"{rec['code']}\t{rec['name'].strip()}")
    with lzma.open(OUT / "divisions.tsv.xz", "wt", encoding="utf-8", preset=9 | lzma.PRESET_EXTREME) as out:
        out.write("code\tname\n")
        out.write("\n".join(rows) + "\n")

    hist: list[str] = []
    with open(src / "history" / "areacodes_result.csv", encoding="utf-8-sig", newline="") as fh:
        for rec in csv.reader(fh):
            if rec[0] == "代码":
                continue
            code, _prov, _pref, name, level, status, start, end, new = rec
            hist.append("\t".join([code, name, level, status, start, end, new]))
    with lzma.open(OUT / "division_history.tsv.xz", "wt", encoding="utf-8", preset=9) as out:
        out.write("code\tname\tlevel\tstatus\tstart\tend\tsuccessors\n")
        out.write("\n".join(hist) + "\n")


if __name__ == "__main__":
    build(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/divisions"))
