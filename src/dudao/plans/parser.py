"""Plan documents (工作要点) → structured sections, tasks and quantitative targets.

Real plans arrive as .txt, .docx or .pdf, and text extracted from PDF is re-wrapped at a fixed width with page
numbers in the middle and stray spaces ("2020 年", "上 海 市"). The parser therefore first rebuilds *logical lines*:
a physical line starts a new logical line only when it opens a structural item — a section (一、), a subsection
（一）, the *next* task number (N+1.) or a header line — everything else is a continuation and is glued back on.
Checking that a task number is the next one in sequence is what keeps "3.5%" or "2.0建设" at the start of a
wrapped line from being mistaken for a task.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cn2an
from django.utils.translation import gettext as _

from dudao import documents
from dudao.errors import DudaoError

MAX_FILE_BYTES = 10 * 1024 * 1024  # a work plan is tens of pages: well under 1 MB as text or Word, a few MB as PDF
MAX_PDF_PAGES = 200
MAX_TEXT_CHARS = 1_000_000  # ~ 600 pages of Chinese text

CN_NUMERAL = "一二三四五六七八九十"
SECTION = re.compile(rf"^([{CN_NUMERAL}]{{1,3}})\s*[、.．]\s*(.+)$")
SUBSECTION = re.compile(rf"^[（(]\s*([{CN_NUMERAL}]{{1,3}})\s*[）)]\s*(.*)$")
TASK = re.compile(r"^(\d{1,3})\s*[.．、]\s*(?!\d)(.+)$")
PAGE_NUMBER = re.compile(
    r"^(?:[-—–－\s]*\d{1,3}[-—–－\s]*|第\s*\d+\s*页(?:\s*[，,/]?\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+|[-—–－]\s*\d+\s*[-—–－])$"
)
DOC_NUMBER = re.compile(r"([\u4e00-\u9fff]{1,10}[〔\[［(（]\s*\d{4}\s*[〕\]］)）]\s*\d+\s*号)")
DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
ISSUER_SUFFIX = r"(?:委员会|教育局|教育厅|人民政府|办公厅|办公室|教育部|委员会办公室)"
ISSUER_LINE = re.compile(rf"^([\u4e00-\u9fff]{{2,30}}{ISSUER_SUFFIX})$")
NOTICE = re.compile(rf"^([\u4e00-\u9fff]{{2,30}}?{ISSUER_SUFFIX})关于")
QUOTED_TITLE = re.compile(r"《([^》]{4,60})》")
SPACE_BETWEEN = re.compile(
    r"(?<=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef\d])[ \t\u3000]+(?=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef\d])"
)

# quantitative targets
UNITS = "|".join(
    ["个", "所", "名", "万人次", "人次", "万人", "人", "项", "家", "门", "支", "批", "场", "期", "套", "本", "部"]
    + ["间", "张", "台", "万元", "亿元", "平方米", "万平方米", "公里", "条", "种", "篇", "届次", "班", "托额", "户"]
)  # longer units first where one is a prefix of another (万人次 before 万人)
COMPARATORS = [
    (re.compile(r"(?:不少于|不低于|至少|不小于|超过|达到|力争达到|突破)$"), "at_least"),
    (re.compile(r"(?:不超过|不高于|不多于|控制在|低于|少于)$"), "at_most"),
]
NUMBER_WITH_UNIT = re.compile(rf"(\d+(?:\.\d+)?)\s*(%|％|{UNITS})")


@dataclass
class Target:
    value: float | int
    unit: str
    comparator: str
    text: str


@dataclass
class Task:
    no: int
    title: str
    body: str
    section: int
    subsection: int | None
    targets: list[Target] = field(default_factory=list)


@dataclass
class Subsection:
    no: int
    title: str


@dataclass
class Section:
    no: int
    title: str
    subsections: list[Subsection] = field(default_factory=list)


@dataclass
class ParsedPlan:
    doc_number: str | None
    issuer: str | None
    date: str | None
    title: str
    sections: list[Section]
    tasks: list[Task]

    def to_json(self) -> dict:
        data = asdict(self)
        return {k: data[k] for k in ("doc_number", "issuer", "date", "title", "sections", "tasks")}


# ----------------------------------------------------------------------------- reading files


def read_text(path: str | Path) -> str:
    """The text of a plan file, refused before it is opened when too large (or, for Word, a zip bomb)."""
    path = Path(path)
    suffix = path.suffix.lower()
    with path.open("rb") as fh:
        documents.check_upload_size(fh, MAX_FILE_BYTES)
    text = _read_text(path, suffix)
    if len(text) > MAX_TEXT_CHARS:
        raise documents.refused(
            _("文件文字过多（%(count)s 字，上限 %(limit)s 字），未导入。")
            % {"count": len(text), "limit": MAX_TEXT_CHARS}
        )
    return text


def _read_text(path: Path, suffix: str) -> str:
    if suffix == ".docx":
        from docx import Document

        with path.open("rb") as fh:
            documents.check_office_zip(fh, limit=MAX_FILE_BYTES)
        try:
            document = Document(str(path))
        except Exception as exc:  # python-docx raises several private types on a corrupt file
            raise DudaoError(f"无法读取 Word 文件：{type(exc).__name__}") from None
        return "\n".join(p.text for p in document.paragraphs)
    if suffix == ".pdf":
        import pdfplumber

        try:
            with pdfplumber.open(str(path)) as pdf:
                if len(pdf.pages) > MAX_PDF_PAGES:
                    raise documents.refused(
                        _("PDF 页数过多（%(count)s 页，上限 %(limit)s 页），未导入。")
                        % {"count": len(pdf.pages), "limit": MAX_PDF_PAGES}
                    )
                return "\n".join(page.extract_text() or "" for page in pdf.pages)
        except DudaoError:
            raise
        except Exception as exc:
            raise DudaoError(f"无法读取 PDF 文件：{type(exc).__name__}") from None
    if suffix in (".txt", ".text", ""):
        raw = path.read_bytes()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                continue
        raise DudaoError("文本文件编码无法识别（应为 UTF-8 或 GB18030）")
    raise DudaoError(f"不支持的文件类型：{suffix}（支持 .txt .docx .pdf）")


def parse_file(path: str | Path) -> ParsedPlan:
    return parse(read_text(path))


# ----------------------------------------------------------------------------- parsing


def _numeral(text: str, line_no: int, line: str) -> int:
    """The number of a heading (一、 / （十二）); a numeral cn2an cannot read (十十) is an error naming its line."""
    try:
        return int(cn2an.cn2an(text, "smart"))
    except (ValueError, TypeError, KeyError, IndexError):
        raise unreadable(line_no, line, _("无法识别的编号“%(numeral)s”") % {"numeral": text}) from None


def unreadable(line_no: int, line: str, problem: str) -> DudaoError:
    """The parser could not read line ``line_no`` (1-based, in the file's own text): say which, and what it says."""
    shown = line if len(line) <= 40 else line[:40] + "…"
    return DudaoError(f"{problem}：{shown}", locator=_("第 %(line)s 行") % {"line": line_no})


def _clean(line: str) -> str:
    line = line.replace("\u00a0", " ").strip()
    return SPACE_BETWEEN.sub("", line)


def _physical_lines(text: str) -> list[tuple[int, str]]:
    """The non-blank lines that are not page numbers, each with its line number in the file (for messages)."""
    lines = []
    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        line = _clean(raw)
        if not line or PAGE_NUMBER.match(line):
            continue
        lines.append((number, line))
    return lines


def _first_sentence(text: str) -> str:
    head = text.split("。", 1)[0]
    return head.strip().rstrip("。")


def _targets(body: str) -> list[Target]:
    found = []
    for match in NUMBER_WITH_UNIT.finditer(body):
        start, end = match.span()
        before = body[max(0, start - 8) : start]
        after = body[end : end + 2]
        if before.endswith("第") or re.search(r"[\d.]$", before) or after.startswith(("年", "届", "轮", "周年")):
            continue
        if re.search(r"\d{4}\s*[-—至]\s*$", before):  # a year range like 2019-2022
            continue
        number = float(match.group(1))
        value: float | int = int(number) if number.is_integer() else number
        comparator = "exactly"
        for pattern, name in COMPARATORS:
            if pattern.search(before.rstrip()):
                comparator = name
                break
        unit = "%" if match.group(2) in ("%", "％") else match.group(2)
        clause_start = max(body.rfind(p, 0, start) for p in "，。；：、,;") + 1
        clause_end = min([i for i in (body.find(p, end) for p in "，。；,;") if i != -1] or [len(body)])
        found.append(Target(value=value, unit=unit, comparator=comparator, text=body[clause_start:clause_end].strip()))
    return found


def parse(text: str) -> ParsedPlan:
    if not isinstance(text, str):
        raise DudaoError("输入不是文本")
    numbered = _physical_lines(text)
    if not numbered:
        raise DudaoError("文件中没有文字")
    lines = [line for _no, line in numbered]
    line_nos = [no for no, _line in numbered]
    # 1. split header from body: the body starts at the first section heading 一、
    first_section = next(
        (
            i
            for i, line in enumerate(lines)
            if (heading := SECTION.match(line)) and _numeral(heading.group(1), line_nos[i], line) == 1
        ),
        None,
    )
    if first_section is None:
        raise DudaoError("找不到“一、”开头的第一部分，无法识别工作要点的结构")
    header, body_lines = lines[:first_section], lines[first_section:]
    header_text = "\n".join(header)

    doc_number = None
    if m := DOC_NUMBER.search(header_text):
        doc_number = re.sub(r"\s+", "", m.group(1))
        doc_number = re.sub(r"[\[［(（]", "〔", doc_number)
        doc_number = re.sub(r"[\]］)）]", "〕", doc_number)
    issuer = None
    for line in header:
        if m := NOTICE.match(line):
            issuer = m.group(1)
            break
    if issuer is None:
        issuer = next((m.group(1) for line in header if (m := ISSUER_LINE.match(line))), None)
    date = None
    if m := DATE.search(header_text):
        try:
            date = datetime.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
        except ValueError:
            at = header_text.count("\n", 0, m.start())
            raise unreadable(line_nos[at], header[at], _("日期“%(date)s”不存在") % {"date": m.group(0)}) from None
    title = _title(header)

    # 2. rebuild logical lines in the body
    sections: list[Section] = []
    tasks: list[Task] = []
    current: dict | None = None  # the item whose text continues on the next physical line
    expected_task = 1
    expected_section = 1
    expected_subsection = 1

    def close():
        if current and current["kind"] == "task":
            body = current["text"].strip()
            tasks.append(
                Task(
                    no=current["no"],
                    title=_first_sentence(body),
                    body=body,
                    section=current["section"],
                    subsection=current["subsection"],
                    targets=_targets(body),
                )
            )
        elif current and current["kind"] == "section":
            sections[-1].title = current["text"].strip()
        elif current and current["kind"] == "subsection":
            sections[-1].subsections[-1].title = current["text"].strip()

    for index, line in enumerate(body_lines, start=first_section):
        sm, ssm, tm = SECTION.match(line), SUBSECTION.match(line), TASK.match(line)
        if sm and _numeral(sm.group(1), line_nos[index], line) == expected_section:
            close()
            sections.append(Section(no=expected_section, title=""))
            current = {"kind": "section", "text": sm.group(2)}
            expected_section += 1
            expected_subsection = 1
        elif ssm and sections and _numeral(ssm.group(1), line_nos[index], line) == expected_subsection:
            close()
            sections[-1].subsections.append(Subsection(no=expected_subsection, title=""))
            current = {"kind": "subsection", "text": ssm.group(2)}
            expected_subsection += 1
        elif tm and int(tm.group(1)) == expected_task and sections:
            close()
            subsection = sections[-1].subsections[-1].no if sections[-1].subsections else None
            current = {
                "kind": "task",
                "no": expected_task,
                "text": tm.group(2),
                "section": sections[-1].no,
                "subsection": subsection,
            }
            expected_task += 1
        elif current is not None:
            if current["kind"] == "task":
                current["text"] += line
            elif current["kind"] in ("section", "subsection") and not current["text"].endswith(("。", "）", ")")):
                current["text"] += line  # a long heading wrapped onto the next line
            else:
                # prose between a heading and the first task (a preamble paragraph): not a task, not a title
                pass
    close()
    if not tasks:
        raise DudaoError("没有找到编号的工作任务（如“1.…”）")
    return ParsedPlan(doc_number=doc_number, issuer=issuer, date=date, title=title, sections=sections, tasks=tasks)


def _title(header: list[str]) -> str:
    """The plan's own title: the line after 附件, else the 《…》 of the notice, else the first line."""
    for i, line in enumerate(header):
        if re.fullmatch(r"附件\s*\d*[:：]?", line) and i + 1 < len(header):
            return header[i + 1]
    for line in header[:3]:
        if m := QUOTED_TITLE.search(line):
            return m.group(1)
    joined = "".join(header[:2])
    if m := QUOTED_TITLE.search(joined):
        return m.group(1)
    return header[0] if header else ""
