"""Document output shared by every app that prints (报告、评估报告、年终交账): PDF from HTML, Word with CJK fonts.

It sits below the apps (like ``dudao.errors``) so that the quality report, evaluation reports and the plan summary
print the same way without one app importing another's renderer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docx.document import Document as WordDocument

CJK_FONT = "Noto Sans CJK SC"


def cjk_document() -> WordDocument:
    """A python-docx Document whose styles use Noto Sans CJK SC for Chinese text (shared by every DOCX we write)."""
    from docx import Document
    from docx.oxml.ns import qn

    doc = Document()
    for style_name in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3"):
        style = doc.styles[style_name]
        style.font.name = CJK_FONT
        style.element.rPr.rFonts.set(qn("w:eastAsia"), CJK_FONT)  # Word picks East Asian glyphs from this slot
    return doc


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported lazily: Pango is needed only when a PDF is asked for

    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
