"""Settings read from the environment say which one is wrong."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from ybss.settings import envint


def test_a_number_setting_that_is_not_a_number_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YBSS_IMPORT_WORKER_ROWS", "五千")
    with pytest.raises(ImproperlyConfigured, match="YBSS_IMPORT_WORKER_ROWS"):
        envint("YBSS_IMPORT_WORKER_ROWS", 5000)
    monkeypatch.setenv("YBSS_IMPORT_WORKER_ROWS", " 200 ")
    assert envint("YBSS_IMPORT_WORKER_ROWS", 5000) == 200
    monkeypatch.setenv("YBSS_IMPORT_WORKER_ROWS", "")
    assert envint("YBSS_IMPORT_WORKER_ROWS", 5000) == 5000
