"""Typst prototype of a school report (#15 point 4), for bench/reports.py only — not wired into the product.

It prints the same :class:`dudao.reports.builder.Report` blocks as report.html does — title, meta line, numbered
headings, paragraphs with a 2em first-line indent, charts (the same matplotlib PNGs) with captions, tables with a
repeated header, cases, notes and the statement page — in the same A4 page with page numbers, through the ``typst``
PyPI package. Text goes in as Typst string literals (``#"…"``), so no report text is read as markup.
"""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

FONT_DIRS = [Path("/usr/share/fonts/opentype/noto")]

PREAMBLE = """
#set page(paper: "a4", margin: (x: 20mm, y: 22mm), numbering: "1")
#set text(font: ("Noto Sans CJK SC",), size: 11pt, lang: "zh", region: "cn")
#set par(first-line-indent: (amount: 2em, all: true), justify: true, leading: 0.9em)
#show heading.where(level: 1): it => block(width: 100%, stroke: (bottom: 2pt + rgb("#1f4e79")), inset: (bottom: 4pt),
  above: 1.6em, below: 0.8em, text(size: 15pt, weight: "bold", it.body))
#show heading.where(level: 2): it => block(above: 1.2em, below: 0.6em,
  text(size: 12.5pt, weight: "bold", fill: rgb("#1f4e79"), it.body))
#show table.cell.where(y: 0): set text(weight: "bold")
"""


def s(text: str) -> str:
    """A Typst string literal: the text is never parsed as markup."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'#"{escaped}"'


def markup(report, image_names: dict[int, str]) -> str:
    from dudao.reports.builder import Case, Chart, Note, Paragraph, Table

    out = [PREAMBLE]
    out.append(f'#align(center, text(size: 20pt, weight: "bold")[{s(report.title)}])')
    meta = f"{report.org_name}（{report.org_code}） · {report.period_name} · 生成于 {report.generated_at:%Y年%m月%d日}"
    out.append(f'#align(center, text(size: 10pt, fill: rgb("#666"))[{s(meta)}])\n')
    for section in report.sections:
        title = f"{section.number} {section.title}".strip()
        out.append(f"#heading(level: {section.level})[{s(title)}]\n")
        for block in section.blocks:
            if isinstance(block, Paragraph):
                out.append(f"{s(block.text)}\n")
            elif isinstance(block, Chart):
                caption = f"图{block.number} {block.title}"
                out.append(
                    f'#align(center, block(breakable: false)[#image("{image_names[id(block)]}", width: 78%)\n'
                    f"#text(size: 10pt)[{s(caption)}]])\n"
                )
            elif isinstance(block, Table):
                cols = len(block.header)
                cells = ", ".join(f"[{s(h)}]" for h in block.header)
                body = ", ".join(
                    f"table.cell(align: {'left' if i == 0 else 'right'})[{s(c)}]"
                    for row in block.rows
                    for i, c in enumerate(row)
                )
                out.append(
                    f"#align(center, text(size: 10pt)[{s(f'表{block.number} {block.title}')}])\n"
                    f"#set par(first-line-indent: 0em)\n"
                    f'#text(size: 10pt, table(columns: {cols}, stroke: 0.5pt + rgb("#999"), inset: (x: 6pt, y: 3pt),'
                    f' fill: (_, y) => if y == 0 {{ rgb("#eef3f8") }},'
                    f" table.header({cells}), {body}))\n"
                    f"#set par(first-line-indent: (amount: 2em, all: true))\n"
                )
            elif isinstance(block, Case):
                lines = "\n\n".join(s(line) for line in block.body.splitlines() if line.strip())
                out.append(
                    f'#block(fill: rgb("#f6f8fa"), stroke: (left: 4pt + rgb("#5b9bd5")), inset: (x: 1em, y: .4em),'
                    f' breakable: false, width: 100%)[#text(weight: "bold")[{s(f"案例{block.number} {block.title}")}]'
                    f"\n\n#text(size: 10.5pt)[{lines}]]\n"
                )
            elif isinstance(block, Note):
                out.append(f'#par(first-line-indent: 0em, text(size: 9pt, fill: rgb("#555"))[{s(block.text)}])\n')
    out.append("#pagebreak()\n#heading(level: 1)[责任声明与数据说明]\n")
    out.append(
        s(
            f"本报告数据来源于{report.schools_total}所学校中经“三级审核”并由校长核准的{report.schools_signed}所学校的填报数据。"
        )
        + "\n"
    )
    if report.data_as_of:
        out.append(s(f"数据截至{report.data_as_of}。") + "\n")
    for st in report.statements:
        out.append(s(st.text) + "\n")
        out.append(s(f"签署人：{st.signer}　　签署时间：{st.signed_at:%Y年%m月%d日 %H:%M}") + "\n")
        out.append(f'#text(font: "DejaVu Sans Mono", size: 9pt)[{s("核准数据 SHA-256：" + st.sha256)}]\n')
    return "\n".join(out)


@cache
def _compiler_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="dudao-typst-"))


@cache
def _compiler():
    import typst

    return typst.Compiler(
        root=str(_compiler_dir()), font_paths=[str(d) for d in FONT_DIRS if d.exists()], ignore_system_fonts=False
    )


def compile_report(report) -> bytes:
    """The report as PDF bytes through Typst; chart PNGs are written next to the markup (Typst reads files)."""
    from dudao.reports.builder import Chart

    root = _compiler_dir()
    names: dict[int, str] = {}
    for section in report.sections:
        for block in section.blocks:
            if isinstance(block, Chart):
                name = f"chart-{block.number}.png"
                (root / name).write_bytes(block.png)
                names[id(block)] = name
    main = root / "main.typ"
    main.write_text(markup(report, names), encoding="utf-8")
    pdf: bytes = _compiler().compile(input=str(main), format="pdf", pdf_tags=False)
    return pdf
