"""Numbers on the survey pages: ``None`` shows as "—" (nothing answered), never as 0; half-up (dudao.rounding)."""

from django import template

from dudao.rounding import fixed

register = template.Library()


@register.filter
def num(value, digits=1):
    if value is None or value == "":
        return "—"
    return fixed(value, int(digits))
