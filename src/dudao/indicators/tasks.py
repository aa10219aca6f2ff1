"""Background job: the live refresh of one unit's figures and its ancestors' for one period (指标实时更新).

Queued by :func:`.apps.queue_refresh` when collection announces that counted data changed (a submission accepted,
reopened, or its values changed while they count); ``dudao db_worker`` runs it within seconds, the immediate backend
(tests, a single-process demo) at once after the commit.
"""

from django_tasks import task

from . import engine


@task()
def refresh_indicators(org_id: int, period_id: int) -> int:
    run = engine.refresh([org_id], period_id)
    return run.rows if run is not None else 0
