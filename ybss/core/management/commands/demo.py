import secrets
import time
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from ybss.addresses.demo import COUNTY_DWELLINGS, DEMO_COUNTY, SMALL_DWELLINGS, build_demo
from ybss.addresses.models import AddressNode
from ybss.divisions.loading import load_divisions
from ybss.divisions.models import Division

DEMO_USER = "demo-admin"
STATION_ADMIN_GROUP = "派出所管理员"


def parse_scale(value: str) -> int:
    named = {"small": SMALL_DWELLINGS, "county": COUNTY_DWELLINGS}
    if value in named:
        return named[value]
    if value.isdigit() and 100 <= int(value) <= 500_000:
        return int(value)
    raise CommandError(f"--scale 应为 small、county 或 100–500000 之间的户数，收到 {value!r}。")


class Command(BaseCommand):
    help = "生成涿鹿县（130731）演示数据和演示管理员账号；密码只打印这一次。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed", type=int, default=2023, help="随机种子（默认 2023），相同种子生成相同数据"
        )
        parser.add_argument(
            "--scale",
            default="small",
            help=f"small（约 {SMALL_DWELLINGS} 户，默认）、county（约 {COUNTY_DWELLINGS} 户）或户数",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        target = parse_scale(str(options["scale"]))
        if not Division.objects.filter(code=DEMO_COUNTY).exists():
            self.stdout.write("载入涿鹿县行政区划……")
            load_divisions(DEMO_COUNTY)
        started = time.perf_counter()
        if AddressNode.objects.within(DEMO_COUNTY).exists():
            self.stdout.write("演示地址已存在，保留原数据。")
        else:
            with transaction.atomic():
                report = build_demo(seed=options["seed"], dwellings=target)
            self.stdout.write(
                f"已生成街路巷 {report.roads} 条、地址 {report.nodes} 个、住户单元 {report.dwellings} 户"
                f"（用时 {time.perf_counter() - started:.1f} 秒）。"
            )
        password = self._demo_user()
        self.stdout.write("")
        self.stdout.write(f"演示账号：{DEMO_USER}")
        self.stdout.write(f"演示密码：{password}  （只显示这一次；再次运行 ybss demo 会重新生成）")

    def _demo_user(self) -> str:
        group, _ = Group.objects.get_or_create(name=STATION_ADMIN_GROUP)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="addresses"))
        user, _ = get_user_model().objects.get_or_create(username=DEMO_USER)
        password = secrets.token_urlsafe(9)
        user.set_password(password)
        user.save()
        user.groups.add(group)
        return password
