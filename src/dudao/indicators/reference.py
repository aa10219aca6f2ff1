"""A plain Django ORM + Python implementation of the indicator semantics.

Slow on purpose-free grounds — it is what one would write without an analytics engine — and kept for two reasons:
tests cross-check the DuckDB engine against it, and ``bench/analytics.py`` times it as the ORM path.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from dudao.orgs.models import Level, OrgUnit

from .definitions import Indicator
from .engine import approved_values


def orm_compute(indicators: Sequence[Indicator], values=None) -> dict[tuple[int, int, str], float | None]:
    """(org_id, period_id, indicator code) → value, for every org unit with at least one reporting school."""
    per_school: dict[tuple[int, int], dict[str, float]] = defaultdict(dict)
    for org, period, code, number in values if values is not None else approved_values():
        per_school[(org, period)][code] = float(number)
    units = {
        pk: (code, path, level) for pk, code, path, level in OrgUnit.objects.values_list("id", "code", "path", "level")
    }
    by_code = {code: pk for pk, (code, _, _) in units.items()}
    ancestors = {
        pk: [by_code[c] for c in path.strip("/").split("/")]
        for pk, (_, path, level) in units.items()
        if level == Level.SCHOOL
    }
    sums: dict[tuple[int, int, str], list] = defaultdict(lambda: [0.0, 0.0, [], False])
    for (school, period), values_ in per_school.items():
        for ind in indicators:
            num = ind.numerator.evaluate(values_)
            den = ind.denominator.evaluate(values_) if ind.denominator is not None else None
            for org in ancestors.get(school, []):
                cell = sums[(org, period, ind.code)]
                if ind.aggregation == "sum":
                    if num is not None:
                        cell[0] += float(num)
                        cell[3] = True
                elif num is not None and den is not None:
                    cell[0] += float(num)
                    cell[1] += float(den)
                    cell[3] = True
                    if den != 0:
                        cell[2].append(float(num) / float(den))
    result = {}
    factors = {i.code: (i.factor, i.aggregation) for i in indicators}
    for key, (num, den, ratios, seen) in sums.items():
        factor, aggregation = factors[key[2]]
        if not seen:
            result[key] = None
        elif aggregation == "sum":
            result[key] = num * factor
        elif aggregation == "school_mean":
            result[key] = sum(ratios) / len(ratios) * factor if ratios else None
        else:
            result[key] = num / den * factor if den else None
    return result
