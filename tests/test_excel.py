import io

import pytest
from openpyxl import Workbook, load_workbook

from dudao.collection import excel, services
from dudao.collection.models import DataValue
from dudao.errors import DudaoError

from .conftest import VALID


def workbook_from(data: bytes):
    return load_workbook(io.BytesIO(data))


def to_bytes(wb) -> io.BytesIO:
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    return buffer


def fill_school(wb, values):
    ws = wb[excel.SHEET]
    for row in ws.iter_rows(min_row=2):
        if row[0].value in values:
            row[4].value = values[row[0].value]
    return wb


def test_school_template_round_trip(world):
    wb = workbook_from(excel.school_template(world.sub_a))
    ws = wb[excel.SHEET]
    assert [c.value for c in ws[1]] == ["编码", "项目", "单位", "类型", "填报值"]
    assert wb[excel.META].sheet_state == "hidden"
    result = excel.import_school(world.sub_a, to_bytes(fill_school(wb, VALID)), world.users["collector"])
    assert result.saved == len(VALID)
    assert services.check_submission(world.sub_a) == []
    again = workbook_from(excel.school_template(world.sub_a))[excel.SHEET]
    row = next(r for r in again.iter_rows(min_row=2) if r[0].value == "fixed_assets")
    assert row[4].value == pytest.approx(18000.5)


def test_bad_upload_lists_every_bad_cell_and_saves_nothing(world):
    wb = workbook_from(excel.school_template(world.sub_a))
    fill_school(wb, dict(VALID, students_total="一千", pass_rate_skill=130, teachers_fulltime=12.5))
    ws = wb[excel.SHEET]
    ws.append(["no_such_code", "", "", "", 1])
    rows = {r[0].value: r[0].row for r in ws.iter_rows(min_row=2)}
    with pytest.raises(DudaoError) as info:
        excel.import_school(world.sub_a, to_bytes(wb), world.users["collector"])
    errors = info.value.errors
    assert len(errors) == 4
    assert any(e.startswith(f"数据!E{rows['students_total']}: ") and "应为数字" in e for e in errors)
    assert any(e.startswith(f"数据!E{rows['pass_rate_skill']}: ") and "不能大于 100" in e for e in errors)
    assert any(e.startswith(f"数据!E{rows['teachers_fulltime']}: ") and "整数" in e for e in errors)
    assert any(e.startswith(f"数据!A{rows['no_such_code']}: ") for e in errors)
    assert DataValue.objects.count() == 0


def test_template_of_another_school_is_refused(world):
    wb = workbook_from(excel.school_template(world.sub_b))
    with pytest.raises(DudaoError, match="_meta!B4"):
        excel.import_school(world.sub_a, to_bytes(fill_school(wb, VALID)), world.users["collector"])


@pytest.mark.parametrize("payload", [b"", b"not a zip", b"PK\x03\x04garbage" * 10])
def test_corrupt_file_gives_a_clear_error(world, payload):
    with pytest.raises(DudaoError, match="文件无法读取"):
        excel.import_school(world.sub_a, io.BytesIO(payload), world.users["collector"])


def test_missing_sheet(world):
    wb = Workbook()
    wb.active.title = "Sheet1"
    with pytest.raises(DudaoError, match="找不到工作表"):
        excel.import_school(world.sub_a, to_bytes(wb), world.users["collector"])


def test_district_sheet_fills_many_schools(world):
    reviewer = world.users["district_reviewer"]
    wb = workbook_from(excel.district_template(world.campaign, world.huangpu, reviewer))
    ws = wb[excel.SHEET]
    header = [c.value for c in ws[1]]
    assert header[:2] == ["学校代码", "学校名称"]
    assert [r[0].value for r in ws.iter_rows(min_row=3)] == ["3101010001", "3101010002"]  # not 徐汇's school
    for row in ws.iter_rows(min_row=3):
        for cell, code in zip(row[2:], header[2:]):
            cell.value = VALID.get(code)
    result = excel.import_district(world.campaign, world.huangpu, to_bytes(wb), reviewer)
    assert result.schools == ["3101010001", "3101010002"]
    assert services.check_submission(world.sub_a) == [] and services.check_submission(world.sub_b) == []
    history = DataValue.history.filter(org=world.school_b).first()
    assert history.history_user == reviewer and history.history_change_reason == "区级批量导入"


def test_district_sheet_errors_name_cells_and_save_nothing(world):
    reviewer = world.users["district_reviewer"]
    wb = workbook_from(excel.district_template(world.campaign, world.huangpu, reviewer))
    ws = wb[excel.SHEET]
    header = [c.value for c in ws[1]]
    column = header.index("graduates") + 1
    ws.cell(3, 3).value = 500  # fine
    ws.cell(4, column).value = "很多"
    ws.append(["3101040001", "丙职业学校"])  # 徐汇's school in 黄浦's sheet
    with pytest.raises(DudaoError) as info:
        excel.import_district(world.campaign, world.huangpu, to_bytes(wb), reviewer)
    letter = ws.cell(4, column).column_letter
    assert any(e.startswith(f"数据!{letter}4: 乙职业学校 毕业生数") for e in info.value.errors)
    assert any(e.startswith("数据!A5: ") and "不在本区" in e for e in info.value.errors)
    assert DataValue.objects.count() == 0


def test_district_sheet_refuses_locked_school(world):
    from .conftest import approve_to

    approve_to(world.sub_a, world.users, "approved")
    reviewer = world.users["district_reviewer"]
    wb = Workbook()
    ws = wb.active
    ws.title = excel.SHEET
    ws.append(["学校代码", "学校名称", "books"])
    ws.append(["", "", "图书"])
    ws.append(["3101010001", "甲", 1])
    with pytest.raises(DudaoError, match="已核准"):
        excel.import_district(world.campaign, world.huangpu, to_bytes(wb), reviewer)


def test_oversized_file_is_refused_before_parsing(world, monkeypatch):
    monkeypatch.setattr(excel, "MAX_UPLOAD_BYTES", 1000)
    with pytest.raises(DudaoError, match="文件过大"):
        excel.import_school(world.sub_a, io.BytesIO(b"x" * 2000), world.users["collector"])
