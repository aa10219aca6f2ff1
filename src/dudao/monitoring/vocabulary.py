"""The words of 质量监测 that are not tables: a campaign's kind and a sampled school's state."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    NATIONAL = "national", _("国家义务教育质量监测")
    VOCATIONAL = "vocational", _("中职专业教学质量监测")


class State(models.TextChoices):
    """A sampled school's progress through its checklist (catalog ``checklist``: roster, then ready)."""

    DRAWN = "drawn", _("待上报名单")
    ROSTER = "roster", _("名单已上报")
    READY = "ready", _("准备就绪")


# the state each checklist step leads to
STEP_STATE = {"roster": State.ROSTER, "ready": State.READY}
