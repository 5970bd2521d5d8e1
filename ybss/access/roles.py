"""Roles and what each may do. docs/permissions.md is this table in prose;
a test keeps the two identical.

Capabilities are coarse on purpose: a role either may or may not do a kind of
thing, and *where* it may do it is the user's jurisdiction, applied by
``ybss.access.scope`` to every query.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COLLECTOR = "collector", _("采集员")
    OFFICER = "officer", _("社区民警")
    STATION_ADMIN = "station_admin", _("派出所管理员")
    SUPERVISOR = "supervisor", _("县局督导")
    AUDITOR = "auditor", _("审计员")
    SYSADMIN = "sysadmin", _("系统管理员")


class Cap:
    ADDRESS_VIEW = "address.view"
    ADDRESS_EDIT = "address.edit"
    PERSON_LIST = "person.list"  # masked lists and search results
    PERSON_VIEW_FULL = "person.view_full"  # open a full record, with a stated purpose
    PERSON_UNMASK = "person.unmask"  # unmasked identifiers in lists, with a stated purpose
    PERSON_SEARCH_ID = "person.search_id"  # search by a full ID number, with a stated purpose
    PERSON_EDIT = "person.edit"
    PERSON_EXPORT = "person.export"
    PERSON_DEDUPE = "person.dedupe"  # review suspected duplicates, merge and undo merges
    DATA_IMPORT = "data.import"  # bulk spreadsheet imports into the registry
    CHANGE_FEED = "exchange.feed"  # the change feed: which records changed, by key only
    CAMPAIGN_MANAGE = "campaign.manage"  # set up collection campaigns, assign work, draw re-checks
    CAMPAIGN_COLLECT = "campaign.collect"  # visit assigned addresses and field re-checks
    CAMPAIGN_REVIEW = "campaign.review"  # approve or reject what collectors submit
    STATS_VIEW = "stats.view"
    AUDIT_VIEW = "audit.view"
    USERS_MANAGE = "users.manage"
    SETTINGS_MANAGE = "settings.manage"


CAPABILITY_LABELS = {
    Cap.ADDRESS_VIEW: "查看标准地址",
    Cap.ADDRESS_EDIT: "维护标准地址",
    Cap.PERSON_LIST: "查看人员列表（脱敏）",
    Cap.PERSON_VIEW_FULL: "查看人员完整信息（须说明事由）",
    Cap.PERSON_UNMASK: "显示完整证件号和电话（须说明事由）",
    Cap.PERSON_SEARCH_ID: "按完整证件号查询（须说明事由）",
    Cap.PERSON_EDIT: "采集、修改人员信息",
    Cap.PERSON_EXPORT: "导出（须说明事由）",
    Cap.PERSON_DEDUPE: "核查重复人员、合并与撤销合并",
    Cap.DATA_IMPORT: "批量导入",
    Cap.CHANGE_FEED: "读取变更订阅（只含记录编号）",
    Cap.CAMPAIGN_MANAGE: "组织采集活动（建活动、分任务、抽取复核）",
    Cap.CAMPAIGN_COLLECT: "上门采集与实地复核",
    Cap.CAMPAIGN_REVIEW: "审核采集结果",
    Cap.STATS_VIEW: "查看统计",
    Cap.AUDIT_VIEW: "查看审计日志与预警",
    Cap.USERS_MANAGE: "管理账号和辖区分配",
    Cap.SETTINGS_MANAGE: "系统设置（事由清单、阈值）",
}

MATRIX: dict[str, frozenset[str]] = {
    Role.COLLECTOR: frozenset(
        {
            Cap.ADDRESS_VIEW,
            Cap.PERSON_LIST,
            Cap.PERSON_VIEW_FULL,
            Cap.PERSON_SEARCH_ID,
            Cap.PERSON_EDIT,
            Cap.CAMPAIGN_COLLECT,
        }
    ),
    Role.OFFICER: frozenset(
        {
            Cap.ADDRESS_VIEW,
            Cap.ADDRESS_EDIT,
            Cap.PERSON_LIST,
            Cap.PERSON_VIEW_FULL,
            Cap.PERSON_UNMASK,
            Cap.PERSON_SEARCH_ID,
            Cap.PERSON_EDIT,
            Cap.PERSON_DEDUPE,
            Cap.CAMPAIGN_COLLECT,
            Cap.CAMPAIGN_REVIEW,
            Cap.STATS_VIEW,
        }
    ),
    Role.STATION_ADMIN: frozenset(
        {
            Cap.ADDRESS_VIEW,
            Cap.ADDRESS_EDIT,
            Cap.PERSON_LIST,
            Cap.PERSON_VIEW_FULL,
            Cap.PERSON_UNMASK,
            Cap.PERSON_SEARCH_ID,
            Cap.PERSON_EDIT,
            Cap.PERSON_DEDUPE,
            Cap.PERSON_EXPORT,
            Cap.DATA_IMPORT,
            Cap.CAMPAIGN_MANAGE,
            Cap.CAMPAIGN_REVIEW,
            Cap.CHANGE_FEED,
            Cap.STATS_VIEW,
            Cap.USERS_MANAGE,
        }
    ),
    Role.SUPERVISOR: frozenset({Cap.ADDRESS_VIEW, Cap.PERSON_LIST, Cap.PERSON_VIEW_FULL, Cap.STATS_VIEW}),
    Role.AUDITOR: frozenset({Cap.AUDIT_VIEW}),
    Role.SYSADMIN: frozenset({Cap.ADDRESS_VIEW, Cap.USERS_MANAGE, Cap.SETTINGS_MANAGE}),
}

# Roles whose lists show identifiers unmasked without asking (none by default:
# unmasking is always a stated-purpose, audited act).
UNMASKED_BY_DEFAULT: frozenset[str] = frozenset()


def capabilities(role: str | None) -> frozenset[str]:
    return MATRIX.get(role or "", frozenset())
