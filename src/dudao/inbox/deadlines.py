"""The daily deadline job: tell a school's collectors (a district's clerk for its own data) that their campaign
closes within three days, or has closed, while their data is still not submitted.

Run once a day (``dudao notify_deadlines`` from cron, or the django-tasks task :func:`dudao.inbox.tasks.
notify_deadlines` queued by ``dudao notify_deadlines --enqueue``). It is idempotent per day: each message carries the
key (kind, submission, day), and ``notifications.notify`` skips a user already told under it — running it twice the
same day tells nobody twice, the next day it tells them again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.urls import reverse
from django.utils import timezone

from dudao.collection.selectors import not_submitted
from dudao.collection.workflows import workflow_of
from dudao.notifications.services import notify
from dudao.notifications.vocabulary import Kind
from dudao.orgs.access import holders

SOON = timedelta(days=3)
# how long after the close an unsubmitted form is still nagged about: a campaign left behind stops after a month
GIVE_UP = timedelta(days=30)


def notify_deadlines(now: datetime | None = None) -> int:
    """Send today's deadline messages; returns how many notifications were created."""
    now = now or timezone.now()
    day = timezone.localdate(now).isoformat()
    created = 0
    for sub in not_submitted(closing_by=now + SOON, closed_since=now - GIVE_UP):
        wf = workflow_of(sub)
        roles = {r for step in wf.forward_steps(sub.state) for r in step.roles}
        campaign = sub.campaign
        closes = timezone.localtime(campaign.closes_at).strftime("%Y-%m-%d %H:%M")
        if campaign.closes_at < now:
            kind, title = Kind.OVERDUE, f"{campaign.name}：已于{closes}截止，{sub.org.name}尚未提交"
        else:
            kind, title = Kind.DEADLINE_SOON, f"{campaign.name}：将于{closes}截止，{sub.org.name}尚未提交"
        created += len(
            notify(
                holders(sub.org, roles, nearest=True),
                kind,
                title,
                f"当前状态：{wf.label(sub.state)}。请尽快填报并提交审核。",
                reverse("review:submission", args=[sub.pk]),
                key=f"{sub.pk}:{day}",
            )
        )
    return created
