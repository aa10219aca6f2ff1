"""Indicator definitions (指标定义) from ``catalog/indicators.yaml``.

An indicator is ``Σ numerator / Σ denominator × factor`` over the schools of an org unit — a *ratio of sums*, so the
city's 生师比 is all students over all teachers, not the mean of 71 school ratios. ``school_mean`` (校均) is the
explicit exception the quality report uses for 双师型 比例; ``sum`` has no denominator. ``own`` (本级填报值) does not
roll up at all: the value is the unit's own figure — numerator / denominator × factor over the facts the unit itself
holds (a published statistic of the city, say), the denominator optional. ``kind`` decides how a change is worded:
rates in percentage points (个百分点), quantities in percent.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from django.conf import settings

from dudao.collection.expressions import Expression, parse
from dudao.errors import DudaoError
from dudao.rounding import half_up

AGGREGATIONS = ("ratio", "school_mean", "sum", "own")


KINDS = ("rate", "quantity")


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    numerator: Expression
    denominator: Expression | None
    factor: float
    unit: str
    decimals: int
    aggregation: str
    kind: str
    section: str
    note: str = ""

    @property
    def elements(self) -> frozenset[str]:
        names = set(self.numerator.names)
        if self.denominator is not None:
            names |= self.denominator.names
        return frozenset(names)

    @property
    def change_unit(self) -> str:
        return "pp" if self.kind == "rate" else "%"

    def change(self, value: float | None, previous: float | None) -> float | None:
        """Year-on-year change: percentage points for rates, percent for quantities.

        Rates are compared as published (rounded to ``decimals``), so the text says "59.7%，提高1.6个百分点" when the
        previous year reads 58.1%; percent changes of quantities use the unrounded values (148.05 亿元, +5.73%).
        """
        if value is None or previous is None:
            return None
        if self.kind == "rate":
            published, published_before = half_up(value, self.decimals), half_up(previous, self.decimals)
            assert published is not None and published_before is not None  # half_up gives None only for None
            return float(published - published_before)
        if previous == 0:
            return None
        return (value / previous - 1) * 100


def _indicator(item: dict, known: set[str] | None) -> Indicator:
    code = item.get("code", "?")
    try:
        numerator = parse(str(item["numerator"]))
        denominator = parse(str(item["denominator"])) if item.get("denominator") is not None else None
    except (KeyError, DudaoError) as exc:
        raise DudaoError(f"indicator {code}: {exc}") from None
    aggregation = item.get("aggregation", "ratio" if denominator is not None else "sum")
    if aggregation not in AGGREGATIONS:
        raise DudaoError(f"indicator {code}: aggregation must be one of {AGGREGATIONS}")
    if aggregation not in ("sum", "own") and denominator is None:
        raise DudaoError(f"indicator {code}: {aggregation} needs a denominator")
    kind = item.get("kind", "quantity")
    if kind not in KINDS:
        raise DudaoError(f"indicator {code}: kind must be one of {KINDS}")
    indicator = Indicator(
        code=code,
        name=item["name"],
        numerator=numerator,
        denominator=denominator,
        factor=float(item.get("factor", 1)),
        unit=item.get("unit", ""),
        decimals=int(item.get("decimals", 2)),
        aggregation=aggregation,
        kind=kind,
        section=item.get("section", ""),
        note=item.get("note", ""),
    )
    if known is not None and indicator.elements - known:
        raise DudaoError(f"indicator {code}: unknown elements {sorted(indicator.elements - known)}")
    return indicator


def parse_definitions(items: list[dict], known: set[str] | None = None) -> list[Indicator]:
    indicators = [_indicator(item, known) for item in items]
    codes = [i.code for i in indicators]
    if len(codes) != len(set(codes)):
        raise DudaoError("indicator codes must be unique")
    return indicators


@cache
def catalog(path: str | None = None) -> tuple[Indicator, ...]:
    with open(path or Path(settings.CATALOG_DIR) / "indicators.yaml", encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    return tuple(parse_definitions(data["indicators"]))


def by_code() -> dict[str, Indicator]:
    return {i.code: i for i in catalog()}
