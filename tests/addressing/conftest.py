"""Gazetteers shared by the address-engine tests.

Building one reads all 665k division rows (about a second), so tests use
two region-restricted ones, built once per session, and the national index
(about four seconds), built once for the tests that need the whole country.
"""

from __future__ import annotations

import pytest

from ybss.addressing import Gazetteer, get_gazetteer


@pytest.fixture(scope="session")
def zhuolu() -> Gazetteer:
    """涿鹿县: townships and villages of one county, every county of the country."""
    return get_gazetteer("130731")


@pytest.fixture(scope="session")
def hangzhou() -> Gazetteer:
    return get_gazetteer("3301")


@pytest.fixture(scope="session")
def national() -> Gazetteer:
    return get_gazetteer(None)
