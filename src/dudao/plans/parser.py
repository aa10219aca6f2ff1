"""Plan documents (工作要点) → structured sections, tasks and quantitative targets.

Real plans arrive as .txt, .docx or .pdf, and text extracted from PDF is re-wrapped at a fixed width with page
numbers in the middle and stray spaces ("2020 年", "上 海 市"). The parser therefore first rebuilds *logical lines*:
a physical line starts a new logical line only when it opens a structural item — a section (一、), a subsection
（一）, the *next* task number (N+1.) or a header line — everything else is a continuation and is glued back on.
Checking that a task number is the next one in sequence is what keeps "3.5%" or "2.0建设" at the start of a
wrapped line from being mistaken for a task.

Plans from other places and years (issue #19) add: whole documents flattened onto one line by web sites (inline page
marks "- 1 -" / "—2—", letter-spaced header words) — such a line is cut back at its spaces and before structural
markers, and the same logical-line rebuilding glues wrong cuts back; fragments starting mid-plan — tasks before any
heading go to section 0, UNKNOWN_SECTION, and the first numbers seen start the sequences; heading styles 第一部分 > 一、
> （一） (the two highest used become section and subsection) or 一是; tasks 1. / 1、 / （1） / 一是, restarting in
each section or not (restarted numbering is renumbered through the plan, as task numbers are unique per plan).
The header gives the issuing organs (before 关于 in the notice, else a red-head or signature line, else a signature
after the last task; co-issuers written together are split on organ endings), the date in Arabic or Chinese
numerals (a date missing a character is left out, never guessed), the 文号 in any brackets (written 〔〕) and the
title (the 附件 title line, else 《…》 of the notice).
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
CN_DIGITS = {
    "〇": 0,
    "零": 0,
    "○": 0,
    "Ｏ": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
CN_DATE = re.compile(
    rf"([{''.join(CN_DIGITS)}]{{4}})\s*年\s*([{CN_NUMERAL}]{{1,3}})\s*月\s*([{CN_NUMERAL}]{{1,3}})\s*日"
)  # 二〇〇九年一月十三日; a date that lost a character (二〇〇九年 月十三日) does not match, and is not guessed
# an organ's name ends with one of these; 办公室, 督导室, 党组 … of no place of their own belong to the organ before
ORGAN_ENDINGS = (
    "工作委员会|委员会办公室|委员会|工委|教委|教育厅|教育局|督导室|人民政府|办公厅|办公室|教育部|党组|政府|厅|局|部"
)
ORGAN_PIECE = re.compile(rf"([\u4e00-\u9fff]*?(?:{ORGAN_ENDINGS}))")
ORGAN_OF_ITS_OWN = re.compile(r"[省市区县州盟旗国]|中共|中国|自治|^[\u4e00-\u9fff]{1,6}部$")
NOTICE = re.compile(r"^(.{2,80}?)关于")
PART = re.compile(rf"^第([{CN_NUMERAL}]{{1,3}})部分\s*[、:：.．]?\s*(.*)$")
PAREN_TASK = re.compile(r"^[（(]\s*(\d{1,3})\s*[）)]\s*(?!\d)(.+)$")
SHI = re.compile(rf"^([{CN_NUMERAL}]{{1,3}})是\s*[，,：:]?\s*(.+)$")
MARKER = re.compile(
    rf"第[{CN_NUMERAL}]{{1,3}}部分|[{CN_NUMERAL}]{{1,3}}[、是]|[（(][{CN_NUMERAL}\d]{{1,3}}[）)]|\d{{1,3}}[.．、](?!\d)"
)
INLINE_PAGE_MARK = re.compile(r"(?<![\d\-—–－])[-—–－]{1,2}\s*\d{1,3}\s*[-—–－]{1,2}(?![\d\-—–－])")
UNKNOWN_SECTION = "（未识别部分）"  # the section of tasks that come before any heading (a fragment of a plan)
TITLE_END = re.compile(r"(?:要点|工作计划|工作安排)$")
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
    issuer: str | None  # the issuing organs joined with 、 (one string, as stored on Plan.issuer)
    date: str | None  # ISO date of issue
    title: str
    sections: list[Section]
    tasks: list[Task]
    issuers: list[str] = field(default_factory=list)  # the same organs one by one (a co-issued notice has several)

    def to_json(self) -> dict:
        data = asdict(self)
        return {k: data[k] for k in ("doc_number", "issuer", "issuers", "date", "title", "sections", "tasks")}


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
    """The non-blank lines that are not page numbers, each with its line number in the file (for messages).

    A line that is really a whole document flattened into one (a web page's copy of a PDF) is cut back into lines
    first, all pieces keeping the number of the line they came from."""
    lines = []
    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        pieces = _unflatten(raw) if _is_flattened(raw) else [raw]
        for piece in pieces:
            line = _clean(piece)
            if not line or PAGE_NUMBER.match(line):
                continue
            lines.append((number, line))
    return lines


def _split_points(raw: str, in_sequence: bool = False) -> list[int]:
    """Where a structural marker (一、 / （一） / 第一部分 / 一是 / 1. / （1）) follows a sentence end or a space — and,
    ``in_sequence``, where a task number N. follows task number N-1. on the line whatever comes before it (a text
    flattened with no spaces at all)."""
    points, last_task = [], 0
    for m in MARKER.finditer(raw):
        number = re.match(r"\d+", m.group(0))
        after_break = m.start() > 0 and re.match(r"[\s。；;！!？?：:]", raw[m.start() - 1])
        next_task = in_sequence and number is not None and int(number.group(0)) == last_task + 1
        if m.start() > 0 and (after_break or next_task):
            points.append(m.start())
        if number is not None and (after_break or next_task or m.start() == 0):
            last_task = int(number.group(0))
    return points


def _is_flattened(raw: str) -> bool:
    """A line holding a page mark or a structural marker after a sentence end holds several lines of the document
    (a short one may be a task and the next task, or a heading and its first task, on one line)."""
    return bool(_split_points(raw)) or (len(raw) >= 40 and bool(INLINE_PAGE_MARK.search(raw)))


def _collapse_spacing(raw: str) -> str:
    """Letter-spaced words (工 作 要 点, 上 海 市) and spaced figures (2021 年, 〔 2021 〕) closed up, so that the
    spaces left in a flattened line are the line breaks it lost."""
    tokens = re.split(r"(\s+)", raw)
    out: list[str] = []
    for i, token in enumerate(tokens):
        is_space = i % 2 == 1
        if (
            is_space
            and token == " "
            and 0 < i < len(tokens) - 1
            and re.fullmatch(r"[\u4e00-\u9fff]", tokens[i - 1])
            and re.fullmatch(r"[\u4e00-\u9fff]", tokens[i + 1])
        ):
            continue
        out.append(token)
    text = "".join(out)
    text = re.sub(r"(?<=\d)\s+(?=[年月日号〕\]］)）])|(?<=[〔\[［(（])\s+(?=\d{4}\s*[〕\]］)）])", "", text)
    return text


def _unflatten(raw: str) -> list[str]:
    """Cut a flattened line back into lines: drop inline page marks, close up letter spacing, break at the remaining
    spaces (the lost line ends), and before a structural marker that follows a sentence end. Wrong breaks cost
    nothing: the logical-line rebuilding glues back every piece that does not open the next item in sequence."""
    text = INLINE_PAGE_MARK.sub(" ", raw.replace("\u00a0", " ").replace("\u3000", " "))
    text = _collapse_spacing(text)
    pieces = []
    for chunk in text.split():
        dates_end = [m.end() for m, _iso in _dates(chunk) if m.end() < len(chunk)]  # a date ends its line
        cuts = sorted({0, *_split_points(chunk, in_sequence=True), *dates_end, len(chunk)})
        pieces += [chunk[a:b] for a, b in zip(cuts, cuts[1:], strict=False) if chunk[a:b]]
    return pieces


def _safe_numeral(text: str) -> int | None:
    try:
        return int(cn2an.cn2an(text, "smart"))
    except (ValueError, TypeError, KeyError, IndexError):
        return None


# ----------------------------------------------------------------------------- header: issuer, date, number, title


def organs(text: str) -> list[str] | None:
    """The issuing organs written in ``text`` (several may be written together without separators, as on a co-issued
    red-head: 中共某市委教育工作委员会某市教育委员会), or None when ``text`` is not just organs. Each organ ends with a
    known ending; a piece with no place of its own (办公室, 教育督导室) belongs to the organ before it."""
    text = re.sub(r"\s+", "", text)
    text = re.sub(r"文件$", "", text)
    found: list[str] = []
    for part in re.split(r"[、，,]+", text):
        rest = part
        while rest:
            m = ORGAN_PIECE.match(rest)
            if not m:
                return None
            piece, rest = m.group(1), rest[m.end(1) :]
            if ORGAN_OF_ITS_OWN.search(piece) and len(piece) >= 3:
                found.append(piece)
            elif found:
                found[-1] += piece
            else:
                return None
    return found or None


def _dates(line: str) -> list[tuple[re.Match, str | None]]:
    """Every date in ``line`` (Arabic or Chinese numerals) with its ISO form, None when the date does not exist."""
    found = []
    for m in DATE.finditer(line):
        found.append((m, _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))))
    for m in CN_DATE.finditer(line):
        year = int("".join(str(CN_DIGITS[c]) for c in m.group(1)))
        month, day = _safe_numeral(m.group(2)), _safe_numeral(m.group(3))
        found.append((m, _iso(year, month, day) if month and day else None))
    return sorted(found, key=lambda pair: pair[0].start())


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:
        return None


def _doc_number(lines: list[str]) -> str | None:
    """The 发文字号, brackets written as 〔〕 whatever the source used ([], ［］, （）, ())."""
    for line in lines:
        if m := DOC_NUMBER.search(line):
            number = re.sub(r"\s+", "", m.group(1))
            number = re.split(r"通知|：|:", number)[-1]
            number = re.sub(r"[\[［(（]", "〔", number)
            return re.sub(r"[\]］)）]", "〕", number)
    return None


def _issuers(header: list[str]) -> list[str]:
    """The organs before 关于 in the notice line, else the first line that is only organs (the red-head at the top, or
    the signature above the date) with the organ lines right below it."""
    for line in header:
        if (m := NOTICE.match(line)) and (found := organs(m.group(1))):
            return found
    for i, line in enumerate(header):
        if found := organs(line):
            for below in header[i + 1 :]:  # a red-head or signature of co-issuers stacked one organ a line
                if not (more := organs(below)):
                    break
                found += [organ for organ in more if organ not in found]
            return found
    return []


def _trailer(numbered: list[tuple[int, str]]) -> tuple[list[str], str | None]:
    """A signature and date after the last task (a plan printed without its notice) — taken off the body, so they
    are not read as the end of the last task. Returns the signature's organs and the date line, when there."""
    issuers: list[str] = []
    date_line = None
    if numbered and (found := _dates(numbered[-1][1])) and found[0][0].group(0) == numbered[-1][1]:
        date_line = numbered.pop()[1]
        if numbered and (signed := organs(numbered[-1][1])):
            numbered.pop()
            issuers = signed
        elif numbered and (m := re.search(r"[。；;]([^。；;]+)$", numbered[-1][1])) and (signed := organs(m.group(1))):
            numbered[-1] = (numbered[-1][0], numbered[-1][1][: m.start(1)])
            issuers = signed
    return issuers, date_line


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


def _present(lines: list[str], rx: re.Pattern) -> int | None:
    """Where the numbering ``rx`` starts in ``lines``: the first line numbered 1, or (in a fragment) the first of two
    lines numbered n and n+1 one after the other; None when the document does not use it."""
    seen: dict[int, int] = {}
    for i, line in enumerate(lines):
        if m := rx.match(line):
            n = _safe_numeral(m.group(1))
            if n == 1:
                return i
            if n is not None:
                if n - 1 in seen:
                    return seen[n - 1]
                seen.setdefault(n, i)
    return None


def _first_match(lines: list[str], rx: re.Pattern) -> int | None:
    return next((i for i, line in enumerate(lines) if rx.match(line)), None)


def _levels(lines: list[str]) -> tuple[list[re.Pattern], re.Pattern | None]:
    """The heading patterns the document uses (at most two: section, subsection) and its task numbering.

    Headings rank 第一部分 > 一、 > （一）; tasks are 1. / 1、 or （1）, whichever comes first, else 一是 — 一是
    is a section heading only in a plan with no other headings whose tasks are numbered 1. (an 一是 inside a task's
    text is just prose)."""
    headings = [rx for rx in (PART, SECTION, SUBSECTION) if _present(lines, rx) is not None][:2]
    if not headings:  # a fragment may hold a single heading of a kind (三、 after its first tasks)
        headings = [rx for rx in (PART, SECTION, SUBSECTION) if _first_match(lines, rx) is not None][:2]
    starts = {rx: at for rx in (TASK, PAREN_TASK) if (at := _present(lines, rx)) is not None}
    if not starts:  # a fragment holding a single task, numbered anything
        starts = {rx: at for rx in (TASK, PAREN_TASK) if (at := _first_match(lines, rx)) is not None}
    task = min(starts, key=starts.__getitem__) if starts else None
    shi = _present(lines, SHI)
    if shi is not None:
        if task is None:
            task = SHI
        elif not headings and shi < starts[task]:
            headings = [SHI]
    return headings, task


def parse(text: str) -> ParsedPlan:
    """Read a plan's text. Never refuses a text with numbered tasks: tasks found before any section heading (a
    fragment of a plan) go to a section numbered 0, titled UNKNOWN_SECTION."""
    if not isinstance(text, str):
        raise DudaoError("输入不是文本")
    numbered = _physical_lines(text)
    if not numbered:
        raise DudaoError("文件中没有文字")
    signed, trailer_date = _trailer(numbered)
    lines = [line for _no, line in numbered]
    line_nos = [no for no, _line in numbered]
    headings, task_rx = _levels(lines)
    section_rx = headings[0] if headings else None
    subsection_rx = headings[1] if len(headings) > 1 else None

    def first(rx: re.Pattern | None, one: bool) -> int | None:
        if rx is None:
            return None
        for i, line in enumerate(lines):
            if (m := rx.match(line)) and (not one or _safe_numeral(m.group(1)) == 1):
                return i
        return None

    # 1. split header from body: the body starts at the first section heading 一、 — or, in a fragment, at the first
    # task or heading of any number
    first_section = first(section_rx, one=True)
    first_task = first(task_rx, one=False)
    fragment = first_section is None or (first_task is not None and first_task < first_section)
    if task_rx is None and first_section is None:
        raise DudaoError("找不到“一、”开头的第一部分，也没有编号的工作任务（如“1.…”）")
    if first_section is None or fragment:
        starts = [i for i in (first_task, first(section_rx, False), first(subsection_rx, False)) if i is not None]
        body_start = min(starts) if starts else len(lines)
    else:
        body_start = first_section
    header = lines[:body_start]

    doc_number = _doc_number(header)
    issuers = _issuers(header) or signed
    date = None
    dated = [(i, m, iso) for i, line in enumerate(header) for m, iso in _dates(line)]
    chosen = next((d for d in dated if d[1].group(0) == header[d[0]]), dated[0] if dated else None)
    if chosen is not None:
        at, m, date = chosen
        if date is None:
            raise unreadable(line_nos[at], header[at], _("日期“%(date)s”不存在") % {"date": m.group(0)})
    elif trailer_date is not None:
        date = _dates(trailer_date)[0][1]
    title = _title(header, fragment)

    # 2. rebuild logical lines in the body
    sections: list[Section] = []
    tasks: list[Task] = []
    current: dict | None = None  # the item whose text continues on the next physical line
    # tasks start at 1 — or, in a fragment or an excerpt with no task 1, at the first task's own number
    starts_at_one = task_rx is not None and any(
        (hit := task_rx.match(line)) and _safe_numeral(hit.group(1)) == 1 for line in lines[body_start:]
    )
    expected_task: int | None = 1 if starts_at_one and not fragment else None
    expected_section: int | None = None if fragment else 1
    expected_subsection: int | None = None if fragment else 1
    renumbered = False  # numbering restarts in each section: tasks are then numbered through the whole plan
    new_heading = False

    def close():
        if current and current["kind"] == "task":
            body = "".join(current["parts"]).strip()
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
            title = current["text"].strip()
            sections[-1].title = _first_sentence(title) if section_rx is SHI else title
        elif current and current["kind"] == "subsection":
            sections[-1].subsections[-1].title = current["text"].strip()

    def numeral(m: re.Match, index: int, line: str) -> int:
        return int(m.group(1)) if m.group(1).isdigit() else _numeral(m.group(1), line_nos[index], line)

    for index in range(body_start, len(lines)):
        line = lines[index]
        sm = section_rx.match(line) if section_rx else None
        ssm = subsection_rx.match(line) if subsection_rx else None
        tm = task_rx.match(line) if task_rx else None
        if sm and (n := numeral(sm, index, line)) == (expected_section or n):
            close()
            sections.append(Section(no=n, title=""))
            current = {"kind": "section", "text": sm.group(2), "last": len(line)}
            expected_section, expected_subsection, new_heading = n + 1, 1, True
        elif ssm and (n := numeral(ssm, index, line)) == (expected_subsection or n):
            close()
            if not sections:
                sections.append(Section(no=0, title=UNKNOWN_SECTION))
            sections[-1].subsections.append(Subsection(no=n, title=""))
            current = {"kind": "subsection", "text": ssm.group(2), "last": len(line)}
            expected_subsection, new_heading = n + 1, True
        elif tm and ((n := numeral(tm, index, line)) == (expected_task or n) or (n == 1 and new_heading and tasks)):
            close()
            if expected_task is not None and n != expected_task:
                renumbered = True
            if not sections:
                sections.append(Section(no=0, title=UNKNOWN_SECTION))
            subsection = sections[-1].subsections[-1].no if sections[-1].subsections else None
            no = tasks[-1].no + 1 if renumbered and tasks else n
            current = {
                "kind": "task",
                "no": no,
                "parts": [tm.group(2)],
                "section": sections[-1].no,
                "subsection": subsection,
            }
            expected_task, new_heading = n + 1, False
        elif current is not None:
            if current["kind"] == "task":
                current["parts"].append(line)  # joined once at the end: += on a growing text is quadratic
            elif (
                current["kind"] in ("section", "subsection")
                and not current["text"].endswith(("。", "）", ")"))
                and (current["last"] >= len(line) or not current["text"])
            ):
                current["text"] += line  # a long heading wrapped onto the next line
                current["last"] = len(line)
            else:
                # prose between a heading and the first task (a preamble paragraph): not a task, not a title
                current["last"] = 0
    close()
    if not tasks:
        raise DudaoError("没有找到编号的工作任务（如“1.…”）")
    return ParsedPlan(
        doc_number=doc_number,
        issuer="、".join(issuers) or None,
        issuers=issuers,
        date=date,
        title=title,
        sections=sections,
        tasks=tasks,
    )


def _title(header: list[str], fragment: bool = False) -> str:
    """The plan's own title: the line after 附件 (or after 附件： on its line), else the 《…》 of the notice line,
    else of the first lines, else a line naming a 工作要点, else the first line (not in a fragment, whose first
    line is the end of some task)."""
    for i, line in enumerate(header):
        if re.fullmatch(r"附件\s*\d*[:：]?", line) and i + 1 < len(header):
            title = header[i + 1]
            if i + 2 < len(header) and not TITLE_END.search(title) and TITLE_END.search(header[i + 2]):
                if len(header[i + 2]) <= 12:  # a title set on two lines: 2021年某省职业教育 / 工 作 要 点
                    title += header[i + 2]
            return title
    for line in header:
        if m := re.fullmatch(r"附件\s*\d*[:：]\s*(.{4,60})", line):
            quoted = QUOTED_TITLE.search(m.group(1))
            return quoted.group(1) if quoted else m.group(1)
    for i, line in enumerate(header):
        if NOTICE.match(line) or line.endswith("通知"):
            if m := QUOTED_TITLE.search("".join(header[max(0, i - 1) : i + 2])):
                return m.group(1)
    for line in header[:3]:
        if m := QUOTED_TITLE.search(line):
            return m.group(1)
    joined = "".join(header[:2])
    if m := QUOTED_TITLE.search(joined):
        return m.group(1)
    named = next((line for line in header if TITLE_END.search(line) and len(line) <= 60), None)
    if named:
        return named
    if fragment:
        return ""
    return header[0] if header else ""
