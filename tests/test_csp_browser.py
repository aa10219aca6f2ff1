"""#16 item 12 in chromium: the key pages of the demo — home, a school's collection form, the cockpit (ECharts), the
compiling chapter page, a published report, the portal, the token page and the Swagger UI at /api/docs/ — load under
the Content-Security-Policy without a single violation, and the scripts that moved out of the templates still work.
(Its own module: a browser test commits, so the demo is flushed after it.)"""

from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.urls import reverse

from dudao.collection.models import Submission
from dudao.portal.models import Publication

from .test_browser import browser, pytestmark, session  # noqa: F401 (fixtures and marks)

# Playwright's init scripts run outside the page's policy: they see every violation the page reports.
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", e =>
  window.__csp.push([e.violatedDirective, e.blockedURI || "inline", e.sourceFile + ":" + e.lineNumber].join(" ")));
"""


def watch(page) -> list[str]:
    problems: list[str] = []
    page.context.add_init_script(WATCH)
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
    return problems


def visit(page, url, problems, ready=None):
    page.goto(url)
    if ready:
        page.wait_for_function(ready)
    page.wait_for_load_state("networkidle")
    seen = page.evaluate("window.__csp")
    assert not seen and not problems, (url, seen, problems)


def test_no_page_breaks_the_content_security_policy(demo, transactional_db, live_server, browser):  # noqa: F811
    users = get_user_model().objects.filter(username__in=["city_admin", "3101010001-collector", "compiler"])
    for user in users:  # the session helper signs in with the tests' password (the demo's hashes are slow PBKDF2)
        user.set_password("pw-12345-dudao")
        user.save()
    base = live_server.url
    form = Submission.objects.filter(org__code="3101010001").order_by("-campaign__period__code").first()
    report = Publication.objects.filter(status="published").order_by("pk").first()

    page = session(browser, live_server, "3101010001-collector")
    problems = watch(page)
    visit(page, f"{base}/", problems)
    visit(page, f"{base}{reverse('review:submission', args=[form.pk])}", problems)

    page = session(browser, live_server, "city_admin")
    problems = watch(page)
    visit(page, f"{base}/", problems)
    # the cockpit's script (static/cockpit.js) drew with ECharts: the data arrived and the charts have canvases
    visit(page, f"{base}{reverse('indicators:cockpit')}", problems, "() => window.dudaoDashboard !== undefined")
    assert page.locator("#trend canvas").count() and page.locator("#comparison canvas").count()
    page.locator("#comparison canvas").first.hover()  # a tooltip is HTML with inline styles: allowed, no script
    visit(page, f"{base}{reverse('portal:index')}", problems)
    visit(page, f"{base}{reverse('portal:report', args=[report.pk])}", problems)
    visit(page, f"{base}{reverse('api_token')}", problems)
    # Swagger UI from our static files, its start-up code from docs/?script= (no inline script)
    visit(page, f"{base}{reverse('api:docs')}", problems, "() => document.querySelector('#swagger-ui .info')")
    # the error page's 返回 link (static/back.js) instead of javascript:history.back()
    page.goto(f"{base}{reverse('portal:index')}")
    visit(page, f"{base}/submissions/999999999/", problems)

    page = session(browser, live_server, "compiler")
    problems = watch(page)
    page.goto(f"{base}{reverse('compiling:index')}")
    workspace = page.url
    # static/chapter.js: 插入 puts the figure token into the text area, on the first chapter the compiler may edit
    path = urlsplit(workspace).path
    chapters = page.eval_on_selector_all(f"a[href^='{path}']", "links => links.map(a => a.href)")
    for url in dict.fromkeys(u for u in chapters if u.rstrip("/") != workspace.rstrip("/")):
        visit(page, url, problems)
        if page.locator("textarea[data-tokens]").count() and page.locator("button.token[data-token]").count():
            break
    else:
        raise AssertionError(f"no editable chapter among {chapters}")
    button = page.locator("button.token[data-token]").first
    token = button.get_attribute("data-token")
    button.click()
    assert token in page.locator("textarea[data-tokens]").first.input_value()
    assert not page.evaluate("window.__csp") and not problems
