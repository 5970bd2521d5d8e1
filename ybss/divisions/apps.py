from django.apps import AppConfig


class DivisionsConfig(AppConfig):
    name = "ybss.divisions"
    verbose_name = "行政区划"
