from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "dudao.orgs"
    verbose_name = "组织机构"
