from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "dudao.ops"
    verbose_name = "运维"
