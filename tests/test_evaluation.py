"""Supervision and evaluation (督导评估): the five schemes as pure functions, on the demo, by CLI and on the pages."""

import json
import math
import re
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dudao.collection.models import Period
from dudao.errors import DudaoError
from dudao.evaluation import registry
from dudao.evaluation.models import WeightChoice
from dudao.evaluation.run import evaluate
from dudao.evaluation.schemes import balanced, hei, preschool, thematic
from dudao.evaluation.schemes import district_duty as duty
from dudao.orgs.models import OrgUnit
from dudao.supervision import selectors as ledger_reads
from dudao.supervision import services as ledger
from dudao.supervision.models import Finding
from dudao.surveys.selectors import SurveyResult

# ----------------------------------------------------------------------------- 优质均衡: pure


def test_weighted_cv_matches_hand_computation():
    # X = 4, 6, 10 with enrollments 100, 300, 600 (P = 1000):
    # X̄ = (400 + 1800 + 6000) / 1000 = 8.2
    # S² = 0.1·(−4.2)² + 0.3·(−2.2)² + 0.6·1.8² = 1.764 + 1.452 + 1.944 = 5.16
    # CV = √5.16 / 8.2 = 0.277019…
    cv = balanced.weighted_cv([(4, 100), (6, 300), (10, 600)])
    assert cv == pytest.approx(math.sqrt(5.16) / 8.2, abs=1e-12)
    assert round(cv, 4) == 0.2770
    # weighting matters: the unweighted CV of the same numbers is different
    mean = 20 / 3
    unweighted = math.sqrt(sum((x - mean) ** 2 for x in (4, 6, 10)) / 3) / mean
    assert abs(cv - unweighted) > 0.05
    assert balanced.weighted_cv([]) is None
    assert balanced.weighted_cv([(0, 10), (0, 20)]) is None


def _school(level="primary", **factors):
    """Raw values meeting every primary standard by 20% (or as ``factors`` say) for 1000 students."""
    spec = registry.get("balanced").spec
    std = {i["code"]: i["standard"][level] for i in spec["indicators"]}
    f = {code: factors.get(code, 1.2) for code in std}
    n = 1000
    return {
        "bal_students": n,
        "bal_teachers": 200,
        "bal_teachers_above": std["qualified_teachers"] * f["qualified_teachers"] * n / 100,
        "bal_backbone": std["backbone_teachers"] * f["backbone_teachers"] * n / 100,
        "bal_pe_art": std["pe_art_teachers"] * f["pe_art_teachers"] * n / 100,
        "bal_teaching_area": std["teaching_space"] * f["teaching_space"] * n,
        "bal_sports_area": std["sports_space"] * f["sports_space"] * n,
        "bal_equipment": std["equipment"] * f["equipment"] * n / 10000,
        "bal_multimedia": std["multimedia"] * f["multimedia"] * n / 100,
    }


def test_school_passes_with_six_of_seven_and_the_rest_above_85_percent():
    spec = registry.get("balanced").spec
    ok = balanced.evaluate_school(spec, balanced.SchoolInput("s", "甲", "primary", _school(sports_space=0.9)))
    assert ok["met_count"] == 6 and ok["passed"]
    low = balanced.evaluate_school(spec, balanced.SchoolInput("s", "甲", "primary", _school(sports_space=0.8)))
    assert low["met_count"] == 6 and not low["passed"]  # 80% < 85% of standard
    two = balanced.evaluate_school(
        spec, balanced.SchoolInput("s", "甲", "primary", _school(sports_space=0.95, equipment=0.95))
    )
    assert two["met_count"] == 5 and not two["passed"]
    short = next(r for r in low["indicators"] if r["code"] == "sports_space")
    assert short["gap"] == pytest.approx(7.5 * 0.2) and short["share"] == pytest.approx(0.8)
    # the junior standard is stricter: the same numbers against 初中 standards fall short
    junior = balanced.evaluate_school(spec, balanced.SchoolInput("s", "甲", "junior", _school()))
    assert not junior["passed"]


def test_district_fails_on_cv_even_when_every_school_passes():
    spec = registry.get("balanced").spec
    schools = [
        balanced.SchoolInput("a", "甲", "primary", _school(equipment=6.0)),
        balanced.SchoolInput("b", "乙", "primary", _school()),
        balanced.SchoolInput("c", "丙", "primary", _school()),
    ]
    result = balanced.evaluate_district(spec, "d", "某区", schools)
    assert all(s["passed"] for s in result["schools"])
    equipment = next(c for c in result["levels"]["primary"]["cv"] if c["code"] == "equipment")
    x = [2000 * 6.0, 2000 * 1.2, 2000 * 1.2]
    assert equipment["cv"] == pytest.approx(balanced.weighted_cv([(v, 1000) for v in x]), abs=1e-4)
    assert equipment["cv"] > 0.5 and not equipment["passed"]
    assert result["passed"] is False
    even = balanced.evaluate_district(spec, "d", "某区", [schools[1], schools[2]])
    assert even["passed"] is True and even["to_fix"] == []


# ----------------------------------------------------------------------------- 普及普惠 / 高校 / 督政 / 主题: pure


def test_preschool_shares_are_shares_of_children():
    spec = registry.get("preschool").spec
    kgs = [
        (
            "public",
            {
                "kg_children": 500,
                "kg_teachers": 40,
                "kg_teachers_certified": 40,
                "kg_classes": 18,
                "kg_large_classes": 0,
                "kg_staff": 60,
            },
        ),
        (
            "inclusive_private",
            {
                "kg_children": 300,
                "kg_teachers": 20,
                "kg_teachers_certified": 20,
                "kg_classes": 10,
                "kg_large_classes": 0,
                "kg_staff": 40,
            },
        ),
        (
            "other_private",
            {
                "kg_children": 200,
                "kg_teachers": 15,
                "kg_teachers_certified": 15,
                "kg_classes": 8,
                "kg_large_classes": 0,
                "kg_staff": 30,
            },
        ),
    ]
    figures = preschool.sums(kgs, {"kg_population": 1100, "kg_public_funding": 1500})
    result = preschool.evaluate(spec, "d", "某区", figures, 3)
    core = {r["code"]: r["value"] for r in result["core"]}
    assert core == {
        "gross_enrollment": pytest.approx(1000 / 1100 * 100, abs=1e-4),
        "inclusive_coverage": 80.0,
        "public_share": 50.0,
    }
    assert result["passed"]
    # no public kindergarten at all is 0%, not "missing data"
    none_public = preschool.evaluate(spec, "d", "某区", preschool.sums(kgs[1:], {"kg_population": 600}), 2)
    assert next(r for r in none_public["core"] if r["code"] == "public_share")["value"] == 0.0
    assert not none_public["passed"]
    assert preschool.combine(
        [{"kg_population": 10, "kg_public_funding": 1200}, {"kg_population": 5, "kg_public_funding": 900}],
        spec["district_figures"],
    ) == {"kg_population": 15.0, "kg_public_funding": 900.0}


def _uni(code, emp, research, prev_emp=None, weights=None, misconduct=0, function="applied_skills"):
    values = {
        "hei_faculty": 100,
        "hei_students": 2000,
        "hei_funding": 4500,
        "hei_graduates": 500,
        "hei_employed": emp * 5,
        "hei_research_income": research,
        "hei_papers": 10,
        "hei_transfer_income": 10,
        "hei_skill_awards": 10,
        "hei_training": 1000,
        "hei_satisfaction": 90,
        "hei_misconduct": misconduct,
    }
    previous = None if prev_emp is None else {**values, "hei_employed": prev_emp * 5}
    return hei.University(code, code, function, "multidisciplinary", values, previous, weights or {})


def test_hei_scores_rank_within_type_deduct_and_flag():
    spec = registry.get("hei").spec
    unis = [
        _uni("A", 98, 200, prev_emp=97),
        _uni("B", 95, 150, prev_emp=96),
        _uni("C", 88, 100, prev_emp=96, misconduct=1),  # −8 pp and a misconduct case
        _uni("R", 90, 5000, prev_emp=90, function="academic_research"),  # alone in its type
    ]
    result = hei.evaluate(spec, unis)
    rows = {r["code"]: r for r in result["universities"]}
    assert [rows[c]["rank"] for c in "ABC"] == [1, 2, 3]
    assert rows["R"]["rank"] == 1 and rows["R"]["of"] == 1  # compared only with its own type
    assert rows["C"]["deductions"] == [{"code": "misconduct", "name": "查实学术不端", "count": 1.0, "points": 3}]
    kinds = {f["kind"] for f in rows["C"]["flags"]}
    assert {"decline", "negative"} <= kinds
    assert {i["code"] for i in result["interviews"]} >= {"C"}
    gain = next(i for i in rows["A"]["indicators"] if i["code"] == "employment_gain")
    assert gain["value"] == pytest.approx(1.0) and gain["dimension"] == "增值"
    # the composite is the weighted mean of the present indicators' scores (流失率 is not reported), minus deductions
    c = rows["C"]
    present = [i for i in c["indicators"] if i["score"] is not None]
    weighted = sum(i["weight"] * i["score"] for i in present) / sum(i["weight"] for i in present)
    assert c["score"] == pytest.approx(max(weighted - 3, 0), abs=0.01)


def test_hei_own_weights_within_range_only():
    spec = registry.get("hei").spec
    defaults = {code: w[0] for code, w in hei.type_weights(spec, "applied_skills").items()}
    assert hei.validate_weights(spec, "applied_skills", defaults) == {}
    too_high = {**defaults, "employment_rate": 35, "skill_awards": 5}
    assert "超出允许范围" in hei.validate_weights(spec, "applied_skills", too_high)["employment_rate"]
    wrong_sum = {**defaults, "employment_rate": 30}
    assert hei.validate_weights(spec, "applied_skills", wrong_sum) == {"total": "权重合计应为 100，现为 105"}
    # chosen weights change the composite; invalid choices fall back to the defaults
    own = {**defaults, "employment_rate": 30, "skill_awards": 10}
    unis = [_uni("A", 98, 200, prev_emp=97, weights=own), _uni("B", 90, 900, prev_emp=90)]
    rows = {r["code"]: r for r in hei.evaluate(spec, unis)["universities"]}
    assert rows["A"]["own_weights"] and rows["A"]["indicators"][0]["weight"] == 30
    bad = [_uni("A", 98, 200, prev_emp=97, weights=too_high), _uni("B", 90, 900, prev_emp=90)]
    assert not hei.evaluate(spec, bad)["universities"][0]["own_weights"]


def test_duty_item_score_is_weighted_mean_over_present_sources():
    spec = registry.get("district_duty").spec
    scores = {("A1", "self"): 10, ("A1", "survey"): 8, ("A1", "onsite"): 6, ("A2", "self"): 5}
    result = duty.score_items(spec, scores)
    a1, a2 = result["items"][0], result["items"][1]
    assert a1["score"] == pytest.approx(0.2 * 10 + 0.3 * 8 + 0.5 * 6)  # 7.4 < 0.8 × 10
    assert a1["needs_rectification"] and a1["complete"]
    assert a2["score"] == 5 and not a2["complete"]  # self-evaluation only: not yet a verdict
    assert result["grade"] is None and not result["complete"]
    full = {(i["code"], s): i["max"] for i in spec["items"] for s in spec["sources"]}
    assert duty.score_items(spec, full)["grade"] == "优秀"


def test_thematic_statistics_per_district_and_city():
    spec = registry.get("thematic").spec
    ok = {"weekly_lessons": 3, "not_crowded_out": True, "specialist_teachers": True, "timetable_public": True}
    bad = {**ok, "weekly_lessons": 2, "specialist_teachers": False}
    stats = thematic.statistics(spec, "pe_hours", [("d1", "一区", ok), ("d1", "一区", bad), ("d2", "二区", ok)])
    d1 = {i["code"]: i["rate"] for i in stats["districts"][0]["items"]}
    assert d1["weekly_lessons"] == 50.0 and d1["not_crowded_out"] == 100.0
    city = {i["code"]: i["rate"] for i in stats["city"]["items"]}
    assert city["weekly_lessons"] == pytest.approx(66.67) and stats["city"]["schools"] == 3
    with pytest.raises(DudaoError, match="每周体育与健康课时数：请填写非负数字"):
        thematic.clean_answers(spec, "pe_hours", {**ok, "weekly_lessons": "三节"})


# ----------------------------------------------------------------------------- on the demo


@pytest.mark.django_db
def test_demo_balanced_mixes_passing_and_failing_districts(demo, monkeypatch):
    # 社会认可度 complete at 90% everywhere (the surveys app's own demo decides it on the merged site)
    survey = SurveyResult("balanced_recognition", "", "2020", 500, 400, Decimal("90"))
    monkeypatch.setattr("dudao.surveys.selectors.result", lambda *args: survey)
    result = evaluate("balanced", "2020")
    verdicts = {d["code"]: d["resources_passed"] for d in result["districts"]}
    assert len(verdicts) == 16 and all(d["schools"] for d in result["districts"])
    failed = {c for c, v in verdicts.items() if v is False}
    assert failed == {"310105", "310110", "310115"}  # 资源配置 alone
    # all four parts and the veto: only 黄浦 passes; every other district misses an item or has a veto situation
    assert result["summary"] == {"passed": 1, "failed": 15, "no_data": 0, "incomplete": 0}
    assert [d["code"] for d in result["districts"] if d["passed"]] == ["310101"]
    jiading = next(d for d in result["districts"] if d["code"] == "310114")
    assert jiading["veto"]["found"] == ["设置重点校或重点班"] and balanced.verdict(jiading) == "未达标（一票否决）"
    pudong = next(d for d in result["districts"] if d["code"] == "310115")
    assert not pudong["levels"]["primary"]["cv_passed"]  # equipment concentrated in one school
    assert pudong["schools_failed"] == []
    changning = next(d for d in result["districts"] if d["code"] == "310105")
    assert changning["schools_failed"] == ["3101051001"]
    assert {f["indicator"] for f in changning["to_fix"]} == {"每百名学生拥有高于规定学历教师数", "生均体育运动场馆面积"}


@pytest.mark.django_db
def test_demo_preschool_city_values(demo, monkeypatch):
    from decimal import Decimal

    from dudao.surveys.selectors import SurveyResult

    def survey(questionnaire, period_code, org):  # the surveys lane's results; a complete 90% here
        return SurveyResult(questionnaire, org.code, period_code, 300, 200, Decimal("90"))

    monkeypatch.setattr("dudao.surveys.selectors.result", survey)
    result = evaluate("preschool", "2020")
    city = {r["code"]: r["value"] for r in result["city"]["core"]}
    assert round(city["inclusive_coverage"], 2) == 88.24
    assert round(city["public_share"], 2) == 63.00
    assert result["city"]["kindergartens"] == 64
    assert result["summary"]["failed"] >= 1 and result["summary"]["passed"] >= 1


@pytest.mark.django_db
def test_demo_universities_split_and_ranked(demo):
    from collections import Counter

    result = evaluate("hei", "2020")
    assert len(result["universities"]) == 62
    by_function = Counter(r["type"] for r in result["universities"])
    assert by_function == {
        "academic_research": 13,
        "applied_research": 10,
        "applied_technology": 17,
        "applied_skills": 22,
    }
    # one planted return (a third of its teachers: 生师比 63.5) is held as 数据待核: no score, no rank
    held = [r for r in result["universities"] if r["status"] == "held"]
    assert [r["checks"] for r in held] == [["生师比为 63.50，不在合理范围 3—40 内"]]
    for cls in result["classes"]:
        ranks = sorted(r["rank"] for r in result["universities"] if r["type"] == cls["key"] and r["rank"])
        assert ranks[0] == 1 and len(ranks) == cls["count"] - (held[0]["type"] == cls["key"])
    # reference scaling: scores spread over a realistic range, not stretched to 0–100 inside each type
    scores = [r["score"] for r in result["universities"] if r["score"] is not None]
    assert 40 < min(scores) < max(scores) < 120
    fudan = next(r for r in result["universities"] if r["name"] == "复旦大学")
    assert fudan["own_weights"] and fudan["indicators"][0]["weight"] == 25
    assert result["previous_period"] == "2019"
    reasons = " ".join(r for i in result["interviews"] for r in i["reasons"])
    assert "低于预警线" in reasons and "负面清单" in reasons
    # one university's own report: only itself, ranked within its class
    own = evaluate("hei", "2020", fudan["code"])
    assert [u["code"] for u in own["universities"]] == [fudan["code"]]


@pytest.mark.django_db
def test_evaluate_cli_json(demo):
    out = StringIO()
    call_command("evaluate", "balanced", "--period", "2020", "--org", "310105", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["scheme"] == "balanced" and data["period"] == "2020" and data["org"]["code"] == "310105"
    assert data["districts"][0]["passed"] is False and data["districts"][0]["levels"]["primary"]["cv"]
    for code in ("preschool", "hei", "district_duty", "thematic"):
        out = StringIO()
        call_command("evaluate", code, "--period", "2020", "--json", stdout=out)
        assert json.loads(out.getvalue())["scheme"] == code
    text = StringIO()
    call_command("evaluate", "balanced", "--period", "2020", stdout=text)
    assert "长宁区：未达标" in text.getvalue()
    with pytest.raises(CommandError, match="没有期间"):
        call_command("evaluate", "balanced", "--period", "1999")
    with pytest.raises(CommandError, match="以区为单位"):
        call_command("evaluate", "preschool", "--period", "2020", "--org", "3101011001")


@pytest.mark.django_db
def test_a_low_duzheng_score_becomes_a_ledger_finding_of_the_district_rechecked_through_the_ledger(
    demo, django_user_model
):
    spec = registry.get("district_duty").spec
    period = Period.objects.get(code="2020")
    district = OrgUnit.objects.get(code="310101")
    users = {u.username: u for u in django_user_model.objects.filter(username__in=["inspector", "d310101", "d310104"])}
    inspector, own, other = users["inspector"], users["d310101"], users["d310104"]
    Finding.objects.filter(owner=district, source_kind="duzheng").delete()  # this district's clean slate
    full = {i["code"]: i["max"] for i in spec["items"]}
    for source in spec["sources"]:
        duty.record_scores(spec, period, district, source, full, inspector)
    duty.record_scores(spec, period, district, "onsite", {"E2": "5"}, inspector)  # 5/10 on site: 7.5 < 8
    created = duty.raise_findings(spec, period, district, inspector, date(2021, 3, 1))
    assert [(f.owner, f.source_kind, f.source_ref) for f in created] == [(district, "duzheng", "2020:E2")]
    f = created[0]
    assert f.deadline == date(2021, 8, 28) and f.status == "open"
    assert duty.raise_findings(spec, period, district, inspector, date(2021, 3, 2)) == []  # once per item
    # the district and the city read it; another district does not
    assert ledger_reads.finding(own, f.pk) == f and ledger_reads.finding(inspector, f.pk) == f
    assert ledger_reads.finding(other, f.pk) is None
    assert f in ledger_reads.owed_by(own)
    ledger.submit_rectification(f, own, "已增加编制并落实。", f.version)
    with pytest.raises(DudaoError) as refused:  # a district does not re-check its own rectification
        ledger.recheck(f, own, True, "自查通过", f.version)
    assert refused.value.status == 403
    ledger.recheck(f, inspector, False, "整改未到位", f.version)
    assert f.status == "returned"
    ledger.submit_rectification(f, own, "已补齐材料。", f.version)
    ledger.recheck(f, inspector, True, "已整改到位", f.version)
    assert f.status == "closed"
    with pytest.raises(DudaoError, match="分值应在 0—10 之间"):
        duty.record_scores(spec, period, district, "onsite", {"A1": "9", "E2": "12"}, inspector)
    before = duty.scores_of(period, district)
    with pytest.raises(DudaoError):
        duty.record_scores(spec, period, district, "onsite", {"A1": "1", "E2": "abc"}, inspector)
    assert duty.scores_of(period, district) == before  # nothing half-saved
    rows = evaluate("district_duty", "2020", "310101")["districts"][0]["rectifications"]
    assert [(r["item"], r["status"], [v["closed"] for v in r["revisits"]]) for r in rows] == [
        ("E2", "closed", [False, True])
    ]
    assert rows[0]["url"] == f"/supervision/findings/{f.pk}/"


@pytest.mark.django_db
def test_a_thematic_unmet_item_becomes_a_ledger_finding_of_the_school_and_a_later_visit_rechecks_it(
    demo, django_user_model
):
    spec = registry.get("thematic").spec
    school = OrgUnit.objects.get(code="3101011001")
    inspector = django_user_model.objects.get(username="inspector")
    principal = django_user_model.objects.get(username="3101011001-principal")
    Finding.objects.filter(owner=school, source_kind="thematic").delete()
    bad = {"weekly_lessons": "2", "not_crowded_out": "on", "specialist_teachers": "", "timetable_public": "1"}
    visit = thematic.record_visit(spec, "pe_hours", school, inspector, date(2020, 11, 1), bad)
    assert visit.answers == {
        "weekly_lessons": 2.0,
        "not_crowded_out": True,
        "specialist_teachers": False,
        "timetable_public": True,
    }
    raised = Finding.objects.filter(owner=school, source_kind="thematic").order_by("source_ref")
    assert [f.source_ref for f in raised] == [
        f"visit-{visit.pk}:specialist_teachers",
        f"visit-{visit.pk}:weekly_lessons",
    ]
    assert {(f.status, f.deadline) for f in raised} == {("open", date(2020, 12, 1))}
    assert ledger_reads.finding(principal, raised[0].pk) is not None  # the school sees its own finding
    # still unmet on the next visit: not raised twice, and an item nobody answered for yet stays open
    thematic.record_visit(spec, "pe_hours", school, inspector, date(2020, 11, 10), bad)
    assert Finding.objects.filter(owner=school, source_kind="thematic").count() == 2
    for f in raised:
        ledger.submit_rectification(f, principal, "已整改。", f.version)
    good = {**bad, "weekly_lessons": "3", "specialist_teachers": "1"}
    thematic.record_visit(spec, "pe_hours", school, inspector, date(2020, 11, 20), good)
    assert set(Finding.objects.filter(owner=school, source_kind="thematic").values_list("status", flat=True)) == {
        "closed"
    }
    stats = evaluate("thematic", "2020", "310101")
    pe = next(t for t in stats["themes"] if t["code"] == "pe_hours")
    assert (
        pe["city"]["schools"] == 6
    )  # 黄浦: 5 one-stage schools + its 九年一贯制 one; the latest visit per school counts
    assert not any(i["school"] == school.name for i in pe["open_items"])


@pytest.mark.django_db
def test_the_data_migration_maps_old_rectifications_and_follow_ups_onto_ledger_states(demo, django_user_model):
    """evaluation 0004 (old 整改事项 / 回访核查 / 跟踪整改 → ledger), called directly on rows as the old tables held
    them: open → open, reopened → returned, closed → closed ending in an accept step, resolved follow-up → closed."""
    import importlib
    from datetime import UTC, datetime

    from dudao.supervision.models import Inspector, Step

    migration = importlib.import_module("dudao.evaluation.migrations.0004_findings_to_ledger")
    district, school = OrgUnit.objects.get(code="310104"), OrgUnit.objects.get(code="3101041001")
    inspector = django_user_model.objects.get(username="inspector")
    principal = django_user_model.objects.get(username="3101041001-principal")
    when = datetime(2021, 3, 1, 8, tzinfo=UTC)

    def rect(status, *revisits, closed_on=None):
        return {
            "district_id": district.pk,
            "period_code": "2019",
            "item": "B1",
            "finding": f"迁移测试：{status}",
            "deadline": date(2021, 8, 28),
            "status": status,
            "created_by_id": inspector.pk,
            "created_at": when,
            "closed_on": closed_on,
            "revisits": [
                {"visited_on": date(2021, 9, n + 1), "inspector_id": inspector.pk, "closed": ok, "note": note}
                for n, (ok, note) in enumerate(revisits)
            ],
        }

    def up(resolved_on):
        return {
            "school_id": school.pk,
            "visit_id": 987654,
            "theme": "pe_hours",
            "inspector_id": None,  # a visit whose inspector was deleted: the fallback user raised it
            "created_at": datetime(2020, 11, 1, 8, tzinfo=UTC),
            "item": "weekly_lessons",
            "issue": "每周体育与健康课时数未达标（2）",
            "due": date(2020, 12, 1),
            "resolved_on": resolved_on,
            "resolution": "2020-12-20 回访已达标" if resolved_on else "",
            "resolved_by_id": principal.pk if resolved_on else None,
        }

    rects = [
        rect("open"),
        rect("closed", (False, "未到位"), (True, "已整改"), closed_on=date(2021, 9, 2)),
        rect("reopened", (False, "未到位")),
        rect("closed", closed_on=date(2021, 7, 1)),  # closed without a recorded revisit
    ]
    made = migration.move_rows(
        rects,
        [up(None), up(date(2020, 12, 20))],
        Finding,
        Step,
        Inspector,
        inspector.pk,
        theme_names={"pe_hours": "体育"},
    )
    assert [f.status for f in made] == ["open", "closed", "returned", "closed", "open", "closed"]

    def steps(f):
        return [(s.action, s.from_state, s.to_state, s.at.date()) for s in f.steps.order_by("at", "pk")]

    assert steps(made[1]) == [
        ("raise", "", "open", date(2021, 3, 1)),
        ("return", "open", "returned", date(2021, 9, 1)),
        ("accept", "returned", "closed", date(2021, 9, 2)),
    ]
    assert steps(made[3])[-1] == ("accept", "open", "closed", date(2021, 7, 1))
    assert steps(made[2])[-1] == ("return", "open", "returned", date(2021, 9, 1))
    assert made[1].closed_at.date() == date(2021, 9, 2) and made[0].closed_at is None
    assert {(f.owner, f.source_kind, f.source_ref, f.theme) for f in made[4:]} == {
        (school, "thematic", "visit-987654:weekly_lessons", "体育")
    }
    assert made[4].created_by == inspector  # the fallback user
    assert [(s.action, s.by, s.text) for s in made[5].steps.order_by("at", "pk")][-1] == (
        "accept",
        principal,
        "2020-12-20 回访已达标",
    )
    assert made[0].source_ref == "2019:B1" and made[0].owner == district and made[0].source_kind == "duzheng"
    # the ledger takes over: the returned 督政 item is the district's to answer again, with the version it carries
    ledger.submit_rectification(made[2], django_user_model.objects.get(username="d310104"), "再整改。", made[2].version)
    assert made[2].status == "rectifying"
    with pytest.raises(RuntimeError):  # no user at all to name as the raiser: refuse rather than lose rows
        migration.move_rows([{**rects[0], "created_by_id": None}], [], Finding, Step, Inspector, None)


def test_thematic_counts_an_unanswered_number_as_not_met_by_the_ledgers_one_rule():
    from dudao.supervision import checklists

    item = {"code": "weekly_lessons", "type": "number", "min": 3}
    assert checklists.met(item, None) is None and checklists.unmet([item], {}) == []  # a visit does not judge it
    assert thematic.is_met(item, None) is False and thematic.is_met(item, 3) is True  # statistics do not count it


# ----------------------------------------------------------------------------- pages and reports


def _login(client, username):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username=username))


def test_evaluation_url_names_keep_the_paths():
    from django.urls import reverse

    assert reverse("evaluation:index") == "/evaluation/"
    assert reverse("evaluation:hei_weights") == "/evaluation/hei/weights/"
    assert reverse("evaluation:duty_scores") == "/evaluation/district_duty/scores/"
    assert reverse("evaluation:duty_findings") == "/evaluation/district_duty/findings/"
    assert reverse("evaluation:visit") == "/evaluation/thematic/visits/"
    assert reverse("evaluation:scheme", args=["balanced"]) == "/evaluation/balanced/"
    assert reverse("evaluation:report", args=["hei", "pdf"]) == "/evaluation/hei/report.pdf"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "username, url, status",
    [
        ("inspector", "/evaluation/balanced/?period=2020", 200),
        ("d310101", "/evaluation/balanced/?period=2020&org=310101", 200),
        ("d310101", "/evaluation/balanced/?period=2020&org=310104", 404),  # another district
        ("3101011001-principal", "/evaluation/balanced/?period=2020&org=3101011001", 200),  # 一校一报告
        ("3101011001-principal", "/evaluation/balanced/?period=2020&org=3101011002", 404),
        ("3101011001-principal", "/evaluation/balanced/?period=2020&org=310101", 404),
        ("analyst", "/evaluation/hei/?period=2020", 200),
        ("inspector", "/evaluation/preschool/?period=2020&org=3101011001", 400),  # not a district
        ("inspector", "/evaluation/nonsense/?period=2020", 404),
    ],
)
def test_evaluation_page_permissions(demo, client, username, url, status):
    _login(client, username)
    assert client.get(url).status_code == status


@pytest.mark.django_db
def test_evaluation_pages_require_login(demo, client):
    response = client.get("/evaluation/balanced/?period=2020")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get("/evaluation/balanced/report.pdf?period=2020").status_code == 302


@pytest.mark.django_db
def test_district_report_html_and_pdf(demo, client):
    _login(client, "d310115")
    page = client.get("/evaluation/balanced/?period=2020&org=310115").content.decode()
    assert "浦东新区" in page and "补短板清单" in page and "差异系数" in page
    html = client.get("/evaluation/balanced/report.html?period=2020&org=310115").content.decode()
    assert "2020年度浦东新区县域义务教育优质均衡发展督导评估报告" in html and "未达标" in html
    pdf = client.get("/evaluation/balanced/report.pdf?period=2020&org=310115")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    _login(client, "3101011001-principal")
    school = client.get("/evaluation/balanced/report.pdf?period=2020&org=3101011001")
    assert school.content.startswith(b"%PDF")


@pytest.mark.django_db
def test_university_weight_form(demo, client):
    fudan = OrgUnit.objects.get(name="上海交通大学")
    _login(client, f"{fudan.code}-principal")
    page = client.get(f"/evaluation/hei/?period=2020&org={fudan.code}").content.decode()
    assert "本校自选权重" in page and 'name="papers_per_faculty"' in page
    base = {
        "org": fudan.code,
        "period": "2020",
        "papers_per_faculty": 40,  # 学术研究型 bounds 15—25
        "research_per_faculty": 20,
        "doctoral_share": 10,
        "employment_rate": 5,
        "satisfaction": 5,
        "output_per_funding": 5,
        "research_growth": 5,
        "employment_gain": 5,
        "student_teacher_ratio": 5,
        "dropout_rate": 0,
    }
    read = dict(re.findall(r'name="(version_[^"]+)" value="(\d+)"', page))  # the form's versions (all 0: defaults)
    assert len(read) == 10 and set(read.values()) == {"0"}
    base.update(read)
    response = client.post("/evaluation/hei/weights/", base, follow=True)
    assert "师均高水平论文数：权重 40 超出允许范围 15—25" in response.content.decode()
    assert not WeightChoice.objects.filter(org=fudan).exists()
    ok = {**base, "papers_per_faculty": 25, "output_per_funding": 15, "research_growth": 10}
    response = client.post("/evaluation/hei/weights/", ok, follow=True)
    assert "已保存本校自选权重" in response.content.decode()
    assert WeightChoice.objects.filter(org=fudan).count() == 10
    row = evaluate("hei", "2020", fudan.code)["universities"][0]
    assert row["own_weights"]
    # lost update (issue #16 item 4): a second form read before that save is refused with both weights
    stale = {**ok, "papers_per_faculty": 20, "research_per_faculty": 25}
    response = client.post("/evaluation/hei/weights/", stale, follow=True).content.decode()
    assert "已被他人修改" in response and "25.00" in response and "“20”" in response
    assert WeightChoice.objects.get(org=fudan, indicator="papers_per_faculty").weight == 25
    _login(client, "3101011001-principal")  # not this university's
    assert client.post("/evaluation/hei/weights/", ok).status_code == 404


@pytest.mark.django_db
def test_inspector_forms_for_duty_and_visits(demo, client):
    _login(client, "d310104")
    denied = client.post("/evaluation/district_duty/scores/", {"org": "310104", "period": "2020", "source": "onsite"})
    assert denied.status_code == 404  # a district does not score itself on site
    _login(client, "inspector")
    form = client.get("/evaluation/district_duty/?org=310104&period=2020").content.decode()
    read = dict(re.findall(r'name="(version_[^"]+)" value="(\d+)"', form))  # each score's version, as the form sends
    response = client.post(
        "/evaluation/district_duty/scores/",
        {"org": "310104", "period": "2020", "source": "onsite", "A1": "11", "A2": "4", **read},
        follow=True,
    )
    assert "分值应在 0—10 之间" in response.content.decode()
    response = client.post(
        "/evaluation/district_duty/scores/",
        {"org": "310104", "period": "2020", "source": "onsite", "A1": "3", **read},
        follow=True,
    )
    assert "已保存 1 项评分" in response.content.decode()
    client.post("/evaluation/district_duty/findings/", {"org": "310104", "period": "2020"})
    f = Finding.objects.get(owner__code="310104", source_kind="duzheng", source_ref="2020:A1")
    page = client.get("/evaluation/district_duty/?org=310104&period=2020").content.decode()
    assert f'href="/supervision/findings/{f.pk}/"' in page  # the 督政 page links each finding to the ledger
    assert client.get(f"/supervision/findings/{f.pk}/").status_code == 200  # the city reads it in the ledger
    _login(client, "d310101")
    assert client.get(f"/supervision/findings/{f.pk}/").status_code == 404  # another district does not
    if f.status in ("open", "returned"):
        _login(client, "d310104")  # the district answers it in the ledger
        client.post(f"/supervision/findings/{f.pk}/rectify/", {"text": "已整改", "version": f.version})
        f.refresh_from_db()
    if f.status == "rectifying":
        _login(client, "inspector")
        client.post(f"/supervision/findings/{f.pk}/recheck/", {"verdict": "accept", "note": "", "version": f.version})
        f.refresh_from_db()
    assert f.status == "closed"
    _login(client, "inspector")
    page = client.get("/evaluation/thematic/?period=2020&org=310104").content.decode()
    assert 'id="visit"' in page
    response = client.post(
        "/evaluation/thematic/visits/",
        {
            "org": "310104",
            "period": "2020",
            "school": "3101041001",
            "theme": "myopia",
            "on": "2020-12-01",
            "eye_exercises": "1",
            "screening": "1",
            "outdoor_minutes": "90",
            "lighting": "1",
            "homework_control": "1",
        },
        follow=True,
    )
    assert "已记录" in response.content.decode()
    assert (
        Finding.objects.filter(
            owner__code="3101041001", source_kind="thematic", source_ref__endswith=":outdoor_minutes"
        )
        .exclude(status="closed")
        .exists()
    )


def test_percentages_round_as_the_report_does():
    """The evaluation pages' percentages round half-up on the decimal value, like dudao.rounding in the reports."""
    from dudao.evaluation.templatetags.evaluation import pct
    from dudao.rounding import fixed

    assert 0.9115 * 100 < 91.15  # the float product falls just below the half: 91.14999999999999
    assert pct(0.9115) == "91.2%" == f"{fixed(91.15, 1)}%"
    assert pct(0.985) == "98.5%" and pct(None) == "—" and pct(1) == "100.0%"
