"""Year-end summary (年终交账): per section, what was completed with figures against targets, what is still in
progress and what lags, with the units' own words — rendered as HTML, PDF (WeasyPrint) or DOCX."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from django.template.loader import render_to_string

from dudao.documents import cjk_document, clean_text, html_to_pdf, official_page, printable

from .models import Plan
from .services import BoardRow, board
from .vocabulary import Status

FORMATS = ("html", "pdf", "docx")


@dataclass
class Item:
    no: int
    title: str
    units: str
    narrative: str
    figures: list[str] = field(default_factory=list)


@dataclass
class SectionSummary:
    no: int
    title: str
    completed: list[Item] = field(default_factory=list)
    in_progress: list[Item] = field(default_factory=list)
    lagging: list[Item] = field(default_factory=list)
    not_started: list[Item] = field(default_factory=list)


def _fmt(value: float) -> str:
    return f"{int(value)}" if float(value).is_integer() else f"{value:g}"


def _item(row: BoardRow) -> Item:
    figures = []
    for target in row.task.targets.all():
        actual = row.actuals.get(target.id)
        wanted = f"{target.get_comparator_display()}{_fmt(target.value)}{target.unit}"
        if actual is None:
            figures.append(f"目标{wanted}（{target.text}），尚未报送实际值")
        else:
            verdict = "已达成" if target.met_by(actual) else "未达成"
            figures.append(f"目标{wanted}，实际{_fmt(actual)}{target.unit}，{verdict}（{target.text}）")
    units = "、".join(f"{a.org.name}（{a.get_role_display()}）" for a in row.assignments) or "未分解"
    narrative = row.latest.narrative if row.latest else ""
    return Item(row.task.no, row.task.title, units, narrative, figures)


def build(plan: Plan) -> list[SectionSummary]:
    sections = {s.no: SectionSummary(s.no, s.title) for s in plan.sections.filter(subsection__isnull=True)}
    for row in board(plan):
        summary = sections.setdefault(row.task.section_no, SectionSummary(row.task.section_no, ""))
        item = _item(row)
        if row.status == Status.DONE:
            summary.completed.append(item)
        elif row.lagging or row.overdue:
            summary.lagging.append(item)
        elif row.status == Status.IN_PROGRESS:
            summary.in_progress.append(item)
        else:
            summary.not_started.append(item)
    return [sections[k] for k in sorted(sections)]


def heading(section: SectionSummary) -> str:
    """A section's heading, "3. 深化产教融合"; section 0 — the tasks a fragment of a plan has before any heading
    (``parser.UNKNOWN_SECTION``) — by its title alone: "0. （未识别部分）" numbers a section the document lacks."""
    return f"{section.no}. {section.title}" if section.no else section.title


def totals(sections: list[SectionSummary]) -> dict[str, int]:
    return {
        "completed": sum(len(s.completed) for s in sections),
        "in_progress": sum(len(s.in_progress) for s in sections),
        "lagging": sum(len(s.lagging) for s in sections),
        "not_started": sum(len(s.not_started) for s in sections),
    }


def to_html(plan: Plan) -> str:
    sections = build(plan)
    return render_to_string("plans/summary.html", {"plan": plan, "sections": sections, "totals": totals(sections)})


def to_pdf(plan: Plan) -> bytes:
    return html_to_pdf(to_html(plan))


def to_docx(plan: Plan) -> bytes:
    doc = cjk_document()
    official_page(doc)
    doc.add_heading(f"《{clean_text(plan.title)}》年终完成情况", level=0)
    sections = printable(build(plan))  # units' narratives may hold control characters, which Word's XML cannot carry
    t = totals(sections)
    doc.add_paragraph(
        f"共 {sum(t.values())} 项任务：已完成 {t['completed']} 项，推进中 {t['in_progress']} 项，"
        f"滞后 {t['lagging']} 项，未启动 {t['not_started']} 项。"
    )
    groups = (("completed", "已完成"), ("in_progress", "推进中"), ("lagging", "滞后"), ("not_started", "未启动"))
    for s in sections:
        doc.add_heading(heading(s), level=1)
        for attr, label in groups:
            items = getattr(s, attr)
            if not items:
                continue
            doc.add_heading(f"{label}（{len(items)}项）", level=2)
            for item in items:
                doc.add_paragraph(f"{item.no}. {item.title}（{item.units}）").runs[0].bold = True
                for figure in item.figures:
                    doc.add_paragraph(figure, style="List Bullet")
                if item.narrative:
                    doc.add_paragraph(("原因：" if attr == "lagging" else "进展：") + item.narrative)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def render(plan: Plan, fmt: str) -> bytes:
    if fmt == "html":
        return to_html(plan).encode("utf-8")
    if fmt == "pdf":
        return to_pdf(plan)
    if fmt == "docx":
        return to_docx(plan)
    raise ValueError(f"unknown format {fmt!r}")
