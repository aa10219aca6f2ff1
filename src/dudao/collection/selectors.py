"""Which collected data counts (已核准数据): the one definition every reader uses.

Indicators, reports, evaluations, the portal and the API all publish figures *only* from submissions a principal has
approved (a *locked* workflow state, ``catalog/workflows.yaml``) — or, where a reader asks for it, from submissions
at or beyond a later step (say, accepted by the district). Drafts never count: a figure that moved while a school was
still typing would be published one day and wrong the next. Outside this module and ``collection.workflows`` no code
filters submissions by state.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Exists, OuterRef, QuerySet

from dudao.orgs.models import OrgUnit

from .models import DataValue, Period, Submission
from .workflows import final_states, locked_states, states_at_or_beyond


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


def approved_org_periods() -> list[tuple[int, int]]:
    """(org id, period id) of every approved submission, for the analytics extract's vectorised membership test."""
    return list(approved_submissions().values_list("org_id", "campaign__period_id"))


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
    final = Submission.objects.filter(state__in=final_states())
    return Period.objects.filter(campaigns__submissions__in=final).order_by("-start").first()
