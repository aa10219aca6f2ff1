"""县域义务教育优质均衡 — resource allocation (资源配置), as pure functions over plain numbers.

Two tests from 教督〔2017〕6号: every school meets at least 6 of the 7 indicators and the rest reach 85% of standard;
and across a district's schools each indicator's *enrollment-weighted* coefficient of variation stays within 0.50
(小学) / 0.45 (初中):

    X̄ = Σ XᵢPᵢ / P,   S = √( Σ (Pᵢ/P)(Xᵢ − X̄)² ),   CV = S / X̄

Weighting by enrollment (Pᵢ) matters: a tiny school far from the mean moves the CV little, a large one a lot, which
is how the ministry's calculation sheet does it. The functions down to :func:`evaluate_district` are pure, over
plain numbers; the scheme at the end gathers the approved ``compulsory_conditions`` values (:mod:`..inputs`) per
school or district and registers ``balanced``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dudao.collection.expressions import parse
from dudao.errors import DudaoError
from dudao.orgs.selectors import in_groups, schools_under
from dudao.orgs.vocabulary import Level
from dudao.rounding import fixed, rounded

from ..common import districts, pass_counts
from ..inputs import approved_values, group_of
from ..registry import Scheme, register
from ..text import passed_word


@dataclass(frozen=True)
class SchoolInput:
    code: str
    name: str
    level: str  # a key of the scheme's ``levels`` (primary / junior)
    values: dict  # raw element values (bal_students, bal_teachers_above, …)


def weighted_cv(pairs: list[tuple[float | None, float | None]]) -> float | None:
    """Enrollment-weighted coefficient of variation of ``(Xᵢ, Pᵢ)`` pairs; ``None`` if it is undefined."""
    present = [(x, p) for x, p in pairs if x is not None and p]
    total = sum(p for _, p in present)
    if not present or total <= 0:
        return None
    mean = sum(x * p for x, p in present) / total
    if mean == 0:
        return None
    variance = sum((p / total) * (x - mean) ** 2 for x, p in present)
    return math.sqrt(variance) / mean


def indicator_values(spec: dict, values: dict) -> dict[str, float | None]:
    result = {}
    for ind in spec["indicators"]:
        value = parse(ind["expr"]).evaluate(values)
        result[ind["code"]] = None if value is None else float(value)
    return result


def evaluate_school(spec: dict, school: SchoolInput) -> dict:
    """One school against the standards of its level: which indicators it meets and what it lacks (补短板)."""
    rule = spec["school_rule"]
    values = indicator_values(spec, school.values)
    rows, met_count, below_floor = [], 0, 0
    for ind in spec["indicators"]:
        standard = float(ind["standard"][school.level])
        value = values[ind["code"]]
        share = None if value is None else value / standard
        met = share is not None and share >= 1
        met_count += met
        below_floor += share is None or share < rule["floor_share"]
        rows.append(
            {
                "code": ind["code"],
                "name": ind["name"],
                "unit": ind["unit"],
                "value": _round(value),
                "standard": standard,
                "share": _round(share),
                "met": met,
                "gap": None if met or value is None else _round(standard - value),
            }
        )
    passed: bool | None = met_count >= rule["min_met"] and below_floor == 0
    if all(values[ind["code"]] is None for ind in spec["indicators"]):
        passed = None  # no input at all: no data, not a failure
    return {
        "code": school.code,
        "name": school.name,
        "level": school.level,
        "level_name": spec["levels"][school.level]["name"],
        "students": _number(school.values.get(spec["weight"])),
        "indicators": rows,
        "met_count": met_count,
        "passed": passed,
    }


def evaluate_district(spec: dict, code: str, name: str, schools: list[SchoolInput]) -> dict:
    """A district: each school's result, the CV table per level, and the verdict."""
    results = [evaluate_school(spec, s) for s in schools]
    raw = [indicator_values(spec, s.values) for s in schools]  # unrounded, for the CV
    levels = {}
    for level, level_spec in spec["levels"].items():
        members = [(s, r, x) for s, r, x in zip(schools, results, raw) if s.level == level]
        if not members:
            continue
        cv_rows = []
        for ind in spec["indicators"]:
            cv = weighted_cv([(x[ind["code"]], _number(s.values.get(spec["weight"]))) for s, _, x in members])
            cv_rows.append(
                {
                    "code": ind["code"],
                    "name": ind["name"],
                    "cv": _round(cv),
                    "passed": cv is not None and cv <= level_spec["cv_max"],
                }
            )
        levels[level] = {
            "name": level_spec["name"],
            "schools": len(members),
            "schools_passed": sum(r["passed"] for _, r, _ in members),
            "cv_max": level_spec["cv_max"],
            "cv": cv_rows,
            "cv_passed": all(row["passed"] for row in cv_rows),
        }
    to_fix = [
        {
            "school": r["code"],
            "name": r["name"],
            "level_name": r["level_name"],
            "indicator": row["name"],
            "unit": row["unit"],
            "value": row["value"],
            "standard": row["standard"],
            "gap": row["gap"],
        }
        for r in results
        for row in r["indicators"]
        if not row["met"]
    ]
    passed = bool(results) and all(r["passed"] for r in results) and all(lv["cv_passed"] for lv in levels.values())
    return {
        "code": code,
        "name": name,
        "passed": passed if results else None,
        "schools": results,
        "levels": levels,
        "to_fix": to_fix,
        "schools_failed": [r["code"] for r in results if not r["passed"]],
    }


def _number(value) -> float | None:
    return None if value is None else float(value)


def _round(value: float | None, digits: int = 4) -> float | None:
    return rounded(value, digits)


# ----------------------------------------------------------------------------- the scheme


def _school_levels(spec: dict, schools) -> dict[int, str]:
    types = group_of(schools, "school_type")
    by_type = {t: level for level, ls in spec["levels"].items() for t in ls["school_types"]}
    return {pk: by_type[t] for pk, t in types.items() if t in by_type}


def compute(spec: dict, period, org) -> dict:
    """A school against its standards (一校一报告), or every district in scope with its schools."""
    if org.level == Level.SCHOOL:
        values = approved_values(spec["dataset"], period, [org])
        level = _school_levels(spec, [org]).get(org.pk)
        if org.pk not in values or level is None:
            raise DudaoError(f"{org.name}没有已核准的{period.name}义务教育办学条件数据")
        school = SchoolInput(org.code, org.name, level, values[org.pk])
        return {"school": evaluate_school(spec, school)}
    results = []
    for district in districts(org):
        schools = list(schools_under(district).order_by("code"))
        levels = _school_levels(spec, schools)
        values = approved_values(spec["dataset"], period, [s for s in schools if s.pk in levels])
        inputs = [SchoolInput(s.code, s.name, levels[s.pk], values[s.pk]) for s in schools if s.pk in values]
        results.append(evaluate_district(spec, district.code, district.name, inputs))
    return {"districts": results, "summary": pass_counts(results)}


def verdict(unit: dict) -> str:
    return passed_word(unit["passed"])


def evaluated_schools(spec: dict, units):
    """The compulsory schools (the school types of the spec's levels): only they have a 一校一报告."""
    return in_groups(units, "school_type", [t for level in spec["levels"].values() for t in level["school_types"]])


def describe(result: dict) -> list[str]:
    if "school" in result:
        s = result["school"]
        lines = [f"{s['name']}（{s['level_name']}）：{s['met_count']}/7 项达标，{verdict(s)}"]
        return lines + [
            f"  {r['name']}：{r['value']} / 标准 {r['standard']:g}" for r in s["indicators"] if not r["met"]
        ]
    lines = []
    for d in result["districts"]:
        cvs = "；".join(
            f"{lv['name']}差异系数最大 {fixed(max((c['cv'] or 0) for c in lv['cv']), 3)}" for lv in d["levels"].values()
        )
        lines.append(f"{d['name']}：{verdict(d)}（{cvs}；待补短板学校 {len(d['schools_failed'])} 所）")
    return lines


SCHEME = register(
    Scheme(
        "balanced",
        compute,
        describe=describe,
        verdict=verdict,
        inputs_from=("dataset",),
        template="evaluation/_balanced.html",
        order=10,
        levels=(Level.CITY, Level.DISTRICT, Level.SCHOOL),
        schools=evaluated_schools,
    )
)
