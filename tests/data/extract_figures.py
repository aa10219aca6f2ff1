"""List the quantitative figures of the published 2020 city report, for the coverage test of issue #13.

Run from the repository root:

    python tests/data/extract_figures.py > tests/data/city_report_figures.yaml

The input is ``tests/data/vocational_quality_report_2020.txt`` (a copy of ``../shared/seeds/``: the text extracted
from the PDF of 《2020年度上海中等职业教育质量年度报告》) or the file named as the first argument.

Rules (implemented in ``tests/report_figures.py``, shared with the test that measures our report):

- Chapters and subsections are headings on their own line: "前言" (chapter 0), " 1 基本情况" … "9 问题与展望"
  (numbered in sequence, Chinese title only), "1.1 规模结构" (numbered upwards within the chapter, no "。").
  Every figure is filed under its chapter (0–9) and subsection ("1.1", or null before the first subsection).
- The text is normalised first: full-width digits become ASCII, lines holding only a short number (page numbers,
  footnote markers) are dropped, and the spaces and line breaks PDF extraction puts between characters vanish
  (except between two digits).
- A figure is a number (integer, decimal, range "2-3", or ratio "12.3:1") followed by a counting or measuring unit
  (``BASE_UNITS``: 人, 名, 所, 个, 元, 册, 次, 天, …; "%" and "个百分点"), optionally with a magnitude (万/亿/千) and
  余/多 before it, kept in the unit as printed ("9.6" "万人", "160" "余名"). A ratio stands alone (unit "比").
- Not figures: years used as dates ("2019年", "2018-2020年", "2019年度"), dates ("3月2日": 月/日 are no units),
  document numbers ("〔2020〕7号": 号 is no unit), ordinals ("第5年", "第46届", "46届", "17级"), caption and case
  numbers ("图1", "案例3"), codes ("G60", "5G", "1+X"), footnote markers and list numbering (no unit follows).
  "年" counts only as a duration of at most two digits ("近30年来").
- Entries with the same (chapter, value, unit) — value compared as a number — are listed once, at their first
  occurrence. ``context`` is about 20 characters around the figure, spaces removed, for people reading the list.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.report_figures import canonical, figures_in, normalise, parse  # noqa: E402

SEED = Path(__file__).resolve().parent / "vocational_quality_report_2020.txt"

HEADER = """\
# The quantitative figures of the published 2020 city report (《2020年度上海中等职业教育质量年度报告》), for the
# coverage test of issue #13. Generated — do not edit by hand:
#     python tests/data/extract_figures.py > tests/data/city_report_figures.yaml
# Rules: see the docstring of tests/data/extract_figures.py. chapter: the seed's chapter (0 = 前言, 1–9);
# subsection: "1.1" or null; value and unit as printed (normalised); context: surrounding text, for people.
"""


def extract(text: str) -> dict:
    chapters = parse(text)
    entries, seen = [], set()
    for number, chapter in chapters.items():
        for subsection, part in chapter.parts():
            flat = normalise(part)
            for fig in figures_in(part):
                key = (number, canonical(fig.value), fig.unit)
                if key in seen:
                    continue
                seen.add(key)
                context = flat[max(0, fig.start - 10) : fig.end + 8].replace(" ", "")
                entries.append(
                    {
                        "chapter": number,
                        "subsection": subsection,
                        "value": fig.value,
                        "unit": fig.unit,
                        "context": context,
                    }
                )
    return {
        "chapters": {n: c.title for n, c in chapters.items()},
        "subsections": {s: t for c in chapters.values() for s, t in c.subsections.items()},
        "figures": entries,
    }


def main(argv: list[str]) -> None:
    path = Path(argv[1]) if len(argv) > 1 else SEED
    data = extract(path.read_text(encoding="utf-8"))
    sys.stdout.write(HEADER)
    sys.stdout.write(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000))


if __name__ == "__main__":
    main(sys.argv)
