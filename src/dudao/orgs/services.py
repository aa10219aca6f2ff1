"""Writes to the org tree that other apps make: schools (with their groups), role grants, sign-in attempts.

Orgs' models are private to this app; the demo, the bench loader and :mod:`dudao.security` write through these.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .catalog import group
from .models import LoginAttempt, Membership, OrgUnit, SignInCounter
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


def take_sign_in_slots(limits: Sequence[tuple[str, int]], since: datetime) -> bool:
    """Count one more failure for every ``(key, limit)`` — all of them, or none if any key has reached its limit.

    An attempt is counted as failed *before* its password is checked (:func:`settle_sign_in_slots` gives the slot
    back on success), so the check and the count are one step: ``UPDATE … WHERE failures < limit`` either raises the
    count or matches nothing, atomically on SQLite (one writer at a time) and on PostgreSQL (the second updater
    waits for the row and re-checks the condition on the committed value). A count older than ``since`` restarts.
    Keys are taken in the caller's order, so two attempts never wait for each other's rows crosswise."""
    now = timezone.now()
    with transaction.atomic():
        for key, limit in limits:
            SignInCounter.objects.get_or_create(key=key, defaults={"since": now})
            SignInCounter.objects.filter(key=key, since__lt=since).update(failures=0, since=now)
            if not SignInCounter.objects.filter(key=key, failures__lt=limit).update(failures=F("failures") + 1):
                transaction.set_rollback(True)  # give back the slots already taken for the earlier keys
                return False
    return True


def settle_sign_in_slots(keys: Sequence[str], succeeded: bool, reset: Sequence[str] = ()) -> None:
    """After the password check: a success gives the slots of ``keys`` back and clears the counts of ``reset``
    (failures before a user's last success do not count against the name); a failure keeps them."""
    if not succeeded:
        return
    with transaction.atomic():
        SignInCounter.objects.filter(key__in=reset).update(failures=0)
        SignInCounter.objects.filter(key__in=keys, failures__gt=0).exclude(key__in=reset).update(
            failures=F("failures") - 1
        )
