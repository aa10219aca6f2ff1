"""Background job: prepare every school report of a unit for publication, on many workers (批量生成).

A batch is split into one :class:`~dudao.portal.models.BatchItem` per school. Any number of workers — ``dudao
db_worker`` processes on any machine sharing the database, or ``dudao render_batch --workers N`` on one — serve the
same batch: each claims one queued item at a time by compare-and-set (``UPDATE … SET status='claimed' WHERE id=…
AND status='queued'``: of two workers racing for a row exactly one updates it, on SQLite and PostgreSQL alike),
renders the report *outside* any transaction (no lock is held while printing), then commits the publication and
``done`` in one short transaction that first checks the claim is still its own. So no report is committed twice, a
killed worker leaves finished schools finished and nothing half-made, and its claim goes back to the queue once it
is older than ``DUDAO_BATCH_CLAIM_TIMEOUT`` seconds — the batch resumes on whichever worker comes next.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from dudao import faults
from dudao.errors import DudaoError
from dudao.orgs.selectors import schools_under
from dudao.reports.render import to_pdf

from . import publishing
from .models import BatchItem, BatchRun, Publication


class ClaimLost(DudaoError):
    """Our claim timed out and another worker took the school over: roll back rather than publish it twice."""


def workers() -> int:
    """How many workers a batch is cut for: ``DUDAO_BATCH_WORKERS``, by default the number of cores."""
    return int(getattr(settings, "DUDAO_BATCH_WORKERS", 0) or os.cpu_count() or 1)


def claim_timeout() -> timedelta:
    return timedelta(seconds=float(getattr(settings, "DUDAO_BATCH_CLAIM_TIMEOUT", 600)))


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def plan(batch: BatchRun) -> int:
    """One queued item per approved school (idempotent: a second planner, or a retry, adds only what is missing)."""
    schools = [s for s in schools_under(batch.org).order_by("path") if publishing.school_is_approved(s, batch.period)]
    BatchItem.objects.bulk_create(
        [BatchItem(batch=batch, school=s) for s in schools], ignore_conflicts=True, batch_size=500
    )
    total = BatchItem.objects.filter(batch=batch).count()
    done = BatchItem.objects.filter(batch=batch, status=BatchItem.Status.DONE).count()
    BatchRun.objects.filter(pk=batch.pk).exclude(status=BatchRun.Status.DONE).update(
        status=BatchRun.Status.RUNNING, total=total, done=done, error="", progressed_at=timezone.now()
    )
    return total


def requeue_stale(batch_id: int, now=None) -> int:
    """Claims older than the timeout belong to a dead worker: back to the queue."""
    cutoff = (now or timezone.now()) - claim_timeout()
    return BatchItem.objects.filter(batch_id=batch_id, status=BatchItem.Status.CLAIMED, claimed_at__lt=cutoff).update(
        status=BatchItem.Status.QUEUED, claimed_by="", claimed_at=None
    )


def claim(batch_id: int, worker: str) -> BatchItem | None:
    """The next queued item, now ours; None when nothing is left. Compare-and-set, one row at a time: losing a race
    only means trying the next row."""
    requeue_stale(batch_id)
    while True:
        candidate = (
            BatchItem.objects.filter(batch_id=batch_id, status=BatchItem.Status.QUEUED)
            .order_by("id")
            .values_list("pk", flat=True)
            .first()
        )
        if candidate is None:
            return None
        won = BatchItem.objects.filter(pk=candidate, status=BatchItem.Status.QUEUED).update(
            status=BatchItem.Status.CLAIMED, claimed_by=worker, claimed_at=timezone.now()
        )
        if won:
            return BatchItem.objects.select_related("school", "batch__period", "batch__requested_by").get(pk=candidate)


def render_item(item: BatchItem, worker: str, *, rendered_before: int = 0) -> Publication:
    """Render one school's report, then commit it and mark the item done in one transaction (or neither)."""
    batch, school = item.batch, item.school
    pending = Publication.objects.filter(org=school, period=batch.period, status="pending").first()
    if pending is not None:  # an earlier attempt made it: reuse it, printing its PDF if that is still missing
        publishing.html_of(pending)
        pdf = None if pending.pdf_file else to_pdf(publishing.report_of(pending))
        draft = None
    else:
        draft = publishing.draft(school, batch.period, batch.requested_by, print_pdf=True)
    with transaction.atomic():
        mine = BatchItem.objects.filter(pk=item.pk, status=BatchItem.Status.CLAIMED, claimed_by=worker).update(
            status=BatchItem.Status.DONE, error=""
        )
        if not mine:
            raise ClaimLost(f"{school.name}: claim lost")
        if draft is not None:
            publication = publishing.save_draft(draft, notify=False)
        else:
            assert pending is not None
            publication = pending
            if pdf is not None:
                publishing.store_pdf(publication, pdf)
        BatchItem.objects.filter(pk=item.pk).update(publication=publication)
        if rendered_before == 1:
            faults.checkpoint("batch_report")  # one school committed, the second written, not committed
        done = BatchItem.objects.filter(batch=batch, status=BatchItem.Status.DONE).count()
        BatchRun.objects.filter(pk=batch.pk).update(done=done, progressed_at=timezone.now())
    return publication


def serve(batch_id: int, worker: str | None = None) -> int:
    """Claim and render items of one batch until none is queued; returns how many this worker rendered."""
    worker = worker or worker_name()
    rendered = 0
    while (item := claim(batch_id, worker)) is not None:
        try:
            render_item(item, worker, rendered_before=rendered)
        except ClaimLost:
            continue
        except Exception as exc:
            BatchItem.objects.filter(pk=item.pk, claimed_by=worker).update(
                status=BatchItem.Status.FAILED, error=str(exc)[:2000]
            )
            BatchRun.objects.filter(pk=batch_id).update(error=f"{item.school.name}: {exc}"[:2000])
            continue
        rendered += 1
    return rendered


def finish(batch_id: int) -> bool:
    """When no item is queued or claimed: the batch is done (or failed); the one worker whose compare-and-set ends
    it tells the approvers, one message per district."""
    items = BatchItem.objects.filter(batch_id=batch_id)
    if items.filter(status__in=[BatchItem.Status.QUEUED, BatchItem.Status.CLAIMED]).exists():
        return False
    failed = items.filter(status=BatchItem.Status.FAILED).exists()
    ended = (
        BatchRun.objects.filter(pk=batch_id)
        .exclude(status__in=[BatchRun.Status.DONE, BatchRun.Status.FAILED])
        .update(status=BatchRun.Status.FAILED if failed else BatchRun.Status.DONE, progressed_at=timezone.now())
    )
    if ended:
        requested: dict[int | None, list[Publication]] = {}
        done = items.filter(status=BatchItem.Status.DONE, publication__status="pending").select_related(
            "publication__org", "publication__period", "publication__requested_by"
        )
        for item in done:
            if item.publication is not None:
                requested.setdefault(item.publication.org.parent_id, []).append(item.publication)
        for publications in requested.values():
            publishing.notify_approvers(publications[0], count=len(publications))
    return bool(ended)


@task()
def prepare_school_reports(batch_id: int) -> int:
    """One worker's share of a batch: plan it (if nobody has), serve items until the queue is empty, finish."""
    batch = BatchRun.objects.select_related("org", "period").get(pk=batch_id)
    if batch.status == BatchRun.Status.DONE:
        return 0
    if not batch.items.exists() or batch.status == BatchRun.Status.QUEUED:
        plan(batch)
    rendered = serve(batch_id)
    finish(batch_id)
    return rendered


def enqueue(batch: BatchRun, count: int | None = None) -> None:
    """One task per worker wanted: each free ``db_worker`` picks one, and together they drain the batch."""
    for _ in range(count or workers()):
        prepare_school_reports.enqueue(batch.pk)


def start(org, period, user) -> BatchRun:
    batch = BatchRun.objects.create(org=org, period=period, requested_by=user)
    transaction.on_commit(lambda: enqueue(batch))
    return batch


def retry(batch: BatchRun) -> BatchRun:
    """Run an interrupted or failed batch again: finished schools are kept, pending ones are reused, claims of dead
    workers and failed schools go back to the queue. Callers check ``batch.may_retry()`` first so that a retry never
    runs beside a live worker."""
    BatchItem.objects.filter(batch=batch).exclude(status=BatchItem.Status.DONE).update(
        status=BatchItem.Status.QUEUED, claimed_by="", claimed_at=None, error=""
    )
    BatchRun.objects.filter(pk=batch.pk).update(status=BatchRun.Status.QUEUED, error="", progressed_at=timezone.now())
    transaction.on_commit(lambda: enqueue(batch))
    return batch
