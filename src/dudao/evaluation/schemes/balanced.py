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

from ..common import districts, pass_counts_incomplete
from ..inputs import approved_values, group_of, valid_numbers
from ..registry import Scheme, register
from ..text import unit_word


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
    """One school against the standards of its level: which indicators it meets and what it lacks (补短板).

    An indicator that cannot be computed (a value missing, or a negative one refused as invalid) is *missing*, not
    failed: the school is 未达标 only when the indicators it has already decide it (one below 85% of standard, or too
    few left to reach ``min_met``); otherwise its verdict waits for the data (``passed`` ``None``, listed missing)."""
    rule = spec["school_rule"]
    clean, invalid = valid_numbers(school.values)
    values = indicator_values(spec, clean)
    rows, met_count, below_floor, unknown = [], 0, 0, 0
    for ind in spec["indicators"]:
        standard = float(ind["standard"][school.level])
        value = values[ind["code"]]
        share = None if value is None else value / standard
        met = share is not None and share >= 1
        met_count += met
        unknown += share is None
        below_floor += share is not None and share < rule["floor_share"]
        rows.append(
            {
                "code": ind["code"],
                "name": ind["name"],
                "unit": ind["unit"],
                "value": _round(value),
                "standard": standard,
                "share": _round(share),
                "met": met,
                "missing": value is None,
                "gap": None if met or value is None else _round(standard - value),
            }
        )
    passed: bool | None
    if below_floor or met_count + unknown < rule["min_met"]:
        passed = False
    elif unknown:
        passed = None  # no input at all, or not enough to decide: no data, not a failure
    else:
        passed = met_count >= rule["min_met"]
    return {
        "code": school.code,
        "name": school.name,
        "level": school.level,
        "level_name": spec["levels"][school.level]["name"],
        "students": _number(clean.get(spec["weight"])),
        "indicators": rows,
        "met_count": met_count,
        "passed": passed,
        "incomplete": passed is None and unknown < len(rows),  # some data, not enough to decide: 数据不全
        "missing": [r["name"] for r in rows if r["missing"]],
        "invalid": invalid,
    }


def evaluate_district(
    spec: dict, code: str, name: str, schools: list[SchoolInput], unapproved: list[dict] | tuple = ()
) -> dict:
    """A district: each school's result, the CV table per level, and the verdict.

    ``unapproved`` are the district's schools without approved data (``{"code", "name"}``). A school never drops out
    silently: with any school unapproved or undecided for missing values the verdict is 数据不全 (``incomplete``, the
    schools listed in ``missing``) — unless a school with data already fails, which no missing school can undo
    (every school must pass). A district where no school has data at all is 无数据."""
    results = [evaluate_school(spec, s) for s in schools]
    raw = [indicator_values(spec, valid_numbers(s.values)[0]) for s in schools]  # unrounded, for the CV
    levels = {}
    for level, level_spec in spec["levels"].items():
        members = [(s, r, x) for s, r, x in zip(schools, results, raw) if s.level == level]
        if not members:
            continue
        cv_rows = []
        for ind in spec["indicators"]:
            cv = weighted_cv([(x[ind["code"]], r["students"]) for _, r, x in members])
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
            "schools_passed": sum(r["passed"] is True for _, r, _ in members),
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
        if not row["met"] and not row["missing"]
    ]
    missing = [{"code": u["code"], "name": u["name"], "reason": "未核准"} for u in unapproved]
    missing += [{"code": r["code"], "name": r["name"], "reason": _reason(r)} for r in results if r["passed"] is None]
    with_data = [r for r in results if r["passed"] is not None]
    passed: bool | None
    if any(r["passed"] is False for r in results):
        passed = False
    elif not with_data:
        passed = None  # 无数据
    elif missing:
        passed = None  # 数据不全
    else:
        passed = all(lv["cv_passed"] for lv in levels.values())
    return {
        "code": code,
        "name": name,
        "passed": passed,
        "incomplete": passed is None and bool(with_data) and bool(missing),
        "missing": missing,
        "schools": results,
        "levels": levels,
        "to_fix": to_fix,
        "schools_failed": [r["code"] for r in results if r["passed"] is False],
    }


def _reason(school: dict) -> str:
    reason = "缺少：" + "、".join(school["missing"])
    if school["invalid"]:
        reason += "（数值无效：" + "、".join(school["invalid"]) + "）"
    return reason


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
        unapproved = [{"code": s.code, "name": s.name} for s in schools if s.pk in levels and s.pk not in values]
        results.append(evaluate_district(spec, district.code, district.name, inputs, unapproved))
    return {"districts": results, "summary": pass_counts_incomplete(results)}


def verdict(unit: dict) -> str:
    return unit_word(unit)


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
        if d["missing"]:
            lines.append("  数据缺失：" + "；".join(f"{m['name']}（{m['reason']}）" for m in d["missing"]))
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
