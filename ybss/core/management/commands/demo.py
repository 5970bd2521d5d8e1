import secrets
import time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from ybss.access.models import Jurisdiction, UserAccess
from ybss.access.roles import Role
from ybss.addresses.demo import COUNTY_DWELLINGS, DEMO_COUNTY, SMALL_DWELLINGS, build_demo
from ybss.addresses.models import AddressNode
from ybss.demo.population import build_population, has_population, people_for, taken_numbers
from ybss.divisions.loading import load_divisions
from ybss.divisions.models import Division, Level

DEMO_USER = "demo-admin"
DEMO_COMMUNITY = "130731100002"  # 鼓楼社区, where the demo's officer and collector work


def parse_scale(value: str) -> int:
    named = {"small": SMALL_DWELLINGS, "county": COUNTY_DWELLINGS}
    if value in named:
        return named[value]
    if value.isdigit() and 100 <= int(value) <= 500_000:
        return int(value)
    raise CommandError(f"--scale 应为 small、county 或 100–500000 之间的户数，收到 {value!r}。")


class Command(BaseCommand):
    help = "生成涿鹿县（130731，可用 --county 再加县）演示数据和演示账号；密码只打印这一次。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed", type=int, default=2023, help="随机种子（默认 2023），相同种子生成相同数据"
        )
        parser.add_argument(
            "--scale",
            default="small",
            help=(
                f"small（约 {SMALL_DWELLINGS} 户、{people_for(SMALL_DWELLINGS)} 人，默认）、"
                f"county（约 {COUNTY_DWELLINGS} 户、{people_for(COUNTY_DWELLINGS)} 人）或户数"
            ),
        )
        parser.add_argument(
            "--county",
            action="append",
            metavar="CODE",
            help="再生成一个县（6 位县级区划代码）的地址和人口，规模同 --scale；可重复，如张家口市十县",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        target = parse_scale(str(options["scale"]))
        counties = [DEMO_COUNTY] + [c for c in dict.fromkeys(options["county"] or []) if c != DEMO_COUNTY]
        for code in counties:
            if not (len(code) == 6 and code.isdigit()):
                raise CommandError(f"--county 应为 6 位县级区划代码，收到 {code!r}。")
            region = settings.YBSS_REGION
            if region and not code.startswith(region):
                raise CommandError(
                    f"--county {code} 不在本系统的辖区 {region} 内；多县部署请把 YBSS_REGION 设为地市代码"
                    "（如张家口市 1307）或留空。"
                )
            if not Division.objects.filter(code=code).exists():
                try:
                    load_divisions(code)
                except ValueError as exc:
                    raise CommandError(f"--county {code}：{exc}") from exc
                if not Division.objects.filter(code=code, level=Level.COUNTY).exists():
                    raise CommandError(f"--county {code}：不是县级区划代码。")
        # Numbers already given out, in this database and by the counties made below: a
        # migrant of one county may come from another, and IDs are unique. Read (which
        # decrypts every stored number) only when a county is actually populated.
        taken: set[str] | None = None
        for code in counties:
            taken = self._county(code, target, options["seed"], taken)
        for code in counties[1:]:
            self._county_jurisdictions(code)
        accounts = self._demo_users()
        self._demo_campaign()
        self.stdout.write("")
        self.stdout.write("演示账号（密码只显示这一次；再次运行 ybss demo 会重新生成）：")
        for username, role, place, password in accounts:
            self.stdout.write(f"  {username:<16} {password:<14} {role}，{place}")
        self.stdout.write(f"演示账号：{DEMO_USER}")
        self.stdout.write(f"演示密码：{accounts[0][3]}")

    def _county(self, code: str, target: int, seed: int, taken: set[str] | None) -> set[str] | None:
        county = Division.objects.get(code=code)
        started = time.perf_counter()
        if AddressNode.objects.within(code).exists():
            self.stdout.write(f"{county.name}：演示地址已存在，保留原数据。")
        else:
            with transaction.atomic():
                report = build_demo(seed=seed, dwellings=target, county_code=code)
            self.stdout.write(
                f"{county.name}：已生成街路巷 {report.roads} 条、地址 {report.nodes} 个、"
                f"住户单元 {report.dwellings} 户（用时 {time.perf_counter() - started:.1f} 秒）。"
            )
        if has_population(code):
            self.stdout.write(f"{county.name}：演示人口已存在，保留原数据。")
            return taken
        if taken is None:
            taken = taken_numbers()
        # The target follows the scale asked for, even when the address base holds fewer
        # dwellings: extra renting households then make up the difference.
        with transaction.atomic():
            people = build_population(seed=seed, people=people_for(target), county=code, taken=taken)
        self.stdout.write(
            f"{county.name}：已生成实有人口 {people.people} 人、居住信息 {people.residences} 条"
            f"（{people.households} 户，其中流动人口 {people.migrants} 人、"
            f"境外人员 {people.foreigners} 人、人户分离 {people.split + people.away} 人；"
            f"用时 {people.seconds:.1f} 秒）。"
        )
        return taken

    def _demo_campaign(self) -> None:
        """A running collection campaign over the demo community, its work with demo-collector."""
        from datetime import date, timedelta

        from ybss.campaigns import actions as campaigns
        from ybss.campaigns.models import Campaign

        name = "演示 冬季集中采集"
        if Campaign.objects.filter(name=name).exists():
            self.stdout.write("演示采集活动已存在，保留原数据。")
            return
        users = get_user_model().objects
        admin, collector = users.get(username=DEMO_USER), users.get(username="demo-collector")
        campaign = campaigns.create_campaign(
            admin,
            name=name,
            area_codes=[DEMO_COMMUNITY],
            starts_on=date.today(),
            ends_on=date.today() + timedelta(days=30),
        )
        count = campaigns.build_work_list(admin, campaign)
        campaigns.assign(admin, campaign, [collector])
        campaigns.set_status(admin, campaign, Campaign.Status.ACTIVE)
        self.stdout.write(f"已建立演示采集活动“{name}”：{count} 个待采集地址，分配给 demo-collector。")

    def _county_jurisdictions(self, code: str) -> tuple[Jurisdiction, dict[str, Jurisdiction]]:
        """The county bureau and one station per township: the tree statistics drill down through."""
        county = Division.objects.get(code=code)
        bureau, _ = Jurisdiction.objects.get_or_create(
            name=f"{county.short_name}公安局",
            kind=Jurisdiction.Kind.COUNTY_BUREAU,
            defaults={"prefixes": [county.code]},
        )
        stations = {}
        for town in Division.objects.filter(parent=county).order_by("code"):
            name = town.short_name.removesuffix("镇").removesuffix("乡").removesuffix("街道") + "派出所"
            stations[town.code], _ = Jurisdiction.objects.get_or_create(
                name=name, kind=Jurisdiction.Kind.STATION, parent=bureau, defaults={"prefixes": [town.code]}
            )
        return bureau, stations

    def _demo_users(self) -> list[tuple[str, str, str, str]]:
        """One account per role on a realistic jurisdiction tree for the county."""
        bureau, stations = self._county_jurisdictions(DEMO_COUNTY)
        community = Division.objects.get(code=DEMO_COMMUNITY)
        station = stations[community.code[:9]]
        area, _ = Jurisdiction.objects.get_or_create(
            name=f"{community.short_name}警务区",
            kind=Jurisdiction.Kind.POLICING_AREA,
            parent=station,
            defaults={"prefixes": [community.code]},
        )
        grid, _ = Jurisdiction.objects.get_or_create(
            name=f"{community.short_name}第一网格",
            kind=Jurisdiction.Kind.GRID,
            parent=area,
            defaults={"prefixes": [community.code]},
        )
        plan = [
            (DEMO_USER, Role.STATION_ADMIN, station),
            ("demo-officer", Role.OFFICER, area),
            ("demo-collector", Role.COLLECTOR, grid),
            ("demo-supervisor", Role.SUPERVISOR, bureau),
            ("demo-auditor", Role.AUDITOR, bureau),
            ("demo-sysadmin", Role.SYSADMIN, bureau),
        ]
        out = []
        with transaction.atomic():
            for username, role, place in plan:
                user, _ = get_user_model().objects.get_or_create(username=username)
                password = secrets.token_urlsafe(9)
                user.set_password(password)
                user.save()
                access, _ = UserAccess.objects.update_or_create(user=user, defaults={"role": role})
                access.jurisdictions.set([place])
                out.append((username, str(Role(role).label), place.name, password))
        return out
