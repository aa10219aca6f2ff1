"""Number formatting for evaluation tables: ``None`` shows as "—" (not computable), never as 0."""

from decimal import Decimal

from django import template

from dudao.rounding import fixed

register = template.Library()


@register.filter
def num(value, digits=2):
    if value is None or value == "":
        return "—"
    return fixed(float(value), int(digits), grouping=True)


@register.filter
def pct(value):
    """A share as a percentage with one decimal, half-up as the report prints it: 0.9845 → "98.5%" (in floats
    0.9845 × 100 is 98.44999…, which would show 98.4%)."""
    if value is None:
        return "—"
    exact = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    return f"{fixed(exact * 100, 1)}%"


@register.filter
def verdict(passed):
    return {True: "达标", False: "未达标"}.get(passed, "无数据")


@register.filter
def unit_verdict(unit):
    """A unit's verdict, 数据不全 when data it needs is missing (its ``incomplete``)."""
    return "数据不全" if unit.get("incomplete") else verdict(unit.get("passed"))


@register.filter
def has_missing(units):
    """Whether any unit lists missing data (``missing``): the page then shows the list."""
    return any(u.get("missing") for u in units or [])


@register.filter
def has_missing_values(universities):
    return any(u.get("missing") or u.get("invalid") for u in universities or [])


@register.filter
def has_partial(unit):
    """Whether any of an area's items is computed over part of its districts (``partial``)."""
    return any(r.get("partial") for part in ("core", "conditions") for r in unit.get(part, []))


@register.filter
def max_cv(rows):
    values = [r["cv"] for r in rows or [] if r["cv"] is not None]
    return max(values) if values else None


@register.filter
def closed_count(rows):
    return sum(r["status"] == "closed" for r in rows)


@register.filter
def overdue_count(rows):
    return sum(bool(r["overdue"]) for r in rows)


@register.filter
def has_gaps(units):
    """Whether any unit with data lacks an item from a source (self-evaluation, survey, on-site check): ``gaps``."""
    return any(u.get("gaps") and u.get("kindergartens") for u in units or [])


@register.filter
def items_of(unit, name):
    """The item list ``name`` of a unit (``core``, ``onsite`` …): the parts of a scheme name their lists as data."""
    return unit.get(name, []) if unit else []


@register.filter
def get(mapping, key):
    return (mapping or {}).get(key, "")
