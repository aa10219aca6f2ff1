"""Telling people what waits for them: one in-app :class:`Notification` per recipient, and an email to those who
have an address — both only for the kinds the recipient has not turned off.

The other apps call :func:`notify` after the change it reports (a return, a reminder, a publication request); the
row is written in the caller's transaction, the email is sent only once that transaction commits, so a change that
rolls back tells nobody. A failing mail server is logged, never the caller's error: the in-app message stands.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from dudao.errors import DudaoError

from .models import Notification, Preference
from .vocabulary import Kind

log = logging.getLogger(__name__)


def disabled_kinds(user: Any) -> set[str]:
    return set(Preference.objects.filter(user=user, enabled=False).values_list("kind", flat=True))


def notify(users: Iterable[Any], kind: str, title: str, body: str = "", link: str = "", key: str = "") -> list[Any]:
    """Tell each of ``users`` (once each; inactive users and those who turned ``kind`` off are skipped). With a
    ``key``, a user already told under the same kind and key is skipped too — what makes a job that runs again
    idempotent. Returns the notifications created."""
    if kind not in Kind.values:
        raise DudaoError(f"未知的消息类型：{kind}")
    recipients = {u.pk: u for u in users if u is not None and getattr(u, "is_active", True)}
    if not recipients:
        return []
    off = set(
        Preference.objects.filter(user_id__in=recipients, kind=kind, enabled=False).values_list("user_id", flat=True)
    )
    if key:
        off |= set(
            Notification.objects.filter(user_id__in=recipients, kind=kind, key=key).values_list("user_id", flat=True)
        )
    created = []
    for pk, user in recipients.items():
        if pk in off:
            continue
        try:
            with transaction.atomic():  # a concurrent run that told this user first wins the unique key
                created.append(
                    Notification.objects.create(
                        user=user, kind=kind, title=title[:200], body=body, link=link[:500], key=key[:200]
                    )
                )
        except IntegrityError:
            continue
    emails = [(n.user.email, n.title, n.body, n.link) for n in created if n.user.email]
    if emails:
        transaction.on_commit(lambda: _send(emails))
    return created


def _send(emails: list[tuple[str, str, str, str]]) -> None:
    site = settings.DUDAO_SITE_URL.rstrip("/")
    for address, title, body, link in emails:
        text = body + (f"\n\n{site}{link}" if link else "")
        try:
            send_mail(f"[督导] {title}", text, settings.DEFAULT_FROM_EMAIL, [address])
        except Exception:  # the mail server is down or refuses: the in-app message stands
            log.exception("notification email to %s failed", address)


def set_preferences(user: Any, enabled: Iterable[str]) -> None:
    """Turn on exactly the kinds in ``enabled`` for ``user`` and every other kind off."""
    on = set(enabled)
    unknown = on - set(Kind.values)
    if unknown:
        raise DudaoError("未知的消息类型：" + "、".join(sorted(unknown)))
    with transaction.atomic():
        for kind in Kind.values:
            Preference.objects.update_or_create(user=user, kind=kind, defaults={"enabled": kind in on})


def mark_read(user: Any, pk: int | None = None) -> int:
    """Mark one of the user's notifications read (or all of them without ``pk``); another user's is not found."""
    found = Notification.objects.filter(user=user, read_at__isnull=True)
    if pk is not None:
        found = found.filter(pk=pk)
    return found.update(read_at=timezone.now())
