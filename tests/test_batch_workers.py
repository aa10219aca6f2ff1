"""Batch rendering on several workers: claims by compare-and-set, no school rendered twice, dead claims resumed."""

import sys
from datetime import timedelta

import pytest
from django.utils import timezone

from dudao.portal import tasks
from dudao.portal.models import BatchItem, BatchRun
from tests.conftest import VALID
from tests.test_ops import APPROVE_ALL, WORLD, _run, isolated  # noqa: F401 (isolated is a fixture)


@pytest.mark.django_db
def test_claims_never_hand_one_school_to_two_workers_and_stale_claims_return(world, settings, monkeypatch):
    settings.DUDAO_BATCH_CLAIM_TIMEOUT = 60
    batch = BatchRun.objects.create(
        org=world.huangpu, period=world.campaign.period, requested_by=world.users["city_admin"]
    )
    for school in (world.school_a, world.school_b, world.school_c):
        BatchItem.objects.create(batch=batch, school=school)
    first, second = tasks.claim(batch.pk, "host-a:1"), tasks.claim(batch.pk, "host-b:2")
    third = tasks.claim(batch.pk, "host-a:1")
    assert len({first.pk, second.pk, third.pk}) == 3
    assert tasks.claim(batch.pk, "host-b:2") is None  # all claimed, none stale
    assert tasks.finish(batch.pk) is False  # claims outstanding: the batch is not over

    BatchItem.objects.filter(pk=second.pk).update(claimed_at=timezone.now() - timedelta(seconds=61))
    taken_over = tasks.claim(batch.pk, "host-c:3")  # host-b died: its claim is older than the timeout
    assert taken_over.pk == second.pk and taken_over.claimed_by == "host-c:3"
    monkeypatch.setattr(tasks.publishing, "draft", lambda *args, **kwargs: None)  # skip the rendering
    with pytest.raises(tasks.ClaimLost):  # host-b wakes up: it may not commit what host-c now owns
        tasks.render_item(second, "host-b:2")
    assert BatchItem.objects.get(pk=second.pk).status == "claimed"


DEAD_CLAIM = """
from datetime import timedelta
from django.utils import timezone
from dudao.portal import tasks
from dudao.portal.models import BatchItem, BatchRun
batch = BatchRun.objects.get(pk=%d)
tasks.plan(batch)
item = BatchItem.objects.filter(batch=batch).order_by("id").first()
BatchItem.objects.filter(pk=item.pk).update(status="claimed", claimed_by="deadhost:1",
                                            claimed_at=timezone.now() - timedelta(hours=1))
print(item.school_id)
"""

RESULT = """
from collections import Counter
from dudao.portal.models import BatchItem, BatchRun, Publication
pubs = Publication.objects.filter(org__level="school")
items = BatchItem.objects.all()
run = BatchRun.objects.get()
per_school = max(Counter(pubs.values_list("org", flat=True)).values())
print(pubs.count(), per_school, sorted(set(pubs.values_list("version", flat=True))),
      sum(bool(p.pdf_file) for p in pubs), sorted(set(items.values_list("status", flat=True))),
      items.filter(claimed_by="deadhost:1").count(), len(set(items.values_list("claimed_by", flat=True))) >= 1,
      run.status, run.done, run.total)
"""


def test_two_worker_processes_render_each_school_once_and_resume_a_dead_claim(isolated):  # noqa: F811
    _run(isolated, WORLD)
    batch = int(_run(isolated, APPROVE_ALL % (VALID,)))
    _run(isolated, DEAD_CLAIM % batch)  # a worker died holding the first school
    import subprocess

    env = {**isolated, "DUDAO_BATCH_CLAIM_TIMEOUT": "30"}
    result = subprocess.run(
        [sys.executable, "-m", "dudao.cli", "render_batch", "--batch", str(batch), "--workers", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    # 3 schools, each published once (version 1), each with its PDF; every item done, the dead claim taken over
    assert _run(isolated, RESULT).split() == ("3 1 [1] 3 ['done'] 0 True done 3 3".split())
