"""The compiling workspace (报告编撰, issue #13 point 5): chapters written with figures by reference, cases picked
once per report, four-eyes review, and only approved chapters reaching the report."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from dudao.collection.selectors import CaseRecord
from dudao.compiling import selectors, services
from dudao.compiling.contributions import provider
from dudao.errors import DudaoError
from dudao.orgs.vocabulary import Role
from dudao.reports import contributions
from dudao.reports.builder import Case, Paragraph

from .conftest import make_user


def case_of(school, key="case_1", chapter="2.3"):
    return CaseRecord(school.pk, school.name, school.code, key, f"{school.name}的案例", "案例正文。\n第二段。", chapter)


@pytest.fixture
def team(world):
    world.period = world.campaign.period
    world.compiler = world.users["compiler"]
    world.compiler_2 = make_user("compiler-2", world.city, Role.COMPILER)
    world.admin_2 = make_user("city-2", world.city, Role.CITY_ADMIN)
    world.city_admin = world.users["city_admin"]
    return world


def started(w, key="2.3", text="毕业生就业情况良好。", org=None, user=None):
    chapter = services.open_chapter(org or w.city, w.period, key, user or w.compiler)
    services.save_part(chapter, None, "", text, user or w.compiler, chapter.version)
    return chapter


def refused(call, status):
    with pytest.raises(DudaoError) as caught:
        call()
    assert caught.value.status == status, caught.value.message
    return caught.value


# --------------------------------------------------------------------------- services


def test_text_with_a_bad_token_is_refused_and_nothing_is_saved(team):
    chapter = services.open_chapter(team.city, team.period, "1.1", team.compiler)
    error = refused(
        lambda: services.save_part(chapter, None, "", "共有{{no_such_code}}，{{students@999999}}。", team.compiler, 1),
        422,
    )
    assert "no_such_code" in error.field_errors()["text"] and "999999" in error.field_errors()["text"]
    assert selectors.parts(chapter) == [] and chapter.version == 1
    services.save_part(chapter, None, "", "共有全日制在校生{{students}}，{{students:change}}。", team.compiler, 1)
    assert [p.text for p in selectors.parts(chapter)] == ["共有全日制在校生{{students}}，{{students:change}}。"]


def test_a_stale_version_is_a_conflict_not_a_silent_overwrite(team):
    chapter = started(team)  # version 1 → 2
    part = selectors.parts(chapter)[0]
    read_by_second = chapter.version
    services.save_part(chapter, part, "", "第一位编撰人的修改。", team.compiler, chapter.version)
    error = refused(
        lambda: services.save_part(chapter, part, "", "第二位编撰人的修改。", team.compiler_2, read_by_second), 409
    )
    assert error.message.startswith("此章节已被他人修改，您的保存未生效")
    # both texts, so the second compiler can merge instead of retyping
    assert "第一位编撰人的修改。" in error.message and "第二位编撰人的修改。" in error.message
    assert set(error.field_errors()) == {"text"}
    assert selectors.parts(chapter)[0].text == "第一位编撰人的修改。"


def test_two_compilers_save_the_same_part_from_the_web_and_the_second_sees_both_texts(team, client):
    """Lost update (issue #16 item 4) on a compiled part: both pages read version N; the second save is refused
    with the first compiler's text and its own, its own stays in the form, and the database keeps the first."""
    from django.test import Client

    chapter = started(team)
    part = selectors.parts(chapter)[0]
    url = reverse("compiling:part_edit", args=[team.city.code, team.period.code, "2.3", part.pk])
    read = chapter.version
    first, second = Client(), Client()
    first.force_login(team.compiler)
    second.force_login(team.compiler_2)
    assert first.post(url, {"title": "", "text": "甲的改写。", "version": read}).status_code == 302
    response = second.post(url, {"title": "", "text": "乙的改写。", "version": read})
    html = response.content.decode()
    assert response.status_code == 409 and "甲的改写。" in html and "乙的改写。" in html
    assert html.count("乙的改写。") >= 2  # in the message and kept in the textarea
    assert selectors.parts(chapter)[0].text == "甲的改写。"


def test_only_draft_or_returned_chapters_can_be_edited_and_a_returned_one_can_again(team):
    chapter = started(team)
    part = selectors.parts(chapter)[0]
    services.submit(chapter, team.compiler)
    refused(lambda: services.save_part(chapter, part, "", "提交后再改", team.compiler, chapter.version), 409)
    refused(lambda: services.return_(chapter, team.city_admin, "  "), 422)
    services.return_(chapter, team.city_admin, "请补充就业去向数据")
    assert chapter.status == "returned" and chapter.return_reason == "请补充就业去向数据"
    services.save_part(chapter, part, "", "毕业生就业率{{employment_rate}}。", team.compiler, chapter.version)
    services.submit(chapter, team.compiler)
    assert chapter.status == "submitted" and chapter.return_reason == ""


def test_approval_needs_the_city_admin_and_a_second_person(team):
    chapter = started(team)
    refused(lambda: services.approve(chapter, team.city_admin), 409)  # a draft cannot be approved
    services.submit(chapter, team.compiler)
    refused(lambda: services.approve(chapter, team.compiler_2), 403)  # compilers write, they do not approve
    refused(lambda: services.approve(chapter, team.users["analyst"]), 403)
    # a city admin who also compiles cannot approve what they wrote (四眼原则)
    editor = team.admin_2
    make_user_role(editor, team.city, Role.COMPILER)
    services.return_(chapter, team.city_admin, "补充")
    services.save_part(chapter, None, "", "补充内容。", editor, chapter.version)
    services.submit(chapter, team.compiler)
    refused(lambda: services.approve(chapter, editor), 403)
    services.approve(chapter, team.city_admin)
    assert chapter.status == "approved" and chapter.approved_by == team.city_admin
    part = selectors.parts(chapter)[0]
    refused(lambda: services.save_part(chapter, part, "", "审定后再改", team.compiler, chapter.version), 409)


def make_user_role(user, org, role):
    from dudao.orgs.services import grant

    grant(user, org, role)
    user.__dict__.pop("_dudao_memberships", None)


def test_a_case_is_picked_once_per_report_across_chapters(team):
    employment, features = started(team, "2.3"), started(team, "7")
    case = case_of(team.school_a)
    pick = services.pick_case(selectors.parts(employment)[0], case, team.compiler)
    assert (pick.credit, pick.title) == ("甲职业学校", "甲职业学校的案例")
    error = refused(lambda: services.pick_case(selectors.parts(features)[0], case, team.compiler), 409)
    assert "2.3" in error.message
    refused(lambda: services.pick_case(selectors.parts(employment)[0], case, team.compiler), 409)
    # another case of the same school is another case; the same case in another report (the district's) is fine
    services.pick_case(selectors.parts(features)[0], case_of(team.school_a, "case_2"), team.compiler)
    district = started(team, "6.2", org=team.huangpu, user=team.users["district_reviewer"])
    services.pick_case(selectors.parts(district)[0], case, team.users["district_reviewer"])
    taken = {(team.school_a.pk, "case_1"): "2.3", (team.school_a.pk, "case_2"): "7"}
    assert selectors.picked(team.city, team.period) == taken


def test_cases_are_edited_and_removed_under_the_chapter_version(team):
    chapter = started(team)
    pick = services.pick_case(selectors.parts(chapter)[0], case_of(team.school_b), team.compiler)
    stale = chapter.version - 1
    refused(lambda: services.edit_case(pick, "新标题", "正文", "乙职业学校", team.compiler, stale), 409)
    error = refused(lambda: services.edit_case(pick, "新标题", "", "乙职业学校", team.compiler, chapter.version), 422)
    assert set(error.field_errors()) == {"body"}
    services.edit_case(pick, "新标题", "改写的正文。", "乙职业学校（黄浦区）", team.compiler, chapter.version)
    pick.refresh_from_db()
    assert (pick.title, pick.credit) == ("新标题", "乙职业学校（黄浦区）")
    services.remove_case(pick, team.compiler, chapter.version)
    assert selectors.picked(team.city, team.period) == {}


def test_who_may_write_which_report(team):
    district_reviewer, school_user = team.users["district_reviewer"], team.users["collector"]
    refused(lambda: services.open_chapter(team.city, team.period, "1.1", district_reviewer), 403)
    refused(lambda: services.open_chapter(team.city, team.period, "1.1", team.users["city_admin"]), 403)
    refused(lambda: services.open_chapter(team.huangpu, team.period, "1.1", team.compiler), 403)
    refused(lambda: services.open_chapter(team.xuhui, team.period, "1.1", district_reviewer), 403)
    refused(lambda: services.open_chapter(team.school_a, team.period, "1.1", school_user), 400)
    refused(lambda: services.open_chapter(team.city, team.period, "10.1", team.compiler), 404)
    # a district report: its reviewer writes, the city admin or another reviewer of the district approves
    chapter = started(team, "6.1", org=team.huangpu, user=district_reviewer)
    services.submit(chapter, district_reviewer)
    refused(lambda: services.approve(chapter, district_reviewer), 403)
    services.approve(chapter, team.city_admin)
    assert chapter.status == "approved"


def test_only_approved_chapters_reach_the_report(team):
    chapter = started(team, "7", text="第一段。\n\n第二段，无数据。")
    part = selectors.parts(chapter)[0]
    services.save_part(chapter, part, "产教融合新模式", part.text, team.compiler, chapter.version)
    services.pick_case(part, case_of(team.school_c), team.compiler)
    assert provider(team.city, team.period, "7") == []
    services.submit(chapter, team.compiler)
    assert provider(team.city, team.period, "7") == []
    services.approve(chapter, team.city_admin)
    [compiled] = contributions.parts("compiler", team.city, team.period, "7")  # registered in CompilingConfig.ready
    assert compiled.title == "产教融合新模式"
    assert compiled.blocks == [
        Paragraph("第一段。"),
        Paragraph("第二段，无数据。"),
        Case(0, "丙职业学校的案例", "案例正文。\n第二段。", "丙职业学校"),
    ]
    services.return_(chapter, team.city_admin, "需修改")
    assert provider(team.city, team.period, "7") == []
    assert provider(team.city, team.period, "8") == []


def test_ready_to_publish_when_every_written_chapter_is_approved(team):
    first, second = started(team, "1.1"), started(team, "9")
    services.open_chapter(team.city, team.period, "0", team.compiler)  # opened, never written: does not hold it up
    for chapter in (first, second):
        services.submit(chapter, team.compiler)
    services.approve(first, team.city_admin)
    assert not selectors.ready_to_publish(team.city, team.period)
    services.approve(second, team.city_admin)
    assert selectors.ready_to_publish(team.city, team.period)


# --------------------------------------------------------------------------- pages


@pytest.fixture
def cases(team, monkeypatch):
    """The reviewed cases under a unit (collection's selector, written by another part of #13)."""
    from dudao.collection import selectors as collection

    rows = [case_of(team.school_a), case_of(team.school_b, chapter="4.1")]

    def listed(period, under):
        return [r for r in rows if period == team.period and (under == team.city or r.org_code.startswith(under.code))]

    monkeypatch.setattr(collection, "cases", listed, raising=False)
    return rows


def test_compiler_writes_and_submits_city_admin_approves_via_the_web(team, cases, client):
    city, period = team.city.code, team.period.code
    url = reverse("compiling:chapter", args=[city, period, "2.3"])
    client.force_login(team.compiler)
    assert reverse("compiling:index") in client.get(reverse("home")).content.decode()
    assert client.get(reverse("compiling:index")).url == reverse("compiling:workspace", args=[city, period])
    page = client.get(reverse("compiling:workspace", args=[city, period])).content.decode()
    assert "1.1 规模结构" in page and "4.1 校企合作开展情况和效果" in page and "未开始" in page
    page = client.get(url).content.decode()
    assert "{{employment_rate}}" in page and "甲职业学校的案例" in page and "乙职业学校的案例" in page
    chapter = selectors.chapter(team.city, team.period, "2.3")

    response = client.post(
        reverse("compiling:part_save", args=[city, period, "2.3"]),
        {"title": "", "text": "就业率为{{employment_rate}}，{{bad_code}}。", "version": chapter.version},
    )
    assert response.status_code == 422 and "bad_code" in response.content.decode()
    assert "就业率为{{employment_rate}}，{{bad_code}}。" in response.content.decode()  # what was typed is kept
    response = client.post(
        reverse("compiling:part_save", args=[city, period, "2.3"]),
        {"title": "", "text": "就业率为{{employment_rate}}。", "version": chapter.version},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("compiling:part_save", args=[city, period, "2.3"]),
        {"title": "", "text": "过期页面的修改。", "version": chapter.version},
    )
    assert response.status_code == 409 and "此章节已被他人修改" in response.content.decode()
    assert "过期页面的修改。" in response.content.decode()  # what was typed stays in the form
    [part] = selectors.parts(chapter)
    preview = client.post(
        reverse("compiling:preview"), {"org": city, "period": period, "text": "比例{{employment_rate:change}}"}
    )
    assert preview.status_code == 200 and "{{" not in preview.content.decode()

    pick = client.post(
        reverse("compiling:case_pick", args=[city, period, "2.3"]),
        {"part": part.pk, "source": team.school_a.code, "slot": "case_1"},
    )
    assert pick.status_code == 302
    assert selectors.picked(team.city, team.period) == {(team.school_a.pk, "case_1"): "2.3"}
    assert "已在第2.3章选用" in client.get(url).content.decode()
    client.post(reverse("compiling:review", args=[city, period, "2.3", "submit"]))
    chapter.refresh_from_db()
    assert chapter.status == "submitted"
    assert client.post(reverse("compiling:review", args=[city, period, "2.3", "approve"])).status_code == 403

    client.force_login(team.users["city_admin"])
    page = client.get(url).content.decode()
    assert "审定通过" in page and "退回修改" in page
    client.post(reverse("compiling:review", args=[city, period, "2.3", "approve"]))
    chapter.refresh_from_db()
    assert chapter.status == "approved" and chapter.approved_by == team.users["city_admin"]
    page = client.get(reverse("compiling:workspace", args=[city, period])).content.decode()
    assert "已审定" in page and reverse("portal:desk") in page
    report = client.get(reverse("compiling:report", args=[city, period]))
    assert report.status_code == 200


def test_school_and_district_users_cannot_open_the_city_workspace(team, cases, client):
    city, period = team.city.code, team.period.code
    for user in (team.users["collector"], team.users["district_reviewer"], team.users["inspector"]):
        client.force_login(user)
        assert client.get(reverse("compiling:workspace", args=[city, period])).status_code == 403
        assert client.get(reverse("compiling:chapter", args=[city, period, "1.1"])).status_code == 403
        response = client.post(reverse("compiling:preview"), {"org": city, "period": period, "text": "x"})
        assert response.status_code == 403
    client.force_login(team.users["collector"])
    assert client.get(reverse("compiling:index")).status_code == 403
    assert reverse("compiling:index") not in client.get(reverse("home")).content.decode()
    client.force_login(team.users["district_reviewer"])  # their own district's report is theirs to write
    assert client.get(reverse("compiling:chapter", args=[team.huangpu.code, period, "6.1"])).status_code == 200
    assert client.get(reverse("compiling:chapter", args=[city, period, "99"])).status_code == 403
    client.force_login(team.compiler)
    assert client.get(reverse("compiling:chapter", args=[city, period, "99"])).status_code == 404


# --------------------------------------------------------------------------- the demo: real values (keep last: the
# module-scoped demo fixture replaces the database for the tests that follow it)


@pytest.mark.django_db
def test_tokens_in_an_approved_chapter_carry_the_computed_city_value(demo):
    from dudao.collection import selectors as collection
    from dudao.indicators.query import readings
    from dudao.orgs import selectors as orgs
    from dudao.reports import wording

    city, period = orgs.city(), collection.period("2019")  # (the demo compiled 2020's chapters already)
    compiler = make_user("demo-compiler", city, Role.COMPILER)
    admin = get_user_model().objects.get(username="city_admin")
    chapter = services.open_chapter(city, period, "1.1", compiler)
    text = "全市中职学校共有全日制在校生{{students}}，{{students:change}}。"
    services.save_part(chapter, None, "", text, compiler, 1)
    services.submit(chapter, compiler)
    services.approve(chapter, admin)
    students = readings(city, period)["students"]
    assert students.raw and students.raw > 10000
    [part] = provider(city, period, "1.1")
    [paragraph] = part.blocks
    assert paragraph.text.startswith(f"全市中职学校共有全日制在校生{wording.with_unit(students)}，")
    assert wording.change(students, "2018") in paragraph.text and "{{" not in paragraph.text
