"""Writes of 问卷调查: open a survey over a scope (one link per unit and respondent group), close it early, and record
an anonymous response.

Opening and closing are the city's and the district's (市管理员 / 区审核员 holding the role at the survey's scope);
recording is the one anonymous write of the project — whoever holds a link's token may answer, and what limits it
is the questionnaire (every answer validated, nothing else kept), the survey's dates and a cap per link
(:data:`CAP_FACTOR` × the link's target), so a link passed around cannot drown a district's sample."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from dudao.collection import selectors as collection
from dudao.errors import UNPROCESSABLE, DudaoError, conflict, forbidden, not_found
from dudao.orgs import selectors as orgs
from dudao.orgs.access import has_role
from dudao.orgs.vocabulary import Level

from . import questionnaires
from .models import Link, Response, Survey
from .selectors import MANAGERS

if TYPE_CHECKING:
    from dudao.orgs.models import OrgUnit

# a link stops taking answers at this many times its sample target (a link shared beyond its audience)
CAP_FACTOR = 3


def may_manage(user: Any, org: OrgUnit) -> bool:
    return has_role(user, org, *MANAGERS)


def units_of(questionnaire: questionnaires.Questionnaire, scope: OrgUnit) -> dict[str, list[OrgUnit]]:
    """The units that get links, per unit kind: the scope's districts (the district itself when the scope is one),
    and its schools of the questionnaire's school types."""
    districts = [scope] if scope.level == Level.DISTRICT else list(orgs.districts(scope))
    types = questionnaire.school_types
    schools = list(orgs.in_groups(orgs.schools_under(scope), "school_type", types).order_by("code")) if types else []
    return {"district": districts, "school": schools}


@transaction.atomic
def open_survey(
    code: str, period_code: str, scope: OrgUnit, user: Any, *, opens_at: datetime, closes_at: datetime
) -> Survey:
    """A survey of questionnaire ``code`` for ``period_code`` over ``scope``, with a link per unit and group.

    One survey per questionnaire, period and place: a survey overlapping another's scope (the city's and a
    district's) is refused, or the district's answers would count twice in the city's result."""
    if scope.level not in (Level.CITY, Level.DISTRICT) or not may_manage(user, scope):
        raise forbidden(_("只有市、区管理员可以在本市、本区发起问卷调查"))
    questionnaire = questionnaires.get(code)
    period = collection.period(period_code)
    if period is None:
        raise DudaoError(
            _("没有这个期间"), locator="period", status=UNPROCESSABLE, errors={"period": _("没有这个期间")}
        )
    if closes_at <= opens_at:
        message = _("截止时间应晚于开始时间")
        raise DudaoError(message, locator="closes_at", status=UNPROCESSABLE, errors={"closes_at": message})
    overlapping = Survey.objects.filter(questionnaire=code, period=period).select_related("org")
    for other in overlapping:
        if other.org.path.startswith(scope.path) or scope.path.startswith(other.org.path):
            raise conflict(
                _("%(org)s已有本期的这份问卷调查，范围不能重叠") % {"org": other.org.name}, locator="questionnaire"
            )
    survey = Survey.objects.create(
        questionnaire=code, period=period, org=scope, opens_at=opens_at, closes_at=closes_at, created_by=user
    )
    units = units_of(questionnaire, scope)
    Link.objects.bulk_create(
        Link(survey=survey, org=unit, group=group.code, target=group.target, token=secrets.token_urlsafe(18))
        for group in questionnaire.groups
        for unit in units[group.unit]
    )
    return survey


@transaction.atomic
def close_survey(survey: Survey, user: Any) -> Survey:
    if not may_manage(user, survey.org):
        raise forbidden(_("只有发起范围内的市、区管理员可以结束问卷调查"))
    if survey.closed_at is None:
        survey.closed_at = timezone.now()
        survey.save(update_fields=["closed_at"])
    return survey


def link_by_token(token: str) -> Link:
    link = Link.objects.select_related("survey", "org").filter(token=token).first() if token else None
    if link is None:
        raise not_found(_("问卷链接无效"))
    return link


@transaction.atomic
def record_response(token: str, raw: dict[str, str], *, now: datetime | None = None) -> Response:
    """One anonymous response through the link ``token``: only the questionnaire's answers are kept, each validated
    (a DudaoError naming every bad question, and nothing saved); a closed survey or a full link refuses."""
    link = link_by_token(token)
    link = Link.objects.select_for_update().select_related("survey").get(pk=link.pk)  # the cap, under concurrency
    now = now or timezone.now()
    if not link.survey.is_open(now):
        raise conflict(_("本问卷调查不在开放时间内，不再接受答卷"))
    if link.responses >= CAP_FACTOR * max(link.target, 1):
        raise conflict(_("本链接的答卷已达上限，感谢您的参与"))
    questionnaire = questionnaires.get(link.survey.questionnaire)
    answers = questionnaires.clean(questionnaire, raw)
    favourable, answered = questionnaires.tally(questionnaire, answers)
    response = Response.objects.create(
        link=link, submitted_at=now, answers=answers, favourable=favourable, answered=answered
    )
    Link.objects.filter(pk=link.pk).update(responses=F("responses") + 1)
    return response


def load_responses(link: Link, answer_sets: list[dict[str, str]], when: datetime) -> int:
    """Bulk loading for the demo: the same validation and tally as :func:`record_response`, without its per-answer
    round trips (and without the dates and the cap: the demo writes a past survey)."""
    questionnaire = questionnaires.get(link.survey.questionnaire)
    rows = []
    for raw in answer_sets:
        answers = questionnaires.clean(questionnaire, raw)
        favourable, answered = questionnaires.tally(questionnaire, answers)
        rows.append(Response(link=link, submitted_at=when, answers=answers, favourable=favourable, answered=answered))
    Response.objects.bulk_create(rows)
    Link.objects.filter(pk=link.pk).update(responses=F("responses") + len(rows))
    return len(rows)
