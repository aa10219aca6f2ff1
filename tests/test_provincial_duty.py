"""省级履行教育职责自评 (parts by 市政府部门, compiled by the 督导室), the 督政 of a department through the ledger,
and the stages of a district's 综合督政. Expected numbers are worked out by hand in the comments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dudao.collection.campaigns import yearly_period
from dudao.errors import DudaoError
from dudao.evaluation import registry
from dudao.evaluation.run import evaluate
from dudao.evaluation.schemes import district_duty as duty
from dudao.evaluation.schemes import provincial_duty as provincial
from dudao.orgs.models import OrgUnit, Role
from dudao.supervision import selectors as ledger_reads
from dudao.supervision import services as ledger
from dudao.surveys.selectors import SurveyResult
from tests.conftest import make_user


def spec() -> dict:
    return registry.get("provincial_duty").spec


def full_answers(department_code: str) -> dict:
    answers = {"yesno": "yes", "number": "12.5", "text": "已出台实施意见。"}
    return {
        i["code"]: {"value": answers[i["kind"]], "narrative": "说明", "links": "https://example.org/a"}
        for i in provincial.items_of(spec(), department_code)
    }


def survey(responses, target, score) -> SurveyResult:
    return SurveyResult("duty_satisfaction", "310000", "2020", responses, target, score)


# ----------------------------------------------------------------------------- pure functions


def test_compiled_report_quotes_approved_parts_only_and_lists_the_rest_as_missing():
    s = spec()
    entries = {"czj_spend": {"value": "1000", "narrative": "逐年增长", "links": ""}}
    parts = {
        "310000-CZJ": {"stage": "approved", "entries": entries, "materials": {"czj_spend": ["预算表.pdf"]}},
        "310000-FGW": {"stage": "submitted", "entries": full_answers("310000-FGW"), "materials": {}},
        "310000-RSJ": {"stage": "returned", "entries": {}, "materials": {}},
    }
    report = provincial.compile_report(s, parts, None)
    quoted = [r["code"] for section in report["sections"] for r in section["items"]]
    # only 市财政局's three items are quoted (its part is the only approved one), in catalog order
    assert quoted == ["czj_spend", "czj_share", "czj_two"]
    first = report["sections"][0]["items"][0]
    assert (first["value"], first["materials"]) == ("1000 亿元", ["预算表.pdf"])
    # 7 departments − 1 approved = 6 missing, each with its reason
    assert report["approved"] == 1 and len(report["missing"]) == 6
    reasons = {m["code"]: m["reason"] for m in report["missing"]}
    assert reasons["310000-FGW"] == "已提交，待督导室审核"
    assert reasons["310000-RSJ"] == "已退回修改"
    assert reasons["310000-GAJ"] == "未填报"
    assert report["chars"] == 4  # "逐年增长": 4 characters of narrative quoted
    assert report["satisfaction"]["state"] == "none" and report["complete"] is False


def test_survey_none_is_not_run_short_sample_is_incomplete_full_sample_counts():
    assert provincial.satisfaction(None)["text"] == "未开展"
    short = provincial.satisfaction(survey(150, 200, Decimal("91.2")))  # 150 < 200: 数据不全
    assert short["state"] == "incomplete" and "150" in short["text"] and short["score"] is None
    done = provincial.satisfaction(survey(240, 200, Decimal("91.25")))
    assert done["state"] == "done" and done["score"] == 91.25


def test_all_parts_approved_and_survey_complete_is_a_complete_report():
    s = spec()
    parts = {d["code"]: {"stage": "approved", "entries": full_answers(d["code"])} for d in s["departments"]}
    report = provincial.compile_report(s, parts, survey(300, 200, Decimal("88")))
    assert report["missing"] == [] and report["complete"] is True
    # 15 items × "说明" (2 characters) = 30 characters, under the 5000-字 limit
    assert report["chars"] == 30 and report["too_long"] is False


def test_entries_are_checked_and_another_departments_item_is_refused():
    s = spec()
    with pytest.raises(DudaoError) as bad:
        provincial.clean_entries(s, "310000-CZJ", {"fgw_plan": {"value": "yes"}})
    assert "fgw_plan" in bad.value.errors
    with pytest.raises(DudaoError) as bad:
        provincial.clean_entries(
            s, "310000-CZJ", {"czj_spend": {"value": "-3"}, "czj_two": {"value": "maybe", "links": "ftp://x"}}
        )
    assert set(bad.value.errors) == {"czj_spend", "czj_two", "czj_two_links"}
    clean = provincial.clean_entries(s, "310000-CZJ", {"czj_share": {"value": "4.567"}})
    assert clean["czj_share"]["value"] == "4.57"  # two decimals, rounded


def test_district_round_timeline_states_from_plain_inputs():
    # 10 items: self 10/10 done; onsite 4/10 partial; survey short; census 3 of 5; one open finding, no revisit
    stages = duty.timeline(
        10,
        {"self": (10, date(2021, 1, 10)), "onsite": (4, date(2021, 2, 1))},
        survey(50, 100, Decimal("80")),
        (3, 5),
        [{"status": "open", "raised": "2021-03-01", "revisits": []}],
    )
    got = {s["key"]: (s["state"], s["on"]) for s in stages}
    assert got == {
        "self": ("done", "2021-01-10"),
        "survey": ("incomplete", ""),
        "census": ("partial", ""),
        "onsite": ("partial", "2021-02-01"),
        "rectify": ("partial", "2021-03-01"),
        "revisit": ("pending", ""),
    }
    nothing = duty.timeline(10, {}, None, (0, 5), [])
    assert [s["state"] for s in nothing] == ["pending"] * 6  # nothing done is 未开展, never 已完成


# ----------------------------------------------------------------------------- services


@pytest.fixture
def duty_world(world):
    w = world
    w.period = yearly_period(2020)
    w.czj = OrgUnit.objects.get(code="310000-CZJ")
    w.fgw = OrgUnit.objects.get(code="310000-FGW")
    w.dds = OrgUnit.objects.get(code="310000-DDS")
    w.czj_user = make_user("czj", w.czj, Role.CHECKER)
    w.fgw_user = make_user("fgw", w.fgw, Role.CHECKER)
    w.dds_user = make_user("dds", w.dds, Role.INSPECTOR)
    return w


@pytest.mark.django_db
def test_a_department_cannot_fill_another_departments_part(duty_world):
    w = duty_world
    with pytest.raises(DudaoError) as refused:
        provincial.save_part(spec(), w.period, w.czj, w.fgw_user, full_answers("310000-CZJ"), 0)
    assert refused.value.status == 403
    with pytest.raises(DudaoError):  # nor the 督导室, which reviews but does not fill
        provincial.save_part(spec(), w.period, w.czj, w.dds_user, full_answers("310000-CZJ"), 0)
    assert provincial.part_of(w.period, w.czj) is None


@pytest.mark.django_db
def test_fill_submit_review_and_the_report_holds_approved_parts_only(duty_world, monkeypatch):
    w = duty_world
    s = spec()
    upload = SimpleUploadedFile("预算执行表.pdf", b"%PDF-1.4 demo", content_type="application/pdf")
    part = provincial.save_part(
        s, w.period, w.czj, w.czj_user, {"czj_spend": {"value": "1000"}}, 0, {"czj_spend": upload}
    )
    assert (part.stage, part.version) == ("draft", 1)
    with pytest.raises(DudaoError) as incomplete:  # czj_share and czj_two unanswered
        provincial.save_part(s, w.period, w.czj, w.czj_user, {}, 1, submit=True)
    assert "czj_share" in incomplete.value.errors
    with pytest.raises(DudaoError) as stale:  # a form read before the first save
        provincial.save_part(s, w.period, w.czj, w.czj_user, {"czj_spend": {"value": "999"}}, 0)
    assert stale.value.status == 409
    part = provincial.save_part(s, w.period, w.czj, w.czj_user, full_answers("310000-CZJ"), 1, submit=True)
    assert part.stage == "submitted"
    provincial.save_part(s, w.period, w.fgw, w.fgw_user, full_answers("310000-FGW"), 0, submit=True)
    with pytest.raises(DudaoError):  # a department does not approve itself
        provincial.review_part(s, w.period, w.czj, w.czj_user, approve=True, note="", version=part.version)
    with pytest.raises(DudaoError):  # sending back needs a reason
        provincial.review_part(s, w.period, w.czj, w.dds_user, approve=False, note="", version=part.version)
    provincial.review_part(s, w.period, w.czj, w.dds_user, approve=True, note="", version=part.version)
    monkeypatch.setattr(provincial.surveys, "result", lambda *a: survey(120, 200, Decimal("90")))
    result = evaluate("provincial_duty", "2020")
    report = result["report"]
    quoted = {r["code"] for section in report["sections"] for r in section["items"]}
    assert quoted == {"czj_spend", "czj_share", "czj_two"}  # FGW submitted, not approved: not quoted
    assert [m["code"] for m in report["missing"]] == [d["code"] for d in s["departments"] if d["code"] != "310000-CZJ"]
    assert report["satisfaction"]["state"] == "incomplete"  # 120 of 200
    materials = [r["materials"] for sec in report["sections"] for r in sec["items"] if r["code"] == "czj_spend"]
    assert materials == [["预算执行表.pdf"]]
    with pytest.raises(DudaoError):  # approved: the department cannot change it any more
        provincial.save_part(s, w.period, w.czj, w.czj_user, full_answers("310000-CZJ"), 3)


@pytest.mark.django_db
def test_a_department_inspection_finding_reaches_the_ledger_and_the_department_answers_it(duty_world):
    w = duty_world
    s = spec()
    inspector = w.users["inspector"]
    with pytest.raises(DudaoError):  # the 督导室's inspector sits beside the department, not above it
        provincial.record_inspection(s, w.period, w.czj, w.dds_user, {"policy": "25"})
    provincial.record_inspection(
        s, w.period, w.czj, inspector, {"policy": "25", "planning": "22", "resources": "15", "conditions": "20"}
    )
    row = provincial.inspection_rows(s, w.period)[0]
    # 25 + 22 + 15 + 20 = 82 of 100 → 良好 (80 ≤ 82 < 90); resources 15 < 0.8 × 25 = 20 needs rectification
    assert (row["code"], row["total"], row["grade"]) == ("310000-CZJ", 82.0, "良好")
    assert [r["code"] for r in row["items"] if r["needs_rectification"]] == ["resources"]
    created = provincial.raise_inspection_findings(s, w.period, w.czj, inspector, date(2021, 4, 1))
    assert [(f.owner.code, f.source_kind, f.source_ref) for f in created] == [
        ("310000-CZJ", "duzheng", "2020:resources")
    ]
    finding = created[0]
    assert finding.deadline == date(2021, 9, 28)  # 2021-04-01 + 180 days
    assert provincial.raise_inspection_findings(s, w.period, w.czj, inspector, date(2021, 4, 2)) == []
    # the department owes it and answers it; another department does not see it; the city re-checks it
    assert finding in ledger_reads.owed_by(w.czj_user)
    assert ledger_reads.finding(w.fgw_user, finding.pk) is None
    ledger.submit_rectification(finding, w.czj_user, "已追加教育用地与编制保障。", finding.version)
    finding.refresh_from_db()
    ledger.recheck(finding, inspector, True, "回访核查：整改到位。", finding.version)
    finding.refresh_from_db()
    assert finding.status == "closed"
    rows = provincial.inspection_rows(s, w.period)[0]["rectifications"]
    assert [(r["item"], r["status"], len(r["revisits"])) for r in rows] == [("resources", "closed", 1)]


@pytest.mark.django_db
def test_department_pages_answer_their_readers_only(duty_world, client):
    w = duty_world
    provincial.save_part(spec(), w.period, w.czj, w.czj_user, {"czj_spend": {"value": "1000"}}, 0)
    client.force_login(w.czj_user)
    page = client.get("/evaluation/provincial_duty/departments/310000-CZJ/?period=2020")
    assert page.status_code == 200 and 'id="duty-part"' in page.content.decode()
    assert client.get("/evaluation/provincial_duty/departments/310000-FGW/?period=2020").status_code == 404
    refused = client.post("/evaluation/provincial_duty/departments/310000-FGW/part/", {"period": "2020"})
    assert refused.status_code == 404
    overview = client.get("/evaluation/provincial_duty/?period=2020").content.decode()
    assert "departments/310000-CZJ/" in overview and "departments/310000-FGW/" not in overview  # no link to a 404
    client.force_login(w.users["city_admin"])
    city_page = client.get("/evaluation/provincial_duty/?period=2020")
    assert city_page.status_code == 200 and "市财政局" in city_page.content.decode()
    assert client.get("/evaluation/provincial_duty/report.html?period=2020").status_code == 200


@pytest.mark.django_db
def test_district_page_shows_the_rounds_stages(duty_world, client, monkeypatch):
    w = duty_world
    spec_d = registry.get("district_duty").spec
    full = {i["code"]: i["max"] for i in spec_d["items"]}
    duty.record_scores(spec_d, w.period, w.huangpu, "self", full, w.users["inspector"])
    monkeypatch.setattr(duty.surveys, "result", lambda *a: survey(300, 200, Decimal("86.5")))
    stages = evaluate("district_duty", "2020", "310101")["districts"][0]["stages"]
    today = timezone.localdate().isoformat()  # the scores were entered now, dated in the site's calendar
    got = {s["key"]: s["state"] for s in stages}
    # self 10/10 scored, survey 300 ≥ 200 complete, no census campaign (0 of 0), nothing on site, no findings
    assert got == {
        "self": "done",
        "survey": "done",
        "census": "pending",
        "onsite": "pending",
        "rectify": "pending",
        "revisit": "pending",
    }
    assert stages[0]["on"] == today and "86.5%" in stages[1]["detail"]
    assert evaluate("district_duty", "2020")["districts"][0]["stages"] == []  # the city overview has no timelines
    client.force_login(w.users["inspector"])
    page = client.get("/evaluation/district_duty/?org=310101&period=2020").content.decode()
    assert "综合督政进程" in page and "满意度 86.5%" in page


@pytest.mark.django_db
def test_submitting_and_reviewing_a_part_tells_the_other_side_once(duty_world):
    from dudao.notifications.models import Notification
    from dudao.notifications.vocabulary import Kind

    w = duty_world
    s = spec()
    colleague = make_user("czj2", w.czj, Role.COLLECTOR)
    part = provincial.save_part(s, w.period, w.czj, w.czj_user, full_answers("310000-CZJ"), 0)
    assert not Notification.objects.filter(kind=Kind.DUTY_PART_SUBMITTED).exists()  # a saved draft tells nobody
    part = provincial.save_part(s, w.period, w.czj, w.czj_user, {}, part.version, submit=True)
    # the 督导室 has its own 督学, so the city's admin and inspector are not told (nearest unit only)
    submitted = Notification.objects.filter(kind=Kind.DUTY_PART_SUBMITTED)
    assert [(n.user.username, n.link) for n in submitted] == [
        ("dds", "/evaluation/provincial_duty/departments/310000-CZJ/?period=2020")
    ]
    provincial.review_part(s, w.period, w.czj, w.dds_user, approve=False, note="请补充佐证材料", version=part.version)
    returned = Notification.objects.filter(kind=Kind.DUTY_PART_REVIEWED)
    # the department's staff (checker and collector), not the reviewer who acted
    assert {n.user.username for n in returned} == {"czj", "czj2"} and colleague.pk in {n.user_id for n in returned}
    assert "退回" in returned.first().title and returned.first().body == "请补充佐证材料"
    part.refresh_from_db()
    part = provincial.save_part(s, w.period, w.czj, w.czj_user, {}, part.version, submit=True)
    assert (
        Notification.objects.filter(kind=Kind.DUTY_PART_SUBMITTED).count() == 2
    )  # submitted again after the return: told again (a new version)
    provincial.review_part(s, w.period, w.czj, w.dds_user, approve=True, note="", version=part.version)
    approved = Notification.objects.filter(kind=Kind.DUTY_PART_REVIEWED, title__contains="通过")
    assert approved.count() == 2


@pytest.mark.django_db
def test_the_duty_office_reviews_but_inspection_follows_the_ledgers_rule(duty_world):
    """Decided: a role held only at the 督导室 approves parts but neither scores nor raises findings — the ledger lets
    only a unit above the owner raise them, and the 督导室 sits beside the departments."""
    w = duty_world
    s = spec()
    inspector, admin = w.users["inspector"], w.users["city_admin"]
    assert provincial.may_compile(s, w.dds_user) and not provincial.may_inspect(w.dds_user)
    assert provincial.may_compile(s, inspector) and provincial.may_inspect(inspector)
    # one rule: may_inspect agrees with the ledger's raise and re-check rights for every department
    for department in provincial.departments(s):
        for user in (w.dds_user, inspector, admin, w.czj_user, w.users["district_reviewer"]):
            assert provincial.may_inspect(user) == ledger.may_raise(user, department), (user, department)
    with pytest.raises(DudaoError) as refused:
        provincial.raise_inspection_findings(s, w.period, w.czj, w.dds_user, date(2021, 4, 1))
    assert refused.value.status == 403
    with pytest.raises(DudaoError):  # nor through the ledger directly
        ledger.raise_finding(w.czj, w.dds_user, theme="督政", text="x", deadline=date(2021, 9, 1))


def test_timeline_names_follow_the_language():
    from django.utils import translation

    with translation.override("en"):
        stages = duty.timeline(10, {"self": (3, None)}, None, (0, 5), [])
    assert [(s["name"], s["state_name"]) for s in stages[:2]] == [
        ("District self-evaluation", "Running"),
        ("Satisfaction survey", "Not conducted"),
    ]
    assert stages[0]["detail"] == "3/10 items scored"
    with translation.override("zh-hans"):
        assert duty.timeline(10, {}, None, (0, 5), [])[0]["name"] == "区政府自评"
