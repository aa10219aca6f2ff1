"""县域学前教育普及普惠 (教督〔2020〕1号) as the 办法 defines it: the 保教质量 items (专任教师 1:15, 两教一保,
持证 100%, 班额达标率), the 政府保障 self-evaluation, the survey and the on-site check, and the district verdict
over the four sources. Pure functions with hand-computed numbers first, then the demo."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dudao.concurrency import StaleEdit
from dudao.errors import DudaoError
from dudao.evaluation import registry
from dudao.evaluation.run import evaluate
from dudao.evaluation.schemes import preschool
from dudao.surveys.selectors import SurveyResult

# one kindergarten: 900 children in 30 classes (none over), 60 专任教师 all certified, 30 保育员, 90 教职工
KG = {
    "kg_children": 900,
    "kg_classes": 30,
    "kg_large_classes": 0,
    "kg_staff": 120,
    "kg_teachers": 60,
    "kg_teachers_certified": 60,
    "kg_nurses": 30,
    "kg_principal_certified": 1,
}
OWN = {
    "kg_population": 1000,
    "kg_public_funding": 1500,
    "kg_private_subsidy": 800,
    "kg_gov_party": 1,
    "kg_gov_plan": 1,
    "kg_gov_network": 1,
    "kg_gov_teacher_pay": 1,
    "kg_gov_governance": 1,
}
ALL_YES = {"onsite_conditions": True, "onsite_data": True, "onsite_no_primary": True}


def spec():
    return registry.get("preschool").spec


def survey(score="90", responses=200, target=100):
    return SurveyResult(
        "preschool_satisfaction", "d", "2020", responses, target, None if score is None else Decimal(score)
    )


def district(kgs=(("甲园", KG),), own=OWN, found=None, answers=ALL_YES, missing=()):
    """A district unit judged over all four sources, as compute() builds it (without the database)."""
    s = spec()
    pairs = [("public", values) for _, values in kgs]
    unit = preschool.evaluate(s, "d", "某区", preschool.sums(pairs, own), len(pairs), list(missing))
    unit.update(
        sources={k: v["name"] for k, v in s["sources"].items()},
        per_kindergarten=preschool.kindergarten_checks(s, list(kgs)),
        government=preschool.government_rows(s, own),
        survey=preschool.survey_rows(s, {"preschool_satisfaction": found}),
        onsite=preschool.onsite_rows(s, answers),
    )
    return preschool.judge(unit)


def item(unit, code):
    return next(r for part in preschool.ALL_LISTS for r in unit[part] if r["code"] == code)


def test_everything_met_from_all_four_sources_is_passed():
    unit = district(found=survey())
    assert unit["passed"] is True and not unit["incomplete"] and unit["gaps"] == []
    assert preschool.verdict(unit) == "达标"
    # every item names its source and the document its threshold comes from
    assert {item(unit, "gross_enrollment")["source"], item(unit, "gov_plan")["source"]} == {"monitoring", "self"}
    assert item(unit, "recognition")["source"] == "survey" and item(unit, "onsite_no_primary")["source"] == "onsite"
    assert all(r["basis"] for part in preschool.ALL_LISTS for r in unit[part])


def test_the_ratio_counts_teachers_not_staff_and_1_to_15_is_the_boundary():
    # 900 / 60 专任教师 = 15.0 → met at the boundary; 教职工 (120) would give 7.5 and hide a shortage
    unit = district(found=survey())
    assert item(unit, "teacher_ratio")["value"] == 15.0 and item(unit, "teacher_ratio")["met"]
    # 901 / 60 = 15.0167 > 15 → not met, the district fails (one more child, same teachers; still 两教一保)
    more = {**KG, "kg_children": 901}
    unit = district(kgs=(("甲园", more),), found=survey())
    assert item(unit, "teacher_ratio")["value"] == pytest.approx(15.0167, abs=1e-4)
    assert not item(unit, "teacher_ratio")["met"] and unit["passed"] is False


def test_two_teachers_and_one_nurse_per_class_in_every_kindergarten():
    kgs = (
        ("甲园", KG),  # 30 classes: 60 teachers ≥ 2 × 30 and 30 nurses ≥ 30 → met
        ("乙园", {**KG, "kg_nurses": 29}),  # one nurse short → not met
        ("丙园", {**KG, "kg_teachers": 90, "kg_teachers_certified": 90, "kg_nurses": 0}),  # 3 teachers a class → met
    )
    unit = district(kgs=kgs, found=survey())
    row = item(unit, "two_teachers_one_nurse")
    assert row["value"] == pytest.approx(200 / 3, abs=1e-4)  # 2 of 3 kindergartens: 66.67% < 100%
    assert row["failing"] == ["乙园"] and not row["met"] and unit["passed"] is False
    # a kindergarten without the 保育员 figure decides nothing: the item is missing, not met
    row = preschool.kindergarten_checks(spec(), [("甲园", KG), ("丁园", {**KG, "kg_nurses": None})])[0]
    assert row["value"] is None and row["unknown"] == ["丁园"]


def test_certification_is_100_percent_so_99_fails():
    kg = {**KG, "kg_teachers": 100, "kg_teachers_certified": 99, "kg_children": 1200, "kg_classes": 40}
    kg["kg_nurses"], kg["kg_staff"] = 40, 160
    unit = district(kgs=(("甲园", kg),), own={**OWN, "kg_population": 1300}, found=survey())
    row = item(unit, "certified_teachers")
    assert row["value"] == 99.0 and not row["met"] and unit["passed"] is False  # 99 / 100
    # an uncertified 园长 fails 园长持证 in the same way: 0 of 1 kindergarten
    unit = district(kgs=(("甲园", {**KG, "kg_principal_certified": 0}),), found=survey())
    assert item(unit, "principal_certified")["value"] == 0.0 and unit["passed"] is False


def test_class_size_rate_is_the_share_of_classes_within_the_limit():
    # 20 classes, 3 over the limit: (20 − 3) / 20 = 85% → met; 4 over: 80% → not met
    ok = district(kgs=(("甲园", {**KG, "kg_classes": 20, "kg_large_classes": 3, "kg_nurses": 20}),), found=survey())
    assert item(ok, "class_size_rate")["value"] == 85.0 and item(ok, "class_size_rate")["met"]
    bad = district(kgs=(("甲园", {**KG, "kg_classes": 20, "kg_large_classes": 4, "kg_nurses": 20}),), found=survey())
    assert item(bad, "class_size_rate")["value"] == 80.0 and bad["passed"] is False


def test_a_district_missing_the_survey_is_incomplete_with_the_reason():
    unit = district(found=None)
    assert unit["incomplete"] and unit["passed"] is None and preschool.verdict(unit) == "数据不全"
    assert unit["gaps"] == [
        {"source": "满意度调查", "item": item(unit, "recognition")["name"], "reason": "未开展满意度调查或无结果"}
    ]
    # a survey short of its sample is missing too: 60 of 100 responses
    thin = district(found=survey(responses=60, target=100))
    assert thin["incomplete"] and thin["gaps"][0]["reason"] == "样本不足：回收 60 份，目标 100 份"
    # enough answers in all, but no 社会人士 among them: still short, and the reason names the group
    parents_only = SurveyResult(
        "preschool_satisfaction", "d", "2020", 200, 100, Decimal("90"), short_groups=("public",)
    )
    lopsided = district(found=parents_only)
    assert lopsided["incomplete"]
    assert lopsided["gaps"][0]["reason"] == "样本不足：回收 200 份，目标 100 份；未达样本量：社会人士"
    # a complete survey under 85% fails: 84.9 < 85
    low = district(found=survey("84.9"))
    assert low["passed"] is False and not item(low, "recognition")["met"]


def test_a_failing_item_is_failed_even_while_a_source_is_missing():
    unit = district(kgs=(("甲园", {**KG, "kg_children": 901}),), found=None)  # 1:15.02 and no survey
    assert unit["passed"] is False and not unit["incomplete"] and unit["gaps"]
    assert preschool.verdict(unit) == "未达标"


def test_missing_kindergartens_keep_the_verdict_incomplete_even_with_a_failure():
    gone = [{"code": "k9", "name": "戊园", "reason": "未核准"}]
    unit = district(kgs=(("甲园", {**KG, "kg_children": 901}),), found=survey(), missing=gone)
    assert unit["incomplete"] and unit["passed"] is None  # the missing children could move every share


def test_on_site_check_primary_schooling_fails_and_no_check_is_missing():
    unit = district(found=survey(), answers={**ALL_YES, "onsite_no_primary": False})
    assert unit["passed"] is False and not item(unit, "onsite_no_primary")["met"]
    unit = district(found=survey(), answers=None)
    assert unit["incomplete"] and {g["reason"] for g in unit["gaps"]} == {"未记录实地核查"}
    assert len(unit["gaps"]) == len(spec()["onsite"])


def test_government_items_come_from_the_self_evaluation():
    unit = district(found=survey(), own={**OWN, "kg_gov_network": 0})
    assert item(unit, "gov_network")["value"] == 0.0 and unit["passed"] is False
    unit = district(found=survey(), own={k: v for k, v in OWN.items() if k != "kg_private_subsidy"})
    assert unit["incomplete"] and unit["gaps"][0]["source"] == "县级自评"


def test_no_kindergartens_is_no_data_whatever_the_sources():
    s = spec()
    unit = preschool.evaluate(s, "d", "某区", {}, 0)
    unit.update(survey=preschool.survey_rows(s, {}), onsite=preschool.onsite_rows(s, None))
    assert preschool.judge(unit)["passed"] is None and not unit["incomplete"]


def test_on_site_answers_are_yes_or_no():
    assert preschool.clean_answers(spec(), {"onsite_conditions": "1", "onsite_data": "on"}) == {
        "onsite_conditions": True,
        "onsite_data": True,
        "onsite_no_primary": False,  # an unticked checkbox sends nothing: no
    }
    with pytest.raises(DudaoError, match="请选择是或否"):
        preschool.clean_answers(spec(), {"onsite_data": "maybe"})


# ----------------------------------------------------------------------------- the demo and the on-site form


def _complete_survey(monkeypatch, score="91.5"):
    def result(questionnaire, period_code, org):
        return SurveyResult(questionnaire, org.code, period_code, 300, 200, Decimal(score))

    monkeypatch.setattr("dudao.surveys.selectors.result", result)


@pytest.mark.django_db
def test_demo_districts_show_varied_outcomes(demo, monkeypatch):
    result = evaluate("preschool", "2020")
    # the demo's surveys: 金山 (310116) answered about 60% of its targets, so its survey is a gap and it is not 达标
    jinshan = next(d for d in result["districts"] if d["code"] == "310116")
    assert any(g["source"] == "满意度调查" for g in jinshan["gaps"]) and preschool.verdict(jinshan) != "达标"
    _complete_survey(monkeypatch)
    result = evaluate("preschool", "2020")
    by_index = result["districts"]
    words = [preschool.verdict(d) for d in by_index]
    assert {"达标", "未达标", "数据不全"} <= set(words)
    failed = {
        i: {r["code"] for p in preschool.ALL_LISTS for r in d[p] if r["value"] is not None and not r["met"]}
        for i, d in enumerate(by_index)
    }
    assert {"teacher_ratio", "two_teachers_one_nurse"} <= failed[3]
    assert failed[5] == {"certified_teachers"} and 98 < item(by_index[5], "certified_teachers")["value"] < 100
    assert "class_size_rate" in failed[7] and failed[9] == {"two_teachers_one_nurse"}
    assert failed[11] == {"principal_certified"} and failed[12] == {"gov_network"}
    assert failed[13] == {"onsite_no_primary"} and "gross_enrollment" in failed[15]
    assert words[14] == "数据不全" and {g["reason"] for g in by_index[14]["gaps"]} == {"未记录实地核查"}
    assert words[0] == "达标"


@pytest.mark.django_db
def test_an_inspector_records_the_on_site_check_and_a_stale_form_is_refused(demo, client, monkeypatch):
    from django.contrib.auth import get_user_model

    from dudao.collection.selectors import period as period_of
    from dudao.orgs.selectors import unit as org_unit

    _complete_survey(monkeypatch)
    inspector = get_user_model().objects.get(username="inspector")
    client.force_login(inspector)
    page = client.get("/evaluation/preschool/?period=2020&org=310105")
    html = page.content.decode()
    assert page.status_code == 200 and 'id="preschool-check"' in html and "实地核查" in html
    assert "教师〔2013〕1号" in html  # each item cites its document
    form = {"org": "310105", "period": "2020", "version": "1", "on": "2020-11-20", "onsite_conditions": "1"}
    client.post("/evaluation/preschool/checks/", form)
    result = evaluate("preschool", "2020", "310105")["districts"][0]
    assert item(result, "onsite_data")["met"] is False and result["passed"] is False
    # the same form sent again was read at version 1, the check is now at 2: refused, nothing overwritten
    s, changning = spec(), org_unit("310105")
    with pytest.raises(StaleEdit):
        preschool.record_check(s, period_of("2020"), changning, inspector, result_day(), ALL_YES, "", 1)
    assert preschool.check_of(period_of("2020"), changning).answers["onsite_data"] is False
    # a principal may not record one
    principal = get_user_model().objects.get(username="3101051001-principal")
    with pytest.raises(DudaoError):
        preschool.record_check(s, period_of("2020"), changning, principal, result_day(), ALL_YES)


def result_day():
    from datetime import date

    return date(2020, 11, 21)
