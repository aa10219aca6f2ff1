"""``{% monitoring_takes_part user as flag %}``: whether the menu offers 质量监测 to this user. A tag rather than a
context-processor entry because dudao.context is imported by apps beside monitoring in the layers (plans), which
must not depend on it; a template loading a tag library is no import edge."""

from typing import Any

from django import template

from dudao.monitoring.selectors import takes_part

register = template.Library()


@register.simple_tag
def monitoring_takes_part(user: Any) -> bool:
    return bool(user.is_authenticated) and takes_part(user)
