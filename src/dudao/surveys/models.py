"""问卷调查: a survey run of a questionnaire over a scope (the city or a district) for a period, one anonymous link
per unit (school or district) and respondent group, and the responses.

A response is anonymous by construction: it keeps the link it came through (hence the unit and the respondent group),
when it arrived, and the answers the questionnaire asks — no user, no name, no IP address, no user agent
(tests/test_surveys.py asserts the fields). ``favourable``/``answered`` are the response's tally under the
questionnaire's rule (dudao.surveys.questionnaires.tally) at the time it was recorded, so results sum in SQL."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Survey(models.Model):
    questionnaire = models.CharField("问卷", max_length=64)
    period = models.ForeignKey("collection.Period", on_delete=models.PROTECT, related_name="+", verbose_name="期间")
    org = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name="范围")
    opens_at = models.DateTimeField("开始")
    closes_at = models.DateTimeField("截止")
    closed_at = models.DateTimeField("提前结束于", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name="发起人"
    )
    created_at = models.DateTimeField("发起时间", auto_now_add=True)

    class Meta:
        ordering = ["-period__code", "questionnaire", "org__code", "id"]
        verbose_name = verbose_name_plural = "问卷调查"
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")), name="survey_closes_after_opens")
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire} {self.period_id} {self.org_id}"

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.closed_at is None and self.opens_at <= now < self.closes_at


class Link(models.Model):
    """One unguessable token per unit and respondent group; whoever holds it may answer, anonymously."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="links")
    org = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name="单位")
    group = models.CharField("调查对象", max_length=32)
    target = models.PositiveIntegerField("样本量")
    token = models.CharField(max_length=64, unique=True)
    responses = models.PositiveIntegerField("答卷数", default=0)

    class Meta:
        ordering = ["org__code", "id"]
        verbose_name = verbose_name_plural = "问卷链接"
        constraints = [models.UniqueConstraint(fields=["survey", "org", "group"], name="survey_link_once")]

    def __str__(self) -> str:
        return f"{self.org_id}/{self.group}"


class Response(models.Model):
    link = models.ForeignKey(Link, on_delete=models.CASCADE, related_name="answer_sheets")
    submitted_at = models.DateTimeField("提交时间", default=timezone.now)
    answers = models.JSONField("答案")
    favourable = models.PositiveIntegerField("有利回答数")
    answered = models.PositiveIntegerField("计分题作答数")

    class Meta:
        ordering = ["id"]
        verbose_name = verbose_name_plural = "答卷"

    def __str__(self) -> str:
        return f"{self.link_id}#{self.pk}"
