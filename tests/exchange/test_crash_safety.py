"""Killing ``ybss import`` in the middle of its commit leaves all of the file or none of it.

The import runs in a real child process against its own database (a SQLite file,
or a scratch PostgreSQL database when the suite runs on PostgreSQL), and gets
SIGKILL once the progress file shows rows being written.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from tests.exchange.conftest import make_id, write_csv

ROWS = 6000
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国文斌宇浩凯健"
    "俊帆帅旭宁龙林欢阳晨瑞博昊天佳琪雪梅婷慧颖倩琳晶莉丹岩波海峰亮飞鑫宏志成兵"
)

SETUP = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from ybss.divisions.loading import load_divisions
load_divisions("130731100")
from ybss.addresses import actions
from ybss.divisions.models import Division
community = Division.objects.get(code="130731100002")
road = actions.create_road(None, community.parent, "轩辕路")
plate = actions.create_node(None, "doorplate", "18", division=community, road=road)
building = actions.create_node(None, "building", "1", parent=plate)
rooms = actions.batch_create_rooms(None, building, actions.RoomPattern(10, 0, 10))
print(rooms[0].full_text)
"""

COUNT = """
import django
django.setup()
from ybss.people.models import Person, Residence
print(Person.objects.count(), Residence.objects.count())
"""


@pytest.fixture
def scratch_db(tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ybss.settings",
        "SECRET_KEY": "crash-test",
        "YBSS_ENV_FILE": "/nonexistent",
        "YBSS_VAR_DIR": str(tmp_path / "var"),
        "YBSS_IMPORT_DIR": str(tmp_path / "imports"),
        "YBSS_FIELD_KEY": "t1:dGVzdC1vbmx5LWRhdGEta2V5LTMyLWJ5dGVzLWxvbmc=",
        "YBSS_INDEX_KEY": "dGVzdC1vbmx5LWluZGV4LWtleS0zMi1ieXRlcy1sb24=",
    }
    name = ""
    if connection.vendor == "postgresql":
        import psycopg

        settings = connection.settings_dict
        name = f"ybss_crash_{os.getpid()}"
        base = f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
        with psycopg.connect(f"{base}/postgres", autocommit=True) as pg:
            pg.execute(f"DROP DATABASE IF EXISTS {name}")
            pg.execute(f"CREATE DATABASE {name}")
        env["DATABASE_URL"] = f"{base}/{name}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'crash.sqlite3'}"
    yield env
    if name:
        import psycopg

        with psycopg.connect(env["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres", autocommit=True) as pg:
            pg.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _python(env: dict[str, str], code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300, check=True
    )
    return done.stdout.strip()


def _counts(env: dict[str, str]) -> tuple[int, int]:
    people, residences = _python(env, COUNT).split()
    return int(people), int(residences)


def test_sigkill_during_commit_leaves_nothing_and_a_retry_succeeds(
    tmp_path: Path, scratch_db: dict[str, str]
) -> None:
    room = _python(scratch_db, SETUP).splitlines()[-1]
    rows = [
        {
            "姓名": "张" + GIVEN[i % 75] + GIVEN[i // 75 % 75],
            # Distinct numbers: the birth year and the sequence vary together.
            "证件号码": make_id(birth=f"19{60 + i // 1000:02d}0101", seq=f"{i % 1000:03d}"),
            "居住地址": room,
            "居住类型": "租住",
            "起居日期": "2024-03-01",
        }
        for i in range(ROWS)
    ]
    assert len({r["证件号码"] for r in rows}) == ROWS
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
    assert _counts(scratch_db) == (0, 0)  # rows were written before the kill, none survived it

    retry = subprocess.run(command, env=scratch_db, capture_output=True, text=True, timeout=300)
    assert retry.returncode == 0, retry.stderr + retry.stdout
    assert _counts(scratch_db) == (ROWS, ROWS)
