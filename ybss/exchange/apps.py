from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "ybss.exchange"
    label = "exchange"
    verbose_name = _("导入导出")
    default_auto_field = "django.db.models.BigAutoField"
