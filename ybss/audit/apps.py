from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AuditConfig(AppConfig):
    name = "ybss.audit"
    verbose_name = "审计"

    def ready(self) -> None:
        from . import signals  # noqa: F401 - connects the login signal handlers

        post_migrate.connect(_after_migrate, sender=self)


def _after_migrate(using: str = "default", **kwargs: Any) -> None:
    """SQLite: the trigger that finishes each event's write, if a table rebuild dropped it."""
    from django.db import connections

    from . import sqlite

    sqlite.install(connections[using])
