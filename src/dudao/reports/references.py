"""Figures by reference (数据引用): text written by people carries computed figures as tokens, never as typed numbers.

A compiler writing the city report's chapter, or a district writing its own, types ``{{students}}`` where the report
must say "96940人". When the report is built, the token is replaced by the indicator engine's value for the report's
org and period, so the text can never disagree with the data behind it: change one school's approved value and the
sentence changes with it. Only facts that are not statistics (events, policies, names) are typed.

Grammar — ``{{ code [options] }}``, options in any order:

- ``@310115`` another org unit (by code); ``#2019`` another period
- ``?affiliation=city_bureau`` only the schools of one group (a group set of ``catalog/orgs.yaml``); roll-up
  indicators only, re-aggregated as a ratio of sums
- ``:change`` "比2019年增长5.73%" / "提高1.6个百分点"; ``:prev`` last year's value with unit; ``:delta`` the absolute
  change with unit, no verb ("4人"); ``:number`` the value without unit; ``:ratio`` a share p% as "4:6"
- ``~floor2`` / ``~round2`` keep N significant digits, toward zero (for "超过…", "…余") or half-up (for "近…")
- ``.0`` … ``.4`` decimals other than the indicator's own

``{{fact:NAME}}`` is a fact that is not an indicator — e.g. how many schools published their reports — supplied by the
app that owns it through :func:`register_fact` (the portal registers the publication facts), so this module needs no
knowledge of the apps above it.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from dudao.collection import selectors as collection
from dudao.indicators.definitions import by_code
from dudao.indicators.query import Reading, readings, sliced_reading
from dudao.orgs import selectors as orgs
from dudao.orgs.vocabulary import Level
from dudao.rounding import fixed, half_up, significant

from . import wording

if TYPE_CHECKING:
    from dudao.collection.models import Period
    from dudao.orgs.models import OrgUnit

TOKEN = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
OPTION = re.compile(
    r"@(?P<org>[0-9A-Za-z-]+)|#(?P<period>\d{4})|\?(?P<set>[a-z_]+)=(?P<group>[a-z_0-9]+)"
    r"|:(?P<modifier>[a-z]+)|~(?P<rounding>floor|round)(?P<digits>\d)|\.(?P<decimals>\d)"
)
CODE = re.compile(r"^(?P<code>[a-z][a-z_0-9]*)")
MODIFIERS = ("change", "prev", "delta", "number", "ratio")

FactProvider = Callable[["OrgUnit", "Period"], str]
_FACTS: dict[str, tuple[str, FactProvider]] = {}


def register_fact(name: str, label: str, provider: FactProvider) -> None:
    """Offer ``{{fact:name}}`` to writers; ``provider(org, period)`` returns the text (with its unit)."""
    _FACTS[name] = (label, provider)


def facts() -> dict[str, str]:
    """Registered fact names and what they say (for the editor's list of insertable figures)."""
    return {name: label for name, (label, _) in sorted(_FACTS.items())}


@dataclass
class Token:
    text: str
    indicator: str = ""
    fact: str = ""
    org_code: str = ""
    period_code: str = ""
    group_set: str = ""
    group: str = ""
    modifier: str = ""
    rounding: str = ""
    digits: int = 0
    decimals: int | None = None
    problems: list[str] = field(default_factory=list)


def parse(body: str) -> Token:
    token = Token(text="{{" + body + "}}")
    if body.startswith("fact:"):
        token.fact = body[5:].strip()
        if token.fact not in _FACTS:
            token.problems.append(f"未知的数据项 fact:{token.fact}")
        return token
    match = CODE.match(body)
    if not match:
        token.problems.append(f"引用 {token.text} 应以指标代码开头")
        return token
    token.indicator = match["code"]
    if token.indicator not in by_code():
        token.problems.append(f"未知的指标代码 {token.indicator}")
    rest = body[match.end() :]
    position = 0
    for option in OPTION.finditer(rest):
        if option.start() != position:
            break
        position = option.end()
        if option["org"]:
            token.org_code = option["org"]
        elif option["period"]:
            token.period_code = option["period"]
        elif option["set"]:
            token.group_set, token.group = option["set"], option["group"]
        elif option["modifier"]:
            token.modifier = option["modifier"]
            if token.modifier not in MODIFIERS:
                token.problems.append(f"{token.text}：未知的写法 :{token.modifier}")
        elif option["rounding"]:
            token.rounding, token.digits = option["rounding"], int(option["digits"])
        elif option["decimals"] is not None:
            token.decimals = int(option["decimals"])
    if rest[position:].strip():
        token.problems.append(f"{token.text}：无法识别 “{rest[position:].strip()}”")
    return token


def tokens(text: str) -> list[Token]:
    return [parse(m.group(1)) for m in TOKEN.finditer(text or "")]


def problems(text: str) -> list[str]:
    """What is wrong with the tokens of ``text`` (unknown indicator, org, period, option), in Chinese, for the editor
    to show before anything is saved."""
    found: list[str] = []
    for token in tokens(text):
        found += token.problems
        if token.org_code and orgs.unit(token.org_code) is None:
            found.append(f"{token.text}：未知的单位代码 {token.org_code}")
        if token.period_code and collection.period(token.period_code) is None:
            found.append(f"{token.text}：未知的年度 {token.period_code}")
        if token.group_set and token.indicator in by_code() and by_code()[token.indicator].aggregation == "own":
            found.append(f"{token.text}：本级数据不能按学校分组")
    return found


class Resolver:
    """Resolves the tokens of one report: readings are read once per (org, period) and reused by every token."""

    def __init__(
        self, org: OrgUnit, period: Period, vary: bool = False, known: dict[str, Reading] | None = None
    ) -> None:
        """``vary``: generated sentences say "compared with last year" in several ways (people choose their own).
        ``known``: the org's readings for the period when the caller has read them already (the report builder)."""
        self.org, self.period, self.vary = org, period, vary
        self._readings: dict[tuple[int, int], dict[str, Reading]] = {}
        self._previous: dict[int, Period | None] = {}
        if known is not None:
            self._readings[(org.id, period.id)] = known

    def reading(self, token: Token) -> tuple[Reading, Period]:
        org = orgs.unit(token.org_code) if token.org_code else self.org
        period = collection.period(token.period_code) if token.period_code else self.period
        if org is None or period is None:
            raise LookupError(token.text)
        if token.group_set:
            return sliced_reading(org, period, token.indicator, {token.group_set: token.group}), period
        key = (org.id, period.id)
        if key not in self._readings:
            self._readings[key] = readings(org, period)
        return self._readings[key][token.indicator], period

    def previous(self, period: Period) -> Period | None:
        """The period before ``period``, looked up once per report (a city report has hundreds of tokens)."""
        if period.id not in self._previous:
            self._previous[period.id] = period.previous()
        return self._previous[period.id]

    def value(self, token: Token) -> str:
        if token.problems:
            return token.text  # left visible, so a reviewer sees it; problems() refuses it before saving
        if token.fact:
            return _FACTS[token.fact][1](self.org, self.period)
        try:
            reading, period = self.reading(token)
        except LookupError:
            return token.text
        decimals = reading.decimals if token.decimals is None else token.decimals
        if token.modifier == "change":
            previous = self.previous(period)
            prev_year = previous.code if previous else str(int(period.code) - 1)
            variant = zlib.crc32(f"{self.org.code}{token.text}".encode()) if self.vary else 0
            return wording.change(reading, prev_year, variant, token.decimals)
        if token.modifier == "prev":
            return _number(reading.previous, token, decimals) + reading.unit
        if token.modifier == "delta":
            if reading.raw is None or reading.previous is None:
                return "—"
            return _number(abs(Decimal(repr(reading.value)) - Decimal(repr(reading.previous))), token, decimals) + (
                "个百分点" if reading.kind == "rate" else reading.unit
            )
        if token.modifier == "ratio":
            if reading.raw is None:
                return "—"
            first = half_up(Decimal(repr(reading.raw)) / 10, 0)
            assert first is not None
            return f"{first}:{10 - first}"
        number = _number(reading.raw, token, decimals)
        if token.modifier == "number" or reading.raw is None:
            return number
        return number + reading.unit

    def render(self, text: str) -> str:
        return TOKEN.sub(lambda m: self.explained(parse(m.group(1))), text or "")

    def explained(self, token: Token) -> str:
        """:meth:`value`, and where it is "—" for want of data, which units and elements are missing."""
        text = self.value(token)
        if "—" not in text or token.problems or token.fact or token.group_set:
            return text
        try:
            reading, period = self.reading(token)
        except LookupError:
            return text
        if reading.raw is not None:  # the "—" is about the previous year (:prev, :delta, :change)
            previous = self.previous(period)
            if previous is None or reading.previous is not None:
                return text
            period = previous
        org = orgs.unit(token.org_code) if token.org_code else self.org
        assert org is not None  # reading() found it
        return text + missing_note(org, period, token.indicator)


MISSING_NAMED = 3  # schools named in a "缺少" note before "等N所"


def missing_note(org: OrgUnit, period: Period, code: str) -> str:
    """ "（缺少：甲职业学校、乙职业学校等5所学校的在校生数、毕业生数）": the units asked for the indicator's elements
    whose approved data lack them (not approved yet, or approved without them) — "" when nothing is missing (the
    figure is empty for another reason, a zero denominator)."""
    indicator = by_code().get(code)
    if indicator is None or not indicator.elements:
        return ""
    elements = set(indicator.elements)
    names = collection.element_names(elements)
    own = indicator.aggregation == "own" or org.level == Level.SCHOOL
    expected = collection.expected_reporters(period, org, elements, only=own)
    present = collection.present_elements(period, [pk for pk, _ in expected], elements)
    lacking = [(name, elements - present.get(pk, set())) for pk, name in expected if elements - present.get(pk, set())]
    element_text = "、".join(names.get(c, c) for c in sorted(set().union(*(m for _, m in lacking)) or elements))
    if not expected:
        return f"（缺少：{period.name}未采集{element_text}）"
    if not lacking:
        return ""
    who = "、".join(name for name, _ in lacking[:MISSING_NAMED])
    if len(lacking) > MISSING_NAMED:
        who += f"等{len(lacking)}所学校"
    return f"（缺少：{who}的{element_text}）"


def _number(value: float | Decimal | None, token: Token, decimals: int) -> str:
    if value is None:
        return "—"
    if token.rounding:
        kept = significant(value, token.digits, down=token.rounding == "floor")
        assert kept is not None
        places = decimals if token.decimals is not None else max(0, -kept.as_tuple().exponent)  # type: ignore[operator]
        return fixed(kept, places)
    return fixed(value, decimals)


def render(text: str, org: OrgUnit, period: Period) -> str:
    """``text`` with every token replaced by its computed value for ``org`` and ``period``."""
    return Resolver(org, period).render(text)
