"""#14's acceptance in chromium: a school's 2021 submission taken through its five steps in the browser reaches the
city cockpit and the city report preview within 10 s — no ``dudao analytics rebuild``, no CLI."""

import json
import time

from django.urls import reverse

from dudao.collection import services

from .conftest import VALID
from .test_browser import act, browser, pytestmark, session  # noqa: F401 (fixtures and marks)


def eventually(check, seconds=10.0):
    deadline = time.monotonic() + seconds
    while True:
        if check():
            return
        assert time.monotonic() < deadline, "not within 10 s"
        time.sleep(0.5)


def test_five_steps_reach_the_cockpit_and_the_city_report(transactional_db, live_server, browser, world, settings):  # noqa: F811
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    sub = world.sub_a
    services.save_values(sub, VALID, world.users["collector"])
    url = f"{live_server.url}/submissions/{sub.pk}/"
    for username, label, extra in [
        ("a-collector", "提交审核", {}),
        ("a-checker", "审核通过", {}),
        ("a-principal", "核准并签署责任声明", {"confirm": True, "signer_name": "张校长"}),
        ("huangpu", "区确认", {}),
        ("city", "市确认", {}),
    ]:
        page = session(browser, live_server, username)
        page.goto(url)
        act(page, label, **extra)
    assert page.locator("#state").inner_text() == "市已确认"
    accepted = time.monotonic()

    data_url = f"{live_server.url}{reverse('indicators:cockpit_data')}?indicator=students&period=2021"

    def cockpit_shows_it():
        page.goto(f"{live_server.url}{reverse('indicators:cockpit')}")
        if "2021" not in page.locator("select[name=period]").inner_text():
            return False
        data = json.loads(page.evaluate(f"fetch({json.dumps(data_url)}).then(r => r.text())"))
        return str(VALID["students_total"]) in json.dumps(data, ensure_ascii=False)

    eventually(cockpit_shows_it, 10 - (time.monotonic() - accepted))
    assert "数据截至" in page.locator("#as-of").inner_text()

    def report_shows_it():
        page.goto(f"{live_server.url}{reverse('compiling:report', args=[world.city.code, '2021'])}")
        return f"{VALID['students_total']}人" in page.content()

    eventually(report_shows_it, 10 - (time.monotonic() - accepted))
    assert "数据截至" in page.locator("section.statement").inner_text()
