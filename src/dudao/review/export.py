"""The rates page as an Excel workbook (填报进度.xlsx): a sheet per district (city view) and a sheet per school."""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from dudao.documents import append_row

from .rates import Rate, Rates

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def _pct(value) -> float | None:
    return float(value) if value is not None else None


def _sheet(wb: Workbook, title: str, header: list[str], rows: list[list]) -> None:
    ws = wb.create_sheet(title)
    append_row(ws, header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for row in rows:
        append_row(ws, row)
    for i, name in enumerate(header, 1):
        ws.column_dimensions[get_column_letter(i)].width = max(10, len(name) * 2 + 2)
    ws.freeze_panes = "A2"


def _rate_cells(r: Rate) -> list:
    return [
        r.total,
        r.submitted,
        _pct(r.submitted_pct),
        r.approved,
        _pct(r.approved_pct),
        r.accepted,
        _pct(r.accepted_pct),
        r.on_time,
        r.late,
        r.overdue,
    ]


def workbook(report: Rates) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    rate_header = [
        _("单位数"),
        _("已提交"),
        _("提交率(%)"),
        _("已核准"),
        _("核准率(%)"),
        _("已确认"),
        _("确认率(%)"),
        _("按时"),
        _("逾期提交"),
        _("逾期未交"),
    ]
    summary = [[g.org.code, g.org.name, *_rate_cells(g)] for g in report.groups]
    summary.append(["", _("合计"), *_rate_cells(report.totals)])
    _sheet(wb, _("汇总"), [_("代码"), _("单位"), *rate_header], summary)
    timeliness = {"on_time": _("按时"), "late": _("逾期提交"), "overdue": _("逾期未交"), "": ""}
    schools = [
        [
            s.org.code,
            s.org.name,
            s.org.district.name if s.org.district else "",
            s.state_label,
            timezone.localtime(s.submitted_at).strftime("%Y-%m-%d %H:%M") if s.submitted_at else "",
            timeliness[s.timeliness],
            s.submitted,
            s.approved,
            s.accepted,
        ]
        for s in report.schools
    ]
    header = [
        _("代码"),
        _("学校"),
        _("区"),
        _("状态"),
        _("提交时间"),
        _("及时性"),
        _("已提交"),
        _("已核准"),
        _("已确认"),
    ]
    _sheet(wb, _("学校"), header, schools)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
