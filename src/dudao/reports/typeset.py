"""The printed report (排版印制): a :class:`~.builder.Report` typeset by Typst into the PDF that is published.

Why Typst and not the HTML through WeasyPrint: a province prints thousands of school reports, and the measured cost
of one school PDF (``bench/reports.py``) was about 0.57 core-seconds in WeasyPrint's layout against about 0.1 in
Typst for the same pages, which is what brings 3,300 school reports within ten minutes on two cores. The HTML stays
the screen layout (the portal's page and the approver's preview); this module is the print layout, built from the
same blocks as :mod:`.render`'s HTML and DOCX, in the conventions of GB/T 9704 documents: A4 with the standard's
margins, a cover (title, issuer, date), a table of contents with page numbers, 黑体-like headings (Noto Sans SC) and
宋体-like body (Noto Serif SC), page numbers "— 1 —", tables whose header repeats on every page, figures and tables
numbered per chapter (the builder numbers them), the responsibility statements as a compact appendix table, and the
verification link with its QR code.

Safety: every text from the report goes into the markup as a Typst *string literal* (:func:`literal`), so nothing a
school typed is ever read as markup or code. Fonts come only from the shipped files (system fonts are ignored), so
the same report prints the same bytes on any machine: the PDF's date is the report's, not the clock's.
"""

from __future__ import annotations

import atexit
import hashlib
import io
import shutil
import threading
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from django.utils import timezone

from dudao import fonts
from dudao.documents import SANS, SERIF, clean_text, require_fonts

from .builder import Case, Chart, Note, Paragraph, Report, Table

if TYPE_CHECKING:
    import typst

ACCENT = 'rgb("#1f4e79")'
MONO = "DejaVu Sans Mono"  # embedded in Typst itself: the hashes are Latin, no CJK font needed

PREAMBLE = f"""
#set page(paper: "a4", margin: (top: 37mm, bottom: 35mm, left: 28mm, right: 26mm))
#set text(font: ("{SERIF.name}",), size: 12pt, lang: "zh", region: "cn", fill: rgb("#111"), cjk-latin-spacing: none)
#set par(first-line-indent: (amount: 2em, all: true), justify: true, leading: 0.9em, spacing: 0.75em)
#show heading: set text(font: "{SANS.name}", weight: "bold")
#show heading.where(level: 1): it => block(width: 100%, above: 1.6em, below: 0.9em, sticky: true,
  stroke: (bottom: 1.5pt + {ACCENT}), inset: (bottom: 4pt), text(size: 16pt, it.body))
#show heading.where(level: 2): it => block(above: 1.3em, below: 0.7em, sticky: true,
  text(size: 14pt, fill: {ACCENT}, it.body))
#show outline.entry.where(level: 1): set text(font: "{SANS.name}", size: 12pt)
#show outline.entry.where(level: 2): set text(font: "{SANS.name}", size: 11pt)
#let caption(body) = align(center, text(font: "{SANS.name}", size: 10.5pt, body))
#let note(body) = par(first-line-indent: 0em, text(size: 9pt, fill: rgb("#555"), body))
"""


def literal(text: object) -> str:
    """``text`` as a Typst string literal: read as text, never as markup (a school may type ``#``, ``*`` or ``$``)."""
    value = clean_text(str(text))  # controls stored before input refused them would print as empty glyphs
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "\\n")
    return f'"{escaped}"'


def _local(moment: datetime) -> datetime:
    """A stored (UTC) time as the reader's calendar shows it (the site's time zone), as the HTML's |date does."""
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


def _cover(report: Report) -> str:
    date = report.issue_date
    meta = f"{report.org_name}（{report.org_code}） · {report.period_name}"
    return f"""
#page(numbering: none, footer: none, margin: (x: 15mm, top: 70mm, bottom: 30mm))[
  #set par(first-line-indent: 0em)
  #align(center)[
    #text(font: "{SANS.name}", size: 20pt, weight: "bold", {literal(report.title)})
    #v(1em)
    #text(size: 12pt, fill: rgb("#444"), {literal(meta)})
    #v(1fr)
    #text(font: "{SANS.name}", size: 16pt, {literal(report.issuer)})
    #v(0.4em)
    #text(font: "{SANS.name}", size: 14pt, {literal(date)})
  ]
]
#page(numbering: none, footer: none)[
  #outline(title: align(center, text(font: "{SANS.name}", size: 16pt, weight: "bold", [目　录])), depth: 2,
    indent: 2em)
]
#set page(numbering: "1", footer: context align(center, text(size: 10.5pt, fill: rgb("#333"),
  [— #counter(page).display() —])))
#counter(page).update(1)
"""


def _chart(block: Chart, images: dict[str, bytes]) -> str:
    png = block.png
    name = f"chart-{hashlib.sha256(png).hexdigest()[:20]}.png"
    images[name] = png
    return (
        f'#block(breakable: false, width: 100%, above: 1em, below: 1em)[#align(center, image("{name}", '
        f"width: 78%))\n#caption({literal(f'图{block.number} {block.title}')})]\n"
    )


def _table(
    caption: str,
    header: list[str],
    rows: list[list[str]],
    *,
    widths: str = "",
    size: str = "10.5pt",
    right=None,
    compact=False,
) -> str:
    """A captioned table whose header repeats on every page; ``right``: the columns aligned right (by default all
    but the first, which names the row — the figures line up on their digits)."""
    columns = widths or str(len(header))
    inset = "(x: 4pt, y: 1.5pt)" if compact else "(x: 5pt, y: 3pt)"
    right = set(range(1, len(header))) if right is None else set(right)
    head = ", ".join(f'text(font: {literal(SANS.name)}, weight: "bold", {literal(h)})' for h in header)
    body = ", ".join(
        f"table.cell(align: {'right' if i in right else 'left'}, {literal(cell)})"
        for row in rows
        for i, cell in enumerate(row)
    )
    return (
        f"#block(sticky: true, caption({literal(caption)}))\n"
        f"#block(width: 100%, above: 0.4em, below: 1em)[#set par(first-line-indent: 0em, justify: false, "
        f"leading: 0.5em)\n#set text(size: {size})\n"
        f'#table(columns: {columns}, stroke: 0.6pt + rgb("#777"), inset: {inset}, align: left + horizon,'
        f' fill: (_, y) => if y == 0 {{ rgb("#eef3f8") }}, table.header({head}), {body})]\n'
    )


def _case(block: Case, level: str) -> str:
    lines = "\n".join(f"#par({literal(line.strip())})" for line in block.body.splitlines() if line.strip())
    source = (
        f"\n#align(right, par(first-line-indent: 0em, {literal('——' + block.school)}))" if level != "school" else ""
    )
    title = literal(f"案例{block.number} {block.title}")
    return (
        f'#block(width: 100%, breakable: false, fill: rgb("#f6f8fa"), stroke: (left: 4pt + rgb("#5b9bd5")),'
        f" inset: (x: 1em, y: 0.6em), above: 1em, below: 1em)[\n"
        f'#par(first-line-indent: 0em, text(font: "{SANS.name}", weight: "bold", {title}))\n'
        f"#set text(size: 11pt)\n{lines}{source}]\n"
    )


def _statements(report: Report) -> str:
    out = ["#pagebreak()", f"#heading(level: 1, {literal('责任声明与数据说明')})"]
    out.append(f"#par({literal(report.sources_sentence)})")
    if report.data_as_of:
        out.append(f"#par({literal(report.as_of_sentence)})")
    if report.coverage_note:
        out.append(f"#par({literal(report.coverage_note)})")
    if report.level == "school":
        for s in report.statements:
            at = _local(s.signed_at)
            signed = f"{at:%Y}年{at.month}月{at.day}日 {at:%H:%M}"
            out.append(f"#par({literal(s.text)})")
            out.append(f"#par({literal(f'签署人：{s.signer}　　签署时间：{signed}')})")
            out.append(
                f"#par(first-line-indent: 0em, text(size: 9pt)[#{literal('核准数据 SHA-256：')}"
                f'#text(font: "{MONO}", {literal(s.sha256)})])'
            )
        if not report.statements:
            out.append(f"#par({literal('本校数据尚未经校长核准。')})")
    elif not report.data_note:
        out.append(
            f"#par({literal('各校校长签署的责任声明见下表（核准数据 SHA-256 列出前12位，完整值可在线核验）。')})"
        )
        rows = [
            [str(i), s.school, s.signer, f"{_local(s.signed_at):%Y-%m-%d}", s.sha256[:12]]
            for i, s in enumerate(report.statements, 1)
        ]
        out.append(
            _table(
                "附表 各校责任声明",
                ["序号", "学校", "签署人", "签署日期", "核准数据 SHA-256"],
                rows,
                widths="(auto, 1.2fr, 1fr, auto, auto)",
                right=[0],
                compact=True,
                size="9pt",
            )
        )
    if report.verify_url:
        out.append(_verification(report.verify_url))
    return "\n".join(out) + "\n"


def _verification(url: str) -> str:
    """The link and QR code of the public page that checks a file's SHA-256 (``portal:verify``)."""
    import segno  # pure Python

    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", border=2, xmldecl=False)
    svg = literal(buffer.getvalue().decode("utf-8"))
    text = "本文件发布后，可在以下页面核验其 SHA-256 是否与公开发布的版本一致（上传文件或粘贴哈希值）："
    return (
        f"#block(breakable: false, above: 1.2em)[#grid(columns: (30mm, 1fr), gutter: 4mm, align: horizon,"
        f' image(bytes({svg}), format: "svg", width: 28mm),'
        f" [#set par(first-line-indent: 0em)\n#set text(size: 10pt)\n#par({literal(text)})\n"
        f'#par(text(font: "{MONO}", size: 9pt, {literal(url)}))])]'
    )


def markup(report: Report, images: dict[str, bytes]) -> str:
    """The whole report as Typst markup; chart images are added to ``images`` (file name → PNG bytes)."""
    date = _local(report.generated_at)
    out = [
        f"#set document(title: {literal(report.title)}, author: {literal(report.issuer)}, "
        f"date: datetime(year: {date.year}, month: {date.month}, day: {date.day}))",
        PREAMBLE,
        _cover(report),
    ]
    for section in report.sections:
        title = f"{section.number} {section.title}".strip()
        out.append(f"#heading(level: {min(section.level, 2)}, {literal(title)})\n")
        for block in section.blocks:
            if isinstance(block, Paragraph):
                out.append(f"#par({literal(block.text)})\n")
            elif isinstance(block, Chart):
                out.append(_chart(block, images))
            elif isinstance(block, Table):
                out.append(_table(f"表{block.number} {block.title}", block.header, block.rows))
            elif isinstance(block, Case):
                out.append(_case(block, report.level))
            elif isinstance(block, Note):
                out.append(f"#note({literal(block.text)})\n")
    out.append(_statements(report))
    return "\n".join(out)


_per_thread = threading.local()


def _workspace() -> tuple[typst.Compiler, Path]:
    """One compiler and one image directory per thread: the compiler indexes the font files once and Typst's caches
    make the next document of the same look cheaper. System fonts are ignored, so output never depends on the
    machine. Per thread because the web server prints on several."""
    import tempfile

    import typst

    where = str(fonts.fonts_dir())
    if getattr(_per_thread, "where", None) != where:
        root = Path(tempfile.mkdtemp(prefix="dudao-typst-"))
        atexit.register(shutil.rmtree, root, ignore_errors=True)
        _per_thread.workspace = (typst.Compiler(root=str(root), font_paths=[where], ignore_system_fonts=True), root)
        _per_thread.where = where
    workspace: tuple[typst.Compiler, Path] = _per_thread.workspace
    return workspace


def to_pdf(report: Report) -> bytes:
    """The report printed: Typst markup compiled to PDF.

    Typst reads images by path, so chart PNGs are handed over as files in the thread's directory, named by their
    content's hash (a name always means the same bytes, whatever Typst has cached) and removed afterwards."""
    require_fonts()
    images: dict[str, bytes] = {}
    source = markup(report, images)
    compiler, root = _workspace()
    for name, data in images.items():
        (root / name).write_bytes(data)
    try:
        pdf = compiler.compile(
            input=source.encode("utf-8"),
            format="pdf",
            timestamp=report.generated_at.replace(microsecond=0),
            pdf_tags=False,
        )
    finally:
        for name in images:
            (root / name).unlink(missing_ok=True)
    assert isinstance(pdf, bytes)
    return pdf
