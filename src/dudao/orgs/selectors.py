"""Reads of the org tree that other apps make: units by code, the city and its districts, subtrees, groups.

Orgs' models are private to this app (an import-linter contract in ``pyproject.toml``); other apps ask these
functions, :mod:`.access` (who may see what) or :mod:`.services` (writes), so the tree's shape — a materialised
``path`` per unit, groups as a many-to-many — stays this app's business.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from .models import Membership, OrgGroup, OrgUnit
from .vocabulary import Level

Units = QuerySet[OrgUnit, OrgUnit]

# --------------------------------------------------------------------------- units


def unit(code: str, level: str | None = None) -> OrgUnit | None:
    """The unit with ``code`` (and ``level``, when given); ``None`` when there is none, so each caller answers in
    its own way (404, a command error, a DudaoError)."""
    units = OrgUnit.objects.filter(code=code)
    if level:
        units = units.filter(level=level)
    return units.first()


def city() -> OrgUnit | None:
    """The root of the tree; ``None`` until the org catalog is loaded."""
    return OrgUnit.objects.filter(level=Level.CITY).first()


def districts(under: OrgUnit | None = None) -> Units:
    """The districts — all of them, or those in ``under``'s subtree — by code."""
    units = OrgUnit.objects.filter(level=Level.DISTRICT)
    if under is not None:
        units = units.filter(path__startswith=under.path)
    return units.order_by("code")


def children(org: OrgUnit, levels: Iterable[str] | None = None) -> Units:
    """The units directly under ``org`` (of ``levels``, when given), by code."""
    units = org.children.all()
    if levels is not None:
        units = units.filter(level__in=list(levels))
    return units.order_by("code")


def subtree(org: OrgUnit, level: str | None = None) -> Units:
    """``org`` and every unit below it (of ``level``, when given): one indexed ``path`` prefix query."""
    units = OrgUnit.objects.filter(path__startswith=org.path)
    return units.filter(level=level) if level else units


def schools_under(org: OrgUnit | None = None) -> Units:
    """The schools in ``org``'s subtree; every school without ``org``."""
    return subtree(org, Level.SCHOOL) if org is not None else OrgUnit.objects.filter(level=Level.SCHOOL)


def departments_and_districts() -> Units:
    """The city's departments (处室), then the districts — the units a plan's task is assigned to."""
    return OrgUnit.objects.filter(level__in=[Level.DEPARTMENT, Level.DISTRICT]).order_by("level", "code")


def tree_edges() -> list[tuple[int, int | None]]:
    """(unit id, parent id) of every unit, departments included (they simply never receive data): the analytics
    engine rolls results up along these edges."""
    return list(OrgUnit.objects.values_list("id", "parent_id"))


def lines_to_root(org_ids: Iterable[int] = (), path: str = "") -> list[tuple[int, str]]:
    """(id, path) of the given units (by ids, or the one at ``path``) and of every unit above them, root first: the
    units whose totals a change at those units moves."""
    paths = set(OrgUnit.objects.filter(id__in=list(org_ids)).values_list("path", flat=True))
    if path:
        paths.add(path)
    prefixes = {p[: i + 1] for p in paths for i, char in enumerate(p) if char == "/" and i > 0}
    return list(OrgUnit.objects.filter(path__in=prefixes).order_by("path").values_list("id", "path"))


def non_school_units() -> list[int]:
    """Ids of the units that are not schools (the city, districts, departments): the analytics engine rolls up their
    own values (a district's 政府履责 figures) without counting them as schools."""
    return list(OrgUnit.objects.exclude(level=Level.SCHOOL).values_list("id", flat=True))


def tree() -> dict[int, tuple[str, str, str]]:
    """unit id → (code, path, level) of every unit, for the reference implementations that roll up in Python."""
    return {
        pk: (code, path, level) for pk, code, path, level in OrgUnit.objects.values_list("id", "code", "path", "level")
    }


# --------------------------------------------------------------------------- groups


def in_groups(units: Units, set_code: str, codes: Iterable[str] | None = None) -> Units:
    """Those of ``units`` in one of the groups ``codes`` of the group set ``set_code`` (in any of its groups when
    ``codes`` is ``None``). Chaining two calls asks for both sets (学校类型 *and* 隶属)."""
    if codes is None:
        return units.filter(groups__group_set__code=set_code).distinct()
    return units.filter(groups__group_set__code=set_code, groups__code__in=list(codes)).distinct()


def group_codes(units: Iterable[OrgUnit], set_code: str) -> dict[int, str]:
    """unit id → the code of its group in ``set_code``, for the units that have one (at most one per set)."""
    through = OrgUnit.groups.through.objects.filter(orgunit__in=units, orggroup__group_set__code=set_code)
    return dict(through.values_list("orgunit_id", "orggroup__code"))


def group_of(org: OrgUnit, set_code: str) -> OrgGroup | None:
    """The unit's group in ``set_code``, if it has one."""
    return org.groups.filter(group_set__code=set_code).first()


def group_names(set_codes: Iterable[str]) -> dict[tuple[str, str], str]:
    """(group set code, group code) → group name, for every group of the sets ``set_codes``."""
    rows = OrgGroup.objects.filter(group_set__code__in=list(set_codes)).values_list("group_set__code", "code", "name")
    return {(set_code, code): name for set_code, code, name in rows}


def groups_in_use(set_code: str) -> QuerySet[OrgGroup, OrgGroup]:
    """The groups of ``set_code`` with at least one unit (a filter that offers an empty choice finds nothing)."""
    return OrgGroup.objects.filter(group_set__code=set_code, units__isnull=False).distinct()


# --------------------------------------------------------------------------- role holders


def role_holders(units: Iterable[OrgUnit], roles: Iterable[str]) -> list[tuple[OrgUnit, Any]]:
    """(unit, user) for every grant of one of ``roles`` made *at* one of ``units`` (not inherited from above): the
    people of that unit itself — whom a reminder to the unit should reach, not the district or city above it."""
    grants = Membership.objects.filter(org__in=list(units), role__in=list(roles)).select_related("org", "user")
    return [(m.org, m.user) for m in grants.order_by("org__code", "user__username")]
