"""Rooms to import people into, and helpers that write import files."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from ybss.addresses import actions as address_actions
from ybss.addresses.models import AddressNode
from ybss.exchange.handlers.persons import COLUMNS as PERSON_COLUMNS
from ybss.lib.idcard import check_char

# The person template's headers, in its order.
HEADERS = [column.header for column in PERSON_COLUMNS]


def make_id(birth: str = "19900101", seq: str = "123", county: str = "130731") -> str:
    base = county + birth + seq
    return base + check_char(base)


@pytest.fixture
def rooms(building: AddressNode) -> list[AddressNode]:
    """Two floors of two rooms in one unit of 轩辕路18号阳光小区3栋: 101, 102, 201, 202."""
    return address_actions.batch_create_rooms(None, building, address_actions.RoomPattern(2, 0, 2))


def person_row(name: str, number: str, room: AddressNode | str, **kw: Any) -> dict[str, Any]:
    row = {
        "姓名": name,
        "证件号码": number,
        "居住地址": room if isinstance(room, str) else room.full_text,
        "居住类型": "租住",
        "起居日期": "2024-03-01",
    }
    row.update(kw)
    return row


def write_csv(
    path: Path, rows: list[dict[str, Any]], *, encoding: str = "utf-8-sig", headers: list[str] | None = None
) -> Path:
    headers = headers or HEADERS
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([row.get(h, "") for h in headers])
    path.write_bytes(out.getvalue().encode(encoding))
    return path


# Given names enough for thousands of distinct people in a generated file.
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国文斌宇浩凯健"
    "俊帆帅旭宁龙林欢阳晨瑞博昊天佳琪雪梅婷慧颖倩琳晶莉丹岩波海峰亮飞鑫宏志成兵"
)


def many_people(count: int, room: str, surname: str = "张") -> list[dict[str, Any]]:
    """``count`` rows of distinct people in one room, for files of several chunks."""
    rows = [
        # Distinct numbers: the birth year and the sequence vary together.
        person_row(
            surname + GIVEN[i % 75] + GIVEN[i // 75 % 75],
            make_id(birth=f"19{60 + i // 1000:02d}0101", seq=f"{i % 1000:03d}"),
            room,
        )
        for i in range(count)
    ]
    assert len({r["证件号码"] for r in rows}) == count
    return rows


# For ``python_in``: a migrated scratch database with a hundred rooms; prints the first room's text.
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
    """The environment of a ``ybss`` process with a database of its own: a SQLite file, or a
    scratch PostgreSQL database when the suite runs on PostgreSQL."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ybss.settings",
        "SECRET_KEY": "scratch-test",
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
        name = f"ybss_scratch_{os.getpid()}"
        base = f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
        with psycopg.connect(f"{base}/postgres", autocommit=True) as pg:
            pg.execute(f"DROP DATABASE IF EXISTS {name}")
            pg.execute(f"CREATE DATABASE {name}")
        env["DATABASE_URL"] = f"{base}/{name}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
    yield env
    if name:
        import psycopg

        with psycopg.connect(env["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres", autocommit=True) as pg:
            pg.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def python_in(env: dict[str, str], code: str) -> str:
    """Run ``code`` in a Python process with ``env``; what it printed."""
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300, check=True
    )
    return done.stdout.strip()


def counts_in(env: dict[str, str]) -> tuple[int, int]:
    """People and residences in the database of ``env``."""
    people, residences = python_in(env, COUNT).split()
    return int(people), int(residences)
