"""数字驾驶舱: trend and comparison series for analysts, re-aggregated for any slice of schools.

Filters by 学校类型 and 隶属 select school-level results; :func:`query.rollup` sums their numerators and denominators,
so a filtered city value is still a ratio of sums — never an average of averages.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from dudao.orgs import selectors as orgs
from dudao.orgs.vocabulary import Level
from dudao.rounding import rounded

from .definitions import by_code
from .models import IndicatorValue
from .query import periods_with_results, rollup

if TYPE_CHECKING:
    from dudao.collection.models import Period
    from dudao.orgs.models import OrgUnit


def school_filter(scope: OrgUnit, school_type: str = "", affiliation: str = ""):
    schools = orgs.schools_under(scope)
    if school_type:
        schools = orgs.in_groups(schools, "school_type", [school_type])
    if affiliation:
        schools = orgs.in_groups(schools, "affiliation", [affiliation])
    return schools


def data(scope: OrgUnit, code: str, period: Period, school_type: str = "", affiliation: str = "") -> dict:
    indicator = by_code()[code]
    schools = {s.id: s.path for s in school_filter(scope, school_type, affiliation)}
    rows = list(IndicatorValue.objects.filter(indicator=code, org_id__in=schools).select_related("period"))
    by_period: dict[int, list] = defaultdict(list)
    for row in rows:
        by_period[row.period_id].append(row)
    periods = periods_with_results(code)
    trend = [rounded(rollup(indicator, by_period.get(p.id, [])), indicator.decimals) for p in periods]
    children = list(orgs.children(scope, [Level.DISTRICT, Level.SCHOOL]))
    current = [r for r in by_period.get(period.id, [])]
    comparison = []
    for child in children:
        inside = [r for r in current if schools[r.org_id].startswith(child.path)]
        comparison.append(rounded(rollup(indicator, inside), indicator.decimals) if inside else None)
    return {
        "indicator": {"code": code, "name": indicator.name, "unit": indicator.unit, "note": indicator.note},
        "scope": scope.name,
        "schools": len({r.org_id for r in current}),
        "trend": {"periods": [p.code for p in periods], "values": trend},
        "comparison": {"period": period.code, "names": [c.name for c in children], "values": comparison},
    }
