"""Renderers: one :class:`~.builder.Report`, three formats. HTML is the screen layout (the portal shows it, the
approver previews it); the PDF is typeset from the same blocks by Typst (:mod:`.typeset`, chosen over printing the
HTML with WeasyPrint for speed, see its docstring); DOCX is built from them too, for offices that edit in Word."""

from __future__ import annotations

import io

from django.template.loader import render_to_string

from dudao.documents import cjk_document, official_page, printable, word_field

from .builder import Case, Chart, Note, Paragraph, Report, Table

FORMATS = ("html", "pdf", "docx")


def to_html(report: Report) -> str:
    return render_to_string("reports/report.html", {"report": report})


def to_pdf(report: Report) -> bytes:
    from .typeset import to_pdf as typeset  # imported lazily: the Typst library is needed only for a PDF

    return typeset(report)


def _caption(doc, text: str):
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    paragraph = doc.add_paragraph(text, style="Caption" if "Caption" in [s.name for s in doc.styles] else None)
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return paragraph


def to_docx(report: Report) -> bytes:
    """The report as a Word file an office edits: A4, a cover, a TOC field over real Heading 1/2 styles, captions."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    report = printable(report)  # old texts may hold control characters, which Word's XML cannot carry
    doc = cjk_document()
    doc.styles["Normal"].font.size = Pt(12)
    official_page(doc, cover=True)
    for _ in range(6):
        doc.add_paragraph()
    doc.add_heading(report.title, level=0).alignment = WD_ALIGN_PARAGRAPH.CENTER
    meta = doc.add_paragraph(f"{report.org_name}（{report.org_code}） · {report.period_name}")
    meta.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for _ in range(10):
        doc.add_paragraph()
    for line in (report.issuer, report.issue_date):
        cover_line = doc.add_paragraph()
        cover_line.alignment = WD_ALIGN_PARAGRAPH.CENTER
        cover_line.add_run(line).font.size = Pt(16)
    doc.add_page_break()
    toc_title = doc.add_paragraph()
    toc_title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    toc_title.add_run("目　录").bold = True
    word_field(doc.add_paragraph(), 'TOC \\o "1-3" \\h \\z \\u', "（打开文件时更新目录；如未更新，请右键“更新域”。）")
    doc.add_page_break()
    for section in report.sections:
        doc.add_heading(f"{section.number} {section.title}".strip(), level=section.level)
        for block in section.blocks:
            if isinstance(block, Paragraph):
                p = doc.add_paragraph(block.text)
                p.paragraph_format.first_line_indent = Pt(24)
            elif isinstance(block, Chart):
                doc.add_picture(io.BytesIO(block.png), width=Cm(14))
                doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
                _caption(doc, f"图{block.number} {block.title}")
            elif isinstance(block, Table):
                _caption(doc, f"表{block.number} {block.title}")
                table = doc.add_table(rows=1, cols=len(block.header))
                table.style = "Table Grid"
                _repeat_header(table.rows[0])
                for cell, text in zip(table.rows[0].cells, block.header):
                    cell.text = text
                for row in block.rows:
                    for cell, text in zip(table.add_row().cells, row):
                        cell.text = text
            elif isinstance(block, Case):
                doc.add_paragraph().add_run(f"案例{block.number} {block.title}").bold = True
                doc.add_paragraph(block.body).paragraph_format.first_line_indent = Pt(24)
                if report.level != "school":
                    doc.add_paragraph(f"——{block.school}").alignment = WD_ALIGN_PARAGRAPH.RIGHT
            elif isinstance(block, Note):
                doc.add_paragraph().add_run(block.text).font.size = Pt(9)
    doc.add_page_break()
    doc.add_heading("责任声明与数据说明", level=1)
    doc.add_paragraph(report.sources_sentence)
    if report.data_as_of:
        doc.add_paragraph(report.as_of_sentence)
    if report.coverage_note:
        doc.add_paragraph(report.coverage_note)
    if report.level == "school":
        for s in report.statements:
            doc.add_paragraph(s.text)
            doc.add_paragraph(f"{s.school}　签署人：{s.signer}　签署时间：{s.signed_at:%Y-%m-%d %H:%M}")
            doc.add_paragraph(f"核准数据 SHA-256：{s.sha256}")
    elif report.statements:
        _caption(doc, "附表 各校责任声明（核准数据 SHA-256 列出前12位，完整值可在线核验）")
        table = doc.add_table(rows=1, cols=5)
        table.style = "Table Grid"
        _repeat_header(table.rows[0])
        for cell, text in zip(table.rows[0].cells, ("序号", "学校", "签署人", "签署日期", "核准数据 SHA-256")):
            cell.text = text
        for i, s in enumerate(report.statements, 1):
            values = (str(i), s.school, s.signer, f"{s.signed_at:%Y-%m-%d}", s.sha256[:12])
            for cell, text in zip(table.add_row().cells, values):
                cell.text = text
    if report.verify_url:
        doc.add_paragraph("本文件发布后，可在以下页面核验其 SHA-256 是否与公开发布的版本一致：")
        doc.add_paragraph(report.verify_url)
        import segno

        qr = io.BytesIO()
        segno.make(report.verify_url, error="m").save(qr, kind="png", scale=4, border=2)
        doc.add_picture(qr, width=Cm(2.8))
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _repeat_header(row) -> None:
    """Mark a table's first row as a header row Word repeats on every page the table spans."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(header)


def render(report: Report, fmt: str) -> bytes:
    if fmt == "html":
        return to_html(report).encode("utf-8")
    if fmt == "pdf":
        return to_pdf(report)
    if fmt == "docx":
        return to_docx(report)
    raise ValueError(f"unknown format {fmt!r}; choose one of {FORMATS}")
