from django.apps import AppConfig


class CompilingConfig(AppConfig):
    name = "dudao.compiling"
    verbose_name = "报告编撰"

    def ready(self) -> None:
        """Offer the approved compiled chapters to the report builder (which sits below and cannot import us)."""
        from dudao.reports import contributions

        from .contributions import provider

        contributions.register("compiler", provider)

        from dudao.portal import publishing

        from . import workreport

        publishing.register_builder(workreport.PREFIX, workreport.build_for_publication)
