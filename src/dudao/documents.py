"""Documents in and out, shared by every app: PDF from HTML, Word with CJK fonts, Excel cells, and the checks an
uploaded Office file (.xlsx, .docx) passes before any parser opens it.

It sits below the apps (like ``dudao.errors``) so that the quality report, evaluation reports and the plan summary
print the same way without one app importing another's renderer, and so that every export writes text the one safe
way (:func:`clean_text`, :func:`text_cell`, :func:`append_row`) and every upload meets the same limits
(:func:`check_office_zip`).
"""

from __future__ import annotations

import atexit
import copy
import dataclasses
import io
import re
import threading
import zipfile
import zlib
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from dudao import fonts
from dudao.errors import UNPROCESSABLE, DudaoError
from dudao.rounding import fixed

if TYPE_CHECKING:
    from docx.document import Document as WordDocument
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet.worksheet import Worksheet
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


def word_field(paragraph: Any, instruction: str, placeholder: str = "") -> None:
    """A Word field (TOC, PAGE) as begin/instruction/separate/result/end runs; Word computes it (see updateFields)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def run_with(tag: str, **attrs: str) -> Any:
        run = paragraph.add_run()
        element = OxmlElement(tag)
        for key, value in attrs.items():
            element.set(qn(key), value)
        if tag == "w:instrText":
            element.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            element.text = instruction
        run._r.append(element)
        return run

    run_with("w:fldChar", **{"w:fldCharType": "begin", "w:dirty": "true"})
    run_with("w:instrText")
    run_with("w:fldChar", **{"w:fldCharType": "separate"})
    paragraph.add_run(placeholder)
    run_with("w:fldChar", **{"w:fldCharType": "end"})


def official_page(doc: WordDocument, *, cover: bool = False) -> None:
    """A4 with the margins of GB/T 9704 (top 37 mm, bottom 35 mm, inside 28 mm, outside 26 mm), page numbers「— 1 —」
    in the footer (none on a ``cover``), and fields (the table of contents, page numbers) brought up to date when
    Word opens the file. Every Word file the platform writes for print goes through here."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm

    for section in doc.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)
        section.different_first_page_header_footer = cover  # no number on a cover
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        footer.add_run("— ")
        word_field(footer, "PAGE", "1")
        footer.add_run(" —")
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    settings = doc.settings.element
    # Word rejects settings.xml whose children are out of the schema's order: updateFields goes before these
    later = {qn(f"w:{tag}") for tag in _AFTER_UPDATE_FIELDS} | {qn("m:mathPr"), qn("sl:schemaLibrary")}
    follower = next((child for child in settings if child.tag in later), None)
    if follower is None:
        settings.append(update)
    else:
        follower.addprevious(update)


# CT_Settings children that come after w:updateFields (ECMA-376 Part 1, 17.15.1.78)
_AFTER_UPDATE_FIELDS = (
    "hdrShapeDefaults footnotePr endnotePr compat docVars rsids attachedSchema themeFontLang clrSchemeMapping "
    "doNotIncludeSubdocsInStats doNotAutoCompressPictures forceUpgrade captions readModeInkLockDown smartTagType "
    "shapeDefaults doNotEmbedSmartTags decimalSymbol listSeparator"
).split()


def _lines(text: str) -> str:
    """Text read from HTML (runs of white space already one space) with each line trimmed: a ``<br>`` between two
    indented template lines must not leave spaces at the start of the next line in Word."""
    return "\n".join(line.strip() for line in text.split("\n")).strip()


class _WordWriter:
    """Feeds :func:`html_to_docx`: walks the HTML of a printed report (headings, paragraphs, lists, tables) and
    writes the same blocks into a Word document. Kept to what report templates use; anything else contributes its
    text to the paragraph around it, so nothing printed is lost in Word."""

    BLOCKS = {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "caption", "dt", "dd", "blockquote"}
    SKIP = {"head", "style", "script", "title", "template", "form", "button", "input", "select", "textarea"}

    def __init__(self, doc: WordDocument) -> None:
        self.doc = doc
        self.text: list[str] = []
        self.block: tuple[str, str] = ("p", "")  # tag and class of the block being read
        self.skipping = 0
        self.lists: list[list[int]] = []  # per open list: [ordered?, counter]
        self.table: list[list[tuple[str, bool]]] | None = None  # rows of (text, is header)
        self.cell: list[str] | None = None
        self.cell_header = False
        self.tables_open = 0

    # -- the parser's callbacks
    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
            return
        if self.skipping:
            return
        if tag == "table":
            self.tables_open += 1
            if self.tables_open == 1:
                self.flush()
                self.table = []
            return
        if self.table is not None:
            if tag == "tr" and self.tables_open == 1:
                self.table.append([])
            elif tag in ("td", "th") and self.tables_open == 1:
                self.cell, self.cell_header = [], tag == "th"
            elif tag == "br" and self.cell is not None:
                self.cell.append("\n")
            return
        if tag in ("ul", "ol"):
            self.flush()
            self.lists.append([tag == "ol", 0])
        elif tag in self.BLOCKS:
            self.flush()
            self.block = (tag, attrs.get("class") or "")
        elif tag == "br":
            self.text.append("\n")

    def end(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
            return
        if self.skipping:
            return
        if tag == "table":
            self.tables_open = max(0, self.tables_open - 1)
            if self.tables_open == 0 and self.table is not None:
                self.write_table(self.table)
                self.table = None
            return
        if self.table is not None:
            if tag in ("td", "th") and self.cell is not None and self.tables_open == 1:
                if not self.table:
                    self.table.append([])
                self.table[-1].append((_lines("".join(self.cell)), self.cell_header))
                self.cell = None
            return
        if tag in ("ul", "ol"):
            self.flush()
            if self.lists:
                self.lists.pop()
        elif tag in self.BLOCKS:
            self.flush()

    def data(self, text: str) -> None:
        if self.skipping:
            return
        text = re.sub(r"\s+", " ", text)
        if self.table is not None:
            if self.cell is not None:
                self.cell.append(text)
            return
        self.text.append(text)

    # -- writing
    def flush(self) -> None:
        """Write the text read since the last block boundary as the block it belongs to."""
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Pt

        text = _lines("".join(self.text))
        self.text = []
        tag, css = self.block
        self.block = ("p", "")
        if not text:
            return
        text = clean_text(text)
        if tag == "h1":
            self.doc.add_heading(text, level=0).alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif tag in ("h2", "h3", "h4", "h5", "h6"):
            self.doc.add_heading(text, level=min(int(tag[1]) - 1, 3))
        elif tag == "li" and self.lists:
            ordered = self.lists[-1]
            ordered[1] += 1
            self.doc.add_paragraph(f"{ordered[1]}. {text}" if ordered[0] else f"· {text}")
        else:
            paragraph = self.doc.add_paragraph(text)
            if "meta" in css.split():
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            elif tag == "p":
                paragraph.paragraph_format.first_line_indent = Pt(24)

    def write_table(self, rows: list[list[tuple[str, bool]]]) -> None:
        rows = [row for row in rows if row]
        if not rows:
            return
        width = max(len(row) for row in rows)
        table = self.doc.add_table(rows=0, cols=width)
        table.style = "Table Grid"
        for row in rows:
            cells = table.add_row().cells
            for cell, (text, header) in zip(cells, row):
                run = cell.paragraphs[0].add_run(clean_text(text))
                run.bold = header
        self.doc.add_paragraph()


def html_to_docx(html: str) -> bytes:
    """A printed report's HTML as a Word file, for the offices that edit in Word: the same headings, paragraphs,
    lists and tables, A4 with CJK fonts (:func:`cjk_document`). For the reports rendered from a template (the
    evaluation reports); the quality report has its own builder, which knows its figures and captions."""
    from html.parser import HTMLParser

    doc = cjk_document()
    official_page(doc)
    writer = _WordWriter(doc)

    class Reader(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            writer.start(tag, {k: v or "" for k, v in attrs})

        def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            writer.start(tag, {k: v or "" for k, v in attrs})
            if tag not in ("br", "img", "hr", "input", "meta", "link"):
                writer.end(tag)

        def handle_endtag(self, tag: str) -> None:
            writer.end(tag)

        def handle_data(self, data: str) -> None:
            writer.data(data)

    reader = Reader(convert_charrefs=True)
    reader.feed(html)
    reader.close()
    writer.flush()
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


# ----------------------------------------------------------------------------- text written into Office files

# Characters XML 1.0 cannot carry: C0 controls other than tab, line feed and carriage return, lone surrogates, and
# U+FFFE/U+FFFF. lxml (python-docx) and openpyxl refuse them with an exception, so one old value holding U+0001 or
# U+000B (pasted from another program) used to turn a whole export into a 500.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# A spreadsheet reads text starting with one of these as a formula (=, + and - as arithmetic, @ as a function call in
# older Excel), and tab / carriage return are the OWASP "CSV injection" list's remaining leads.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def clean_text(text: str) -> str:
    """``text`` without the characters an Office file cannot hold (see ``_NOT_XML``); everything else untouched.

    Input is refused with such characters; this is for values stored before that rule, so that an export of old
    data still succeeds rather than failing as a whole.
    """
    return _NOT_XML.sub("", text)


def printable(value: Any) -> Any:
    """A copy of a document model (dataclasses, lists, tuples, dicts) whose every string went through
    :func:`clean_text`; other values (numbers, dates, PNG bytes) are kept as they are.

    Renderers call it once on what they print, instead of wrapping each of the dozens of places that hand text to
    python-docx, so a new field cannot be forgotten.
    """
    if isinstance(value, str):
        return clean_text(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        duplicate = copy.copy(value)
        for f in dataclasses.fields(value):
            object.__setattr__(duplicate, f.name, printable(getattr(value, f.name)))
        return duplicate
    if isinstance(value, list):
        return [printable(v) for v in value]
    if isinstance(value, tuple):
        return tuple(printable(v) for v in value)
    if isinstance(value, dict):
        return {printable(k): printable(v) for k, v in value.items()}
    return value


def text_cell(sheet: Worksheet, text: str) -> Cell:
    """A cell holding ``text`` as text, whatever it starts with (formula injection, OWASP).

    The cell is typed as a string and carries Excel's quote prefix — what Excel itself stores when someone types
    ``'=1+1`` — so ``=HYPERLINK(…)`` or ``+cmd|…`` shows as typed, is never calculated, and stays text when the
    cell is edited. The text itself is kept (no visible apostrophe is added), so a downloaded template that is
    uploaded again gives back the same value.
    """
    from openpyxl.cell.cell import Cell

    cell = Cell(sheet)
    cell.value = clean_text(text)
    cell.data_type = "s"  # openpyxl types a leading "=" as a formula; this cell is text, whatever it starts with
    if cell.value.startswith(FORMULA_LEADS):
        cell.quotePrefix = True
    return cell


def safe_value(sheet: Worksheet, value: Any) -> Any:
    """What to write for ``value``: a :func:`text_cell` for text, the value itself for numbers, dates and None."""
    return text_cell(sheet, value) if isinstance(value, str) else value


def append_row(sheet: Worksheet, values: Any) -> None:
    """``sheet.append(values)`` for exports: every text goes through :func:`text_cell`.

    Every .xlsx the application writes appends its rows through here (a test greps for ``.append(`` on sheets).
    """
    sheet.append([safe_value(sheet, v) for v in values])


# ----------------------------------------------------------------------------- Office files uploaded

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # an upload (xlsx, docx, pdf, csv) larger than this is refused unread
MAX_ENTRIES = 1000  # a workbook has a dozen parts; thousands of entries only cost time to list and open
MAX_EXPANDED_BYTES = 64 * 1024 * 1024  # all parts together, uncompressed: ~1.5 million filled cells
MAX_RATIO = 100  # a part expanding more than 100-fold is a bomb (Apache POI refuses the same, 1 % minimum ratio)
RATIO_FROM_BYTES = 1024 * 1024  # small parts (styles, an empty sheet) may compress better; their size is harmless


def refused(message: str) -> DudaoError:
    """The upload was refused before it was read; nothing was saved."""
    return DudaoError(message, errors=[message], status=UNPROCESSABLE)


def upload_size(fileobj: Any) -> int | None:
    """The size of an uploaded file (Django's ``UploadedFile.size``, else by seeking), read position kept at 0."""
    size = getattr(fileobj, "size", None)
    if size is None and isinstance(fileobj, bytes | bytearray):
        return len(fileobj)
    if size is None and hasattr(fileobj, "seek"):
        size = fileobj.seek(0, io.SEEK_END)
        fileobj.seek(0)
    return size


def check_upload_size(fileobj: Any, limit: int = MAX_UPLOAD_BYTES) -> None:
    size = upload_size(fileobj)
    if size is not None and size > limit:
        raise refused(
            _("文件过大（%(size)s，上限 %(limit)s MB），未读取。") % {"size": _mb(size), "limit": limit // 2**20}
        )


def _mb(size: int) -> str:
    return f"{fixed(size / 2**20, 1)} MB"


def check_office_zip(fileobj: Any, *, limit: int = MAX_UPLOAD_BYTES, expanded: int | None = None) -> None:
    """Refuses an .xlsx/.docx that is too large, or that would expand into too much, before anything parses it.

    An Office file is a zip of XML parts. The central directory at the end of the zip lists each part's compressed
    and uncompressed size, so reading it costs milliseconds whatever the file holds; Python's ``zipfile`` (which
    openpyxl and python-docx read through) never yields more than the listed size of a part (it stops there and
    fails the CRC check), so these figures bound the work the parser will do. A "decompression bomb" — a few MB of
    zeros or repeated cells expanding to a gigabyte — fails the ratio or the total and is refused in well under a
    second, instead of costing half a minute of CPU and a gigabyte of memory to parse and then reject.

    A file that is not a zip at all is left to the parser, which says that it cannot read it.
    """
    check_upload_size(fileobj, limit)
    expanded = MAX_EXPANDED_BYTES if expanded is None else expanded
    source = io.BytesIO(bytes(fileobj)) if isinstance(fileobj, bytes | bytearray) else fileobj
    try:
        with zipfile.ZipFile(source) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError):
        return
    finally:
        if hasattr(source, "seek"):
            source.seek(0)
    if len(parts) > MAX_ENTRIES:
        raise refused(
            _("文件结构异常（压缩包内有 %(count)s 个部件，上限 %(limit)s），未读取。")
            % {"count": len(parts), "limit": MAX_ENTRIES}
        )
    total = 0
    for part in parts:
        total += part.file_size
        if part.file_size > RATIO_FROM_BYTES and part.file_size > MAX_RATIO * max(part.compress_size, 1):
            raise refused(
                _(
                    "文件解压后异常膨胀（%(name)s 由 %(packed)s 解压为 %(size)s，超过 %(ratio)s 倍），"
                    "疑为压缩炸弹，未读取。"
                )
                % {
                    "name": part.filename,
                    "packed": _mb(part.compress_size),
                    "size": _mb(part.file_size),
                    "ratio": MAX_RATIO,
                }
            )
    if total > expanded:
        raise refused(
            _("文件解压后过大（%(size)s，上限 %(limit)s MB），请拆分后分批上传。")
            % {"size": _mb(total), "limit": expanded // 2**20}
        )


_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"(?:[A-Z]+\d+:)?([A-Z]+)(\d+)\"")


_ROW_TAGS = (b"<row ", b"<row>", b":row ")  # with or without a namespace prefix (<x:row …>)
_CELL_TAGS = (b"<c ", b"<c>", b":c ")  # not ":c>": a prefixed closing tag (</x:c>) ends so


def _count_tags(stream: Any) -> tuple[int, int]:
    """Rows and cells in a sheet part, counted by tag with ``bytes.count`` in 1 MB chunks (~0.1 s per 64 MB).

    A tag split across two chunks is counted once: each chunk is counted together with the last bytes of the one
    before, minus what those bytes alone held (already counted).
    """
    rows = cells = 0
    tail = b""
    while chunk := stream.read(2**20):
        window = tail + chunk
        rows += sum(window.count(t) - tail.count(t) for t in _ROW_TAGS)
        cells += sum(window.count(t) - tail.count(t) for t in _CELL_TAGS)
        tail = chunk[-8:]
    return rows, cells


def check_sheet_dimensions(fileobj: Any, *, max_rows: int, max_columns: int) -> None:
    """Refuses a workbook whose sheets declare more rows or columns than the importer accepts, before parsing.

    Each sheet part states its used range (``<dimension ref="A1:AB5001"/>``) in its first bytes; reading those
    needs no parse of the cells. A part without one (hand-made files) has its row and cell tags counted in the raw
    XML instead, which is still no parse. The importers also count rows while reading, since a file may misstate
    its range; this check turns an oversized file away at once with a message naming its size.
    """
    from openpyxl.utils import column_index_from_string

    source = io.BytesIO(bytes(fileobj)) if isinstance(fileobj, bytes | bytearray) else fileobj
    try:
        with zipfile.ZipFile(source) as archive:
            for part in archive.infolist():
                if not (part.filename.startswith("xl/worksheets/") and part.filename.endswith(".xml")):
                    continue
                with archive.open(part) as stream:
                    head = stream.read(4096)
                match = _DIMENSION.search(head)
                if match is not None:
                    rows, columns = int(match.group(2)), column_index_from_string(match.group(1).decode())
                else:  # no declared range: count the <row> and <c> tags in the raw XML (no parse, ~0.2 s per 64 MB)
                    with archive.open(part) as stream:
                        rows, cells = _count_tags(stream)
                    columns = -(-cells // max(rows, 1))  # cells per row on average
                if rows > max_rows or columns > max_columns:
                    raise refused(
                        _("表格过大（%(rows)s 行、%(columns)s 列；最多 %(max_rows)s 行、%(max_columns)s 列），未读取。")
                        % {"rows": rows, "columns": columns, "max_rows": max_rows, "max_columns": max_columns}
                    )
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError):
        return  # not a readable zip: the parser says so in its own words
    finally:
        if hasattr(source, "seek"):
            source.seek(0)


def check_xlsx_upload(fileobj: Any, *, max_rows: int, max_columns: int, limit: int = MAX_UPLOAD_BYTES) -> None:
    """Every check an uploaded workbook passes before openpyxl opens it: size, zip parts, declared sheet size."""
    check_office_zip(fileobj, limit=limit)
    check_sheet_dimensions(fileobj, max_rows=max_rows, max_columns=max_columns)
