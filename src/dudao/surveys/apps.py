from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "dudao.surveys"
    verbose_name = "问卷调查"
