"""The ``ybss`` command line: one subcommand per job, no manage.py needed.

``ybss load-divisions --county 130731`` runs the Django management command
``load_divisions``; hyphens and underscores are the same. ``ybss --help``
lists the commands people use; ``ybss django-help`` lists everything Django
has, for administrators who need it.
"""

from __future__ import annotations

import os
import sys

COMMANDS = {
    "serve": "启动网页与接口服务（非调试模式下使用 gunicorn）",
    "migrate": "创建或升级数据库表",
    "load-divisions": "载入行政区划代码（--all / --province 13 / --county 130731）",
    "demo": "生成涿鹿县演示数据和演示账号（--seed、--scale）",
    "address": "标准地址维护：新建街路巷、门牌、楼栋，按规则生成户室，更名、合并",
    "import": "批量导入人口、地址、房屋、单位表格（先检查后导入；template 下载模板）",
    "link": "记录关联：重复的人员、单位、地址（link persons|units|addresses INPUT --out CLUSTERS.csv）",
    "dedupe": "重复核查：扫描疑似重复人员，放入核查队列（dedupe persons [--jurisdiction X] [--full]）",
    "stats": "统计：stats refresh 重新计算统计数（建议定时运行）",
    "createsuperuser": "创建系统管理员账号",
    "changepassword": "修改账号密码",
    "check": "检查配置",
    "collectstatic": "收集静态文件到 STATIC_ROOT（可选，服务本身能直接提供）",
    "shell": "Python 交互环境（维护用）",
}


def _usage() -> str:
    width = max(len(n) for n in COMMANDS)
    lines = ["用法：ybss <命令> [选项]", "", "命令："]
    lines += [f"  {name.ljust(width)}  {text}" for name, text in COMMANDS.items()]
    lines += ["", "每个命令的选项：ybss <命令> --help", "全部 Django 管理命令：ybss django-help"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(_usage())
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ybss.settings")
    from django.core.management import execute_from_command_line

    command = args[0]
    if command == "django-help":
        execute_from_command_line(["ybss", "help"])
        return
    execute_from_command_line(["ybss", command.replace("-", "_"), *args[1:]])


if __name__ == "__main__":
    main()
