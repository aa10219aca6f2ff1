"""Measuring a rendered report against the published city report (issue #13): its figures and its outline.

Plain Python (no Django), shared by ``tests/data/extract_figures.py`` (which lists the seed report's figures) and
``tests/test_report_figures.py`` (which measures the demo's city report against that list).

- :func:`normalise` undoes what PDF text extraction does to Chinese text (spaces between Chinese and digits, lines
  broken mid-sentence, page numbers and footnote markers on lines of their own) and maps full-width digits to ASCII.
- :func:`figures_in` finds the quantitative figures of a text: a number followed by a counting or measuring unit.
- :func:`parse` / :func:`chapters_of` split a report's text at its chapter and subsection headings ("1 基本情况",
  "一、基本情况", "1.1 规模结构"; "前言" is chapter 0), for the seed's PDF text as for our HTML or PDF text.
- :func:`coverage` and :func:`subsection_coverage` say which of the seed's figures and subsections a report carries,
  chapter matched by *title*, not number (our numbering may differ from the seed's).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser

FULL_WIDTH = str.maketrans("０１２３４５６７８９％．", "0123456789%.")

# Units a number may carry, longest first so "2个百分点" is not "2个" and "3万人次" is not "3万人". A unit may be
# preceded by a magnitude (万/亿/千: "9.6万人", "148.05亿元") and by 余/多 ("160余名", "15000余人次"); both are kept
# in the unit as printed.
BASE_UNITS = sorted(
    [
        "%",
        "个百分点",
        "百分点",
        "元",
        "人次",
        "人",
        "名",
        "位",
        "户",
        "所",
        "家",
        "个",
        "项",
        "门",
        "节",
        "册",
        "本",
        "套",
        "台",
        "件",
        "篇",
        "部",
        "份",
        "场",
        "次",
        "批",
        "期",
        "支",
        "种",
        "类",
        "条",
        "间",
        "座",
        "处",
        "张",
        "平方米",
        "亩",
        "公里",
        "小时",
        "学时",
        "课时",
        "分钟",
        "天",
        "周",
        "个月",
        "年",
        "岁",
        "倍",
        "分",
        "金",
        "银",
        "铜",
        "优胜奖",
        "优胜",
        "国",
        "日次",
        "人日",
        "批次",
        "学分",
        "区",
        "省",
    ],
    key=len,
    reverse=True,
)
UNIT_RE = "(?:(?:万|亿|千)?(?:余|多)?(?:" + "|".join(re.escape(u) for u in BASE_UNITS) + ")|万余?|亿)"
NUMBER_RE = r"\d+(?:,\d{3})*(?:\.\d+)?"
FIGURE = re.compile(rf"(?P<value>{NUMBER_RE}(?:(?P<range>[-—~～])\d+(?:\.\d+)?|:\d+(?:\.\d+)?)?)(?P<unit>{UNIT_RE})?")
# A number is not a figure when it is an ordinal (第 5 年), a caption or case number (图 1, 案例 3, 表 2), or part of
# a code (G60, 5G, 1+X); nor when what follows makes it a date, a rank or a number of its own (2019年度, 70周年,
# 17级, 46届, 7号).
NOT_BEFORE = re.compile(r"(第|案例|图|表|附件|附表|[A-Za-z+＋·.\d])$")
NOT_AFTER = re.compile(r"^([A-Za-z+＋]|年度|周年|级|届|号)")
DIGIT_ONLY_LINE = re.compile(r"^\s*\d{1,3}\s*$")


def normalise(text: str) -> str:
    """The text as one string without the line breaks and spaces PDF extraction puts between characters.

    Full-width digits, percent and point become half-width, as does a colon between digits ("4：6"); lines holding
    only a short number (page numbers, footnote markers) are dropped; whitespace disappears except between two
    digits, where one space is kept so that "图 1 2018" does not become "图12018"."""
    text = re.sub(r"(?<=\d)\s*：\s*(?=\d)", ":", text.translate(FULL_WIDTH).replace("\u3000", " "))
    lines = [line for line in text.splitlines() if not DIGIT_ONLY_LINE.match(line)]
    text = "\n".join(lines)
    text = re.sub(r"(?<=\d)\s+(?=\d)", "\x00", text)
    text = re.sub(r"\s+", "", text)
    return text.replace("\x00", " ")


@dataclass(frozen=True)
class Figure:
    value: str
    unit: str
    start: int
    end: int


def _is_year(value: str, unit: str) -> bool:
    if not unit.endswith("年"):
        return False
    parts = re.split(r"[-—~～]", value)
    return any("." not in p and 1000 <= int(p.replace(",", "")) for p in parts if p)


def figures_in(text: str) -> list[Figure]:
    """The figures of ``text`` (normalised first): a number — integer, decimal, range "2-3" or ratio "12.3:1" —
    followed by a unit of :data:`BASE_UNITS`, or a ratio on its own (unit ``"比"``). Not figures: years used as dates
    ("2019年", "2018-2020年"), dates ("3月2日"), document numbers ("〔2020〕7号"), ordinals ("第5年", "46届", "17级"),
    caption and case numbers ("图1", "案例3"), codes ("G60", "1+X") and numbers with no unit."""
    text = normalise(text)
    found = []
    for m in FIGURE.finditer(text):
        value, unit = m.group("value"), m.group("unit") or ""
        before, after = text[max(0, m.start() - 2) : m.start()], text[m.end() : m.end() + 2]
        if NOT_BEFORE.search(before) or NOT_AFTER.match(text[m.start("unit") if unit else m.end() :]):
            continue
        if ":" in value:
            if unit:
                continue  # "4:6" is a ratio; a unit after it is something else
            unit = "比"
        elif not unit or _is_year(value, unit):
            continue
        if unit.endswith("年") and (after.startswith("级") or not re.match(r"^\d{1,2}(\.\d)?$", value)):
            continue  # durations only ("近30年来"), never a year or a grade
        found.append(Figure(value.replace(",", ""), unit, m.start(), m.end()))
    return found


def canonical(value: str) -> str:
    """``value`` for comparison: "557.10" and "557.1" are the same figure; ranges and ratios compare as printed."""
    try:
        return format(Decimal(value).normalize(), "f")
    except InvalidOperation:
        return value


def figure_keys(text: str) -> set[tuple[str, str]]:
    return {(canonical(f.value), f.unit) for f in figures_in(text)}


# --- headings -----------------------------------------------------------------------------------------------------

CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
CHAPTER = re.compile(
    r"^第?(?P<n>[1-9]|1[0-9]|[一二三四五六七八九十]{1,2})(?:章|、|\.|．)?(?P<title>[\u4e00-\u9fff“”]{2,16})$"
)
SUBSECTION = re.compile(r"^(?P<c>[1-9]|1[0-9])[.．](?P<s>\d{1,2})[.．]?(?P<title>[^\d。；;].{1,38})$")
# Unnumbered headings that end the last chapter (our report's signed statements come after the chapters).
END_HEADINGS = ("责任声明与数据说明", "附表", "附录")


def _cn_number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if len(text) == 2:  # 十一 … 十九
        return 10 + CN_DIGITS[text[1]] if text[0] == "十" else CN_DIGITS[text[0]] * 10
    return CN_DIGITS[text]


def _heading_text(line: str) -> str:
    return re.sub(r"\s+", "", line.translate(FULL_WIDTH))


@dataclass
class Chapter:
    number: int
    title: str
    lines: list[str] = field(default_factory=list)
    subsections: dict[str, str] = field(default_factory=dict)  # "1.1" -> title
    line_subsections: list[str | None] = field(default_factory=list)  # the subsection each of ``lines`` is in

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def parts(self) -> list[tuple[str | None, str]]:
        """(subsection number or None before the first, its text) in order."""
        parts: list[tuple[str | None, list[str]]] = []
        for sub, line in zip(self.line_subsections, self.lines):
            if not parts or parts[-1][0] != sub:
                parts.append((sub, []))
            parts[-1][1].append(line)
        return [(sub, "\n".join(lines)) for sub, lines in parts]

    def add(self, line: str, subsection: str | None = None) -> None:
        self.lines.append(line)
        self.line_subsections.append(subsection or (self.line_subsections[-1] if self.line_subsections else None))


def parse(text: str) -> dict[int, Chapter]:
    """The chapters of a report's text (PDF text or :func:`html_text`), by number, with their subsections' titles.

    A chapter heading is a line "1 基本情况" / "1.基本情况" / "一、基本情况" / "第一章 基本情况" (a short title of
    Chinese characters only) whose number is the next one; "前言" on its own line is chapter 0. A subsection heading
    is a line "1.1 规模结构" of the current chapter, numbered upwards, not a sentence (no "。", at most 40 characters).
    Requiring the numbers in sequence keeps sentences that happen to begin a line with a number ("66 个优秀教学案例。",
    "7 号），制定…") out. An unnumbered heading from :data:`END_HEADINGS` ends the last chapter."""
    chapters: dict[int, Chapter] = {}
    current: Chapter | None = None
    last_sub = 0
    for line in text.splitlines():
        head = _heading_text(line)
        if head == "前言" and not chapters:
            current = chapters[0] = Chapter(0, "前言")
            last_sub = 0
            continue
        if head in END_HEADINGS and chapters:
            current = None
            continue
        m = CHAPTER.match(head)
        if m:
            n = _cn_number(m.group("n"))
            expected = max((c for c in chapters), default=0) + 1
            if n == expected:
                current = chapters[n] = Chapter(n, m.group("title"))
                last_sub = 0
                continue
        m = SUBSECTION.match(head)
        if m and current is not None and int(m.group("c")) == current.number and int(m.group("s")) > last_sub:
            last_sub = int(m.group("s"))
            current.subsections[f"{current.number}.{last_sub}"] = m.group("title")
            current.add(line, f"{current.number}.{last_sub}")
            continue
        if current is not None:
            current.add(line)
    return chapters


def chapters_of(text: str) -> dict[int, str]:
    """{chapter number: chapter text} of a report's text; see :func:`parse`."""
    return {n: c.text for n, c in parse(text).items()}


def chapter_titles(text: str) -> dict[int, str]:
    return {n: c.title for n, c in parse(text).items()}


def same_title(a: str, b: str) -> bool:
    """Chapter titles match when equal, or when one holds the other ("党建" and "学校党建工作情况")."""
    a, b = _heading_text(a), _heading_text(b)
    return a == b or (min(len(a), len(b)) >= 2 and (a in b or b in a))


# --- coverage -----------------------------------------------------------------------------------------------------


def coverage(figures: Iterable[dict], report_text: str, titles: dict[int, str]) -> tuple[list[dict], list[dict]]:
    """(found, missing) of the seed's ``figures`` in ``report_text``.

    A figure is found when the text of the report's chapter whose title matches the seed chapter's title
    (``titles``: seed chapter number -> title) holds that value immediately followed by that unit, after
    normalisation, as a figure of its own (so "8.05亿元" is not found in "148.05亿元", nor "2个" in "2个百分点").
    Values compare as numbers ("557.1" finds "557.10")."""
    chapters = parse(report_text)
    keys_by_title: dict[str, set[tuple[str, str]]] = {}
    found, missing = [], []
    for fig in figures:
        title = titles[fig["chapter"]]
        if title not in keys_by_title:
            text = "\n".join(c.text for c in chapters.values() if same_title(c.title, title))
            keys_by_title[title] = figure_keys(text)
        key = (canonical(str(fig["value"])), fig["unit"])
        (found if key in keys_by_title[title] else missing).append(fig)
    return found, missing


def subsections(text: str) -> list[tuple[str, str, str]]:
    """(chapter title, number, subsection title) of every subsection heading of a report's text."""
    return [(c.title, number, title) for c in parse(text).values() for number, title in c.subsections.items()]


def subsection_coverage(
    seed: Iterable[tuple[str, str, str]], report_text: str
) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """(found, missing) of the ``seed``'s subsections — (chapter title, number, title), as :func:`subsections` gives
    them — among ``report_text``'s subsection headings: found when a subsection of the report's chapter with the
    matching title (:func:`same_title`) bears the same title, spaces aside."""
    ours = subsections(report_text)
    found, missing = [], []
    for chapter, number, title in seed:
        hit = any(same_title(chapter, c) and _heading_text(title) == _heading_text(t) for c, _, t in ours)
        (found if hit else missing).append((chapter, number, title))
    return found, missing


# --- HTML as text -------------------------------------------------------------------------------------------------

BLOCK_TAGS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "li", "figure", "figcaption", "table", "section"}
SKIP_TAGS = {"style", "script", "title", "head"}


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIP_TAGS:
            self.skip += 1
        elif tag in BLOCK_TAGS or tag == "br":
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_text(html: str) -> str:
    """The visible text of a rendered report: one line per heading, paragraph, caption and table row."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)
