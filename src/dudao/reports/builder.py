"""Report builders (报告生成): a school's, a district's or the city's annual quality report as a plain document tree.

:func:`build` reads the report template (``catalog/reports/*.yaml``), the indicator results, the schools' reviewed
free text and 案例, and the responsibility statements, and returns a :class:`Report` — sections of paragraphs,
charts, tables and cases — that the HTML, PDF and DOCX renderers (:mod:`.render`) turn into files. Only data that
passed the principal's approval (locked submissions) reaches a report.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from django.conf import settings
from django.utils import timezone

from dudao.collection import selectors
from dudao.collection.expressions import parse
from dudao.indicators.definitions import by_code
from dudao.indicators.query import Reading, readings, series
from dudao.orgs.vocabulary import Level
from dudao.review.workflow import current_statement
from dudao.rounding import fixed

from . import charts, wording

if TYPE_CHECKING:
    from dudao.collection.models import Period
    from dudao.orgs.models import OrgUnit

SUBJECTS: dict[str, str] = {
    Level.CITY: "上海中等职业学校",
    Level.DISTRICT: "{name}中等职业学校",
    Level.SCHOOL: "{name}",
}
PLACEHOLDER = re.compile(r"\{([a-z_0-9]+)(?::(change|prev))?\}")


@dataclass
class Paragraph:
    text: str


@dataclass
class Chart:
    """A chart is kept as data (a published snapshot stores this) and drawn on first use."""

    number: int
    title: str
    kind: str  # "trend" | "pie"
    years: list[str] = field(default_factory=list)
    series: dict[str, list[float | None]] = field(default_factory=dict)
    parts: dict[str, float] = field(default_factory=dict)
    decimals: int = 2

    @cached_property
    def png(self) -> bytes:
        if self.kind == "pie":
            return charts.pie(self.parts)
        return charts.trend(self.years, self.series, self.decimals)


@dataclass
class Table:
    number: int
    title: str
    header: list[str]
    rows: list[list[str]]


@dataclass
class Case:
    number: int
    title: str
    body: str
    school: str


Block = Paragraph | Chart | Table | Case
BLOCKS: dict[str, type[Block]] = {cls.__name__: cls for cls in (Paragraph, Chart, Table, Case)}


@dataclass
class Section:
    number: str
    title: str
    level: int
    blocks: list[Block] = field(default_factory=list)


@dataclass
class SignedStatement:
    school: str
    signer: str
    signed_at: datetime
    sha256: str
    text: str


@dataclass
class Report:
    """Plain data only (codes and names, not model instances), so a published version can be frozen as JSON."""

    title: str
    org_code: str
    org_name: str
    level: str
    period_code: str
    period_name: str
    sections: list[Section]
    statements: list[SignedStatement]
    schools_total: int
    schools_signed: int
    generated_at: datetime

    def to_json(self) -> dict:
        data = asdict(self)
        for section, raw in zip(self.sections, data["sections"]):
            for block, raw_block in zip(section.blocks, raw["blocks"]):
                raw_block["type"] = type(block).__name__
        for raw in data["statements"]:
            raw["signed_at"] = raw["signed_at"].isoformat()
        data["generated_at"] = self.generated_at.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict) -> "Report":
        sections = []
        for raw in data["sections"]:
            blocks = []
            for item in raw["blocks"]:
                item = dict(item)
                blocks.append(BLOCKS[item.pop("type")](**item))
            sections.append(Section(raw["number"], raw["title"], raw["level"], blocks))
        statements = [
            SignedStatement(**{**s, "signed_at": datetime.fromisoformat(s["signed_at"])}) for s in data["statements"]
        ]
        fields = {k: v for k, v in data.items() if k not in ("sections", "statements", "generated_at")}
        return cls(
            **fields,
            sections=sections,
            statements=statements,
            generated_at=datetime.fromisoformat(data["generated_at"]),
        )


@cache
def template(code: str = "quality_annual") -> dict:
    with open(Path(settings.CATALOG_DIR) / "reports" / f"{code}.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def submissions_for(org: OrgUnit, period: Period, dataset: str):
    """The submissions a report about ``org`` speaks for: its subtree's, for the report's own data set only (a
    kindergarten's approved form is not a vocational school's)."""
    return selectors.submissions(dataset=dataset, period=period, under=org)


def _approved_submissions(org: OrgUnit, period: Period, dataset: str):
    return (
        selectors.approved_submissions(dataset=dataset, period=period, under=org)
        .select_related("org", "campaign")
        .order_by("org__path")
    )


class _Context:
    """Everything a template block needs, computed once per report."""

    def __init__(self, org: OrgUnit, period: Period, years: int, dataset: str):
        self.org, self.period = org, period
        self.periods = [period]
        while len(self.periods) < years and (prev := self.periods[0].previous()):
            self.periods.insert(0, prev)
        self.prev_year = self.periods[-2].code if len(self.periods) > 1 else str(int(period.code) - 1)
        self.readings: dict[str, Reading] = readings(org, period)
        self.subject = SUBJECTS[org.level].format(name=org.name)
        self.approved = list(_approved_submissions(org, period, dataset))
        self.schools_total = submissions_for(org, period, dataset).count()
        self.texts = self._texts()
        self.cases = self._cases()
        self.chart_no = 0
        self.table_no = 0
        self.case_no = 0

    def _texts(self) -> dict[tuple[int, str], str]:
        return selectors.text_values([s.org for s in self.approved], self.period)

    def _cases(self) -> list[Case]:
        found = []
        for sub in self.approved:
            for n in (1, 2):
                title = self.texts.get((sub.org_id, f"case_{n}_title"), "")
                body = self.texts.get((sub.org_id, f"case_{n}_body"), "")
                if title and body:
                    found.append(Case(0, title, body, sub.org.name))
        return found

    def coverage_text(self) -> str:
        signed = len(self.approved)
        pct = f"{fixed(signed / self.schools_total * 100)}%" if self.schools_total else "—"
        return (
            f"{self.schools_total}所学校参加质量年度报告数据采集，经校长核准并签署责任声明的{signed}所，"
            f"覆盖率{pct}。数据实行采集员填报、审核员审核、校长核准的“三级审核”。"
        )

    def sentence(self, text: str) -> str:
        def replace(match: re.Match) -> str:
            code, modifier = match.group(1), match.group(2)
            if code == "year":
                return self.period.code
            if code == "prev_year":
                return self.prev_year
            if code == "subject":
                return self.subject
            if code == "org":
                return self.org.name
            if code == "coverage_text":
                return self.coverage_text()
            reading = self.readings[code]
            if modifier == "change":
                return wording.change(reading, self.prev_year)
            if modifier == "prev":
                return wording.number(reading.previous, reading.decimals) + reading.unit
            return wording.with_unit(reading)

        rendered = PLACEHOLDER.sub(replace, text)
        return re.sub(r"，(?=[，；。])", "", rendered)  # a change we could not state leaves no dangling comma

    def chart(self, spec: dict) -> Chart | None:
        defs = by_code()
        years = [p.code for p in self.periods]
        if spec["chart"] == "trend":
            codes = spec["indicators"]
            data = series(self.org, codes, self.periods)
            if all(v is None for vs in data.values() for v in vs):
                return None
            self.chart_no += 1
            return Chart(
                self.chart_no,
                f"{years[0]}-{years[-1]}年{self.subject}{spec['title']}",
                "trend",
                years,
                {defs[c].name: data[c] for c in codes},
                decimals=max(defs[c].decimals for c in codes),
            )
        else:
            raw = {code: r.raw for code, r in self.readings.items()}
            values = {label: parse(str(expr)).evaluate(raw) for label, expr in spec["parts"].items()}
            parts = {label: float(v) for label, v in values.items() if v is not None}
            if len(parts) < len(values):  # a part that cannot be computed: no chart
                return None
        self.chart_no += 1
        return Chart(
            self.chart_no,
            f"{self.period.code}年{self.subject}{spec['title']}",
            "pie",
            parts=parts,
        )

    def table(self, spec: dict) -> Table:
        defs = by_code()
        codes = spec["table"]
        data = series(self.org, codes, self.periods)
        self.table_no += 1
        header = ["指标", *[f"{p.code}年" for p in self.periods], "单位", f"比{self.prev_year}年"]
        rows = []
        for code in codes:
            reading = self.readings[code]
            change = (
                ""
                if reading.change is None
                else (
                    f"{fixed(reading.change, reading.decimals, sign=True)}个百分点"
                    if reading.change_unit == "pp"
                    else f"{fixed(reading.change, 2, sign=True)}%"
                )
            )
            rows.append(
                [
                    defs[code].name,
                    *[wording.number(v, defs[code].decimals) for v in data[code]],
                    defs[code].unit,
                    change,
                ]
            )
        return Table(self.table_no, spec.get("title", ""), header, rows)


def _blocks(ctx: _Context, specs: list[dict]) -> list[Block]:
    blocks: list[Block] = []
    for spec in specs:
        if ctx.org.level not in spec.get("levels", [Level.SCHOOL, Level.DISTRICT, Level.CITY]):
            continue
        if "text" in spec:
            blocks.append(Paragraph(ctx.sentence(spec["text"])))
        elif "chart" in spec:
            chart = ctx.chart(spec)
            if chart:
                blocks.append(chart)
        elif "table" in spec:
            blocks.append(ctx.table(spec))
        elif "narrative" in spec:
            own = [s for s in ctx.approved if s.org_id == ctx.org.id]
            text = ctx.texts.get((ctx.org.id, spec["narrative"]), "") if own else ""
            blocks.extend(Paragraph(p.strip()) for p in text.splitlines() if p.strip())
        elif "cases" in spec:
            for _ in range(spec["cases"]):
                if ctx.cases:
                    case = ctx.cases.pop(0)
                    ctx.case_no += 1
                    case.number = ctx.case_no
                    blocks.append(case)
    return blocks


def build(org: OrgUnit, period: Period, template_code: str = "quality_annual") -> Report:
    spec = template(template_code)
    ctx = _Context(org, period, spec.get("years", 3), spec["dataset"])
    sections = []
    for i, section_spec in enumerate(spec["sections"], start=1):
        section = Section(str(i), section_spec["title"], 1, _blocks(ctx, section_spec.get("blocks", [])))
        sections.append(section)
        for j, sub_spec in enumerate(section_spec.get("subsections", []), start=1):
            sections.append(Section(f"{i}.{j}", sub_spec["title"], 2, _blocks(ctx, sub_spec.get("blocks", []))))
    statements = []
    for sub in ctx.approved:
        statement = current_statement(sub)
        if statement:
            statements.append(
                SignedStatement(
                    sub.org.name, statement.signer_name, statement.signed_at, statement.values_sha256, statement.text
                )
            )
    return Report(
        title=spec["title"].format(year=period.code, org=org.name),
        org_code=org.code,
        org_name=org.name,
        level=org.level,
        period_code=period.code,
        period_name=period.name,
        sections=sections,
        statements=statements,
        schools_total=ctx.schools_total,
        schools_signed=len(ctx.approved),
        generated_at=timezone.now(),
    )
