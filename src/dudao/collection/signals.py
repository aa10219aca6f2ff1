"""Counted data changed (已核准数据变化): the one signal readers above collection listen to.

Collection and review sit below the indicator engine (import-linter layers), so they cannot call it; they announce
instead. ``counted_data_changed`` is sent — after the transaction commits, never for a change rolled back — whenever
the approved data of one unit and period may have changed: a submission moved into or out of a counting (locked)
state, or values were saved while that unit's data for that period count. ``indicators`` connects to it in its
``AppConfig.ready`` and queues a refresh of that unit and its ancestors.
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal

# kwargs: org_id, period_id
counted_data_changed = Signal()


def announce(org_id: int, period_id: int) -> None:
    """Send :data:`counted_data_changed` once the current transaction commits (at once outside one)."""
    transaction.on_commit(
        lambda: counted_data_changed.send(sender=announce, org_id=org_id, period_id=period_id), robust=True
    )
