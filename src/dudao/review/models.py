"""Review trail (审核记录) and responsibility statements (责任声明)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Transition(models.Model):
    submission = models.ForeignKey("collection.Submission", on_delete=models.CASCADE, related_name="transitions")
    action = models.CharField(max_length=32)
    from_state = models.CharField(max_length=32)
    to_state = models.CharField(max_length=32)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(blank=True, max_length=2000)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("流转记录")
        verbose_name_plural = _("流转记录")


STATEMENT_TEXT = (
    "本人作为学校法定代表人，承诺本校本年度填报的数据真实、准确、完整，年度质量报告内容真实，并对其承担主体责任。"
)


class Statement(models.Model):
    """The principal's signed statement; ``values_sha256`` pins exactly which values were vouched for."""

    submission = models.ForeignKey("collection.Submission", on_delete=models.CASCADE, related_name="statements")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signer_name = models.CharField(_("签署人"), max_length=64)
    signed_at = models.DateTimeField(auto_now_add=True)
    text = models.TextField(default=STATEMENT_TEXT, max_length=5000)
    values_sha256 = models.CharField(max_length=64)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.TextField(blank=True, max_length=2000)

    class Meta:
        ordering = ["-signed_at", "-id"]
        verbose_name = _("责任声明")
        verbose_name_plural = _("责任声明")


class Reminder(models.Model):
    """A "提醒未提交单位" click: who reminded which units of a campaign, and whom the email reached."""

    campaign = models.ForeignKey("collection.Campaign", on_delete=models.CASCADE, related_name="+")
    org = models.ForeignKey("orgs.OrgUnit", on_delete=models.CASCADE, related_name="+")  # the page's scope
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    units = models.JSONField(default=list)  # codes of the units not yet submitted
    recipients = models.JSONField(default=list)  # usernames emailed
    unreachable = models.JSONField(default=list)  # codes of laggards with no collector holding an email address

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("催报记录")
        verbose_name_plural = _("催报记录")
