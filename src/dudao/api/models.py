"""What the API keeps beside DRF's ``authtoken.Token`` (key, user, created): when a token was last used.

The token itself stays DRF's model (one per user; its ``created`` is the start of its life, see
:mod:`dudao.api.tokens`); a rotation deletes it, which deletes this row with it."""

from django.db import models


class TokenUse(models.Model):
    token = models.OneToOneField("authtoken.Token", on_delete=models.CASCADE, primary_key=True, related_name="use")
    last_used = models.DateTimeField("最近使用")

    objects: "models.Manager[TokenUse]" = models.Manager()

    class Meta:
        verbose_name = "令牌使用"
        verbose_name_plural = verbose_name
