from typing import Any

from django import template

from .. import selectors

register = template.Library()


@register.inclusion_tag("supervision/_nav.html")
def supervision_nav(user: Any) -> dict:
    """The 督学 pages' menu, offering only what the user may open: the visit form to those who record visits (an
    inspector with schools, an office), the registry, board and sampling to the offices."""
    return {
        "records_visits": bool(selectors.recordable_schools(user)),
        "manages": selectors.may_manage(user),
    }
