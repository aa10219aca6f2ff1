"""我的待办: each role's inbox lists exactly what waits for it — submissions at each step, returned data, tasks due,
reminders to answer, publications and chapters to approve — and its counts are the lengths of its lists."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dudao.collection.models import Submission
from dudao.collection.views import workbench
from dudao.collection.workflows import workflows
from dudao.compiling import services as compiling
from dudao.inbox.selection import inbox, next_actor
from dudao.orgs.models import Level, OrgUnit
from dudao.plans import services as plans
from dudao.plans.models import Plan, Task
from dudao.portal import publishing
from dudao.review.workflow import perform

from .conftest import approve_to

SUBMISSION_SECTIONS = ("to_review", "returned", "to_fill")

# a district report requested before its schools are approved needs a reason (the coverage guard of #14 point 6)
EARLY = "先行发布，学校数据陆续核准中"


def waiting(user):
    """{section: [submission ids]} of the user's submission sections, and the inbox itself."""
    box = inbox(user)
    return {name: [item.submission.pk for item in getattr(box, name)] for name in SUBMISSION_SECTIONS}, box


def only(section=None, ids=()):
    found = {name: [] for name in SUBMISSION_SECTIONS}
    if section:
        found[section] = list(ids)
    return found


def assert_counts_match(box):
    counts = box.counts()
    for name, count in counts.items():
        assert count == len(getattr(box, name)), name
    assert box.total == sum(counts.values())


def test_each_role_sees_exactly_the_step_waiting_for_it(world):
    u, a = world.users, world.sub_a
    everyone = list(u)

    def expect(holder_section):
        """holder_section: {user key: (section, [ids])}; everyone else: nothing waiting for sub_a."""
        for key in everyone:
            found, box = waiting(u[key])
            assert_counts_match(box)
            section, ids = holder_section.get(key, (None, ()))
            mine = {name: [pk for pk in pks if pk == a.pk] for name, pks in found.items()}
            assert mine == only(section, ids), key

    # a draft of an open campaign: the school's collector fills it, nobody else
    expect({"collector": ("to_fill", [a.pk])})
    approve_to(a, u, "submitted")
    expect({"checker": ("to_review", [a.pk])})
    perform(a, "check", u["checker"])
    expect({"principal": ("to_review", [a.pk])})
    perform(a, "approve", u["principal"], signer_name="张校长", confirm=True)
    expect({"district_reviewer": ("to_review", [a.pk])})  # not the other district's reviewer, not the city
    perform(a, "district_accept", u["district_reviewer"])
    expect({"city_admin": ("to_review", [a.pk])})
    perform(a, "return", u["city_admin"], reason="学生数与上年差异过大")
    expect({"collector": ("returned", [a.pk])})
    box = inbox(u["collector"])
    assert box.returned[0].reason == "学生数与上年差异过大"
    assert box.returned[0].next == "待采集员提交"
    for action, key in [("submit", "collector"), ("check", "checker"), ("district_accept", "district_reviewer")]:
        if action == "district_accept":
            perform(a, "approve", u["principal"], signer_name="张校长", confirm=True)
        perform(a, action, u[key])
    perform(a, "city_accept", u["city_admin"])
    expect({})  # accepted: reopening is possible, but nothing waits


def test_other_schools_drafts_belong_to_their_own_collectors(world):
    found, _ = waiting(world.users["collector_b"])
    assert found == only("to_fill", [world.sub_b.pk])
    found, _ = waiting(world.users["collector_c"])
    assert found == only("to_fill", [world.sub_c.pk])


def test_a_campaign_that_has_not_opened_asks_nothing_yet(world):
    world.campaign.opens_at = timezone.now() + timedelta(days=2)
    world.campaign.save()
    found, _ = waiting(world.users["collector"])
    assert found == only()


def test_who_acts_next_is_said_in_words(world):
    wf = workflows()["default"]
    assert next_actor(wf, "submitted") == "待审核员审核"
    assert next_actor(wf, "checked") == "待校长核准"
    assert next_actor(wf, "approved") == "待区审核员确认"
    assert next_actor(wf, "district_accepted") == "待市管理员确认"
    assert next_actor(wf, "city_accepted") == ""
    approve_to(world.sub_a, world.users, "approved")
    item = inbox(world.users["district_reviewer"]).to_review[0]
    assert (item.state, item.next, item.actions) == ("已核准", "待区审核员确认", ["区确认"])


def test_four_eyes_step_is_not_offered_to_who_submitted(world):
    """district_report: the clerk submits, a reviewer approves — a reviewer who also submitted it is not asked."""
    from dudao.collection.campaigns import open_campaign, yearly_period
    from dudao.collection.models import DataSet

    dataset = DataSet.objects.get(code="district_vocational")
    now = timezone.now()
    campaign = open_campaign(dataset, yearly_period(2021), world.city, now - timedelta(days=1), now + timedelta(days=9))
    sub = campaign.submissions.get(org=world.huangpu)
    found, _ = waiting(world.users["district_clerk"])
    assert sub.pk in found["to_fill"]
    # the reviewer also holds the clerk's role here and submits it himself
    from dudao.orgs.services import grant

    reviewer = world.users["district_reviewer"]
    grant(reviewer, world.huangpu, "district_clerk")
    Submission.objects.filter(pk=sub.pk).update(state="submitted")
    from dudao.review.models import Transition

    Transition.objects.create(submission=sub, action="submit", from_state="draft", to_state="submitted", user=reviewer)
    found, _ = waiting(reviewer)
    assert sub.pk not in found["to_review"]
    found, _ = waiting(world.users["city_admin"])
    assert sub.pk not in found["to_review"]  # approving a district's own data is the district's step


def test_workbench_count_is_not_cut_at_50(world):
    for n in range(60):
        school = OrgUnit.objects.create(
            code=f"31010190{n:02d}", name=f"学校{n}", level=Level.SCHOOL, parent=world.huangpu
        )
        Submission.objects.create(campaign=world.campaign, org=school)
    row = next(r for r in workbench(world.users["city_admin"])["rows"] if r["campaign"] == world.campaign)
    assert row["count"] == 63
    row = next(r for r in workbench(world.users["district_reviewer"])["rows"] if r["campaign"] == world.campaign)
    assert row["count"] == 62


@pytest.fixture
def plan_task(world):
    plan = Plan.objects.create(year=2021, title="2021年工作要点")
    task = Task.objects.create(plan=plan, no=7, section_no=1, title="推进产教融合", body="推进产教融合。")
    return task


def test_tasks_due_and_reminders_reach_the_unit_not_the_city(world, plan_task):
    u = world.users
    today = timezone.localdate()
    soon = plans.assign(plan_task, world.huangpu, "lead", today + timedelta(days=5), u["city_admin"])
    later_task = Task.objects.create(plan=plan_task.plan, no=8, section_no=1, title="远期", body="远期。")
    plans.assign(later_task, world.huangpu, "lead", today + timedelta(days=90), u["city_admin"])
    box = inbox(u["district_reviewer"])
    assert [t.assignment.pk for t in box.tasks] == [soon.pk]  # due within 30 days; the later one is not yet
    assert box.tasks[0].status == "未启动" and not box.tasks[0].overdue
    for key in ("city_admin", "district_reviewer_xuhui", "collector", "inspector"):
        assert inbox(u[key]).tasks == [], key

    reminder = plans.remind(soon, "请报送进展", u["inspector"])
    assert [r.pk for r in inbox(u["district_reviewer"]).reminders] == [reminder.pk]
    assert inbox(u["city_admin"]).reminders == []
    plans.answer(reminder, "已推进", u["district_reviewer"])
    assert inbox(u["district_reviewer"]).reminders == []

    plans.report_progress(soon, "2021Q1", "done", "已完成。", u["district_reviewer"])
    assert inbox(u["district_reviewer"]).tasks == []  # done: no longer due


def test_overdue_task_is_flagged(world, plan_task):
    today = timezone.localdate()
    plans.assign(plan_task, world.huangpu, "lead", today - timedelta(days=1), world.users["city_admin"])
    (item,) = inbox(world.users["district_reviewer"]).tasks
    assert item.overdue


def test_publication_waits_for_those_who_may_approve_it(world):
    u = world.users
    pub = publishing.request(world.huangpu, world.campaign.period, u["district_clerk"], reason=EARLY)
    assert [p.pk for p in inbox(u["district_reviewer"]).publications] == [pub.pk]
    assert [p.pk for p in inbox(u["city_admin"]).publications] == [pub.pk]
    for key in ("district_clerk", "district_reviewer_xuhui", "analyst", "collector"):
        assert inbox(u[key]).publications == [], key
    publishing.approve(pub, u["district_reviewer"])
    assert inbox(u["city_admin"]).publications == []


def test_submitted_chapter_waits_for_a_city_admin(world):
    u = world.users
    chapter = compiling.open_chapter(world.city, world.campaign.period, "2.3", u["compiler"])
    compiling.save_part(chapter, None, "", "毕业生就业情况良好。", u["compiler"], chapter.version)
    chapter.refresh_from_db()
    compiling.submit(chapter, u["compiler"])
    assert [c.pk for c in inbox(u["city_admin"]).chapters] == [chapter.pk]
    assert inbox(u["compiler"]).chapters == []
    assert inbox(u["district_reviewer"]).chapters == []


def test_home_page_is_the_inbox(world, client):
    approve_to(world.sub_a, world.users, "submitted")
    client.force_login(world.users["checker"])
    page = client.get("/").content.decode()
    assert "我的待办" in page and 'id="inbox-to_review"' in page
    assert "甲职业学校" in page and "待审核员审核" in page
    assert 'id="inbox-total">1<' in page
    client.force_login(world.users["collector_b"])
    page = client.get("/").content.decode()
    assert 'id="inbox-to_fill"' in page and "乙职业学校" in page and "甲职业学校" not in page
