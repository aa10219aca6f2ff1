"""The edges of the 优质均衡, 普及普惠 and 高校分类评价 schemes (issue #18 part 1): missing or unapproved data shows as
missing with its effect (数据不全 and the list), never dropped silently or passed; rates over incomplete denominators
or above 100% are flagged; empty periods are 无数据; negative figures are refused, not crashing; a university's
missing value is flagged and scored by the rule hei.yaml states."""

import copy
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from dudao.collection.models import DataElement, DataValue, Submission
from dudao.errors import DudaoError
from dudao.evaluation import registry
from dudao.evaluation.run import evaluate
from dudao.evaluation.schemes import balanced, hei, preschool
from dudao.inputs import parse_number
from dudao.orgs.models import OrgUnit
from dudao.surveys.selectors import SurveyResult

from .test_evaluation import _school, _uni


def _unapprove(org_code, dataset, period="2020"):
    Submission.objects.filter(
        org__code=org_code, campaign__dataset__code=dataset, campaign__period__code=period
    ).update(state="draft")


# ----------------------------------------------------------------------------- 优质均衡


def test_an_unapproved_school_makes_the_district_data_incomplete_not_passed():
    spec = registry.get("balanced").spec
    good = [balanced.SchoolInput(c, c, "primary", _school()) for c in ("a", "b")]
    assert balanced.evaluate_district(spec, "d", "某区", good)["passed"] is True
    result = balanced.evaluate_district(spec, "d", "某区", good, [{"code": "c", "name": "丙"}])
    assert result["passed"] is None and result["incomplete"] is True
    assert result["missing"] == [{"code": "c", "name": "丙", "reason": "未核准"}]
    assert balanced.verdict(result) == "数据不全"
    # a school with data that fails decides the district whatever the missing one reports: every school must pass
    bad = balanced.SchoolInput("e", "戊", "primary", _school(sports_space=0.8))
    failed = balanced.evaluate_district(spec, "d", "某区", [*good, bad], [{"code": "c", "name": "丙"}])
    assert failed["passed"] is False and not failed["incomplete"] and failed["missing"]


def test_a_missing_value_is_missing_not_a_failed_indicator():
    spec = registry.get("balanced").spec
    values = _school()
    del values["bal_sports_area"]  # 6 met (120%), 1 unknown: it could still be below 85% — undecided
    one = balanced.evaluate_school(spec, balanced.SchoolInput("s", "甲", "primary", values))
    assert one["met_count"] == 6 and one["passed"] is None and one["missing"] == ["生均体育运动场馆面积"]
    # 5 met at 120%, one at 80% (< 85% of standard) and one unknown: failed whatever the unknown is
    low = _school(equipment=0.8)
    del low["bal_sports_area"]
    assert balanced.evaluate_school(spec, balanced.SchoolInput("s", "甲", "primary", low))["passed"] is False
    district = balanced.evaluate_district(
        spec,
        "d",
        "某区",
        [balanced.SchoolInput("s", "甲", "primary", values)] * 1
        + [balanced.SchoolInput("t", "乙", "primary", _school())],
    )
    assert district["incomplete"] and district["missing"][0]["reason"] == "缺少：生均体育运动场馆面积"
    assert district["schools_failed"] == [] and district["to_fix"] == []


def test_a_negative_enrolment_is_invalid_data_not_a_crash():
    spec = registry.get("balanced").spec
    negative = {**_school(), "bal_students": -1000}
    school = balanced.evaluate_school(spec, balanced.SchoolInput("n", "负", "primary", negative))
    assert school["invalid"] == ["bal_students"] and school["passed"] is None and len(school["missing"]) == 7
    district = balanced.evaluate_district(
        spec,
        "d",
        "某区",
        [balanced.SchoolInput("n", "负", "primary", negative), balanced.SchoolInput("a", "甲", "primary", _school())],
    )
    assert district["incomplete"] and "数值无效：bal_students" in district["missing"][0]["reason"]
    # the CV is over the valid school alone: one school, no spread
    assert all(c["cv"] == 0 for c in district["levels"]["primary"]["cv"])


@pytest.mark.django_db
def test_collection_refuses_negative_counts_by_the_catalog_minimum(world):
    for code in ("bal_students", "kg_children", "kg_population", "hei_faculty", "hei_satisfaction"):
        minimum = DataElement.objects.get(code=code).minimum
        assert minimum is not None and minimum >= 0
        with pytest.raises(DudaoError, match="不能小于"):
            parse_number("-5", minimum=minimum, field=code)


@pytest.mark.django_db
def test_changning_with_its_failing_school_unapproved_is_incomplete_not_passed(demo, monkeypatch):
    # every district's 社会认可度 survey complete at 90%: the verdicts below come from the data the demo plants
    survey = SurveyResult("balanced_recognition", "", "2020", 500, 400, Decimal("90"))
    monkeypatch.setattr("dudao.surveys.selectors.result", lambda *args: survey)
    assert evaluate("balanced", "2020", "310105")["districts"][0]["passed"] is False
    _unapprove("3101051001", "compulsory_conditions")
    d = evaluate("balanced", "2020", "310105")["districts"][0]
    assert d["passed"] is None and d["incomplete"]
    assert [m["code"] for m in d["missing"]] == ["3101051001"]
    city = evaluate("balanced", "2020")
    # 资源配置 alone: 13 districts pass, 杨浦 and 浦东 fail, 长宁 is open; over all four parts and the veto only 黄浦
    # passes (demo.balanced plants one unmet item or a veto in every other district but 长宁, 杨浦, 浦东)
    assert city["parts_summary"][0] == {"name": "资源配置", "passed": 13, "failed": 2, "missing": 1}
    assert city["summary"] == {"passed": 1, "failed": 14, "no_data": 0, "incomplete": 1}
    out = StringIO()
    call_command("evaluate", "balanced", "--period", "2020", "--org", "310105", stdout=out)
    assert "长宁区：数据不全" in out.getvalue() and "上海市长宁区实验小学（未核准）" in out.getvalue()


@pytest.mark.django_db
def test_a_negative_enrolment_written_around_the_forms_is_reported_by_the_command(demo):
    DataValue.objects.filter(org__code="3101051002", element__code="bal_students", period__code="2020").update(
        number=-300
    )
    out = StringIO()
    call_command("evaluate", "balanced", "--period", "2020", "--org", "310105", stdout=out)
    assert "数值无效：bal_students" in out.getvalue()


@pytest.mark.django_db
def test_a_year_without_data_is_no_data_not_failed(demo):
    for code in ("balanced", "preschool"):
        result = evaluate(code, "2019")
        assert result["summary"]["passed"] == result["summary"]["failed"] == 0
        assert result["summary"]["no_data"] == 16 and result["summary"]["incomplete"] == 0
    out = StringIO()
    call_command("evaluate", "balanced", "--period", "2019", stdout=out)
    assert "未达标" not in out.getvalue() and "长宁区：无数据" in out.getvalue()


# ----------------------------------------------------------------------------- 普及普惠

KG = {"kg_children": 900, "kg_teachers": 60, "kg_teachers_certified": 60, "kg_classes": 30, "kg_large_classes": 0}


def test_city_enrollment_rate_counts_only_districts_with_their_population():
    spec = registry.get("preschool").spec
    complete = ([("public", {**KG, "kg_staff": 90})], {"kg_population": 1000, "kg_public_funding": 1200})
    lacking = ([("public", {**KG, "kg_children": 500, "kg_staff": 50})], {})
    everything = [complete, lacking]
    figures = preschool.sums([p for pairs, _ in everything for p in pairs])
    figures.update(preschool.combine([own for _, own in everything], spec["district_figures"]))
    city = preschool.evaluate(spec, "c", "全市", figures, 2, [{"code": "d2", "name": "乙区", "reason": "x"}])
    rate = next(r for r in city["core"] if r["code"] == "gross_enrollment")
    assert rate["value"] == 140.0 and rate["over"]  # (900 + 500) / 1000: the old, impossible figure
    preschool._complete_districts_only(spec, city, everything)
    rate = next(r for r in city["core"] if r["code"] == "gross_enrollment")
    assert rate["value"] == 90.0 and rate["partial"] and rate["districts"] == 1 and not rate["over"]
    assert city["incomplete"] and city["passed"] is None and preschool.verdict(city) == "数据不全"


def test_a_rate_above_100_percent_is_flagged():
    spec = registry.get("preschool").spec
    figures = preschool.sums([("public", {**KG, "kg_staff": 90})], {"kg_population": 800, "kg_public_funding": 1200})
    result = preschool.evaluate(spec, "d", "某区", figures, 1)
    rate = next(r for r in result["core"] if r["code"] == "gross_enrollment")
    assert rate["value"] == 112.5 and rate["over"] and rate["met"]  # 900 / 800
    assert result["passed"] is True  # flagged for checking, the verdict is the rule's


@pytest.mark.django_db
def test_a_kindergarten_without_its_group_is_counted_and_listed(demo):
    before = evaluate("preschool", "2020", "310105")["districts"][0]
    kg = OrgUnit.objects.filter(parent__code="310105", groups__group_set__code="preschool_category").first()
    kg.groups.remove(*kg.groups.filter(group_set__code="preschool_category"))
    after = evaluate("preschool", "2020", "310105")["districts"][0]
    assert after["kindergartens"] == before["kindergartens"] and after["children"] == before["children"]
    assert after["missing"] == [{"code": kg.code, "name": kg.name, "reason": "未设置普惠性质"}]
    assert after["incomplete"] and preschool.verdict(after) == "数据不全"


@pytest.mark.django_db
def test_a_district_population_missing_keeps_the_city_rate_over_complete_districts(demo):
    result = evaluate("preschool", "2020")
    assert not any(r["partial"] for r in result["city"]["core"])
    _unapprove("310105", "district_preschool")
    result = evaluate("preschool", "2020")
    changning = next(d for d in result["districts"] if d["code"] == "310105")
    assert changning["incomplete"] and changning["missing"][-1]["reason"] == "区级数据未核准或不全"
    rate = next(r for r in result["city"]["core"] if r["code"] == "gross_enrollment")
    assert rate["partial"] and rate["districts"] == 15 and rate["value"] <= 100
    assert result["summary"]["incomplete"] >= 1


# ----------------------------------------------------------------------------- 高校分类评价


def _three(**c_values):
    unis = [_uni("A", 98, 200), _uni("B", 95, 200), _uni("C", 88, 200)]
    unis[2].values.update(c_values)
    for key in [k for k, v in c_values.items() if v is None]:
        del unis[2].values[key]
    return unis


def test_a_missing_university_value_is_flagged_and_the_weights_renormalised():
    # applied_skills defaults: employment 25, skill_awards 15, training 15, satisfaction 15, gain 10, 生师比 10,
    # output 5, 流失率 5. No previous period and no 流失学生数: employment_gain and dropout_rate are missing for all
    # (present weights 85). Scores against the references (hei.yaml): skill_awards 0.5/0.8 → 62.5, training 10/15 →
    # 66.67, satisfaction (90−70)/25 → 80, 生师比 (20−22)/(18−22) → 50, output 4.6667/5 → 93.33: together
    # 937.5 + 1000 + 1200 + 500 + 466.67 = 4104.17. Employment (floor 80, reference 98): A 98 → 100, B 95 → 83.33,
    # C 88 → 44.44.
    spec = registry.get("hei").spec
    assert spec["missing_rule"] == "renormalise"
    rows = {r["code"]: r for r in hei.evaluate(spec, _three(hei_satisfaction=None))["universities"]}
    assert rows["A"]["score"] == pytest.approx((2500 + 4104.17) / 85, abs=0.01)  # 77.70
    assert rows["B"]["score"] == pytest.approx((2083.33 + 4104.17) / 85, abs=0.01)  # 72.79
    # C without 毕业生满意度: (1111.11 + 4104.17 − 1200) / (85 − 15) = 57.36, not 40.15 with a silent 0
    assert rows["C"]["score"] == pytest.approx(4015.28 / 70, abs=0.01)
    assert rows["C"]["missing"] == ["毕业生满意度", "毕业去向落实率增值", "学生流失率"]
    assert rows["A"]["missing"] == ["毕业去向落实率增值", "学生流失率"]
    satisfaction = next(i for i in rows["C"]["indicators"] if i["code"] == "satisfaction")
    assert satisfaction["value"] is None and satisfaction["score"] is None
    lowest = hei.evaluate({**copy.deepcopy(spec), "missing_rule": "lowest"}, _three(hei_satisfaction=None))
    assert next(r for r in lowest["universities"] if r["code"] == "C")["score"] == pytest.approx(40.15, abs=0.01)


def test_a_negative_university_value_is_invalid_and_missing():
    spec = registry.get("hei").spec
    rows = {r["code"]: r for r in hei.evaluate(spec, _three(hei_satisfaction=-5))["universities"]}
    assert rows["C"]["invalid"] == ["hei_satisfaction"]
    assert rows["C"]["score"] == pytest.approx(4015.28 / 70, abs=0.01)


def test_a_university_without_any_value_has_no_score_and_no_rank():
    spec = registry.get("hei").spec
    empty = hei.University("Z", "Z", "applied_skills", "multidisciplinary", {})
    rows = {r["code"]: r for r in hei.evaluate(spec, [*_three(), empty])["universities"]}
    assert rows["Z"]["score"] is None and rows["Z"]["rank"] is None
    assert [rows[c]["rank"] for c in "ABC"] == [1, 2, 3]
    assert "无数据" in "\n".join(hei.describe({"universities": list(rows.values())}))


# ----------------------------------------------------------------------------- the pages


@pytest.mark.django_db
def test_the_pages_show_incomplete_verdicts_missing_lists_and_flags(demo, client):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="inspector"))
    _unapprove("3101051001", "compulsory_conditions")
    _unapprove("310105", "district_preschool")
    page = client.get("/evaluation/balanced/?period=2020").content.decode()
    assert "数据不全" in page and "上海市长宁区实验小学" in page and "未核准" in page
    page = client.get("/evaluation/preschool/?period=2020").content.decode()
    assert "※" in page and "区级数据未核准或不全" in page and "数据不全" in page
    university = OrgUnit.objects.get(name="复旦大学")
    DataValue.objects.filter(org=university, element__code="hei_satisfaction", period__code="2020").delete()
    page = client.get("/evaluation/hei/?period=2020").content.decode()
    assert "毕业生满意度" in page and "missing_rule" in page
    client.cookies["django_language"] = "en"
    english = client.get("/evaluation/balanced/?period=2020", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Missing data" in english


def test_a_school_with_some_values_missing_shows_data_incomplete_not_no_data():
    spec = registry.get("balanced").spec
    values = _school()
    del values["bal_sports_area"]
    school = balanced.evaluate_school(spec, balanced.SchoolInput("s", "甲", "primary", values))
    assert school["incomplete"] and balanced.verdict(school) == "数据不全"
    empty = balanced.evaluate_school(spec, balanced.SchoolInput("s", "甲", "primary", {}))
    assert not empty["incomplete"] and balanced.verdict(empty) == "无数据"
