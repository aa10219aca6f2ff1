"""Content-Security-Policy (#16 item 12): every answer carries a policy whose script-src allows only our own files, and
no template carries inline script that such a policy would block (the browser replay is tests/test_csp_browser.py)."""

import re
from pathlib import Path

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

SRC = Path(__file__).resolve().parent.parent / "src" / "dudao"
TEMPLATES = sorted(p for p in SRC.rglob("*.html") if "templates" in p.parts)


def directives(header: str) -> dict[str, list[str]]:
    parts = [d.split() for d in header.split(";") if d.strip()]
    return {p[0]: p[1:] for p in parts}


def assert_strict(answer):
    policy = directives(answer["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"], policy  # no 'unsafe-inline', no 'unsafe-eval', no CDN
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]


def test_an_injected_inline_script_would_not_run_on_any_kind_of_page(world, client):
    client.force_login(world.users["city_admin"])
    for url in ("/", "/accounts/token/", "/portal/", "/api/docs/", "/api/orgs/", "/no-such-page/"):
        answer = client.get(url)
        assert answer.status_code in (200, 404), url
        assert_strict(answer)
    assert_strict(Client().get("/accounts/login/"))


def test_no_template_carries_inline_script_event_handlers_or_javascript_urls():
    """An inline <script>, an on…= attribute or a javascript: URL would be blocked by the policy, i.e. broken."""
    found = []
    for path in TEMPLATES:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<script\b[^>]*>", text):
            if "src=" not in match.group(0) and "application/json" not in match.group(0):
                found.append(f"{path}: {match.group(0)}")
        found += [f"{path}: {m.group(0)}" for m in re.finditer(r"\son[a-z]+\s*=", text)]
        found += [f"{path}: javascript:" for _ in re.finditer(r"javascript:", text, re.IGNORECASE)]
        found += [f"{path}: hx-on" for _ in re.finditer(r"\shx-on[:-]", text)]
    assert not found, found


def test_swagger_ui_start_up_code_is_a_script_file_not_inline(world, client):
    client.force_login(world.users["city_admin"])
    page = client.get("/api/docs/").content.decode()
    scripts = re.findall(r"<script\b([^>]*)>", page)
    assert scripts and all("src=" in attrs for attrs in scripts), scripts
    assert "cdn" not in page.lower()
    start = client.get("/api/docs/?script=")
    assert start.status_code == 200 and "javascript" in start["Content-Type"]
    assert "SwaggerUIBundle" in start.content.decode()
