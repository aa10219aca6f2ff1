"""Work plans (工作要点): the plan, its sections, numbered tasks with quantitative targets, who is responsible,
what they report, and the supervisor's reminders (督办). Every table keeps its history (who changed what, when)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .vocabulary import Status


class Plan(models.Model):
    year = models.PositiveSmallIntegerField(_("年度"))
    title = models.CharField(_("标题"), max_length=200)
    doc_number = models.CharField(_("文号"), max_length=64, blank=True)
    issuer = models.CharField(_("发文单位"), max_length=64, blank=True)
    date = models.DateField(_("发文日期"), null=True, blank=True)
    source_name = models.CharField(max_length=200, blank=True)
    parsed = models.JSONField(default=dict)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-year", "-imported_at"]

    def __str__(self) -> str:
        return self.title


class Section(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="sections")
    no = models.PositiveSmallIntegerField()
    subsection = models.PositiveSmallIntegerField(null=True, blank=True)
    title = models.CharField(max_length=300)

    class Meta:
        ordering = ["no", "subsection"]
        unique_together = [("plan", "no", "subsection")]


class Task(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="tasks")
    no = models.PositiveSmallIntegerField()
    section_no = models.PositiveSmallIntegerField()
    subsection_no = models.PositiveSmallIntegerField(null=True, blank=True)
    title = models.CharField(max_length=500)
    body = models.TextField(max_length=100000)
    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "no"]
        unique_together = [("plan", "no")]

    def __str__(self) -> str:
        return f"{self.no}. {self.title}"


class Target(models.Model):
    class Comparator(models.TextChoices):
        AT_LEAST = "at_least", _("不少于")
        EXACTLY = "exactly", _("等于")
        AT_MOST = "at_most", _("不超过")

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="targets")
    value = models.FloatField()
    unit = models.CharField(max_length=16)
    comparator = models.CharField(max_length=16, choices=Comparator.choices)
    text = models.CharField(max_length=500)

    def met_by(self, actual: float | None) -> bool | None:
        if actual is None:
            return None
        if self.comparator == self.Comparator.AT_MOST:
            return actual <= self.value
        return actual >= self.value  # "exactly" counts as met once reached: 新建30所 → 31 is done too


class Assignment(models.Model):
    class Role(models.TextChoices):
        LEAD = "lead", _("牵头")
        CO = "co", _("配合")

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="assignments")
    org = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="plan_assignments")
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.LEAD)
    deadline = models.DateField(_("完成时限"))
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # counts every progress report (Assignment) or answer (Reminder): a form read before someone else's is refused
    # instead of silently replacing it (dudao.concurrency)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        unique_together = [("task", "org")]
        ordering = ["task__no", "role"]


class ProgressReport(models.Model):
    """A unit's monthly or quarterly report on one task (进展报告)."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="reports")
    period = models.CharField(_("报告期"), max_length=16)  # "2020-06" (monthly) or "2020Q2" (quarterly)
    status = models.CharField(max_length=16, choices=Status.choices)
    narrative = models.TextField(_("进展情况"), max_length=20000)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-reported_at", "-id"]


class TargetActual(models.Model):
    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="actuals")
    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="actuals")
    value = models.FloatField()


class Reminder(models.Model):
    """督办: a supervisor's reminder that the unit must answer."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="reminders")
    text = models.TextField(max_length=2000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    answer = models.TextField(blank=True, max_length=2000)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    # counts every progress report (Assignment) or answer (Reminder): a form read before someone else's is refused
    # instead of silently replacing it (dudao.concurrency)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]


class TaskLink(models.Model):
    """Tasks of two plans that continue each other (e.g. the same theme in 2020 and 2024)."""

    earlier = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="links_forward")
    later = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="links_back")
    score = models.FloatField()

    class Meta:
        unique_together = [("earlier", "later")]
        ordering = ["-score"]


class Account(models.Model):
    """A responsible office's year-end account (年终交账) of one task: what it achieved, in prose, with the task's
    target figures and its actuals inserted by reference (``{{目标1}}``, ``{{实际1}}``; ``plans.accounts.resolve``),
    reviewed by the office's head before it may enter the 工作年报."""

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("待审核")
        APPROVED = "approved", _("已通过")
        RETURNED = "returned", _("已退回")

    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="account")
    text = models.TextField(_("交账内容"), max_length=20000)
    # {target pk (as text): the actual figure}: the figures the text's {{实际N}} tokens print
    actuals = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT)
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True, max_length=2000)
    # every save and step counts: a form read before someone else's save or step is refused (dudao.concurrency)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        ordering = ["assignment__task__no", "assignment__role", "assignment__org__code"]
