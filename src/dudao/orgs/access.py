"""Who may see and do what where — the one place the subtree rule lives.

A role granted at an org unit applies to that unit and everything below it; nothing applies upwards or sideways.
Views, the Excel importer and (later) the API call these functions instead of filtering by hand, so the rule cannot
drift between entry points.
"""

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from .models import Membership, OrgUnit
from .vocabulary import Role

# Roles that may read data (every role reads within its subtree).
READ_ROLES = frozenset(Role.values)


def memberships(user: Any) -> list[Membership]:
    if not getattr(user, "is_authenticated", False):
        return []
    cache = getattr(user, "_dudao_memberships", None)
    if cache is None:
        cache = list(Membership.objects.filter(user=user).select_related("org"))
        user._dudao_memberships = cache
    return cache


def roles_at(user: Any, org: OrgUnit) -> set[str]:
    """Roles the user holds at ``org`` through a grant at it or at an ancestor."""
    if getattr(user, "is_superuser", False):
        return set(Role.values)
    return {m.role for m in memberships(user) if org.path.startswith(m.org.path)}


def has_role(user: Any, org: OrgUnit, *roles: str) -> bool:
    return bool(roles_at(user, org) & set(roles))


def can_view(user: Any, org: OrgUnit) -> bool:
    return bool(roles_at(user, org) & READ_ROLES)


def visible_units(user, roles: Iterable[str] = READ_ROLES) -> QuerySet[OrgUnit]:
    """All units inside the subtrees where the user holds one of ``roles``."""
    if getattr(user, "is_superuser", False):
        return OrgUnit.objects.all()
    roots = [m.org.path for m in memberships(user) if m.role in set(roles)]
    if not roots:
        return OrgUnit.objects.none()
    query = Q()
    for path in roots:
        query |= Q(path__startswith=path)
    return OrgUnit.objects.filter(query)


def top_units(user) -> list[OrgUnit]:
    """The highest units where the user holds any role (what their home page starts from)."""
    if getattr(user, "is_superuser", False):
        return list(OrgUnit.objects.filter(parent__isnull=True))
    units = {m.org.path: m.org for m in memberships(user)}
    return [u for p, u in sorted(units.items()) if not any(p != q and p.startswith(q) for q in units)]


def scope_unit(user, code: str | None = None) -> OrgUnit | None:
    """The unit ``code`` names — or, without a code, the user's highest unit — if the user may see it; ``None``
    otherwise, and equally for a code that does not exist (callers answer 404 either way: no existence leak)."""
    if code:
        org = OrgUnit.objects.filter(code=code).first()
    else:
        tops = top_units(user)
        org = tops[0] if tops else None
    return org if org is not None and can_view(user, org) else None


def _ancestor_paths(org: OrgUnit) -> list[str]:
    """``org``'s own path and every ancestor's, nearest first (paths are materialised: ``/310000/310101/…/``)."""
    parts = org.path.strip("/").split("/")
    return ["/" + "/".join(parts[:n]) + "/" for n in range(len(parts), 0, -1)]


def holders(org: OrgUnit, roles: Iterable[str], *, nearest: bool = False, exclude: Iterable[int] = ()) -> list[Any]:
    """Active users who hold one of ``roles`` at ``org`` — granted there or at an ancestor, as :func:`roles_at` reads
    a grant. With ``nearest``, only those granted at the closest unit that has any such holder: a returned submission
    is news for the school's own collectors, not for a city admin who happens to hold the same role above them; a
    unit without holders of its own falls back to the unit above it. ``exclude`` (user ids) are left out before the
    nearest unit is chosen — the person who acted is not told, and the next unit up is, when nobody else is there."""
    paths = _ancestor_paths(org)
    found = (
        Membership.objects.filter(role__in=list(roles), org__path__in=paths, user__is_active=True)
        .exclude(user_id__in=list(exclude))
        .select_related("user", "org")
        .order_by("user_id")
    )
    if nearest:
        found_list = list(found)
        for path in paths:
            at = [m for m in found_list if m.org.path == path]
            if at:
                found_list = at
                break
        members = found_list
    else:
        members = list(found)
    users: dict[int, Any] = {}
    for m in members:
        users.setdefault(m.user_id, m.user)
    return list(users.values())
