"""How much of the published 2020 city report the demo's city report carries (issue #13): the measuring harness.

``tests/data/city_report_figures.yaml`` lists the seed report's figures (value, unit, chapter), generated from
``tests/data/vocational_quality_report_2020.txt`` by ``tests/data/extract_figures.py``; ``tests/report_figures.py``
measures a rendered report against it. The ratchet at the end keeps the demo from falling below what it carries.
"""

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from tests.report_figures import (
    canonical,
    chapter_titles,
    chapters_of,
    coverage,
    figures_in,
    html_text,
    normalise,
    parse,
    subsection_coverage,
)

DATA = Path(__file__).parent / "data"
FIGURES = DATA / "city_report_figures.yaml"
SEED = DATA / "vocational_quality_report_2020.txt"

# The demo's 2020 city report must carry at least 90% of the seed's figures and subsections (issue #13); it carries
# 392 of 393 figures and 31 of 31 subsections — the ratchet keeps it there. The one missing figure is 校均固定资产总额
# 2.08亿元: the seed's own 148.05亿元 over its 71 schools is 2.085, which rounds half-up to 2.09.
TARGET = 0.9
BASELINE_FIGURES = 392  # of 393
BASELINE_SUBSECTIONS = 31  # of 31


@pytest.fixture(scope="module")
def listed():
    return yaml.safe_load(FIGURES.read_text(encoding="utf-8"))


def seed_subsections(listed):
    return [(listed["chapters"][int(n.split(".")[0])], n, t) for n, t in listed["subsections"].items()]


# --- the helpers --------------------------------------------------------------------------------------------------


def test_normalise_undoes_pdf_spacing_and_line_breaks():
    assert normalise("达到\n148.05 亿元，比 2019 年增长 5.73%") == "达到148.05亿元，比2019年增长5.73%"
    assert normalise("分别为 10643\n\n人、7901 人") == "分别为10643人、7901人"
    assert normalise("总额 148.\n05 亿元") == "总额148.05亿元"
    assert normalise("合格率为９２．０４％") == "合格率为92.04%"
    # a page number or footnote marker on its own line goes; two numbers stay apart
    assert normalise("显示\n1\n，2019 年\n53\n") == "显示，2019年"
    assert normalise("图 1 2018-2020 年") == "图1 2018-2020年"


def test_figures_are_numbers_with_units():
    found = [(f.value, f.unit) for f in figures_in("达到 148.05 亿元，比 2019 年增长 5.73%，提高 1.6 个百分点")]
    assert found == [("148.05", "亿元"), ("5.73", "%"), ("1.6", "个百分点")]
    assert [(f.value, f.unit) for f in figures_in("生师比为 12.3:1；职普比为 4：6")] == [
        ("12.3:1", "比"),
        ("4:6", "比"),
    ]
    assert [(f.value, f.unit) for f in figures_in("在校生 9.6 万人，160 余名学生，15000 余人次")] == [
        ("9.6", "万人"),
        ("160", "余名"),
        ("15000", "余人次"),
    ]
    assert [(f.value, f.unit) for f in figures_in("在编 10643\n人、7901 人")] == [("10643", "人"), ("7901", "人")]


def test_years_dates_ordinals_and_numbering_are_not_figures():
    for text in (
        "2020 年，上海",
        "2019 年度",
        "（2020—2023 年）",
        "截至 3 月 2\n日",
        "沪教委职〔2020〕7 号",
        "连续第 5 年",
        "第 46 届世界技能大赛",
        "46届世赛",
        "17级汽车专业",
        "图 1 2018-2020 年",
        "案例 3 弘扬工匠精神",
        "1+X证书",
        "成立70周年",
        "显示1，2019 年",
    ):
        assert figures_in(text) == [], text
    assert [(f.value, f.unit) for f in figures_in("建校近 30年来")] == [("30", "年")]


def test_chapters_split_at_headings_in_seed_html_and_pdf_text():
    seed_like = " 前言\n全市 16 个区\n 1 基本情况\n1.1 规模结构\n学校 90 所\n66 个优秀教学案例。\n9 问题与展望\n"
    assert chapter_titles(seed_like) == {0: "前言", 1: "基本情况"}  # 9 does not follow 1: a sentence
    assert "90所" in normalise(chapters_of(seed_like)[1])
    ours = "<h1>报告</h1><h2>1 基本情况</h2><h3>1.1 规模结构</h3><p>学校 90 所</p><h2>2 学生发展</h2><p>x</p>"
    ours += '<section class="statement"><h2>责任声明与数据说明</h2><p>本报告数据来源于71所学校</p></section>'
    chapters = parse(html_text(ours))
    assert {n: c.title for n, c in chapters.items()} == {1: "基本情况", 2: "学生发展"}
    assert chapters[1].subsections == {"1.1": "规模结构"}
    assert "71所" not in normalise(chapters[2].text)
    assert chapter_titles("一、基本情况\n文字\n二、学生发展\n") == {1: "基本情况", 2: "学生发展"}


def test_coverage_matches_value_unit_and_chapter_title():
    figures = [
        {"chapter": 1, "value": "148.05", "unit": "亿元"},
        {"chapter": 1, "value": "557.10", "unit": "万册"},
        {"chapter": 1, "value": "2", "unit": "个"},
        {"chapter": 2, "value": "98.5", "unit": "%"},
    ]
    titles = {1: "基本情况", 2: "学生发展"}
    text = "1 学生发展\n就业率 98.5%\n2 基本情况\n资产 148.05亿元，图书 557.1万册，提高 2 个百分点\n"
    found, missing = coverage(figures, text, titles)
    assert [f["value"] for f in found] == ["148.05", "557.10", "98.5"]
    assert [f["value"] for f in missing] == ["2"]  # "2个百分点" is not "2个"
    found, missing = coverage(figures[:1], "1 学生发展\n148.05亿元\n", titles)
    assert missing == figures[:1]  # right figure, wrong chapter


# --- the list -----------------------------------------------------------------------------------------------------


def test_the_figure_list_is_well_formed(listed):
    figures = listed["figures"]
    assert 350 <= len(figures) <= 600
    assert set(listed["chapters"]) == set(range(10))
    assert len(listed["subsections"]) == 31
    keys = set()
    for fig in figures:
        assert fig["chapter"] in range(10) and fig["value"] and fig["unit"], fig
        assert fig["subsection"] is None or fig["subsection"] in listed["subsections"], fig
        key = (fig["chapter"], canonical(fig["value"]), fig["unit"])
        assert key not in keys, fig
        keys.add(key)


def test_the_list_is_what_the_extractor_makes_of_the_seed():
    out = subprocess.run(
        [sys.executable, str(DATA / "extract_figures.py"), str(SEED)],
        capture_output=True,
        text=True,
        check=True,
        encoding="utf-8",
    ).stdout
    assert out == FIGURES.read_text(encoding="utf-8"), "regenerate: python tests/data/extract_figures.py > " + str(
        FIGURES
    )


# --- the ratchet --------------------------------------------------------------------------------------------------


def measure(text, listed):
    figures = listed["figures"]
    found, missing = coverage(figures, text, listed["chapters"])
    subs_found, subs_missing = subsection_coverage(seed_subsections(listed), text)
    groups = Counter((f["chapter"], f["unit"]) for f in missing).most_common(20)
    message = (
        f"figures {len(found)}/{len(figures)} ({len(found) / len(figures):.1%}), "
        f"subsections {len(subs_found)}/{len(subs_found) + len(subs_missing)}; "
        f"most missing (chapter, unit): {groups}; missing: {[(f['chapter'], f['value'] + f['unit']) for f in missing]}"
    )
    print(message)
    return len(found), len(subs_found), message


@pytest.fixture
def published_city_report(demo, db):
    """The demo's 2020 city report as the public reads it: the portal's published version."""
    from dudao.portal.selectors import public_publications

    return public_publications(period="2020", org="310000").filter(status="published", template="quality_annual").get()


@pytest.mark.django_db
def test_demo_city_report_carries_the_seed_figures(published_city_report, listed):
    from dudao.portal.publishing import html_of

    found, subsections, message = measure(html_text(html_of(published_city_report)), listed)
    assert found >= max(BASELINE_FIGURES, TARGET * len(listed["figures"])), message
    assert subsections >= max(BASELINE_SUBSECTIONS, TARGET * len(listed["subsections"])), message


@pytest.mark.django_db
def test_demo_city_report_pdf_carries_the_seed_figures(published_city_report, listed, tmp_path):
    """The same measure on the text of the PDF (what a reader downloads): extraction breaks lines and spaces, the
    measuring helper undoes that as it does for the seed's own PDF text."""
    import pdfplumber

    from dudao.portal.publishing import pdf_of

    path = tmp_path / "city.pdf"
    path.write_bytes(pdf_of(published_city_report))
    with pdfplumber.open(path) as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
    found, subsections, message = measure(text, listed)
    assert found >= TARGET * len(listed["figures"]), message
    assert subsections >= TARGET * len(listed["subsections"]), message


# --- computed, never typed (issue #13 point 6) --------------------------------------------------------------------

# Per chapter of the city report: a figure the compilers' text carries by reference, the school data element behind
# it, and the value it prints before one school's approved value is raised by one.
PROVENANCE = [
    ("基本情况", "staff_total", "11057人", "11058人"),
    ("学生发展", "graduates", "28052人", "28053人"),
    ("质量保障", "majors_opened", "30个", "31个"),
    ("校企合作", "apprenticeship_majors", "38个", "39个"),
    ("社会贡献", "employed_local", "5263人", "5264人"),
    ("政府履责", "national_scholarship", "127名", "128名"),
]


@pytest.mark.django_db
def test_changing_one_schools_approved_value_changes_the_city_report_chapter_by_chapter(demo):
    """Every aggregate in the city report is the engine's: change one school's approved value, rebuild, and the
    chapter's figure follows — nothing was typed. The 前言's coverage comes from the portal's publication records."""
    from dudao.collection.models import DataValue
    from dudao.collection.selectors import period
    from dudao.indicators.engine import rebuild
    from dudao.orgs.selectors import city
    from dudao.portal.models import Publication
    from dudao.reports.builder import build
    from dudao.reports.render import to_html

    def chapters():
        return parse(html_text(to_html(build(city(), period("2020")))))

    def chapter(parsed, title):
        return normalise(next(c.text for c in parsed.values() if c.title == title))

    before = chapters()
    for title, element, old, new in PROVENANCE:
        assert old in chapter(before, title) and new not in chapter(before, title), (title, old)
        value = DataValue.objects.filter(element__code=element, period__code="2020", org__code="3101010001").get()
        value.number += 1
        value.value = str(value.number)
        value.save()
    rebuild()
    after = chapters()
    for title, _, _, new in PROVENANCE:
        assert new in chapter(after, title), (title, new)

    preface = chapter(after, "前言")
    assert "71所" in preface and "16个" in preface
    Publication.objects.filter(org__code="3101010001", period__code="2020").delete()  # one school withdrawn
    assert "70所" in chapter(chapters(), "前言")
