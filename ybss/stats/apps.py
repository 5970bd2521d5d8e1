from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "ybss.stats"
    label = "stats"
    verbose_name = "统计"
    default_auto_field = "django.db.models.BigAutoField"
