"""The 工作年报 in Debian's chromium (#20 acceptance): 职业教育处 files its year-end account of a task with its figure
by reference, the office head approves it, the plan owner compiles and asks to publish, a second city admin
approves on the publication desk, and the public portal shows the report with the account's resolved figure."""

from datetime import date

from dudao.collection.campaigns import yearly_period
from dudao.orgs.models import OrgUnit
from dudao.orgs.vocabulary import Role
from dudao.plans import services
from dudao.plans.models import Account
from dudao.plans.parser import parse_file

from .conftest import make_user
from .test_browser import browser, pytestmark, session  # noqa: F401 (fixtures and marks)
from .test_plans import SEED


def test_office_files_head_approves_owner_compiles_and_publishes(
    transactional_db,
    live_server,
    browser,  # noqa: F811
    world,
):
    admin = world.users["city_admin"]  # username "city": the plan's owner
    plan = services.import_plan(parse_file(SEED), 2020, admin, "vocational_work_plan_2020.txt")
    yearly_period(2020)
    zjc = OrgUnit.objects.get(code="310000-ZJC")
    make_user("zjc-writer", zjc, Role.CITY_ADMIN)
    make_user("zjc-head", zjc, Role.CHECKER)
    make_user("city2", world.city, Role.CITY_ADMIN)
    task = plan.tasks.get(no=12)  # target: 组建新一届30个学科、专业中心教研组
    assignment = services.assign(task, zjc, "lead", date(2020, 12, 31), admin)
    target = task.targets.get()

    # the office writes its account: the figure by reference, the actual typed once
    page = session(browser, live_server, "zjc-writer")
    page.click("header >> text=年终交账")
    page.click(f"a[href='/plans/assignments/{assignment.pk}/account/']")
    page.fill(f"input[name=actual_{target.pk}]", "30")
    page.fill("textarea[name=text]", "组建新一届{{实际1}}学科、专业中心教研组（计划{{目标1}}）。")
    page.click("#account-form button[value=submit]")
    page.locator("#account-state", has_text="待审核").wait_for()
    assert "组建新一届30个学科、专业中心教研组（计划30个）。" in page.inner_text("#account-resolved")

    # the office head approves it from the review queue
    page = session(browser, live_server, "zjc-head")
    page.goto(f"{live_server.url}/plans/accounts/review/")
    page.click(f"a[href='/plans/assignments/{assignment.pk}/account/']")
    page.click("#account-approve button")
    page.locator("text=没有待审核的交账").wait_for()
    assert Account.objects.get(assignment=assignment).status == "approved"

    # the plan owner compiles, previews and asks to publish
    page = session(browser, live_server, "city")
    page.goto(f"{live_server.url}/plans/accounts/")
    page.click(f"a[href='/compiling/work/{plan.pk}/']")
    assert "共 54 项任务，1 项已交账（审核通过），53 项未交账。" in page.inner_text("main")
    preview = page.context.new_page()
    preview.goto(f"{live_server.url}/compiling/work/{plan.pk}/report.html")
    assert "组建新一届30个学科、专业中心教研组（计划30个）。" in preview.content()
    assert "附件：未交账任务" in preview.content()
    preview.close()
    page.click("#work-publish button")
    page.locator("text=第1版：待审核").wait_for()

    # a second city admin approves on the publication desk
    page = session(browser, live_server, "city2")
    page.goto(f"{live_server.url}/publications/")
    row = page.locator("tr", has_text="2020年上海市职业教育工作年报")
    row.get_by_role("button", name="审核发布").click()
    page.wait_for_load_state("networkidle")

    # the public portal lists it and shows the account
    public = browser.new_context(locale="zh-CN").new_page()
    public.goto(f"{live_server.url}/portal/?period=2020")
    public.click("text=2020年上海市职业教育工作年报")
    public.wait_for_load_state()
    text = public.content()
    assert "一、中等职业教育部分" in text
    assert "组建新一届30个学科、专业中心教研组（计划30个）。" in text
    public.context.close()
