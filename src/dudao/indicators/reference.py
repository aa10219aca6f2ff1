"""A plain Django ORM + Python implementation of the indicator semantics.

Slow on purpose-free grounds — it is what one would write without an analytics engine — and kept for two reasons:
tests cross-check the DuckDB engine against it, and ``bench/analytics.py`` times it as the ORM path.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from dudao.collection.selectors import approved_values
from dudao.orgs.selectors import tree
from dudao.orgs.vocabulary import Level

from .definitions import Indicator


def orm_compute(indicators: Sequence[Indicator], values=None) -> dict[tuple[int, int, str], float | None]:
    """(org_id, period_id, indicator code) → value, for every org unit with at least one school reporting an
    element the indicators use (a kindergarten's approved form does not make it a vocational school) — or reporting
    such an element itself (a district's own 政府履责 figures), which then counts like one more school's, less the
    school count. ``own`` indicators are a unit's own figure: evaluated on its own values, never rolled up."""
    per_school: dict[tuple[int, int], dict[str, float]] = defaultdict(dict)
    used = set().union(*(i.elements for i in indicators))
    rows = approved_values().values_list("org_id", "period_id", "element__code", "number")
    for org, period, code, number in values if values is not None else rows:
        if code in used and number is not None:
            per_school[(org, period)][code] = float(number)
    units = tree()
    by_code = {code: pk for pk, (code, _, _) in units.items()}
    # every unit reaches itself and its ancestors: a school, or a district with values of its own (政府履责)
    ancestors = {pk: [by_code[c] for c in path.strip("/").split("/")] for pk, (_, path, _) in units.items()}
    schools = {pk for pk, (_, _, level) in units.items() if level == Level.SCHOOL}
    # per (org, period, indicator): [Σ numerator, Σ denominator, Σ school ratio, count of ratios, seen numerator,
    # seen denominator] — numerator and denominator are summed independently (DHIS2's ratio of sums)
    sums: dict[tuple[int, int, str], list] = defaultdict(lambda: [0.0, 0.0, 0.0, 0, False, False])
    rolled = [i for i in indicators if i.aggregation != "own"]
    own_values: dict[tuple[int, int, str], float | None] = {}
    for (org, period), values_ in per_school.items():
        for ind in indicators:
            if ind.aggregation == "own":
                num = ind.numerator.evaluate(values_)
                den = ind.denominator.evaluate(values_) if ind.denominator is not None else 1
                value = float(num) / float(den) * ind.factor if num is not None and den else None
                own_values[(org, period, ind.code)] = value
    for (school, period), values_ in per_school.items():
        own = school not in schools  # a unit's own values: a formula without elements (学校数's 1) is not for it
        for ind in rolled:
            num = None if own and not ind.numerator.names else ind.numerator.evaluate(values_)
            den = ind.denominator.evaluate(values_) if ind.denominator is not None else None
            if own and ind.denominator is not None and not ind.denominator.names:
                den = None
            ratio = float(num) / float(den) if num is not None and den not in (None, 0) else None
            for org in ancestors.get(school, []):
                cell = sums[(org, period, ind.code)]
                if num is not None:
                    cell[0] += float(num)
                    cell[4] = True
                if den is not None:
                    cell[1] += float(den)
                    cell[5] = True
                if ratio is not None:
                    cell[2] += ratio
                    cell[3] += 1
    result = {}
    factors = {i.code: (i.factor, i.aggregation) for i in indicators}
    for key, (num, den, ratio_sum, ratio_count, seen_num, seen_den) in sums.items():
        factor, aggregation = factors[key[2]]
        if aggregation == "sum":
            result[key] = num * factor if seen_num else None
        elif aggregation == "school_mean":
            result[key] = ratio_sum / ratio_count * factor if ratio_count else None
        else:
            result[key] = num / den * factor if seen_num and seen_den and den else None
    # every unit with a row — rolled up from its schools, or reporting itself — has every indicator
    for org, period in {(k[0], k[1]) for k in result} | set(per_school):
        for ind in indicators:
            key = (org, period, ind.code)
            result[key] = own_values.get(key) if ind.aggregation == "own" else result.get(key)
    return result


def _linear(indicator: Indicator) -> bool:
    """True when Σ over schools of the formula equals the formula of the Σs (no products or divisions of elements)."""
    import ast

    def ok(node) -> bool:
        if isinstance(node, (ast.Constant, ast.Name)):
            return True
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            return ok(node.left) and ok(node.right)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            return (isinstance(node.left, ast.Constant) and ok(node.right)) or (
                isinstance(node.right, ast.Constant) and ok(node.left)
            )
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            return ok(node.operand)
        return False

    exprs = [indicator.numerator] + ([indicator.denominator] if indicator.denominator is not None else [])
    return indicator.aggregation not in ("school_mean", "own") and all(ok(e.tree.body) for e in exprs)


def orm_aggregate(indicators: Sequence[Indicator]) -> dict[tuple[int, int, str], float | None]:
    """The Django ORM aggregation path: the database sums each element per org unit and period through
    ``values(...).annotate(Sum(...))`` — one GROUP BY query per tree level — and the formulas are applied to the sums
    in Python. Indicators that are not linear in the elements (products, 校均 means) cannot be summed that way and
    fall back to the per-school evaluation of :func:`orm_compute`."""
    from django.db.models import Count, Sum

    values = approved_values().filter(org__level=Level.SCHOOL)  # units above the schools never roll up
    depth = max(path.count("/") - 1 for _, path, level in tree().values() if level == Level.SCHOOL)
    result: dict[tuple[int, int, str], float | None] = {}
    linear = [i for i in indicators if _linear(i)]
    for level in range(depth):
        field = "org" + "__parent" * level + "_id" if level else "org_id"
        totals: dict[tuple[int, int], dict[str, float]] = defaultdict(dict)
        for org, period, code, total, _ in (
            values.values(field, "period_id", "element__code")
            .annotate(total=Sum("number"), n=Count("id"))
            .values_list(field, "period_id", "element__code", "total", "n")
        ):
            if org is not None:
                totals[(org, period)][code] = float(total)
        for (org, period), sums in totals.items():
            for ind in linear:
                num = ind.numerator.evaluate(sums)
                den = ind.denominator.evaluate(sums) if ind.denominator is not None else None
                if ind.aggregation == "sum":
                    value = float(num) * ind.factor if num is not None else None
                else:
                    value = float(num) / float(den) * ind.factor if num is not None and den else None
                result[(org, period, ind.code)] = value
    others = [i for i in indicators if not _linear(i)]
    if others:
        result.update(orm_compute(others))
    return result
