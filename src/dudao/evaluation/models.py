"""What evaluations record beyond collected data: universities' chosen weights, 督政 scores, 学前 on-site checks and
责任督学 thematic visits. What those find (整改) lives in the follow-up ledger, ``dudao.supervision``. Every table
keeps history — these are the records an inspector is later asked to justify."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class WeightChoice(models.Model):
    """高校自选权重: a university's weight for one indicator of its class, within the allowed range."""

    org = models.ForeignKey("orgs.OrgUnit", on_delete=models.CASCADE, related_name="weight_choices")
    period = models.ForeignKey("collection.Period", on_delete=models.CASCADE)
    indicator = models.SlugField(max_length=64)
    weight = models.DecimalField(max_digits=6, decimal_places=2)
    # counts every save: a form read before someone else's save is refused instead of overwriting it
    version = models.PositiveIntegerField(default=1)
    chosen_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    chosen_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        unique_together = [("org", "period", "indicator")]
        verbose_name = _("高校自选权重")
        verbose_name_plural = _("高校自选权重")


class DutyScore(models.Model):
    """One source's score (自评 / 问卷 / 实地督查) for one item of the 督政 framework, for one district and period."""

    period = models.ForeignKey("collection.Period", on_delete=models.CASCADE)
    district = models.ForeignKey("orgs.OrgUnit", on_delete=models.CASCADE, related_name="duty_scores")
    item = models.SlugField(max_length=32)
    source = models.SlugField(max_length=32)
    score = models.DecimalField(max_digits=6, decimal_places=2)
    # counts every save: a form read before someone else's save is refused instead of overwriting it
    version = models.PositiveIntegerField(default=1)
    note = models.TextField(blank=True, max_length=2000)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    entered_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        unique_together = [("period", "district", "item", "source")]
        verbose_name = _("督政评分")
        verbose_name_plural = _("督政评分")


class PreschoolCheck(models.Model):
    """学前普及普惠 实地核查: what an inspector found on site in one district for one period (answers: item code →
    true/false, the scheme's ``onsite`` items). One per district and period; a later check replaces it."""

    period = models.ForeignKey("collection.Period", on_delete=models.CASCADE)
    district = models.ForeignKey("orgs.OrgUnit", on_delete=models.CASCADE, related_name="preschool_checks")
    checked_on = models.DateField()
    answers = models.JSONField(default=dict)
    note = models.TextField(blank=True, max_length=2000)
    # counts every save: a form read before someone else's save is refused instead of overwriting it
    version = models.PositiveIntegerField(default=1)
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    history = HistoricalRecords()

    class Meta:
        unique_together = [("period", "district")]
        verbose_name = _("学前普及普惠实地核查")
        verbose_name_plural = _("学前普及普惠实地核查")


class Visit(models.Model):
    """责任督学 school visit with one theme's checklist (answers: item code → true/false or a number)."""

    theme = models.SlugField(max_length=32)
    school = models.ForeignKey("orgs.OrgUnit", on_delete=models.CASCADE, related_name="visits")
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    visited_on = models.DateField()
    answers = models.JSONField(default=dict)
    note = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-visited_on", "-pk"]
        verbose_name = _("督导访校记录")
        verbose_name_plural = _("督导访校记录")


class DevelopmentalEvaluation(models.Model):
    """发展性督导评价 of one school for one period: the school's 自评 (per indicator a rating and a narrative, signed by
    the principal on submission) and the 督学评议 (per indicator a rating and a comment), with the area scores and the
    overall rating the scheme computes when the review is finalised. ``version`` counts every save: a form read
    before someone else's save is refused (409) instead of overwriting it."""

    class Stage(models.TextChoices):
        DRAFT = "draft", _("自评填写中")
        SUBMITTED = "submitted", _("自评已提交，待督学评议")
        REVIEWED = "reviewed", _("督学评议完成")

    school = models.ForeignKey("orgs.OrgUnit", on_delete=models.CASCADE, related_name="developmental_evaluations")
    period = models.ForeignKey("collection.Period", on_delete=models.CASCADE)
    kind = models.SlugField(max_length=32)
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.DRAFT)
    self_entries = models.JSONField(default=dict)  # indicator code → {"rating": level code, "narrative": text}
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_sha256 = models.CharField(max_length=64, blank=True)  # of the self-evaluation as the principal signed it
    review_entries = models.JSONField(default=dict)  # indicator code → {"rating": level code, "comment": text}
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    area_scores = models.JSONField(default=dict)  # area code → score, computed on finalising
    overall_score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    overall = models.SlugField(max_length=16, blank=True)  # level code, computed by the kind's rule
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        unique_together = [("school", "period")]
        ordering = ["school__path", "pk"]
        verbose_name = _("发展性督导评价")
        verbose_name_plural = _("发展性督导评价")


class DevelopmentalEvidence(models.Model):
    """A file a school (自评) or a reviewer (督学评议) attached to one indicator; kept, never replaced."""

    evaluation = models.ForeignKey(DevelopmentalEvaluation, on_delete=models.CASCADE, related_name="evidence")
    stage = models.SlugField(max_length=16)  # "self" | "review"
    indicator = models.SlugField(max_length=32)
    file = models.FileField(upload_to="evaluation/developmental/%Y/", max_length=255)
    name = models.CharField(max_length=255)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["indicator", "pk"]


class DutyPart(models.Model):
    """One 市政府部门's part of the city's annual 履行教育职责 self-evaluation (省级自评): its answers to the items the
    scheme assigns it, submitted by the department and approved (or sent back) by the city's 督导室. Only approved
    parts go into the compiled 自评报告. ``version`` counts every save: a form read before someone else's save is
    refused instead of overwriting it."""

    class Stage(models.TextChoices):
        DRAFT = "draft", _("填写中")
        SUBMITTED = "submitted", _("已提交，待督导室审核")
        RETURNED = "returned", _("已退回修改")
        APPROVED = "approved", _("已审核通过")

    period = models.ForeignKey("collection.Period", on_delete=models.CASCADE)
    department = models.ForeignKey("orgs.OrgUnit", on_delete=models.CASCADE, related_name="duty_parts")
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.DRAFT)
    entries = models.JSONField(default=dict)  # item code → {"value": text, "narrative": text, "links": text}
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True, max_length=2000)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        unique_together = [("period", "department")]
        ordering = ["department__code"]
        verbose_name = _("履职自评部门填报")
        verbose_name_plural = _("履职自评部门填报")


class DutyMaterial(models.Model):
    """A supporting file a department attached to one item of its part; kept, never replaced."""

    part = models.ForeignKey(DutyPart, on_delete=models.CASCADE, related_name="materials")
    item = models.SlugField(max_length=32)
    file = models.FileField(upload_to="evaluation/duty/%Y/", max_length=255)
    name = models.CharField(max_length=255)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item", "pk"]


class SelfEvaluation(models.Model):
    """A district's annual self-evaluation report (督导评估自评报告) for one scheme and period: the narrative sections
    the scheme's YAML lists (``self_evaluation:``), written by the district's 区审核员. Submitting locks it; the city
    may return it with a reason, which makes it editable again. The figures and the verdict are never stored here:
    the report prints them from the engine next to this text. ``version`` counts every save: a form read before
    someone else's save is refused (409) instead of overwriting it."""

    class Stage(models.TextChoices):
        DRAFT = "draft", _("填写中")
        SUBMITTED = "submitted", _("已提交")
        RETURNED = "returned", _("已退回修改")

    scheme = models.SlugField(max_length=32)
    period = models.ForeignKey("collection.Period", on_delete=models.CASCADE)
    district = models.ForeignKey("orgs.OrgUnit", on_delete=models.CASCADE, related_name="self_evaluations")
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.DRAFT)
    sections = models.JSONField(default=dict)  # section code → text
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    saved_at = models.DateTimeField(auto_now=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    returned_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.TextField(blank=True, max_length=2000)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        unique_together = [("scheme", "period", "district")]
        ordering = ["district__code"]
        verbose_name = _("区县督导评估自评报告")
        verbose_name_plural = _("区县督导评估自评报告")
