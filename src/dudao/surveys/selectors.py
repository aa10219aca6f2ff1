"""Survey results (问卷调查结果) as the evaluation schemes read them: one :class:`SurveyResult` per questionnaire,
period and org (a school, a district or the city — the responses in its subtree); and the reads of the survey pages.

The score follows dudao.surveys.questionnaires (favourable ÷ answered scored questions, pooled); the target is the
sum of the sample targets of the links in the subtree, so a district whose schools answered too little is
``complete = False`` and a scheme says 数据不全 instead of judging a thin sample — as is one where any respondent group
with a target fell below it (``short_groups``), whatever the total."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext as _

from dudao.orgs import access
from dudao.orgs import selectors as orgs
from dudao.orgs.vocabulary import Level, Role

from . import questionnaires
from .models import Link, Response, Survey

if TYPE_CHECKING:
    from dudao.orgs.models import OrgUnit

# who reads survey results and the link sheets (the offices of the city and the districts)
READERS = (Role.CITY_ADMIN, Role.DISTRICT_REVIEWER, Role.DISTRICT_CLERK, Role.INSPECTOR, Role.ANALYST)
# who opens and closes surveys at a scope (the role held there or above)
MANAGERS = (Role.CITY_ADMIN, Role.DISTRICT_REVIEWER)


@dataclass(frozen=True)
class SurveyResult:
    """``score`` is the share of favourable answers in percent (0–100, the 满意度 / 社会认可度 a scheme compares with
    its threshold); ``target`` the sample target (None when the questionnaire sets none); ``complete`` whether the
    responses reached it, so a scheme can say 数据不全 rather than judge on a thin sample.

    ``short_groups`` names the respondent groups that have a target and fell below it. A surplus in one group does not
    make up for another: 社会认可度 is asked of 学生、家长、教师、校长… because each group's view counts, so a district
    whose parents over-answered but whose 校长 did not answer at all is incomplete though its total reached the sum
    of the targets."""

    questionnaire: str
    org_code: str
    period_code: str
    responses: int
    target: int | None
    score: Decimal | None
    by_group: dict[str, Decimal] = field(default_factory=dict)
    short_groups: tuple[str, ...] = ()

    @property
    def response_rate(self) -> Decimal | None:
        if not self.target:
            return None
        return Decimal(self.responses * 100) / Decimal(self.target)

    @property
    def complete(self) -> bool:
        return (
            self.score is not None and (self.target is None or self.responses >= self.target) and not self.short_groups
        )


def short_group_names(survey: SurveyResult) -> list[str]:
    """The names of the respondent groups below their target (校长、教师…), for a 数据不全 reason."""
    if not survey.short_groups:
        return []
    names = questionnaires.get(survey.questionnaire).group_names
    return [names.get(g, g) for g in survey.short_groups]


def short_groups_clause(survey: SurveyResult) -> str:
    """The clause 「；未达样本量：校长、教师」 when groups fell short, else an empty string — appended to every 数据不全
    reason a scheme gives, so the district knows whom to ask again (a total that reached its target does not say it)."""
    names = short_group_names(survey)
    return _("；未达样本量：%(groups)s") % {"groups": "、".join(names)} if names else ""


def _links(questionnaire: str, period_code: str, org: OrgUnit) -> QuerySet[Link]:
    return Link.objects.filter(
        survey__questionnaire=questionnaire, survey__period__code=period_code, org__path__startswith=org.path
    )


def _result_of(questionnaire: str, period_code: str, org: OrgUnit, links: QuerySet[Link]) -> SurveyResult | None:
    target = links.aggregate(t=Sum("target"))["t"]
    if target is None:  # no link in the subtree: not run there
        return None
    targets = {row["group"]: row["t"] for row in links.values("group").annotate(t=Sum("target"))}
    rows = (
        Response.objects.filter(link__in=links)
        .values("link__group")
        .annotate(n=Count("id"), fav=Sum("favourable"), ans=Sum("answered"))
    )
    responses = favourable = answered = 0
    by_group: dict[str, Decimal] = {}
    counted: dict[str, int] = {}
    for row in rows:
        responses, favourable, answered = responses + row["n"], favourable + row["fav"], answered + row["ans"]
        counted[row["link__group"]] = row["n"]
        share = questionnaires.percent(row["fav"], row["ans"])
        if share is not None:
            by_group[row["link__group"]] = share
    return SurveyResult(
        questionnaire=questionnaire,
        org_code=org.code,
        period_code=period_code,
        responses=responses,
        target=target or None,
        score=questionnaires.percent(favourable, answered),
        by_group=by_group,
        short_groups=tuple(sorted(g for g, t in targets.items() if t and counted.get(g, 0) < t)),
    )


def result(questionnaire: str, period_code: str, org: OrgUnit) -> SurveyResult | None:
    """The result of ``questionnaire`` for ``period_code`` over ``org``'s subtree; None when it was not run there."""
    return _result_of(questionnaire, period_code, org, _links(questionnaire, period_code, org))


# ----------------------------------------------------------------------------------------------- the pages' reads


def may_read(user: Any, org: OrgUnit) -> bool:
    return access.has_role(user, org, *READERS)


def may_use(user: Any) -> bool:
    """Whether the user is offered 问卷调查 at all (an office of the city or a district)."""
    if getattr(user, "is_superuser", False):
        return True
    return any(m.role in READERS and m.org.level in (Level.CITY, Level.DISTRICT) for m in access.memberships(user))


def visible_surveys(user: Any) -> QuerySet[Survey]:
    """Surveys whose scope the user reads in, or that cover a district the user reads (a district sees the city's
    survey, restricted to its own links on each page)."""
    units = access.visible_units(user, READERS).filter(level__in=(Level.CITY, Level.DISTRICT))
    paths = list(units.values_list("path", flat=True))
    ids = {
        s.pk
        for s in Survey.objects.select_related("org")
        if any(p.startswith(s.org.path) or s.org.path.startswith(p) for p in paths)
    }
    return Survey.objects.filter(pk__in=ids).select_related("org", "period")


def survey_for(user: Any, pk: int) -> Survey | None:
    return visible_surveys(user).filter(pk=pk).first()


def view_unit(user: Any, survey: Survey, code: str | None) -> OrgUnit | None:
    """The unit whose part of ``survey`` the page shows: ``code`` (or the survey's scope, or else the user's own
    district in it) when the user reads there and it lies in the scope; None otherwise (the page answers 404)."""
    candidates = [orgs.unit(code)] if code else [survey.org, *access.top_units(user)]
    for unit in candidates:
        if unit is not None and unit.path.startswith(survey.org.path) and may_read(user, unit):
            return unit
    return None


@dataclass(frozen=True)
class LinkRow:
    link: Link
    group_name: str
    score: Decimal | None

    @property
    def rate(self) -> Decimal | None:
        return Decimal(self.link.responses * 100) / Decimal(self.link.target) if self.link.target else None


def link_rows(survey: Survey, unit: OrgUnit) -> list[LinkRow]:
    """Each link under ``unit``: its target, responses (the response rate) and score."""
    names = questionnaires.get(survey.questionnaire).group_names
    links = list(survey.links.filter(org__path__startswith=unit.path).select_related("org").order_by("org__code", "id"))
    sums = {
        row["link"]: row
        for row in Response.objects.filter(link__in=links)
        .values("link")
        .annotate(fav=Sum("favourable"), ans=Sum("answered"))
    }
    return [
        LinkRow(
            link,
            names.get(link.group, link.group),
            questionnaires.percent(sums[link.pk]["fav"], sums[link.pk]["ans"]) if link.pk in sums else None,
        )
        for link in links
    ]


def part_results(survey: Survey, unit: OrgUnit) -> list[tuple[OrgUnit, SurveyResult | None]]:
    """The result of each district under ``unit`` (for a city survey's page), in code order."""
    if unit.level != Level.CITY:
        return []
    return [
        (d, _result_of(survey.questionnaire, survey.period.code, d, survey.links.filter(org__path__startswith=d.path)))
        for d in orgs.districts(unit)
    ]


def unit_result(survey: Survey, unit: OrgUnit) -> SurveyResult | None:
    return _result_of(
        survey.questionnaire, survey.period.code, unit, survey.links.filter(org__path__startswith=unit.path)
    )


def manageable_scopes(user: Any) -> list[OrgUnit]:
    """The city and districts where the user may open a survey."""
    return list(access.visible_units(user, MANAGERS).filter(level__in=(Level.CITY, Level.DISTRICT)).order_by("code"))
