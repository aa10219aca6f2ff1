"""District inputs (区级年报数据): the bureau's clerk fills and submits its own data set, a second district user
approves (four-eyes), approval locks it, and the city's 政府履责 figures sum the approved districts only."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dudao.collection.campaigns import open_campaign, yearly_period
from dudao.collection.models import DataSet, DataValue, Submission
from dudao.collection.services import can_edit, save_values
from dudao.errors import DudaoError
from dudao.indicators import engine
from dudao.indicators.models import IndicatorValue
from dudao.orgs.models import Membership, OrgUnit, Role
from dudao.review.workflow import available_steps, perform

from .conftest import make_user

pytestmark = pytest.mark.django_db

FIGURES = {
    "district_funding": "12500.50",
    "district_funding_standard": "12000",
    "district_special_funds": "2300",
    "district_policies": 3,
    "district_policies_list": "《关于深化产教融合的实施意见》\n《中职学校实训基地建设管理办法》",
    "district_projects": 5,
    "district_staff_quota": 820,
    "district_staff_filled": 790,
    "district_training_bases_new": 2,
    "district_pilots_hosted": 4,
    "district_text_overview": "区内中职学校布局合理。",
    "district_text_government": "区政府统筹推进职业教育改革。",
    "district_text_features": "产教融合特色鲜明。",
    "district_text_outlook": "继续提升内涵质量。",
    "district_case_1_title": "园区共建实训中心",
    "district_case_1_body": "区教育局与产业园区共建实训中心。",
    "district_case_1_chapter": "6",
}


@pytest.fixture
def district(world):
    """The district data set's campaign for 2021 with a clerk and a second reviewer for 黄浦, and a clerk for 徐汇."""
    now = timezone.now()
    w = world
    w.district_campaign = open_campaign(
        DataSet.objects.get(code="district_vocational"),
        yearly_period(2021),
        w.city,
        now - timedelta(days=1),
        now + timedelta(days=30),
    )
    w.clerk = w.users["district_clerk"]
    w.clerk_xuhui = make_user("xuhui-clerk", w.xuhui, Role.DISTRICT_CLERK)
    w.reviewer = w.users["district_reviewer"]
    w.dsub = w.district_campaign.submissions.get(org=w.huangpu)
    w.dsub_xuhui = w.district_campaign.submissions.get(org=w.xuhui)
    return w


def test_campaign_enrolls_every_district_with_the_district_workflow(district):
    subs = district.district_campaign.submissions.all()
    assert district.district_campaign.workflow == "district_report"
    assert {s.org.level for s in subs} == {"district"}
    assert subs.count() == OrgUnit.objects.filter(level="district").count() == 16


def test_clerk_fills_and_submits_reviewer_approves_and_it_locks(district):
    w = district
    save_values(w.dsub, FIGURES, w.clerk)
    perform(w.dsub, "submit", w.clerk)
    w.dsub.refresh_from_db()
    assert w.dsub.state == "submitted" and not can_edit(w.clerk, w.dsub)
    perform(w.dsub, "approve", w.reviewer)
    w.dsub.refresh_from_db()
    assert w.dsub.state == "approved"
    with pytest.raises(DudaoError) as refused:
        save_values(w.dsub, {"district_funding": "1"}, w.clerk)
    assert refused.value.status == 403


def test_the_reviewer_does_not_write_the_data_it_approves(district):
    w = district
    assert can_edit(w.clerk, w.dsub) and not can_edit(w.reviewer, w.dsub)
    with pytest.raises(DudaoError):
        save_values(w.dsub, {"district_funding": "1"}, w.reviewer)


def test_the_submitter_cannot_approve_their_own_submission(district):
    w = district
    both = make_user("huangpu-both", w.huangpu, Role.DISTRICT_CLERK)  # one person holding both district roles
    Membership.objects.create(user=both, org=w.huangpu, role=Role.DISTRICT_REVIEWER)
    both = type(both).objects.get(pk=both.pk)  # fresh: roles are cached on the user object
    save_values(w.dsub, FIGURES, both)
    perform(w.dsub, "submit", both)
    w.dsub.refresh_from_db()
    assert [s.action for s in available_steps(w.dsub, both)] == ["return"]
    with pytest.raises(DudaoError) as refused:
        perform(w.dsub, "approve", both)
    assert refused.value.status == 403 and "四眼" in str(refused.value)
    w.dsub.refresh_from_db()
    assert w.dsub.state == "submitted"
    perform(w.dsub, "approve", w.reviewer)  # a second district user
    w.dsub.refresh_from_db()
    assert w.dsub.state == "approved"


def test_return_needs_a_reason_and_reopens_editing(district):
    w = district
    save_values(w.dsub, FIGURES, w.clerk)
    perform(w.dsub, "submit", w.clerk)
    with pytest.raises(DudaoError):
        perform(w.dsub, "return", w.reviewer)
    perform(w.dsub, "return", w.reviewer, reason="专项经费口径有误，请核对")
    w.dsub.refresh_from_db()
    assert w.dsub.state == "returned" and can_edit(w.clerk, w.dsub)
    assert w.dsub.transitions.last().reason == "专项经费口径有误，请核对"


def test_clerk_cannot_take_the_reviewers_steps_nor_the_reverse(district):
    w = district
    save_values(w.dsub, FIGURES, w.clerk)
    with pytest.raises(DudaoError):
        perform(w.dsub, "submit", w.reviewer)
    perform(w.dsub, "submit", w.clerk)
    with pytest.raises(DudaoError):
        perform(w.dsub, "approve", w.clerk)


def test_reopen_by_the_district_reviewer_or_the_city(district):
    w = district
    save_values(w.dsub, FIGURES, w.clerk)
    perform(w.dsub, "submit", w.clerk)
    perform(w.dsub, "approve", w.reviewer)
    with pytest.raises(DudaoError):
        perform(w.dsub, "reopen", w.clerk, reason="补充案例")
    perform(w.dsub, "reopen", w.users["city_admin"], reason="补充案例")
    w.dsub.refresh_from_db()
    assert w.dsub.state == "returned"


def test_a_clerk_of_another_district_can_neither_see_nor_edit(district, client):
    w = district
    assert not can_edit(w.clerk_xuhui, w.dsub)
    with pytest.raises(DudaoError):
        save_values(w.dsub, {"district_funding": "1"}, w.clerk_xuhui)
    client.force_login(w.clerk_xuhui)
    assert client.get(reverse("review:submission", args=[w.dsub.pk])).status_code == 404
    response = client.post(reverse("collection:save_value", args=[w.dsub.pk, "district_funding"]), {"value": "1"})
    assert response.status_code == 404


def test_a_district_clerk_does_not_edit_its_schools_data(district):
    assert not can_edit(district.clerk, district.sub_a)


def test_the_form_pages_work_for_a_district_submission(district, client):
    w = district
    client.force_login(w.clerk)
    home = client.get(reverse("home")).content.decode()
    assert reverse("review:submission", args=[w.dsub.pk]) in home
    page = client.get(reverse("review:submission", args=[w.dsub.pk])).content.decode()
    assert "区财政投入中等职业教育经费" in page and "区级案例" in page
    url = reverse("collection:save_value", args=[w.dsub.pk, "district_funding"])
    assert client.post(url, {"value": "9800.5", "version": "0"}).status_code == 200
    assert client.post(url, {"value": "很多"}).status_code == 422
    save_values(w.dsub, FIGURES, w.clerk)
    client.post(reverse("review:act", args=[w.dsub.pk, "submit"]))
    w.dsub.refresh_from_db()
    assert w.dsub.state == "submitted"
    page = client.get(reverse("review:submission", args=[w.dsub.pk])).content.decode()
    assert reverse("review:act", args=[w.dsub.pk, "approve"]) not in page

    client.force_login(w.reviewer)
    assert reverse("review:submission", args=[w.dsub.pk]) in client.get(reverse("home")).content.decode()
    page = client.get(reverse("review:submission", args=[w.dsub.pk])).content.decode()
    assert reverse("review:act", args=[w.dsub.pk, "approve"]) in page
    client.post(reverse("review:act", args=[w.dsub.pk, "approve"]))
    w.dsub.refresh_from_db()
    assert w.dsub.state == "approved"


def _approve(w, sub, figures, clerk):
    save_values(sub, figures, clerk)
    perform(sub, "submit", clerk)
    perform(sub, "approve", w.reviewer)


def test_city_district_funding_sums_the_approved_districts_only(district):
    from .conftest import VALID, approve_to

    w = district
    approve_to(w.sub_a, w.users, "city_accepted")  # a school's approved data in the same period
    _approve(w, w.dsub, FIGURES, w.clerk)
    save_values(w.dsub_xuhui, {**FIGURES, "district_funding": "7000"}, w.clerk_xuhui)  # a draft: does not count
    jiading = OrgUnit.objects.get(code="310114")
    clerk = make_user("jiading-clerk", jiading, Role.DISTRICT_CLERK)
    reviewer = make_user("jiading", jiading, Role.DISTRICT_REVIEWER)
    jsub = w.district_campaign.submissions.get(org=jiading)
    save_values(jsub, {**FIGURES, "district_funding": "4321.25"}, clerk)
    perform(jsub, "submit", clerk)
    perform(jsub, "approve", reviewer)

    engine.rebuild()
    values = {
        (v.org.code, v.indicator): v for v in IndicatorValue.objects.filter(period__code="2021").select_related("org")
    }
    assert values[("310000", "district_funding")].value == pytest.approx(12500.50 + 4321.25)
    assert values[("310101", "district_funding")].value == pytest.approx(12500.50)
    assert ("310104", "district_funding") not in values or values[("310104", "district_funding")].value is None
    # districts are not schools: the city counts its one approved school, and so does 黄浦
    assert values[("310000", "schools")].value == 1 and values[("310000", "schools")].schools == 1
    assert values[("310101", "schools")].value == 1
    assert values[("310000", "students")].value == VALID["students_total"]
    assert Submission.objects.filter(campaign=w.district_campaign, state="approved").count() == 2


def test_compute_rolls_own_values_up_without_counting_them_as_schools():
    """The engine's pure part: district 10 reports a figure of its own (``own`` row) besides its schools 1 and 2;
    district 20 reports only its own. Each gets one row; the city sums both districts; 学校数 counts schools only."""
    import duckdb

    from dudao.indicators.compute import compute
    from dudao.indicators.definitions import parse_definitions

    indicators = parse_definitions(
        [
            {"code": "schools", "name": "s", "numerator": "1", "aggregation": "sum"},
            {"code": "funding", "name": "f", "numerator": "f", "aggregation": "sum"},
            {"code": "per_school", "name": "p", "numerator": "a", "denominator": "1"},
            {"code": "mean", "name": "m", "numerator": "a", "denominator": "1", "aggregation": "school_mean"},
        ]
    )
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE facts AS SELECT * FROM (VALUES (1, 0, 10.0, NULL, false), (2, 0, 30.0, NULL, false), "
        "(10, 0, NULL, 500.0, true), (20, 0, NULL, 250.0, true)) t(school, period, a, f, own)"
    )
    con.execute(
        "CREATE TABLE edges AS SELECT * FROM (VALUES (1, 10), (2, 10), (10, 100), (20, 100), (100, NULL)) "
        "t(org, parent)"
    )
    compute(con, indicators)
    rows = con.execute("SELECT org, schools, v0, v1, v2, v3 FROM results ORDER BY org").fetchall()
    assert [r[0] for r in rows] == [1, 2, 10, 20, 100]  # one row per unit: own values merge into the totals
    by_org = {r[0]: r[1:] for r in rows}
    assert by_org[10] == (2, 2.0, 500.0, 20.0, 20.0)
    assert by_org[20] == (0, None, 250.0, None, None)
    assert by_org[100] == (2, 2.0, 750.0, 20.0, 20.0)


def test_demo_district_load_creates_16_approved_submissions_a_year(world):
    import re

    from dudao.demo import district as demo_district
    from dudao.indicators.definitions import by_code

    demo_district.load("2019")
    demo_district.load("2020")
    demo_district.load("2020")  # again: nothing changes
    approved = Submission.objects.filter(campaign__dataset__code="district_vocational", state="approved")
    assert approved.filter(campaign__period__code="2020").count() == 16
    assert approved.filter(campaign__period__code="2019").count() == 16
    sub = approved.get(campaign__period__code="2020", org__code="310115")
    trail = list(sub.transitions.order_by("pk").values_list("action", "user__username"))
    assert trail == [("submit", "d310115-clerk"), ("approve", "d310115")]  # two people
    values = {v.element.code: v.value for v in DataValue.objects.filter(org=sub.org, period=sub.campaign.period)}
    assert "30名“浦东工匠”" in values["district_text_government"]
    assert values["district_case_1_chapter"].split(".")[0] in {str(n) for n in range(10)}
    # the narrative carries figures by reference to indicators that exist, never typed
    known = set(by_code())
    for code, text in values.items():
        for token in re.findall(r"\{\{([a-z_0-9]+)", text):
            assert token in known, (code, token)

    engine.rebuild()
    city = IndicatorValue.objects.get(indicator="district_funding", org__code="310000", period__code="2020")
    expected = sum(float(s["figures"]["funding"]) for s in demo_district.district_data().values())
    assert city.value == pytest.approx(expected) and city.schools == 0
    before = IndicatorValue.objects.get(indicator="district_funding", org__code="310000", period__code="2019")
    assert before.value < city.value


def test_the_district_report_part_comes_from_the_approved_submission_only(district):
    from dudao.reports.builder import Case, Paragraph, build

    w = district
    period = w.district_campaign.period

    def chapter(title):
        report = build(w.huangpu, period)
        numbers = [s.number for s in report.sections if s.title == title]
        return [b for s in report.sections if numbers and s.number.split(".")[0] == numbers[0] for b in s.blocks]

    save_values(w.dsub, FIGURES, w.clerk)
    assert Paragraph("区政府统筹推进职业教育改革。") not in chapter("政府履责")  # a draft speaks for nobody
    perform(w.dsub, "submit", w.clerk)
    assert Paragraph("区政府统筹推进职业教育改革。") not in chapter("政府履责")  # nor one awaiting the second user
    perform(w.dsub, "approve", w.reviewer)
    government = chapter("政府履责")
    assert Paragraph("区政府统筹推进职业教育改革。") in government
    assert Case(1, "园区共建实训中心", "区教育局与产业园区共建实训中心。", "黄浦区") in government
    assert Paragraph("继续提升内涵质量。") in chapter("问题与展望")
    assert Paragraph("区政府统筹推进职业教育改革。") not in chapter("基本情况")


# Every step of the district workflow on 黄浦's submission: only the named roles may take it (the fixture's users of
# every other role, and 徐汇's district users, are refused and the state does not move).
DISTRICT_STEPS = [
    ("draft", "submit", {"district_clerk"}),
    ("submitted", "approve", {"district_reviewer"}),
    ("submitted", "return", {"district_reviewer"}),
    ("approved", "reopen", {"district_reviewer", "city_admin"}),
]


@pytest.mark.parametrize("state, action, allowed", DISTRICT_STEPS)
def test_district_steps_by_role(district, state, action, allowed):
    w = district
    save_values(w.dsub, FIGURES, w.clerk)
    for step, actor in (("submit", w.clerk), ("approve", w.reviewer)):
        w.dsub.refresh_from_db()
        if w.dsub.state == state:
            break
        perform(w.dsub, step, actor)
    w.dsub.refresh_from_db()
    assert w.dsub.state == state
    others = {**w.users, "clerk_xuhui": w.clerk_xuhui}
    for role, user in others.items():
        if role in allowed:
            continue
        with pytest.raises(DudaoError):
            perform(w.dsub, action, user, reason="理由")
    w.dsub.refresh_from_db()
    assert w.dsub.state == state
    for role in sorted(allowed):  # the page offers the step to each allowed role
        user = w.users[role]
        assert action in [s.action for s in available_steps(w.dsub, user)], role
    perform(w.dsub, action, w.users[sorted(allowed)[-1]], reason="理由")
    w.dsub.refresh_from_db()
    assert w.dsub.state != state
