from django.apps import AppConfig


class AddressesConfig(AppConfig):
    name = "ybss.addresses"
    verbose_name = "标准地址"
