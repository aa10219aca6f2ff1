from django.apps import AppConfig


class StatisticsConfig(AppConfig):
    name = "dudao.statistics"
    label = "statistics"
    verbose_name = "公开统计数据"
