"""API tokens (#16 item 12): they expire, their owner can rotate them (the old key is refused at once), and the last
use is recorded (at most one write a minute) and shown on the account page."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from dudao.api import tokens
from dudao.api.models import TokenUse

pytestmark = pytest.mark.django_db

PASSWORD = "pw-12345-dudao"


def with_key(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def obtain(username: str = "a-collector") -> dict:
    answer = APIClient().post("/api/auth/token/", {"username": username, "password": PASSWORD}, format="json")
    assert answer.status_code == 200, answer.content
    return answer.json()


def test_a_stolen_token_stops_working_once_it_has_expired(world, settings):
    settings.DUDAO_API_TOKEN_DAYS = 90
    key = obtain()["token"]
    assert with_key(key).get("/api/orgs/").status_code == 200
    Token.objects.filter(key=key).update(created=timezone.now() - timedelta(days=90, seconds=1))
    refused = with_key(key).get("/api/orgs/")
    assert refused.status_code == 401
    assert "过期" in refused.json()["detail"]


def test_the_lifetime_is_configurable(world, settings):
    settings.DUDAO_API_TOKEN_DAYS = 7
    answer = obtain()
    token = Token.objects.get(key=answer["token"])
    assert tokens.expires_at(token) == token.created + timedelta(days=7)
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(days=8))
    assert with_key(token.key).get("/api/orgs/").status_code == 401


def test_signing_in_again_after_expiry_gives_a_new_key_never_the_expired_one(world):
    old = obtain()["token"]
    assert obtain()["token"] == old  # still valid: the same key (scripts that sign in each run keep working)
    Token.objects.filter(key=old).update(created=timezone.now() - timedelta(days=400))
    new = obtain()
    assert new["token"] != old
    assert with_key(old).get("/api/orgs/").status_code == 401
    assert with_key(new["token"]).get("/api/orgs/").status_code == 200
    assert new["expires"]


def test_a_leaked_token_is_dead_the_moment_it_is_rotated_through_the_api(world):
    old = obtain()["token"]
    rotated = with_key(old).post("/api/auth/token/rotate/")
    assert rotated.status_code == 200
    new = rotated.json()["token"]
    assert new != old
    assert with_key(old).get("/api/orgs/").status_code == 401
    assert with_key(new).get("/api/orgs/").status_code == 200
    assert APIClient().post("/api/auth/token/rotate/").status_code == 401  # no one rotates anonymously


def test_a_leaked_token_is_dead_the_moment_it_is_rotated_on_the_page(world, client):
    old = obtain()["token"]
    client.force_login(world.users["collector"])
    page = client.post("/accounts/token/")
    assert page.status_code == 200
    new = page.context["new_key"]
    assert new and new != old and new in page.content.decode()
    assert with_key(old).get("/api/orgs/").status_code == 401
    assert with_key(new).get("/api/orgs/").status_code == 200
    assert new not in client.get("/accounts/token/").content.decode()  # the key is shown once, not on every visit


def test_the_page_rotates_only_with_the_csrf_token(world):
    from django.test import Client

    old = obtain()["token"]
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.users["collector"])
    assert browser.post("/accounts/token/").status_code == 403  # a forged cross-site form cannot rotate the key
    assert with_key(old).get("/api/orgs/").status_code == 200


def test_last_use_is_shown_on_the_page_and_written_at_most_once_a_minute(world, client):
    key = obtain()["token"]
    client.force_login(world.users["collector"])
    assert "从未使用" in client.get("/accounts/token/").content.decode()

    assert with_key(key).get("/api/orgs/").status_code == 200
    first = TokenUse.objects.get(token_id=key).last_used
    assert timezone.now() - first < timedelta(seconds=30)
    page = client.get("/accounts/token/")
    shown = page.context["info"]
    assert shown.last_used == first and not shown.expired
    assert timezone.localtime(first).strftime("%Y-%m-%d %H:%M") in page.content.decode()

    # within the minute: authentication reads the last use with the token and writes nothing
    with CaptureQueriesContext(connection) as queries:
        assert with_key(key).get("/api/orgs/").status_code == 200
    assert not [q for q in queries if "api_tokenuse" in q["sql"] and not q["sql"].lstrip().upper().startswith("SELECT")]
    assert TokenUse.objects.get(token_id=key).last_used == first

    # a minute later the next use is recorded
    TokenUse.objects.filter(token_id=key).update(last_used=first - timedelta(minutes=2))
    assert with_key(key).get("/api/orgs/").status_code == 200
    assert TokenUse.objects.get(token_id=key).last_used > first


def test_an_expired_token_is_marked_on_the_page(world, client):
    key = obtain()["token"]
    Token.objects.filter(key=key).update(created=timezone.now() - timedelta(days=400))
    client.force_login(world.users["collector"])
    page = client.get("/accounts/token/")
    assert page.context["info"].expired and "已过期" in page.content.decode()


def test_the_page_needs_a_signed_in_user(world, client):
    answer = client.get("/accounts/token/")
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]
