"""Load benchmark: 200 concurrent users saving form values against gunicorn + PostgreSQL (loopback only, bounded).

    python bench/load.py                                     # starts a throw-away PostgreSQL cluster (needs root)
    python bench/load.py --think 2 --saves 20                # stress: 100 saves/s offered, above 2 cores' capacity
    python bench/load.py --database-url postgres://…/scratch  # or uses this database (it is emptied!)
    python bench/load.py --sqlite                            # the embedded default: 48 writers saving at once

``--sqlite`` runs the same against SQLite (a file in a temporary directory, the settings' WAL / IMMEDIATE / busy
timeout), by default 48 users with no pause between saves — 48 writers at once, all the time, as in the attack of
issue #16 that gave 31 × "database is locked". What counts there is ``server errors`` (5xx, e.g. a 503 when a
writer waited beyond the busy timeout) and ``lost``; latency is queueing for the one write lock.

Set-up: 200 schools, each with its own 采集员 (API token) and an open campaign. Each user then saves ``--saves``
values one at a time through the API (``PATCH /api/submissions/{id}/values/`` — the same ``save_values`` path as the
form's autosave: row lock, validation, audit history), pausing ``--think`` seconds (uniformly random around it)
between saves, as a person moving from field to field does. Users start spread over one think time (a ramp, as
locust's spawn rate does): 200 people do not all press “save” in the same second, and a synchronised first burst
would measure the start-up queue, not the steady state.

Printed: p50 / p95 / p99 / max latency, throughput, errors; then the database is read back: every (school, element)
must hold exactly the last value its user wrote — ``lost`` counts pairs missing or wrong, ``duplicated`` counts rows
beyond one per (school, element). Target: p95 < 150 ms on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def free_port() -> int:
    """A loopback port nobody listens on now (for the throw-away database and the server)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_postgres() -> tuple[str, callable]:
    """A throw-away cluster on loopback (as ./test.sh does); returns its URL and a stop function."""
    pgbin = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    data = Path(tempfile.mkdtemp(prefix="dudao-load-pg."))
    run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if run_as:
        shutil.chown(data, "postgres", "postgres")
    port = free_port()
    subprocess.run(
        [*run_as, pgbin / "initdb", "-D", data, "-U", "dudao", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        [
            *run_as,
            pgbin / "pg_ctl",
            "-D",
            data,
            "-o",
            f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c max_connections=300",
            "-l",
            data / "server.log",
            "-w",
            "start",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    createdb = [*run_as, pgbin / "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "dudao", "dudao"]
    subprocess.run(createdb, check=True)

    def stop():
        subprocess.run([*run_as, pgbin / "pg_ctl", "-D", data, "-m", "immediate", "stop"], stdout=subprocess.DEVNULL)
        shutil.rmtree(data, ignore_errors=True)

    return f"postgres://dudao@127.0.0.1:{port}/dudao", stop


def set_up(users: int) -> list[tuple[str, int, list[tuple[str, int, int]]]]:
    """Schools, collectors with tokens, an open campaign. Returns (token, submission id, [(element, lo, hi)])."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from dudao.collection.campaigns import open_campaign, yearly_period
    from dudao.collection.catalog import load_all_datasets
    from dudao.collection.models import DataSet
    from dudao.orgs.catalog import group, load_org_catalog
    from dudao.orgs.models import Level, Membership, OrgUnit, Role

    call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    city = load_org_catalog()
    load_all_datasets()
    districts = list(OrgUnit.objects.filter(level=Level.DISTRICT).order_by("code"))
    school_type = group("school_type", "specialized_secondary")
    password = make_password("load-test-password")
    User = get_user_model()
    tokens = {}
    for n in range(users):
        district = districts[n % len(districts)]
        school = OrgUnit.objects.create(
            code=f"{district.code}9{n:03d}", name=f"压测学校{n}", level=Level.SCHOOL, parent=district
        )
        school.groups.add(school_type)
        user = User.objects.create(username=f"load{n}", password=password)
        Membership.objects.create(user=user, org=school, role=Role.COLLECTOR)
        tokens[school.pk] = Token.objects.create(user=user).key
    now = timezone.now()
    dataset = DataSet.objects.get(code="vocational_quality")
    campaign = open_campaign(dataset, yearly_period(2021), city, now - timedelta(days=1), now + timedelta(days=30))

    def upper(element) -> int:  # within the element's declared range (a 0/1 flag has maximum 1)
        top = 99 if element.value_type == "percent" else 5000
        return top if element.maximum is None else min(top, int(element.maximum))

    elements = [
        (m.element.code, 1, upper(m.element)) for m in dataset.members.select_related("element") if m.element.is_numeric
    ]
    return [(tokens[s.org_id], s.pk, elements) for s in campaign.submissions.all()]


class Connection:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams.

    The load generator shares the 2 cores with the server it measures, so it must cost as little as possible: a
    request here is one write and a few reads, about a tenth of a general-purpose async client's CPU time."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def request(self, method: str, path: str, body: bytes, headers: str) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            head = (
                f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n{headers}\r\n"
            )
            self.writer.write(head.encode() + body)
            status_line = await self.reader.readline()
            if not status_line and attempt == 1:  # the server closed an idle keep-alive connection: reconnect
                self.writer.close()
                self.writer = None
                continue
            status = int(status_line.split()[1])
            length, close = 0, False
            while (line := await self.reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
                elif name.lower() == "connection" and value.strip().lower() == "close":
                    close = True
            payload = await self.reader.readexactly(length)
            if close:
                self.writer.close()
                self.writer = None
            return status, payload
        raise ConnectionError("server closed the connection twice")


async def user_session(port, token, submission, elements, saves, think, latencies, errors, written, start_at):
    rng = random.Random(submission)
    await asyncio.sleep(start_at)
    connection = Connection("127.0.0.1", port)
    headers = f"Authorization: Token {token}\r\n"
    for i in range(saves):
        code, lo, hi = elements[(submission + i) % len(elements)]
        value = str(rng.randint(lo, hi))
        body = json.dumps({"values": {code: value}}).encode()
        t0 = time.perf_counter()
        try:
            status, _ = await connection.request("PATCH", f"/api/submissions/{submission}/values/", body, headers)
        except Exception as exc:  # noqa: BLE001 — a benchmark counts every failure, whatever it is
            status = f"{type(exc).__name__}: {exc}"
            connection = Connection("127.0.0.1", port)
        latencies.append(time.perf_counter() - t0)
        if status == 200:
            written[(submission, code)] = value
        else:
            errors.append(f"{submission}/{code}: {status}")
        await asyncio.sleep(think * rng.uniform(0.5, 1.5))


async def drive(port, sessions, saves, think, deadline):
    latencies, errors, written = [], [], {}
    t0 = time.perf_counter()
    tasks = [
        user_session(port, token, sub, elements, saves, think, latencies, errors, written, random.uniform(0, think))
        for token, sub, elements in sessions
    ]
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=deadline)
    return latencies, errors, written, time.perf_counter() - t0


def warm_up(base: str, token: str, requests: int) -> None:
    """Untimed requests first, so every worker thread has opened its database connection."""
    import httpx

    async def go():
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            headers = {"Authorization": f"Token {token}"}
            await asyncio.gather(*(client.get("/api/datasets/", headers=headers) for _ in range(requests)))

    asyncio.run(go())


def verify(written: dict) -> tuple[int, int]:
    """(lost, duplicated): expected values missing or different; rows beyond one per key, or never written."""
    from django.db.models import Count

    from dudao.collection.models import DataValue, Submission

    stored: dict[tuple[int, str], list[str]] = {}
    for org, code, value in DataValue.objects.values_list("org_id", "element__code", "value"):
        stored.setdefault((org, code), []).append(value)
    per_key = DataValue.objects.values("org_id", "element_id", "period_id", "category_option").annotate(n=Count("id"))
    duplicated = sum(r["n"] - 1 for r in per_key if r["n"] > 1)
    org_of = dict(Submission.objects.values_list("pk", "org_id"))

    def same(stored_values, value):  # stored text is normalised to the element's decimals ("87" → "87.00")
        return stored_values is not None and len(stored_values) == 1 and Decimal(stored_values[0]) == Decimal(value)

    wrong = [
        (sub, code, value, stored.get((org_of[sub], code)))
        for (sub, code), value in written.items()
        if not same(stored.get((org_of[sub], code)), value)
    ]
    for row in wrong[:5]:
        print("  lost:", row)
    lost = len(wrong)
    unexpected = len(stored) - len({(org_of[sub], code) for sub, code in written})
    return lost, duplicated + max(unexpected, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="PostgreSQL database to use (emptied!); default: a temporary cluster")
    parser.add_argument("--sqlite", action="store_true", help="SQLite (temporary file) instead of PostgreSQL")
    parser.add_argument("--users", type=int, help="concurrent users (default 200; --sqlite: 48)")
    parser.add_argument("--saves", type=int, default=12, help="values each user saves")
    parser.add_argument(
        "--think",
        type=float,
        help="mean pause between one user's saves (s); 5 s ≈ a clerk reading a figure from the records and typing it"
        " (default 5; --sqlite: 0, every writer saving again at once)",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (one per core)")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--deadline", type=float, default=600, help="hard limit for the whole run (s)")
    args = parser.parse_args()
    if args.users is None:
        args.users = 48 if args.sqlite else 200
    if args.think is None:
        args.think = 0.0 if args.sqlite else 5.0

    stop = None
    url = args.database_url
    if args.sqlite:
        url = None
        os.environ.pop("DUDAO_DATABASE_URL", None)
    elif not url:
        url, stop = start_postgres()
    var = tempfile.mkdtemp(prefix="dudao-load.")
    env = {
        **os.environ,
        **({"DUDAO_DATABASE_URL": url} if url else {}),
        "DUDAO_VAR_DIR": var,
        "DJANGO_SETTINGS_MODULE": "dudao.settings",
        "DUDAO_DEBUG": "0",
        "DUDAO_SECRET_KEY": "load-bench-" + "x" * 60,
        "DUDAO_SSL_REDIRECT": "0",
        "DUDAO_CONN_MAX_AGE": "60",
        "DUDAO_ALLOWED_HOSTS": "127.0.0.1",
        # the server runs this checkout's code, as the set-up here does (not whatever copy is installed)
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])),
    }
    os.environ.update(env)
    import django

    django.setup()
    server = None
    try:
        t = time.perf_counter()
        sessions = set_up(args.users)
        print(f"set-up: {len(sessions)} schools and collectors in {time.perf_counter() - t:.1f} s")
        port = free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "dudao.wsgi:application",
                "-b",
                f"127.0.0.1:{port}",
                "--preload",
                "-k",
                "gthread",
                "-w",
                str(args.workers),
                "--threads",
                str(args.threads),
                "--keep-alive",
                "30",
                "--log-level",
                "warning",
            ],
            env=env,
            start_new_session=True,
        )
        import httpx

        for _ in range(100):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/schema/", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        warm_up(f"http://127.0.0.1:{port}", sessions[0][0], args.workers * args.threads * 2)
        latencies, errors, written, elapsed = asyncio.run(drive(port, sessions, args.saves, args.think, args.deadline))
    finally:
        if server:
            server.terminate()
            server.wait(timeout=30)
    from django.db import connections

    lost, duplicated = verify(written)
    connections.close_all()
    if stop:
        stop()
    shutil.rmtree(var, ignore_errors=True)

    ms = sorted(x * 1000 for x in latencies)
    q = statistics.quantiles(ms, n=100)
    cores = os.cpu_count()
    backend = "SQLite (WAL, IMMEDIATE, busy timeout)" if args.sqlite else "PostgreSQL"
    print(f"gunicorn gthread {args.workers} workers × {args.threads} threads, {backend}, {cores} cores")
    print(f"{args.users} concurrent users × {args.saves} saves, think time {args.think:g} s (±50%)")
    rate = len(ms) / elapsed
    print(f"requests: {len(ms)}   errors: {len(errors)}   throughput: {rate:.1f} req/s over {elapsed:.1f} s")
    server_errors = [e for e in errors if e.rsplit(": ", 1)[-1].isdigit() and int(e.rsplit(": ", 1)[-1]) >= 500]
    print(f"server errors (5xx): {len(server_errors)}")
    print(f"latency ms: p50 {q[49]:.1f}   p95 {q[94]:.1f}   p99 {q[98]:.1f}   max {ms[-1]:.1f}")
    print(f"database: {len(written)} (school, element) values expected — lost {lost}, duplicated {duplicated}")
    if args.sqlite:
        print(f"target 0 server errors, 0 lost: {'met' if not server_errors and not lost else 'NOT met'}")
    else:
        print(f"target p95 < 150 ms: {'met' if q[94] < 150 else 'NOT met'}")
    for e in errors[:5]:
        print("  error:", e)


if __name__ == "__main__":
    main()
