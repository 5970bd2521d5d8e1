import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from ybss.addresses.models import AddressNode, Kind
from ybss.cli import COMMANDS, main
from ybss.core.management.commands.demo import parse_scale


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--help"])
    out = capsys.readouterr().out
    for name in ("serve", "migrate", "load-divisions", "demo", "address"):
        assert name in out and name in COMMANDS


def test_console_script_runs_without_manage_py() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ybss.cli", "--help"], capture_output=True, text=True, check=True
    )
    assert "load-divisions" in result.stdout


def test_load_divisions_needs_a_scope() -> None:
    with pytest.raises(CommandError, match="--all"):
        call_command("load_divisions")
    with pytest.raises(CommandError, match="6 位"):
        call_command("load_divisions", county="1307")


@pytest.mark.django_db
def test_address_commands_share_the_actions(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("address", "create-road", "130731100", "轩辕路")
    road_id = capsys.readouterr().out.split("\t")[0]
    call_command("address", "create", "doorplate", "18", "--division", "130731100002", "--road", road_id)
    plate = AddressNode.objects.get(kind=Kind.DOORPLATE)
    call_command("address", "create", "building", "3#", "--parent", plate.code)
    building = AddressNode.objects.get(kind=Kind.BUILDING)
    call_command("address", "rooms", building.code, "--floors", "2", "--units", "1", "--rooms-per-floor", "2")
    assert AddressNode.objects.filter(kind=Kind.ROOM).count() == 4
    with pytest.raises(CommandError, match="楼栋号重复"):
        call_command("address", "create", "building", "三号楼", "--parent", plate.code)
    with pytest.raises(CommandError, match="找不到地址编码"):
        call_command("address", "rename", "nope", "x")
    capsys.readouterr()
    call_command("address", "find", "轩辕路 201")
    assert "3栋 1单元 201室" in capsys.readouterr().out


def test_scale_argument() -> None:
    assert parse_scale("small") == 3000
    assert parse_scale("county") == 120000
    assert parse_scale("5000") == 5000
    for bad in ("huge", "-1", "10", "9999999"):
        with pytest.raises(CommandError, match="--scale"):
            parse_scale(bad)


class _Rollback(Exception):
    pass


def _snapshot() -> list[tuple[str, str]]:
    return list(AddressNode.objects.order_by("code").values_list("code", "full_text"))


@pytest.mark.django_db
def test_demo_is_reproducible_and_prints_a_fresh_password(capsys: pytest.CaptureFixture[str]) -> None:
    from django.db import transaction

    from ybss.addresses.demo import build_demo

    try:
        with transaction.atomic():
            build_demo(seed=5, dwellings=300)
            first = _snapshot()
            raise _Rollback
    except _Rollback:
        pass
    assert not AddressNode.objects.exists()
    build_demo(seed=5, dwellings=300)
    second = _snapshot()
    assert first == second and len(first) > 300
    call_command("demo")
    out1 = capsys.readouterr().out
    call_command("demo")
    out2 = capsys.readouterr().out
    pw1 = out1.split("演示密码：")[1].split()[0]
    pw2 = out2.split("演示密码：")[1].split()[0]
    assert pw1 != pw2 and len(pw1) >= 10
    assert "演示地址已存在" in out2
    # A running campaign over the demo community, assigned to demo-collector, once.
    from ybss.campaigns.models import Campaign, WorkItem

    assert "已建立演示采集活动" in out1 and "演示采集活动已存在" in out2
    campaign = Campaign.objects.get()
    assert campaign.status == Campaign.Status.ACTIVE
    items = WorkItem.objects.filter(campaign=campaign)
    assert items.exists() and not items.filter(assignee__isnull=True).exists()
