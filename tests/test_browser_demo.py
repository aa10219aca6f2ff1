"""#14's acceptance on the demo itself, in chromium: a demo school's 2021 submission taken through its five steps in
the browser by the demo's own users reaches the city cockpit and the city report preview within 10 s — no CLI, no
``dudao analytics rebuild``. (Its own module: a browser test commits, so the demo is flushed after it.)"""

import json
import time

from django.contrib.auth import get_user_model
from django.urls import reverse

from dudao.collection import services
from dudao.collection.models import Submission

from .conftest import VALID
from .test_browser import act, browser, pytestmark, session  # noqa: F401 (fixtures and marks)


def eventually(check, seconds=10.0):
    deadline = time.monotonic() + seconds
    while True:
        if check():
            return
        assert time.monotonic() < deadline, "not within 10 s"
        time.sleep(0.5)


SCHOOL = "3101010001"  # 中华职业学校 (黄浦)
STEPS = [
    (f"{SCHOOL}-collector", "提交审核", {}),
    (f"{SCHOOL}-checker", "审核通过", {}),
    (f"{SCHOOL}-principal", "核准并签署责任声明", {"confirm": True, "signer_name": "中华职业学校校长"}),
    ("d310101", "区确认", {}),
    ("city_admin", "市确认", {}),
]


def test_a_demo_schools_2021_submission_reaches_the_city_cockpit_and_report(
    demo,
    transactional_db,
    live_server,
    browser,  # noqa: F811
    settings,
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    users = get_user_model().objects.filter(username__in=[u for u, _, _ in STEPS])
    for user in users:  # the session helper signs in with the tests' password (the demo's hashes are slow PBKDF2)
        user.set_password("pw-12345-dudao")
        user.save()
    sub = Submission.objects.get(
        org__code=SCHOOL, campaign__period__code="2021", campaign__dataset__code="vocational_quality"
    )
    services.save_values(sub, VALID, users.get(username=f"{SCHOOL}-collector"))  # the form, as uploaded from Excel
    url = f"{live_server.url}{reverse('review:submission', args=[sub.pk])}"
    for username, label, extra in STEPS:
        page = session(browser, live_server, username)
        page.goto(url)
        act(page, label, **extra)
    assert page.locator("#state").inner_text() == "市已确认"
    accepted = time.monotonic()
    data_url = f"{live_server.url}{reverse('indicators:cockpit_data')}?indicator=students&period=2021"

    def cockpit_shows_it():
        page.goto(f"{live_server.url}{reverse('indicators:cockpit')}")
        data = json.loads(page.evaluate(f"fetch({json.dumps(data_url)}).then(r => r.text())"))
        return str(VALID["students_total"]) in json.dumps(data, ensure_ascii=False)

    eventually(cockpit_shows_it, 10 - (time.monotonic() - accepted))
    assert "数据截至" in page.locator("#as-of").inner_text()

    def report_shows_it():
        page.goto(f"{live_server.url}{reverse('compiling:report', args=['310000', '2021'])}")
        return f"{VALID['students_total']}人" in page.content()

    eventually(report_shows_it, 10 - (time.monotonic() - accepted))
    assert "数据截至" in page.locator("section.statement").inner_text()
