"""Reporting rates (完成率与及时率) per campaign: counts per district and school, timeliness, Excel, reminders."""

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from dudao.collection.models import Submission
from dudao.notifications.models import Notification
from dudao.orgs.models import Level, OrgUnit, Role
from dudao.review.models import Reminder, Transition
from dudao.review.rates import rates
from dudao.review.reminders import remind_laggards

from .conftest import approve_to, make_user


@pytest.fixture
def cycle(world):
    """School A accepted by the city, B approved by its principal, C submitted, D (徐汇) still a draft."""
    users = world.users
    users["checker_b"] = make_user("b-checker", world.school_b, Role.CHECKER)
    users["principal_b"] = make_user("b-principal", world.school_b, Role.PRINCIPAL)
    world.school_d = OrgUnit.objects.create(
        code="3101040002", name="丁职业学校", level=Level.SCHOOL, parent=world.xuhui
    )
    world.sub_d = Submission.objects.create(campaign=world.campaign, org=world.school_d)
    users["collector_d"] = make_user("d-collector", world.school_d, Role.COLLECTOR)
    users["checker_d"] = make_user("d-checker", world.school_d, Role.CHECKER)
    approve_to(world.sub_a, users, "city_accepted")
    as_b = {
        **users,
        "collector": users["collector_b"],
        "checker": users["checker_b"],
        "principal": users["principal_b"],
    }
    approve_to(world.sub_b, as_b, "approved")
    approve_to(world.sub_c, {**users, "collector": users["collector_c"]}, "submitted")
    for key in ("collector", "collector_b", "collector_c", "collector_d", "checker_d", "district_reviewer_xuhui"):
        users[key].email = f"{users[key].username}@example.org"
        users[key].save()
    return world


def counts(rate):
    return (rate.total, rate.submitted, rate.approved, rate.accepted)


def test_rates_per_district_and_school(cycle):
    report = rates(cycle.campaign, cycle.city)
    assert counts(report.totals) == (4, 3, 2, 1)
    groups = {g.org.code: g for g in report.groups}
    assert counts(groups["310101"]) == (2, 2, 2, 1) and counts(groups["310104"]) == (2, 1, 0, 0)
    assert groups["310104"].submitted_pct == 50 and report.totals.approved_pct == 50
    assert report.totals.accepted_pct == 25 and report.direct == []
    schools = {s.org.code: s for s in rates(cycle.campaign, cycle.xuhui).schools}
    assert set(schools) == {"3101040001", "3101040002"}
    assert counts(schools["3101040001"]) == (1, 1, 0, 0) and counts(schools["3101040002"]) == (1, 0, 0, 0)
    assert [s.org.code for s in report.laggards] == ["3101040002"]
    # campaign still open: everything submitted so far is on time, nothing overdue
    assert (report.totals.on_time, report.totals.late, report.totals.overdue) == (3, 0, 0)


def test_on_time_and_late_against_a_past_deadline(cycle):
    campaign = cycle.campaign
    submitted_at = {t.submission_id: t.at for t in Transition.objects.filter(action="submit")}
    campaign.closes_at = submitted_at[cycle.sub_c.pk] - timedelta(minutes=1)  # C submitted after the deadline
    campaign.save()
    Transition.objects.filter(submission=cycle.sub_b, action="submit").update(at=campaign.closes_at - timedelta(days=1))
    schools = {s.org.code: s for s in rates(campaign, cycle.city).schools}
    assert schools["3101010002"].timeliness == "on_time" and schools["3101040001"].timeliness == "late"
    assert schools["3101040002"].timeliness == "overdue"
    groups = {g.org.code: g for g in rates(campaign, cycle.city).groups}
    assert (groups["310104"].on_time, groups["310104"].late, groups["310104"].overdue) == (0, 1, 1)
    # a submission sent back and submitted again counts with its last submission
    Transition.objects.filter(submission=cycle.sub_c).update(at=campaign.closes_at - timedelta(days=2))
    schools = {s.org.code: s for s in rates(campaign, cycle.city).schools}
    assert schools["3101040001"].timeliness == "on_time"


def test_units_straight_under_the_city_render(client, cycle):
    """Universities have no district: the city page counts them under 市属单位 and lists them (was a 500)."""
    university = OrgUnit.objects.create(code="310000U001", name="某某大学", level=Level.SCHOOL, parent=cycle.city)
    Submission.objects.create(campaign=cycle.campaign, org=university)
    report = rates(cycle.campaign, cycle.city)
    assert [s.org.code for s in report.direct] == ["310000U001"]
    assert counts({g.org.code: g for g in report.groups}[cycle.city.code]) == (1, 0, 0, 0)
    client.force_login(cycle.users["city_admin"])
    response = client.get(reverse("review:coverage", args=[cycle.campaign.pk]) + f"?org={cycle.city.code}")
    page = response.content.decode()
    assert response.status_code == 200 and "某某大学" in page and "市属单位" in page
    xlsx = client.get(reverse("review:coverage_xlsx", args=[cycle.campaign.pk]))
    assert xlsx.status_code == 200


def test_page_shows_rates_and_links_the_export(client, cycle):
    client.force_login(cycle.users["district_reviewer_xuhui"])
    page = client.get(reverse("review:coverage", args=[cycle.campaign.pk])).content.decode()
    assert "丙职业学校" in page and "丁职业学校" in page and "甲职业学校" not in page
    assert "50.0%" in page and reverse("review:coverage_xlsx", args=[cycle.campaign.pk]) in page
    assert "提醒未提交单位" in page


def test_excel_export_has_the_rows(client, cycle):
    client.force_login(cycle.users["city_admin"])
    response = client.get(reverse("review:coverage_xlsx", args=[cycle.campaign.pk]) + "?org=310000")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(response.content))
    summary = [row for row in wb["汇总"].iter_rows(min_row=2, values_only=True)]
    assert [r[0] for r in summary] == ["310101", "310104", None]
    assert summary[1][2:5] == (2, 1, 50.0) and summary[-1][1] == "合计" and summary[-1][2] == 4
    schools = {row[0]: row for row in wb["学校"].iter_rows(min_row=2, values_only=True)}
    assert set(schools) == {"3101010001", "3101010002", "3101040001", "3101040002"}
    assert schools["3101010001"][3] == "市已确认" and schools["3101010001"][6:] == (1, 1, 1)
    assert schools["3101040002"][3] == "草稿" and schools["3101040002"][6:] == (0, 0, 0)


def test_remind_laggards_mails_exactly_the_unsubmitted_units_collectors(cycle, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        reminder = remind_laggards(cycle.campaign, cycle.users["city_admin"], cycle.city)
    assert [m.to for m in mail.outbox] == [["d-collector@example.org"]]  # not D's checker, not the district
    assert "丁职业学校" in mail.outbox[0].body and cycle.campaign.name in mail.outbox[0].subject
    assert reminder.units == ["3101040002"] and reminder.recipients == ["d-collector"] and reminder.unreachable == []
    assert Reminder.objects.count() == 1
    assert Notification.objects.filter(user__username="d-collector", kind="reminder").count() == 1  # in the app too


def test_remind_through_the_page(client, cycle, django_capture_on_commit_callbacks):
    url = reverse("review:coverage_remind", args=[cycle.campaign.pk])
    client.force_login(cycle.users["district_reviewer"])  # 黄浦: everyone has submitted
    client.post(url, {"org": "310101"})
    assert mail.outbox == [] and not Reminder.objects.exists()
    client.force_login(cycle.users["district_reviewer_xuhui"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"org": "310104"})
    assert response.status_code == 302 and [m.to for m in mail.outbox] == [["d-collector@example.org"]]
    assert Reminder.objects.get().sent_by == cycle.users["district_reviewer_xuhui"]
    page = client.get(response["Location"]).content.decode()
    assert "已提醒 1 个未提交单位" in page


@pytest.mark.parametrize(
    "role, city, huangpu",
    [
        ("city_admin", 200, 200),
        ("inspector", 200, 200),
        ("district_reviewer", 404, 200),
        ("district_reviewer_xuhui", 404, 404),
        ("collector", 403, 403),
        ("principal", 403, 403),
    ],
)
def test_permissions(client, cycle, role, city, huangpu):
    client.force_login(cycle.users[role])
    for org, status in ((cycle.city, city), (cycle.huangpu, huangpu)):
        for name in ("review:coverage", "review:coverage_xlsx"):
            response = client.get(reverse(name, args=[cycle.campaign.pk]) + f"?org={org.code}")
            assert response.status_code == status, (role, name, org.code)


def test_only_city_admins_and_district_reviewers_remind(client, cycle):
    url = reverse("review:coverage_remind", args=[cycle.campaign.pk])
    for role, status in (("inspector", 403), ("collector", 403), ("district_reviewer", 404)):
        client.force_login(cycle.users[role])
        assert client.post(url, {"org": "310104"}).status_code == status, role
    assert mail.outbox == [] and not Reminder.objects.exists()
    client.force_login(cycle.users["inspector"])
    assert "提醒未提交单位" not in client.get(reverse("review:coverage", args=[cycle.campaign.pk])).content.decode()


def test_deadline_passed_without_submission_is_overdue_now(cycle):
    report = rates(cycle.campaign, cycle.city, now=cycle.campaign.closes_at + timedelta(seconds=1))
    assert report.closed and report.totals.overdue == 1
    assert not rates(cycle.campaign, cycle.city, now=timezone.now()).closed


def test_page_in_english(client, cycle):
    client.force_login(cycle.users["city_admin"])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("review:coverage", args=[cycle.campaign.pk])).content.decode()
    assert "Completeness and timeliness" in page and "Remind units that have not submitted" in page
    assert "完成率与及时率" not in page
