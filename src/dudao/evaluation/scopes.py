"""Which units and periods an evaluation page offers a user, so that no link leads to a scope a scheme refuses.

A scheme evaluates some levels (``Scheme.levels``) and, at school level, some schools (``Scheme.schools``); a user
sees the subtrees of their units. A 市教委 office (处室, a department) has no subtree of its own: its evaluation pages
look at the city, the unit its office belongs to. A page without a period opens on the latest period in which the
scheme has data for the unit (``Scheme.has_data``), not on the newest period overall.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dudao.collection import selectors
from dudao.orgs import selectors as orgs
from dudao.orgs.access import can_view, top_units
from dudao.orgs.vocabulary import Level

if TYPE_CHECKING:
    from dudao.collection.models import Period
    from dudao.orgs.models import OrgUnit

    from .registry import Scheme


def roots(user) -> list[OrgUnit]:
    """The units whose subtrees the user's evaluation pages cover: their highest units, a department's city instead
    of the department."""
    found: dict[str, OrgUnit] = {}
    for unit in top_units(user):
        if not can_view(user, unit):
            continue
        if unit.level == Level.DEPARTMENT and unit.parent is not None:
            unit = unit.parent
        found[unit.path] = unit
    return [u for p, u in sorted(found.items()) if not any(p != q and p.startswith(q) for q in found)]


def may_see(user, org: OrgUnit) -> bool:
    return any(org.path.startswith(root.path) for root in roots(user))


def units(scheme: Scheme, user) -> list[OrgUnit]:
    """The units in the user's subtrees that ``scheme`` evaluates, by path (so the user's own unit comes first)."""
    found: dict[int, OrgUnit] = {}
    for root in roots(user):
        inside = orgs.subtree(root)
        for level in scheme.levels:
            of_level = inside.filter(level=level)
            if level == Level.SCHOOL and scheme.schools is not None:
                of_level = scheme.schools(scheme.spec, of_level)
            found.update((u.pk, u) for u in of_level)
    return sorted(found.values(), key=lambda u: u.path)


def applies(scheme: Scheme, org: OrgUnit) -> bool:
    """``scheme`` evaluates ``org`` (its level, and for a school whether it is one of the scheme's schools)."""
    if org.level not in scheme.levels:
        return False
    if org.level == Level.SCHOOL and scheme.schools is not None:
        return scheme.schools(scheme.spec, orgs.subtree(org, Level.SCHOOL)).exists()
    return True


def default_unit(scheme: Scheme, user) -> OrgUnit | None:
    """The user's own unit when the scheme evaluates it, else the first unit below it that it does."""
    offered = units(scheme, user)
    return offered[0] if offered else None


def has_data(scheme: Scheme, period: Period, org: OrgUnit) -> bool:
    if scheme.has_data is not None:
        return scheme.has_data(scheme.spec, period, org)
    return any(
        selectors.approved_submissions(dataset=code, period=period, under=org).exists() for code in scheme.inputs
    )


def latest_period(scheme: Scheme, org: OrgUnit) -> Period | None:
    """The newest period in which ``scheme`` has data for ``org``; ``None`` when it has none at all."""
    return next((p for p in selectors.periods(newest_first=True) if has_data(scheme, p, org)), None)


def fallback_period() -> Period | None:
    """For a page without a scheme (the index) or a scheme without any data: the latest period with final data,
    else the newest period."""
    return selectors.latest_period_with_final_data() or selectors.periods(newest_first=True).first()
