from django.apps import AppConfig


class HousesConfig(AppConfig):
    name = "ybss.houses"
    verbose_name = "实有房屋"

    def ready(self) -> None:
        from . import panels  # noqa: F401 - adds the house section to address pages
