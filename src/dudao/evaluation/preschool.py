"""学前教育普及普惠 — district thresholds as pure functions over summed figures.

The three 普及普惠 indicators are shares of *children*, not of kindergartens: a district with a few huge private
kindergartens cannot reach 80% coverage by licensing many small 普惠 ones. So the inputs are sums of each
kindergarten's figures, split by its 普惠性质 group (``kg_children__public`` …), plus the district's own figures
(3–5 岁 population). A city result is the same formulas over the city's sums.
"""

from __future__ import annotations

from collections import defaultdict

from dudao.collection.expressions import parse


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
    out = {"code": code, "name": name, "kindergartens": kindergartens, "children": figures.get("kg_children")}
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
                    "value": None if value is None else round(value, 4),
                    "min": item.get("min"),
                    "max": item.get("max"),
                    "met": _check(item, value),
                }
            )
        out[part] = rows
    out["passed"] = all(r["met"] for r in out["core"]) and all(r["met"] for r in out["conditions"])
    return out


def _category_names(spec: dict) -> set[str]:
    """``code__group`` names the formulas use; absent ones mean no such kindergartens (0), not missing data."""
    names = set()
    for item in [*spec["core"], *spec["conditions"]]:
        names |= {n for n in parse(item["expr"]).names if "__" in n}
    return names
