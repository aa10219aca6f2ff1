"""The hand-overs of the year-end accounts (#20): who is told (notifications, once each) and what waits in 我的待办
for the office's writer, its head and the plan's owner; a fragment's section 0 shown without a number."""

from django.urls import reverse

from dudao.collection.campaigns import yearly_period
from dudao.compiling import workreport
from dudao.inbox.selection import inbox
from dudao.notifications.models import Notification
from dudao.notifications.services import set_preferences
from dudao.notifications.vocabulary import Kind
from dudao.orgs.selectors import city
from dudao.plans import accounts, summary
from dudao.plans.parser import UNKNOWN_SECTION, parse
from dudao.plans.services import import_plan
from dudao.portal import publishing

from .test_annual_accounts import setup  # noqa: F401  (the 2020 plan, the offices' users, tasks 10/12/17 assigned)


def told(kind):
    """{username: number of messages of ``kind``}."""
    found: dict[str, int] = {}
    for n in Notification.objects.filter(kind=kind).select_related("user"):
        found[n.user.username] = found.get(n.user.username, 0) + 1
    return found


# ----------------------------------------------------------------------------------------------- notifications


def test_submission_tells_the_head_once_return_tells_the_office_approval_tells_the_writer(setup):  # noqa: F811
    plan, users, a = setup
    account = accounts.save(a[10], users["zjc"], "首批{{实际1}}个标准。", [23, 42], version=0)
    assert told(Kind.ACCOUNT_SUBMITTED) == {}  # a draft is nobody's business yet
    account = accounts.save(a[10], users["zjc"], "首批{{实际1}}个标准。", [23, 42], version=1, submit=True)
    assert told(Kind.ACCOUNT_SUBMITTED) == {"zjc-head": 1}  # the office head, not the city admin above him
    message = Notification.objects.get(kind=Kind.ACCOUNT_SUBMITTED)
    assert message.link == reverse("plans:account", args=[a[10].pk]) and "第10项" in message.title
    accounts._tell_reviewers(account)  # told again for the same submission: a no-op (keyed by account and version)
    assert told(Kind.ACCOUNT_SUBMITTED) == {"zjc-head": 1}

    account = accounts.review(account, users["zjc_head"], "return", "请补充进展", version=account.version)
    assert told(Kind.RETURNED) == {"zjc-writer": 1}  # the office; the head who returned it is not told
    account = accounts.save(a[10], users["zjc"], "首批{{实际1}}个，{{实际2}}个在建。", [23, 42], version=3, submit=True)
    assert told(Kind.ACCOUNT_SUBMITTED) == {"zjc-head": 2}  # a resubmission is news again
    accounts.review(account, users["zjc_head"], "approve", version=account.version)
    assert told(Kind.ACCOUNT_APPROVED) == {"zjc-writer": 1}


def test_without_an_office_head_the_city_admins_are_asked_and_a_turned_off_kind_is_skipped(setup):  # noqa: F811
    plan, users, a = setup
    set_preferences(users["admin"], [k for k in Kind.values if k != Kind.ACCOUNT_SUBMITTED])
    accounts.save(a[17], users["dds"], "督导室交账。", version=0, submit=True)  # 督导室 has no 审核员
    assert told(Kind.ACCOUNT_SUBMITTED) == {}  # the only city admin turned this kind off
    set_preferences(users["admin"], Kind.values)
    account = accounts.save(a[12], users["zjc"], "组建教研组。", version=0, submit=True)
    accounts.review(account, users["admin"], "approve", version=account.version)  # the city admin reviews too
    assert told(Kind.ACCOUNT_SUBMITTED) == {"zjc-head": 1}
    assert told(Kind.ACCOUNT_APPROVED) == {"zjc-writer": 1}


# ----------------------------------------------------------------------------------------------- 我的待办


def test_inbox_of_the_writer_the_head_and_the_plan_owner(setup):  # noqa: F811
    plan, users, a = setup
    # nothing written yet: the ZJC writer owes tasks 10 and 12, the DDS writer task 17; nobody reviews; not ready
    assert [(x.task.no, acc) for x, acc in inbox(users["zjc"]).accounts_to_write] == [(10, None), (12, None)]
    assert [x.task.no for x, _acc in inbox(users["dds"]).accounts_to_write] == [17]
    assert inbox(users["admin"]).accounts_to_write == []  # the city admin does not answer for offices with writers
    assert inbox(users["zjc_head"]).accounts_to_review == []
    assert inbox(users["admin"]).work_reports == []

    draft = accounts.save(a[10], users["zjc"], "草稿。", version=0)
    sent = accounts.save(a[12], users["zjc"], "组建教研组。", version=0, submit=True)
    mine = inbox(users["zjc"])
    assert [(x.task.no, acc.status) for x, acc in mine.accounts_to_write] == [(10, "draft")]  # 12 is with the head
    assert mine.counts()["accounts_to_write"] == 1
    head = inbox(users["zjc_head"])
    assert head.accounts_to_review == [sent] and head.counts()["accounts_to_review"] == 1
    assert inbox(users["zjc"]).accounts_to_review == []  # the writer does not review his own

    returned = accounts.review(sent, users["zjc_head"], "return", "补充数字", version=sent.version)
    assert [(x.task.no, acc.status) for x, acc in inbox(users["zjc"]).accounts_to_write] == [
        (10, "draft"),
        (12, "returned"),
    ]
    # everything approved → the owner (city admin) is asked to compile and publish; the compiler may compile but
    # not request publication, so it is not his to-do
    for account, version in ((draft, draft.version), (returned, returned.version)):
        account = accounts.save(account.assignment, users["zjc"], "完成。", version=version, submit=True)
        accounts.review(account, users["zjc_head"], "approve", version=account.version)
    assert inbox(users["admin"]).work_reports == []  # task 17 still has no approved account
    account = accounts.save(a[17], users["dds"], "完成。", version=0, submit=True)
    accounts.review(account, users["admin"], "approve", version=account.version)
    assert inbox(users["zjc"]).accounts_to_write == []
    owner = inbox(users["admin"])
    assert owner.work_reports == [plan] and owner.counts()["work_reports"] == 1
    assert inbox(users["compiler"]).work_reports == []
    publishing.request(city(), yearly_period(2020), users["admin"], workreport.template_of(plan), notify=False)
    assert inbox(users["admin"]).work_reports == []  # asked for: the publication desk takes over


def test_home_page_shows_the_accounts_sections(setup, client):  # noqa: F811
    plan, users, a = setup
    accounts.save(a[12], users["zjc"], "组建教研组。", version=0, submit=True)
    client.force_login(users["zjc"])
    page = client.get("/").content.decode()
    assert 'id="inbox-accounts_to_write"' in page and reverse("plans:account", args=[a[10].pk]) in page
    client.force_login(users["zjc_head"])
    page = client.get("/").content.decode()
    assert 'id="inbox-accounts_to_review"' in page and reverse("plans:account", args=[a[12].pk]) in page


# ----------------------------------------------------------------------------------------------- section 0


def test_section_zero_of_a_fragment_has_no_number(world):
    fragment = parse("1. 推进中高职贯通培养，新增试点专业10个。\n2. 开展教师培训。\n")
    plan = import_plan(fragment, 2021, world.users["city_admin"], "fragment.txt")
    sections = summary.build(plan)
    assert [s.no for s in sections] == [0]
    assert summary.heading(sections[0]) == UNKNOWN_SECTION
    assert summary.heading(summary.SectionSummary(3, "深化产教融合")) == "3. 深化产教融合"
    html = summary.to_html(plan)
    assert f"<h2>{UNKNOWN_SECTION}</h2>" in html and "0. " not in html
