"""The words of work plans that are not tables: the status a unit reports for its task.

Kept apart from :mod:`.models` so that other apps (the demo's progress reports) can name a status without importing
plans' models, which are private to this app.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    NOT_STARTED = "not_started", _("未启动")
    IN_PROGRESS = "in_progress", _("推进中")
    DONE = "done", _("已完成")
    LAGGING = "lagging", _("滞后")
