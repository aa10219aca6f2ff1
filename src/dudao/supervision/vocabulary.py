"""The words of 督学 (supervision) that are not tables: an inspector's kind, a finding's source, severity and status.

Kept apart from :mod:`.models` so that other apps (visits, 督政, evaluations that raise findings later) name a source
kind or a status without importing this app's models, which are private to it."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class InspectorKind(models.TextChoices):
    FULL_TIME = "full_time", _("专职督学")
    RESPONSIBLE = "responsible", _("兼职责任督学")
    SPECIAL = "special", _("特约教育督导员")
    PEOPLES = "peoples", _("人民教育督察员")


class SourceKind(models.TextChoices):
    """Where a finding came from; ``Finding.source_ref`` names the record (a visit id, a 督政 rectification …)."""

    VISIT = "visit", _("督学访校")
    THEMATIC = "thematic", _("专项督导")
    DUZHENG = "duzheng", _("督政")
    EVALUATION = "evaluation", _("督导评价")
    OTHER = "other", _("其他")


class Severity(models.TextChoices):
    LOW = "low", _("一般")
    MEDIUM = "medium", _("较重")
    HIGH = "high", _("严重")


class FindingState(models.TextChoices):
    OPEN = "open", _("待整改")
    RECTIFYING = "rectifying", _("整改已提交")
    RETURNED = "returned", _("复查未通过")
    CLOSED = "closed", _("复查通过（销号）")


# states in which the owner still owes a rectification (what the inbox lists and what escalation looks at)
OWED = (FindingState.OPEN, FindingState.RETURNED)
