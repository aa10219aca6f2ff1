"""县域义务教育优质均衡 — resource allocation (资源配置), as pure functions over plain numbers.

Two tests from 教督〔2017〕6号: every school meets at least 6 of the 7 indicators and the rest reach 85% of standard;
and across a district's schools each indicator's *enrollment-weighted* coefficient of variation stays within 0.50
(小学) / 0.45 (初中):

    X̄ = Σ XᵢPᵢ / P,   S = √( Σ (Pᵢ/P)(Xᵢ − X̄)² ),   CV = S / X̄

Weighting by enrollment (Pᵢ) matters: a tiny school far from the mean moves the CV little, a large one a lot, which
is how the ministry's calculation sheet does it. Nothing here touches the database; :mod:`.inputs` supplies numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dudao.collection.expressions import parse


@dataclass(frozen=True)
class SchoolInput:
    code: str
    name: str
    level: str  # a key of the scheme's ``levels`` (primary / junior)
    values: dict  # raw element values (bal_students, bal_teachers_above, …)


def weighted_cv(pairs: list[tuple[float, float]]) -> float | None:
    """Enrollment-weighted coefficient of variation of ``(Xᵢ, Pᵢ)`` pairs; ``None`` if it is undefined."""
    pairs = [(x, p) for x, p in pairs if x is not None and p]
    total = sum(p for _, p in pairs)
    if not pairs or total <= 0:
        return None
    mean = sum(x * p for x, p in pairs) / total
    if mean == 0:
        return None
    variance = sum((p / total) * (x - mean) ** 2 for x, p in pairs)
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
    passed = met_count >= rule["min_met"] and below_floor == 0
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
    return None if value is None else round(value, digits)
