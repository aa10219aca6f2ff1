from django.apps import AppConfig


def queue_refresh(sender, *, org_id: int, period_id: int, **kwargs) -> None:
    """Receiver of ``collection.signals.counted_data_changed`` (sent after the commit): queue the live refresh."""
    from .tasks import refresh_indicators

    refresh_indicators.enqueue(org_id, period_id)


class IndicatorsConfig(AppConfig):
    name = "dudao.indicators"
    verbose_name = "指标"

    def ready(self) -> None:
        # collection sits below indicators and cannot call the engine; it announces, the engine listens
        from dudao.collection.signals import counted_data_changed

        counted_data_changed.connect(queue_refresh, dispatch_uid="indicators.queue_refresh")
