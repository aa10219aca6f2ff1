"""区县自评报告 (dudao.evaluation.selfeval) over the demo: who may write it, submit locks, the city returns it with a
reason, a stale form is refused (409) without losing the text, the report prints the sections beside the computed
verdict, and the city's overview counts the districts by stage."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from dudao.collection.selectors import period as period_of
from dudao.errors import DudaoError
from dudao.evaluation import registry, selfeval
from dudao.evaluation.run import evaluate
from dudao.notifications.models import Notification
from dudao.orgs.selectors import city, unit

pytestmark = pytest.mark.django_db

URL = "/evaluation/{code}/self-evaluation/"
RETURN = "/evaluation/{code}/self-evaluation/return/"
TEXTS = {"overview": "概况。", "measures": "举措。", "problems": "问题。", "rectification": "整改。"}


def user(name):
    return get_user_model().objects.get(username=name)


def stored(code, district):
    return selfeval.record(code, period_of("2020"), unit(district))


def form(district, version, **extra):
    return {"org": district, "period": "2020", "version": str(version), **TEXTS, **extra}


def test_only_the_districts_own_reviewer_writes(demo, client):
    # 黄浦's 优质均衡 report is a draft in the demo; 徐汇's reviewer and a school's principal are refused
    before = stored("balanced", "310101")
    for name in ("d310104", "3101010001-principal", "d310101-clerk"):
        client.force_login(user(name))
        response = client.post(URL.format(code="balanced"), form("310101", before.version, action="save"))
        assert response.status_code in (403, 404), name
        with pytest.raises(DudaoError) as refused:
            selfeval.save("balanced", period_of("2020"), unit("310101"), user(name), TEXTS, before.version)
        assert refused.value.status == 403
    after = stored("balanced", "310101")
    assert (after.version, after.sections) == (before.version, before.sections)


def test_submit_locks_and_the_city_returns_it_with_a_reason(demo, client):
    draft = stored("balanced", "310101")
    client.force_login(user("d310101"))
    response = client.post(URL.format(code="balanced"), form("310101", draft.version, action="submit"))
    assert response.status_code == 302
    submitted = stored("balanced", "310101")
    assert submitted.stage == "submitted" and submitted.sections == TEXTS
    # locked: the page shows the text, not the form, and a save is refused
    page = client.get("/evaluation/balanced/?org=310101&period=2020").content.decode()
    assert 'id="self-evaluation-form"' not in page and "举措。" in page
    refused = client.post(URL.format(code="balanced"), form("310101", submitted.version, measures="改"))
    assert refused.status_code == 409 and stored("balanced", "310101").sections["measures"] == "举措。"
    # the city returns it: a reason is required (422), then the district may edit again
    client.force_login(user("inspector"))
    page = client.get("/evaluation/balanced/?org=310101&period=2020").content.decode()
    assert 'id="self-evaluation-return"' in page
    client.post(RETURN.format(code="balanced"), {"org": "310101", "period": "2020", "version": submitted.version})
    assert stored("balanced", "310101").stage == "submitted"
    with pytest.raises(DudaoError) as no_reason:
        selfeval.return_("balanced", period_of("2020"), unit("310101"), user("inspector"), " ", submitted.version)
    assert no_reason.value.status == 422
    data = {"org": "310101", "period": "2020", "version": submitted.version, "reason": "请补充问题分析"}
    assert client.post(RETURN.format(code="balanced"), data).status_code == 302
    returned = stored("balanced", "310101")
    assert returned.stage == "returned" and returned.return_reason == "请补充问题分析"
    told = Notification.objects.filter(user=user("d310101"), kind="returned", body="请补充问题分析")
    assert told.count() == 1 and "?org=310101&period=2020" in told.get().link  # the district hears of it, once
    client.force_login(user("d310101"))
    page = client.get("/evaluation/balanced/?org=310101&period=2020").content.decode()
    assert 'id="self-evaluation-form"' in page and "请补充问题分析" in page
    client.post(URL.format(code="balanced"), form("310101", returned.version, action="save", problems="补充了"))
    assert stored("balanced", "310101").sections["problems"] == "补充了"
    # a district reviewer may not return, nor the city write the district's text
    with pytest.raises(DudaoError):
        selfeval.return_("balanced", period_of("2020"), unit("310104"), user("d310104"), "x", 1)
    with pytest.raises(DudaoError):
        selfeval.save("balanced", period_of("2020"), unit("310101"), user("city_admin"), TEXTS, 0)


def test_a_stale_form_is_refused_with_409_and_the_typed_text_kept(demo, client):
    # 黄浦 has no 普及普惠 report in the demo: two forms read at version 0 … the second one is stale
    client.force_login(user("d310101"))
    first = client.post(URL.format(code="preschool"), form("310101", 0, action="save", overview="第一稿"))
    assert first.status_code == 302 and stored("preschool", "310101").version == 1
    again = client.post(URL.format(code="preschool"), form("310101", 1, action="save", overview="第二稿"))
    assert again.status_code == 302 and stored("preschool", "310101").version == 2
    stale = client.post(URL.format(code="preschool"), form("310101", 1, action="save", overview="迟到的稿"))
    html = stale.content.decode()
    assert stale.status_code == 409 and "迟到的稿" in html and "第二稿" in html  # both values in front of the user
    assert stored("preschool", "310101").sections["overview"] == "第二稿"
    # an empty section cannot be submitted; a section over its limit is refused, naming it
    empty = client.post(URL.format(code="preschool"), form("310101", 2, action="submit", problems=""))
    assert empty.status_code == 422 and stored("preschool", "310101").stage == "draft"
    long = client.post(URL.format(code="preschool"), form("310101", 2, action="save", problems="字" * 3001))
    assert long.status_code == 422 and "存在问题" in long.content.decode()


def test_the_report_prints_the_submitted_sections_after_the_computed_verdict(demo, client):
    # 徐汇 submitted its 优质均衡 report in the demo; the verdict printed is the engine's for 徐汇
    scheme = registry.get("balanced")
    result = evaluate("balanced", "2020", "310104")
    verdict = scheme.verdict(result["districts"][0])
    client.force_login(user("inspector"))
    html = client.get("/evaluation/balanced/report.html?org=310104&period=2020").content.decode()
    assert "县域义务教育优质均衡发展自评报告" in html and f"<strong>{verdict}</strong>" in html
    for section in ("基本情况", "主要举措与成效", "存在问题", "整改措施"):
        assert section in html
    assert "徐汇区高度重视义务教育优质均衡发展工作" in html
    assert html.index("自评报告</h2>") > html.index("资源配置")  # after the computed results
    # the PDF is built from the same HTML
    assert client.get("/evaluation/balanced/report.pdf?org=310104&period=2020").content.startswith(b"%PDF")
    # a district whose report is a draft: the report says so and prints no draft text
    html = client.get("/evaluation/balanced/report.html?org=310101&period=2020").content.decode()
    assert "本区尚未提交自评报告" in html and "黄浦区高度重视" not in html


def test_the_city_overview_counts_districts_by_stage(demo, client):
    # demo (demo/selfeval.py), 16 districts. 优质均衡: 黄浦 draft, 崇明 none, 长宁 returned, so 16 − 3 = 13 submitted.
    # 普及普惠: 徐汇、静安、浦东 submitted (3), 杨浦 a draft (1), 16 − 4 = 12 not started.
    shanghai = city()
    balanced = selfeval.overview("balanced", period_of("2020"), shanghai)["counts"]
    assert balanced == {"total": 16, "submitted": 13, "returned": 1, "draft": 1, "not_started": 1}
    preschool = selfeval.overview("preschool", period_of("2020"), shanghai)["counts"]
    assert preschool == {"total": 16, "submitted": 3, "returned": 0, "draft": 1, "not_started": 12}
    client.force_login(user("inspector"))
    html = client.get("/evaluation/preschool/?org=310000&period=2020").content.decode()
    assert "已提交 3，已退回 0，填写中 1，未填写 12" in html
    assert 'data-district="310104" data-stage="submitted"' in html
    # a scheme without a self-evaluation in its YAML has no block, and refuses the write
    assert selfeval.config(registry.get("hei").spec) is None
    client.force_login(user("d310101"))
    assert client.post(URL.format(code="hei"), form("310101", 0)).status_code == 404
