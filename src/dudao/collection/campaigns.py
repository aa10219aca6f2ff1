"""Opening a campaign (发布采集任务): which schools take part, one submission each."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction

from dudao.orgs.selectors import in_groups, subtree
from dudao.orgs.vocabulary import Level

from .models import Campaign, DataSet, Period, Submission

if TYPE_CHECKING:
    from dudao.orgs.models import OrgUnit


def yearly_period(year: int) -> Period:
    period, _ = Period.objects.get_or_create(
        code=str(year), defaults={"name": f"{year}年度", "start": date(year, 1, 1), "end": date(year, 12, 31)}
    )
    return period


def participants(dataset: DataSet, owner: OrgUnit):
    """Schools under ``owner`` that the data set's ``participants`` rule selects (by 学校类型).

    ``level: any`` (public statistics) enrolls nobody up front: such figures can be held by a unit at any level, and
    the import that brings them creates the record of each unit it names (:func:`.services.record_statistics`)."""
    rule = dataset.spec.get("participants") or {}
    if rule.get("level") == "any":
        return subtree(owner).none()
    units = subtree(owner, rule.get("level", Level.SCHOOL))
    types = rule.get("school_types")
    return in_groups(units, "school_type", types) if types else units


@transaction.atomic
def open_campaign(
    dataset: DataSet,
    period: Period,
    owner: OrgUnit,
    opens_at,
    closes_at,
    name: str = "",
    workflow: str = "",
    schools=None,
) -> Campaign:
    """Open (or find) the campaign; the workflow defaults to the one the data set names (school data: ``default``;
    district figures: ``district``)."""
    campaign, _ = Campaign.objects.get_or_create(
        dataset=dataset,
        period=period,
        defaults={
            "name": name or f"{period.name}{dataset.name}",
            "owner": owner,
            "opens_at": opens_at,
            "closes_at": closes_at,
            "workflow": workflow or dataset.spec.get("workflow", "default"),
        },
    )
    enroll(campaign, schools)
    return campaign


def enroll(campaign: Campaign, schools=None) -> int:
    """Create the missing submissions (one per participating school); returns how many were added."""
    existing = set(campaign.submissions.values_list("org_id", flat=True))
    schools = participants(campaign.dataset, campaign.owner) if schools is None else schools
    created = Submission.objects.bulk_create(
        [Submission(campaign=campaign, org=s) for s in schools if s.pk not in existing]
    )
    return len(created)
