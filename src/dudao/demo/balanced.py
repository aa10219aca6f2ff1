"""Demo data for the four parts of 县域义务教育优质均衡 (教督〔2017〕6号): schools spanning two stages (九年一贯制 and
完全中学, counted in 小学 and/or 初中 by their parts), each school's 学校保障条件 (专用教室, 班额), and every district's
``district_balanced`` figures for 2020 (政府保障程度, 教育质量, 一票否决).

The figures are synthetic but chosen so the city's monitoring shows what each item is for: 黄浦 meets everything;
长宁, 杨浦 and 浦东 keep their 资源配置 weaknesses (demo.evaluation) and meet the rest; every other district misses one
item of its own (PLANTED below) — or, 嘉定, has a veto situation. 社会认可度 comes from the surveys app.
"""

from __future__ import annotations

import math
import random
from decimal import Decimal
from typing import TYPE_CHECKING

from dudao.orgs.services import save_school

if TYPE_CHECKING:
    from dudao.orgs.models import OrgUnit

SEED = 2017_6_2
# district index (catalog order) → the spanning school it has: n = 6 九年一贯制, n = 7 完全中学
NINE_YEAR = {0: "九年一贯制学校", 3: "实验学校", 15: "九年一贯制学校"}
COMPLETE_SECONDARY = {1: "中学", 8: "完全中学"}
# district index → what it misses (an element of district_balanced set off the standard, or a school figure)
PLANTED = {
    1: "rotation_backbone",  # 交流轮岗中骨干教师 18% < 20%
    3: "class_size",  # 一所初中最大班额 52 人 > 50
    4: "retention",  # 初中三年巩固率 94.2% < 95%
    5: "music_rooms",  # 一所小学音乐专用教室不足（每 12 班 1 间）
    7: "migrant",  # 随迁子女在公办及政府购买服务学校就读 83% < 85%
    8: "diff_rate",  # 质量监测校际差异率 0.16 ≥ 0.15
    9: "veto_key_schools",  # 设置重点班：一票否决
    11: "salary",  # 教师平均工资低于公务员
    12: "special_funding",  # 特教生均公用经费 5800 元 < 6000
    13: "certified",  # 持证上岗率 99.6%
    14: "disabled",  # 残疾儿童少年入学率 93%
    15: "school_size",  # 九年一贯制学校 2620 人 > 2500
}
STANDARD = {  # the 资源配置 standards (catalog/evaluations/balanced.yaml) in its indicator order
    "primary": [4.2, 1.0, 0.9, 4.5, 7.5, 2000, 2.3],
    "junior": [5.3, 1.0, 0.9, 5.8, 10.2, 2500, 2.4],
}


def _short(name: str) -> str:
    return name.removesuffix("新区").removesuffix("区")


def spanning_schools(districts: list[OrgUnit]) -> list[OrgUnit]:
    """The 九年一贯制 and 完全中学 schools (codes …1006, …1007), after the one-stage schools."""
    units = []
    for i, d in enumerate(districts):
        for n, names, kind in ((6, NINE_YEAR, "nine_year"), (7, COMPLETE_SECONDARY, "complete_secondary")):
            if i in names:
                groups = [("school_type", kind), ("affiliation", "district_bureau"), ("ownership", "public")]
                units.append(save_school(f"{d.code}1{n:03d}", f"上海市{_short(d.name)}区{names[i]}", d, groups))
    return units


def is_spanning(code: str) -> bool:
    return code[-3:] in ("006", "007")


def provision(district_index: int, n: int, kind: str, classes: int, rng: random.Random) -> dict:
    """学校保障条件 of one stage: 专用教室 for its classes (one per 12, or one more), its largest class."""
    rooms = math.ceil(classes / 12) + rng.randrange(0, 2)
    music = rooms
    if PLANTED.get(district_index) == "music_rooms" and n == 1:
        music = math.ceil(classes / 12) - 1
    largest = rng.randrange(38, 46) if kind == "primary" else rng.randrange(40, 51)
    if PLANTED.get(district_index) == "class_size" and n == 4:
        largest = 52
    return {"bal_music_rooms": music, "bal_art_rooms": rooms, "bal_max_class": largest}


def _stage(kind: str, students: int, rng: random.Random) -> dict:
    factors = [rng.uniform(1.15, 1.35) for _ in range(7)]
    ratio = [s * f for s, f in zip(STANDARD[kind], factors)]
    return {
        "students": students,
        "classes": math.ceil(students / 40),
        "teachers_above": math.ceil(ratio[0] * students / 100),
        "backbone": math.ceil(ratio[1] * students / 100),
        "pe_art": math.ceil(ratio[2] * students / 100),
        "teaching_area": Decimal(str(round(ratio[3] * students, 1))),
        "sports_area": Decimal(str(round(ratio[4] * students, 1))),
        "equipment": Decimal(str(round(ratio[5] * students / 10000 + 0.01, 2))),
        "multimedia": math.ceil(ratio[6] * students / 100),
    }


def spanning_values(districts: list[OrgUnit], schools: list[OrgUnit]) -> dict[str, dict]:
    """Raw 办学条件 of the spanning schools: a 九年一贯制 school's 小学部 in the main elements and its 初中部 in bal_j_*;
    a 完全中学's 初中部 in the main elements (its 高中部 is not part of 义务教育)."""
    rng = random.Random(SEED)
    index = {d.pk: i for i, d in enumerate(districts)}
    out = {}
    for school in schools:
        if not is_spanning(school.code):
            continue
        assert school.parent_id is not None  # every demo school hangs under its district
        d = index[school.parent_id]
        nine = school.code.endswith("006")
        if nine:
            big = PLANTED.get(d) == "school_size"
            first = _stage("primary", 1500 if big else rng.randrange(600, 900, 10), rng)
            second: dict | None = _stage("junior", 1120 if big else rng.randrange(400, 600, 10), rng)
        else:
            first, second = _stage("junior", rng.randrange(500, 900, 10), rng), None
        row = {f"bal_{k}": v for k, v in first.items()}
        row["bal_teachers"] = max(math.ceil(first["students"] / 12), first["teachers_above"] + 2)
        classes = first["classes"] + (second["classes"] if second else 0)  # the rooms serve the whole school
        row.update(provision(d, 6, "primary" if nine else "junior", classes, rng))
        if second is not None:
            row.update({f"bal_j_{k}": v for k, v in second.items()})
            row["bal_j_max_class"] = rng.randrange(40, 50)
        out[school.code] = row
    return out


def district_values(districts: list[OrgUnit]) -> dict[str, dict]:
    """Each district's 2020 ``district_balanced`` figures: all met, except the item PLANTED for it."""
    rng = random.Random(SEED + 1)
    out = {}
    for i, d in enumerate(districts):
        plant = PLANTED.get(i, "")
        teachers = rng.randrange(3000, 9000, 10)
        eligible = rng.randrange(800, 2000, 10)
        rotated = math.ceil(eligible * rng.uniform(0.11, 0.16))
        backbone = math.floor(rotated * 0.18) if plant == "rotation_backbone" else math.ceil(rotated * 0.25)
        civil = rng.randrange(150_000, 190_000, 100)
        entrants = rng.randrange(2000, 6000, 10)
        cohort = rng.randrange(3000, 8000, 10)
        disabled = rng.randrange(200, 600)
        migrants = rng.randrange(5000, 20000, 10)
        quota = rng.randrange(2000, 5000, 10)
        out[d.code] = {
            "bg_layout": 1,
            "bg_unified": 1,
            "bg_small_schools_funded": 1,
            "bg_special_funding": 5800 if plant == "special_funding" else rng.randrange(6500, 9000, 100),
            "bg_teacher_salary": civil - 3000 if plant == "salary" else civil + rng.randrange(500, 8000, 100),
            "bg_civil_salary": civil,
            "bg_performance_pay": 1,
            "bg_training_due": teachers,
            "bg_training_done": teachers,
            "bg_staffing_pooled": 1,
            "bg_rotation_eligible": eligible,
            "bg_rotated": rotated,
            "bg_rotated_backbone": backbone,
            "bg_teachers": teachers,
            "bg_teachers_certified": math.floor(teachers * 0.996) if plant == "certified" else teachers,
            "bg_primary_entrants": entrants,
            "bg_primary_nearby": entrants,
            "bg_junior_entrants": entrants,
            "bg_junior_nearby": math.ceil(entrants * rng.uniform(0.96, 0.99)),
            "bg_migrant_children": migrants,
            "bg_migrant_public": math.floor(migrants * (0.83 if plant == "migrant" else rng.uniform(0.88, 0.97))),
            "bg_quota_total": quota,
            "bg_quota_allocated": math.ceil(quota * rng.uniform(0.52, 0.65)),
            "eq_cohort_entrants": cohort,
            "eq_cohort_grade9": math.floor(cohort * (0.942 if plant == "retention" else rng.uniform(0.96, 0.995))),
            "eq_disabled_children": disabled,
            "eq_disabled_enrolled": math.floor(disabled * (0.93 if plant == "disabled" else rng.uniform(0.96, 1))),
            "eq_charter_it": 1,
            "eq_training_budget": 1,
            "eq_it_teaching": 1,
            "eq_moral": 1,
            "eq_curriculum": 1,
            "eq_no_overload": 1,
            "eq_subjects": 4,
            "eq_subjects_level3": 4,
            "eq_diff_rate": Decimal("0.160")
            if plant == "diff_rate"
            else Decimal(str(round(rng.uniform(0.08, 0.14), 3))),
            "veto_exam_admission": 0,
            "veto_school_choice": 0,
            "veto_key_schools": 1 if plant == "veto_key_schools" else 0,
            "veto_staffing": 0,
            "veto_incidents": 0,
            "veto_fraud": 0,
        }
    return out
