from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ybss.core"
    verbose_name = "基础"
