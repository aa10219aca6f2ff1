"""What a user has been told (in the app, and by email when they have an address and want that kind), and which
kinds they have turned off."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .vocabulary import Kind


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True, max_length=20000)
    link = models.CharField(max_length=500, blank=True)  # a site path built with reverse(), never an absolute URL
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # Jobs that run again (the daily deadline job) name what they told whom, so a second run the same day is a no-op.
    key = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "key"], condition=~models.Q(key=""), name="notification_once_per_key"
            )
        ]
        verbose_name = _("消息")
        verbose_name_plural = _("消息")

    def __str__(self) -> str:
        return f"{self.user} · {self.title}"


class Preference(models.Model):
    """A kind the user turned off (or on again). No row means on: a new kind reaches everyone until they opt out."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_prefs")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    enabled = models.BooleanField(default=True)

    class Meta:
        unique_together = [("user", "kind")]
        verbose_name = _("消息设置")
        verbose_name_plural = _("消息设置")
