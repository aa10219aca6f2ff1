"""The words of publication that are not tables: a published version's status, and which statuses are public.

Kept apart from :mod:`.models` so that they can be named without importing portal's models, which are private to
this app.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PublicationStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    PUBLISHED = "published", _("已公开")
    SUPERSEDED = "superseded", _("已被新版本替代")
    REJECTED = "rejected", _("已驳回")


# What the portal and the API disclose: pending and rejected versions never are, superseded ones stay listed.
PUBLIC = (PublicationStatus.PUBLISHED, PublicationStatus.SUPERSEDED)
