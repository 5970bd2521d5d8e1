from django.apps import AppConfig


class UnitsConfig(AppConfig):
    name = "ybss.units"
    verbose_name = "实有单位"

    def ready(self) -> None:
        from ybss.access import crypto

        crypto.register("units.Unit", "contact_phone")
        from . import panels  # noqa: F401 - adds the units section to address pages
