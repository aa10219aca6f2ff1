"""Demo data for the evaluations (评估监测演示数据): compulsory schools, kindergartens and universities with one
year (universities: two, for 增值) of approved data, plus 督政 scores and 责任督学 visits.

The numbers are synthetic but built to show what each scheme is for: most districts meet the 优质均衡 resource
standards, three do not (one school short on two indicators, one school under 85% of a standard, one district whose
equipment spending is concentrated in one school — a CV too high); the city's kindergartens add up to exactly the
2020 published shares (普惠性覆盖率 88.24%, 公办在园幼儿占比 63%).
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from dudao.orgs.services import save_school

from . import balanced
from .generator import allocate

if TYPE_CHECKING:
    from dudao.orgs.models import OrgUnit

SEED = 2017_6
PRIMARY_NAMES = ["实验小学", "第一中心小学", "第二中心小学"]
JUNIOR_NAMES = ["初级中学", "实验初级中学"]
KG_PLAN = ["public", "public", "inclusive_private", "other_private"]
KG_NAMES = ["第一幼儿园", "第二幼儿园", "春苗幼儿园", "晨曦双语幼儿园"]
# 2020 city totals for the demo kindergartens: 63% 公办, 88.24% 公办 + 普惠性民办 (20,000 children).
KG_TOTALS = {"public": 12_600, "inclusive_private": 5_048, "other_private": 2_352}
# Which district shows which weakness in 优质均衡 (index in the catalog's district order).
SHORT_SCHOOL, UNDER_FLOOR, CONCENTRATED = 2, 6, 10
LOW_ENROLLMENT_DISTRICT = 15
SCHOOL_STANDARD = {  # same numbers as catalog/evaluations/balanced.yaml, in the order of its indicators
    "primary": [4.2, 1.0, 0.9, 4.5, 7.5, 2000, 2.3],
    "junior": [5.3, 1.0, 0.9, 5.8, 10.2, 2500, 2.4],
}


def _short(name: str) -> str:
    return name.removesuffix("新区").removesuffix("区")


def _unit(code: str, name: str, parent: OrgUnit, groups: list[tuple[str, str]]) -> OrgUnit:
    return save_school(code, name, parent, groups)


def compulsory_schools(districts: list[OrgUnit]) -> list[OrgUnit]:
    schools = []
    for d in districts:
        for n, name in enumerate(PRIMARY_NAMES + JUNIOR_NAMES, start=1):
            kind = "primary" if n <= len(PRIMARY_NAMES) else "junior"
            groups = [("school_type", kind), ("affiliation", "district_bureau"), ("ownership", "public")]
            schools.append(_unit(f"{d.code}1{n:03d}", f"上海市{_short(d.name)}区{name}", d, groups))
    return schools + balanced.spanning_schools(districts)  # 九年一贯制, 完全中学: after, so the rest stays as it was


def kindergartens(districts: list[OrgUnit]) -> list[OrgUnit]:
    units = []
    for d in districts:
        for n, category in enumerate(KG_PLAN, start=1):
            private = category != "public"
            name = f"上海市{_short(d.name)}区" + KG_NAMES[n - 1]
            groups = [
                ("school_type", "kindergarten"),
                ("affiliation", "private" if private else "district_bureau"),
                ("ownership", "private" if private else "public"),
                ("preschool_category", category),
            ]
            units.append(_unit(f"{d.code}2{n:03d}", name, d, groups))
    return units


def universities(city: OrgUnit) -> list[tuple[OrgUnit, str]]:
    with open(Path(__file__).with_name("universities.yaml"), encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    units, n = [], 0
    for function, rows in data.items():
        for row in rows:
            n += 1
            private = row.get("private", False)
            groups = [
                (
                    "school_type",
                    row.get("type", "undergraduate" if function != "applied_skills" else "higher_vocational"),
                ),
                ("affiliation", "private" if private else "city_bureau"),
                ("ownership", "private" if private else "public"),
                ("hei_function", function),
                ("hei_discipline", row["disc"]),
            ]
            units.append((_unit(f"{city.code}U{n:03d}", row["name"], city, groups), function))
    return units


def compulsory_values(districts: list[OrgUnit], schools: list[OrgUnit]) -> dict[str, dict]:
    """Raw 办学条件 per school code; indicators 5–60% above standard except the planted weaknesses."""
    rng = random.Random(SEED)
    index = {d.pk: i for i, d in enumerate(districts)}
    out = balanced.spanning_values(districts, schools)
    extra = random.Random(balanced.SEED + 2)  # the 学校保障条件 of the one-stage schools, apart from ``rng``
    for school in schools:
        if balanced.is_spanning(school.code):
            continue
        kind = "primary" if school.code[-3:] <= f"{len(PRIMARY_NAMES):03d}" else "junior"
        assert school.parent_id is not None  # every demo school hangs under its district
        d = index[school.parent_id]
        first = school.code.endswith("001")
        students = rng.randrange(700, 1500, 10) if kind == "primary" else rng.randrange(450, 1000, 10)
        factors = [rng.uniform(1.08, 1.5) for _ in range(7)]
        if d == SHORT_SCHOOL and first:
            factors[0], factors[4] = 0.9, 0.8  # two indicators short: 5 of 7 met
        if d == UNDER_FLOOR and first:
            factors[3] = 0.8  # 6 of 7 met, but the seventh under 85% of standard
        if d == CONCENTRATED and kind == "primary":
            factors[5] = 6.0 if first else 1.05  # equipment money concentrated in one school
        std = SCHOOL_STANDARD[kind]
        ratio = [s * f for s, f in zip(std, factors)]
        above = _per100(ratio[0], students, factors[0] >= 1)
        backbone = _per100(ratio[1], students, True)
        pe_art = _per100(ratio[2], students, True)
        teachers = max(math.ceil(students / 12), above + 2, backbone, pe_art)
        out[school.code] = {
            "bal_students": students,
            "bal_classes": math.ceil(students / 40),
            "bal_teachers": teachers,
            "bal_teachers_above": above,
            "bal_backbone": backbone,
            "bal_pe_art": pe_art,
            "bal_teaching_area": _money(ratio[3] * students, "0.1", factors[3] >= 1),
            "bal_sports_area": _money(ratio[4] * students, "0.1", factors[4] >= 1),
            "bal_equipment": _money(ratio[5] * students / 10000, "0.01", factors[5] >= 1),
            "bal_multimedia": _per100(ratio[6], students, True),
            **balanced.provision(d, int(school.code[-3:]), kind, math.ceil(students / 40), extra),
        }
    return out


def _per100(rate: float, students: int, up: bool) -> int:
    exact = rate * students / 100
    return math.ceil(exact) if up else math.floor(exact)


def _money(value: float, quantum: str, up: bool) -> Decimal:
    return Decimal(str(value)).quantize(Decimal(quantum), rounding=ROUND_CEILING if up else ROUND_FLOOR)


# Which district shows which weakness in 普及普惠 (index in the catalog's district order; 15 is LOW_ENROLLMENT_DISTRICT):
# too few 专任教师 (1:15 and 两教一保 fail), one uncertified teacher (持证 99.x%), crowded classes (班额达标率 < 85%),
# a kindergarten short of 保育员, an uncertified 园长, a 政府保障 gap in the self-evaluation; the on-site check finds
# 小学化 in one district and is not yet recorded in another (demo/preschool.py).
KG_FEW_TEACHERS, KG_UNCERTIFIED, KG_CROWDED, KG_FEW_NURSES, KG_PRINCIPAL, KG_GOV_GAP = 3, 5, 7, 9, 11, 12
CLASS_LIMITS = {"small": 25, "middle": 30, "large": 35, "mixed": 30}  # 《幼儿园工作规程》, as kindergarten.yaml


def kindergarten_classes(n: int, mixed: bool, over: int) -> dict[str, int]:
    """``n`` children in ``ceil(n / 28)`` classes split by type (a third each of 小/中/大, one 混龄 class if ``mixed``),
    children spread in proportion to each type's capacity; ``over`` classes (大班 first) reported over the limit."""
    classes = math.ceil(n / 28)
    third = classes // 3
    counts = {"small": third, "middle": third, "large": classes - 2 * third, "mixed": 0}
    if mixed and counts["middle"] > 1:
        counts["middle"] -= 1
        counts["mixed"] = 1
    capacity = {t: counts[t] * CLASS_LIMITS[t] for t in counts}
    spread = allocate(n, [capacity[t] for t in counts], [capacity[t] for t in counts])
    out = {"kg_classes": classes, "kg_large_classes": 0}
    left = over
    for t, kids in zip(counts, spread):
        extra = min(left, counts[t]) if t in ("large", "middle") else 0
        left -= extra
        out.update({f"kg_classes_{t}": counts[t], f"kg_children_{t}": kids, f"kg_over_{t}": extra})
        out["kg_large_classes"] += extra
    return out


def kindergarten_values(districts: list[OrgUnit], units: list[OrgUnit]) -> tuple[dict, dict]:
    """Per kindergarten figures (city totals exact) and per district figures (3–5 岁 population, 经费标准, 县级自评)."""
    rng = random.Random(SEED + 1)
    categories = {u.code: KG_PLAN[int(u.code[-3:]) - 1] for u in units}
    index = {d.pk: i for i, d in enumerate(districts)}
    children: dict[str, int] = {}
    for category, total in KG_TOTALS.items():
        members = [u.code for u in units if categories[u.code] == category]
        weights = [rng.uniform(0.7, 1.3) for _ in members]
        children.update(zip(members, allocate(total, weights)))
    values = {}
    for u in units:
        n = children[u.code]
        assert u.parent_id is not None  # every demo kindergarten hangs under its district
        at, first = index[u.parent_id], u.code.endswith("001")
        classes = math.ceil(n / 28)
        over = math.ceil(classes * 0.3) if at == KG_CROWDED else (1 if rng.random() < 0.15 else 0)
        teachers = math.ceil(n / 16.5) if at == KG_FEW_TEACHERS else 2 * classes + rng.randrange(0, 3)
        nurses = classes - 2 if at == KG_FEW_NURSES and first else classes
        values[u.code] = {
            "kg_children": n,
            **kindergarten_classes(n, mixed=rng.random() < 0.5, over=over),
            "kg_staff": teachers + nurses + math.ceil(n / 40) + 2,
            "kg_teachers": teachers,
            "kg_teachers_certified": teachers - 1 if at == KG_UNCERTIFIED and first else teachers,
            "kg_nurses": nurses,
            "kg_principal_certified": 0 if at == KG_PRINCIPAL and first else 1,
        }
    district_values = {}
    for i, d in enumerate(districts):
        inside = sum(children[u.code] for u in units if u.parent_id == d.pk)
        rate = 0.82 if i == LOW_ENROLLMENT_DISTRICT else rng.uniform(0.93, 1.02)
        district_values[d.code] = {
            "kg_population": round(inside / rate),
            "kg_public_funding": Decimal(rng.randrange(1200, 2100, 50)),
            "kg_private_subsidy": Decimal(rng.randrange(600, 1200, 50)),
            "kg_gov_party": 1,
            "kg_gov_plan": 1,
            "kg_gov_network": 0 if i == KG_GOV_GAP else 1,
            "kg_gov_teacher_pay": 1,
            "kg_gov_governance": 1,
        }
    return values, district_values


PROFILES = {  # per function type: (faculty range, students per faculty, research 万元 per faculty, papers per faculty)
    "academic_research": ((1800, 4000), 14, 60.0, 1.2),
    "applied_research": ((900, 1800), 17, 22.0, 0.5),
    "applied_technology": ((400, 1000), 19, 8.0, 0.15),
    "applied_skills": ((200, 600), 20, 1.5, 0.02),
}


def university_values(units: list[tuple[OrgUnit, str]], years: list[int]) -> dict[int, dict[str, dict]]:
    """Two years per university; a few planted anomalies (a sharp employment drop, one misconduct case, one
    university whose 2020 return counts only a third of its teachers — a 生师比 no university has, 数据待核: the
    entry rules cannot see it, the scheme's range check does — and one with a high dropout rate)."""
    rng = random.Random(SEED + 2)
    out: dict[int, dict[str, dict]] = {y: {} for y in years}
    for n, (u, function) in enumerate(units):
        (low, high), ratio, research, papers = PROFILES[function]
        faculty = rng.randrange(low, high, 10)
        students = int(faculty * ratio * rng.uniform(0.85, 1.2))
        doctoral = rng.uniform(0.55, 0.95) if function.startswith("academic") else rng.uniform(0.2, 0.7)
        dropout = rng.uniform(0.004, 0.03) if n != 50 else 0.06
        quality = rng.uniform(0.8, 1.2)
        employment = rng.uniform(0.93, 0.985)
        for k, year in enumerate(years):
            growth = 1 + 0.04 * k
            drop = 0.08 if (n in (5, 40) and k == len(years) - 1) else 0.0
            graduates = students // 4
            rate = employment + 0.003 * k - drop
            reported = faculty // 3 if (n == 30 and k == len(years) - 1) else faculty
            out[year][u.code] = {
                "hei_faculty": reported,
                "hei_doctoral_faculty": int(reported * doctoral),
                "hei_students": students,
                "hei_dropouts": int(students * dropout),
                "hei_funding": _dec(faculty * 45 * growth, "0.1"),
                "hei_graduates": graduates,
                "hei_employed": int(graduates * rate),
                "hei_research_income": _dec(faculty * research * quality * growth * rng.uniform(0.95, 1.05), "0.1"),
                "hei_papers": int(faculty * papers * quality * growth),
                "hei_transfer_income": _dec(faculty * research * 0.08 * quality * growth, "0.1"),
                "hei_skill_awards": int(students / 200 * quality) if function == "applied_skills" else 0,
                "hei_training": int(faculty * rng.uniform(5, 15)),
                "hei_satisfaction": _dec(rng.uniform(86, 97), "0.1"),
                "hei_misconduct": 1 if (n == 20 and k == len(years) - 1) else 0,
                "hei_incidents": 0,
            }
    return out


def _dec(value: float, quantum: str) -> Decimal:
    return Decimal(str(value)).quantize(Decimal(quantum), rounding=ROUND_HALF_UP)


def duty_scores(spec: dict, districts: list[OrgUnit]) -> dict[str, dict[str, dict[str, Decimal]]]:
    """district code → source → item → score; on-site scores run lower than self-evaluation, as they do."""
    rng = random.Random(SEED + 3)
    ranges = {"self": (0.9, 1.0), "survey": (0.78, 0.96), "onsite": (0.62, 0.97)}
    out = {}
    for d in districts:
        out[d.code] = {
            source: {
                item["code"]: Decimal(str(round(item["max"] * rng.uniform(*ranges[source]), 1)))
                for item in spec["items"]
            }
            for source in spec["sources"]
        }
    return out


def visit_answers(spec: dict, theme: str, rng: random.Random) -> dict:
    answers = {}
    for item in spec["themes"][theme]["items"]:
        if item["type"] == "bool":
            answers[item["code"]] = rng.random() < 0.88
        else:
            answers[item["code"]] = round(item["min"] * rng.uniform(0.85, 1.3))
    return answers


def visit_dates(year: int) -> tuple[date, date]:
    return date(year, 4, 15), date(year, 10, 20)


def revisit_day(deadline: date) -> date:
    return deadline - timedelta(days=20)


def all_met(spec: dict, theme: str, answers: dict) -> dict:
    """The same school after it fixed everything the spring visit found."""
    return {
        item["code"]: True if item["type"] == "bool" else max(answers[item["code"]], item["min"])
        for item in spec["themes"][theme]["items"]
    }
