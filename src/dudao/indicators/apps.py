from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "dudao.indicators"
    verbose_name = "指标"
