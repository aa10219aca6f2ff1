"""Compiled chapters (编撰章节): the text of a city (or district) report written by people, with the figures in it
carried as tokens (:mod:`dudao.reports.references`) and the cases picked from the schools' and districts' reviewed
案例. A chapter is reviewed as a whole: draft → submitted → approved (or returned and edited again); only approved
chapters reach a report (:mod:`.contributions`).
"""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from .vocabulary import ChapterStatus


class Chapter(models.Model):
    """One key of the outline ("2.3", "7") of one report (org × period). ``version`` counts every change, so a save
    made from a page that was read before someone else's change is refused instead of overwriting it."""

    Status = ChapterStatus

    org = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    period = models.ForeignKey("collection.Period", on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=16)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    return_reason = models.TextField(blank=True, max_length=2000)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["org__path", "period__start", "key"]
        constraints = [models.UniqueConstraint(fields=["org", "period", "key"], name="one_chapter_per_key")]

    def __str__(self) -> str:
        return f"{self.org.name} {self.period.code} {self.key}"


class Part(models.Model):
    """A piece of a chapter: untitled parts go into the section the key names; a titled part becomes a subsection
    (chapters whose subsections the writers title, such as 特色创新)."""

    chapter = models.ForeignKey(Chapter, on_delete=models.CASCADE, related_name="parts")
    order = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=200, blank=True)
    text = models.TextField(blank=True, max_length=20000)
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]


class CasePick(models.Model):
    """A school's or district's 案例 chosen for a part, copied so the compiler can edit it (the source stays as the
    school wrote it). ``report_org``/``report_period`` repeat the chapter's, so the database itself refuses the same
    case twice in one report — "never repeat a case" holds across chapters and across concurrent compilers."""

    part = models.ForeignKey(Part, on_delete=models.CASCADE, related_name="cases")
    report_org = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    report_period = models.ForeignKey("collection.Period", on_delete=models.PROTECT, related_name="+")
    order = models.PositiveIntegerField(default=0)
    source_org = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    source_key = models.CharField(max_length=32)  # the source's case slot, e.g. "case_1"
    title = models.CharField(max_length=200)
    body = models.TextField(max_length=20000)
    credit = models.CharField(max_length=200)  # the school or district printed with the case
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["report_org", "report_period", "source_org", "source_key"], name="one_pick_per_case"
            )
        ]
