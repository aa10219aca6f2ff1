from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "dudao.review"
    verbose_name = "审核"
