"""Backup/restore round trip and a killed server or worker: no partial data, and the job can be run again.

The kill tests run real processes (gunicorn, ``dudao db_worker``) against a database of their own — a temporary
SQLite file, or a fresh PostgreSQL database when the suite runs on PostgreSQL — because a process that is killed
cannot share the test's transaction."""

import base64
import gzip
import hashlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from urllib.parse import urlparse

import httpx
import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dudao.collection.models import DataValue
from dudao.ops.backup import counts, values_digest
from dudao.orgs.models import Membership

from .conftest import VALID

# ----------------------------------------------------------------------------- backup / restore


@pytest.mark.django_db(transaction=True)
def test_backup_restore_round_trip_and_bad_files(demo, tmp_path):
    from dudao.portal import publishing
    from dudao.portal.models import Publication

    publication = Publication.objects.filter(status="published").first()
    pdf = publishing.pdf_of(publication)  # a published file in storage, not in the database
    before_digest, before_counts = values_digest(), counts()
    path = tmp_path / "b.json.gz"
    call_command("backup", str(path), verbosity=0)
    publication.refresh_from_db()
    publication.pdf_file.delete(save=False)  # storage lost the file
    value = DataValue.objects.filter(element__code="students_total").first()
    value.value, value.number = "1", 1
    value.save()
    Membership.objects.filter(user__username="analyst").delete()
    assert values_digest() != before_digest
    call_command("restore", str(path), "--yes", verbosity=0)
    assert values_digest() == before_digest
    assert counts() == before_counts
    assert Membership.objects.filter(user__username="analyst").exists()
    restored = Publication.objects.get(pk=publication.pk)
    assert publishing.pdf_of(restored) == pdf and restored.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    # ids continue after the restored ones (PostgreSQL sequences were reset)
    assert DataValue.objects.create(
        element=value.element, period=value.period, org=value.org, category_option="x", value="2"
    ).pk > max(DataValue.objects.exclude(category_option="x").values_list("pk", flat=True))

    # (one test: a transactional test empties the database afterwards, so the demo is loaded once for both parts)
    # a bad file changes nothing
    digest = values_digest()
    truncated = tmp_path / "cut.json.gz"
    truncated.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(CommandError, match="不是完整的 Dudao 备份文件"):
        call_command("restore", str(truncated), "--yes")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    data["manifest"]["values_sha256"] = "0" * 64  # a file that does not match its own checksum
    tampered = tmp_path / "bad.json.gz"
    with gzip.open(tampered, "wt", encoding="utf-8") as fh:
        json.dump(data, fh)
    with pytest.raises(CommandError, match="校验和"):
        call_command("restore", str(tampered), "--yes")
    data["manifest"]["values_sha256"] = digest
    data["files"][restored.pdf_file.name] = base64.b64encode(b"%PDF forged").decode()  # a file swapped in the backup
    with gzip.open(tampered, "wt", encoding="utf-8") as fh:
        json.dump(data, fh)
    with pytest.raises(CommandError, match="校验和"):
        call_command("restore", str(tampered), "--yes")
    assert values_digest() == digest and DataValue.objects.exists()  # the flush was rolled back too
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(path))


# ----------------------------------------------------------------------------- killed server / worker

WORLD = """
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from dudao.collection.campaigns import open_campaign, yearly_period
from dudao.collection.catalog import load_all_datasets
from dudao.collection.models import DataSet
from dudao.orgs.catalog import group, load_org_catalog
from dudao.orgs.models import Level, Membership, OrgUnit, Role
city = load_org_catalog(); load_all_datasets()
district = OrgUnit.objects.get(code="310101")
User = get_user_model()
def user(name, org, role):
    u = User.objects.create_user(name, password="pw-12345-dudao")
    Membership.objects.create(user=u, org=org, role=role)
    return u
user("reviewer", district, Role.DISTRICT_REVIEWER); user("city", city, Role.CITY_ADMIN)
for n in range(1, 4):
    s = OrgUnit.objects.create(code=f"310101000{n}", name=f"第{n}职业学校", level=Level.SCHOOL, parent=district)
    s.groups.add(group("school_type", "specialized_secondary"))
    user(f"s{n}-collector", s, Role.COLLECTOR); user(f"s{n}-checker", s, Role.CHECKER)
    user(f"s{n}-principal", s, Role.PRINCIPAL)
now = timezone.now()
c = open_campaign(DataSet.objects.get(code="vocational_quality"), yearly_period(2021), city, now - timedelta(days=1),
                  now + timedelta(days=30))
print(c.pk)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def isolated(tmp_path):
    """Environment for subprocesses: its own SQLite file, or its own PostgreSQL database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUDAO_")}
    env.update(DJANGO_SETTINGS_MODULE="dudao.settings", DUDAO_VAR_DIR=str(tmp_path))
    url = os.environ.get("DUDAO_DATABASE_URL")
    dropper = None
    if url:
        import psycopg

        parts = urlparse(url)
        name = f"dudao_fault_{uuid.uuid4().hex[:8]}"
        admin = parts._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
        with psycopg.connect(admin, autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{name}"')
        env["DUDAO_DATABASE_URL"] = parts._replace(path=f"/{name}").geturl()

        def dropper():
            with psycopg.connect(admin, autocommit=True) as con:
                con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    subprocess.run([sys.executable, "-m", "dudao.cli", "migrate", "-v0"], env=env, check=True)
    yield env
    if dropper:
        dropper()


def _run(env, code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def _start(env, argv, **extra) -> subprocess.Popen:
    return subprocess.Popen(
        argv, env={**env, **extra}, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _kill(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)  # the whole group: gunicorn's master and its workers
    proc.wait(timeout=10)


def _wait_for(predicate, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def _serve(env, port, **extra) -> subprocess.Popen:
    proc = _start(
        env,
        [
            sys.executable,
            "-m",
            "gunicorn",
            "dudao.wsgi:application",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "1",
            "--timeout",
            "120",
        ],
        **extra,
    )

    def up():
        try:
            return httpx.get(f"http://127.0.0.1:{port}/accounts/login/").status_code == 200
        except httpx.HTTPError:
            return False

    _wait_for(up)
    return proc


def _login(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=120)
    client.get("/accounts/login/")
    client.post(
        "/accounts/login/",
        data={"username": username, "password": "pw-12345-dudao", "csrfmiddlewaretoken": client.cookies["csrftoken"]},
    )
    assert "sessionid" in client.cookies
    return client


def _filled_sheet(client: httpx.Client, campaign: str) -> bytes:
    template = client.get(f"/campaigns/{campaign}/district/310101/template.xlsx")
    assert template.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(template.content))
    ws = wb["数据"]
    codes = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=3):
        if row[0].value:
            for cell, code in zip(row, codes):
                if code in VALID:
                    cell.value = VALID[code]
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _upload(client, campaign, payload):
    return client.post(
        f"/campaigns/{campaign}/district/310101/upload/",
        data={"csrfmiddlewaretoken": client.cookies["csrftoken"]},
        files={"file": ("sheet.xlsx", payload)},
    )


COUNT_VALUES = "from dudao.collection.models import DataValue; print(DataValue.objects.count())"


def test_server_killed_during_excel_import_leaves_nothing_and_retry_succeeds(isolated, tmp_path):
    campaign = _run(isolated, WORLD)
    port, marker = _free_port(), tmp_path / "reached"
    server = _serve(isolated, port, DUDAO_FAULT="district_import", DUDAO_FAULT_FILE=str(marker))
    try:
        client = _login(f"http://127.0.0.1:{port}", "reviewer")
        payload = _filled_sheet(client, campaign)
        thread = threading.Thread(target=lambda: _upload_ignoring_errors(client, campaign, payload), daemon=True)
        thread.start()
        _wait_for(marker.exists)  # every value written inside the transaction, not committed
    finally:
        _kill(server)
    assert _run(isolated, COUNT_VALUES) == "0"

    server = _serve(isolated, port)
    try:
        client = _login(f"http://127.0.0.1:{port}", "reviewer")
        response = _upload(client, campaign, _filled_sheet(client, campaign))
        assert response.status_code in (200, 302)
    finally:
        _kill(server)
    assert int(_run(isolated, COUNT_VALUES)) == 3 * len(VALID)


def _upload_ignoring_errors(client, campaign, payload):
    try:
        _upload(client, campaign, payload)
    except httpx.HTTPError:
        pass  # the server was killed under it


APPROVE_ALL = """
from django.contrib.auth import get_user_model
from dudao.collection.models import Submission
from dudao.collection.services import save_values
from dudao.review.workflow import perform
from dudao.indicators.engine import rebuild
from dudao.portal import tasks
from dudao.orgs.models import OrgUnit
VALID = %r
U = get_user_model().objects.get
for n, sub in enumerate(Submission.objects.order_by("org__code"), start=1):
    save_values(sub, VALID, U(username=f"s{n}-collector"))
    perform(sub, "submit", U(username=f"s{n}-collector")); perform(sub, "check", U(username=f"s{n}-checker"))
    perform(sub, "approve", U(username=f"s{n}-principal"), signer_name="校长", confirm=True)
rebuild()
from dudao.collection.models import Period
from django.db import transaction
with transaction.atomic():
    batch = tasks.start(OrgUnit.objects.get(code="310101"), Period.objects.get(code="2021"), U(username="reviewer"))
print(batch.pk)
"""

STATE = """
from dudao.portal.models import BatchRun, Publication
pubs = Publication.objects.filter(org__level="school")
print(pubs.count(), sum(bool(p.html) and bool(p.pdf_file) for p in pubs), BatchRun.objects.get().status,
      pubs.values("org").distinct().count())
"""


def test_worker_killed_during_report_batch_keeps_finished_schools_and_retry_completes(isolated, tmp_path):
    _run(isolated, WORLD)
    batch = _run(isolated, APPROVE_ALL % (VALID,))
    marker = tmp_path / "reached"
    worker = _start(
        isolated,
        [sys.executable, "-m", "dudao.cli", "db_worker", "--no-startup-delay", "--no-reload"],
        DUDAO_FAULT="batch_report",
        DUDAO_FAULT_FILE=str(marker),
    )
    try:
        _wait_for(marker.exists, seconds=120)  # school 1 committed; school 2 written, not committed
    finally:
        _kill(worker)
    assert _run(isolated, STATE).split() == ["1", "1", "running", "1"]  # nothing half-made

    _run(
        isolated,
        f"from dudao.portal import tasks\nfrom dudao.portal.models import BatchRun\n"
        f"from django.db import transaction\nwith transaction.atomic(): tasks.retry(BatchRun.objects.get(pk={batch}))",
    )
    subprocess.run(
        [sys.executable, "-m", "dudao.cli", "db_worker", "--batch", "--no-startup-delay", "--no-reload"],
        env=isolated,
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert _run(isolated, STATE).split() == ["3", "3", "done", "3"]  # one report per school, none twice


@pytest.mark.django_db
def test_retry_only_when_failed_or_stalled(world, client, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from dudao.collection.campaigns import yearly_period
    from dudao.portal.models import BatchRun

    run = BatchRun.objects.create(
        org=world.huangpu, period=yearly_period(2021), requested_by=world.users["district_reviewer"], status="running"
    )
    run.progressed_at = timezone.now()
    run.save()
    client.force_login(world.users["district_reviewer"])
    with django_capture_on_commit_callbacks() as queued:
        client.post(f"/publications/batches/{run.pk}/retry/")
    assert queued == [] and not run.may_retry()  # a live worker is not raced
    BatchRun.objects.filter(pk=run.pk).update(progressed_at=timezone.now() - timedelta(minutes=11))
    run.refresh_from_db()
    assert run.may_retry()
    with django_capture_on_commit_callbacks() as queued:
        client.post(f"/publications/batches/{run.pk}/retry/")
    assert len(queued) == 1
    run.refresh_from_db()
    assert run.status == "queued"
    client.force_login(world.users["district_reviewer_xuhui"])
    assert client.post(f"/publications/batches/{run.pk}/retry/").status_code == 404
