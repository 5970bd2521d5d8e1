import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from tests.access.conftest import IDS, make_resident
from tests.testapp.models import ID_NUMBER, Resident
from ybss.access import crypto
from ybss.lib.fieldcrypt import generate_key_string

pytestmark = pytest.mark.django_db(transaction=True)


def _raw_table_text() -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM testapp_resident")
        return repr(cur.fetchall())


def _dump_text(tmp_path: Path) -> str:
    """The whole database as its own dump tool writes it, or the raw SQLite file."""
    settings_db = connection.settings_dict
    if connection.vendor == "sqlite":
        name = settings_db["NAME"]
        if "memory" in str(name):
            with connection.cursor():  # opens the connection
                return repr(list(connection.connection.iterdump()))
        return Path(name).read_bytes().decode("latin-1")
    out = subprocess.run(
        [
            "pg_dump",
            "-h",
            settings_db["HOST"] or "127.0.0.1",
            "-U",
            settings_db["USER"] or "postgres",
            "-p",
            str(settings_db["PORT"] or 5432),
            settings_db["NAME"],
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


def test_rotation_keeps_lookups_and_leaves_no_plaintext(room: Any, tmp_path: Path) -> None:
    people = [make_resident(f"居民{i}", room, number, f"1381234567{i}") for i, number in enumerate(IDS)]
    old_key = crypto.keyring().current_key_id
    for number in IDS:
        assert number not in _raw_table_text()
    new_field_key = generate_key_string("k2")
    from django.conf import settings

    rotated_keys = f"{new_field_key},{settings.YBSS_FIELD_KEY}"
    with override_settings(YBSS_FIELD_KEY=rotated_keys):
        call_command("keys", "rotate", "--batch", "2")
        assert all(
            t.split(":")[1] == "k2" for t in Resident.objects.values_list("id_number_enc", flat=True)
        ), "every row re-encrypted under the new key"
        for person, number in zip(people, IDS, strict=True):
            fresh = Resident.objects.get(pk=person.pk)
            assert fresh.id_number == number
            assert (
                Resident.objects.filter(id_number_index__in=crypto.index_values(ID_NUMBER, number)).get()
                == fresh
            )
    # Once rotated, the old key can go: the rows read under the new key alone.
    with override_settings(YBSS_FIELD_KEY=new_field_key):
        assert Resident.objects.get(pk=people[0].pk).id_number == IDS[0]
    assert old_key != "k2"
    dump = _dump_text(tmp_path) + _raw_table_text()
    for number in IDS:
        assert number not in dump
        assert number[6:14] + number[14:] not in dump
    assert "13812345670" not in dump


def test_status_counts_rows_per_key(room: Any, capsys: pytest.CaptureFixture[str]) -> None:
    make_resident("张伟", room, IDS[0])
    call_command("keys", "status")
    assert "testapp.Resident.id_number" in capsys.readouterr().out
