"""Report builders (报告生成): a school's, a district's or the city's annual quality report as a plain document tree.

:func:`build` reads the report template (``catalog/reports/*.yaml``), the indicator results, the schools' reviewed
free text and 案例, and the responsibility statements, and returns a :class:`Report` — sections of paragraphs,
charts, tables and cases — that the HTML, PDF and DOCX renderers (:mod:`.render`) turn into files. Only data that
passed the principal's approval (locked submissions) reaches a report.
"""

from __future__ import annotations

import re
import zlib
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
from dudao.indicators.query import Reading, data_as_of, readings, series
from dudao.orgs.vocabulary import Level
from dudao.review.workflow import current_statement
from dudao.rounding import fixed
from dudao.statistics import selectors as statistics

from . import charts, contributions, references, wording
from .contributions import Part

if TYPE_CHECKING:
    from dudao.collection.models import Period
    from dudao.orgs.models import OrgUnit

SUBJECTS: dict[str, str] = {
    Level.CITY: "上海中等职业学校",
    Level.DISTRICT: "{name}中等职业学校",
    Level.SCHOOL: "{name}",
}


@dataclass
class Paragraph:
    text: str


@dataclass
class Chart:
    """A chart is kept as data (a published snapshot stores this) and drawn on first use."""

    number: int | str  # "2-1" (chapter-figure); a plain int in snapshots frozen before per-chapter numbering
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
    number: int | str  # "1-1", as :class:`Chart`
    title: str
    header: list[str]
    rows: list[list[str]]


@dataclass
class Case:
    number: int
    title: str
    body: str
    school: str


@dataclass
class Note:
    """A small-print line under a figure or table: 数据来源 (which published statistics it comes from)."""

    text: str


Block = Paragraph | Chart | Table | Case | Note
BLOCKS: dict[str, type[Block]] = {cls.__name__: cls for cls in (Paragraph, Chart, Table, Case, Note)}


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
    # when the figures were last brought up to date ("数据截至"); "" in versions frozen before it was recorded
    data_as_of: str = ""
    # Set when a district or city report is published before every school's data was approved: the coverage and the
    # requester's reason, printed in the data note. Defaulted, so snapshots frozen before it existed still load.
    coverage_note: str = ""
    # The public page where anyone checks a published file's SHA-256 (set when a version is requested for
    # publication; "" for reports rendered outside the portal and in snapshots frozen before it existed).
    verify_url: str = ""
    # A report not made of schools' data (the 工作年报, compiled from the offices' reviewed accounts) says where its
    # content comes from here; it then replaces the sources sentence and the schools' statements table.
    data_note: str = ""

    @property
    def issuer(self) -> str:
        """Who issues the report (the cover's 发布单位): the city's education commission, a district's education
        bureau, a school itself."""
        if self.level == Level.CITY:
            return f"{self.org_name}教育委员会"
        if self.level == Level.DISTRICT:
            return f"{self.org_name}教育局"
        return self.org_name

    @property
    def issue_date(self) -> str:
        """The cover's date, "2021年2月1日", on the site's calendar (a report generated at 23:30 UTC is Shanghai's next
        day), as the HTML's ``|date`` shows it — for the PDF and the DOCX."""
        issued = timezone.localtime(self.generated_at) if timezone.is_aware(self.generated_at) else self.generated_at
        return f"{issued.year}年{issued.month}月{issued.day}日"

    @property
    def sources_sentence(self) -> str:
        """The data note's first sentence (数据说明), worded once for the HTML, the PDF and the DOCX."""
        if self.data_note:
            return self.data_note
        approved = f"经“三级审核”并由校长核准的{self.schools_signed}所学校"
        return f"本报告数据来源于{self.schools_total}所学校中{approved}的填报数据。"

    @property
    def as_of_sentence(self) -> str:
        """ "数据截至…。" — "" in snapshots frozen before the time was recorded."""
        return f"数据截至{self.data_as_of}。" if self.data_as_of else ""

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
    """The report family: its data set, title and years, and one outline file per level."""
    with open(Path(settings.CATALOG_DIR) / "reports" / f"{code}.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@cache
def outline(code: str, level: str) -> list[dict]:
    """The chapters of ``code``'s report about an org of ``level`` (学校 / 区 / 市 outlines differ)."""
    with open(Path(settings.CATALOG_DIR) / "reports" / template(code)["outlines"][level], encoding="utf-8") as fh:
        return yaml.safe_load(fh)["sections"]


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


def collection_coverage(org: OrgUnit, period: Period) -> str:
    """How many schools took part in the collection and how many approved their data (质量保证 statement)."""
    dataset = template()["dataset"]
    total = submissions_for(org, period, dataset).count()
    signed = _approved_submissions(org, period, dataset).count()
    pct = f"{fixed(signed / total * 100)}%" if total else "—"
    return (
        f"{total}所学校参加质量年度报告数据采集，经校长核准并签署责任声明的{signed}所，"
        f"覆盖率{pct}。数据实行采集员填报、审核员审核、校长核准的“三级审核”。"
    )


def _choose(options: list[str], *salt: str) -> str:
    """One of several wordings, chosen by the org and the block — stable across rebuilds, different between orgs,
    so 71 school reports do not read as one form letter."""
    return options[zlib.crc32("|".join(salt).encode()) % len(options)]


class _Context:
    """Everything a template block needs, computed once per report."""

    def __init__(self, org: OrgUnit, period: Period, years: int, dataset: str):
        self.org, self.period = org, period
        self.periods = [period]
        while len(self.periods) < years and (prev := self.periods[0].previous()):
            self.periods.insert(0, prev)
        self.prev_year = self.periods[-2].code if len(self.periods) > 1 else str(int(period.code) - 1)
        self.readings: dict[str, Reading] = readings(org, period)
        self.resolver = references.Resolver(org, period, vary=org.level != Level.CITY, known=self.readings)
        self.subject = SUBJECTS[org.level].format(name=org.name)
        self.approved = list(_approved_submissions(org, period, dataset))
        self.schools_total = submissions_for(org, period, dataset).count()
        self.texts = selectors.text_values([org, *(s.org for s in self.approved)], period)
        self.own_texts_approved = bool(selectors.approved_submissions(period=period, orgs=[org]).exists())
        self.cases = selectors.cases(period, under=org)
        # (author, title) of every case printed so far: one key for the outline's own cases and the compilers'
        # picks alike, so a case reaches a report once whichever way it comes
        self.used_cases: set[tuple[str, str]] = set()
        self.block_no = 0

    def sentence(self, text: str | list[str], key: str = "") -> str:
        self.block_no += 1
        if isinstance(text, list):
            text = _choose(text, self.org.code, self.period.code, key, str(self.block_no))
        rendered = self.resolver.render(text)
        for word, value in (
            ("{year}", self.period.code),
            ("{prev_year}", self.prev_year),
            ("{subject}", self.subject),
            ("{org}", self.org.name),
        ):
            rendered = rendered.replace(word, value)
        return re.sub(r"，(?=[，；。])", "", rendered)  # a change we could not state leaves no dangling comma

    def chart(self, spec: dict) -> Chart | None:
        defs = by_code()
        years = [p.code for p in self.periods]
        if spec["chart"] == "trend":
            codes = spec["indicators"]
            data = series(self.org, codes, self.periods)
            if all(v is None for vs in data.values() for v in vs):
                return None
            return Chart(
                0,
                f"{years[0]}-{years[-1]}年{self.subject}{spec['title']}",
                "trend",
                years,
                {defs[c].name: data[c] for c in codes},
                decimals=max(defs[c].decimals for c in codes),
            )
        raw = {code: r.raw for code, r in self.readings.items()}
        values = {label: parse(str(expr)).evaluate(raw) for label, expr in spec["parts"].items()}
        parts = {label: float(v) for label, v in values.items() if v is not None}
        if len(parts) < len(values):  # a part that cannot be computed: no chart
            return None
        return Chart(0, f"{self.period.code}年{self.subject}{spec['title']}", "pie", parts=parts)

    def table(self, spec: dict) -> Table:
        defs = by_code()
        codes = spec["table"]
        data = series(self.org, codes, self.periods)
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
        return Table(0, spec.get("title", ""), header, rows)

    def ranking(self, spec: dict) -> Paragraph | None:
        """The largest part and its share in words ("财经商贸类专业在校生最多，占31.2%")."""
        parts = {label: self.readings[code].raw for label, code in spec["ranking"]["parts"].items()}
        total = self.readings[spec["ranking"]["total"]].raw
        known = {label: v for label, v in parts.items() if v is not None}
        if not known or not total:
            return None
        top = max(known, key=lambda label: known[label] or 0)
        share = f"{fixed((known[top] or 0) / total * 100, 1)}%"
        return Paragraph(spec["text"].replace("{top}", top).replace("{share}", share))

    def sources_note(self, codes: set[str]) -> Note | None:
        """数据来源 under a figure or table whose indicators come from imported public statistics."""
        note = sources_note(codes, self.org, self.period)
        return Note(note) if note else None

    def own_cases(self, key: str, orgs: set[int], limit: int | None = None) -> list[Case]:
        found = []
        for record in self.cases:
            if record.org_id not in orgs or not _in_chapter(record.chapter, key):
                continue
            if (record.org_name, record.title) in self.used_cases:
                continue  # never repeat a case
            self.used_cases.add((record.org_name, record.title))
            found.append(Case(0, record.title, record.body, record.org_name))
            if limit and len(found) >= limit:
                break
        return found


def _in_chapter(case_chapter: str, key: str) -> bool:
    """A case filed under "2.2" belongs to chapter "2" and subsection "2.2"; one filed under "2" to chapter "2" only."""
    return case_chapter == key or case_chapter.startswith(key + ".")


def sources_note(indicators: set[str], org: OrgUnit, period: Period) -> str:
    """ "数据来源：《…》（发布单位，日期），链接" for the public statistics behind ``indicators`` (own figures only; a
    figure computed from the schools' approved data needs no note — the report's statement page covers it)."""
    defs = by_code()
    own = [defs[c] for c in indicators if c in defs and defs[c].aggregation == "own"]
    elements = set().union(*(i.elements for i in own)) if own else set()
    if not elements:
        return ""
    cited = [
        source.citation + (f"，{source.link}" if source.link else "")
        for source in statistics.sources_for(elements, org, period)
    ]
    return "数据来源：" + "；".join(cited) if cited else ""


def _blocks(ctx: _Context, specs: list[dict], key: str, compiled: list[Part]) -> list[Block]:
    blocks: list[Block] = []
    written = any(part.blocks for part in compiled)
    for spec in specs:
        if spec.get("fallback") and written:
            continue
        if "ranking" in spec:  # before "text": a ranking carries its sentence in `text`
            if paragraph := ctx.ranking(spec):
                blocks.append(paragraph)
        elif "text" in spec:
            codes = {t.indicator for t in references.tokens(_all_text(spec["text"]))}
            blocks.append(Paragraph(ctx.sentence(spec["text"], key)))
            if note := ctx.sources_note(codes):
                blocks.append(note)
        elif "chart" in spec:
            chart = ctx.chart(spec)
            if chart:
                blocks.append(chart)
        elif "table" in spec:
            blocks.append(ctx.table(spec))
            if note := ctx.sources_note(set(spec["table"])):
                blocks.append(note)
        elif "narrative" in spec:
            text = ctx.texts.get((ctx.org.id, spec["narrative"]), "") if ctx.own_texts_approved else ""
            blocks.extend(Paragraph(p.strip()) for p in ctx.resolver.render(text).splitlines() if p.strip())
        elif "cases" in spec:
            orgs = {ctx.org.id} if spec["cases"] == "own" else {s.org_id for s in ctx.approved}
            blocks.extend(ctx.own_cases(spec.get("chapter", key), orgs, None if spec["cases"] == "own" else 1))
        elif "compiled" in spec:
            for part in compiled:
                if not part.title:
                    blocks.extend(_with_sources(_fresh_cases(ctx, part.blocks), part.sources))
    return blocks


def _fresh_cases(ctx: _Context, blocks: list[Block]) -> list[Block]:
    kept: list[Block] = []
    for block in blocks:
        if isinstance(block, Case):
            if (block.school, block.title) in ctx.used_cases:
                continue
            ctx.used_cases.add((block.school, block.title))
        kept.append(block)
    return kept


def _with_sources(blocks: list[Block], sources: list[str]) -> list[Block]:
    """A part's 数据来源 notes go under its text, before its cases."""
    text = [b for b in blocks if not isinstance(b, Case)]
    return [*text, *(Note(source) for source in sources), *(b for b in blocks if isinstance(b, Case))]


def _all_text(text: str | list[str]) -> str:
    return "\n".join(text) if isinstance(text, list) else text


def _compiled(ctx: _Context, specs: list[dict], key: str) -> list[Part]:
    names = [spec["compiled"] for spec in specs if "compiled" in spec]
    return [part for name in names for part in contributions.parts(name, ctx.org, ctx.period, key)]


def _numbered(sections: list[Section]) -> None:
    """Figures and tables are numbered per chapter as official documents number them ("图2-1" is chapter 2's first
    figure, "表1-1"; the unnumbered 前言 counts as chapter 0); cases run through the whole report (案例1, 案例2…)."""
    per_chapter: dict[tuple[type, str], int] = {}
    cases = 0
    for section in sections:
        chapter = section.number.split(".")[0] or "0"
        for block in section.blocks:
            if isinstance(block, Chart | Table):
                key = (type(block), chapter)
                per_chapter[key] = per_chapter.get(key, 0) + 1
                block.number = f"{chapter}-{per_chapter[key]}"
            elif isinstance(block, Case):
                cases += 1
                block.number = cases


def build(org: OrgUnit, period: Period, template_code: str = "quality_annual") -> Report:
    spec = template(template_code)
    ctx = _Context(org, period, spec.get("years", 3), spec["dataset"])
    sections: list[Section] = []
    for chapter in outline(template_code, org.level):
        key = str(chapter["key"])
        number = "" if key == "0" else key
        specs = chapter.get("blocks", [])
        compiled = _compiled(ctx, specs, key)
        section = Section(number, chapter["title"], 1, _blocks(ctx, specs, key, compiled))
        children: list[Section] = []
        for sub in chapter.get("subsections", []):
            sub_key = str(sub["key"])
            sub_specs = sub.get("blocks", [])
            blocks = _blocks(ctx, sub_specs, sub_key, _compiled(ctx, sub_specs, sub_key))
            if blocks:
                children.append(Section(sub_key, sub["title"], 2, blocks))
        for part in compiled:
            if part.title and part.blocks:
                number_in = f"{key}.{len(children) + 1}"
                children.append(
                    Section(number_in, part.title, 2, _with_sources(_fresh_cases(ctx, part.blocks), part.sources))
                )
        if section.blocks or children:
            sections.append(section)
            sections.extend(children)
    _numbered(sections)
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
        data_as_of=_as_of_text(period),
    )


def _as_of_text(period: Period) -> str:
    as_of = data_as_of(period)
    return timezone.localtime(as_of).strftime("%Y-%m-%d %H:%M") if as_of else ""
