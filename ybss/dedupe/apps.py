from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DedupeConfig(AppConfig):
    name = "ybss.dedupe"
    label = "dedupe"
    verbose_name = _("重复核查")
    default_auto_field = "django.db.models.BigAutoField"
