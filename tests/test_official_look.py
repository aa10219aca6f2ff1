"""Report documents in the conventions of official documents (issue #15 points 2–3): cover, table of contents with
page numbers, A4, per-chapter figure/table numbering, a compact statements appendix, a verification link with QR
code and the public page that checks a file's SHA-256; DOCX with Heading styles and a TOC field."""

import hashlib
import io
import re
from datetime import datetime

import pdfplumber
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from dudao.portal import publishing
from dudao.portal.models import Publication
from dudao.reports.builder import Case, Chart, Paragraph, Report, Section, Table, _numbered
from dudao.reports.render import to_docx, to_html

pytestmark = pytest.mark.django_db

A4 = (595.28, 841.89)  # points


def published(org_code: str) -> Publication:
    # the quality report (the city also publishes its 工作年报 for 2020)
    return Publication.objects.get(
        org__code=org_code, period__code="2020", status="published", template="quality_annual"
    )


def pages_text(pdf_bytes: bytes) -> tuple[list[str], list[tuple[float, float]]]:
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        return [p.extract_text() or "" for p in pdf.pages], [(float(p.width), float(p.height)) for p in pdf.pages]


@pytest.fixture(scope="module")
def city_pdf(demo, django_db_blocker):
    with django_db_blocker.unblock():
        publication = published("310000")
        return publication, publishing.pdf_of(publication)


def _toc_page(texts: list[str]) -> str:
    [toc] = [t for t in texts if "目录" in re.sub(r"\s", "", t.splitlines()[0] if t else "")]
    return toc


def test_city_pdf_has_cover_toc_a4_and_numbered_figures(city_pdf):
    publication, pdf = city_pdf
    texts, sizes = pages_text(pdf)
    report = publishing.report_of(publication)
    cover = re.sub(r"\s", "", texts[0])
    assert re.sub(r"\s", "", report.title) in cover and "上海市教育委员会" in cover
    issued = timezone.localtime(report.generated_at)  # the cover dates the report on Shanghai's calendar, not UTC's
    assert f"{issued.year}年{issued.month}月{issued.day}日" in cover
    assert all(abs(w - A4[0]) <= 1 and abs(h - A4[1]) <= 1 for w, h in sizes)
    toc = _toc_page(texts)
    chapters = [s for s in report.sections if s.level == 1 and s.number]
    entries = {line for line in toc.splitlines() if re.search(r"\d+$", line)}
    for chapter in chapters[:5]:  # the chapter titles, each followed by its page number
        assert any(chapter.title in line and re.search(r"\.\s*\d+$", line) for line in entries), chapter.title
    body = "".join(texts)
    assert "图1-1" in re.sub(r"\s", "", body) and "图1 " not in body


def test_city_statements_appendix_is_a_compact_table(city_pdf):
    publication, pdf = city_pdf
    texts, _ = pages_text(pdf)
    report = publishing.report_of(publication)
    assert len(report.statements) >= 70
    first = next(i for i, t in enumerate(texts) if t.lstrip().startswith("责任声明与数据说明"))
    assert len(texts) - first <= 3
    appendix = "".join(texts[first:])
    statement = report.statements[0]
    assert statement.sha256[:12] in appendix and statement.sha256 not in appendix
    assert report.verify_url.endswith(reverse("portal:verify"))  # one public check page, found by the hash
    assert report.verify_url in appendix.replace("\n", "")


def test_school_pdf_has_cover_and_toc(demo):
    publication = published("3101010001") if Publication.objects.filter(org__code="3101010001").exists() else None
    publication = publication or Publication.objects.filter(org__level="school", status="published").first()
    texts, sizes = pages_text(publishing.pdf_of(publication))
    report = publishing.report_of(publication)
    assert re.sub(r"\s", "", report.title) in re.sub(r"\s", "", texts[0])
    assert str(timezone.localtime(report.generated_at).year) + "年" in texts[0]
    toc = _toc_page(texts)
    assert re.search(r"\d+\s*$", toc.splitlines()[1])
    assert abs(sizes[0][0] - A4[0]) <= 1 and abs(sizes[0][1] - A4[1]) <= 1
    # the HTML (what the portal shows on screen) carries no copy of the titles in a TOC: only print fills it in
    assert to_html(report).count(f">{report.sections[1].number} {report.sections[1].title}<") == 1


def test_docx_is_a4_with_cover_heading_styles_toc_field_and_captions(demo):
    from docx import Document
    from docx.shared import Mm

    report = publishing.report_of(published("310000"))
    doc = Document(io.BytesIO(to_docx(report)))
    section = doc.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(1) and abs(section.page_height - Mm(297)) < Mm(1)
    xml = doc.element.xml
    assert 'TOC \\o "1-3" \\h \\z \\u' in xml and 'w:fldCharType="begin"' in xml
    settings = doc.settings.element.xml
    assert settings.count("<w:updateFields") == 1 and settings.index("<w:updateFields") < settings.index("<w:compat")
    styles = {p.style.name for p in doc.paragraphs}
    assert {"Heading 1", "Heading 2", "Title"} <= styles
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert "1 基本情况" in headings and "责任声明与数据说明" in headings
    cover = "".join(p.text for p in doc.paragraphs[:25])
    assert report.title in cover and "上海市教育委员会" in cover
    captions = [p.text for p in doc.paragraphs if p.style.name == "Caption"]
    assert any(c.startswith("图1-1 ") for c in captions) and any(c.startswith("表") for c in captions)
    assert doc.paragraphs[-2].text == report.verify_url and doc.paragraphs[-1]._p.xpath(".//pic:pic")  # + QR code
    appendix = doc.tables[-1]
    assert len(appendix.rows) == len(report.statements) + 1 and len(appendix.rows[1].cells[4].text) == 12


def test_verification_page_confirms_the_published_pdf_and_rejects_another(city_pdf, client):
    publication, pdf = city_pdf
    digest = hashlib.sha256(pdf).hexdigest()
    publication.refresh_from_db()
    assert publication.pdf_sha256 == digest
    url = reverse("portal:verify_publication", args=[publication.pk])
    assert f'href="{url}"' in client.get(reverse("portal:index")).content.decode()  # each listed version links it
    page = client.get(url).content.decode()
    assert digest in page and publication.title in page and "第2版" in page and "已公开" in page
    good = client.post(url, {"file": SimpleUploadedFile("city.pdf", pdf, "application/pdf")}).content.decode()
    assert 'id="verdict">一致' in good
    bad = client.post(url, {"file": SimpleUploadedFile("x.pdf", pdf + b"\n", "application/pdf")}).content.decode()
    assert 'id="verdict">不一致' in bad
    pasted = client.post(url, {"sha256": digest.upper()}).content.decode()
    assert 'id="verdict">一致' in pasted
    found = client.get(reverse("portal:verify"), {"sha256": digest}).content.decode()
    assert 'id="verdict">一致' in found and url in found
    missing = client.get(reverse("portal:verify"), {"sha256": "0" * 64}).content.decode()
    assert 'id="verdict">未找到' in missing


def test_pending_versions_are_not_verifiable(demo, client):
    from django.contrib.auth import get_user_model

    pub = published("310000")
    requester = get_user_model().objects.get(pk=pub.requested_by_id)
    pending = publishing.request(pub.org, pub.period, requester, notify=False)
    assert client.get(reverse("portal:verify_publication", args=[pending.pk])).status_code == 404
    assert publishing.report_of(pending).verify_url.endswith(reverse("portal:verify"))


def test_figures_and_tables_are_numbered_per_chapter():
    def chart():
        return Chart(0, "c", "pie")

    sections = [
        Section("", "前言", 1, [chart()]),
        Section("1", "基本情况", 1, [chart(), Table(0, "t", [], [])]),
        Section("1.1", "规模", 2, [chart(), Case(0, "a", "", "")]),
        Section("2", "学生发展", 1, [Table(0, "t", [], []), chart(), Case(0, "b", "", "")]),
    ]
    _numbered(sections)
    numbers = [(type(b).__name__, b.number) for s in sections for b in s.blocks]
    assert numbers == [
        ("Chart", "0-1"),
        ("Chart", "1-1"),
        ("Table", "1-1"),
        ("Chart", "1-2"),
        ("Case", 1),
        ("Table", "2-1"),
        ("Chart", "2-1"),
        ("Case", 2),
    ]


def test_snapshots_frozen_before_still_load_and_render():
    """A version frozen before per-chapter numbering and the verification link: integer numbers, no verify_url."""
    old = {
        "title": "2019年度上海市中等职业教育质量年度报告",
        "org_code": "310000",
        "org_name": "上海市",
        "level": "city",
        "period_code": "2019",
        "period_name": "2019年度",
        "sections": [
            {
                "number": "1",
                "title": "基本情况",
                "level": 1,
                "blocks": [
                    {"type": "Paragraph", "text": "全市中职学校90所。"},
                    {"type": "Table", "number": 1, "title": "规模", "header": ["指标"], "rows": [["学校"]]},
                ],
            }
        ],
        "statements": [
            {
                "school": "中华职业学校",
                "signer": "校长",
                "signed_at": "2020-03-01T10:00:00+08:00",
                "sha256": "ab" * 32,
                "text": "本人承诺",
            }
        ],
        "schools_total": 1,
        "schools_signed": 1,
        "generated_at": "2020-04-01T09:00:00+08:00",
    }
    report = Report.from_json(old)
    assert report.verify_url == "" and report.data_as_of == ""
    assert report.generated_at == datetime.fromisoformat("2020-04-01T09:00:00+08:00")
    html = to_html(report)
    assert "表1 规模" in html and "上海市教育委员会" in html and "ababababab" in html
    assert "verify-url" not in html  # no link for a file that names no publication
    assert Report.from_json(report.to_json()) == report


def test_verification_never_prints(demo, client):
    school = Publication.objects.filter(org__level="school", status="published").first()
    Publication.objects.filter(pk=school.pk).update(pdf_file="", pdf_sha256="")
    url = reverse("portal:verify_publication", args=[school.pk])
    page = client.post(url, {"sha256": ""}).content.decode()
    assert "PDF 尚未生成" in page and 'id="verdict">不一致' in page
    school.refresh_from_db()
    assert not school.pdf_file and school.pdf_sha256 == ""  # a crawler on this page prints nothing
    pdf = publishing.pdf_of(school)  # the first download prints and stores it, with its hash
    assert hashlib.sha256(pdf).hexdigest() in client.get(url).content.decode()
    assert Publication.objects.get(pk=school.pk).pdf_sha256 == hashlib.sha256(pdf).hexdigest()


def _small_report(text: str, **extra) -> Report:
    return Report(
        title="2020年度测试学校中等职业教育质量年度报告",
        org_code="3101010099",
        org_name="测试学校",
        level="school",
        period_code="2020",
        period_name="2020年度",
        sections=[Section("1", "基本情况", 1, [Paragraph(text)])],
        statements=[],
        schools_total=1,
        schools_signed=0,
        generated_at=datetime.fromisoformat("2021-01-31T23:30:00+00:00"),
        **extra,
    )


def test_typeset_prints_what_a_school_typed_as_text_never_as_typst_markup():
    """Every report text enters the Typst source as a string literal: markup, code and escapes stay text."""
    from dudao.reports.typeset import to_pdf

    typed = 'DATE TITLE #pagebreak() *粗体* $x^2$ "引号" \\ ] [ = 标题 <lbl> @ref #{panic("x")} 完'
    texts, sizes = pages_text(to_pdf(_small_report(typed + "\x01\x0b")))
    body = re.sub(r"\s", "", "".join(texts))
    assert re.sub(r"\s", "", typed) in body and "(cid:" not in body
    assert len(sizes) == 4  # cover, contents, the chapter, the statement page: no page break was obeyed


def test_typeset_dates_are_the_readers_calendar_and_the_bytes_are_reproducible():
    """23:30 UTC on 31 January is 1 February in Shanghai; the same snapshot prints the same bytes (its hash is what
    the verification page checks, whoever prints it first)."""
    from dudao.reports.typeset import to_pdf

    report = _small_report("正文。")
    first = to_pdf(report)
    texts, _ = pages_text(first)
    assert "2021年2月1日" in re.sub(r"\s", "", texts[0])
    from docx import Document

    cover = "".join(p.text for p in Document(io.BytesIO(to_docx(report))).paragraphs[:25])
    assert "2021年2月1日" in cover and "2021年1月31日" not in cover  # the Word file dates it the same way
    assert to_pdf(Report.from_json(report.to_json())) == first
