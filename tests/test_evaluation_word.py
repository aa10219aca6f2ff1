"""Evaluation reports as Word files (``/evaluation/<code>/report.docx``): the offices that edit a report before
sending it on get the same headings, paragraphs and tables as the printed HTML, on an official A4 page."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import get_user_model
from docx import Document

from dudao.documents import html_to_docx


def _open(data: bytes):
    return Document(io.BytesIO(data))


def _headings(doc) -> list[str]:
    return [p.text for p in doc.paragraphs if p.style.name.startswith(("Heading", "Title"))]


def test_the_blocks_of_the_html_become_word_blocks():
    html = """<!doctype html><html><head><title>不应出现</title><style>h1 { color: red; }</style></head><body>
    <h1>2020年度某区评估报告</h1><div class="meta">依据文件<br>生成于 2021年3月1日</div>
    <h2>一、资源配置</h2><p>差异系数 <strong>0.42</strong>，达标。</p>
    <h3>（一）小学</h3>
    <table><thead><tr><th>指标</th><th class="num">数值</th></tr></thead>
    <tbody><tr><td>生均教学用房</td><td class="num">6.10</td></tr>
    <tr><td>备注 <br>
      第二行</td><td><table><tr><td>内表</td></tr></table>外</td></tr></tbody></table>
    <ul><li>甲 &amp; 乙</li><li>丙\x01丁</li></ul><ol><li>第一</li><li>第二</li></ol>
    <form><input value="x"><button>保存</button></form>
    </body></html>"""
    doc = _open(html_to_docx(html))
    assert _headings(doc) == ["2020年度某区评估报告", "一、资源配置", "（一）小学"]
    texts = [p.text for p in doc.paragraphs if p.text]
    assert "依据文件\n生成于 2021年3月1日" in texts and "差异系数 0.42，达标。" in texts
    assert "· 甲 & 乙" in texts and "· 丙丁" in texts  # the control character is dropped, not a broken file
    assert "1. 第一" in texts and "2. 第二" in texts
    assert not any("不应出现" in t or "保存" in t or "color" in t for t in texts)
    (table,) = doc.tables
    cells = [[c.text for c in row.cells] for row in table.rows]
    assert cells[0] == ["指标", "数值"] and cells[1] == ["生均教学用房", "6.10"]
    assert cells[2][0] == "备注\n第二行" and "内表" in cells[2][1] and "外" in cells[2][1]
    assert table.rows[0].cells[0].paragraphs[0].runs[0].bold  # a header cell
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.top_margin.mm)) == (210, 37)  # A4, GB/T 9704
    assert "PAGE" in section.footer.paragraphs[0]._p.xml


@pytest.mark.django_db
def test_a_district_downloads_its_evaluation_report_as_word(demo, client):
    """徐汇's 优质均衡 report: the Word file carries the report's title, every table of the HTML with the same cells,
    the computed verdict and the district's submitted self-evaluation after it."""
    client.force_login(get_user_model().objects.get(username="inspector"))
    query = "?org=310104&period=2020"
    html = client.get(f"/evaluation/balanced/report.html{query}").content.decode()
    answer = client.get(f"/evaluation/balanced/report.docx{query}")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="balanced_310104_2020.docx"' in answer["Content-Disposition"]
    doc = _open(answer.content)
    title = re.search(r"<h1>(.*?)</h1>", html).group(1)
    assert _headings(doc)[0] == title
    assert "自评报告" in " ".join(_headings(doc))
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "徐汇区高度重视义务教育优质均衡发展工作" in body
    top_level_tables = len(re.findall(r"<table", html)) - len(re.findall(r"<td[^>]*>\s*<table", html))
    assert len(doc.tables) == top_level_tables > 0
    first_html_cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", html.split("<table", 1)[1].split("</tr>", 1)[0], re.S)
    first_word_cells = [c.text for c in doc.tables[0].rows[0].cells]
    assert first_word_cells == [re.sub(r"<[^>]+>", "", c).strip() for c in first_html_cells]
    # the links on the scheme page offer it; a format the report does not have is a 404
    page = client.get(f"/evaluation/balanced/{query}").content.decode()
    assert "/evaluation/balanced/report.docx?org=310104" in page
    assert client.get(f"/evaluation/balanced/report.odt{query}").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "code, query", [("preschool", "?org=310000&period=2020"), ("provincial_duty", "?org=310000&period=2020")]
)
def test_the_city_reports_of_other_schemes_open_in_word(demo, client, code, query):
    client.force_login(get_user_model().objects.get(username="inspector"))
    html = client.get(f"/evaluation/{code}/report.html{query}")
    assert html.status_code == 200
    doc = _open(client.get(f"/evaluation/{code}/report.docx{query}").content)
    assert _headings(doc)[0] == re.search(r"<h1>(.*?)</h1>", html.content.decode()).group(1)
