"""Importing a published statistics table (公开统计数据导入).

A table in long layout — one figure per row: 单位代码 | 指标代码 | 数值 (or org | element | value) — from one source
for one period. The import is all or nothing, like the schools' Excel upload: every cell is checked first and every
problem is reported with its row and column ("第3行 C列：'abc' 不是数字"); only a clean table is written, in one
transaction. The figures go in through :func:`dudao.collection.services.record_statistics` (so the indicator engine
and the audit trail see them like any approved value) and this app records where each came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from openpyxl.utils import get_column_letter

from dudao.collection import selectors as collection
from dudao.collection.campaigns import yearly_period
from dudao.collection.services import may_record_statistics, parse_value, record_statistics
from dudao.errors import UNPROCESSABLE, DudaoError, forbidden
from dudao.orgs import selectors as orgs

from .models import Import, ImportedValue, Source
from .tables import read_rows

if TYPE_CHECKING:
    from dudao.orgs.models import OrgUnit

# header aliases → the column's role
HEADERS = {
    "单位代码": "org",
    "org": "org",
    "指标代码": "element",
    "element": "element",
    "数值": "value",
    "value": "value",
}
COLUMN_NAMES = {"org": "单位代码", "element": "指标代码", "value": "数值"}
LINK = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def may_import(user) -> bool:
    """City administrators and the report team (报告编撰员), granted at the city."""
    root = orgs.city()
    return root is not None and may_record_statistics(user, root)


@dataclass(frozen=True)
class SourceFields:
    name: str
    publisher: str
    published_on: date
    link: str


def clean_source(source: dict) -> SourceFields:
    """The source's fields, checked: name, publisher and date required, the link optional but http(s).
    Raises one :class:`DudaoError` whose ``errors`` map each bad field to its message."""
    errors: dict[str, str] = {}
    name = str(source.get("name") or "").strip()
    publisher = str(source.get("publisher") or "").strip()
    link = str(source.get("link") or "").strip()
    raw_date = source.get("published_on")
    if not name:
        errors["name"] = "请填写来源名称"
    elif len(name) > 200:
        errors["name"] = "来源名称过长（不超过200字）"
    if not publisher:
        errors["publisher"] = "请填写发布单位"
    elif len(publisher) > 200:
        errors["publisher"] = "发布单位过长（不超过200字）"
    published_on = None
    if isinstance(raw_date, date):
        published_on = raw_date
    elif raw_date in (None, ""):
        errors["published_on"] = "请填写发布日期"
    else:
        try:
            published_on = date.fromisoformat(str(raw_date).strip())
        except ValueError:
            errors["published_on"] = f"发布日期“{raw_date}”应为 YYYY-MM-DD"
    if link and (not LINK.match(link) or len(link) > 500):
        errors["link"] = "链接须以 http:// 或 https:// 开头"
    if errors:
        raise DudaoError("数据来源填写有误：" + "；".join(errors.values()), errors=errors, status=UNPROCESSABLE)
    assert published_on is not None
    return SourceFields(name, publisher, published_on, link)


def _period(period_code: str):
    code = str(period_code or "").strip()
    if not re.fullmatch(r"(19|20)\d\d", code):
        raise DudaoError(f"统计年度“{code}”应为四位年份", errors={"period": "统计年度应为四位年份"})
    return collection.period(code) or yearly_period(int(code))


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _columns(header: list[object]) -> tuple[dict[str, int], list[str]]:
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        role = HEADERS.get(_text(cell).lower()) or HEADERS.get(_text(cell))
        if role and role not in found:
            found[role] = index
    missing = [COLUMN_NAMES[r] for r in ("org", "element", "value") if r not in found]
    return found, missing


@dataclass
class _Row:
    line: int
    org: OrgUnit
    dataset: str
    element: str
    number: Decimal


def _check(rows, elements) -> tuple[list[_Row], list[str]]:
    """Every data row checked; returns the clean rows and every problem as a located message."""
    if not rows:
        return [], ["文件中没有数据"]
    header_line, header = rows[0]
    columns, missing = _columns(header)
    if missing:
        return [], [f"第{header_line}行：缺少表头 {'、'.join(missing)}（应为 单位代码、指标代码、数值）"]
    letter = {role: get_column_letter(index + 1) for role, index in columns.items()}
    units: dict[str, OrgUnit | None] = {}
    clean: list[_Row] = []
    errors: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    for line, cells in rows[1:]:
        cell = {role: cells[index] if index < len(cells) else None for role, index in columns.items()}
        org_code, code, raw = _text(cell["org"]), _text(cell["element"]), cell["value"]
        problems = len(errors)
        if not org_code:
            errors.append(f"第{line}行 {letter['org']}列：缺少单位代码")
        elif org_code not in units:
            units[org_code] = orgs.unit(org_code)
        if org_code and units[org_code] is None:
            errors.append(f"第{line}行 {letter['org']}列：未知的单位代码 {org_code}")
        if not code:
            errors.append(f"第{line}行 {letter['element']}列：缺少指标代码")
        elif code not in elements:
            errors.append(f"第{line}行 {letter['element']}列：未知的指标代码 {code}")
        number = None
        if _text(raw) == "":
            errors.append(f"第{line}行 {letter['value']}列：缺少数值")
        elif code in elements:
            try:
                number = parse_value(elements[code][1], raw)[1]
            except DudaoError as exc:
                shown = _text(raw)[:20]
                reason = "不是数字" if str(exc).startswith("应为数字") else str(exc)
                errors.append(f"第{line}行 {letter['value']}列：'{shown}' {reason}")
        elif not _is_number(raw):
            errors.append(f"第{line}行 {letter['value']}列：'{_text(raw)[:20]}' 不是数字")
        if len(errors) > problems:
            continue
        key = (org_code, code)
        if key in seen:
            errors.append(f"第{line}行：单位 {org_code} 的指标 {code} 重复（已在第{seen[key]}行）")
            continue
        seen[key] = line
        org = units[org_code]
        assert org is not None and number is not None
        clean.append(_Row(line, org, elements[code][0], code, number))
    if not clean and not errors:
        errors.append("文件中没有数据")
    return clean, errors


def _is_number(raw: object) -> bool:
    try:
        Decimal(_text(raw).replace(",", ""))
    except ArithmeticError:
        return False
    return True


def import_table(uploaded_file, *, source: dict, period_code: str, user, file_name: str | None = None) -> Import:
    """Import a statistics table from ``source`` ({name, publisher, published_on, link}) for the year
    ``period_code``; returns the :class:`Import`.

    All or nothing: a bad source field, an unknown unit or element code, a number that is not one — every problem
    is collected and raised as one :class:`DudaoError` (422) with ``errors`` listing them; nothing is saved.
    Refused (403) unless the user is a city administrator or a report compiler."""
    if not may_import(user):
        raise forbidden("只有市级管理员或报告编撰员可以导入公开统计数据")
    name = file_name or getattr(uploaded_file, "name", "") or "table"
    errors: list[str] = []
    fields = None
    try:
        fields = clean_source(source)
    except DudaoError as exc:
        errors += [f"数据来源：{m}" for m in exc.field_errors().values()]
    period = None
    try:
        period = _period(period_code)
    except DudaoError as exc:
        errors.append(str(exc))
    rows = read_rows(uploaded_file, name)
    clean, problems = _check(rows, collection.statistics_elements())
    errors += problems
    if errors:
        summary = f"导入失败，共{len(errors)}处问题，未保存任何数据：" + "；".join(errors)
        raise DudaoError(summary, errors=errors, status=UNPROCESSABLE)
    assert fields is not None and period is not None
    with transaction.atomic():
        src, _ = Source.objects.get_or_create(
            name=fields.name,
            publisher=fields.publisher,
            published_on=fields.published_on,
            defaults={"link": fields.link},
        )
        if fields.link and src.link != fields.link:
            src.link = fields.link
            src.save(update_fields=["link"])
        batch = Import.objects.create(
            source=src, period=period, file_name=name[:255], imported_by=user, rows=len(clean)
        )
        reason = f"统计导入：{src.name}"
        by_unit: dict[tuple[int, str], dict[str, Decimal]] = {}
        units: dict[int, OrgUnit] = {}
        for row in clean:
            by_unit.setdefault((row.org.pk, row.dataset), {})[row.element] = row.number
            units[row.org.pk] = row.org
        for (org_id, dataset), values in by_unit.items():
            record_statistics(units[org_id], period, dataset, values, user, reason=reason)
        # the figures this import replaces are no longer current (their rows stay: what was replaced, and by what)
        keys = {(row.org.pk, row.element) for row in clean}
        earlier = ImportedValue.objects.filter(
            batch__period=period, current=True, org__in=list(units), element_code__in={r.element for r in clean}
        ).values_list("pk", "org_id", "element_code")
        replaced = [pk for pk, org_id, code in earlier if (org_id, code) in keys]
        ImportedValue.objects.filter(pk__in=replaced).update(current=False)
        ImportedValue.objects.bulk_create(
            [ImportedValue(batch=batch, org=row.org, element_code=row.element, number=row.number) for row in clean]
        )
    return batch
