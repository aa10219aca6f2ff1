"""Number formatting for evaluation tables: ``None`` shows as "—" (not computable), never as 0."""

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
    return "—" if value is None else f"{fixed(float(value) * 100, 1)}%"


@register.filter
def verdict(passed):
    return {True: "达标", False: "未达标"}.get(passed, "无数据")


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
