"""The web pages a school clerk and a reviewer use, through Django's test client."""

import io

from django.urls import reverse
from openpyxl import load_workbook

from dudao.collection import excel
from dudao.collection.models import DataValue

from .conftest import VALID, approve_to


def test_autosave_reports_error_next_to_field(client, world):
    client.force_login(world.users["collector"])
    url = reverse("collection:save_value", args=[world.sub_a.pk, "students_total"])
    bad = client.post(url, {"value": "一千"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 422 and "应为数字" in bad.content.decode()
    assert not DataValue.objects.exists()
    good = client.post(url, {"value": "1000", "version": "0"}, HTTP_HX_REQUEST="true")
    assert good.status_code == 200 and "已保存" in good.content.decode()
    assert good["HX-Trigger"] == "findings-changed"
    assert DataValue.objects.get(element__code="students_total").number == 1000


def test_submission_page_shows_statement_and_audit(client, world):
    approve_to(world.sub_a, world.users, "approved")
    client.force_login(world.users["district_reviewer"])
    page = client.get(reverse("review:submission", args=[world.sub_a.pk])).content.decode()
    assert "责任声明" in page and "张校长" in page
    assert world.sub_a.statements.get().values_sha256 in page
    assert "审计记录" in page and "流转：核准并签署责任声明" in page and "修改：全日制在校生数" in page
    assert "区确认" in page and "退回学校" in page  # the reviewer's buttons


def test_return_via_form_requires_reason(client, world):
    approve_to(world.sub_a, world.users, "approved")
    client.force_login(world.users["district_reviewer"])
    url = reverse("review:act", args=[world.sub_a.pk, "return"])
    client.post(url, {"reason": ""})
    world.sub_a.refresh_from_db()
    assert world.sub_a.state == "approved"
    client.post(url, {"reason": "请核对毕业生数"})
    world.sub_a.refresh_from_db()
    assert world.sub_a.state == "returned"


def test_bad_upload_page_lists_cells(client, world):
    client.force_login(world.users["collector"])
    wb = load_workbook(io.BytesIO(excel.school_template(world.sub_a)))
    ws = wb[excel.SHEET]
    ws["E2"] = "abc"
    ws["E3"] = -5
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    buffer.name = "bad.xlsx"
    response = client.post(reverse("collection:school_upload", args=[world.sub_a.pk]), {"file": buffer})
    page = response.content.decode()
    assert response.status_code == 422
    assert "数据!E2" in page and "数据!E3" in page and "未保存任何数据" in page
    assert not DataValue.objects.exists()


def test_good_upload_then_template_download(client, world):
    client.force_login(world.users["collector"])
    wb = load_workbook(io.BytesIO(excel.school_template(world.sub_a)))
    for row in wb[excel.SHEET].iter_rows(min_row=2):
        row[4].value = VALID.get(row[0].value)
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    buffer.name = "ok.xlsx"
    response = client.post(reverse("collection:school_upload", args=[world.sub_a.pk]), {"file": buffer})
    assert response.status_code == 302
    download = client.get(reverse("collection:school_template", args=[world.sub_a.pk]))
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    page = client.get(reverse("review:submission", args=[world.sub_a.pk])).content.decode()
    assert "全部校验通过" in page


def test_coverage_page(client, world):
    approve_to(world.sub_a, world.users, "city_accepted")
    client.force_login(world.users["city_admin"])
    page = client.get(reverse("review:coverage", args=[world.campaign.pk]) + "?org=310000").content.decode()
    assert "1/3" in page and "黄浦区" in page and "徐汇区" in page
    client.force_login(world.users["district_reviewer"])
    page = client.get(reverse("review:coverage", args=[world.campaign.pk])).content.decode()
    assert "甲职业学校" in page and "市已确认" in page and "丙职业学校" not in page


def test_chinese_by_default_english_on_request(client, world):
    client.force_login(world.users["collector"])
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en").content.decode()
    assert "工作台" in page and "Workbench" not in page  # the browser's locale is not asked
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("home")).content.decode()
    assert "Workbench" in page
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "工作台" in client.get(reverse("home")).content.decode()


def test_navigation_shows_office_pages_only_to_offices(client, world):
    client.force_login(world.users["collector"])
    page = client.get(reverse("home")).content.decode()
    assert "数字驾驶舱" not in page and "报告发布" not in page and "公开专栏" in page
    client.force_login(world.users["district_reviewer"])
    page = client.get(reverse("home")).content.decode()
    assert "数字驾驶舱" in page and "报告发布" in page and "工作要点" in page


def test_expired_session_on_htmx_goes_to_login_and_back(world, client):
    """htmx would swap the login form into the field; instead the whole page goes to login, then back."""
    url = reverse("collection:save_value", args=[world.sub_a.pk, "students_total"])
    page = f"http://testserver/submissions/{world.sub_a.pk}/"
    response = client.post(url, {"value": "1000"}, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=page)
    assert response.status_code == 401 and response.content == b""
    assert response["HX-Redirect"] == f"/accounts/login/?next=%2Fsubmissions%2F{world.sub_a.pk}%2F"
    foreign = client.post(url, {"value": "1"}, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://evil.example/x")
    assert foreign["HX-Redirect"] == "/accounts/login/?next=%2F"  # never back to another origin
    plain = client.post(url, {"value": "1000"})  # not htmx: the ordinary redirect
    assert plain.status_code == 302 and plain["Location"].startswith("/accounts/login/")
