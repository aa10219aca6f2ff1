"""县域义务教育优质均衡 — the four parts of 教督〔2017〕6号 and its veto, as pure functions over plain numbers.

资源配置 (第六条) is the school-and-CV part below; 政府保障程度 (第七条) and 教育质量 (第八条) are items of the YAML —
yes/no district items, district formulas, or conditions every school stage must meet — judged by :func:`evaluate_item`
and :func:`evaluate_part`; 社会认可度 (第九条) is the survey's favourable share (:func:`evaluate_recognition`); the
不予认定 situations are a veto (:func:`evaluate_veto`); :func:`combine` gives the district verdict. A school spanning
two stages is split into one :class:`SchoolInput` per stage (:func:`stage_inputs`), so a 九年一贯制 school counts in
小学 with its 小学部 and in 初中 with its 初中部, and a 完全中学 in 初中 with its 初中部.

资源配置:

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
from dudao.surveys import selectors as surveys

from ..common import districts, pass_counts_incomplete
from ..inputs import approved_values, group_of, valid_numbers
from ..registry import Scheme, register
from ..text import unit_word


@dataclass(frozen=True)
class SchoolInput:
    code: str
    name: str
    level: str  # a key of the scheme's ``levels`` (primary / junior)
    values: dict  # raw element values (bal_students, bal_teachers_above, …) of this stage
    school_type: str = ""  # the school's type (primary, nine_year …): a few 政府保障 limits depend on it


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


# ----------------------------------------------------------------------------- stages of a school


STAGE_SUFFIX = {"primary": "（小学部）", "junior": "（初中部）"}


def stage_inputs(spec: dict, code: str, name: str, school_type: str, values: dict) -> list[SchoolInput]:
    """One :class:`SchoolInput` per stage the school counts in (``school_types`` of the spec, 第六条).

    A stage's figures are the main elements (prefix ``""``) or the stage's own section (``"j_"``: ``bal_j_students``
    read as ``bal_students``). A school of one stage keeps its name; a school counted by part (九年一贯制, 完全中学) is
    named by the part, so its 小学部 and 初中部 are told apart in the lists of missing data and 补短板."""
    stages = spec["school_types"].get(school_type, {})
    split = school_type not in spec["levels"]  # a primary/junior school is its stage; the others count by part
    out = []
    for level, prefix in stages.items():
        if prefix:
            own = "bal_" + prefix
            stage_values = {"bal_" + k[len(own) :]: v for k, v in values.items() if k.startswith(own)}
        else:
            stage_values = {k: v for k, v in values.items() if not k.startswith("bal_j_")}
        label = name + STAGE_SUFFIX[level] if split else name
        out.append(SchoolInput(code, label, level, stage_values, school_type))
    return out


# ----------------------------------------------------------------------------- 政府保障程度, 教育质量


def _limit(bound, key: str, school_type: str = ""):
    """A threshold that may differ by stage or school type: ``{primary: 45, junior: 50}``, ``{default: 2000,
    nine_year: 2500}`` or one number."""
    if isinstance(bound, dict):
        return bound.get(school_type, bound.get(key, bound.get("default")))
    return bound


def check(condition: dict, value: float | None, key: str = "", school_type: str = "") -> bool | None:
    """Whether ``value`` meets ``condition`` (``min`` ≥, ``max`` ≤, ``below`` <); None when it is missing."""
    if value is None:
        return None
    ok = True
    if "min" in condition:
        ok = ok and value >= float(_limit(condition["min"], key, school_type))
    if "max" in condition:
        ok = ok and value <= float(_limit(condition["max"], key, school_type))
    if "below" in condition:
        ok = ok and value < float(_limit(condition["below"], key, school_type))
    return ok


def _value(expr: str, values: dict) -> float | None:
    result = parse(expr).evaluate(values)
    return None if result is None else float(result)


def _threshold_text(condition: dict, key: str = "", school_type: str = "") -> str:
    share = condition.get("share")
    parts = []
    for word, sign in (("min", "≥"), ("max", "≤"), ("below", "<")):
        if word in condition:
            bound = condition[word]
            if isinstance(bound, dict) and not (key or school_type):
                shown = "/".join(f"{float(b):g}" for b in bound.values())
            else:
                shown = f"{float(_limit(bound, key, school_type)):g}"
                if share:
                    shown = f"{float(_limit(bound, key, school_type)) * 100:g}%"
            parts.append(sign + shown)
    return " ".join(parts)


def evaluate_item(item: dict, district_values: dict | None, stages: list[SchoolInput] | tuple = ()) -> dict:
    """One item of 政府保障程度 or 教育质量: ``passed`` True/False, or None when an input is missing (``missing``).

    ``flag`` items are a district's 1/0 answer (met when 1); ``district`` items conditions over its figures;
    ``schools`` items conditions every school stage must meet (``whole_school``: once per school, over its students
    of all stages) — one stage that fails decides the item even when another's figure is missing."""
    values = district_values or {}
    rows: list[dict] = []
    if item["kind"] == "flag":
        raw = values.get(item["element"])
        value = None if raw is None else float(raw)
        rows.append(
            {"label": "是否", "value": value, "threshold": "是", "passed": None if value is None else value == 1}
        )
    elif item["kind"] == "district":
        for c in item["conditions"]:
            value = _value(c["expr"], values)
            rows.append(
                {
                    "label": c["label"],
                    "value": _round(value),
                    "share": bool(c.get("share")),  # shown as a percentage, as its threshold is
                    "threshold": _threshold_text(c),
                    "passed": check(c, value),
                }
            )
    else:
        units = _whole_schools(stages) if item.get("whole_school") else stages
        for c in item["conditions"]:
            for u in units:
                value = _value(c["expr"], valid_numbers(u.values)[0])
                met = check(c, value, u.level, u.school_type)
                if met is not True:  # only what is short or missing is listed; the count says the rest
                    rows.append(
                        {
                            "label": f"{u.name}·{c['label']}",
                            "value": _round(value),
                            "threshold": _threshold_text(c, u.level, u.school_type),
                            "passed": met,
                        }
                    )
    missing = [r["label"] for r in rows if r["passed"] is None]
    passed: bool | None
    if any(r["passed"] is False for r in rows):
        passed = False
    elif missing or (item["kind"] == "schools" and not stages):
        passed = None
    else:
        passed = True
    shown = rows if item["kind"] != "flag" else [{**rows[0], "label": ""}]
    return {
        "code": item["code"],
        "clause": item.get("clause", ""),
        "name": item["name"],
        "kind": item["kind"],
        "passed": passed,
        "rows": shown,
        "missing": missing,
        "schools": len(stages) if item["kind"] == "schools" else None,
    }


def _whole_schools(stages) -> list[SchoolInput]:
    """Stages joined back into schools (code order kept): the first stage's figures (the school's shared rooms are
    reported there) plus ``students`` and ``classes``, the sums over its stages (None when a stage lacks one)."""
    joined: dict[str, SchoolInput] = {}
    for s in stages:
        clean = valid_numbers(s.values)[0]
        base = s.name
        for suffix in STAGE_SUFFIX.values():
            base = base.removesuffix(suffix)
        before = joined.get(s.code)
        values = dict(before.values) if before is not None else {**clean, "students": 0.0, "classes": 0.0}
        for total, element in (("students", "bal_students"), ("classes", "bal_classes")):
            n = clean.get(element)
            values[total] = None if n is None or values[total] is None else values[total] + float(n)
        joined[s.code] = SchoolInput(s.code, base, s.level, values, s.school_type)
    return list(joined.values())


def evaluate_part(part: dict, district_values: dict | None, stages: list[SchoolInput] | tuple = ()) -> dict:
    """A part of items (政府保障程度 or 教育质量): passed only when every item is met (第七、八条 ask all of them);
    failed when any item is not; otherwise missing (``no_data`` when no item could be judged at all)."""
    items = [evaluate_item(item, district_values, stages) for item in part["items"]]
    return _part(part, items)


def _part(part: dict, items: list[dict]) -> dict:
    passed: bool | None
    if any(i["passed"] is False for i in items):
        passed = False
    elif any(i["passed"] is None for i in items):
        passed = None
    else:
        passed = True
    missing = [i["name"] for i in items if i["passed"] is None]
    return {
        "name": part["name"],
        "article": part.get("article", ""),
        "items": items,
        "passed": passed,
        "met": sum(i["passed"] is True for i in items),
        "total": len(items),
        "missing": missing,
        "no_data": len(missing) == len(items),
        "reason": ("缺少：" + "、".join(missing)) if passed is None else "",
    }


def evaluate_recognition(spec_part: dict, survey) -> dict:
    """社会认可度 (第九条): the survey's favourable share against ``min`` (85%). No result, or a sample short of its
    target, is missing with the reason — a thin sample neither passes nor fails a district."""
    base = {"name": spec_part["name"], "article": spec_part.get("article", ""), "min": spec_part["min"]}
    if survey is None:
        return {**base, "passed": None, "score": None, "no_data": True, "reason": "社会认可度调查尚无结果"}
    score = None if survey.score is None else float(survey.score)
    if not survey.complete:
        target = f"/{survey.target}" if survey.target else ""
        reason = f"社会认可度调查样本不足（{survey.responses}{target} 份）{surveys.short_groups_clause(survey)}"
        return {**base, "passed": None, "score": _round(score, 2), "no_data": True, "reason": reason}
    assert score is not None  # complete implies a score
    return {
        **base,
        "passed": score >= float(spec_part["min"]),
        "score": _round(score, 2),
        "responses": survey.responses,
        "no_data": False,
        "reason": "",
    }


def evaluate_veto(spec_part: dict, district_values: dict | None) -> dict:
    """The 不予认定 situations: ``vetoed`` True when any exists (1), None when none exists but some are unanswered."""
    values = district_values or {}
    items = []
    for item in spec_part["items"]:
        raw = values.get(item["element"])
        items.append({"code": item["code"], "name": item["name"], "exists": None if raw is None else float(raw) >= 1})
    found = [i["name"] for i in items if i["exists"]]
    unanswered = [i["name"] for i in items if i["exists"] is None]
    vetoed: bool | None = True if found else (None if unanswered else False)
    return {
        "name": spec_part["name"],
        "items": items,
        "vetoed": vetoed,
        "found": found,
        "missing": unanswered,
        "no_data": len(unanswered) == len(items),
    }


def combine(resources: dict, parts: list[dict], veto: dict) -> tuple[bool | None, bool]:
    """The district verdict ``(passed, incomplete)`` from 资源配置 (:func:`evaluate_district`), the other parts and
    the veto: a veto or any failed part → 未达标 (False); nothing at all (no school data, no district data) → 无数据
    (None, False); anything missing → 数据不全 (None, True); else 达标."""
    if veto["vetoed"] or resources["passed"] is False or any(p["passed"] is False for p in parts):
        return False, False
    resources_empty = resources["passed"] is None and not resources["incomplete"]
    if resources_empty and veto["no_data"] and all(p["no_data"] for p in parts):
        return None, False
    if resources["passed"] is None or veto["vetoed"] is None or any(p["passed"] is None for p in parts):
        return None, True
    return True, False


def evaluate_whole(
    spec: dict,
    code: str,
    name: str,
    stages: list[SchoolInput],
    unapproved: list[dict] | tuple = (),
    district_values: dict | None = None,
    survey=None,
) -> dict:
    """A district on all four parts and the veto. The 资源配置 result's keys stay at the top (its schools, CV table,
    ``missing`` schools, 补短板 list); ``resources_passed`` is that part's own verdict, ``passed``/``incomplete`` the
    district's, and ``parts`` the four parts in order with ``missing_parts`` naming what keeps a verdict open."""
    resources = evaluate_district(spec, code, name, stages, unapproved)
    clean = None if district_values is None else valid_numbers(district_values)[0]
    government = evaluate_part(spec["government"], clean, stages)
    quality = evaluate_part(spec["quality"], clean, stages)
    recognition = evaluate_recognition(spec["recognition"], survey)
    veto = evaluate_veto(spec["veto"], clean)
    passed, incomplete = combine(resources, [government, quality, recognition], veto)
    resources_part = {
        "name": "资源配置",
        "article": "第六条",
        "passed": resources["passed"],
        "no_data": resources["passed"] is None and not resources["incomplete"],
        "reason": "；".join(f"{m['name']}（{m['reason']}）" for m in resources["missing"]),
    }
    parts = [resources_part, government, quality, recognition]
    missing_parts = [{"part": p["name"], "reason": p["reason"] or "无数据"} for p in parts if p["passed"] is None]
    if veto["vetoed"] is None:
        missing_parts.append({"part": veto["name"], "reason": "未填报：" + "、".join(veto["missing"])})
    return {
        **resources,
        "resources_passed": resources["passed"],
        "resources_incomplete": resources["incomplete"],
        "passed": passed,
        "incomplete": incomplete,
        "government": government,
        "quality": quality,
        "recognition": recognition,
        "veto": veto,
        "parts": [{"name": p["name"], "article": p["article"], "passed": p["passed"]} for p in parts],
        "missing_parts": missing_parts,
    }


# ----------------------------------------------------------------------------- the scheme


def _types(spec: dict, schools) -> dict[int, str]:
    types = group_of(schools, "school_type")
    return {pk: t for pk, t in types.items() if t in spec["school_types"]}


def compute(spec: dict, period, org) -> dict:
    """A school against its standards (一校一报告, one block per stage it counts in), or every district in scope on
    the four parts and the veto."""
    if org.level == Level.SCHOOL:
        values = approved_values(spec["dataset"], period, [org])
        school_type = _types(spec, [org]).get(org.pk)
        if org.pk not in values or school_type is None:
            raise DudaoError(f"{org.name}没有已核准的{period.name}义务教育办学条件数据")
        own = stage_inputs(spec, org.code, org.name, school_type, values[org.pk])
        reports = [evaluate_school(spec, s) for s in own]
        return {"school": reports[0], "school_stages": reports}
    results = []
    for district in districts(org):
        schools = list(schools_under(district).order_by("code"))
        types = _types(spec, schools)
        values = approved_values(spec["dataset"], period, [s for s in schools if s.pk in types])
        stages = [
            stage
            for s in schools
            if s.pk in values
            for stage in stage_inputs(spec, s.code, s.name, types[s.pk], values[s.pk])
        ]
        unapproved = [{"code": s.code, "name": s.name} for s in schools if s.pk in types and s.pk not in values]
        figures = approved_values(spec["district_dataset"], period, [district]).get(district.pk)
        survey = surveys.result(spec["recognition"]["questionnaire"], period.code, district)
        results.append(evaluate_whole(spec, district.code, district.name, stages, unapproved, figures, survey))
    return {
        "districts": results,
        "summary": pass_counts_incomplete(results),
        "parts_summary": parts_summary(results),
    }


def parts_summary(results: list[dict]) -> list[dict]:
    """Per part (and the veto): how many districts passed, failed, or lack data — the city's monitoring overview."""
    out = []
    for n, name in enumerate(["资源配置", "政府保障程度", "教育质量", "社会认可度"]):
        verdicts = [r["parts"][n]["passed"] for r in results]
        out.append(
            {
                "name": name,
                "passed": verdicts.count(True),
                "failed": verdicts.count(False),
                "missing": verdicts.count(None),
            }
        )
    out.append(
        {
            "name": "一票否决",
            "passed": sum(r["veto"]["vetoed"] is False for r in results),
            "failed": sum(r["veto"]["vetoed"] is True for r in results),
            "missing": sum(r["veto"]["vetoed"] is None for r in results),
        }
    )
    return out


def verdict(unit: dict) -> str:
    if unit.get("veto", {}).get("vetoed"):
        return "未达标（一票否决）"
    return unit_word(unit)


def evaluated_schools(spec: dict, units):
    """The compulsory schools (the school types the spec counts in a stage): only they have a 一校一报告."""
    return in_groups(units, "school_type", list(spec["school_types"]))


def _part_word(passed: bool | None) -> str:
    return {True: "达标", False: "未达标", None: "数据不全"}[passed]


def describe(result: dict) -> list[str]:
    if "school" in result:
        lines = []
        for s in result.get("school_stages", [result["school"]]):
            lines.append(f"{s['name']}（{s['level_name']}）：{s['met_count']}/7 项达标，{unit_word(s)}")
            lines += [f"  {r['name']}：{r['value']} / 标准 {r['standard']:g}" for r in s["indicators"] if not r["met"]]
        return lines
    lines = []
    for d in result["districts"]:
        cvs = "；".join(
            f"{lv['name']}差异系数最大 {fixed(max((c['cv'] or 0) for c in lv['cv']), 3)}" for lv in d["levels"].values()
        )
        parts = "，".join(f"{p['name']}{_part_word(p['passed'])}" for p in d["parts"])
        lines.append(f"{d['name']}：{verdict(d)}（{parts}；{cvs}；待补短板学校 {len(d['schools_failed'])} 所）")
        if d["missing"]:
            lines.append("  数据缺失：" + "；".join(f"{m['name']}（{m['reason']}）" for m in d["missing"]))
        for part in (d["government"], d["quality"]):
            unmet = [i["name"] for i in part["items"] if i["passed"] is False]
            if unmet:
                lines.append(f"  {part['name']}未达到：" + "；".join(unmet))
        if d["veto"]["found"]:
            lines.append("  一票否决：" + "；".join(d["veto"]["found"]))
    return lines


def _vet(spec: dict) -> dict:
    """Parse every formula of the parts now, so a typo in the YAML fails when the scheme loads."""
    for part in ("government", "quality"):
        for item in spec[part]["items"]:
            for c in item.get("conditions", []):
                parse(c["expr"])
    return spec


SCHEME = register(
    Scheme(
        "balanced",
        compute,
        describe=describe,
        verdict=verdict,
        inputs_from=("dataset", "district_dataset"),
        template="evaluation/_balanced.html",
        order=10,
        levels=(Level.CITY, Level.DISTRICT, Level.SCHOOL),
        schools=evaluated_schools,
    )
)
_vet(SCHEME.spec)
