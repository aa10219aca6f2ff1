"""Evaluation schemes (评估方案) from ``catalog/evaluations/*.yaml``.

A scheme is data: thresholds, formulas, weights and checklists live in YAML so that next year's revised standard is
an edit to a file, not a release. Each scheme code maps to one pure evaluation module (balanced, preschool, hei,
district_duty, thematic); formulas are vetted with the shared formula parser when the scheme is read, so a typo fails
at start-up rather than in the middle of an evaluation.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from django.conf import settings

from dudao.collection.expressions import parse
from dudao.errors import not_found

SCHEME_CODES = ("balanced", "preschool", "hei", "district_duty", "thematic")


@cache
def scheme(code: str) -> dict:
    if code not in SCHEME_CODES:
        raise not_found(f"未知的评估方案 {code!r}；可选：{', '.join(SCHEME_CODES)}")
    path = Path(settings.CATALOG_DIR) / "evaluations" / f"{code}.yaml"
    with open(path, encoding="utf-8") as fh:
        spec = yaml.safe_load(fh)
    for item in _formula_items(spec):
        parse(item["expr"])  # raises ExpressionError naming the formula
    return spec


def all_schemes() -> list[dict]:
    return [scheme(code) for code in SCHEME_CODES]


def _formula_items(spec: dict):
    yield from spec.get("indicators", []) if isinstance(spec.get("indicators"), list) else []
    if isinstance(spec.get("indicators"), dict):
        yield from (i for i in spec["indicators"].values() if "expr" in i)
    yield from spec.get("core", [])
    yield from spec.get("conditions", [])
