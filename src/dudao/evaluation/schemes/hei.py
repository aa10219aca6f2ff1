"""高校分类评价 — classified evaluation of universities, as pure functions.

Universities are compared only inside their class (主体功能 × 学科门类): a 应用技能型 college is not ranked against a
学术研究型 university. Per indicator the class's values are put on a 0–100 scale (min–max inside the class, so the
best of the class scores 100), weighted by the university's own choice within the class's allowed range (or the
class default), summed, and the negative list deducts points. Value-added (增值) indicators are changes since the
previous period; efficiency (效率) ones divide outputs by inputs — both are just formulas in the YAML.

Anomalies that lead to an interview (约谈): a value far outside the class (robust z on median/MAD, the same
statistic the data checks use), a marked decline in a value-added indicator, or anything on the negative list.

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


@dataclass(frozen=True)
class University:
    code: str
    name: str
    function: str  # hei_function group code
    discipline: str  # hei_discipline group code
    values: dict
    previous: dict | None = None  # last period's raw values, for 增值
    weights: dict = field(default_factory=dict)  # the university's own choice, indicator → weight


def class_key(spec: dict, function: str, discipline: str) -> str:
    """The most specific class entry: ``function/discipline`` if the YAML has it, else ``function``."""
    exact = f"{function}/{discipline}"
    return exact if exact in spec["classes"] else function


def class_weights(spec: dict, key: str) -> dict[str, tuple[float, float, float]]:
    return {code: (float(d), float(lo), float(hi)) for code, (d, lo, hi) in spec["classes"][key]["weights"].items()}


def validate_weights(spec: dict, key: str, chosen: Mapping[str, float]) -> list[str]:
    """Problems with a university's chosen weights (empty list = acceptable)."""
    allowed = class_weights(spec, key)
    names = {code: spec["indicators"][code]["name"] for code in allowed}
    errors = [f"{code}：不是本类别的评价指标" for code in chosen if code not in allowed]
    for code, (_, low, high) in allowed.items():
        weight = chosen.get(code)
        if weight is None:
            errors.append(f"{names[code]}：未填写权重")
        elif not low <= float(weight) <= high:
            errors.append(f"{names[code]}：权重 {float(weight):g} 超出允许范围 {low:g}—{high:g}")
    if not errors and abs(sum(float(w) for w in chosen.values()) - 100) > 1e-9:
        errors.append(f"权重合计应为 100，现为 {sum(float(w) for w in chosen.values()):g}")
    return errors


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


def evaluate(spec: dict, universities: list[University], labels: dict[str, str] | None = None) -> dict:
    """Scores, ranks within class, deductions and 约谈 flags for every university; plus the per-class tables."""
    by_class: dict[str, list[University]] = defaultdict(list)
    for u in universities:
        by_class[class_key(spec, u.function, u.discipline)].append(u)
    results: list[dict[str, Any]] = []
    classes: list[dict[str, Any]] = []
    for key in sorted(by_class, key=lambda k: list(spec["classes"]).index(k)):
        members = by_class[key]
        weights = class_weights(spec, key)
        cleaned = {u.code: valid_numbers(u.values) for u in members}
        values = {
            u.code: indicator_values(spec, cleaned[u.code][0], valid_numbers(u.previous)[0] if u.previous else None)
            for u in members
        }
        scores = {code: _scaled({u.code: values[u.code][code] for u in members}) for code in weights}
        outliers = {
            code: robust_outliers(
                {u.code: value for u in members if (value := values[u.code][code]) is not None},
                spec["flags"]["outlier_z"],
            )
            for code in weights
        }
        rows = []
        for u in members:
            chosen = u.weights if u.weights and not validate_weights(spec, key, u.weights) else None
            w = {code: float(chosen[code]) if chosen else default for code, (default, _, _) in weights.items()}
            present = [code for code in weights if scores[code][u.code] is not None]
            missing = [code for code in weights if code not in present]
            composite = _composite(spec, w, {code: scores[code][u.code] for code in weights})
            deductions = _deductions(spec, cleaned[u.code][0])
            flags = _flags(spec, values[u.code], outliers, u, deductions)
            rows.append(
                {
                    "code": u.code,
                    "name": u.name,
                    "class": key,
                    "class_name": (labels or {}).get(key, key),
                    "own_weights": chosen is not None,
                    "indicators": [
                        {
                            "code": code,
                            "name": spec["indicators"][code]["name"],
                            "dimension": spec["indicators"][code]["dimension"],
                            "unit": spec["indicators"][code]["unit"],
                            "value": _round(values[u.code][code]),
                            "score": _round(scores[code][u.code], 2),
                            "weight": w[code],
                        }
                        for code in weights
                    ],
                    "deductions": deductions,
                    "score": None
                    if composite is None
                    else rounded(max(composite - sum(d["points"] for d in deductions), 0.0), 2),
                    "flags": flags,
                    "missing": [spec["indicators"][code]["name"] for code in missing],
                    "invalid": cleaned[u.code][1],
                }
            )
        _rank(rows)
        results.extend(rows)
        classes.append({"key": key, "name": (labels or {}).get(key, key), "count": len(rows)})
    return {
        "universities": results,
        "classes": classes,
        "interviews": [
            {"code": r["code"], "name": r["name"], "class": r["class_name"], "reasons": [f["text"] for f in r["flags"]]}
            for r in results
            if r["flags"]
        ],
    }


def _scaled(values: dict[str, float | None]) -> dict[str, float | None]:
    """Min–max onto 0–100 inside the class; a missing value has no score (``None``, see :func:`_composite`); all
    equal → everyone 100."""
    present = [v for v in values.values() if v is not None]
    if not present:
        return {k: None for k in values}
    low, high = min(present), max(present)
    return {
        k: None if v is None else (100.0 if high == low else (v - low) / (high - low) * 100) for k, v in values.items()
    }


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


def _flags(spec: dict, values: dict, outliers: dict, u: University, deductions: list[dict]) -> list[dict]:
    flags = []
    for code, members in outliers.items():
        if u.code in members:
            name = spec["indicators"][code]["name"]
            text = f"{name}明显偏离同类高校（{fixed(values[code], 2)}）"
            flags.append({"kind": "outlier", "indicator": code, "text": text})
    for code, floor in spec["flags"].get("drops", {}).items():
        value = values.get(code)
        if value is not None and value < floor:
            name = spec["indicators"][code]["name"]
            flags.append(
                {"kind": "decline", "indicator": code, "text": f"{name}为 {fixed(value, 2)}，低于预警线 {floor}"}
            )
    for d in deductions:
        flags.append({"kind": "negative", "indicator": d["code"], "text": f"负面清单：{d['name']} {d['count']:g} 件"})
    return flags


def _rank(rows: list[dict]) -> None:
    """Competition ranking (1, 2, 2, 4) by score, highest first; a university without a score has no rank."""
    ordered = sorted((r for r in rows if r["score"] is not None), key=lambda r: -r["score"])
    for index, row in enumerate(ordered):
        same = index and ordered[index - 1]["score"] == row["score"]
        row["rank"] = ordered[index - 1]["rank"] if same else index + 1
    for row in rows:
        row.setdefault("rank", None)
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, r["code"]))


def _round(value: float | None, digits: int = 4) -> float | None:
    return rounded(value, digits)


# ----------------------------------------------------------------------------- the scheme


def compute(spec: dict, period, org) -> dict:
    """Every university is ranked inside its class; a narrower scope shows only its own universities' rows."""
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
        if u.pk in values and u.pk in functions
    ]
    labels = _class_labels(spec)
    result = evaluate(spec, universities, labels)
    if org.level != Level.CITY:
        inside = {u.code for u in orgs.in_groups(orgs.schools_under(org), spec["function_set"])}
        if not inside:
            raise DudaoError(f"{org.name}没有参加分类评价的高校")
        result["universities"] = [r for r in result["universities"] if r["code"] in inside]
        result["interviews"] = [r for r in result["interviews"] if r["code"] in inside]
        shown = {r["class"] for r in result["universities"]}
        result["classes"] = [c for c in result["classes"] if c["key"] in shown]
    result["previous_period"] = before.code if before else None
    return result


def _class_labels(spec) -> dict[str, str]:
    names = orgs.group_names([spec["function_set"], spec["discipline_set"]])
    labels = {}
    for key in spec["classes"]:
        function, _, discipline = key.partition("/")
        label = names.get((spec["function_set"], function), function)
        if discipline:
            label += "·" + names.get((spec["discipline_set"], discipline), discipline)
        labels[key] = label
    return labels


def describe(result: dict) -> list[str]:
    lines = []
    for u in result["universities"]:
        flag = "  ⚑约谈" if u["flags"] else ""
        if u["missing"]:
            flag += "  缺失：" + "、".join(u["missing"])
        if u["score"] is None:
            lines.append(f"{u['name']}：{u['class_name']} 无数据{flag}")
            continue
        lines.append(f"{u['name']}：{u['class_name']} 第 {u['rank']} 名，综合得分 {fixed(u['score'], 2)}{flag}")
    return lines


def weight_form(spec: dict, org, period) -> list[dict]:
    """The rows of a university's own-weights form: each indicator of its class with default, range and choice."""
    key = _class_of(spec, org)
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
        for code, (default, low, high) in class_weights(spec, key).items()
    ]


def _class_of(spec: dict, org) -> str | None:
    """The university's class key, from its 主体功能 and 学科门类 groups; ``None`` if it takes no part."""
    function = orgs.group_of(org, spec["function_set"])
    discipline = orgs.group_of(org, spec["discipline_set"])
    if function is None:
        return None
    return class_key(spec, function.code, discipline.code if discipline else "")


@transaction.atomic
@transaction.atomic
def choose_weights(
    spec: dict, org, period, chosen: Mapping[str, float], user, versions: Mapping[str, int] | None = None
) -> list[WeightChoice]:
    """高校自选权重: store the university's own weights — all of them, or none with a :class:`DudaoError` that lists
    every weight out of its class's range (or a total that is not 100).

    ``versions`` (indicator → the weight's version as the form read it, 0 for the default) refuses, in one
    :class:`~dudao.concurrency.StaleEdit`, every weight someone else saved differently since."""
    key = _class_of(spec, org)
    if key is None:
        raise DudaoError(f"{org.name}不参加分类评价")
    errors = validate_weights(spec, key, chosen)
    if errors:
        raise DudaoError("；".join(errors))
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
