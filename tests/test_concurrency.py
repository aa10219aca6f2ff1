"""The database under concurrent use (issue #16, items 2, 3 and 5), each attack replayed with threads against a live
server — on SQLite every server thread has a connection of its own to the file, as in production.

* 48 parallel autosaves by several users: no server error, no lost write;
* a write lock held by another process: 503 + Retry-After within a few seconds, logged, not a 50 s hang and a 500;
* 30 parallel wrong-password sign-ins: exactly ``MAX_FAILURES`` passwords are checked, the rest are locked out.
"""

import secrets
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.db import OperationalError, connection, connections, transaction
from django.test import Client

from dudao import busy, security
from dudao.collection.models import DataValue
from dudao.collection.selectors import versions_of
from dudao.orgs.models import LoginAttempt

from .conftest import VALID

pytestmark = pytest.mark.django_db(transaction=True)

CSRF = secrets.token_hex(16)  # 32 characters: a valid CSRF secret, sent as cookie and as header/field alike


def signed_in_headers(user) -> dict[str, str]:
    """Headers of a signed-in browser session for ``user`` (session made here, sent to the live server)."""
    client = Client()
    client.force_login(user)
    return {"Cookie": f"sessionid={client.cookies['sessionid'].value}; csrftoken={CSRF}", "X-CSRFToken": CSRF}


def fire_together(base_url, calls):
    """Run ``call(client)`` for every call in parallel threads, all released at the same moment; results in order.

    Each thread first opens its keep-alive connection with a GET, so the attack is the requests arriving together,
    not 48 connects at once overflowing the test server's listen backlog (10)."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        with httpx.Client(timeout=60) as client:
            client.get(f"{base_url}/accounts/login/")
            client.cookies.clear()
            barrier.wait()
            return call(client)

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_48_parallel_autosaves_by_several_users_lose_nothing_and_never_fail(world, live_server):
    numeric = [code for code, value in VALID.items() if isinstance(value, int) and value > 0][:16]
    writers = [(world.sub_a, "collector"), (world.sub_b, "collector_b"), (world.sub_c, "collector_c")]
    calls = []
    for sub, who in writers:
        headers = signed_in_headers(world.users[who]) | {"HX-Request": "true"}
        versions = versions_of(sub, numeric)  # what each field's form carries (dudao.concurrency)
        for n, code in enumerate(numeric):
            value = str(VALID[code] + sub.pk + n)  # a distinct value per (school, field): a lost write shows
            data = {"value": value, "version": str(versions.get(code, 0))}

            def call(client, sub=sub, code=code, value=value, headers=headers, data=data):
                url = f"{live_server.url}/submissions/{sub.pk}/values/{code}/"
                t0 = time.monotonic()
                response = client.post(url, data=data, headers=headers)
                return sub.org_id, code, value, response.status_code, time.monotonic() - t0

            calls.append(call)
    assert len(calls) == 48
    results = fire_together(live_server.url, calls)
    statuses = [status for *_, status, _ in results]
    assert statuses.count(200) == 48, statuses
    stored = {
        (org, code): value
        for org, code, value in DataValue.objects.filter(element__code__in=numeric).values_list(
            "org_id", "element__code", "value"
        )
    }
    lost = [(org, code, value) for org, code, value, *_ in results if stored.get((org, code)) != value]
    assert lost == []


def test_a_held_write_lock_answers_503_with_retry_after_within_seconds(world, live_server, caplog):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL has no database-wide write lock: writers wait only for the rows they share")
    headers = signed_in_headers(world.users["collector"])
    url = f"{live_server.url}/submissions/{world.sub_a.pk}/values/students_total/"
    # another process (a long import, a stuck worker) holds the write lock of the same file
    form = {"value": "1200", "version": str(versions_of(world.sub_a, ["students_total"]).get("students_total", 0))}
    holder = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        t0 = time.monotonic()
        page = httpx.post(url, data=form, headers=headers, timeout=60)
        waited = time.monotonic() - t0
        autosave = httpx.post(url, data=form, headers=headers | {"HX-Request": "true"}, timeout=60)
        api = httpx.patch(
            f"{live_server.url}/api/submissions/{world.sub_a.pk}/values/",
            json={"values": {"students_total": "1200"}},
            headers=headers,
            timeout=60,
        )
    finally:
        holder.rollback()
        holder.close()
    assert page.status_code == 503 and waited < 5, (page.status_code, waited)
    assert page.headers["Retry-After"] == str(busy.RETRY_AFTER_SECONDS)
    assert "服务繁忙" in page.text and "<html" in page.text  # the platform's own page, not a traceback
    assert autosave.status_code == 503 and "服务繁忙" in autosave.text and "<html" not in autosave.text
    assert api.status_code == 503 and api.json()["detail"] and api.headers["Retry-After"]
    assert "database busy, answered 503" in caplog.text
    # the lock released, the same save goes through
    again = httpx.post(url, data=form, headers=headers | {"HX-Request": "true"}, timeout=60)
    assert again.status_code == 200


def test_30_parallel_wrong_passwords_check_only_max_failures_passwords(world, live_server):
    def sign_in(password, client=httpx):
        response = client.post(
            f"{live_server.url}/accounts/login/",
            data={"username": "a-collector", "password": password, "csrfmiddlewaretoken": CSRF},
            headers={"Cookie": f"csrftoken={CSRF}"},
            timeout=60,
        )
        return response.status_code, security.LOCKED_MESSAGE in response.text

    answers = fire_together(live_server.url, [lambda client: sign_in("wrong-guess", client)] * 30)
    assert {status for status, _ in answers} == {200}  # the form again, never a server error
    checked = [locked for _, locked in answers].count(False)
    assert checked == security.MAX_FAILURES  # only these had their password checked; the other 25 were locked out
    assert LoginAttempt.objects.filter(username="a-collector", succeeded=False).count() == security.MAX_FAILURES
    assert sign_in("pw-12345-dudao") == (200, True)  # and the right password does not get through now


def test_a_long_writer_of_the_same_process_makes_others_wait_no_longer_than_the_busy_timeout(world):
    """Threads of one process queue in turn (dudao.sqlite) — for the busy timeout at most, as for other processes."""
    if connection.vendor != "sqlite":
        pytest.skip("the in-process writers' queue is the SQLite backend's")
    timeout = connection.settings_dict["OPTIONS"]["timeout"]
    outcome = {}

    def second_writer():
        started = time.monotonic()
        try:
            with transaction.atomic():
                DataValue.objects.count()
        except OperationalError as exc:
            outcome["error"] = exc
        outcome["waited"] = time.monotonic() - started
        connections.close_all()

    with transaction.atomic():  # the first writer keeps its transaction open
        thread = threading.Thread(target=second_writer)
        thread.start()
        thread.join()
    assert busy.is_lock_timeout(outcome["error"])
    assert timeout - 0.5 < outcome["waited"] < timeout + 1
    outcome.clear()
    second_writer()  # the first writer done, the second gets through at once
    assert "error" not in outcome and outcome["waited"] < 1
