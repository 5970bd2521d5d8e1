from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "ybss.campaigns"
    label = "campaigns"
    verbose_name = _("集中采集")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ybss.access import crypto

        crypto.register("campaigns.Visit", "payload")
