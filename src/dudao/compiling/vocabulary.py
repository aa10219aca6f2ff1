"""The words of the compiling workspace that are not tables: a compiled chapter's review status."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ChapterStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审核")
    APPROVED = "approved", _("已审定")
    RETURNED = "returned", _("已退回")


EDITABLE = frozenset({ChapterStatus.DRAFT, ChapterStatus.RETURNED})
