"""提醒未提交单位: one click on the rates page emails the people of every unit that has not submitted yet.

Kept to one small function on purpose: when a notifications app (in-app + email, user preferences) exists, the
sending loop below is the one place to route through it; the permission check, the choice of laggards and the
:class:`Reminder` record stay as they are.
"""

from __future__ import annotations

import smtplib
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils.translation import gettext as _

from dudao.collection.workflows import workflows
from dudao.errors import DudaoError, forbidden
from dudao.orgs.access import has_role
from dudao.orgs.selectors import role_holders
from dudao.orgs.vocabulary import Role

from .models import Reminder
from .rates import rates, submit_targets

if TYPE_CHECKING:
    from dudao.collection.models import Campaign
    from dudao.orgs.models import OrgUnit

# who may remind the units of a scope: the city's administrator anywhere, a district's reviewer in the district
REMINDER_ROLES = (Role.CITY_ADMIN, Role.DISTRICT_REVIEWER)


def may_remind(user: Any, org: OrgUnit) -> bool:
    return has_role(user, org, *REMINDER_ROLES)


def submitter_roles(campaign: Campaign) -> set[str]:
    """The roles that take the campaign's submit step (采集员 for a school form, 区审核员 for a district one)."""
    wf = workflows()[campaign.workflow]
    targets = submit_targets(wf)
    return {role for s in wf.steps if s.target in targets for role in s.roles}


def remind_laggards(campaign: Campaign, user: Any, org: OrgUnit) -> Reminder:
    """Email the submitters of every unit in ``org``'s subtree that has not submitted ``campaign``; record it."""
    if not may_remind(user, org):
        raise forbidden(_("您无权催报该单位"))
    laggards = [row.org for row in rates(campaign, org).laggards]
    if not laggards:
        raise DudaoError(_("所有单位均已提交，无需提醒"), status=409)
    holders = [(unit, person) for unit, person in role_holders(laggards, submitter_roles(campaign)) if person.email]
    subject = _("【督导】请尽快提交：%(campaign)s") % {"campaign": campaign.name}
    closes = campaign.closes_at.strftime("%Y-%m-%d %H:%M")
    messages = [
        EmailMessage(
            subject,
            _("%(unit)s：%(campaign)s（截止 %(closes)s）尚未提交，请登录督导系统尽快填报并提交。")
            % {"unit": unit.name, "campaign": campaign.name, "closes": closes},
            settings.DEFAULT_FROM_EMAIL,
            [person.email],
        )
        for unit, person in holders
    ]
    try:
        get_connection().send_messages(messages)
    except (OSError, smtplib.SMTPException) as exc:
        raise DudaoError(_("邮件发送失败：%(error)s") % {"error": exc}, status=503) from exc
    reached = {unit.code for unit, _person in holders}
    with transaction.atomic():
        return Reminder.objects.create(
            campaign=campaign,
            org=org,
            sent_by=user,
            units=[u.code for u in laggards],
            recipients=sorted({person.username for _unit, person in holders}),
            unreachable=[u.code for u in laggards if u.code not in reached],
        )


def recent_reminders(campaign: Campaign, org: OrgUnit, limit: int = 5) -> list[Reminder]:
    return list(
        Reminder.objects.filter(campaign=campaign, org__path__startswith=org.path).select_related("sent_by")[:limit]
    )
