"""Killing ``ybss import`` in the middle of its commit leaves all of the file or none of it.

The import runs in a real child process against its own database (a SQLite file,
or a scratch PostgreSQL database when the suite runs on PostgreSQL), and gets
SIGKILL once the progress file shows rows being written: both as one process and
with the rows checked in a second one (``ybss.exchange.worker``), whose checking
process must stop by itself once the importing one is gone.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.exchange.conftest import SETUP, counts_in, many_people, python_in, write_csv

ROWS = 6000


def _running(path: Path) -> list[int]:
    """Processes whose command line names ``path``: the import and any process it forked."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if str(path).encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.parametrize("apart", [False, True], ids=["one process", "checked apart"])
def test_sigkill_during_commit_leaves_nothing_and_a_retry_succeeds(
    tmp_path: Path, scratch_db: dict[str, str], apart: bool
) -> None:
    scratch_db["YBSS_IMPORT_WORKER_ROWS"] = "1" if apart else "0"
    room = python_in(scratch_db, SETUP).splitlines()[-1]
    rows = many_people(ROWS, room)
    path = write_csv(tmp_path / "people.csv", rows)
    command = [sys.executable, "-m", "ybss.cli", "import", "persons", str(path), "--quiet"]
    child = subprocess.Popen(command, env=scratch_db, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    imports = Path(scratch_db["YBSS_IMPORT_DIR"])
    killed_at = None
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and child.poll() is None:
        for progress in imports.glob("job-*.progress.json"):
            try:
                snap = json.loads(progress.read_text())
            except (OSError, ValueError):
                continue
            if snap.get("phase") == "commit" and 0 < snap.get("done", 0) < ROWS:
                child.send_signal(signal.SIGKILL)
                killed_at = snap["done"]
                break
        if killed_at is not None:
            break
        time.sleep(0.01)
    child.wait(timeout=60)
    assert killed_at is not None, "the import ended before it could be killed mid-commit"
    assert child.returncode == -signal.SIGKILL
    assert counts_in(scratch_db) == (0, 0)  # rows were written before the kill, none survived it
    deadline = time.monotonic() + 60
    while _running(path) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(path)  # a checking process left behind stops by itself

    retry = subprocess.run(command, env=scratch_db, capture_output=True, text=True, timeout=300)
    assert retry.returncode == 0, retry.stderr + retry.stdout
    assert counts_in(scratch_db) == (ROWS, ROWS)
