"""Computed indicator values (指标结果), one row per indicator × org unit × period.

Written only by :func:`dudao.indicators.engine.rebuild` (everything) and :func:`~dudao.indicators.engine.refresh`
(one period, the units above a changed one). ``numerator``/``denominator`` keep the sums behind each
value so that any subset of schools (a dashboard filter by 学校类型 or 隶属) can be re-aggregated exactly as a ratio
of sums from the school rows, without running the engine again.
"""

from django.db import models


class IndicatorValue(models.Model):
    indicator = models.CharField(max_length=64)
    org = models.ForeignKey("orgs.OrgUnit", on_delete=models.CASCADE, related_name="indicator_values")
    period = models.ForeignKey("collection.Period", on_delete=models.CASCADE, related_name="indicator_values")
    value = models.FloatField(null=True)
    numerator = models.FloatField(null=True)
    denominator = models.FloatField(null=True)
    schools = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["indicator", "org", "period"], name="one_indicator_value")]
        indexes = [models.Index(fields=["org", "period"]), models.Index(fields=["indicator", "period"])]


class Rebuild(models.Model):
    """When the analytics were last rebuilt and how long it took (shown on the dashboard)."""

    finished_at = models.DateTimeField(auto_now_add=True)
    seconds = models.FloatField()
    values = models.PositiveIntegerField()
    rows = models.PositiveIntegerField()

    class Meta:
        ordering = ["-finished_at"]


class Refresh(models.Model):
    """One live refresh (:func:`dudao.indicators.engine.refresh`): the units on the line from a changed unit to the
    root, for one period, recomputed after a submission was accepted, reopened or changed. With :class:`Rebuild` it
    dates the figures ("数据截至")."""

    finished_at = models.DateTimeField(auto_now_add=True)
    org = models.ForeignKey("orgs.OrgUnit", on_delete=models.CASCADE, related_name="+")
    period = models.ForeignKey("collection.Period", on_delete=models.CASCADE, related_name="+")
    seconds = models.FloatField()
    values = models.PositiveIntegerField()
    rows = models.PositiveIntegerField()

    class Meta:
        ordering = ["-finished_at"]
        indexes = [models.Index(fields=["period", "finished_at"])]
