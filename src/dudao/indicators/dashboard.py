"""数字驾驶舱: trend and comparison series for analysts, re-aggregated for any slice of schools.

Filters by 学校类型 and 隶属 select school-level results; :func:`query.rollup` sums their numerators and denominators,
so a filtered city value is still a ratio of sums — never an average of averages.

A comparison of many units is read by its leaders: the top N (default 10) by value, then one bar 其他 for the rest.
其他 is re-aggregated from the rest's school rows with the indicator's own aggregation (ratio of their summed
numerators and denominators, their sum, their school mean) — an average of the rest's ratios would weigh a school of
100 students like one of 5,000. Bars lie down (horizontal) when a name is longer than a district's, so school names
stay readable. The city's comparison also feeds the district map, keyed by the feature names of the vendored
boundary file (:mod:`.geo`), which are the districts' org names.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from dudao.orgs import selectors as orgs
from dudao.orgs.vocabulary import Level
from dudao.rounding import rounded

from .definitions import Indicator, by_code
from .geo import district_names
from .models import IndicatorValue
from .query import periods_with_results, rollup, school_slice

if TYPE_CHECKING:
    from dudao.collection.models import Period
    from dudao.orgs.models import OrgUnit

TOP = 10
# 浦东新区 is the longest district name; a longer name (a school's) does not fit under a vertical bar.
SHORT_NAME = 4


def school_filter(scope: OrgUnit, school_type: str = "", affiliation: str = ""):
    return school_slice(scope, {"school_type": school_type, "affiliation": affiliation})


@dataclass
class Bar:
    """One unit of a comparison: its value and the school rows it was rolled up from (for 其他)."""

    name: str
    code: str | None
    level: str
    value: float | None
    rows: list = field(default_factory=list)


def orientation(names: list[str]) -> str:
    return "horizontal" if any(len(n) > SHORT_NAME for n in names) else "vertical"


def ranked(indicator: Indicator, bars: list[Bar], top: int = TOP) -> dict:
    """``bars`` by value (highest first, no data last); beyond ``top`` (0: no limit) one bar 其他 re-aggregated
    from the school rows of the rest. ``orientation`` is ``horizontal`` when any name is longer than a district's."""
    order = sorted(bars, key=lambda b: (b.value is None, -(b.value or 0)))
    shown, rest = (order, []) if top <= 0 or len(order) <= top else (order[:top], order[top:])
    out = [Bar(b.name, b.code, b.level, rounded(b.value, indicator.decimals)) for b in shown]
    other = None
    if rest:
        rows = [r for b in rest for r in b.rows]
        value = rounded(rollup(indicator, rows) if rows else None, indicator.decimals)
        other = {"units": len(rest), "names": [b.name for b in rest], "value": value}
        out.append(Bar(_("其他"), None, "other", value))
    return {
        "names": [b.name for b in out],
        "values": [b.value for b in out],
        "codes": [b.code for b in out],
        "levels": [b.level for b in out],
        "other": other,
        "orientation": orientation([b.name for b in out]),
    }


def _map(indicator: Indicator, bars: list[Bar]) -> dict:
    """Every feature of the boundary file with its district's value (``None`` without data), keyed by name."""
    by_name = {b.name: b for b in bars if b.level == Level.DISTRICT}
    values = []
    for name in district_names():
        bar = by_name.get(name)
        value = rounded(bar.value, indicator.decimals) if bar else None
        values.append({"name": name, "code": bar.code if bar else None, "value": value})
    return {"values": values}


def _benchmark(indicator: Indicator, school: OrgUnit, period: Period) -> dict:
    """A school's cockpit compares the school with its district and the city (their stored figures)."""
    units = []
    node: OrgUnit | None = school
    while node is not None:
        units.append(node)
        node = node.parent
    stored = {
        v.org_id: v.value for v in IndicatorValue.objects.filter(indicator=indicator.code, period=period, org__in=units)
    }
    units = [u for u in units if u.level != Level.DEPARTMENT]
    names = [u.name for u in units]  # the school first, then upwards — not by value
    return {
        "names": names,
        "values": [rounded(stored.get(u.id), indicator.decimals) for u in units],
        "codes": [u.code for u in units],
        "levels": [u.level for u in units],
        "other": None,
        "orientation": orientation(names),
    }


def data(
    scope: OrgUnit, code: str, period: Period, school_type: str = "", affiliation: str = "", top: int = TOP
) -> dict:
    indicator = by_code()[code]
    schools = {s.id: s.path for s in school_filter(scope, school_type, affiliation)}
    rows = list(IndicatorValue.objects.filter(indicator=code, org_id__in=schools).select_related("period"))
    by_period: dict[int, list] = defaultdict(list)
    for row in rows:
        by_period[row.period_id].append(row)
    periods = periods_with_results(code)
    trend = [rounded(rollup(indicator, by_period.get(p.id, [])), indicator.decimals) for p in periods]
    current = by_period.get(period.id, [])
    result = {
        "indicator": {"code": code, "name": indicator.name, "unit": indicator.unit, "note": indicator.note},
        "scope": scope.name,
        "level": scope.level,
        "schools": len({r.org_id for r in current}),
        "trend": {"periods": [p.code for p in periods], "values": trend},
    }
    if scope.level == Level.SCHOOL:
        result["comparison"] = {"period": period.code, **_benchmark(indicator, scope, period)}
        return result
    bars = []
    for child in orgs.children(scope, [Level.DISTRICT, Level.SCHOOL]):
        inside = [r for r in current if schools[r.org_id].startswith(child.path)]
        bars.append(Bar(child.name, child.code, child.level, rollup(indicator, inside) if inside else None, inside))
    result["comparison"] = {"period": period.code, "top": top, **ranked(indicator, bars, top)}
    if scope.level == Level.CITY:
        result["map"] = _map(indicator, bars)
    return result
