"""Reads of a user's notifications: the list, the unread count for the navigation badge, the preferences."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import Notification, Preference
from .vocabulary import Kind


def notifications(user: Any) -> QuerySet[Notification, Notification]:
    return Notification.objects.filter(user=user)


def notification(user: Any, pk: int) -> Notification | None:
    return Notification.objects.filter(user=user, pk=pk).first()


def unread_count(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def preferences(user: Any) -> list[tuple[str, str, bool]]:
    """(kind, label, enabled) for every kind; a kind without a stored choice is on."""
    stored = dict(Preference.objects.filter(user=user).values_list("kind", "enabled"))
    return [(kind, str(label), stored.get(kind, True)) for kind, label in Kind.choices]
