from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "dudao.portal"
    verbose_name = "信息公开"

    def ready(self) -> None:
        from dudao.reports import references

        from . import selectors

        references.register_fact("schools_published", "已公开年报的学校数", selectors.schools_published_text)
        references.register_fact("districts_published", "已公开年报的区数", selectors.districts_published_text)
        references.register_fact("publication_deadline", "学校和区年报最晚公开日期", selectors.last_publication_text)
