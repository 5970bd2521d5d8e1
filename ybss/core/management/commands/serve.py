from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "启动网页与接口服务。非调试模式用 gunicorn；调试模式（DEBUG=1）用 Django 开发服务器。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1）")
        parser.add_argument("--port", type=int, default=8000, help="端口（默认 8000）")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn 工作进程数（默认 2）")

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], options["port"]
        if not 0 < port < 65536:
            raise CommandError(f"端口应在 1–65535 之间：{port}")
        if settings.DEBUG:
            call_command("runserver", f"{host}:{port}", use_reloader=False)
            return
        from gunicorn.app.base import BaseApplication

        from ybss.wsgi import application

        class Server(BaseApplication):
            def load_config(self) -> None:
                self.cfg.set("bind", f"{host}:{port}" if ":" not in host else f"[{host}]:{port}")
                self.cfg.set("workers", max(1, options["workers"]))
                self.cfg.set("threads", 4)
                self.cfg.set("accesslog", "-")
                # The default access log line includes the query string, which
                # may hold a searched name; log the path only.
                self.cfg.set("access_log_format", '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss')

            def load(self) -> Any:
                return application

        self.stdout.write(f"ybss 服务已启动：http://{host}:{port}/")
        Server().run()
