from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "ybss.people"
    verbose_name = "实有人口"

    def ready(self) -> None:
        from ybss.access import crypto

        crypto.register("people.Person", "id_number")
        crypto.register("people.Person", "phone")
        from . import views  # noqa: F401 - registers the residents section of address pages
