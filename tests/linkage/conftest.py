from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connections


@pytest.fixture(autouse=True)
def _no_inherited_connection() -> Iterator[None]:
    """Some of these tests fork the engine's helper processes from the test process. A
    database connection left open by an earlier test would be inherited by them, and a
    child can end it or keep it open past the test database's teardown."""
    connections.close_all()
    yield
