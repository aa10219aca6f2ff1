"""Annual quality reports for the city, a district and a school in HTML, PDF and DOCX."""

import re

import pdfplumber
import pytest
from django.core.management import call_command
from docx import Document

from dudao.collection.models import Period
from dudao.indicators.query import readings
from dudao.orgs.models import OrgUnit
from dudao.reports import wording
from dudao.reports.builder import Case, Chart, Paragraph, Table, build
from dudao.reports.render import render

pytestmark = pytest.mark.django_db


def report_of(code, year="2020"):
    return build(OrgUnit.objects.get(code=code), Period.objects.get(code=year))


def text_of(report):
    return "\n".join(b.text for s in report.sections for b in s.blocks if isinstance(b, Paragraph))


def test_city_sections_follow_the_seed_report(demo):
    report = report_of("310000")
    titles = [s.title for s in report.sections if s.level == 1]
    assert titles == [
        "前言",
        "基本情况",
        "学生发展",
        "质量保障",
        "校企合作",
        "社会贡献",
        "政府履责",
        "特色创新",
        "学校党建工作情况",
        "问题与展望",
    ]
    subtitles = [s.title for s in report.sections if s.number.startswith("1.")]
    assert subtitles == ["规模结构", "设施设备", "教师队伍"]
    free = [s.title for s in report.sections if s.number.startswith("7.")]  # titled by the compilers
    assert free[0] == "统筹开展、各界联动，在线教学资源辐射其他省市"
    assert report.title == "2020年度上海市中等职业教育质量年度报告"


def test_city_text_carries_the_computed_figures(demo):
    """The compilers' chapters: their figures are tokens the engine fills in (see test_references)."""
    text = text_of(report_of("310000"))
    assert "148.05亿元，比2019年增长5.73%" in text
    assert "15.27万元，比2019年增长4.90%" in text
    assert "12.3:1" in text and "59.7%，比2019年提高1.6个百分点" in text
    assert "98.5%" in text and "21007人" in text and "3844.8元" in text
    assert "{{" not in text and "，，" not in text and "，。" not in text


def test_city_fallback_sentences_use_published_wording(demo):
    """A year nobody compiled (2019) still reads as a report: the outline's generated sentences stand in."""
    text = text_of(report_of("310000", "2019"))
    assert "固定资产总额达到140.03亿元，比2018年增长" in text
    assert "生师比为" in text and "“双师型”教师比例为" in text and "就业率" in text
    assert "，，" not in text and "，。" not in text


def test_charts_tables_cases_and_statements(demo):
    report = report_of("310000")
    blocks = [b for s in report.sections for b in s.blocks]
    charts = [b for b in blocks if isinstance(b, Chart)]
    assert len(charts) >= 10 and all(c.png.startswith(b"\x89PNG") for c in charts)
    assert charts[0].title == "2018-2020年上海中等职业学校生均固定资产额（万元）"
    table = next(b for b in blocks if isinstance(b, Table))
    assert table.header[1:4] == ["2018年", "2019年", "2020年"]
    assert [b for b in blocks if isinstance(b, Case)], "reviewed school cases appear in the city report"
    assert report.schools_total == report.schools_signed == 71 and len(report.statements) == 71


def test_school_report_has_its_free_text_and_statement(demo):
    report = report_of("3101010001")
    text = text_of(report)
    from dudao.collection.models import DataValue

    own = DataValue.objects.get(org__code="3101010001", period__code="2020", element__code="text_overview").value
    assert own and own in text  # the school's own reviewed text
    [statement] = report.statements
    assert statement.signer == "中华职业学校校长" and len(statement.sha256) == 64
    html = render(report, "html").decode()
    assert statement.sha256 in html and "签署人：中华职业学校校长" in html


def test_draft_text_never_reaches_a_report(demo):
    from dudao.collection.models import DataElement, DataValue

    school = OrgUnit.objects.get(code="3101010001")
    DataValue.objects.create(
        element=DataElement.objects.get(code="text_overview"),
        org=school,
        period=Period.objects.get(code="2021"),
        value="草稿里的文字",
    )
    assert "草稿里的文字" not in text_of(report_of("3101010001", "2021"))


def test_district_report(demo):
    report = report_of("310101")
    assert "黄浦区中等职业学校" in text_of(report)
    assert report.schools_total == 5 and len(report.statements) == 5


@pytest.mark.parametrize("code", ["310000", "310101", "3101010001"])
def test_pdf_renders_chinese_in_noto(demo, code, tmp_path):
    out = tmp_path / "r.pdf"
    call_command("report", "render", "--org", code, "--period", "2020", "--format", "pdf", "--out", str(out))
    with pdfplumber.open(out) as pdf:
        first = pdf.pages[0]
        # whitespace dropped: the cover's large title may wrap ("…质\n量年度报告")
        text = re.sub(r"\s", "", "".join(page.extract_text() or "" for page in pdf.pages))
        cjk_fonts = {c["fontname"].split("+")[-1] for c in first.chars if ord(c["text"][0]) > 0x2E80}
    assert "中等职业教育质量年度报告" in text and "基本情况" in text
    assert "(cid:" not in text  # no glyph without a character behind it (an empty box when printed)
    # the shipped Noto SC files (dudao fonts), by their own names — never a system CJK font such as fonts-noto-cjk's
    # NotoSansCJKsc: Typst is told to ignore system fonts (reports.typeset)
    assert cjk_fonts and all(f.startswith(("NotoSansSC-", "NotoSerifSC-")) for f in cjk_fonts), cjk_fonts
    assert len(pdf.pages) >= 4


def test_docx_and_html(demo, tmp_path):
    out = tmp_path / "r.docx"
    call_command("report", "render", "--org", "310000", "--period", "2020", "--format", "docx", "--out", str(out))
    doc = Document(out)
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "148.05亿元，比2019年增长5.73%" in body
    assert len(doc.inline_shapes) >= 10 and doc.tables
    html_out = tmp_path / "r.html"
    call_command("report", "render", "--org", "310000", "--period", "2020", "--format", "html", "--out", str(html_out))
    html = html_out.read_text(encoding="utf-8")
    # numbered per chapter: 图1-1 is chapter 1's first figure
    assert html.count("data:image/png;base64,") >= 10 and "图1-1 2018-2020年" in html


def test_change_wording_both_directions(demo):
    r = readings(OrgUnit.objects.get(code="310000"), Period.objects.get(code="2020"))
    assert wording.change(r["industry_tertiary_share"], 2019) == "比2019年降低15.3个百分点"
    assert wording.change(r["direct_share"], 2019) == "比2019年降低4个百分点"
    steady = r["schools"]
    assert wording.change(steady, 2019) == "与2019年基本持平"
    r2018 = readings(OrgUnit.objects.get(code="310000"), Period.objects.get(code="2018"))
    assert wording.change(r2018["students"], 2017) == ""


def test_unknown_org_is_a_clear_error(demo, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="找不到"):
        call_command(
            "report", "render", "--org", "999", "--period", "2020", "--format", "html", "--out", str(tmp_path / "x")
        )


def test_report_survives_a_json_round_trip(demo):
    import json

    from dudao.reports.builder import Report

    report = report_of("310101")
    frozen = json.loads(json.dumps(report.to_json(), ensure_ascii=False))
    again = Report.from_json(frozen)
    assert again == report
    assert render(again, "html") == render(report, "html")


def outline_titles(level):
    from dudao.reports.builder import outline

    return [c["title"] for c in outline("quality_annual", level)]


def test_school_report_follows_the_national_outline(demo):
    report = report_of("3101010001")
    titles = [s.title for s in report.sections if s.level == 1]
    assert titles == outline_titles("school")
    assert {"资助情况", "学生实习情况", "社会服务", "经费投入"} <= {s.title for s in report.sections if s.level == 2}
    assert titles[-1] == "附表" and isinstance(report.sections[-1].blocks[0], Table)
    cases = [b for s in report.sections for b in s.blocks if isinstance(b, Case)]
    assert cases and len({c.title for c in cases}) == len(cases)  # the school's own cases, each once
    text = text_of(report)
    assert "{{" not in text and "学生获得世界技能大赛全国选拔赛金牌" in text and "党员" in text
    assert "类专业在校生最多，占全校在校生的" in text and "{top}" not in text  # a ranking in words, computed


def test_district_report_is_weighted_to_government_duties(demo):
    report = report_of("310115")
    titles = [s.title for s in report.sections if s.level == 1]
    assert titles == [t for t in outline_titles("district") if t in titles] and "政府履责" in titles
    government = [b for s in report.sections if s.number.split(".")[0] == "6" for b in s.blocks]
    text = "\n".join(b.text for b in government if isinstance(b, Paragraph))
    assert "浦东工匠" in text and "{{" not in text  # the bureau's own reviewed narrative, figures filled in
    assert any(isinstance(b, Table) and b.title == "区级经费投入" for b in government)


def test_public_statistics_print_their_source(demo):
    report = report_of("310000")
    notes = {s.number: [b.text for b in s.blocks if type(b).__name__ == "Note"] for s in report.sections}
    assert any("《2020年上海市教育经费执行情况统计公告》" in n for n in notes["6.3"]), notes["6.3"]
    assert any("教育事业统计" in n for n in notes["1.1"]), notes["1.1"]
    assert not notes["1.2"]  # figures computed from the schools' approved data need no 数据来源 line


def test_city_ranking_names_the_largest_field(demo):
    report = report_of("310000")
    text = "\n".join(b.text for s in report.sections if s.number == "3.1" for b in s.blocks if isinstance(b, Paragraph))
    assert "类专业在校生规模最大，占全市中职在校生的" in text and "{top}" not in text and "{share}" not in text
