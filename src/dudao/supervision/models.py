"""督学 (school supervision): the inspector registry, 挂牌 assignments with their history, the messages the public
leaves for a school's inspector, and the follow-up ledger — finding → rectification → re-check → escalation → 问责.

A finding's source is generic (a kind and a free reference) so that visits, thematic inspections, 督政 and
developmental evaluations can all raise findings into the same ledger."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .vocabulary import FindingState, InspectorKind, Severity, SourceKind

# 督学 are trained every year: a training older than this no longer counts toward qualification
TRAINING_VALID = timedelta(days=366)


class Inspector(models.Model):
    """A person in the registry. ``user`` is optional: a 人民教育督察员 may never sign in, yet is listed."""

    Kind = InspectorKind

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="inspector"
    )
    name = models.CharField("姓名", max_length=50)
    kind = models.CharField("类别", max_length=16, choices=Kind.choices, default=Kind.RESPONSIBLE)
    district = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name="所属区")
    phone = models.CharField("电话", max_length=30, blank=True)
    email = models.EmailField("邮箱", blank=True)
    trained_on = models.DateField("最近培训日期", null=True, blank=True)
    certified_on = models.DateField("持证日期", null=True, blank=True)
    certificate_expires = models.DateField("证书有效期至", null=True, blank=True)
    active = models.BooleanField("在册", default=True)

    class Meta:
        ordering = ["district__code", "name", "id"]
        verbose_name = verbose_name_plural = "督学"
        constraints = [
            models.CheckConstraint(
                condition=Q(certificate_expires__isnull=True)
                | Q(certified_on__isnull=True)
                | Q(certificate_expires__gte=models.F("certified_on")),
                name="inspector_certificate_expires_after_issue",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def qualified(self, on: date) -> bool:
        """In the registry, certified and not expired on ``on``, and trained within the last year."""
        return bool(
            self.active
            and self.certified_on
            and self.certificate_expires
            and self.trained_on
            and self.certified_on <= on <= self.certificate_expires
            and self.trained_on <= on < self.trained_on + TRAINING_VALID
        )


class Assignment(models.Model):
    """挂牌督导: ``inspector`` is the school's 责任督学 from ``started_on``; ``ended_on`` closes it. At most one open
    assignment per school — a partial unique index, so not even two concurrent requests can make two."""

    inspector = models.ForeignKey(Inspector, on_delete=models.PROTECT, related_name="assignments")
    school = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["school__code", "-started_on", "-id"]
        verbose_name = verbose_name_plural = "挂牌督导"
        constraints = [
            models.UniqueConstraint(
                fields=["school"], condition=Q(ended_on__isnull=True), name="one_current_inspector_per_school"
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="assignment_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.school} · {self.inspector}"


class ContactMessage(models.Model):
    """A message left on the public school page for its 责任督学 (no sign-in; throttled by address)."""

    school = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    inspector = models.ForeignKey(Inspector, on_delete=models.PROTECT, related_name="messages")
    name = models.CharField(max_length=50, blank=True)
    contact = models.CharField(max_length=100, blank=True)
    text = models.TextField(max_length=1000)  # services.MESSAGE_MAX
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "留言"


class Finding(models.Model):
    """One item of the follow-up ledger (整改台账). ``version`` counts every transition: a step taken from a page read
    before someone else's step is refused (409) instead of overwriting it."""

    State = FindingState

    owner = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    source_kind = models.CharField(max_length=16, choices=SourceKind.choices, default=SourceKind.VISIT)
    source_ref = models.CharField(max_length=100, blank=True)
    theme = models.CharField(max_length=100)
    text = models.TextField(max_length=2000)  # services.TEXT_MAX
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.MEDIUM)
    deadline = models.DateField()
    status = models.CharField(max_length=16, choices=State.choices, default=State.OPEN, db_index=True)
    version = models.PositiveIntegerField(default=1)
    inspector = models.ForeignKey(Inspector, null=True, blank=True, on_delete=models.PROTECT, related_name="findings")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = verbose_name_plural = "督导问题"

    def __str__(self) -> str:
        return f"{self.owner} · {self.theme}"


class Step(models.Model):
    """One event of a finding's life, kept forever: raised, rectification submitted (text + evidence), re-check
    accepted or returned (with the reason), escalated. The owner's rectifications are these rows, round by round."""

    class Action(models.TextChoices):
        RAISE = "raise", _("提出")
        SUBMIT = "submit", _("提交整改")
        ACCEPT = "accept", _("复查通过")
        RETURN = "return", _("复查未通过")
        ESCALATE = "escalate", _("逾期升级")

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(max_length=16, choices=Action.choices)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    text = models.TextField(blank=True, max_length=2000)
    evidence = models.FileField(upload_to="supervision/evidence/%Y/", max_length=255, blank=True)

    class Meta:
        ordering = ["at", "id"]


class Accountability(models.Model):
    """问责: a measure taken over an escalated finding, filed by the district or the city."""

    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="accountabilities")
    measure = models.CharField(max_length=50)
    target = models.CharField(max_length=100)
    text = models.TextField(blank=True, max_length=2000)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["filed_at", "id"]
        verbose_name = verbose_name_plural = "问责"


class VisitPlan(models.Model):
    """How many times ``inspector`` is to visit ``school`` in ``term`` (``"2021-1"``: the first term of the school
    year 2021–22, September to January; ``"2021-2"``: February to August of 2022). Set by the district or city."""

    inspector = models.ForeignKey(Inspector, on_delete=models.PROTECT, related_name="plans")
    school = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    term = models.CharField(max_length=7)
    visits_required = models.PositiveSmallIntegerField(default=2)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["term", "inspector", "school__code"]
        verbose_name = verbose_name_plural = "访校计划"
        constraints = [
            models.UniqueConstraint(fields=["inspector", "school", "term"], name="one_visit_plan_per_school_term")
        ]


class Visit(models.Model):
    """A school visit recorded on site, usually from a phone and possibly offline: ``client_uuid`` is made by the
    phone when the form is saved, so the same visit synced twice is one row (a unique index, not a check)."""

    class Kind(models.TextChoices):
        ROUTINE = "routine", _("日常督导")
        THEMATIC = "thematic", _("专项督导")

    client_uuid = models.UUIDField(unique=True)
    school = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    inspector = models.ForeignKey(Inspector, null=True, blank=True, on_delete=models.PROTECT, related_name="visits")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    visited_on = models.DateField()
    started_at = models.TimeField(null=True, blank=True)
    ended_at = models.TimeField(null=True, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    accuracy = models.FloatField(null=True, blank=True)  # metres, as the phone reports it
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.ROUTINE)
    theme = models.CharField(max_length=32, blank=True)
    answers = models.JSONField(default=dict)
    notes = models.TextField(blank=True, max_length=2000)
    # 特约教育督导员 and 人民教育督察员 who joined the visit (they join visits; they are never assigned a school)
    companions = models.ManyToManyField(Inspector, blank=True, related_name="joined_visits")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-visited_on", "-id"]
        verbose_name = verbose_name_plural = "访校记录"

    def __str__(self) -> str:
        return f"{self.school} · {self.visited_on}"


class VisitPhoto(models.Model):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to="supervision/visits/%Y/", max_length=255)
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]


class ThematicSampling(models.Model):
    """A random draw of schools for a thematic inspection, kept so anyone can replay it: the same population (the
    schools under ``under`` ordered by code, ``population`` of them) and ``seed`` give the same ``schools``."""

    year = models.PositiveSmallIntegerField()
    theme = models.CharField(max_length=32)
    under = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    n = models.PositiveSmallIntegerField()
    seed = models.CharField(max_length=40)
    population = models.PositiveIntegerField()
    schools = models.JSONField(default=list)  # the chosen school codes, in code order
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    drawn_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-drawn_at", "-id"]
        verbose_name = verbose_name_plural = "专项督导抽样"


class PublishedSummary(models.Model):
    """督学工作概况: the city's board frozen and published for the public portal — counts only (by district, by theme,
    by status, escalated), never a finding's text or a school's name, which the ledger keeps to the people involved."""

    title = models.CharField(max_length=100)
    counts = models.JSONField()  # selectors.board of the whole city at publication, labels included
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = verbose_name_plural = _("督学工作概况")
