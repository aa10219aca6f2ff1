"""Which collected data counts (已核准数据): the one definition every reader uses — and the other reads of collected
data that other apps make.

Indicators, reports, evaluations, the portal and the API all publish figures *only* from submissions a principal has
approved (a *locked* workflow state, ``catalog/workflows.yaml``) — or, where a reader asks for it, from submissions
at or beyond a later step (say, accepted by the district). Drafts never count: a figure that moved while a school was
still typing would be published one day and wrong the next. Outside this module and ``collection.workflows`` no code
filters submissions by state.

Collection's models are private to this app (an import-linter contract in ``pyproject.toml``): periods, data sets,
campaigns, a report's free text, the audit trail's history rows and the engine's bulk extract are read here too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, Field, FloatField, OuterRef, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from dudao.orgs.access import memberships, visible_units
from dudao.orgs.vocabulary import Role

from .models import Campaign, DataElement, DataSet, DataValue, Explanation, Period, Submission
from .vocabulary import TEXT_TYPES
from .workflows import final_pairs, locked_states, states_at_or_beyond, waiting_states, workflows

if TYPE_CHECKING:
    from dudao.orgs.models import OrgUnit


def _counting_states(at_least: str | None) -> frozenset[str]:
    return states_at_or_beyond(at_least) if at_least else locked_states()


def submissions(
    *,
    dataset: str | None = None,
    period: Period | None = None,
    under: OrgUnit | None = None,
    orgs: Iterable[OrgUnit] | None = None,
    state: str | None = None,
) -> QuerySet[Submission, Submission]:
    """Submissions of a data set / period / subtree / set of units, any state unless ``state`` names one."""
    qs = Submission.objects.all()
    if dataset is not None:
        qs = qs.filter(campaign__dataset__code=dataset)
    if period is not None:
        qs = qs.filter(campaign__period=period)
    if under is not None:
        qs = qs.filter(org__path__startswith=under.path)
    if orgs is not None:
        qs = qs.filter(org__in=orgs)
    if state:
        qs = qs.filter(state=state)
    return qs


def waiting_for(user: Any) -> QuerySet[Submission, Submission]:
    """Submissions that wait for a forward step (submit, check, approve, accept) one of the user's roles may take at
    the school — the inbox's candidates, in one query. Drafts count once their campaign has opened. Callers still ask
    ``review.workflow.available_steps`` per row (it knows the four-eyes rule, which needs the transitions)."""
    roles = set(Role.values) if getattr(user, "is_superuser", False) else {m.role for m in memberships(user)}
    query = Q()
    for role in sorted(roles):
        units = visible_units(user, [role])
        for code, states in waiting_states(role).items():
            query |= Q(campaign__workflow=code, state__in=sorted(states), org__in=units)
    if not query:
        return Submission.objects.none()
    initials = {wf.initial for wf in workflows().values()}
    return (
        Submission.objects.filter(query)
        .exclude(state__in=initials, campaign__opens_at__gt=timezone.now())
        .select_related("org", "campaign__period", "campaign__dataset")
        .order_by("campaign__closes_at", "campaign_id", "org__path")
    )


def not_submitted(closing_by: datetime, closed_since: datetime) -> QuerySet[Submission, Submission]:
    """Submissions still in an editable state (draft, returned) of campaigns that have opened and close by
    ``closing_by`` — or closed, but not before ``closed_since`` (the deadline job's nagging ends some time after)."""
    editable = Q()
    for code, wf in workflows().items():
        editable |= Q(campaign__workflow=code, state__in=sorted(wf.editable))
    return (
        Submission.objects.filter(editable)
        .filter(
            campaign__opens_at__lte=timezone.now(),
            campaign__closes_at__lte=closing_by,
            campaign__closes_at__gte=closed_since,
        )
        .select_related("org", "campaign__period")
        .order_by("campaign_id", "org__path")
    )


def approved_submissions(
    *,
    dataset: str | None = None,
    period: Period | None = None,
    under: OrgUnit | None = None,
    orgs: Iterable[OrgUnit] | None = None,
    at_least: str | None = None,
) -> QuerySet[Submission, Submission]:
    """Submissions whose data count: approved (locked), or at or beyond the workflow state ``at_least``.

    ``dataset=None`` means any data set — the analytics engine counts a school's values for a year once any of its
    forms for that year is approved, because indicators name elements, not forms.
    """
    return submissions(dataset=dataset, period=period, under=under, orgs=orgs).filter(
        state__in=_counting_states(at_least)
    )


def is_approved(org: OrgUnit, period: Period, dataset: str) -> bool:
    """The unit's submission of ``dataset`` for ``period`` is approved (a school report may be published)."""
    return approved_submissions(dataset=dataset, period=period, orgs=[org]).exists()


def approved_org_periods(*, period_id: int | None = None, under_path: str = "") -> list[tuple[int, int]]:
    """(org id, period id) of every approved submission — of one period and one subtree (``under_path``, an org
    unit's ``path``) when given — for the analytics extract's vectorised membership test."""
    qs = approved_submissions()
    if period_id is not None:
        qs = qs.filter(campaign__period_id=period_id)
    if under_path:
        qs = qs.filter(org__path__startswith=under_path)
    return list(qs.values_list("org_id", "campaign__period_id"))


def approved_values(*, numeric: bool = True) -> QuerySet[DataValue, DataValue]:
    """Values behind an approved submission of the same unit and period (``numeric``: numbers only), as one
    correlated ``EXISTS`` — the reference implementations and small readers use this; the engine's bulk extract uses
    :func:`approved_org_periods` for the same rule."""
    approved = approved_submissions().filter(org=OuterRef("org"), campaign__period=OuterRef("period"))
    qs = DataValue.objects.filter(category_option="").filter(Exists(approved))
    return qs.filter(number__isnull=False) if numeric else qs


def approved_numbers(dataset: str, period: Period, orgs: Iterable[OrgUnit]) -> dict[int, dict[str, Decimal]]:
    """org id → {element code: number} of ``dataset``'s elements, for the units among ``orgs`` whose submission of
    ``dataset`` for ``period`` is approved (units without numbers map to ``{}``)."""
    org_ids = list(approved_submissions(dataset=dataset, period=period, orgs=orgs).values_list("org_id", flat=True))
    result: dict[int, dict[str, Decimal]] = {org_id: {} for org_id in org_ids}
    rows = DataValue.objects.filter(
        period=period,
        org_id__in=org_ids,
        number__isnull=False,
        category_option="",
        element__memberships__dataset__code=dataset,
    ).values_list("org_id", "element__code", "number")
    for org_id, code, number in rows:
        if number is not None:  # (filtered above; the type does not know)
            result[org_id][code] = number
    return result


def latest_period_with_final_data() -> Period | None:
    """The newest period with at least one submission at the end of its workflow (accepted by the city)."""
    ends = Q()
    for workflow, state in final_pairs():
        ends |= Q(campaign__workflow=workflow, state=state)
    final = Submission.objects.filter(ends)
    return Period.objects.filter(campaigns__submissions__in=final).order_by("-start").first()


# --------------------------------------------------------------------------- periods, data sets, campaigns


def period(code: str) -> Period | None:
    """The period ``code`` names (``"2020"``); ``None`` when there is none, so each caller answers in its own way."""
    return Period.objects.filter(code=code).first()


def periods(*, ids: Iterable[int] | None = None, newest_first: bool = False) -> QuerySet[Period, Period]:
    """Every period — or those with ``ids`` (say, the periods an app holds results for) — oldest first unless
    ``newest_first``."""
    qs = Period.objects.all() if ids is None else Period.objects.filter(id__in=ids)
    return qs.order_by("-start" if newest_first else "start")


def dataset(code: str) -> DataSet | None:
    return DataSet.objects.filter(code=code).first()


def datasets() -> QuerySet[DataSet, DataSet]:
    """Every data set (form), by code."""
    return DataSet.objects.order_by("code")


def campaign(pk: int) -> Campaign | None:
    return Campaign.objects.select_related("dataset", "period").filter(pk=pk).first()


def campaigns_with_submissions(orgs: Iterable[OrgUnit]) -> QuerySet[Campaign, Campaign]:
    """Campaigns with at least one submission of a unit among ``orgs`` (what a user sees of the campaign list),
    newest first."""
    ids = submissions(orgs=orgs).values("campaign_id")
    return Campaign.objects.filter(id__in=ids).select_related("dataset", "period", "owner").order_by("-id")


# --------------------------------------------------------------------------- values


def versions_of(submission: Submission, codes: Iterable[str] | None = None) -> dict[str, int]:
    """element code → the version of the submission's value (all of them, or ``codes``); a code without a value is
    absent (a form sends 0 for it). What a form or API client sends back with a save (dudao.concurrency)."""
    rows = DataValue.objects.filter(org=submission.org_id, period=submission.campaign.period_id, category_option="")
    if codes is not None:
        rows = rows.filter(element__code__in=list(codes))
    return dict(rows.values_list("element__code", "version"))


def stored_texts(submission: Submission, codes: Iterable[str]) -> dict[str, str]:
    """element code → the text stored for ``codes`` among the submission's values, as normalised on save
    (``"87"`` → ``"87.00"``)."""
    rows = DataValue.objects.filter(
        org=submission.org_id, period=submission.campaign.period_id, category_option="", element__code__in=list(codes)
    ).values_list("element__code", "value")
    return dict(rows)


def text_values(orgs: Iterable[OrgUnit], period: Period) -> dict[tuple[int, str], str]:
    """(org id, element code) → text of the units' text and long-text values for ``period`` — the free text and
    案例 a report quotes. Callers pass units whose submission is approved."""
    rows = DataValue.objects.filter(
        org__in=list(orgs), period=period, element__value_type__in=sorted(TEXT_TYPES)
    ).values_list("org_id", "element__code", "value")
    return {(org, code): value for org, code, value in rows}


@dataclass(frozen=True)
class CaseRecord:
    """One 案例 a unit wrote: title, body and the chapter it belongs to ("2" or "2.2"; "" when left open)."""

    org_id: int
    org_name: str
    org_code: str
    key: str
    title: str
    body: str
    chapter: str


def case_groups(dataset_spec: dict[str, Any]) -> list[dict[str, str]]:
    """The case groups a data set declares under ``cases:`` ({key, title, body, chapter} element codes)."""
    return list(dataset_spec.get("cases") or [])


def cases(period: Period, *, orgs: Iterable[OrgUnit] | None = None, under: OrgUnit | None = None) -> list[CaseRecord]:
    """Every 案例 in approved submissions of ``period`` — of any data set that declares case groups (schools' and
    districts' forms alike), so the compiler picks from one list. A case counts when it has a title or a body; only
    approved submissions are read, because a case a principal has not signed must not reach a published report."""
    records: list[CaseRecord] = []
    org_list = list(orgs) if orgs is not None else None
    for ds in DataSet.objects.order_by("code"):
        groups = case_groups(ds.spec or {})
        if not groups:
            continue
        subs = approved_submissions(dataset=ds.code, period=period, under=under, orgs=org_list).select_related("org")
        units = {s.org_id: s.org for s in subs}
        if not units:
            continue
        codes = {code for g in groups for code in (g["title"], g["body"], g.get("chapter")) if code}
        rows = DataValue.objects.filter(
            org_id__in=list(units), period=period, category_option="", element__code__in=sorted(codes)
        ).values_list("org_id", "element__code", "value")
        texts = {(org, code): value for org, code, value in rows}
        for org_id, org in sorted(units.items(), key=lambda item: item[1].code):
            for group in groups:
                title = texts.get((org_id, group["title"]), "").strip()
                body = texts.get((org_id, group["body"]), "").strip()
                if not (title or body):
                    continue
                chapter = texts.get((org_id, group["chapter"]), "").strip() if group.get("chapter") else ""
                records.append(
                    CaseRecord(org_id, org.name, org.code, group.get("key", group["title"]), title, body, chapter)
                )
    return records


def value_history(submission: Submission) -> QuerySet[Any, Any]:
    """The history rows (django-simple-history) of the submission's values, per value oldest first."""
    history: QuerySet[Any, Any] = (
        DataValue.history.filter(period=submission.campaign.period, org=submission.org)
        .select_related("history_user", "element")
        .order_by("element_id", "id", "history_date")
    )
    return history


def explanation_history(submission: Submission) -> QuerySet[Any, Any]:
    """The history rows of the submission's explanations (说明)."""
    history: QuerySet[Any, Any] = Explanation.history.filter(submission=submission).select_related("history_user")
    return history


def values_in_key_order() -> Iterator[tuple[str, str, str, str, str]]:
    """Every stored value, drafts included, as (org code, period code, element code, category option, text) in
    that order — what "the same data" means for a backup's round trip."""
    rows = DataValue.objects.values_list(
        "org__code", "period__code", "element__code", "category_option", "value"
    ).order_by("org__code", "period__code", "element__code", "category_option")
    return rows.iterator(chunk_size=5000)


# --------------------------------------------------------------------------- the analytics engine's bulk extract


def numeric_value_rows(
    *, period_id: int | None = None, under_path: str = ""
) -> QuerySet[DataValue, tuple[int, int, int, float]]:
    """(org id, period id, element id, number as float) of every numeric value — of one period and subtree when
    given (the live refresh) — drafts included: the engine's bulk extract runs this as one flat query and applies
    the approval rule itself, as a vectorised membership test against :func:`approved_org_periods` read in the same
    snapshot."""
    qs = DataValue.objects.filter(number__isnull=False, category_option="")
    if period_id is not None:
        qs = qs.filter(period_id=period_id)
    if under_path:
        qs = qs.filter(org__path__startswith=under_path)
    return qs.annotate(as_float=Cast("number", FloatField())).values_list(
        "org_id", "period_id", "element_id", "as_float"
    )


def value_storage(fields: Iterable[str]) -> tuple[str, list[str]]:
    """The table that stores values and the columns of ``fields``: on PostgreSQL the engine packs rows into binary
    records in SQL, which the ORM cannot express (``engine._postgres_columns``)."""
    columns = []
    for name in fields:
        field = DataValue._meta.get_field(name)
        if not isinstance(field, Field) or field.column is None:
            raise ValueError(f"DataValue.{name} has no column of its own")
        columns.append(field.column)
    return DataValue._meta.db_table, columns


def statistics_elements() -> dict[str, tuple[str, DataElement]]:
    """element code → (data set code, element) of the numeric elements of the public-statistics data sets (those
    whose workflow is ``statistics``): the codes a statistics table may name."""
    result: dict[str, tuple[str, DataElement]] = {}
    for ds in DataSet.objects.order_by("code"):
        if ds.spec.get("workflow") != "statistics":
            continue
        for member in ds.members.select_related("element"):
            if member.element.is_numeric:
                result[member.element.code] = (ds.code, member.element)
    return result


def counts(org_id: int, period_id: int) -> bool:
    """Whether values of ``org_id`` for ``period_id`` count (some submission of the unit for the period is approved):
    a change to them changes published figures."""
    return approved_submissions().filter(org_id=org_id, campaign__period_id=period_id).exists()


def present_elements(period: Period, org_ids: Iterable[int], codes: Iterable[str]) -> dict[int, set[str]]:
    """org id → the element codes among ``codes`` the unit has an approved number for in ``period`` (units among
    ``org_ids`` whose data do not count at all are absent): what a report's "缺少" note is made of."""
    counted = set(approved_submissions(period=period).filter(org_id__in=list(org_ids)).values_list("org_id", flat=True))
    result: dict[int, set[str]] = {org_id: set() for org_id in counted}
    rows = DataValue.objects.filter(
        period=period, org_id__in=counted, element__code__in=list(codes), number__isnull=False, category_option=""
    ).values_list("org_id", "element__code")
    for org_id, code in rows:
        result[org_id].add(code)
    return result


def expected_reporters(
    period: Period, under: OrgUnit, codes: Iterable[str], *, only: bool = False
) -> list[tuple[int, str]]:
    """(id, name) of the units in ``under``'s subtree (``only``: ``under`` itself) asked for any of the elements
    ``codes`` in ``period`` — those with a submission of a data set holding one — in tree order."""
    qs = Submission.objects.filter(campaign__period=period, campaign__dataset__members__element__code__in=list(codes))
    qs = qs.filter(org=under) if only else qs.filter(org__path__startswith=under.path)
    return list(qs.order_by("org__path").values_list("org_id", "org__name").distinct())


def element_names(codes: Iterable[str]) -> dict[str, str]:
    """element code → its name (数据元名称)."""
    return dict(DataElement.objects.filter(code__in=list(codes)).values_list("code", "name"))


def element_codes() -> dict[int, str]:
    """data element id → code."""
    return dict(DataElement.objects.values_list("id", "code"))
