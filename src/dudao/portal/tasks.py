"""Background job: prepare every school report of a unit for publication, with progress (批量生成).

Each school is its own small transaction: a killed worker leaves finished schools finished and nothing half-made,
and running the job again skips schools that already have a pending version from an earlier attempt.
"""

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from dudao import faults
from dudao.orgs.selectors import schools_under

from . import publishing
from .models import BatchRun, Publication


@task()
def prepare_school_reports(batch_id: int) -> int:
    batch = BatchRun.objects.select_related("org", "period", "requested_by").get(pk=batch_id)
    schools = [s for s in schools_under(batch.org).order_by("path") if publishing.school_is_approved(s, batch.period)]
    BatchRun.objects.filter(pk=batch.pk).update(
        status=BatchRun.Status.RUNNING, total=len(schools), done=0, error="", progressed_at=timezone.now()
    )
    done = 0
    requested: dict[int | None, list[Publication]] = {}  # by district: one message per district's approvers
    try:
        for school in schools:
            with transaction.atomic():
                pending = Publication.objects.filter(org=school, period=batch.period, status="pending").first()
                publication = pending or publishing.request(school, batch.period, batch.requested_by, notify=False)
                if pending is None:
                    requested.setdefault(school.parent_id, []).append(publication)
                publishing.html_of(publication)
                publishing.pdf_of(publication)
                if done == 1:
                    faults.checkpoint("batch_report")  # one school committed, the second written, not committed
            done += 1
            BatchRun.objects.filter(pk=batch.pk).update(done=done, progressed_at=timezone.now())
    except Exception as exc:
        BatchRun.objects.filter(pk=batch.pk).update(status=BatchRun.Status.FAILED, error=str(exc)[:2000])
        raise
    BatchRun.objects.filter(pk=batch.pk).update(status=BatchRun.Status.DONE)
    for publications in requested.values():
        publishing.notify_approvers(publications[0], count=len(publications))
    return done


def start(org, period, user) -> BatchRun:
    batch = BatchRun.objects.create(org=org, period=period, requested_by=user)
    transaction.on_commit(lambda: prepare_school_reports.enqueue(batch.pk))
    return batch


def retry(batch: BatchRun) -> BatchRun:
    """Run an interrupted or failed batch again: finished schools are kept, pending ones are reused. Callers check
    ``batch.may_retry()`` first so that a retry never runs beside a live worker."""
    BatchRun.objects.filter(pk=batch.pk).update(status=BatchRun.Status.QUEUED, error="", progressed_at=timezone.now())
    transaction.on_commit(lambda: prepare_school_reports.enqueue(batch.pk))
    return batch
