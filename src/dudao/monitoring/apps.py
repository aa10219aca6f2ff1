from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "dudao.monitoring"
    verbose_name = "质量监测"
