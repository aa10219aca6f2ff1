"""Plain-text summaries of evaluation results (the CLI without ``--json``): a header line, then the scheme's own
lines, one per unit (see ``Scheme.describe``)."""

from __future__ import annotations

from . import registry


def passed_word(passed: bool | None) -> str:
    return {True: "达标", False: "未达标", None: "无数据"}[passed]


def describe(result: dict) -> list[str]:
    header = f"{result['name']} · {result['period_name']} · {result['org']['name']}"
    return [header, *registry.get(result["scheme"]).describe(result)]


def unit_word(unit: dict) -> str:
    """A unit's verdict word: 数据不全 when data it needs is missing or unapproved, else :func:`passed_word`."""
    return "数据不全" if unit.get("incomplete") else passed_word(unit["passed"])
