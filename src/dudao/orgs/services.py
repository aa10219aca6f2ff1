"""Writes to the org tree that other apps make: schools (with their groups), role grants, sign-in attempts.

Orgs' models are private to this app; the demo, the bench loader and :mod:`dudao.security` write through these.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from .catalog import group
from .models import LoginAttempt, Membership, OrgUnit
from .vocabulary import Level

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def save_school(code: str, name: str, parent: OrgUnit, groups: Iterable[tuple[str, str]]) -> OrgUnit:
    """Create or update the school ``code`` under ``parent``, in exactly the groups ``(set code, group code)``."""
    school, _ = OrgUnit.objects.update_or_create(
        code=code, defaults={"name": name, "level": Level.SCHOOL, "parent": parent}
    )
    school.groups.set([group(set_code, group_code) for set_code, group_code in groups])
    return school


def grant(user: User, org: OrgUnit, role: str) -> Membership:
    """Give ``user`` the role ``role`` at ``org`` (and so in its subtree); granting it again changes nothing."""
    membership, _ = Membership.objects.get_or_create(user=user, org=org, role=role)
    return membership


def record_sign_in(username: str, ip: str | None, succeeded: bool) -> None:
    """One sign-in attempt (web form or API token), kept in the database so every server process counts it."""
    LoginAttempt.objects.create(username=username[:150], ip=ip, succeeded=succeeded)
