"""高校分类评价 on the 4 × 3 grid (issue #18 part 4): reference-value scaling, per-type weights within bounds,
value-added and negative indicators, missing values by the stated rule, data checks before scoring — pure functions,
hand-computed numbers."""

from __future__ import annotations

import pytest

from dudao.collection.expressions import parse
from dudao.evaluation import registry
from dudao.evaluation.schemes import hei


@pytest.fixture
def spec():
    return registry.get("hei").spec


def _values(**changes):
    """An 应用技能型 college: 95 % employed, 0.5 awards per 100 students, 10 trainings per teacher, satisfaction 90,
    生师比 20, 流失率 2 %, 4.6667 万元 output per 100 万元 — see the arithmetic in test_the_composite_by_hand."""
    values = {
        "hei_faculty": 100,
        "hei_doctoral_faculty": 30,
        "hei_students": 2000,
        "hei_dropouts": 40,
        "hei_funding": 4500,
        "hei_graduates": 500,
        "hei_employed": 475,
        "hei_research_income": 200,
        "hei_papers": 10,
        "hei_transfer_income": 10,
        "hei_skill_awards": 10,
        "hei_training": 1000,
        "hei_satisfaction": 90,
        "hei_misconduct": 0,
        "hei_incidents": 0,
    }
    values.update(changes)
    return values


def _uni(code, function="applied_skills", discipline="multidisciplinary", previous=None, weights=None, **changes):
    return hei.University(code, code, function, discipline, _values(**changes), previous, weights or {})


def _rows(spec, unis, labels=None):
    return {r["code"]: r for r in hei.evaluate(spec, unis, labels)["universities"]}


def test_the_grid_is_four_types_by_three_categories(spec):
    assert spec["types"] == ["academic_research", "applied_research", "applied_technology", "applied_skills"]
    assert spec["categories"] == ["comprehensive", "multidisciplinary", "specialised"]
    assert set(spec["types_spec"]) == set(spec["types"])  # one indicator set per type, no per-cell override
    for t in spec["types"]:
        assert sum(w[0] for w in hei.type_weights(spec, t).values()) == 100, t
        for code, (default, low, high) in hei.type_weights(spec, t).items():
            assert low <= default <= high, (t, code)
    for rule in spec["checks"]["consistency"]:
        parse(rule["expr"])  # a typo fails here, not in an evaluation


def test_scale_by_reference_and_floor():
    # employment: floor 80, reference 98 → 95 scores 100 × 15/18 = 83.33; 100 scores 100 × 20/18 = 111.11;
    # 105 would be 138.9 → capped at 120; 70 is under the floor → 0
    assert hei.scale(95, 80, 98, 1.2) == pytest.approx(83.333, abs=0.001)
    assert hei.scale(100, 80, 98, 1.2) == pytest.approx(111.111, abs=0.001)
    assert hei.scale(105, 80, 98, 1.2) == 120
    assert hei.scale(70, 80, 98, 1.2) == 0
    # a negative indicator: 生师比 floor 22, reference 18 → 20 scores (20−22)/(18−22) = 0.5 → 50; 16 → 1.5 → cap 1
    assert hei.scale(20, 22, 18, 1) == 50
    assert hei.scale(16, 22, 18, 1) == 100
    assert hei.scale(25, 22, 18, 1) == 0
    assert hei.scale(None, 22, 18, 1) is None


def test_the_composite_by_hand(spec):
    # 应用技能型 defaults and scores: employment 25 × 83.33 (95 %), skill_awards 15 × 62.5 (0.5 of 0.8),
    # training 15 × 66.67 (10 of 15), satisfaction 15 × 80 ((90−70)/25), employment_gain 10 × missing (no previous
    # year), 生师比 10 × 50 (20), output 5 × 93.33 (4.6667 of 5), 流失率 5 × 75 ((2−5)/(1−5)).
    # renormalise: (2083.33 + 937.5 + 1000 + 1200 + 500 + 466.67 + 375) / 90 = 6562.5 / 90 = 72.92
    row = _rows(spec, [_uni("A")])["A"]
    assert row["score"] == pytest.approx(72.92, abs=0.005)
    assert row["missing"] == ["毕业去向落实率增值"] and row["status"] == "scored"
    scores = {i["code"]: i["score"] for i in row["indicators"]}
    assert scores["student_teacher_ratio"] == 50 and scores["dropout_rate"] == 75
    ratio = next(i for i in row["indicators"] if i["code"] == "student_teacher_ratio")
    assert ratio["lower_is_better"] and ratio["reference"] == 18 and ratio["floor"] == 22


def test_a_tiny_spread_stays_tiny(spec):
    # satisfaction 90 vs 90.09 (0.1 % apart): 100 × 0.09 / 25 = 0.36 points on the indicator, × 15 / 90 = 0.06 on the
    # composite. Min–max scaling inside the type gave the two 0 and 100 on that indicator, 16.7 apart overall.
    rows = _rows(spec, [_uni("A"), _uni("B", hei_satisfaction=90.09)])
    a = next(i["score"] for i in rows["A"]["indicators"] if i["code"] == "satisfaction")
    b = next(i["score"] for i in rows["B"]["indicators"] if i["code"] == "satisfaction")
    assert b - a == pytest.approx(0.36, abs=0.005)
    assert 0 < rows["B"]["score"] - rows["A"]["score"] < 1
    assert rows["B"]["score"] - rows["A"]["score"] == pytest.approx(0.06, abs=0.011)


def test_universities_are_ranked_within_their_type_and_reported_by_cell(spec):
    labels = {"applied_skills": "应用技能型", "academic_research": "学术研究型", "specialised": "特色性"}
    unis = [
        _uni("S1", hei_employed=490),  # 98 %: the better 应用技能型
        _uni("S2", discipline="specialised"),
        _uni("R1", function="academic_research", discipline="specialised", hei_papers=5),  # alone in its type
    ]
    result = hei.evaluate(spec, unis, labels)
    rows = {r["code"]: r for r in result["universities"]}
    assert (rows["S1"]["rank"], rows["S2"]["rank"], rows["R1"]["rank"]) == (1, 2, 1)
    assert rows["S1"]["of"] == 2 and rows["R1"]["of"] == 1
    assert rows["S2"]["cell_name"] == "应用技能型·特色性" and rows["R1"]["type"] == "academic_research"
    assert [c["key"] for c in result["classes"]] == ["academic_research", "applied_skills"]
    # the grid: 4 rows × 3 columns, each university in exactly one cell
    assert len(result["grid"]) == 4 and all(len(row["cells"]) == 3 for row in result["grid"])
    skills = next(row for row in result["grid"] if row["type"] == "applied_skills")
    assert [c["universities"] for c in skills["cells"]] == [[], ["S1"], ["S2"]]
    # R1 is scored with 学术研究型 indicators only (no 技能竞赛)
    assert "skill_awards" not in {i["code"] for i in rows["R1"]["indicators"]}
    assert "doctoral_share" in {i["code"] for i in rows["R1"]["indicators"]}


def test_own_weights_within_the_types_bounds(spec):
    defaults = {code: w[0] for code, w in hei.type_weights(spec, "applied_skills").items()}
    assert hei.validate_weights(spec, "applied_skills", defaults) == {}
    # employment_rate's bounds are 20—30: 35 is refused on its field; the total is only checked once all fit
    too_high = {**defaults, "employment_rate": 35, "skill_awards": 10}
    assert hei.validate_weights(spec, "applied_skills", too_high) == {
        "employment_rate": "毕业去向落实率：权重 35 超出允许范围 20—30"
    }
    assert hei.validate_weights(spec, "applied_skills", {**defaults, "employment_rate": 30}) == {
        "total": "权重合计应为 100，现为 105"
    }
    # an indicator of another type, and a missing one
    wrong = {**defaults, "papers_per_faculty": 0}
    del wrong["dropout_rate"]
    errors = hei.validate_weights(spec, "applied_skills", wrong)
    assert set(errors) == {"papers_per_faculty", "dropout_rate"}
    # each type has its own bounds: 学术研究型 papers 15—25, so 30 is out
    academic = {code: w[0] for code, w in hei.type_weights(spec, "academic_research").items()}
    assert "papers_per_faculty" in hei.validate_weights(
        spec, "academic_research", {**academic, "papers_per_faculty": 30}
    )
    # chosen weights change the composite: employment 30 (83.33), skill_awards 10 (62.5), others default:
    # (2500 + 625 + 1000 + 1200 + 500 + 466.67 + 375) / 90 = 6666.67 / 90 = 74.07; invalid choices → defaults
    own = {**defaults, "employment_rate": 30, "skill_awards": 10}
    rows = _rows(spec, [_uni("A", weights=own), _uni("B", weights=too_high)])
    assert rows["A"]["own_weights"] and rows["A"]["score"] == pytest.approx(74.07, abs=0.005)
    assert not rows["B"]["own_weights"] and rows["B"]["score"] == pytest.approx(72.92, abs=0.005)


def test_value_added_from_last_year(spec):
    # last year 465 of 500 employed (93 %), now 475 (95 %): 增值 +2 points → reference 2 → 100; the employment row
    # shows previous 93 and change +2. Composite: (6562.5 + 10 × 100) / 100 = 75.63
    row = _rows(spec, [_uni("A", previous=_values(hei_employed=465))])["A"]
    by_code = {i["code"]: i for i in row["indicators"]}
    assert by_code["employment_gain"]["value"] == pytest.approx(2.0) and by_code["employment_gain"]["score"] == 100
    assert by_code["employment_rate"]["previous"] == 93 and by_code["employment_rate"]["change"] == pytest.approx(2)
    assert row["missing"] == [] and row["score"] == pytest.approx(75.63, abs=0.005)
    # a fall from 95 % to 89 %: 增值 −6, under the floor −5 → 0, and under the warning line −5 → a decline flag (约谈)
    fell = _rows(spec, [_uni("A", previous=_values(), hei_employed=445)])["A"]
    gain = next(i for i in fell["indicators"] if i["code"] == "employment_gain")
    assert gain["value"] == pytest.approx(-6.0) and gain["score"] == 0
    assert [f["kind"] for f in fell["flags"]] == ["decline"]


def test_data_checks_hold_a_university_before_scoring(spec):
    # B reports 120 doctoral teachers of 100 and a satisfaction of 101 %: 数据待核, no score, no rank; A is ranked
    # alone (of 1), and B appears in the interview list with its problems
    result = hei.evaluate(spec, [_uni("A"), _uni("B", hei_doctoral_faculty=120, hei_satisfaction=101)])
    rows = {r["code"]: r for r in result["universities"]}
    b = rows["B"]
    assert b["status"] == "held" and b["score"] is None and b["rank"] is None
    assert b["checks"] == ["毕业生满意度为 101.00，不在合理范围 0—100 内", "具有博士学位专任教师数超过专任教师数"]
    assert all(i["score"] is None for i in b["indicators"]) and b["indicators"][0]["value"] == 95
    assert rows["A"]["rank"] == 1 and rows["A"]["of"] == 1
    reasons = next(i["reasons"] for i in result["interviews"] if i["code"] == "B")
    assert reasons[0] == "数据待核：毕业生满意度为 101.00，不在合理范围 0—100 内"
    assert "数据待核" in "\n".join(hei.describe(result))


def test_missing_values_follow_the_stated_rule(spec):
    # C lacks 毕业生满意度: renormalise → (6562.5 − 1200) / (90 − 15) = 5362.5 / 75 = 71.5 (not 59.58 with a silent 0)
    unis = [_uni("A"), _uni("C")]
    del unis[1].values["hei_satisfaction"]
    rows = _rows(spec, unis)
    assert rows["C"]["score"] == pytest.approx(71.5, abs=0.005)
    assert rows["C"]["missing"] == ["毕业生满意度", "毕业去向落实率增值"]
    assert spec["missing_rule"] == "renormalise"


# ----------------------------------------------------------------------------- one report per university (demo)


@pytest.mark.django_db
def test_a_universitys_own_page_and_report(demo, client):
    from django.contrib.auth import get_user_model

    from dudao.evaluation.run import evaluate

    result = evaluate("hei", "2020")
    # every type has universities to compare; the grid places all 62 in its twelve cells
    assert [(c["key"], c["count"] >= 2) for c in result["classes"]] == [
        (t, True) for t in registry.get("hei").spec["types"]
    ]
    assert sum(len(c["universities"]) for row in result["grid"] for c in row["cells"]) == 62
    scored = next(r for r in result["universities"] if r["rank"] == 2 and r["type"] == "applied_research")
    users = get_user_model().objects
    client.force_login(users.get(username=f"{scored['code']}-principal"))
    page = client.get(f"/evaluation/hei/?period=2020&org={scored['code']}").content.decode()
    assert scored["cell_name"] in page and "基准值" in page and "底线值" in page and "增值" in page
    assert f"内第 2 名（共 {scored['of']} 所）" in page
    assert "本校自选权重" in page  # its weight form, bounds per type
    report = client.get(f"/evaluation/hei/report.html?period=2020&org={scored['code']}")
    assert report.status_code == 200 and scored["name"] in report.content.decode()
    held = next(r for r in result["universities"] if r["status"] == "held")
    client.force_login(users.get(username="inspector"))
    page = client.get(f"/evaluation/hei/?period=2020&org={held['code']}").content.decode()
    assert "数据待核" in page and "生师比为 63.50，不在合理范围 3—40 内" in page
    city = client.get("/evaluation/hei/?period=2020").content.decode()
    assert "分类矩阵" in city and "数据待核" in city


@pytest.mark.django_db
def test_an_impossible_return_is_refused_at_entry(demo):
    """博士 > 专任 (and graduates or dropouts above the students) are errors of the form itself, naming the rule, so the
    university corrects them before submitting; the scheme's check before scoring stays for data from elsewhere."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from dudao.collection import services
    from dudao.collection.campaigns import open_campaign, yearly_period
    from dudao.collection.models import DataSet, Submission
    from dudao.orgs.models import OrgUnit

    uni = Submission.objects.filter(campaign__dataset__code="hei").order_by("org__code").first().org
    city = OrgUnit.objects.get(level="city")
    now = timezone.now()
    campaign = open_campaign(
        DataSet.objects.get(code="hei"), yearly_period(2021), city, now, now + timedelta(days=9), schools=[uni]
    )
    sub = campaign.submissions.get(org=uni)
    clerk = get_user_model().objects.get(username=f"{uni.code}-collector")
    services.save_values(sub, _values(hei_doctoral_faculty=120), clerk)
    errors = {f.key: f.message for f in services.blocking(services.check_submission(sub))}
    assert errors == {"doctoral_le_faculty": "具有博士学位专任教师数不能超过专任教师数"}
    services.save_values(sub, {"hei_doctoral_faculty": 30, "hei_graduates": 5000, "hei_dropouts": 5000}, clerk)
    errors = {f.key for f in services.blocking(services.check_submission(sub))}
    assert errors == {"graduates_le_students", "dropouts_le_students"}
