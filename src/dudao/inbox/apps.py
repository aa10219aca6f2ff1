from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "dudao.inbox"
    verbose_name = "我的待办"
