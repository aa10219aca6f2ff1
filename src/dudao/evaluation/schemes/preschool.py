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
from dudao.orgs.selectors import schools_under
from dudao.orgs.vocabulary import Level
from dudao.rounding import fixed, rounded

from ..common import districts, pass_counts
from ..inputs import approved_values, group_of
from ..registry import Scheme, register
from ..text import passed_word


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


def evaluate(spec: dict, code: str, name: str, figures: dict, kindergartens: int) -> dict:
    """Verdict for one area from its summed ``figures`` (missing categories count as zero children)."""
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
                }
            )
        out[part] = rows
    out["passed"] = _passed([*out["core"], *out["conditions"]], kindergartens)
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


def compute(spec: dict, period, org) -> dict:
    """Every district in scope from its kindergartens' sums and its own figures; for the city also the city's."""
    results, everything = [], []
    for district in districts(org):
        kgs = list(schools_under(district))
        categories = group_of(kgs, spec["group_set"])
        values = approved_values(spec["dataset"], period, [k for k in kgs if k.pk in categories])
        pairs = [(categories[pk], v) for pk, v in values.items()]
        own = approved_values(spec["district_dataset"], period, [district]).get(district.pk, {})
        everything.append((pairs, own))
        results.append(evaluate(spec, district.code, district.name, sums(pairs, own), len(pairs)))
    out = {"districts": results, "summary": pass_counts(results)}
    if org.level == Level.CITY:
        all_pairs = [p for pairs, _ in everything for p in pairs]
        city_figures = sums(all_pairs)
        city_figures.update(combine([own for _, own in everything], spec["district_figures"]))
        out["city"] = evaluate(spec, org.code, org.name, city_figures, len(all_pairs))
    return out


def verdict(unit: dict) -> str:
    """An area without kindergartens has no verdict, whatever its thresholds say."""
    return passed_word(unit["passed"] if unit["kindergartens"] else None)


def describe(result: dict) -> list[str]:
    lines = []
    for d in [*result["districts"], *([result["city"]] if "city" in result else [])]:
        core = "，".join(f"{r['name']} {fixed(r['value'], 2)}%" for r in d["core"] if r["value"] is not None)
        lines.append(f"{d['name']}：{verdict(d)}（{core}）")
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
