from django.apps import AppConfig


class TestAppConfig(AppConfig):
    """A stand-in for the person registry, to prove the access layer before it exists."""

    name = "tests.testapp"
    label = "testapp"

    def ready(self) -> None:
        from ybss.access import crypto

        crypto.register("testapp.Resident", "id_number")
        crypto.register("testapp.Resident", "phone")
