"""Security: production settings pass `check --deploy`, sign-in is throttled, CSRF is enforced on every form and
session-authenticated API write, and nothing private is reachable without signing in."""

import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db.models import F
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from dudao import security
from dudao.orgs.models import SignInCounter

SRC = Path(__file__).resolve().parent.parent / "src"


def _production_env(**extra) -> dict:
    # the suite's own DJANGO_ALLOW_ASYNC_UNSAFE (for Playwright) is not a production setting: check --deploy warns on it
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUDAO_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DJANGO_SETTINGS_MODULE="dudao.settings",
        DUDAO_DEBUG="0",
        DUDAO_SECRET_KEY=secrets.token_urlsafe(60),
        DUDAO_ALLOWED_HOSTS="dudao.example.org",
        DUDAO_VAR_DIR=os.environ.get("DUDAO_VAR_DIR", "/tmp"),
    )
    env.update(extra)
    return env


def test_check_deploy_is_clean_in_production_mode():
    result = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=_production_env(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_values_and_secret_key_required():
    code = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, "
        "s.SESSION_COOKIE_HTTPONLY, s.X_FRAME_OPTIONS)"
    )
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        env=_production_env(),
        capture_output=True,
        text=True,
    )
    assert result.stdout.split() == ["True", "True", "31536000", "True", "True", "DENY"], result.stderr
    weak = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=_production_env(DUDAO_SECRET_KEY="short"),
        capture_output=True,
        text=True,
    )
    assert weak.returncode != 0 and "DUDAO_SECRET_KEY" in weak.stderr


def test_password_validators_reject_weak_passwords(db):
    for weak in ("12345678", "password", "dudao"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("Correct-Horse-Battery-29")


@pytest.mark.django_db
def test_login_form_locks_after_repeated_failures(world, client):
    for _ in range(security.MAX_FAILURES):
        response = client.post("/accounts/login/", {"username": "a-collector", "password": "wrong"})
        assert response.status_code == 200 and "_auth_user_id" not in client.session
    locked = client.post("/accounts/login/", {"username": "a-collector", "password": "pw-12345-dudao"})
    assert security.LOCKED_MESSAGE in locked.content.decode()
    assert "_auth_user_id" not in client.session  # the right password does not get through while locked
    SignInCounter.objects.update(since=F("since") - timedelta(minutes=16))  # the window has passed
    ok = client.post("/accounts/login/", {"username": "a-collector", "password": "pw-12345-dudao"})
    assert ok.status_code == 302 and "_auth_user_id" in client.session


@pytest.mark.django_db
def test_one_address_cannot_spray_many_user_names(world, client):
    for n in range(security.MAX_FAILURES_PER_IP):
        client.post("/accounts/login/", {"username": f"guess{n}", "password": "x"})
    blocked = client.post("/accounts/login/", {"username": "a-collector", "password": "pw-12345-dudao"})
    assert security.LOCKED_MESSAGE in blocked.content.decode()


def test_no_view_is_csrf_exempt():
    offenders = [p for p in SRC.rglob("*.py") if "csrf_exempt" in p.read_text(encoding="utf-8")]
    assert offenders == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/submissions/{sub}/values/students_total/",
        "/submissions/{sub}/actions/submit/",
        "/submissions/{sub}/explain/",
        "/submissions/{sub}/upload/",
        "/publications/request/",
        "/plans/import/",
        "/evaluation/district_duty/scores/",
        "/evaluation/thematic/visits/",
        "/accounts/logout/",
    ],
)
def test_csrf_is_enforced_on_posts(world, url):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["collector"])
    assert client.post(url.format(sub=world.sub_a.pk), {"value": "1"}).status_code == 403


@pytest.mark.django_db
def test_session_authenticated_api_writes_need_csrf_but_tokens_do_not(world):
    session = APIClient(enforce_csrf_checks=True)
    session.force_login(world.users["collector"])
    url = f"/api/submissions/{world.sub_a.pk}/values/"
    assert session.patch(url, {"values": {"students_total": "1"}}, format="json").status_code == 403
    from rest_framework.authtoken.models import Token

    token = APIClient(enforce_csrf_checks=True)
    token.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=world.users['collector']).key}")
    assert token.patch(url, {"values": {"students_total": "1"}}, format="json").status_code == 200


# ----------------------------------------------------------------------------- every URL, anonymously

SAMPLE = {
    "pk": "1",
    "code": "310101",
    "slug": "balanced",
    "fmt": "pdf",
    "action": "submit",
    "org_code": "310101",
    "scheme": "balanced",
    "decision": "approve",
    "rest": "x",
}
PUBLIC = (
    "/portal/",
    "/api/reports/",
    "/api/schema/",
    "/api/docs/",
    "/accounts/login/",
    "/i18n/",
    "/static/",
    "/supervision/school/",  # the 挂牌 card: the school's 督学 and a contact form, as the plaque promises
    "/supervision/sw.js",  # the visit form's service worker: static code, fetched when the browser updates it
)


def _patterns(resolver, prefix=""):
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            if str(p.pattern).startswith("admin/"):
                continue
            yield from _patterns(p, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def _sample(pattern: str) -> str:
    text = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: SAMPLE.get(m.group(1), "1"), pattern)
    text = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: SAMPLE.get(m.group(1), "1"), text)
    return "/" + text.lstrip("^").rstrip("$")


@pytest.mark.django_db
def test_every_url_refuses_anonymous_users_except_the_public_ones(demo):
    client, checked = Client(), 0
    for pattern in _patterns(get_resolver()):
        url = _sample(pattern)
        response = client.get(url)
        checked += 1
        if url.startswith(PUBLIC) or url == "/api/auth/token/":
            assert response.status_code in (200, 302, 404, 405), url
            continue
        assert response.status_code in (302, 401, 404, 405), (url, response.status_code)
        if response.status_code == 302:
            assert response["Location"].startswith("/accounts/login/"), url
        body = response.content.decode("utf-8", "replace")
        assert "dudao-demo" not in body and "-collector" not in body, url
    assert checked > 60


@pytest.mark.django_db
def test_public_api_lists_only_published_reports(demo):
    from dudao.portal.models import Publication

    pending = Publication.objects.exclude(status__in=["published", "superseded"]).values_list("pk", flat=True)
    listed = APIClient().get("/api/reports/?limit=1000").json()["results"]
    assert listed and {r["status"] for r in listed} <= {"published", "superseded"}
    assert not {r["id"] for r in listed} & set(pending)


def test_check_deploy_is_clean_for_the_demo_server_as_run_sh_starts_it():
    """run.sh: DEBUG off on plain HTTP at 127.0.0.1 — only the HTTPS-only checks are silenced there, nothing else."""
    result = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=_production_env(DUDAO_PLAIN_HTTP="1", DUDAO_ALLOWED_HOSTS="127.0.0.1,localhost"),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    code = "from django.conf import settings as s; print(sorted(s.SILENCED_SYSTEM_CHECKS))"
    silenced = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        env=_production_env(DUDAO_PLAIN_HTTP="1"),
        capture_output=True,
        text=True,
    )
    assert silenced.stdout.strip() == str(["security.W004", "security.W008", "security.W012", "security.W016"])
