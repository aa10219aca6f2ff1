"""The 基本情况 chapter of the annual work report (工作年报 一、…教育事业发展基本情况): the statistical overview of
every level of education — schools, students, staff and teachers, kindergartens to universities — with the change on the
year before, written from the imported 教育事业统计 of a year and the year before.

The wording is data (``catalog/reports/annual_overview.yaml``): sentences with figure tokens, in the style of the
commission's report (万人 with two decimals, 比上年增加/减少 x%). This module only fills the tokens, so the
chapter of a district with fewer published figures is the same text with the clauses it cannot support left out —
a figure is never invented and a sentence never says "无数据" halfway through. Totals (共有…所) are computed from
their parts by the shared formula parser, so a total and its parts always agree.

The figures are the approved values of the ``public_statistics`` data set
(:func:`dudao.collection.selectors.approved_numbers`, the one rule for approved data);
rounding is :mod:`dudao.rounding`'s half-up.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from django.conf import settings

from dudao.collection import selectors as collection
from dudao.collection.expressions import parse
from dudao.rounding import fixed, half_up

if TYPE_CHECKING:
    from dudao.orgs.models import OrgUnit

DATASET = "public_statistics"
TOKEN = re.compile(r"\{([a-z_][a-z0-9_]*)(?::([^{}]+))?\}")
WORDS = ("year", "org", "scope", "here")  # tokens that are words of the scope, not figures


@cache
def spec() -> dict[str, Any]:
    path = Path(settings.CATALOG_DIR) / "reports" / "annual_overview.yaml"
    with open(path, encoding="utf-8") as fh:
        loaded: dict[str, Any] = yaml.safe_load(fh)
    for expr in loaded.get("totals", {}).values():
        parse(expr)  # a typo fails when the chapter is first read, naming the formula
    return loaded


def figure_codes(chapter: dict[str, Any]) -> set[str]:
    """Every element code the chapter may print (directly or inside a total)."""
    codes: set[str] = set()
    totals = chapter.get("totals", {})
    for expr in totals.values():
        codes.update(re.findall(r"[a-z_][a-z0-9_]*", expr))
    for paragraph in chapter["paragraphs"]:
        for sentence in paragraph:
            for text in [sentence["head"], *sentence.get("parts", [])]:
                for name, _ in TOKEN.findall(text):
                    if name not in WORDS and name not in totals:
                        codes.add(name)
    return codes


def _value(chapter: dict[str, Any], name: str, values: dict[str, Decimal]) -> Decimal | None:
    totals = chapter.get("totals", {})
    if name in totals:
        result = parse(totals[name]).evaluate(values)
        return None if result is None or isinstance(result, bool) else Decimal(result)
    return values.get(name)


def format_figure(value: Decimal, fmt: dict[str, Any]) -> str:
    """``value`` as the report prints it: divided (10000 for 万), half-up to its decimals, with its unit."""
    scaled = value / Decimal(fmt.get("divide", 1))
    return fixed(scaled, fmt.get("decimals", 0)) + fmt.get("unit", "")


def format_change(current: Decimal, previous: Decimal | None, rule: dict[str, Any], unit: str = "") -> str:
    """The change on the year before as the report words it (", 比上年增加 4.20%"); "" without the year before.

    ``percent`` changes are relative to last year, rounded to the rule's decimals; a change that rounds to zero is
    与上年持平 — the report never prints "增加 0.00%". ``difference`` changes are counts (比上年增加 8所)."""
    if previous is None or (rule["kind"] == "percent" and previous == 0):
        return ""
    if rule["kind"] == "percent":
        delta = half_up((current - previous) * 100 / previous, rule.get("decimals", 2))
        text = fixed(abs(delta), rule.get("decimals", 2)) + "%" if delta is not None else ""
    else:
        delta = current - previous
        text = fixed(abs(delta), 0) + unit
    assert delta is not None
    if delta == 0:
        words = rule.get("same", "与上年持平")
        text = ""
    else:
        words = rule["up"] if delta > 0 else rule["down"]
    return rule.get("prefix", "，") + words + text


def fill(
    chapter: dict[str, Any],
    text: str,
    current: dict[str, Decimal],
    previous: dict[str, Decimal],
    words: dict[str, str],
) -> str | None:
    """``text`` with its tokens filled; None when a figure it needs is not there (the clause is left out)."""
    missing: list[str] = []

    def one(match: re.Match[str]) -> str:
        name, fmt = match.group(1), match.group(2)
        if name in WORDS:
            return words[name]
        value = _value(chapter, name, current)
        if value is None:
            missing.append(name)
            return ""
        if fmt in chapter["changes"]:
            rule = chapter["changes"][fmt]
            unit = _unit_of(chapter, text, name)
            return format_change(value, _value(chapter, name, previous), rule, unit)
        return format_figure(value, chapter["formats"][fmt])

    filled = TOKEN.sub(one, text)
    return None if missing else filled


def _unit_of(chapter: dict[str, Any], text: str, name: str) -> str:
    """The unit of ``name``'s figure in the same clause (a difference of schools is said in 所)."""
    for other, fmt in TOKEN.findall(text):
        if other == name and fmt in chapter["formats"]:
            return str(chapter["formats"][fmt].get("unit", ""))
    return ""


def render(
    chapter: dict[str, Any],
    current: dict[str, Decimal],
    previous: dict[str, Decimal],
    words: dict[str, str],
) -> list[str]:
    """The chapter's paragraphs from one unit's figures of a year (``current``) and the year before (``previous``).

    Pure: tests call it with plain numbers."""
    paragraphs = []
    for paragraph in chapter["paragraphs"]:
        sentences = []
        for sentence in paragraph:
            head = fill(chapter, sentence["head"], current, previous, words)
            if head is None:
                continue
            parts = [
                filled
                for part in sentence.get("parts", [])
                if (filled := fill(chapter, part, current, previous, words)) is not None
            ]
            if parts:
                head += "，" + sentence.get("lead", "") + sentence.get("sep", "，").join(parts)
            sentences.append(head + "。")
        if sentences:
            paragraphs.append("".join(sentences))
    return paragraphs


def figures(period_code: str, org: OrgUnit) -> dict[str, Decimal]:
    """``org``'s own approved statistics of ``period_code`` (empty when the period or the figures are not there)."""
    period = collection.period(period_code)
    if period is None:
        return {}
    return collection.approved_numbers(DATASET, period, [org]).get(org.id, {})


def title(period_code: str, org: OrgUnit) -> str:
    return str(spec()["title"]).format(year=period_code, org=org.name)


def paragraphs(period_code: str, org: OrgUnit) -> list[str]:
    """The chapter's paragraphs for ``org`` in ``period_code``; [] when no statistics were imported for it.

    The year before is the period coded one less (``2019`` for ``2020``), as the statistics are yearly."""
    chapter = spec()
    current = figures(period_code, org)
    if not current:
        return []
    previous = figures(str(int(period_code) - 1), org) if period_code.isdigit() else {}
    level = str(org.level)
    words = {
        "year": period_code,
        "org": org.name,
        "scope": chapter["scope"].get(level, chapter["scope"]["city"]),
        "here": chapter["here"].get(level, chapter["here"]["city"]),
    }
    return render(chapter, current, previous, words)
