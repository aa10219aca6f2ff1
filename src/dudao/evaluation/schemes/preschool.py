"""学前教育普及普惠 — district thresholds as pure functions over summed figures.

The three 普及普惠 indicators are shares of *children*, not of kindergartens: a district with a few huge private
kindergartens cannot reach 80% coverage by licensing many small 普惠 ones. So the inputs are sums of each
kindergarten's figures, split by its 普惠性质 group (``kg_children__public`` …), plus the district's own figures
(3–5 岁 population). A city result is the same formulas over the city's sums. The scheme at the end gathers the
approved ``kindergarten`` and ``district_preschool`` values (:mod:`..inputs`) and registers ``preschool``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from dudao.collection.expressions import parse
from dudao.orgs.selectors import in_groups, schools_under
from dudao.orgs.vocabulary import Level
from dudao.rounding import fixed, rounded

from ..common import districts, pass_counts_incomplete
from ..inputs import approved_values, group_of, valid_numbers
from ..registry import Scheme, register
from ..text import passed_word, unit_word


def sums(kindergartens: list[tuple[str, dict]], district_values: dict | None = None) -> dict[str, float]:
    """Add up ``(category, values)`` pairs: ``code`` over all, ``code__category`` per group; district figures added."""
    total: dict[str, float] = defaultdict(float)
    for category, values in kindergartens:
        for code, value in values.items():
            if value is None:
                continue
            total[code] += float(value)
            total[f"{code}__{category}"] += float(value)
    for code, value in (district_values or {}).items():
        if value is not None:
            total[code] += float(value)
    return dict(total)


def combine(districts: list[dict], how: dict[str, str]) -> dict[str, float]:
    """City figures from district figures: a population adds up (``sum``), a per-district standard does not — the
    city is held to its weakest district (``min``)."""
    out = {}
    for code, rule in how.items():
        present = [float(d[code]) for d in districts if d.get(code) is not None]
        if present:
            out[code] = sum(present) if rule == "sum" else min(present)
    return out


def _check(item: dict, value: float | None) -> bool:
    if value is None:
        return False
    if "min" in item and value < item["min"]:
        return False
    return not ("max" in item and value > item["max"])


def evaluate(
    spec: dict, code: str, name: str, figures: dict, kindergartens: int, missing: list[dict] | tuple = ()
) -> dict:
    """Verdict for one area from its summed ``figures`` (missing categories count as zero children).

    ``missing`` lists what the area's figures lack (kindergartens without approved data or without their 普惠性质
    group, the district's own figures): with any of it the verdict is 数据不全 (``incomplete``), never 达标 or 未达标
    — each share could move either way with the missing children. A percentage above 100 is flagged (``over``)."""
    values = {**{k: 0.0 for k in _category_names(spec)}, **figures}
    out: dict[str, Any] = {
        "code": code,
        "name": name,
        "kindergartens": kindergartens,
        "children": figures.get("kg_children"),
    }
    for part in ("core", "conditions"):
        rows = []
        for item in spec[part]:
            result = parse(item["expr"]).evaluate(values)
            value = None if result is None else float(result)
            rows.append(
                {
                    "code": item["code"],
                    "name": item["name"],
                    "unit": item["unit"],
                    "value": rounded(value, 4),
                    "min": item.get("min"),
                    "max": item.get("max"),
                    "met": _check(item, value),
                    "over": item["unit"] == "%" and value is not None and value > 100,
                    "partial": False,
                }
            )
        out[part] = rows
    passed = _passed([*out["core"], *out["conditions"]], kindergartens)
    out["missing"] = list(missing)
    out["incomplete"] = bool(missing) and kindergartens > 0
    out["passed"] = None if out["incomplete"] else passed
    return out


def _passed(rows: list[dict], kindergartens: int) -> bool | None:
    """达标 when every item is met; 未达标 when a computed item is not; 无数据 (``None``) without kindergartens or
    while an item cannot be computed for missing inputs and none computed fails."""
    if not kindergartens:
        return None
    if any(r["value"] is not None and not r["met"] for r in rows):
        return False
    if any(r["value"] is None for r in rows):
        return None
    return True


def _category_names(spec: dict) -> set[str]:
    """``code__group`` names the formulas use; absent ones mean no such kindergartens (0), not missing data."""
    names = set()
    for item in [*spec["core"], *spec["conditions"]]:
        names |= {n for n in parse(item["expr"]).names if "__" in n}
    return names


# ----------------------------------------------------------------------------- the scheme


UNGROUPED = "ungrouped"  # the category of a kindergarten without its 普惠性质 group: counted in all, in no share


def compute(spec: dict, period, org) -> dict:
    """Every district in scope from its kindergartens' sums and its own figures; for the city also the city's.

    Nothing drops out silently: a kindergarten without approved data, one without its 普惠性质 group (its children
    still count in the totals) and a district without approved own figures are listed in ``missing``. The city's
    rates over a district figure (毛入园率 over the population) are computed over the complete districts only and
    marked ``partial``, so one district's missing population cannot push the city above 100%."""
    results, everything = [], []
    for district in districts(org):
        kgs = list(in_groups(schools_under(district), "school_type", ["kindergarten"]).order_by("code"))
        categories = group_of(kgs, spec["group_set"])
        values = approved_values(spec["dataset"], period, kgs)
        missing = [{"code": k.code, "name": k.name, "reason": "未核准"} for k in kgs if k.pk not in values]
        missing += [
            {"code": k.code, "name": k.name, "reason": "未设置普惠性质"}
            for k in kgs
            if k.pk in values and k.pk not in categories
        ]
        pairs = []
        for k in kgs:
            if k.pk in values:
                clean, invalid = valid_numbers(values[k.pk])
                pairs.append((categories.get(k.pk, UNGROUPED), clean))
                if invalid:
                    missing.append({"code": k.code, "name": k.name, "reason": "数值无效：" + "、".join(invalid)})
        own_values = approved_values(spec["district_dataset"], period, [district])
        own, invalid = valid_numbers(own_values.get(district.pk, {}))
        absent = [c for c in spec["district_figures"] if own.get(c) is None]
        if pairs and (district.pk not in own_values or invalid or absent):
            missing.append({"code": district.code, "name": district.name, "reason": "区级数据未核准或不全"})
        everything.append((pairs, own))
        results.append(evaluate(spec, district.code, district.name, sums(pairs, own), len(pairs), missing))
    out = {"districts": results, "summary": pass_counts_incomplete(results)}
    if org.level == Level.CITY:
        all_pairs = [p for pairs, _ in everything for p in pairs]
        city_figures = sums(all_pairs)
        city_figures.update(combine([own for _, own in everything], spec["district_figures"]))
        missing = [m for d in results for m in d["missing"]]
        out["city"] = city = evaluate(spec, org.code, org.name, city_figures, len(all_pairs), missing)
        _complete_districts_only(spec, city, everything)
    return out


def _complete_districts_only(spec: dict, city: dict, everything: list) -> None:
    """Recompute the city's items that use a district figure over the districts that have that figure; mark them
    ``partial`` (with how many districts) when any district lacks it."""
    figures = set(spec["district_figures"])
    with_data = [(pairs, own) for pairs, own in everything if pairs]
    for part in ("core", "conditions"):
        for item, row in zip(spec[part], city[part]):
            used = set(parse(item["expr"]).names) & figures
            if not used:
                continue
            complete = [(pairs, own) for pairs, own in with_data if all(own.get(c) is not None for c in used)]
            if len(complete) == len(with_data):
                continue
            values = {k: 0.0 for k in _category_names(spec)}
            values.update(sums([p for pairs, _ in complete for p in pairs]))
            values.update(combine([own for _, own in complete], spec["district_figures"]))
            result = parse(item["expr"]).evaluate(values) if complete else None
            value = None if result is None else float(result)
            row.update(
                value=rounded(value, 4),
                met=_check(item, value),
                over=item["unit"] == "%" and value is not None and value > 100,
                partial=True,
                districts=len(complete),
            )


def verdict(unit: dict) -> str:
    """An area without kindergartens has no verdict, whatever its thresholds say; one with data missing 数据不全."""
    if unit.get("incomplete"):
        return unit_word(unit)
    return passed_word(unit["passed"] if unit["kindergartens"] else None)


def describe(result: dict) -> list[str]:
    lines = []
    for d in [*result["districts"], *([result["city"]] if "city" in result else [])]:
        core = "，".join(f"{r['name']} {fixed(r['value'], 2)}%" for r in d["core"] if r["value"] is not None)
        lines.append(f"{d['name']}：{verdict(d)}（{core}）")
        if d["missing"] and d is not result.get("city"):
            lines.append("  数据缺失：" + "；".join(f"{m['name']}（{m['reason']}）" for m in d["missing"]))
    return lines


SCHEME = register(
    Scheme(
        "preschool",
        compute,
        describe=describe,
        verdict=verdict,
        inputs_from=("dataset", "district_dataset"),
        template="evaluation/_preschool.html",
        order=20,
    )
)
