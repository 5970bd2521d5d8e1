from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "ybss.access"
    verbose_name = "权限与辖区"
