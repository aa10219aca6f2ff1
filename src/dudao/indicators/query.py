"""Reading indicator results: one org and period with year-on-year change, series for charts, filtered roll-ups."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from dudao.collection import selectors
from dudao.orgs import selectors as orgs
from dudao.rounding import rounded

from .definitions import Indicator, by_code, catalog
from .models import IndicatorValue, Rebuild, Refresh

if TYPE_CHECKING:
    from dudao.collection.models import Period
    from dudao.orgs.models import OrgUnit


@dataclass
class Reading:
    code: str
    name: str
    unit: str
    kind: str
    decimals: int
    value: float | None
    previous: float | None
    change: float | None
    change_unit: str
    raw: float | None
    numerator: float | None
    denominator: float | None
    schools: int
    aggregation: str
    section: str
    note: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def _reading(ind: Indicator, row: IndicatorValue | None, prev: IndicatorValue | None) -> Reading:
    raw = row.value if row else None
    previous = prev.value if prev else None
    change = ind.change(raw, previous)
    change_places = ind.decimals if ind.kind == "rate" else 2
    return Reading(
        code=ind.code,
        name=ind.name,
        unit=ind.unit,
        kind=ind.kind,
        decimals=ind.decimals,
        value=rounded(raw, ind.decimals),
        previous=rounded(previous, ind.decimals),
        change=rounded(change, change_places),
        change_unit=ind.change_unit,
        raw=raw,
        numerator=row.numerator if row else None,
        denominator=row.denominator if row else None,
        schools=row.schools if row else 0,
        aggregation=ind.aggregation,
        section=ind.section,
        note=ind.note,
    )


def readings(org: OrgUnit, period: Period) -> dict[str, Reading]:
    """Every indicator for ``org`` in ``period`` with its change on the previous period."""
    previous = period.previous()
    rows = IndicatorValue.objects.filter(org=org, period__in=[p for p in (period, previous) if p])
    current = {r.indicator: r for r in rows if r.period_id == period.id}
    before = {r.indicator: r for r in rows if previous and r.period_id == previous.id}
    return {ind.code: _reading(ind, current.get(ind.code), before.get(ind.code)) for ind in catalog()}


def series(org: OrgUnit, codes: list[str], periods: list[Period]) -> dict[str, list[float | None]]:
    """Rounded values of ``codes`` for ``org`` over ``periods`` (for trend charts and tables)."""
    defs = by_code()
    rows = IndicatorValue.objects.filter(org=org, indicator__in=codes, period__in=periods)
    table = {(r.indicator, r.period_id): r.value for r in rows}
    return {c: [rounded(table.get((c, p.id)), defs[c].decimals) for p in periods] for c in codes}


def periods_with_results(indicator: str | None = None, newest_first: bool = False) -> list[Period]:
    """The periods holding results (of ``indicator``, when given), oldest first unless ``newest_first``."""
    rows = IndicatorValue.objects.all() if indicator is None else IndicatorValue.objects.filter(indicator=indicator)
    return list(selectors.periods(ids=rows.values_list("period_id", flat=True), newest_first=newest_first))


def data_as_of(period: Period | None = None) -> datetime | None:
    """When the figures (of ``period``, or any) were last brought up to date — the later of the last full rebuild and
    the last live refresh: the "数据截至" every figure page shows. None before the first rebuild."""
    refreshes = Refresh.objects.all() if period is None else Refresh.objects.filter(period=period)
    times = [
        t
        for t in (
            Rebuild.objects.values_list("finished_at", flat=True).first(),
            refreshes.order_by("-finished_at").values_list("finished_at", flat=True).first(),
        )
        if t is not None
    ]
    return max(times, default=None)


def as_json(org: OrgUnit, period: Period) -> dict:
    return {
        "org": org.code,
        "org_name": org.name,
        "period": period.code,
        "indicators": {code: r.as_dict() for code, r in readings(org, period).items()},
    }


def rollup(indicator: Indicator, school_rows: list[IndicatorValue]) -> float | None:
    """Re-aggregate school-level results for any subset of schools, with the indicator's own aggregation — ``None``
    for an ``own`` indicator, a unit's own figure that no set of schools adds up to."""
    if indicator.aggregation == "own":
        return None
    # (numerator, denominator) of the schools with a numerator: a school without one counts on neither side
    rows = [(r.numerator, r.denominator) for r in school_rows if r.numerator is not None]
    if indicator.aggregation == "school_mean":
        ratios = [r.value for r in school_rows if r.value is not None]
        return sum(ratios) / len(ratios) if ratios else None
    numerator = sum(n for n, _ in rows)
    if indicator.aggregation == "sum":
        return numerator * indicator.factor if rows else None
    denominator = sum(d for _, d in rows if d is not None)
    return numerator / denominator * indicator.factor if denominator else None


def school_slice(scope: OrgUnit, groups: dict[str, str]):
    """The schools under ``scope`` in every one of ``groups`` ({group set: group}; an empty group means any) — the
    one slicing rule the cockpit's filters and a report's ``{{schools?affiliation=…}}`` share."""
    schools = orgs.schools_under(scope)
    for set_code, group in groups.items():
        if group:
            schools = orgs.in_groups(schools, set_code, [group])
    return schools


def sliced_reading(org: OrgUnit, period: Period, code: str, groups: dict[str, str]) -> Reading:
    """One indicator for the schools of ``org`` that belong to ``groups`` (e.g. ``{"affiliation": "city_bureau"}``),
    re-aggregated from school-level results with the indicator's own aggregation — "19所隶属市教委" is a count of
    schools with approved data, computed like every other figure, not typed."""
    indicator = by_code()[code]
    ids = list(school_slice(org, groups).values_list("id", flat=True))
    previous = period.previous()
    rows = list(
        IndicatorValue.objects.filter(indicator=code, org_id__in=ids, period__in=[p for p in (period, previous) if p])
    )
    now = [r for r in rows if r.period_id == period.id]
    before = [r for r in rows if previous and r.period_id == previous.id]

    def total(part: list[IndicatorValue]) -> IndicatorValue | None:
        value = rollup(indicator, part) if part else None
        return None if value is None else IndicatorValue(value=value, schools=len(part))

    return _reading(indicator, total(now), total(before))
