"""The kinds of notification a user receives — and may turn off one by one (``notifications:preferences``).

Kept apart from :mod:`.models` so that the apps that send notifications name a kind without importing this app's
models, which are private to it."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    RETURNED = "returned", _("数据被退回")
    DEADLINE_SOON = "deadline_soon", _("填报即将截止")
    OVERDUE = "overdue", _("填报已逾期")
    REMINDER = "reminder", _("督办提醒")
    PUBLICATION_REQUEST = "publication_request", _("报告发布待审核")
    FINDING_ESCALATED = "finding_escalated", _("督导问题逾期升级")
    ACCOUNT_SUBMITTED = "account_submitted", _("年终交账待审核")
    ACCOUNT_APPROVED = "account_approved", _("年终交账已通过")
    DUTY_PART_SUBMITTED = "duty_part_submitted", _("部门履职自评待审核")
    DUTY_PART_REVIEWED = "duty_part_reviewed", _("部门履职自评审核结果")
    FINDING_RAISED = "finding_raised", _("收到督导问题")
