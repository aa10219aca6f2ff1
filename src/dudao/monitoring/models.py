"""质量监测 campaigns: the national compulsory-education quality monitoring and the 中职 programme monitoring.

A campaign keeps its ``seed`` and the population rule it drew with, so anyone can replay the sample; each sampled
school walks a small checklist (名单上报, 准备就绪), each step recording who confirmed it and when."""

from django.conf import settings
from django.db import models

from .vocabulary import Kind, State


class Campaign(models.Model):
    kind = models.CharField(max_length=16, choices=Kind.choices)
    year = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=100)
    subjects = models.JSONField(default=list)  # national: the year's 学科领域 (catalog rotation)
    programmes = models.JSONField(default=list)  # vocational: the chosen programme codes
    quota = models.PositiveSmallIntegerField(default=0)  # vocational: schools per programme (0: national strata)
    districts = models.ManyToManyField("orgs.OrgUnit", related_name="+")  # national: the 样本县 the centre named
    seed = models.CharField(max_length=40)
    test_day = models.DateField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    drawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-year", "-id"]
        verbose_name = verbose_name_plural = "质量监测"

    def __str__(self) -> str:
        return self.title


class ScheduleEntry(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="schedule")
    code = models.CharField(max_length=16)
    name = models.CharField(max_length=64)
    due = models.DateField()
    version = models.PositiveIntegerField(default=0)  # a date moved twice at once: the second is refused (409)
    moved_reason = models.CharField(max_length=200, blank=True)  # why the last move (shown next to the date)

    class Meta:
        ordering = ["due", "id"]
        unique_together = [("campaign", "code")]


class SampledSchool(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="sampled")
    school = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    stratum = models.CharField(max_length=16)  # national: primary / junior; vocational: the programme code
    stratum_name = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=State.choices, default=State.DRAWN)
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["district__code", "school__code", "stratum"]
        unique_together = [("campaign", "school", "stratum")]


class Confirmation(models.Model):
    """One checklist step a sampled school confirmed: who and when."""

    sampled = models.ForeignKey(SampledSchool, on_delete=models.CASCADE, related_name="confirmations")
    step = models.CharField(max_length=16)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]
        unique_together = [("sampled", "step")]
