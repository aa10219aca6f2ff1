"""Document output shared by every app that prints (报告、评估报告、年终交账): PDF from HTML, Word with CJK fonts.

It sits below the apps (like ``dudao.errors``) so that the quality report, evaluation reports and the plan summary
print the same way without one app importing another's renderer.
"""

from __future__ import annotations

import atexit
import threading
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from dudao import fonts
from dudao.errors import DudaoError

if TYPE_CHECKING:
    from docx.document import Document as WordDocument
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

SANS = fonts.FAMILIES["sans"]  # 黑体-like: headings, tables, charts
SERIF = fonts.FAMILIES["serif"]  # 宋体-like: body text
CJK_FONT = SANS.name


def require_fonts() -> None:
    """Refuses to render without the shipped fonts: an error that says what to run beats a PDF of empty boxes."""
    absent = fonts.missing()
    if absent:
        raise DudaoError(
            _("报告字体缺失（%(files)s）：请先运行 dudao fonts 下载字体，再生成文档。")
            % {"files": "、".join(path.name for path in absent)},
            status=503,
        )


def font_face_css() -> str:
    """@font-face rules naming the shipped files (``Dudao Sans`` / ``Dudao Serif``), added to every printed HTML.

    By file and under our own family names, so WeasyPrint never falls back to whatever fontconfig finds (or does not
    find) on the machine. Templates say ``font-family: "Dudao Serif"``; the browser preview of the same HTML lacks
    these rules and falls back to the next names in the template's list.
    """
    return "\n".join(
        f'@font-face {{ font-family: "{family.css_name}"; font-weight: {weight}; font-style: normal; '
        f'src: url("{(fonts.fonts_dir() / face.filename).as_uri()}") format("truetype"); }}'
        for family in (SANS, SERIF)
        for weight, face in family.faces.items()
    )


def cjk_document() -> WordDocument:
    """A python-docx Document whose styles name Noto Serif SC (body) and Noto Sans SC (titles) for Chinese text.

    Word looks East Asian glyphs up in the ``w:eastAsia`` slot by family name; the fonts are not embedded, Word
    substitutes a local 宋体/黑体 when they are not installed.
    """
    from docx import Document
    from docx.oxml.ns import qn

    doc = Document()
    for style_name in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3"):
        style = doc.styles[style_name]
        name = SERIF.name if style_name == "Normal" else SANS.name
        style.font.name = name
        style.element.rPr.rFonts.set(qn("w:eastAsia"), name)  # Word picks East Asian glyphs from this slot
    return doc


_per_thread = threading.local()
atexit.register(_per_thread.__dict__.clear)  # drop the fontconfig handle while its library is still loaded


def _font_stylesheet() -> tuple[CSS, FontConfiguration]:
    """The @font-face sheet and its FontConfiguration, built once per thread.

    Parsing the sheet loads the four font files into a fontconfig configuration, which is the slow part; reusing it
    keeps that cost out of every document. Per thread because a fontconfig configuration is not shared safely across
    the web server's threads.
    """
    where = fonts.fonts_dir()
    if getattr(_per_thread, "where", None) != where:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        config = FontConfiguration()
        _per_thread.fonts = (CSS(string=font_face_css(), font_config=config), config)
        _per_thread.where = where
    fonts_and_config: tuple[CSS, FontConfiguration] = _per_thread.fonts
    return fonts_and_config


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported lazily: Pango is needed only when a PDF is asked for

    require_fonts()
    sheet, config = _font_stylesheet()
    pdf: bytes = HTML(string=html).write_pdf(stylesheets=[sheet], font_config=config)
    return pdf
