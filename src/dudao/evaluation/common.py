"""What the evaluation schemes share: the period and org scope an evaluation runs for, the districts it covers, the
pass/fail count of their verdicts, and who counts as an inspector on the scheme pages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dudao.collection import selectors
from dudao.errors import DudaoError
from dudao.orgs import selectors as orgs
from dudao.orgs.vocabulary import Level, Role

if TYPE_CHECKING:
    from dudao.collection.models import Period
    from dudao.orgs.models import OrgUnit

INSPECT_ROLES = (Role.INSPECTOR, Role.CITY_ADMIN)  # who scores, raises findings, revisits and records visits


def resolve(period_code: str, org_code: str | None) -> tuple[Period, OrgUnit]:
    """The period and org an evaluation runs for (without an org: the city)."""
    period = selectors.period(period_code)
    if period is None:
        raise DudaoError(f"没有期间 {period_code!r}")
    if org_code:
        org = orgs.unit(org_code)
        if org is None:
            raise DudaoError(f"没有机构 {org_code!r}")
    else:
        city = orgs.city()
        if city is None:
            raise DudaoError("尚未加载机构目录")
        org = city
    return period, org


def districts(org: OrgUnit) -> list[OrgUnit]:
    """The districts a district-level scheme evaluates for ``org``: all of a city's, or the district itself."""
    if org.level == Level.CITY:
        return list(orgs.districts(under=org))
    if org.level == Level.DISTRICT:
        return [org]
    raise DudaoError(f"{org.name}不是市或区，本方案以区为单位评估")


def pass_counts(results: list[dict[str, Any]]) -> dict[str, int]:
    return {
        "passed": sum(r["passed"] is True for r in results),
        "failed": sum(r["passed"] is False for r in results),
        "no_data": sum(r["passed"] is None for r in results),
    }


def pass_counts_incomplete(results: list[dict[str, Any]]) -> dict[str, int]:
    """:func:`pass_counts` with the units whose verdict is 数据不全 (``incomplete``) counted apart from 无数据."""
    counts = pass_counts(results)
    counts["incomplete"] = sum(bool(r.get("incomplete")) for r in results)
    counts["no_data"] -= counts["incomplete"]
    return counts
