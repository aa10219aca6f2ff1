"""Reads of 质量监测. The city's offices see every campaign and every district; a district's offices see the
campaigns that sampled their schools, and only those schools; a school sees its own rows. A campaign that sampled
nothing the user may see is not theirs (the pages answer 404, so its existence does not leak)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from dudao.orgs.access import can_view, memberships, visible_units
from dudao.orgs.vocabulary import Level, Role

from . import catalog
from .models import Campaign, SampledSchool
from .vocabulary import State

if TYPE_CHECKING:
    from dudao.orgs.models import OrgUnit

OFFICE_ROLES = {Role.CITY_ADMIN, Role.DISTRICT_REVIEWER, Role.DISTRICT_CLERK}
SCHOOL_ROLES = (Role.PRINCIPAL, Role.COLLECTOR)


def sees_all(user: Any) -> bool:
    """The city's view: a superuser or anyone holding a role at the city itself (its departments are not the city)."""
    return getattr(user, "is_superuser", False) or any(m.org.level == Level.CITY for m in memberships(user))


def campaigns_for(user: Any) -> QuerySet[Campaign]:
    if sees_all(user):
        return Campaign.objects.all()
    units = visible_units(user)
    return Campaign.objects.filter(sampled__school__in=units).distinct()


def campaign_for(user: Any, pk: int) -> Campaign | None:
    return campaigns_for(user).filter(pk=pk).first()


def sampled_for(user: Any, campaign: Campaign) -> QuerySet[SampledSchool]:
    rows = campaign.sampled.select_related("school", "district").prefetch_related("confirmations__by")
    return rows if sees_all(user) else rows.filter(school__in=visible_units(user))


def sampled_one(user: Any, pk: int) -> SampledSchool | None:
    found = (
        SampledSchool.objects.select_related("campaign", "school", "district")
        .prefetch_related("confirmations__by")
        .filter(pk=pk)
        .first()
    )
    return found if found is not None and can_view(user, found.school) else None


def by_district(rows: list[SampledSchool]) -> list[dict[str, Any]]:
    """Per district: sampled schools and how many are in each state, in district code order — counted from the
    rows, so the table and the list under it always agree."""
    table: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = table.setdefault(
            row.district.code, {"district": row.district, "total": 0, **{s: 0 for s in State.values}}
        )
        entry["total"] += 1
        entry[row.status] += 1
    return [table[code] for code in sorted(table)]


def tasks_of(user: Any) -> list[SampledSchool]:
    """The sampled schools whose checklist waits for this user (principal or 采集员 granted at the school itself)."""
    schools = [m.org_id for m in memberships(user) if m.role in SCHOOL_ROLES and m.org.level == Level.SCHOOL]
    if not schools:
        return []
    return list(
        SampledSchool.objects.filter(school_id__in=schools)
        .exclude(status=State.READY)
        .select_related("campaign", "school")
        .order_by("campaign__test_day", "school__code")
    )


def takes_part(user: Any) -> bool:
    """Who gets the menu link: the city's and districts' offices, and the principals and 采集员 of sampled schools."""
    if getattr(user, "is_superuser", False):
        return True
    held = memberships(user)
    if any(m.role in OFFICE_ROLES and m.org.level in (Level.CITY, Level.DISTRICT) for m in held):
        return True
    schools = [m.org_id for m in held if m.role in SCHOOL_ROLES and m.org.level == Level.SCHOOL]
    return bool(schools) and SampledSchool.objects.filter(school_id__in=schools).exists()


def checklist_of(sampled: SampledSchool) -> list[dict[str, Any]]:
    """The school's checklist: each step with who confirmed it and when (None when not yet)."""
    done = {c.step: c for c in sampled.confirmations.all()}
    return [
        {"code": code, "name": name, "done": done.get(code)} for code, name in catalog.checklist(sampled.campaign.kind)
    ]


def districts_to_choose() -> QuerySet[OrgUnit]:
    from dudao.orgs.selectors import districts

    return districts()
