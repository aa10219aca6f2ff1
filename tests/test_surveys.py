"""问卷调查 (#18 part 6): questionnaires from YAML, anonymous links, validation, the cap, closing, results with
hand-computed arithmetic, response rates, subtree aggregation, the public answer page and the QR code."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dudao.errors import DudaoError
from dudao.orgs.catalog import group
from dudao.orgs.models import Level, OrgUnit
from dudao.surveys import questionnaires, selectors, services
from dudao.surveys.models import Link, Response, Survey

from .test_browser import browser  # noqa: F401  (the chromium fixture)
from .test_browser import pytestmark as browser_marks

pytestmark = pytest.mark.django_db

SCORED = ["q1", "q2", "q3", "q4", "q5", "q6"]  # balanced_recognition's scored questions (q5: 差距是否缩小)


def answers(favourable: int, **extra) -> dict[str, str]:
    """A balanced_recognition response whose first ``favourable`` scored questions are favourable, the rest not."""
    out = {}
    for n, code in enumerate(SCORED):
        good = n < favourable
        out[code] = ("有所缩小" if good else "没有变化") if code == "q5" else ("满意" if good else "不满意")
    return {**out, **extra}


def window():
    now = timezone.now()
    return {"opens_at": now - timedelta(days=1), "closes_at": now + timedelta(days=10)}


@pytest.fixture
def sw(world):
    """world + three primary schools (two in 黄浦, one in 徐汇) and the city's balanced_recognition survey."""
    for code, parent in (("3101011001", world.huangpu), ("3101011002", world.huangpu), ("3101041001", world.xuhui)):
        unit = OrgUnit.objects.create(code=code, name=f"小学{code[-1]}", level=Level.SCHOOL, parent=parent)
        unit.groups.add(group("school_type", "primary"))
    world.p1, world.p2, world.p3 = (OrgUnit.objects.get(code=c) for c in ("3101011001", "3101011002", "3101041001"))
    world.survey = services.open_survey(
        "balanced_recognition", "2021", world.city, world.users["city_admin"], **window()
    )
    return world


def link(survey, org, group_code) -> Link:
    return survey.links.get(org=org, group=group_code)


def record(lk: Link, favourable: int, **extra):
    return services.record_response(lk.token, answers(favourable, **extra))


# ----------------------------------------------------------------------------------------------- the questionnaires


def test_the_three_questionnaires_load_and_name_their_basis():
    for code in ("balanced_recognition", "preschool_satisfaction", "duty_satisfaction"):
        q = questionnaires.get(code)
        assert q.basis and q.rule and q.groups and any(x.scored for x in q.questions)
    balanced = questionnaires.get("balanced_recognition")
    assert "教督〔2017〕6号" in balanced.basis
    assert [g.name for g in balanced.groups] == ["学生", "家长", "教师", "校长", "人大代表", "政协委员", "其他群众"]
    assert not questionnaires.get("duty_satisfaction").questions[4].scored  # 是否了解: asked, not scored


def test_tally_counts_only_answered_scored_questions():
    q = questionnaires.parse(
        {
            "code": "t",
            "title": "t",
            "basis": "b",
            "rule": "r",
            "favourable": ["好", "较好"],
            "groups": [{"code": "g", "name": "G", "unit": "district", "target": 2}],
            "questions": [
                {"code": "a", "type": "choice", "text": "A", "options": ["好", "较好", "差"]},
                {"code": "b", "type": "choice", "text": "B", "options": ["好", "较好", "差"], "required": False},
                {"code": "c", "type": "choice", "text": "C", "options": ["是", "否"], "favourable": []},
                {"code": "d", "type": "text", "text": "D", "required": False, "max_length": 5},
            ],
        }
    )
    # a = 较好 (favourable), b blank (optional: in neither count), c not scored, d text → 1 of 1
    assert questionnaires.tally(q, questionnaires.clean(q, {"a": "较好", "c": "否", "d": "好"})) == (1, 1)
    # a = 差, b = 好 → 1 of 2
    assert questionnaires.tally(q, questionnaires.clean(q, {"a": "差", "b": "好", "c": "是"})) == (1, 2)
    assert questionnaires.percent(1, 2) == Decimal(50)
    assert questionnaires.percent(0, 0) is None
    with pytest.raises(DudaoError) as error:
        questionnaires.clean(q, {"a": "好", "c": "是", "d": "六个字的话"[:5] + "多"})
    assert set(error.value.field_errors()) == {"d"}


# ----------------------------------------------------------------------------------------------- opening, links


def test_open_creates_a_link_per_school_and_district_and_group(sw):
    links = sw.survey.links
    # school groups (学生 家长 教师 校长) × 3 primary schools; district groups (人大代表 政协委员 群众) × 16
    assert links.filter(org__level=Level.SCHOOL).count() == 4 * 3
    assert links.filter(org__level=Level.DISTRICT).count() == 3 * 16
    assert not links.filter(org__code__startswith="310101000").exists()  # the vocational schools are not asked
    tokens = list(links.values_list("token", flat=True))
    assert len(set(tokens)) == len(tokens) and all(len(t) >= 24 for t in tokens)


def test_only_city_and_district_managers_open_and_close_and_scopes_do_not_overlap(sw):
    u = sw.users
    for who in ("district_clerk", "inspector", "analyst", "collector"):
        with pytest.raises(DudaoError) as error:
            services.open_survey("duty_satisfaction", "2021", sw.huangpu, u[who], **window())
        assert error.value.status == 403
    with pytest.raises(DudaoError):  # another district's reviewer
        services.open_survey("duty_satisfaction", "2021", sw.huangpu, u["district_reviewer_xuhui"], **window())
    # the city's balanced survey covers 黄浦: a second one there would count its answers twice
    with pytest.raises(DudaoError) as error:
        services.open_survey("balanced_recognition", "2021", sw.huangpu, u["district_reviewer"], **window())
    assert error.value.status == 409
    mine = services.open_survey("duty_satisfaction", "2021", sw.huangpu, u["district_reviewer"], **window())
    assert mine.links.count() == 3  # 家长 教师 社会公众 of 黄浦
    with pytest.raises(DudaoError):
        services.close_survey(sw.survey, u["district_reviewer"])  # the city's survey is the city's to close
    assert Survey.objects.get(pk=sw.survey.pk).closed_at is None


# ----------------------------------------------------------------------------------------------- answers


def test_every_bad_answer_is_named_and_nothing_is_saved(sw):
    lk = link(sw.survey, sw.p1, "student")
    bad = answers(6, q1="还行", comment="字" * 301)
    del bad["q3"]
    with pytest.raises(DudaoError) as error:
        services.record_response(lk.token, bad)
    assert set(error.value.field_errors()) == {"q1", "q3", "comment"}
    assert "第3题" in error.value.field_errors()["q3"]
    assert Response.objects.count() == 0 and Link.objects.get(pk=lk.pk).responses == 0
    with pytest.raises(DudaoError) as error:
        services.record_response("no-such-token", answers(6))
    assert error.value.status == 404


def test_a_response_keeps_only_the_answers_asked(sw):
    names = {f.name for f in Response._meta.get_fields()}
    assert names == {"id", "link", "submitted_at", "answers", "favourable", "answered"}  # no user, name, IP, agent
    response = record(link(sw.survey, sw.p1, "parent"), 6, comment="很好", name="张三", phone="13800000000")
    assert set(response.answers) == {*SCORED, "comment"}
    client = Client(REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="AgentX/1.0")
    client.post(reverse("surveys:answer", args=[link(sw.survey, sw.p1, "parent").token]), answers(6, name="李四"))
    stored = str(list(Response.objects.values_list("answers", flat=True)))
    assert "李四" not in stored and "10.1.2.3" not in stored and "AgentX" not in stored


def test_a_closed_survey_refuses_and_a_link_is_capped(sw):
    principal = link(sw.survey, sw.p1, "principal")  # target 1 → at most 3 × 1 answers
    for _ in range(3):
        record(principal, 6)
    with pytest.raises(DudaoError) as error:
        record(principal, 6)
    assert error.value.status == 409 and Link.objects.get(pk=principal.pk).responses == 3
    services.close_survey(sw.survey, sw.users["city_admin"])
    with pytest.raises(DudaoError) as error:
        record(link(sw.survey, sw.p1, "student"), 6)
    assert error.value.status == 409
    assert Response.objects.count() == 3
    later = services.open_survey("duty_satisfaction", "2021", sw.xuhui, sw.users["city_admin"], **window())
    with pytest.raises(DudaoError):  # not yet open
        services.record_response(later.links.first().token, {"q1": "满意"}, now=later.opens_at - timedelta(minutes=1))


# ----------------------------------------------------------------------------------------------- results


def test_result_arithmetic_rates_and_subtree(sw):
    s = sw.survey
    record(link(s, sw.p1, "student"), 6)  # 6/6
    record(link(s, sw.p1, "student"), 3)  # 3/6
    record(link(s, sw.p2, "parent"), 6)  # 6/6
    record(link(s, sw.huangpu, "npc"), 0)  # 0/6 — a district link counts in the district, not in a school
    record(link(s, sw.p3, "teacher"), 6)  # 徐汇 6/6

    # 黄浦: favourable 6+3+6+0 = 15 of 4×6 = 24 answered → 62.5%
    # target: 2 schools × (20+20+10+1) + (3+3+20) = 102 + 26 = 128; rate 4/128 = 3.125%
    r = selectors.result("balanced_recognition", "2021", sw.huangpu)
    assert (r.responses, r.target, r.score) == (4, 128, Decimal("62.5"))
    assert r.response_rate == Decimal("3.125") and not r.complete
    assert r.by_group == {"student": Decimal(75), "parent": Decimal(100), "npc": Decimal(0)}  # 9/12, 6/6, 0/6
    # one school: 9 of 12 = 75%, target 51
    p1 = selectors.result("balanced_recognition", "2021", sw.p1)
    assert (p1.responses, p1.target, p1.score) == (2, 51, Decimal(75))
    # the city: 15 + 6 = 21 of 30 = 70%; target 3 × 51 + 16 × 26 = 153 + 416 = 569
    city = selectors.result("balanced_recognition", "2021", sw.city)
    assert (city.responses, city.target, city.score) == (5, 569, Decimal(70))
    # not run: another questionnaire, another period
    assert selectors.result("preschool_satisfaction", "2021", sw.huangpu) is None
    assert selectors.result("balanced_recognition", "2020", sw.huangpu) is None
    # a link's response rate on the page: 2 of 20 students = 10%
    rows = {(x.link.org.code, x.link.group): x for x in selectors.link_rows(s, sw.huangpu)}
    assert rows[("3101011001", "student")].rate == Decimal(10)
    assert rows[("3101011001", "student")].score == Decimal(75)


def test_complete_once_the_responses_reach_the_target(sw):
    survey = services.open_survey("duty_satisfaction", "2021", sw.huangpu, sw.users["district_reviewer"], **window())
    full = {"q1": "满意", "q2": "满意", "q3": "不满意", "q4": "满意", "q5": "不了解", "q6": "满意"}  # 4 of 5 scored
    links = {lk.group: lk for lk in survey.links.all()}  # targets 家长 20, 教师 10, 社会公众 20 = 50
    services.load_responses(links["parent"], [full] * 20, timezone.now())
    services.load_responses(links["teacher"], [full] * 10, timezone.now())
    services.load_responses(links["public"], [full] * 19, timezone.now())
    r = selectors.result("duty_satisfaction", "2021", sw.huangpu)
    assert (r.responses, r.target, r.score, r.complete) == (49, 50, Decimal(80), False)  # 4/5 = 80%
    services.load_responses(links["public"], [full], timezone.now())
    assert selectors.result("duty_satisfaction", "2021", sw.huangpu).complete
    assert r.short_groups == ("public",)  # 19 of 20


def test_a_group_below_its_target_makes_the_result_incomplete_though_the_total_is_reached(sw):
    survey = services.open_survey("duty_satisfaction", "2021", sw.huangpu, sw.users["district_reviewer"], **window())
    full = {"q1": "满意", "q2": "满意", "q3": "不满意", "q4": "满意", "q5": "不了解", "q6": "满意"}  # 4 of 5 scored
    links = {lk.group: lk for lk in survey.links.all()}  # targets 家长 20, 教师 10, 社会公众 20 = 50
    services.load_responses(links["parent"], [full] * 30, timezone.now())  # 10 over its target
    services.load_responses(links["public"], [full] * 20, timezone.now())
    # total 30 + 0 + 20 = 50 = the target, but 教师 answered 0 of 10: the surplus of 家长 does not stand in for them
    r = selectors.result("duty_satisfaction", "2021", sw.huangpu)
    assert (r.responses, r.target, r.score) == (50, 50, Decimal(80))  # 4/5 = 80%
    assert r.short_groups == ("teacher",) and not r.complete
    client = Client()
    client.force_login(sw.users["district_reviewer"])
    page = client.get(reverse("surveys:survey", args=[survey.pk])).content.decode()
    assert page.count('class="short-group"') == 1  # the 教师 row only
    services.load_responses(links["teacher"], [full] * 9, timezone.now())  # 9 of 10: still short
    assert selectors.result("duty_satisfaction", "2021", sw.huangpu).short_groups == ("teacher",)
    services.load_responses(links["teacher"], [full], timezone.now())  # 10 of 10
    r = selectors.result("duty_satisfaction", "2021", sw.huangpu)
    assert (r.responses, r.short_groups, r.complete) == (60, (), True)


def test_short_groups_alone_decide_against_a_reached_total():
    r = selectors.SurveyResult("q", "310101", "2021", responses=50, target=50, score=Decimal(80))
    assert r.complete
    assert not selectors.SurveyResult(
        "q", "310101", "2021", responses=50, target=50, score=Decimal(80), short_groups=("principal",)
    ).complete


# ----------------------------------------------------------------------------------------------- pages


def test_the_answer_page_works_without_sign_in_and_is_csrf_protected(sw):
    lk = link(sw.survey, sw.p2, "student")
    url = reverse("surveys:answer", args=[lk.token])
    anonymous = Client()
    page = anonymous.get(url)
    assert page.status_code == 200 and "匿名" in page.text and 'name="q1"' in page.text
    bad = anonymous.post(url, answers(6, q2=""))
    assert bad.status_code == 422 and "第2题：请作答" in bad.text and Response.objects.count() == 0
    done = anonymous.post(url, answers(5))
    assert done.status_code == 302 and done["Location"] == reverse("surveys:thanks", args=[lk.token])
    assert anonymous.get(done["Location"]).status_code == 200
    assert Link.objects.get(pk=lk.pk).responses == 1
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(url, answers(6)).status_code == 403
    assert Client().get(reverse("surveys:answer", args=["nope"])).status_code == 404


def test_qr_endpoint_returns_svg(sw):
    lk = link(sw.survey, sw.p1, "teacher")
    response = Client().get(reverse("surveys:qr", args=[lk.token]))
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg")


def test_results_page_and_sheet_for_the_district_only(sw):
    record(link(sw.survey, sw.p1, "student"), 3)  # 3/6 = 50%
    huangpu = Client()
    huangpu.force_login(sw.users["district_reviewer"])
    page = huangpu.get(reverse("surveys:survey", args=[sw.survey.pk]))
    assert page.status_code == 200 and "50.0%" in page.text and "小学1" in page.text and "小学3" not in page.text
    sheet = huangpu.get(reverse("surveys:sheet", args=[sw.survey.pk]) + "?org=310101")
    assert sheet.status_code == 200 and sheet.text.count("<svg") == 2 * 4 + 3
    assert huangpu.get(reverse("surveys:survey", args=[sw.survey.pk]) + "?org=310104").status_code == 404
    collector = Client()
    collector.force_login(sw.users["collector"])
    assert collector.get(reverse("surveys:survey", args=[sw.survey.pk])).status_code == 404
    city = Client()
    city.force_login(sw.users["city_admin"])
    assert "黄浦区" in city.get(reverse("surveys:survey", args=[sw.survey.pk])).text
    closed = city.post(reverse("surveys:close", args=[sw.survey.pk]))
    assert closed.status_code == 302 and Survey.objects.get(pk=sw.survey.pk).closed_at is not None


@browser_marks[0]
@browser_marks[1]
def test_the_answer_page_fits_a_phone_and_submits(transactional_db, live_server, browser, sw):  # noqa: F811
    """At 390 px, without signing in: the questionnaire fits the screen, is answered with taps and submitted."""
    lk = link(sw.survey, sw.p1, "parent")
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}{reverse('surveys:answer', args=[lk.token])}")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    for code in SCORED:
        page.locator(f"#q-{code} input[type=radio]").first.check()  # 很满意 / 明显缩小: favourable
    page.click(".survey-form button[type=submit]")
    page.wait_for_url(f"**{reverse('surveys:thanks', args=[lk.token])}")
    context.close()
    assert [(r.favourable, r.answered) for r in Response.objects.filter(link=lk)] == [(6, 6)]
