from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "dudao.reports"
    verbose_name = "报告"

    def ready(self) -> None:
        from . import builder, references

        references.register_fact("collection_coverage", "数据采集覆盖情况（一句话）", builder.collection_coverage)
