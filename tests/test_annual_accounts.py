"""Year-end accounts (年终交账) and the 工作年报 compiled from them (#20 parts 2 and 4): who writes and reviews, the
states, stale saves, figures by reference, the annex of tasks without an approved account, the report's form and
the publication through the portal's four-eyes step."""

from datetime import date
from pathlib import Path

import pytest
from django.urls import reverse

from dudao.collection.campaigns import yearly_period
from dudao.compiling import workreport
from dudao.concurrency import StaleEdit
from dudao.demo import accounts as demo_accounts
from dudao.errors import DudaoError
from dudao.orgs.models import OrgUnit
from dudao.orgs.vocabulary import Role
from dudao.plans import accounts, services
from dudao.plans.models import Account, Plan
from dudao.plans.parser import parse_file
from dudao.portal import publishing
from dudao.reports.render import to_docx, to_html

from .conftest import make_user
from .test_plans import SEED

SAMPLE = Path(__file__).parent / "data" / "accounts_sample.yaml"  # tasks 10, 12 and 17, in the demo's format


@pytest.fixture
def setup(world):
    admin = world.users["city_admin"]
    plan = services.import_plan(parse_file(SEED), 2020, admin, "vocational_work_plan_2020.txt")
    zjc, dds = OrgUnit.objects.get(code="310000-ZJC"), OrgUnit.objects.get(code="310000-DDS")
    users = {
        "admin": admin,
        "zjc": make_user("zjc-writer", zjc, Role.CITY_ADMIN),  # the office's writer, as in the demo
        "zjc_head": make_user("zjc-head", zjc, Role.CHECKER),
        "dds": make_user("dds-writer", dds, Role.CITY_ADMIN),
        "compiler": world.users["compiler"],
        "analyst": world.users["analyst"],
    }
    task10, task12, task17 = (plan.tasks.get(no=n) for n in (10, 12, 17))
    a10 = services.assign(task10, zjc, "lead", date(2020, 12, 31), admin)
    a12 = services.assign(task12, zjc, "lead", date(2020, 12, 31), admin)
    a17 = services.assign(task17, dds, "lead", date(2020, 12, 31), admin)
    return plan, users, {10: a10, 12: a12, 17: a17}


# ----------------------------------------------------------------------------------------------- pure rules


def test_tokens_resolve_to_target_and_actual_figures():
    targets = [(23.0, "个"), (42.0, "个"), (1.5, "万人次")]
    text = "计划{{目标1}}，完成{{实际1}}；{{ 实际2 }}在建；培训{{实际3}}（目标{{目标3}}）。"
    assert (
        accounts.resolve(text, targets, [23, None, 1.25])
        == "计划23个，完成23个；—在建；培训1.25万人次（目标1.5万人次）。"
    )
    assert accounts.token_problems("{{实际4}}", 3) and not accounts.token_problems("{{实际3}}", 3)


def test_chapter_numerals():
    assert [workreport.numeral(n) for n in (1, 6, 10, 12, 20, 23)] == ["一", "六", "十", "十二", "二十", "二十三"]


# ----------------------------------------------------------------------------------------------- who and states


def test_another_office_cannot_write_and_readers_cannot_either(setup):
    plan, users, a = setup
    for who in ("dds", "zjc_head", "analyst", "compiler"):
        with pytest.raises(DudaoError) as refused:
            accounts.save(a[10], users[who], "完成。", version=0)
        assert refused.value.status == 403, who
    assert not Account.objects.exists()
    accounts.save(a[10], users["zjc"], "完成。", version=0)  # the office itself may
    accounts.save(
        a[17], users["admin"], "督导室交账。", version=0
    )  # the city's plan administrators write for any office


def test_submit_review_return_then_editable_again(setup):
    plan, users, a = setup
    account = accounts.save(a[10], users["zjc"], "首批{{实际1}}个标准。", [23, 42], version=0, submit=True)
    assert account.status == "submitted" and account.version == 1
    with pytest.raises(DudaoError) as locked:  # submitted: the office waits for its head
        accounts.save(a[10], users["zjc"], "改", version=account.version)
    assert locked.value.status == 409
    with pytest.raises(DudaoError) as own:  # the city admin who also writes may not approve what he submitted
        accounts.review(
            accounts.save(a[17], users["admin"], "x", version=0, submit=True), users["admin"], "approve", version=1
        )
    assert own.value.status == 403
    with pytest.raises(DudaoError):  # another office's writer is no reviewer
        accounts.review(account, users["dds"], "approve", version=account.version)
    with pytest.raises(DudaoError):  # a return needs its reason
        accounts.review(account, users["zjc_head"], "return", "", version=account.version)
    account = accounts.review(account, users["zjc_head"], "return", "请补充42个专业建设进展", version=1)
    assert account.status == "returned" and account.version == 2
    account = accounts.save(a[10], users["zjc"], "首批{{实际1}}个，{{实际2}}个在建。", [23, 42], version=2, submit=True)
    account = accounts.review(account, users["zjc_head"], "approve", version=3)
    assert account.status == "approved" and account.reviewed_by == users["zjc_head"]
    with pytest.raises(DudaoError) as final:
        accounts.save(a[10], users["zjc"], "再改", version=account.version)
    assert final.value.status == 409


def test_stale_version_is_refused_and_nothing_changes(setup):
    plan, users, a = setup
    accounts.save(a[12], users["zjc"], "第一稿", version=0)
    accounts.save(a[12], users["admin"], "处长改过的稿", version=1)
    with pytest.raises(StaleEdit) as stale:
        accounts.save(a[12], users["zjc"], "基于第一稿的修改", version=1)
    assert "处长改过的稿" in stale.value.message
    with pytest.raises(StaleEdit):  # a second "first" save from a page that saw no account
        accounts.save(a[12], users["zjc"], "另一个第一稿", version=0)
    assert Account.objects.get(assignment=a[12]).text == "处长改过的稿"


def test_submit_needs_the_actuals_the_text_cites_and_tokens_of_existing_targets(setup):
    plan, users, a = setup
    with pytest.raises(DudaoError) as wrong:
        accounts.save(a[12], users["zjc"], "{{实际2}}", version=0)  # task 12 has one target (30个)
    assert "text" in wrong.value.errors
    with pytest.raises(DudaoError) as missing:
        accounts.save(a[12], users["zjc"], "组建{{实际1}}个", version=0, submit=True)
    target = plan.tasks.get(no=12).targets.get()
    assert f"actual_{target.pk}" in missing.value.errors
    with pytest.raises(DudaoError) as bad:
        accounts.save(a[12], users["zjc"], "组建{{实际1}}个", {target.pk: "-3"}, version=0)
    assert f"actual_{target.pk}" in bad.value.errors
    assert not Account.objects.exists()


# ----------------------------------------------------------------------------------------------- compiling


def test_compilation_body_annex_and_figures(setup):
    plan, users, a = setup
    demo_accounts.load(plan, SAMPLE)  # three sample accounts: tasks 10, 12 (职业教育处) and 17 (督导室), approved
    done = accounts.compilation(plan)
    # 54 tasks, 3 approved accounts → 51 in the annex
    assert (done.tasks, done.accounted, len(done.missing)) == (54, 3, 51)
    assert [m.no for m in done.missing][:10] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 11]
    body = {t.no: t for c in done.chapters for _, ts in c.subsections for t in ts}
    assert sorted(body) == [10, 12, 17]
    # task 10's targets are 23个 and 42个; the YAML's actuals [23, 42] replace {{实际1}}, {{实际2}}, {{目标1}}
    assert "完成首批23个中高职专业教学标准开发（计划23个），42个中高职" in body[10].paragraphs[1]
    assert "组建新一届30个学科" in body[12].paragraphs[0]
    assert "首批10所中职校抽样复核" in body[17].paragraphs[0]
    # a submitted-but-unapproved account stays out of the body and says so in the annex
    accounts.save(
        plan.tasks.get(no=11).assignments.first() or _assign(plan, 11, users), users["zjc"], "草稿", version=0
    )
    eleven = next(m for m in accounts.compilation(plan).missing if m.no == 11)
    assert eleven.offices == [("职业教育处", "草稿")]


def _assign(plan, no, users):
    return services.assign(
        plan.tasks.get(no=no), OrgUnit.objects.get(code="310000-ZJC"), "lead", date(2020, 12, 31), users["admin"]
    )


def test_report_chapters_annex_and_official_form(setup, monkeypatch):
    plan, users, a = setup
    demo_accounts.load(plan, SAMPLE)
    city, period = OrgUnit.objects.get(code="310000"), yearly_period(2020)
    report = workreport.build(plan, city, period)
    # no statistics imported: chapter 一 is the plan's section 二 (tasks 10, 12, 17 are all in 中等职业教育部分)
    assert [s.title for s in report.sections if s.level == 1] == ["一、中等职业教育部分", "附件：未交账任务"]
    assert report.title == "2020年上海市职业教育工作年报" and report.issuer == "上海市教育委员会"
    assert "共54项任务，3项已交账，51项未交账" in report.sources_sentence
    html = to_html(report)
    assert "各校校长签署的责任声明" not in html and "表附-1 未交账任务" in html
    assert to_docx(report)[:2] == b"PK"
    monkeypatch.setattr(workreport.overview, "paragraphs", lambda code, org: ["2020年全市共有各级各类学校3000所。"])
    report = workreport.build(plan, city, period)
    assert [s.title for s in report.sections if s.level == 1][:2] == ["一、基本情况", "二、中等职业教育部分"]


def test_published_through_the_portal_four_eyes_step(setup, world):
    plan, users, a = setup
    demo_accounts.load(plan, SAMPLE)
    city, period = OrgUnit.objects.get(code="310000"), yearly_period(2020)
    second = make_user("city2", city, Role.CITY_ADMIN)
    with pytest.raises(DudaoError):  # the compiler compiles, but asking to publish is the city admins'
        publishing.request(city, period, users["compiler"], workreport.template_of(plan))
    pub = publishing.request(city, period, users["admin"], workreport.template_of(plan))
    assert pub.status == "pending" and pub.title == "2020年上海市职业教育工作年报"
    with pytest.raises(DudaoError):
        publishing.approve(pub, users["admin"])  # four eyes
    publishing.approve(pub, second)
    assert pub.status == "published"
    assert publishing.pdf_of(pub)[:4] == b"%PDF"


def test_pages_answer_their_roles(setup, client):
    plan, users, a = setup
    client.force_login(users["zjc"])
    assert client.get(reverse("plans:accounts")).status_code == 200
    page = client.get(reverse("plans:account", args=[a[10].pk]))
    assert page.status_code == 200 and "account-form" in page.content.decode()
    assert client.get(reverse("compiling:work", args=[plan.pk])).status_code == 403
    client.force_login(users["dds"])
    assert client.post(reverse("plans:account", args=[a[10].pk]), {"text": "x", "version": 0}).status_code in (
        403,
        404,
    )
    client.force_login(users["compiler"])
    assert client.get(reverse("compiling:work", args=[plan.pk])).status_code == 200
    assert Plan.objects.count() == 1


def test_review_queue_is_may_review_in_one_query(setup, world, django_assert_max_num_queries):
    """The queue the home page shows each user holds exactly the submitted accounts :func:`accounts.may_review`
    allows them — the office's head and a city admin, not the submitter, nobody else — in a bounded number of
    queries however many accounts wait."""
    plan, users, a = setup
    dds_head = make_user("dds-head", OrgUnit.objects.get(code="310000-DDS"), Role.CHECKER)
    for no in (10, 12):
        accounts.save(
            a[no], users["zjc"], "完成{{实际1}}。", [1, 1][: a[no].task.targets.count()], version=0, submit=True
        )
    accounts.save(a[17], users["dds"], "完成{{实际1}}。", [10], version=0, submit=True)
    eleven = _assign(plan, 11, users)  # a city admin may write for an office — and may not review what it submitted
    accounts.save(eleven, users["admin"], "完成{{实际1}}。", [9], version=0, submit=True)
    submitted = list(Account.objects.filter(status="submitted").order_by("submitted_at", "pk"))
    assert len(submitted) == 4
    people = [
        *users.values(),
        dds_head,
        world.users["district_reviewer"],
        world.users["checker"],
        world.users["inspector"],
    ]
    for person in people:
        with django_assert_max_num_queries(6):
            queue = accounts.review_queue(person)
        assert queue == [x for x in submitted if accounts.may_review(person, x)], person.username
    assert [x.assignment.task.no for x in accounts.review_queue(users["zjc_head"])] == [10, 12, 11]
    assert [x.assignment.task.no for x in accounts.review_queue(dds_head)] == [17]
    assert [x.assignment.task.no for x in accounts.review_queue(users["admin"])] == [10, 12, 17]  # not its own 11
    assert accounts.review_queue(users["zjc"]) == []
