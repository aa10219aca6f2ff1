"""Every link works: for every demo login, follow the links of the menu and of the pages they lead to (same origin,
GET only) and expect no answer ≥ 400 and never Django's debug page.

The crawl is breadth-first and bounded: a few pages of each URL shape (digits folded, so 71 schools' submission
pages count as one shape), a depth of three clicks from the home page, and a page budget per login."""

import re
from collections import deque
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from dudao.demo.load import DEMO_LOGINS

pytestmark = pytest.mark.django_db

# every demo login, plus a district clerk and the report compiler (in DEMO_LOGINS today; kept explicit here)
LOGINS = list(dict.fromkeys([name for name, _ in DEMO_LOGINS] + ["d310101-clerk", "compiler"]))
# not pages: leaving the session, the admin and the API (their own tests), static files, downloads, language switch
SKIP_PREFIXES = ("/accounts/logout", "/admin/", "/api/", "/static/", "/i18n/")
SKIP_SUFFIXES = (".xlsx", ".pdf", ".docx", ".json", "/pdf/", ".csv", ".zip")
SKIP_PATTERNS: list[tuple[str, str]] = [
    # (regex on the path, why) — a link the crawl must not follow, with the reason; none today
]
DEBUG_MARKERS = ("You're seeing this error because you have DEBUG = True", "Traceback (most recent call last)")
MAX_DEPTH = 3
PER_SHAPE = 3
BUDGET = 250


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def links(base: str, html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    found = []
    for href in parser.hrefs:
        if href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        url = urlsplit(urljoin(base, href))
        if url.scheme not in ("", "http") or url.netloc not in ("", "testserver"):
            continue  # another origin
        found.append(url.path + (f"?{url.query}" if url.query else ""))
    return found


def skipped(path: str) -> str | None:
    bare = path.split("?", 1)[0]
    if bare.startswith(SKIP_PREFIXES) or bare.endswith(SKIP_SUFFIXES):
        return "not a page"
    for pattern, why in SKIP_PATTERNS:
        if re.search(pattern, path):
            return why
    return None


def shape(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def crawl(client: Client, start: str = "/", signed_in: bool = True) -> tuple[list[str], int]:
    """Visit breadth-first from ``start``; returns the problems found and the number of pages visited."""
    problems: list[str] = []
    seen = {start}
    shapes: dict[str, int] = {}
    queue = deque([(start, 0, "(start)")])
    visited = 0
    while queue and visited < BUDGET:
        path, depth, parent = queue.popleft()
        response = client.get(path)
        visited += 1
        body = response.content.decode("utf-8", "replace") if "html" in response.get("Content-Type", "") else ""
        if response.status_code >= 400:
            problems.append(f"{response.status_code} {path} (linked from {parent})")
        if any(marker in body for marker in DEBUG_MARKERS):
            problems.append(f"debug page {path} (linked from {parent})")
        if response.status_code in (301, 302):
            target = response["Location"]
            if signed_in and urlsplit(target).path.startswith("/accounts/login"):
                problems.append(f"sent to login {path} (linked from {parent})")
            continue
        if not body or depth >= MAX_DEPTH:
            continue
        for link in links(path, body):
            if link in seen or skipped(link):
                continue
            seen.add(link)
            key = shape(link)
            if depth >= 1 and shapes.get(key, 0) >= PER_SHAPE:
                continue  # every link of the home page (menu and workbench) is followed, deeper ones by shape
            shapes[key] = shapes.get(key, 0) + 1
            queue.append((link, depth + 1, path))
    return problems, visited


@pytest.mark.parametrize("username", LOGINS)
def test_every_link_works(demo, settings, username):
    settings.DEBUG = False
    user = get_user_model().objects.get(username=username)
    client = Client(raise_request_exception=False)
    client.force_login(user)  # DEMO_PASSWORD's hash needs PBKDF2, which the tests' fast hasher setting leaves out
    problems, visited = crawl(client)
    assert visited > 3, f"{username} reached only {visited} pages"
    assert not problems, f"{username}: " + "\n".join(problems)


def test_anonymous_public_pages_work(demo, settings):
    settings.DEBUG = False
    problems, visited = crawl(Client(raise_request_exception=False), "/portal/", signed_in=False)
    assert visited > 3
    assert not problems, "\n".join(problems)


def test_error_pages_are_the_platforms_own(demo, settings, client):
    """404 and 500 answer with the platform's Chinese pages; 500's renders without a request context."""
    from django.test import RequestFactory
    from django.views.defaults import server_error

    settings.DEBUG = False
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404 and "页面不存在" in missing.content.decode()
    broken = server_error(RequestFactory().get("/"))
    assert broken.status_code == 500 and "系统错误" in broken.content.decode()
    assert "Traceback" not in broken.content.decode()


def test_locked_submission_shows_numbers_as_typed(demo, client):
    """The demo's past rounds were bulk-loaded: a whole number shows as 983, never "983.000000"; a number with
    decimals shows the element's decimals."""
    from dudao.collection.models import DataValue, Submission

    sub = Submission.objects.get(
        org__code="3101010001", campaign__period__code="2020", campaign__dataset__code="vocational_quality"
    )
    books = DataValue.objects.get(org=sub.org, period=sub.campaign.period, element__code="books")
    assets = DataValue.objects.get(org=sub.org, period=sub.campaign.period, element__code="fixed_assets")
    assert "." not in books.value  # stored as typed
    client.force_login(get_user_model().objects.get(username="3101010001-collector"))
    page = client.get(f"/submissions/{sub.pk}/").content.decode()
    assert "🔒" in page and ".000000" not in page
    assert f"<span>{int(books.number)}</span>" in page
    assert f"<span>{assets.number.quantize(Decimal('0.01'))}</span>" in page


class HeaderText(HTMLParser):
    """The words of the page's <header> (the menu), leaving out data: the user's name, and the language switch,
    which names the other language in that language (中文)."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.skip = 0
        self.words: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "header":
            self.depth += 1
        elif self.depth and (self.skip or dict(attrs).get("class") in ("who", "lang")):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag == "header":
            self.depth -= 1
        elif self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if self.depth and not self.skip and data.strip():
            self.words.append(data.strip())


CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.mark.parametrize("username", ["city_admin", "d310101", "3101010001-collector", "compiler"])
def test_english_menus_have_no_chinese(demo, username):
    """In English, the menu of every page it links to reads in English: the .po covers every menu entry."""
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    client.cookies["django_language"] = "en"
    home = client.get("/").content.decode()
    pages = ["/", *dict.fromkeys(p for p in links("/", home.split("</header>")[0]) if not skipped(p))]
    for path in pages:
        response = client.get(path, follow=True)
        parser = HeaderText()
        parser.feed(response.content.decode())
        chinese = [w for w in parser.words if CJK.search(w)]
        assert parser.words and not chinese, f"{username} {path}: {chinese}"
