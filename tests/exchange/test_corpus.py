"""Every file in tests/exchange/files/ against its expected report (expected.json there).

A file is either refused at upload (``refused``: the error code) or checked, and
then its counts and its problems (row, column, level, code) must be exactly the
expected ones. ``make_files.py`` rebuilds the files; README.md says what is wrong
with each.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ybss.addresses import actions
from ybss.addresses.models import AddressNode, Kind
from ybss.core.errors import ActionError
from ybss.divisions.models import Division
from ybss.exchange import importing

FILES = Path(__file__).parent / "files"
EXPECTED: dict[str, Any] = json.loads((FILES / "expected.json").read_text(encoding="utf-8"))
COUNTS = ("rows", "create", "update", "unchanged", "skip", "problem_rows")

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus_rooms(community: Division) -> list[AddressNode]:
    """河北省张家口市涿鹿县涿鹿镇鼓楼社区幸福路1号1栋1单元101…302, where the corpus people live."""
    road = actions.create_road(None, community.parent, "幸福路")  # type: ignore[arg-type]
    plate = actions.create_node(None, Kind.DOORPLATE, "1", division=community, road=road)
    building = actions.create_node(None, Kind.BUILDING, "1", parent=plate)
    return actions.batch_create_rooms(None, building, actions.RoomPattern(3, 1, 2))


def report(name: str) -> dict[str, Any]:
    path = FILES / name
    try:
        job = importing.create_job(None, "persons", path, name)
    except ActionError as exc:
        return {"refused": exc.code, "message": exc.message}
    job = importing.check(job, None)
    return {
        "counts": {k: job.counts.get(k, 0) for k in COUNTS},
        "problems": [
            [p.row, p.column, p.level, p.code] for p in job.problems.order_by("row", "column", "code")
        ],
    }


def test_every_corpus_file_has_an_expected_report() -> None:
    files = {p.name for p in FILES.iterdir() if p.suffix in (".csv", ".xlsx", ".xlsm", ".xls")}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file(name: str, corpus_rooms: list[AddressNode]) -> None:
    got = report(name)
    want = EXPECTED[name]
    if "refused" in want:
        assert got.get("refused") == want["refused"], got
        assert want["message_contains"] in got["message"]
        return
    assert got["counts"] == want["counts"]
    assert got["problems"] == want["problems"]
