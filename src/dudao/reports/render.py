"""Renderers: one :class:`~.builder.Report`, three formats. HTML is the master layout (the portal shows it and
WeasyPrint prints it to PDF); DOCX is built from the same blocks for offices that edit reports in Word."""

from __future__ import annotations

import io

from django.template.loader import render_to_string

from dudao.documents import cjk_document, html_to_pdf

from .builder import Case, Chart, Note, Paragraph, Report, Table

FORMATS = ("html", "pdf", "docx")


def to_html(report: Report) -> str:
    return render_to_string("reports/report.html", {"report": report})


def to_pdf(report: Report) -> bytes:
    return html_to_pdf(to_html(report))


def to_docx(report: Report) -> bytes:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    doc = cjk_document()
    doc.styles["Normal"].font.size = Pt(11)
    doc.add_heading(report.title, level=0).alignment = WD_ALIGN_PARAGRAPH.CENTER
    meta = doc.add_paragraph(f"{report.org_name}（{report.org_code}） · {report.period_name}")
    meta.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for section in report.sections:
        doc.add_heading(f"{section.number} {section.title}".strip(), level=section.level)
        for block in section.blocks:
            if isinstance(block, Paragraph):
                p = doc.add_paragraph(block.text)
                p.paragraph_format.first_line_indent = Pt(22)
            elif isinstance(block, Chart):
                doc.add_picture(io.BytesIO(block.png), width=Cm(14))
                doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
                doc.add_paragraph(f"图{block.number} {block.title}").alignment = WD_ALIGN_PARAGRAPH.CENTER
            elif isinstance(block, Table):
                doc.add_paragraph(f"表{block.number} {block.title}").alignment = WD_ALIGN_PARAGRAPH.CENTER
                table = doc.add_table(rows=1, cols=len(block.header))
                table.style = "Table Grid"
                for cell, text in zip(table.rows[0].cells, block.header):
                    cell.text = text
                for row in block.rows:
                    for cell, text in zip(table.add_row().cells, row):
                        cell.text = text
            elif isinstance(block, Case):
                doc.add_paragraph().add_run(f"案例{block.number} {block.title}").bold = True
                doc.add_paragraph(block.body).paragraph_format.first_line_indent = Pt(22)
                if report.level != "school":
                    doc.add_paragraph(f"——{block.school}").alignment = WD_ALIGN_PARAGRAPH.RIGHT
            elif isinstance(block, Note):
                doc.add_paragraph().add_run(block.text).font.size = Pt(9)
    doc.add_page_break()
    doc.add_heading("责任声明与数据说明", level=1)
    doc.add_paragraph(
        f"本报告数据来源于{report.schools_total}所学校中经“三级审核”并由校长核准的{report.schools_signed}所学校的填报数据。"
    )
    if report.data_as_of:
        doc.add_paragraph(f"数据截至{report.data_as_of}。")
    if report.coverage_note:
        doc.add_paragraph(report.coverage_note)
    for s in report.statements:
        if report.level == "school":
            doc.add_paragraph(s.text)
        doc.add_paragraph(f"{s.school}　签署人：{s.signer}　签署时间：{s.signed_at:%Y-%m-%d %H:%M}")
        doc.add_paragraph(f"核准数据 SHA-256：{s.sha256}")
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def render(report: Report, fmt: str) -> bytes:
    if fmt == "html":
        return to_html(report).encode("utf-8")
    if fmt == "pdf":
        return to_pdf(report)
    if fmt == "docx":
        return to_docx(report)
    raise ValueError(f"unknown format {fmt!r}; choose one of {FORMATS}")
