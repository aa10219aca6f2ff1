"""Who made a change, and why, in the audit trail (django-simple-history).

simple-history takes a history row's user and reason from the instance being saved: it reads ``_history_user`` and
``_change_reason`` when they are set, which is how a change is attributed outside a request (services run from pages,
the API, imports and commands alike). The models do not declare these attributes, so they are set here, in one place.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models


def set_author(instance: models.Model, user: AbstractBaseUser, reason: str | None = None) -> None:
    """Make the next ``instance.save()`` record ``user`` (and ``reason``, when given) in its history row."""
    # attributes simple-history looks for on the instance, not fields of the model: hence the ignores
    instance._history_user = user  # type: ignore[attr-defined]
    if reason is not None:
        instance._change_reason = reason  # type: ignore[attr-defined]
