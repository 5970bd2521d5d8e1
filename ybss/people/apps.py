from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PeopleConfig(AppConfig):
    name = "ybss.people"
    verbose_name = "实有人口"

    def ready(self) -> None:
        from ybss.access import crypto

        crypto.register("people.Person", "id_number")
        crypto.register("people.Person", "phone")
        from . import views  # noqa: F401 - registers the residents section of address pages

        post_migrate.connect(_after_migrate, sender=self)


def _after_migrate(using: str = "default", **kwargs: Any) -> None:
    """SQLite: triggers a table rebuild dropped are created again, and the planner's
    statistics (which a rebuild also discards) refreshed where they are stale."""
    from django.db import connections

    from . import name_chars

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    name_chars.install(connection)
    with connection.cursor() as cur:
        cur.execute("PRAGMA optimize")
