"""Excel templates and uploads (Excel 模板导入导出).

Two shapes, because two kinds of people fill them:

* a school template — one row per data element (编码 | 项目 | 单位 | 填报值), filled by the school's 采集员;
* a district sheet — one row per school, one column per element, filled by a district office for many schools.

An upload is all-or-nothing: every cell is checked first and *every* bad cell is reported as ``数据!D7: …``; only a
clean file is written, in one transaction, through :func:`services.save_values` so locking and the audit trail apply.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from dudao import documents, faults
from dudao.collection import workflows
from dudao.errors import UNPROCESSABLE, DudaoError
from dudao.orgs.access import has_role

from . import services
from .models import Campaign, Submission

SHEET = "数据"
META = "_meta"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
MAX_UPLOAD_ROWS = 5000
MAX_UPLOAD_COLUMNS = 500
MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # a filled district sheet is well under 1 MB


def rejected(errors: list[str]) -> DudaoError:
    """The file was rejected; ``errors`` lists every problem ("sheet!A1: message"). Nothing was saved."""
    return DudaoError("\n".join(errors), errors=errors, status=UNPROCESSABLE)


@dataclass
class ImportResult:
    saved: int = 0
    schools: list[str] = field(default_factory=list)


def _members(campaign: Campaign):
    return list(campaign.dataset.members.select_related("element"))


def _workbook_bytes(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _write_meta(wb: Workbook, kind: str, campaign: Campaign, org_code: str) -> None:
    meta = wb.create_sheet(META)
    for row in (
        ("kind", kind),
        ("dataset", campaign.dataset.code),
        ("period", campaign.period.code),
        ("org", org_code),
    ):
        documents.append_row(meta, row)
    meta.sheet_state = "hidden"


def school_template(submission: Submission) -> bytes:
    campaign = submission.campaign
    values = services.values_of(submission)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    documents.append_row(ws, ["编码", "项目", "单位", "类型", "填报值"])
    for cell in ws[1]:
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
    for m in _members(campaign):
        current = values.get(m.element.code)
        documents.append_row(
            ws,
            [
                m.element.code,
                f"{m.section_name} · {m.element.name}",
                m.element.unit,
                m.element.get_value_type_display(),
                _cell_value(m.element, current.value) if current else None,
            ],
        )
        ws.cell(ws.max_row, 5).alignment = Alignment(wrap_text=not m.element.is_numeric)
    for col, width in zip("ABCDE", (26, 44, 8, 8, 40)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "E2"
    _write_meta(wb, "school", campaign, submission.org.code)
    return _workbook_bytes(wb)


def _cell_value(element, text: str):
    if element.is_numeric and text != "":
        number = Decimal(text)
        return int(number) if number == number.to_integral_value() else float(number)
    return text


def _open(fileobj) -> Workbook:
    """The uploaded workbook, after the checks that need no parsing (size, zip parts, declared sheet size).

    openpyxl builds every cell in memory here, so a file that would expand into more than a filled district sheet
    is refused by :func:`documents.check_xlsx_upload` first, in milliseconds.
    """
    documents.check_xlsx_upload(
        fileobj, max_rows=MAX_UPLOAD_ROWS, max_columns=MAX_UPLOAD_COLUMNS, limit=MAX_UPLOAD_BYTES
    )
    try:
        return load_workbook(fileobj, read_only=False, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, IndexError) as exc:
        raise rejected([f"文件无法读取，请上传由本系统下载的 .xlsx 模板（{type(exc).__name__}）"]) from None
    except Exception as exc:  # openpyxl raises many private error types on corrupt files
        raise rejected([f"文件无法读取，请上传 .xlsx 文件（{type(exc).__name__}）"]) from None


def _check_meta(wb: Workbook, kind: str, campaign: Campaign, org_code: str) -> list[str]:
    if META not in wb.sheetnames:
        return []  # a hand-made file: accept it if the cells line up
    meta = {str(r[0].value): str(r[1].value) for r in wb[META].iter_rows(max_col=2) if r[0].value}
    expected = {"kind": kind, "dataset": campaign.dataset.code, "period": campaign.period.code, "org": org_code}
    return [
        f"{META}!B{i + 1}: 模板属于 {key}={meta.get(key)}，与本次上传（{value}）不符"
        for i, (key, value) in enumerate(expected.items())
        if meta.get(key) not in (None, value)
    ]


def _sheet(wb: Workbook) -> Worksheet:
    if SHEET not in wb.sheetnames:
        raise rejected([f"找不到工作表“{SHEET}”"])
    ws = wb[SHEET]
    if ws.max_row > MAX_UPLOAD_ROWS or ws.max_column > MAX_UPLOAD_COLUMNS:
        raise rejected([f"{SHEET}: 表格过大（最多 {MAX_UPLOAD_ROWS} 行、{MAX_UPLOAD_COLUMNS} 列）"])
    return ws


def import_school(submission: Submission, fileobj, user) -> ImportResult:
    if not services.can_edit(user, submission):
        raise rejected(["当前状态下不能导入数据，或您无权修改该学校数据"])
    wb = _open(fileobj)
    errors = _check_meta(wb, "school", submission.campaign, submission.org.code)
    ws = _sheet(wb)
    elements = {m.element.code: m.element for m in _members(submission.campaign)}
    raw: dict[str, object] = {}
    seen: dict[str, int] = {}
    for row in ws.iter_rows(min_row=2, max_col=5):
        code_cell, value_cell = row[0], row[4] if len(row) >= 5 else None
        code = str(code_cell.value).strip() if code_cell.value is not None else ""
        if not code:
            continue
        ref = f"{SHEET}!A{code_cell.row}"
        if code not in elements:
            errors.append(f"{ref}: 未知的数据项编码“{code}”")
            continue
        if code in seen:
            errors.append(f"{ref}: 编码“{code}”重复（已在第 {seen[code]} 行）")
            continue
        seen[code] = code_cell.row
        value = value_cell.value if value_cell is not None else None
        try:
            services.parse_value(elements[code], value)
        except DudaoError as exc:
            errors.append(f"{SHEET}!E{code_cell.row}: {elements[code].name}{exc}")
            continue
        raw[code] = value
    if errors:
        raise rejected(errors)
    saved = services.save_values(submission, raw, user, reason="Excel 导入")
    return ImportResult(saved=len(saved), schools=[submission.org.code])


def district_submissions(campaign: Campaign, org, user) -> list[Submission]:
    """Submissions under ``org`` that this user may fill on the schools' behalf right now."""
    subs = campaign.submissions.filter(org__path__startswith=org.path).select_related("org", "campaign")
    return [s for s in subs if services.can_edit(user, s)]


def district_template(campaign: Campaign, org, user) -> bytes:
    members = _members(campaign)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    documents.append_row(ws, ["学校代码", "学校名称", *[m.element.code for m in members]])
    documents.append_row(
        ws, ["", "", *[f"{m.element.name}（{m.element.unit}）" if m.element.unit else m.element.name for m in members]]
    )
    for row in ws.iter_rows(min_row=1, max_row=2):
        for cell in row:
            cell.font, cell.fill = Font(bold=True), HEADER_FILL
    for sub in district_submissions(campaign, org, user):
        values = services.values_of(sub)
        documents.append_row(
            ws,
            [sub.org.code, sub.org.name]
            + [
                _cell_value(m.element, values[m.element.code].value) if m.element.code in values else None
                for m in members
            ],
        )
    ws.freeze_panes = "C3"
    ws.column_dimensions["B"].width = 32
    _write_meta(wb, "district", campaign, org.code)
    return _workbook_bytes(wb)


def import_district(campaign: Campaign, org, fileobj, user) -> ImportResult:
    wb = _open(fileobj)
    errors = _check_meta(wb, "district", campaign, org.code)
    ws = _sheet(wb)
    elements = {m.element.code: m.element for m in _members(campaign)}
    header = [c.value for c in ws[1]]
    columns: dict[int, str] = {}
    for index, code in enumerate(header[2:], start=3):
        if code is None or str(code).strip() == "":
            continue
        code = str(code).strip()
        ref = f"{SHEET}!{get_column_letter(index)}1"
        if code not in elements:
            errors.append(f"{ref}: 未知的数据项编码“{code}”")
        elif code in columns.values():
            errors.append(f"{ref}: 编码“{code}”重复")
        else:
            columns[index] = code
    by_code = {s.org.code: s for s in campaign.submissions.filter(org__path__startswith=org.path).select_related("org")}
    plan: list[tuple[Submission, dict]] = []
    seen_rows: dict[str, int] = {}
    for row in ws.iter_rows(min_row=3):
        school_code = str(row[0].value).strip() if row[0].value is not None else ""
        if not school_code:
            continue
        ref = f"{SHEET}!A{row[0].row}"
        sub = by_code.get(school_code)
        if sub is None:
            errors.append(f"{ref}: 学校代码“{school_code}”不在本区本次采集范围内")
            continue
        if school_code in seen_rows:
            errors.append(f"{ref}: 学校“{school_code}”重复（已在第 {seen_rows[school_code]} 行）")
            continue
        seen_rows[school_code] = row[0].row
        if not services.can_edit(user, sub):
            errors.append(f"{ref}: {sub.org.name} 当前状态“{workflows.workflow_of(sub).label(sub.state)}”不能修改")
            continue
        raw = {}
        for cell in row[2:]:
            code = columns.get(cell.column)
            if code is None:
                continue
            try:
                services.parse_value(elements[code], cell.value)
            except DudaoError as exc:
                errors.append(f"{SHEET}!{cell.coordinate}: {sub.org.name} {elements[code].name}{exc}")
                continue
            if cell.value is not None:
                raw[code] = cell.value
        plan.append((sub, raw))
    if errors:
        raise rejected(errors)
    result = ImportResult()
    with transaction.atomic():
        for sub, raw in plan:
            result.saved += len(services.save_values(sub, raw, user, reason="区级批量导入"))
            result.schools.append(sub.org.code)
        faults.checkpoint("district_import")  # every row written, nothing committed yet
    return result


def can_bulk(user, org) -> bool:
    return has_role(user, org, *services.EDIT_ROLES)
