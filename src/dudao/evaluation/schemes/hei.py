"""高校分类评价 — classified evaluation of Shanghai's universities on the 4 × 3 grid, as pure functions.

The grid (《上海高等教育布局结构与发展规划（2015—2030年）》): four TYPES by 人才培养主体功能 — 学术研究型、应用研究型、
应用技术型、应用技能型 — times three CATEGORIES by 学科门类 — 综合性、多科性、特色性. Each type has its own indicator
set (《关于本市高校分类评价的实施意见》: four indicator systems), so a university is scored with its type's indicators
and weights, ranked only among its type, and reported in its cell (type × category).

Scoring, in this order:

1. **Data checks** (:func:`check_data`): figures outside their plausible range or inconsistent with each other (more
   doctoral teachers than teachers …) mark the university 数据待核 — listed with its problems, not scored, not ranked.
2. **Indicator values** (:func:`indicator_values`): the YAML formulas; value-added (增值) indicators are the change
   since the previous period; a missing or invalid (negative) figure leaves the indicator missing.
3. **Scaling by reference values** (:func:`scale`): ``100 × clamp((x − floor) / (reference − floor), 0, cap)`` with the
   type's 基准值 and 底线值 from the YAML. A university's score depends on its own value only — min–max scaling inside
   the type stretched a spread of 0.1 % to 0–100. A negative indicator (lower is better) has its reference below its
   floor, and the same formula rewards lower values.
4. **Composite** (:func:`_composite`): weighted by the university's own weights if it chose valid ones (within the
   type's [min, max] per indicator, adding up to 100), else the type's defaults; missing indicators by the YAML's
   ``missing_rule``. The negative list then deducts points.

Anomalies that lead to an interview (约谈): a value far outside the type (robust z on median/MAD), a marked decline in
a value-added indicator, anything on the negative list, or data to be checked.

The functions down to :func:`evaluate` are pure; the scheme at the end gathers the approved ``hei`` values of this
period and the previous one (:mod:`..inputs`) with the universities' own weights, registers ``hei`` and gives a
university's page its weight form.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from dudao import concurrency
from dudao.collection.expressions import parse
from dudao.collection.services import robust_outliers
from dudao.errors import DudaoError
from dudao.orgs import selectors as orgs
from dudao.orgs.access import has_role
from dudao.orgs.vocabulary import Level, Role
from dudao.rounding import fixed, rounded

from ..inputs import approved_values, group_of, previous_period, valid_numbers
from ..models import WeightChoice
from ..registry import Scheme, register

HELD = "数据待核"  # the word for a university held back by the data checks (its row's ``status`` is "held")


@dataclass(frozen=True)
class University:
    code: str
    name: str
    function: str  # hei_function group code: the TYPE (row of the grid)
    discipline: str  # hei_discipline group code: the CATEGORY (column of the grid)
    values: dict
    previous: dict | None = None  # last period's raw values, for 增值
    weights: dict = field(default_factory=dict)  # the university's own choice, indicator → weight


def type_indicators(spec: dict, type_code: str) -> dict[str, dict]:
    """The type's indicators as the YAML gives them: code → {weight: [default, min, max], floor, reference[, cap]}."""
    if type_code not in spec["types_spec"]:
        raise DudaoError(f"{type_code}：不是高校分类评价的类型（{'、'.join(spec['types'])}）")
    indicators: dict[str, dict] = spec["types_spec"][type_code]["indicators"]
    return indicators


def type_weights(spec: dict, type_code: str) -> dict[str, tuple[float, float, float]]:
    """indicator → (default, lowest, highest) weight for the type."""
    return {
        code: (float(d["weight"][0]), float(d["weight"][1]), float(d["weight"][2]))
        for code, d in type_indicators(spec, type_code).items()
    }


def validate_weights(spec: dict, type_code: str, chosen: Mapping[str, float]) -> dict[str, str]:
    """Problems with a university's chosen weights, field (indicator code, or ``total``) → message; empty = fine."""
    allowed = type_weights(spec, type_code)
    names = {code: spec["indicators"][code]["name"] for code in allowed}
    errors = {code: f"{code}：不是本类型的评价指标" for code in chosen if code not in allowed}
    for code, (_, low, high) in allowed.items():
        weight = chosen.get(code)
        if weight is None:
            errors[code] = f"{names[code]}：未填写权重"
        elif not low <= float(weight) <= high:
            errors[code] = f"{names[code]}：权重 {float(weight):g} 超出允许范围 {low:g}—{high:g}"
    total = sum(float(w) for w in chosen.values())
    if not errors and abs(total - 100) > 1e-9:
        errors["total"] = f"权重合计应为 100，现为 {total:g}"
    return errors


def scale(value: float | None, floor: float, reference: float, cap: float) -> float | None:
    """Score of one value against the type's reference: ``100 × clamp((x − floor) / (reference − floor), 0, cap)``.

    Reaching the reference (基准值) scores 100, the floor (底线值) or worse 0, beyond the reference up to ``cap`` × 100.
    With ``reference < floor`` (a negative indicator) lower values score higher by the same formula. ``None`` stays
    ``None`` (missing)."""
    if value is None:
        return None
    if reference == floor:
        raise DudaoError(f"基准值与底线值相同（{reference:g}），无法换算得分")
    return 100 * min(max((value - floor) / (reference - floor), 0.0), cap)


def indicator_values(spec: dict, values: dict, previous: dict | None) -> dict[str, float | None]:
    base = {code: _formula(ind, values) for code, ind in spec["indicators"].items() if "expr" in ind}
    before = {code: _formula(ind, previous) for code, ind in spec["indicators"].items() if "expr" in ind and previous}
    for code, ind in spec["indicators"].items():
        if "change_of" not in ind:
            continue
        now, then = base.get(ind["change_of"]), before.get(ind["change_of"])
        if now is None or then is None:
            base[code] = None
        elif ind.get("mode") == "growth":
            base[code] = None if then == 0 else (now - then) / abs(then) * 100
        else:
            base[code] = now - then
    return base


def _formula(ind: dict, values: dict | None) -> float | None:
    if values is None:
        return None
    result = parse(ind["expr"]).evaluate(values)
    return None if result is None else float(result)


def check_data(spec: dict, values: dict, indicators: dict[str, float | None]) -> list[str]:
    """Problems that hold a university's scoring (数据待核): an indicator value outside its plausible range in the YAML
    (``checks.ranges``), or a consistency condition (``checks.consistency``) that fails. A condition whose figures are
    missing is not a problem here — missing values have their own rule."""
    problems = []
    checks = spec.get("checks", {})
    for code, (low, high) in checks.get("ranges", {}).items():
        value = indicators.get(code)
        if value is not None and not float(low) <= float(value) <= float(high):
            name = spec["indicators"][code]["name"]
            problems.append(f"{name}为 {fixed(float(value), 2)}，不在合理范围 {low:g}—{high:g} 内")
    for rule in checks.get("consistency", []):
        if parse(rule["expr"]).evaluate(values) is False:
            problems.append(rule["message"])
    return problems


def evaluate(spec: dict, universities: list[University], labels: dict[str, str] | None = None) -> dict:
    """Scores, ranks within type, deductions, flags and data checks for every university; the per-type tables and
    the 4 × 3 grid of cells. ``labels`` names the type and category codes (the org groups' names)."""
    labels = labels or {}
    by_type: dict[str, list[University]] = defaultdict(list)
    for u in universities:
        by_type[u.function].append(u)
    results: list[dict[str, Any]] = []
    types: list[dict[str, Any]] = []
    cap = float(spec.get("scale", {}).get("cap", 1.0))
    for key in [t for t in spec["types"] if t in by_type]:
        members = by_type[key]
        setup = type_indicators(spec, key)
        weights = type_weights(spec, key)
        cleaned = {u.code: valid_numbers(u.values) for u in members}
        earlier = {u.code: valid_numbers(u.previous)[0] if u.previous else None for u in members}
        values = {u.code: indicator_values(spec, cleaned[u.code][0], earlier[u.code]) for u in members}
        before: dict[str, dict[str, float | None]] = {}
        for u in members:
            then = earlier[u.code]
            before[u.code] = indicator_values(spec, then, None) if then else {}
        held = {u.code: check_data(spec, cleaned[u.code][0], values[u.code]) for u in members}
        scores = {
            u.code: {
                code: None
                if held[u.code]
                else scale(values[u.code][code], float(d["floor"]), float(d["reference"]), float(d.get("cap", cap)))
                for code, d in setup.items()
            }
            for u in members
        }
        outliers = {
            code: robust_outliers(
                {u.code: v for u in members if not held[u.code] and (v := values[u.code][code]) is not None},
                spec["flags"]["outlier_z"],
            )
            for code in weights
        }
        rows = []
        for u in members:
            chosen = u.weights if u.weights and not validate_weights(spec, key, u.weights) else None
            w = {code: float(chosen[code]) if chosen else default for code, (default, _, _) in weights.items()}
            missing = [code for code in weights if values[u.code][code] is None]
            composite = None if held[u.code] else _composite(spec, w, scores[u.code])
            deductions = _deductions(spec, cleaned[u.code][0])
            flags = _flags(spec, values[u.code], outliers, u, deductions, held[u.code])
            status = "held" if held[u.code] else ("no_data" if composite is None else "scored")
            rows.append(
                {
                    "code": u.code,
                    "name": u.name,
                    "type": key,
                    "type_name": labels.get(key, key),
                    "category": u.discipline,
                    "category_name": labels.get(u.discipline, u.discipline),
                    "cell_name": f"{labels.get(key, key)}·{labels.get(u.discipline, u.discipline)}",
                    "class": key,
                    "class_name": labels.get(key, key),
                    "own_weights": chosen is not None,
                    "indicators": [
                        _indicator_row(spec, code, setup[code], w[code], values[u.code], before[u.code])
                        | {"score": _round(scores[u.code][code], 2)}
                        for code in weights
                    ],
                    "deductions": deductions,
                    "score": None
                    if composite is None
                    else rounded(max(composite - sum(d["points"] for d in deductions), 0.0), 2),
                    "status": status,
                    "checks": held[u.code],
                    "flags": flags,
                    "missing": [spec["indicators"][code]["name"] for code in missing],
                    "invalid": cleaned[u.code][1],
                }
            )
        _rank(rows)
        results.extend(rows)
        types.append({"key": key, "name": labels.get(key, key), "count": len(rows)})
    return {
        "universities": results,
        "classes": types,
        "grid": _grid(spec, results, labels),
        "interviews": [
            {"code": r["code"], "name": r["name"], "class": r["cell_name"], "reasons": [f["text"] for f in r["flags"]]}
            for r in results
            if r["flags"]
        ],
    }


def _indicator_row(spec, code, setup, weight, values, before) -> dict:
    """One indicator of one university: value, last period's value and the change (增值), reference, floor, weight."""
    now, then = values[code], before.get(code)
    return {
        "code": code,
        "name": spec["indicators"][code]["name"],
        "dimension": spec["indicators"][code]["dimension"],
        "unit": spec["indicators"][code]["unit"],
        "lower_is_better": bool(spec["indicators"][code].get("lower_is_better")),
        "value": _round(now),
        "previous": _round(then),
        "change": None if now is None or then is None else _round(now - then),
        "reference": float(setup["reference"]),
        "floor": float(setup["floor"]),
        "weight": weight,
    }


def _grid(spec: dict, rows: list[dict], labels: dict[str, str]) -> list[dict]:
    """The 4 × 3 grid: per type (row) and category (column) the universities evaluated in that cell."""
    return [
        {
            "type": t,
            "name": labels.get(t, t),
            "cells": [
                {
                    "category": c,
                    "name": labels.get(c, c),
                    "universities": [r["name"] for r in rows if r["type"] == t and r["category"] == c],
                }
                for c in spec["categories"]
            ],
        }
        for t in spec["types"]
    ]


def _composite(spec: dict, weights: dict[str, float], scores: dict[str, float | None]) -> float | None:
    """The weighted score by the YAML's ``missing_rule``: ``renormalise`` leaves a missing indicator out and
    divides by the weights of those present (so the rest keep their proportions); ``lowest`` scores it 0. ``None``
    when no indicator is present (no score, no rank). Either way the missing indicators are listed (``missing``)."""
    if all(v is None for v in scores.values()):
        return None
    if spec.get("missing_rule", "renormalise") == "lowest":
        return sum(weights[c] * (v or 0.0) for c, v in scores.items()) / 100
    total = sum(weights[c] for c, v in scores.items() if v is not None)
    if total <= 0:
        return None
    return sum(weights[c] * v for c, v in scores.items() if v is not None) / total


def _deductions(spec: dict, values: dict) -> list[dict]:
    out = []
    for item in spec.get("negative", []):
        count = values.get(item["element"])
        if count:
            points = min(float(count) * item["deduct"], item["cap"])
            out.append({"code": item["code"], "name": item["name"], "count": float(count), "points": points})
    return out


def _flags(
    spec: dict, values: dict, outliers: dict, u: University, deductions: list[dict], checks: list[str]
) -> list[dict]:
    flags = [{"kind": "check", "indicator": "", "text": f"{HELD}：{problem}"} for problem in checks]
    for code, members in outliers.items():
        if u.code in members:
            name = spec["indicators"][code]["name"]
            text = f"{name}明显偏离同类型高校（{fixed(values[code], 2)}）"
            flags.append({"kind": "outlier", "indicator": code, "text": text})
    for code, floor in spec["flags"].get("drops", {}).items():
        value = values.get(code)
        if value is not None and value < floor and not checks:
            name = spec["indicators"][code]["name"]
            flags.append(
                {"kind": "decline", "indicator": code, "text": f"{name}为 {fixed(value, 2)}，低于预警线 {floor}"}
            )
    for d in deductions:
        flags.append({"kind": "negative", "indicator": d["code"], "text": f"负面清单：{d['name']} {d['count']:g} 件"})
    return flags


def _rank(rows: list[dict]) -> None:
    """Competition ranking (1, 2, 2, 4) by score, highest first, within one type; ``of`` is how many were ranked. A
    university without a score (无数据, 数据待核) has no rank."""
    ordered = sorted((r for r in rows if r["score"] is not None), key=lambda r: -r["score"])
    for index, row in enumerate(ordered):
        same = index and ordered[index - 1]["score"] == row["score"]
        row["rank"] = ordered[index - 1]["rank"] if same else index + 1
    for row in rows:
        row.setdefault("rank", None)
        row["of"] = len(ordered)
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, r["code"]))


def _round(value: float | None, digits: int = 4) -> float | None:
    return rounded(value, digits)


# ----------------------------------------------------------------------------- the scheme


def compute(spec: dict, period, org) -> dict:
    """Every university is ranked inside its type; a narrower scope (a university's own) shows only its own rows,
    still with the rank it has among its whole type."""
    everyone = orgs.in_groups(orgs.schools_under(), spec["function_set"])
    functions = group_of(everyone, spec["function_set"])
    disciplines = group_of(everyone, spec["discipline_set"])
    values = approved_values(spec["dataset"], period, everyone)
    before = previous_period(period)
    previous = approved_values(spec["dataset"], before, everyone) if before else {}
    chosen: dict[int, dict] = {}
    for w in WeightChoice.objects.filter(period=period, org__in=everyone):
        chosen.setdefault(w.org_id, {})[w.indicator] = float(w.weight)
    universities = [
        University(
            u.code,
            u.name,
            functions[u.pk],
            disciplines.get(u.pk, ""),
            values[u.pk],
            previous.get(u.pk),
            chosen.get(u.pk, {}),
        )
        for u in everyone.order_by("code")
        if u.pk in values and functions.get(u.pk) in spec["types"]
    ]
    result = evaluate(spec, universities, _labels(spec))
    if org.level != Level.CITY:
        inside = {u.code for u in orgs.in_groups(orgs.schools_under(org), spec["function_set"])}
        if not inside:
            raise DudaoError(f"{org.name}没有参加分类评价的高校")
        result["universities"] = [r for r in result["universities"] if r["code"] in inside]
        result["interviews"] = [r for r in result["interviews"] if r["code"] in inside]
        shown = {r["type"] for r in result["universities"]}
        result["classes"] = [c for c in result["classes"] if c["key"] in shown]
    result["previous_period"] = before.code if before else None
    return result


def _labels(spec) -> dict[str, str]:
    """Type and category code → the org group's name (学术研究型, 综合性 …)."""
    names = orgs.group_names([spec["function_set"], spec["discipline_set"]])
    labels = {code: names.get((spec["function_set"], code), code) for code in spec["types"]}
    labels.update({code: names.get((spec["discipline_set"], code), code) for code in spec["categories"]})
    return labels


def describe(result: dict) -> list[str]:
    lines = []
    for u in result["universities"]:
        flag = "  ⚑约谈" if u["flags"] else ""
        if u["missing"]:
            flag += "  缺失：" + "、".join(u["missing"])
        if u["status"] == "held":
            lines.append(f"{u['name']}：{u['cell_name']} {HELD}（{'；'.join(u['checks'])}）{flag}")
        elif u["score"] is None:
            lines.append(f"{u['name']}：{u['cell_name']} 无数据{flag}")
        else:
            rank = f"第 {u['rank']} 名（共 {u['of']} 所）"
            lines.append(f"{u['name']}：{u['cell_name']} 类型内{rank}，综合得分 {fixed(u['score'], 2)}{flag}")
    return lines


def weight_form(spec: dict, org, period) -> list[dict]:
    """The rows of a university's own-weights form: each indicator of its type with default, bounds and choice."""
    key = _type_of(spec, org)
    if key is None:
        return []
    chosen = {
        indicator: (weight, version)
        for indicator, weight, version in WeightChoice.objects.filter(org=org, period=period).values_list(
            "indicator", "weight", "version"
        )
    }
    return [
        {
            "code": code,
            "name": spec["indicators"][code]["name"],
            "default": default,
            "low": low,
            "high": high,
            "value": chosen[code][0] if code in chosen else default,
            "version": chosen[code][1] if code in chosen else 0,  # sent back with the save (dudao.concurrency)
        }
        for code, (default, low, high) in type_weights(spec, key).items()
    ]


def _type_of(spec: dict, org) -> str | None:
    """The university's type (its 主体功能 group); ``None`` if it takes no part."""
    function = orgs.group_of(org, spec["function_set"])
    if function is None or function.code not in spec["types"]:
        return None
    return str(function.code)


@transaction.atomic
def choose_weights(
    spec: dict, org, period, chosen: Mapping[str, float], user, versions: Mapping[str, int] | None = None
) -> list[WeightChoice]:
    """高校自选权重: store the university's own weights — all of them, or none with a :class:`DudaoError` whose
    ``errors`` name each field: every weight outside its type's [min, max] bounds, a missing one, a total not 100.

    ``versions`` (indicator → the weight's version as the form read it, 0 for the default) refuses, in one
    :class:`~dudao.concurrency.StaleEdit`, every weight someone else saved differently since."""
    key = _type_of(spec, org)
    if key is None:
        raise DudaoError(f"{org.name}不参加分类评价")
    errors = validate_weights(spec, key, chosen)
    if errors:
        raise DudaoError("；".join(errors.values()), errors=errors)
    claims = concurrency.Claims("本校自选权重")
    saved = []
    for indicator, weight in chosen.items():
        label = spec["indicators"].get(indicator, {}).get("name", indicator)
        obj, created = WeightChoice.objects.select_for_update().get_or_create(
            org=org, period=period, indicator=indicator, defaults={"weight": weight, "chosen_by": user}
        )
        expected = None if versions is None or indicator not in versions else versions[indicator]
        if not created and float(obj.weight) != float(weight):
            if not claims.claim(
                obj, expected, field=indicator, label=label, yours=f"{weight:g}", theirs=lambda row: row.weight
            ):
                continue
            obj.weight, obj.chosen_by = weight, user
            obj.save()
        saved.append(obj)
    # an indicator the type no longer has (the YAML changed) must not linger beside the new choice
    WeightChoice.objects.filter(org=org, period=period).exclude(indicator__in=list(chosen)).delete()
    claims.check()
    return saved


def page_context(request, spec: dict, org, period, result) -> dict:
    """A university's own page shows its weight form (editable by its principal or the city)."""
    if not result or org.level != Level.SCHOOL:
        return {}
    return {
        "weights": weight_form(spec, org, period),
        "may_choose": has_role(request.user, org, Role.PRINCIPAL, Role.CITY_ADMIN),
    }


SCHEME = register(
    Scheme(
        "hei",
        compute,
        describe=describe,
        inputs_from=("dataset",),
        template="evaluation/_hei.html",
        forms_template="evaluation/_hei_forms.html",
        page_context=page_context,
        order=30,
        levels=(Level.CITY, Level.SCHOOL),  # universities sit directly under the city, in no district
        schools=lambda spec, units: orgs.in_groups(units, spec["function_set"]),
    )
)
