"""Phone layout: at 390 × 844 (a common phone) the collection form, the home page (inbox) and a work-plan task's
progress form fit the screen — no page scrolls sideways. In Debian's chromium, with test_browser's fixtures."""

from datetime import date, timedelta

from django.core.management import call_command

from dudao.plans import services as plans
from dudao.plans.models import Plan

from .test_browser import browser, pytestmark  # noqa: F401  (the chromium fixture, the marker and skip)
from .test_plans import PLAN_2024
from .test_supervision import raised, sv  # noqa: F401  (the 督学 world fixture and a finding)

PHONE = {"width": 390, "height": 844}
FITS = "() => document.documentElement.scrollWidth <= window.innerWidth"


def signed_in(chromium, live_server, username):
    # not is_mobile: mobile emulation widens the layout viewport to fit what overflows, which would hide it
    context = chromium.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.evaluate(FITS), "login page"
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-12345-dudao")
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


def overflow(page) -> str:
    """The widest elements sticking out of the screen, for the failure message."""
    return page.evaluate(
        """() => [...document.querySelectorAll('body *')]
             .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
             .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))
             .join(', ')"""
    )


def test_forms_inbox_and_progress_fit_a_phone(transactional_db, live_server, browser, world):  # noqa: F811
    page = signed_in(browser, live_server, "a-collector")
    assert page.evaluate(FITS), f"home: {overflow(page)}"
    page.goto(f"{live_server.url}/submissions/{world.sub_a.pk}/")
    page.locator("#in-students_total").wait_for()
    assert page.evaluate(FITS), f"collection form: {overflow(page)}"
    # a field error keeps the layout (the message sits under the input)
    page.fill("#in-students_total", "一千二")
    page.locator("#in-students_total").dispatch_event("change")
    page.locator("#field-students_total .error").wait_for()
    assert page.evaluate(FITS), f"collection form with an error: {overflow(page)}"
    box = page.locator("#in-students_total").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]

    call_command("plans", "import", str(PLAN_2024), "--year", "2024")
    task = Plan.objects.get(year=2024).tasks.get(no=1)
    assignment = plans.assign(task, world.huangpu, "lead", date.today() + timedelta(days=30), world.users["city_admin"])
    progress = "推进中：已完成选址。" * 8  # a long line of text in the progress table
    plans.report_progress(assignment, "2024Q1", "in_progress", progress, world.users["district_reviewer"])
    page = signed_in(browser, live_server, "huangpu")
    assert page.evaluate(FITS), f"district home: {overflow(page)}"
    page.goto(f"{live_server.url}/plans/tasks/{task.pk}/")
    page.locator(".report-form textarea").wait_for()
    assert page.evaluate(FITS), f"task progress: {overflow(page)}"


def test_supervision_pages_fit_a_phone(transactional_db, live_server, browser, sv):  # noqa: F811
    """The 督学 pages — the ledger, a finding with its forms, plans, the board, the registry, sampling — and the public
    挂牌 card and 督学工作概况 at phone width (the visit form has its own test in test_supervision_visits)."""
    finding = raised(sv)
    pages = {
        "zhang": ["/supervision/", f"/supervision/findings/{finding.pk}/", "/supervision/plans/"],
        "huangpu": ["/supervision/", "/supervision/board/", "/supervision/inspectors/", "/supervision/sampling/"],
    }
    for username, paths in pages.items():
        page = signed_in(browser, live_server, username)
        for path in paths:
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status == 200, (username, path)
            assert page.evaluate(FITS), f"{username} {path}: {overflow(page)}"
    public = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    for path in (f"/supervision/school/{sv.school_a.code}/", "/portal/supervision/"):
        assert public.goto(f"{live_server.url}{path}").status == 200, path
        assert public.evaluate(FITS), f"{path}: {overflow(public)}"


def test_year_end_account_pages_fit_a_phone(transactional_db, live_server, browser, world):  # noqa: F811
    """The office's list of accounts, one account's form (with a long task title and targets), the head's review
    queue and the plan owner's compile page — at phone width."""
    from dudao.orgs.models import OrgUnit
    from dudao.orgs.vocabulary import Role
    from dudao.plans import accounts
    from dudao.plans.parser import parse_file

    from .conftest import make_user
    from .test_plans import SEED

    admin = world.users["city_admin"]
    work_plan = plans.import_plan(parse_file(SEED), 2020, admin, "vocational_work_plan_2020.txt")
    zjc = OrgUnit.objects.get(code="310000-ZJC")
    writer = make_user("zjc-writer", zjc, Role.CITY_ADMIN)
    make_user("zjc-head", zjc, Role.CHECKER)
    a10, a12 = (plans.assign(work_plan.tasks.get(no=n), zjc, "lead", date(2020, 12, 31), admin) for n in (10, 12))
    accounts.save(a12, writer, "组建新一届{{实际1}}个中心教研组。" * 6, [30], version=0, submit=True)
    pages = {
        "zjc-writer": ["/plans/accounts/", f"/plans/assignments/{a10.pk}/account/"],
        "zjc-head": ["/plans/accounts/review/", f"/plans/assignments/{a12.pk}/account/"],
        "city": [f"/compiling/work/{work_plan.pk}/"],
    }
    for username, paths in pages.items():
        page = signed_in(browser, live_server, username)
        assert page.evaluate(FITS), f"{username} home: {overflow(page)}"
        for path in paths:
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status == 200, (username, path)
            assert page.evaluate(FITS), f"{username} {path}: {overflow(page)}"


def test_the_18_evaluation_and_survey_pages_fit_a_phone(demo, transactional_db, live_server, browser):  # noqa: F811
    """#18's pages on the demo at phone width: 问卷调查 (the list and one survey's results), the provincial 履职自评
    (the city's page and a department's), one university's 4×3 grid page, a 质量监测 campaign with its date-move form
    opened, and 学前普及普惠 with the on-site form an inspector fills. (Last in this module: a browser test commits, so
    the demo is flushed after it.)"""
    from django.contrib.auth import get_user_model

    from dudao.orgs.models import OrgUnit
    from dudao.surveys.models import Survey

    for user in get_user_model().objects.filter(username__in=["city_admin", "inspector", "fgw"]):
        user.set_password("pw-12345-dudao")  # the demo's hashes are slow PBKDF2 of another password
        user.save()
    from dudao.monitoring.models import Campaign

    survey = Survey.objects.order_by("pk").first()
    university = OrgUnit.objects.get(name="复旦大学")
    campaign = Campaign.objects.order_by("pk").first()
    pages = {
        "city_admin": [
            "/surveys/",
            f"/surveys/{survey.pk}/",
            f"/monitoring/{campaign.pk}/",
            "/evaluation/provincial_duty/?period=2020",
            "/evaluation/provincial_duty/departments/310000-CZJ/?period=2020",
            f"/evaluation/hei/?period=2020&org={university.code}",
        ],
        "fgw": ["/evaluation/provincial_duty/departments/310000-FGW/?period=2020"],
        "inspector": ["/evaluation/preschool/?period=2020&org=310101"],
    }
    for username, paths in pages.items():
        page = signed_in(browser, live_server, username)
        for path in paths:
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status == 200, (username, path)
            assert page.evaluate(FITS), f"{username} {path}: {overflow(page)}"
            if path.startswith("/monitoring/"):  # the date-move form, opened
                page.locator("#schedule summary").first.click()
                page.locator("#schedule input[name=reason]").first.wait_for()
                assert page.evaluate(FITS), f"{username} {path} (move form): {overflow(page)}"
        if username == "inspector":
            assert page.locator("#preschool-check").count() == 1  # the on-site form is on the page it measured
