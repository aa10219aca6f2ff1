"""Reading a statistics table (.xlsx or .csv) into rows of cells, each with its spreadsheet position.

Kept apart from the import rules so that the rules see one shape — ``(row number, [cell values])`` — whatever the
file was. Row numbers are the file's own (1-based, header included), so a message says the row the user sees.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from openpyxl import load_workbook

from dudao import documents
from dudao.errors import UNPROCESSABLE, DudaoError

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20000  # filled rows kept
MAX_COLUMNS = 50  # columns read; more are ignored
MAX_SHEET_ROWS = 2 * MAX_ROWS  # rows read at all, blank or not: the sheet is refused past this
MAX_SHEET_COLUMNS = 1000  # a sheet declaring more columns than this is refused unread

Rows = list[tuple[int, list[object]]]


def unreadable(message: str) -> DudaoError:
    return DudaoError(message, errors=[message], status=UNPROCESSABLE)


def read_rows(uploaded, name: str | None = None) -> Rows:
    """The non-empty rows of the first sheet of an .xlsx, or of a UTF-8 .csv (a byte-order mark is allowed)."""
    name = name or getattr(uploaded, "name", "") or ""
    suffix = Path(name).suffix.lower()
    data = uploaded.read() if hasattr(uploaded, "read") else bytes(uploaded)
    if isinstance(data, str):
        data = data.encode("utf-8")
    documents.check_upload_size(data, MAX_BYTES)
    if suffix == ".csv":
        rows = _csv_rows(data)
    elif suffix == ".xlsx":
        rows = _xlsx_rows(data)
    else:
        raise unreadable("请上传 .xlsx 或 .csv 文件")
    kept = [(n, cells) for n, cells in rows if any(not _blank(c) for c in cells)]
    if len(kept) > MAX_ROWS:
        raise unreadable(f"表格过大（最多 {MAX_ROWS} 行）")
    return kept


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _csv_rows(data: bytes) -> Rows:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise unreadable("CSV 文件须为 UTF-8 编码（可带 BOM）；请在 Excel 中“另存为 CSV UTF-8”") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return [(n, list(row[:MAX_COLUMNS])) for n, row in enumerate(reader, start=1)]
    except csv.Error as exc:  # a field over csv's size limit, an unterminated quote at the end of the file
        raise unreadable(f"CSV 文件第 {reader.line_num} 行无法读取（{exc}）") from None


def _xlsx_rows(data: bytes) -> Rows:
    documents.check_xlsx_upload(data, max_rows=MAX_SHEET_ROWS, max_columns=MAX_SHEET_COLUMNS, limit=MAX_BYTES)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, IndexError) as exc:
        raise unreadable(f"文件无法读取，请上传 .xlsx 文件（{type(exc).__name__}）") from None
    except Exception as exc:  # openpyxl raises many private error types on corrupt files
        raise unreadable(f"文件无法读取，请上传 .xlsx 文件（{type(exc).__name__}）") from None
    try:
        sheet = workbook.worksheets[0]
        rows: Rows = []
        for n, row in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), 1):
            if n > MAX_SHEET_ROWS:  # the sheet did not declare its size (or understated it): stop reading here
                raise unreadable(f"表格过大（超过 {MAX_SHEET_ROWS} 行），未导入")
            rows.append((n, list(row)))
        return rows
    finally:
        workbook.close()
