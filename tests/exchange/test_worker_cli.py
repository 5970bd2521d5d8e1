"""``ybss import`` checking its rows in a second process, on a database of its own.

The in-process tests (``test_worker.py``) need PostgreSQL; this one runs the command
on a SQLite file too, where the checking process reads through WAL while the
importing one holds the write transaction.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.exchange.conftest import SETUP, counts_in, many_people, python_in, write_csv

ROWS = 2100  # three chunks: what the file repeats must be found across them


def _import(env: dict[str, str], path: Path, apart: bool) -> tuple[int, list[str]]:
    env = {**env, "YBSS_IMPORT_WORKER_ROWS": "1" if apart else "0"}
    done = subprocess.run(
        [sys.executable, "-m", "ybss.cli", "import", "persons", str(path), "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = done.stdout.strip().splitlines()
    return done.returncode, lines[1:]  # the first line gives the time taken


def test_the_command_reports_and_writes_the_same_with_the_rows_checked_apart(
    tmp_path: Path, scratch_db: dict[str, str]
) -> None:
    room = python_in(scratch_db, SETUP).splitlines()[-1]
    rows = many_people(ROWS, room, "李")
    rows.append(dict(rows[10]))  # the same row again, two chunks later: skipped
    rows.append({**rows[20], "姓名": "王另"})  # its number with other content: refused
    path = write_csv(tmp_path / "people.csv", rows)

    alone = _import(scratch_db, path, apart=False)
    apart = _import(scratch_db, path, apart=True)
    assert alone[0] == apart[0] == 1  # refused as a whole: one row is wrong
    assert apart[1] == alone[1]
    assert "跳过重复行 1" in apart[1][0] and "有问题的行 1" in apart[1][0]
    assert any("与第 22 行相同" in line for line in apart[1])
    assert counts_in(scratch_db) == (0, 0)

    rows.pop()
    write_csv(path, rows)
    code, report = _import(scratch_db, path, apart=True)
    assert code == 0, report
    assert f"新增 {ROWS:,}" in report[0]
    assert counts_in(scratch_db) == (ROWS, ROWS)
    code, report = _import(scratch_db, path, apart=True)
    assert code == 0 and f"无变化 {ROWS:,}" in report[0] and "新增 0 " in report[0]
