"""提醒未提交单位: one click on the rates page tells the people of every unit that has not submitted yet — in the app
and by email, through :func:`dudao.notifications.services.notify`, so a user who turned reminders off is not mailed
and the one sending path (after commit; a failing mail server never fails the click) serves every notice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from dudao.collection.workflows import workflows
from dudao.errors import DudaoError, forbidden
from dudao.notifications.services import notify
from dudao.notifications.vocabulary import Kind
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
    """Tell the submitters of every unit in ``org``'s subtree that has not submitted ``campaign``; record it (units
    whose people have no email address are listed as unreachable by mail — they still see the notice in the app)."""
    if not may_remind(user, org):
        raise forbidden(_("您无权催报该单位"))
    laggards = [row.org for row in rates(campaign, org).laggards]
    if not laggards:
        raise DudaoError(_("所有单位均已提交，无需提醒"), status=409)
    holders = list(role_holders(laggards, submitter_roles(campaign)))
    subject = _("【督导】请尽快提交：%(campaign)s") % {"campaign": campaign.name}
    closes = campaign.closes_at.strftime("%Y-%m-%d %H:%M")
    for unit, person in holders:
        body = _("%(unit)s：%(campaign)s（截止 %(closes)s）尚未提交，请登录督导系统尽快填报并提交。") % {
            "unit": unit.name,
            "campaign": campaign.name,
            "closes": closes,
        }
        notify([person], Kind.REMINDER, subject, body, link=reverse("home"))
    reached = {unit.code for unit, person in holders if person.email}
    with transaction.atomic():
        return Reminder.objects.create(
            campaign=campaign,
            org=org,
            sent_by=user,
            units=[u.code for u in laggards],
            recipients=sorted({person.username for _unit, person in holders if person.email}),
            unreachable=[u.code for u in laggards if u.code not in reached],
        )


def recent_reminders(campaign: Campaign, org: OrgUnit, limit: int = 5) -> list[Reminder]:
    return list(
        Reminder.objects.filter(campaign=campaign, org__path__startswith=org.path).select_related("sent_by")[:limit]
    )
