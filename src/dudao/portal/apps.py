from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "dudao.portal"
    verbose_name = "信息公开"
