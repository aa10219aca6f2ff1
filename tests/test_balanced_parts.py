"""The four parts of 县域义务教育优质均衡 and its veto (issue #18 part 2), as pure functions with hand-computed cases:
the enrollment-weighted CV, a 九年一贯制 school counted in both stages, each part passing, failing and missing, the
veto, and how the district verdict combines them."""

import math
from decimal import Decimal

import pytest

from dudao.evaluation import registry
from dudao.evaluation.schemes import balanced
from dudao.surveys.selectors import SurveyResult

from .test_evaluation import _school


@pytest.fixture
def spec():
    return registry.get("balanced").spec


def _district_values(**changes):
    """District figures meeting every 政府保障程度 and 教育质量 item, no veto situation."""
    values = {
        "bg_layout": 1, "bg_unified": 1, "bg_small_schools_funded": 1, "bg_special_funding": 6000,
        "bg_teacher_salary": 160000, "bg_civil_salary": 160000, "bg_performance_pay": 1,
        "bg_training_due": 1000, "bg_training_done": 1000, "bg_staffing_pooled": 1,
        "bg_rotation_eligible": 1000, "bg_rotated": 100, "bg_rotated_backbone": 20,
        "bg_teachers": 1000, "bg_teachers_certified": 1000,
        "bg_primary_entrants": 500, "bg_primary_nearby": 500, "bg_junior_entrants": 400, "bg_junior_nearby": 380,
        "bg_migrant_children": 1000, "bg_migrant_public": 850, "bg_quota_total": 200, "bg_quota_allocated": 100,
        "eq_cohort_entrants": 1000, "eq_cohort_grade9": 950, "eq_disabled_children": 100, "eq_disabled_enrolled": 95,
        "eq_charter_it": 1, "eq_training_budget": 1, "eq_it_teaching": 1, "eq_moral": 1, "eq_curriculum": 1,
        "eq_no_overload": 1, "eq_subjects": 4, "eq_subjects_level3": 4, "eq_diff_rate": Decimal("0.149"),
        "veto_exam_admission": 0, "veto_school_choice": 0, "veto_key_schools": 0, "veto_staffing": 0,
        "veto_incidents": 0, "veto_fraud": 0,
    }  # fmt: skip
    values.update(changes)
    return values


def _provided(values, classes=24, largest=45):
    return {**values, "bal_classes": classes, "bal_music_rooms": 2, "bal_art_rooms": 2, "bal_max_class": largest}


def _survey(score=Decimal("90"), responses=500, target=400):
    return SurveyResult("balanced_recognition", "d", "2020", responses, target, score)


# ----------------------------------------------------------------------------- 资源配置: CV and stages


def test_weighted_cv_by_hand():
    # X = 2, 4 with P = 1, 3: mean = (2 + 12) / 4 = 3.5; variance = ¼(1.5)² + ¾(0.5)² = 0.5625 + 0.1875 = 0.75
    # CV = √0.75 / 3.5 = 0.8660254 / 3.5 = 0.2474358
    assert balanced.weighted_cv([(2, 1), (4, 3)]) == pytest.approx(0.2474358, abs=1e-7)
    # equal weights: X = 1, 3 → mean 2, S = 1, CV 0.5; a school without students does not count
    assert balanced.weighted_cv([(1, 10), (3, 10), (100, 0)]) == pytest.approx(0.5)
    assert balanced.weighted_cv([(None, 5)]) is None and balanced.weighted_cv([(0, 5), (0, 7)]) is None


def test_a_nine_year_school_counts_in_primary_and_junior(spec):
    values = {**_school("primary"), **{k.replace("bal_", "bal_j_"): v for k, v in _school("junior").items()}}
    values["bal_j_students"] = 500
    stages = balanced.stage_inputs(spec, "s9", "九年制", "nine_year", values)
    assert [(s.level, s.name) for s in stages] == [("primary", "九年制（小学部）"), ("junior", "九年制（初中部）")]
    assert stages[0].values["bal_students"] == 1000 and stages[1].values["bal_students"] == 500
    assert "bal_j_students" not in stages[0].values
    # a 完全中学 counts once, in 初中, by its 初中部; a primary school keeps its own name
    assert [(s.level, s.name) for s in balanced.stage_inputs(spec, "c", "完中", "complete_secondary", values)] == [
        ("junior", "完中（初中部）")
    ]
    assert [s.name for s in balanced.stage_inputs(spec, "p", "小学", "primary", values)] == ["小学"]
    plain = balanced.SchoolInput("p", "小学", "primary", _school("primary"))
    district = balanced.evaluate_district(spec, "d", "某区", [plain, *stages])
    assert district["levels"]["primary"]["schools"] == 2 and district["levels"]["junior"]["schools"] == 1
    # the junior stage's 1000 students' figures over 500 students: every ratio doubles (240% of standard), and it
    # is measured against the 初中 standards — all met
    junior = next(r for r in district["schools"] if r["level"] == "junior")
    assert junior["met_count"] == 7 and junior["indicators"][0]["share"] == pytest.approx(2.4)
    assert district["passed"] is True


# ----------------------------------------------------------------------------- 政府保障程度


def test_government_passes_fails_and_misses(spec):
    stage = balanced.SchoolInput("p", "甲小学", "primary", _provided(_school()), "primary")
    part = balanced.evaluate_part(spec["government"], _district_values(), [stage])
    assert part["passed"] is True and part["met"] == part["total"] == 15
    # 交流轮岗 backbone 19 of 100 = 19% < 20%
    low = balanced.evaluate_part(spec["government"], _district_values(bg_rotated_backbone=19), [stage])
    rotation = next(i for i in low["items"] if i["code"] == "rotation")
    assert low["passed"] is False and rotation["passed"] is False and rotation["rows"][1]["value"] == 0.19
    # teacher salary missing: the part waits (数据不全), it does not fail
    values = _district_values()
    del values["bg_teacher_salary"]
    waiting = balanced.evaluate_part(spec["government"], values, [stage])
    assert waiting["passed"] is None and waiting["missing"] == [
        next(i["name"] for i in spec["government"]["items"] if i["code"] == "salary")
    ]


def test_school_items_class_size_rooms_and_nine_year_size(spec):
    items = {i["code"]: i for i in spec["government"]["items"]}
    # 小学 class of 46 > 45 fails; a 初中 class of 50 is allowed (≤ 50)
    big = balanced.SchoolInput("p", "甲", "primary", _provided(_school(), largest=46), "primary")
    ok_junior = balanced.SchoolInput("j", "乙", "junior", _provided(_school("junior"), largest=50), "junior")
    assert balanced.evaluate_item(items["class_size"], {}, [ok_junior])["passed"] is True
    failed = balanced.evaluate_item(items["class_size"], {}, [big, ok_junior])
    assert failed["passed"] is False and failed["rows"][0]["label"] == "甲·最大班额"
    # 25 classes need ⌈25/12⌉ = 3 rooms: 2 rooms × 12 / 25 = 0.96 < 1
    short = balanced.SchoolInput("p", "甲", "primary", _provided(_school(), classes=25), "primary")
    assert balanced.evaluate_item(items["special_rooms"], {}, [short])["passed"] is False

    # a 九年一贯制 school of 1600 + 1000 = 2600 students is over 2500; 1400 + 1000 = 2400 is within
    def nine(primary, junior):
        return [
            balanced.SchoolInput("n", "九（小学部）", "primary", {"bal_students": primary}, "nine_year"),
            balanced.SchoolInput("n", "九（初中部）", "junior", {"bal_students": junior}, "nine_year"),
        ]

    assert balanced.evaluate_item(items["school_size"], {}, nine(1600, 1000))["passed"] is False

    # its 专用教室 serve both stages: 2 music rooms for 18 + 12 = 30 classes → 2 × 12 / 30 = 0.8 < 1; 3 rooms → 1.2
    def rooms(n):
        return [
            balanced.SchoolInput(
                "n",
                "九（小学部）",
                "primary",
                _provided(_school(), classes=18) | {"bal_music_rooms": n, "bal_art_rooms": n},
                "nine_year",
            ),
            balanced.SchoolInput("n", "九（初中部）", "junior", {"bal_students": 500, "bal_classes": 12}, "nine_year"),
        ]

    short_nine = balanced.evaluate_item(items["special_rooms"], {}, rooms(2))
    assert short_nine["passed"] is False and short_nine["rows"][0]["value"] == 0.8
    assert short_nine["rows"][0]["label"] == "九·音乐专用教室"
    assert balanced.evaluate_item(items["special_rooms"], {}, rooms(3))["passed"] is True
    assert balanced.evaluate_item(items["school_size"], {}, nine(1400, 1000))["passed"] is True
    # a plain 小学 of 2100 is over 2000
    big_primary = balanced.SchoolInput("p", "大", "primary", {"bal_students": 2100}, "primary")
    assert balanced.evaluate_item(items["school_size"], {}, [big_primary])["passed"] is False
    # a school without 班额 is missing for that item, named
    lacking = balanced.SchoolInput("p", "丙", "primary", _school(), "primary")
    missing = balanced.evaluate_item(items["class_size"], {}, [lacking])
    assert missing["passed"] is None and missing["missing"] == ["丙·最大班额"]


# ----------------------------------------------------------------------------- 教育质量


def test_quality_thresholds_by_hand(spec):
    assert balanced.evaluate_part(spec["quality"], _district_values(), [])["passed"] is True  # 950/1000 = 95%
    # 巩固率 949 / 1000 = 94.9% < 95%
    assert balanced.evaluate_part(spec["quality"], _district_values(eq_cohort_grade9=949), [])["passed"] is False
    # 校际差异率 must be BELOW 0.15: 0.15 itself fails
    at = balanced.evaluate_part(spec["quality"], _district_values(eq_diff_rate=Decimal("0.15")), [])
    assert at["passed"] is False
    # 3 of 4 subjects at Ⅲ级: 75% < 100%
    assert balanced.evaluate_part(spec["quality"], _district_values(eq_subjects_level3=3), [])["passed"] is False
    # a yes/no item answered 否 fails; unanswered is missing
    assert balanced.evaluate_part(spec["quality"], _district_values(eq_no_overload=0), [])["passed"] is False
    assert balanced.evaluate_part(spec["quality"], None, [])["no_data"] is True


# ----------------------------------------------------------------------------- 社会认可度 and the veto


def test_recognition_from_the_survey(spec):
    part = spec["recognition"]
    assert balanced.evaluate_recognition(part, _survey(Decimal("85")))["passed"] is True  # 85 ≥ 85
    assert balanced.evaluate_recognition(part, _survey(Decimal("84.9")))["passed"] is False
    none = balanced.evaluate_recognition(part, None)
    assert none["passed"] is None and none["reason"] == "社会认可度调查尚无结果"
    thin = balanced.evaluate_recognition(part, _survey(Decimal("95"), responses=300, target=400))
    assert thin["passed"] is None and thin["reason"] == "社会认可度调查样本不足（300/400 份）"
    # a total over the target with no 校长 answering is still short, and the reason says whom to ask again
    no_heads = SurveyResult(
        "balanced_recognition", "d", "2020", 500, 400, Decimal("95"), short_groups=("principal", "npc")
    )
    short = balanced.evaluate_recognition(part, no_heads)
    assert short["passed"] is None
    assert short["reason"] == "社会认可度调查样本不足（500/400 份）；未达样本量：校长、人大代表"


def test_veto(spec):
    assert balanced.evaluate_veto(spec["veto"], _district_values())["vetoed"] is False
    one = balanced.evaluate_veto(spec["veto"], _district_values(veto_key_schools=1))
    assert one["vetoed"] is True and one["found"] == ["设置重点校或重点班"]
    values = _district_values()
    del values["veto_fraud"]
    assert balanced.evaluate_veto(spec["veto"], values)["vetoed"] is None


# ----------------------------------------------------------------------------- the district verdict


def _whole(spec, stages=None, values="default", survey="default", unapproved=()):
    stages = (
        stages
        if stages is not None
        else [balanced.SchoolInput(c, c, "primary", _provided(_school()), "primary") for c in ("a", "b")]
    )
    values = _district_values() if values == "default" else values
    survey = _survey() if survey == "default" else survey
    return balanced.evaluate_whole(spec, "d", "某区", stages, unapproved, values, survey)


def test_district_verdict_combines_parts_and_veto(spec):
    passed = _whole(spec)
    assert passed["passed"] is True and [p["passed"] for p in passed["parts"]] == [True] * 4
    assert balanced.verdict(passed) == "达标"
    # a veto decides whatever the parts say
    vetoed = _whole(spec, values=_district_values(veto_exam_admission=1))
    assert vetoed["passed"] is False and balanced.verdict(vetoed) == "未达标（一票否决）"
    # a failed part decides even with the survey missing
    failed = _whole(spec, values=_district_values(bg_special_funding=5999), survey=None)
    assert failed["passed"] is False and not failed["incomplete"]
    # only the survey missing: 数据不全, with the reason
    waiting = _whole(spec, survey=None)
    assert waiting["passed"] is None and waiting["incomplete"]
    assert waiting["missing_parts"] == [{"part": "社会认可度", "reason": "社会认可度调查尚无结果"}]
    assert balanced.verdict(waiting) == "数据不全"
    # an unapproved school keeps 资源配置 open: 数据不全 although everything else passes
    open_ = _whole(spec, unapproved=[{"code": "c", "name": "丙"}])
    assert open_["passed"] is None and open_["incomplete"] and open_["resources_passed"] is None
    # nothing at all: 无数据
    empty = _whole(spec, stages=[], values=None, survey=None)
    assert empty["passed"] is None and not empty["incomplete"] and balanced.verdict(empty) == "无数据"
    # a district figure but no school data: 数据不全, not 无数据
    assert _whole(spec, stages=[], survey=None)["incomplete"] is True


def test_monitoring_summary_counts_each_part(spec):
    results = [
        _whole(spec),
        _whole(spec, values=_district_values(veto_fraud=1)),
        _whole(spec, values=_district_values(eq_moral=0), survey=None),
    ]
    summary = {row["name"]: (row["passed"], row["failed"], row["missing"]) for row in balanced.parts_summary(results)}
    assert summary == {
        "资源配置": (3, 0, 0),
        "政府保障程度": (3, 0, 0),
        "教育质量": (2, 1, 0),
        "社会认可度": (2, 0, 1),
        "一票否决": (2, 1, 0),
    }
    assert math.isclose(results[0]["recognition"]["score"], 90.0)
