"""Work plans: parsing real and re-wrapped documents, targets, and the assign → report → 督办 → 交账 cycle."""

import io
import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from docx import Document
from hypothesis import given, settings
from hypothesis import strategies as st

import dudao.demo
from dudao.errors import DudaoError
from dudao.orgs.models import OrgUnit
from dudao.orgs.vocabulary import Role
from dudao.plans import services, similarity, summary
from dudao.plans.models import Plan, Reminder, Status
from dudao.plans.parser import parse, parse_file

from .conftest import make_user

# the real 2020 plan (../shared/seeds/vocational_work_plan_2020.txt), shipped with the demo
SEED = Path(dudao.demo.__file__).parent / "data" / "vocational_work_plan_2020.txt"
PLAN_2024 = SEED.with_name("plan_2024_sample.txt")


def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def signature(parsed):
    return [(t.no, t.title, t.body, t.section, t.subsection) for t in parsed.tasks]


def rewrap(text: str, width: int = 37, per_page: int = 28) -> str:
    """Text as extracted from a PDF: fixed-width lines, page numbers between them, spaces around numbers."""
    out, count, page = [], 0, 1
    for line in text.splitlines():
        line = line.replace("2020年", "2020 年").replace("上海市教育委员会", "上 海 市 教 育 委 员 会")
        for start in range(0, max(len(line), 1), width):
            out.append(line[start : start + width])
            count += 1
            if count % per_page == 0:
                out += ["", f"- {page} -", ""]
                page += 1
    return "\n".join(out)


def test_seed_plan_structure():
    plan = parse(seed_text())
    assert plan.title == "2020年上海市职业教育工作要点"
    assert plan.issuer == "上海市教育委员会" and plan.date == "2020-03-11" and plan.doc_number is None
    assert [(s.no, len(s.subsections)) for s in plan.sections] == [(1, 0), (2, 4), (3, 7)]
    assert plan.sections[1].title == "中等职业教育部分"
    assert [t.no for t in plan.tasks] == list(range(1, 55))
    first, t10 = plan.tasks[0], plan.tasks[9]
    assert first.title == "把广大师生的生命安全和身体健康放在首要位置" and first.subsection is None
    assert (t10.title, t10.section, t10.subsection) == ("强化贯通培养质量", 2, 2)
    assert plan.tasks[-1].section == 3 and plan.tasks[-1].subsection == 7
    assert {(x.value, x.unit, x.comparator) for x in t10.targets} == {(23, "个", "exactly"), (42, "个", "exactly")}
    t21 = plan.tasks[20]  # "每5年赴企业1年", "第6轮" are not targets
    assert t21.targets == []


def test_rewrapped_pdf_like_text_parses_identically():
    assert signature(parse(rewrap(seed_text()))) == signature(parse(seed_text()))
    wrapped = parse(rewrap(seed_text(), width=23, per_page=11))
    assert signature(wrapped) == signature(parse(seed_text()))
    assert wrapped.issuer == "上海市教育委员会" and wrapped.date == "2020-03-11"


def test_docx_parses_identically(tmp_path):
    doc = Document()
    for line in seed_text().splitlines():
        doc.add_paragraph(line)
    path = tmp_path / "plan.docx"
    doc.save(path)
    assert signature(parse_file(path)) == signature(parse(seed_text()))


def test_pdf_parses_identically(tmp_path):
    from weasyprint import HTML

    paragraphs = "".join(f"<p>{line}</p>" for line in seed_text().splitlines() if line.strip())
    html = (
        "<html><head><style>@page { size: A5; margin: 15mm; @bottom-center { content: counter(page); } } "
        "body { font-family: 'Noto Sans CJK SC'; font-size: 10pt; } p { margin: 0; }</style></head>"
        f"<body>{paragraphs}</body></html>"
    )
    path = tmp_path / "plan.pdf"
    HTML(string=html).write_pdf(path)
    parsed = parse_file(path)
    assert signature(parsed) == signature(parse(seed_text()))
    assert parsed.title == "2020年上海市职业教育工作要点"


def test_other_issuer_doc_number_and_numerals_to_twelve():
    plan = parse_file(PLAN_2024)
    assert plan.doc_number == "沪教委办〔2024〕1号"
    assert plan.issuer == "上海市教育委员会办公室" and plan.date == "2024-02-06"
    assert plan.title == "2024年上海市学前与职业教育工作要点"
    assert [s.no for s in plan.sections] == list(range(1, 13))
    assert plan.tasks[-1].section == 12
    targets = {(x.value, x.unit, x.comparator) for x in plan.tasks[0].targets}
    assert targets == {(3000, "个", "at_least"), (30, "所", "exactly"), (90, "%", "at_least")}
    assert {(x.value, x.unit, x.comparator) for x in plan.tasks[1].targets} == {(95, "%", "at_least")}
    assert [(x.value, x.unit, x.comparator) for x in plan.tasks[10].targets] == [(30, "万人次", "at_least")]
    assert [(x.value, x.unit, x.comparator) for x in plan.tasks[4].targets] == [(60, "%", "at_least")]
    assert [(x.value, x.unit, x.comparator) for x in plan.tasks[2].targets] == [(20, "个", "exactly")]


def test_parse_cli_prints_exact_json(capsys):
    call_command("plans", "parse", str(PLAN_2024), "--json")
    data = json.loads(capsys.readouterr().out)
    assert list(data) == ["doc_number", "issuer", "issuers", "date", "title", "sections", "tasks"]
    assert (data["issuer"], data["issuers"]) == ("上海市教育委员会办公室", ["上海市教育委员会办公室"])
    assert set(data["sections"][0]) == {"no", "title", "subsections"}
    assert set(data["tasks"][0]) == {"no", "title", "body", "section", "subsection", "targets"}
    assert data["tasks"][0]["targets"][0] == {
        "value": 3000,
        "unit": "个",
        "comparator": "at_least",
        "text": "全年新增不少于3000个公办幼儿园托额",
    }


@pytest.mark.parametrize(
    "text, message", [("", "没有文字"), ("只有一段话，没有结构。", "一、"), ("标题\n一、总则\n没有编号的任务", "编号")]
)
def test_bad_plans_are_clear_errors(text, message):
    with pytest.raises(DudaoError, match=message):
        parse(text)


def test_unsupported_and_corrupt_files(tmp_path):
    bad = tmp_path / "x.xls"
    bad.write_bytes(b"x")
    with pytest.raises(DudaoError, match="不支持"):
        parse_file(bad)
    corrupt = tmp_path / "x.docx"
    corrupt.write_bytes(b"not a zip")
    with pytest.raises(DudaoError, match="Word"):
        parse_file(corrupt)


@settings(max_examples=150, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("一二三、（）1234567890.．。，年月日上海市教育委员会关于印发附件不少于个所%\n ")),
        max_size=300,
    )
)
def test_parser_never_crashes(text):
    try:
        parse(text)
    except DudaoError:
        pass


# ----------------------------------------------------------------------------- the cycle


@pytest.fixture
def plan(world):
    call_command("plans", "import", str(PLAN_2024), "--year", "2024")
    return Plan.objects.get(year=2024)


def dept(code="310000-ZJC"):
    return OrgUnit.objects.get(code=code)


def test_import_cli_stores_tasks_and_targets(plan):
    assert plan.tasks.count() == 13 and plan.doc_number == "沪教委办〔2024〕1号"
    assert plan.tasks.get(no=1).targets.count() == 3
    assert plan.sections.filter(subsection__isnull=True).count() == 12


def test_assign_report_board_remind_answer(plan, world):
    city, reviewer = world.users["city_admin"], world.users["district_reviewer"]
    task = plan.tasks.get(no=1)
    with pytest.raises(DudaoError, match="督办人员"):
        services.assign(task, world.huangpu, "lead", date.today(), reviewer)
    lead = services.assign(task, dept(), "lead", date.today() + timedelta(days=30), city)
    co = services.assign(task, world.huangpu, "co", date.today() - timedelta(days=1), city)
    with pytest.raises(DudaoError, match="责任单位"):
        services.report_progress(lead, "2024Q1", "in_progress", "x", reviewer)  # 黄浦 is not the department
    with pytest.raises(DudaoError) as info:
        services.report_progress(co, "2024-13", "bogus", "", reviewer, {task.targets.first().pk: "many"})
    assert "报告期" in str(info.value) and "状态" in str(info.value) and "进展情况" in str(info.value)
    assert "实际值应为数字" in str(info.value)
    services.report_progress(co, "2024Q1", Status.LAGGING, "用地审批未完成，新建园推迟", reviewer)
    rows = {r.task.no: r for r in services.board(plan)}
    assert rows[1].overdue and rows[1].lagging and rows[1].flagged
    assert not rows[2].flagged
    reminder = services.remind(co, "请说明新建园推进计划", city)
    assert services.board(plan)[0].open_reminders == 1
    with pytest.raises(DudaoError):
        services.answer(reminder, "好的", world.users["collector_c"])
    services.answer(reminder, "已协调规划部门，预计三季度开工", reviewer)
    reminder.refresh_from_db()
    assert reminder.answered_by == reviewer and services.board(plan)[0].open_reminders == 0
    assert Reminder.history.count() == 2  # created, answered: audited


def test_year_end_summary(plan, world, tmp_path):
    city, reviewer = world.users["city_admin"], world.users["district_reviewer"]
    t1, t2 = plan.tasks.get(no=1), plan.tasks.get(no=2)
    a1 = services.assign(t1, world.huangpu, "lead", date(2024, 12, 31), city)
    a2 = services.assign(t2, world.huangpu, "lead", date(2024, 12, 31), city)
    targets = {t.unit: t for t in t1.targets.all()}
    services.report_progress(
        a1,
        "2024Q4",
        Status.DONE,
        "全年新增托额3200个",
        reviewer,
        {targets["个"].pk: "3200", targets["所"].pk: "31", targets["%"].pk: "91.5"},
    )
    services.report_progress(a2, "2024Q4", Status.LAGGING, "评估工具开发延期", reviewer)
    sections = summary.build(plan)
    done = sections[0].completed[0]
    assert done.no == 1 and any("实际3200个，已达成" in f for f in done.figures)
    assert sections[0].lagging[0].narrative == "评估工具开发延期"
    for fmt in ("html", "pdf", "docx"):
        out = tmp_path / f"s.{fmt}"
        call_command("plans", "summary", "--plan", str(plan.pk), "--format", fmt, "--out", str(out))
        assert out.stat().st_size > 1000
    assert "原因：评估工具开发延期" in (tmp_path / "s.html").read_text(encoding="utf-8")
    body = "\n".join(p.text for p in Document(tmp_path / "s.docx").paragraphs)
    assert "已完成（1项）" in body and "滞后（1项）" in body


def test_cross_year_links_continuing_tasks(world):
    earlier = services.import_plan(parse(seed_text()), 2020)
    later = services.import_plan(parse_file(PLAN_2024), 2024)
    links = {(link.earlier.no, link.later.no) for link in similarity.link_plans(earlier, later)}
    assert (8, 3) in links  # 深化产教融合校企合作 → 深化产教融合校企合作
    assert (10, 4) in links  # 强化贯通培养质量 → 强化贯通培养质量
    assert (1, 1) not in links  # 疫情防控 has nothing to do with 托育


def test_web_pages_and_permissions(plan, world, client):
    client.force_login(world.users["collector"])
    assert client.get("/plans/").status_code == 404  # a school clerk has no plan tasks
    client.force_login(world.users["city_admin"])
    task = plan.tasks.get(no=5)
    response = client.post(
        f"/plans/tasks/{task.pk}/assign/", {"org": "310101", "role": "lead", "deadline": "2024-06-30"}
    )
    assert response.status_code == 302 and task.assignments.count() == 1
    client.force_login(world.users["district_reviewer"])
    assert client.get(f"/plans/{plan.pk}/").status_code == 200  # 黄浦 holds an assignment
    assignment = task.assignments.get()
    client.post(
        f"/plans/assignments/{assignment.pk}/report/",
        {"period": "2024-03", "status": "lagging", "narrative": "标准征求意见延期", "version": assignment.version},
    )
    board = client.get(f"/plans/{plan.pk}/board/").content.decode()
    assert "提升“双师型”教师比重" in board and "滞后" in board
    client.force_login(world.users["district_reviewer_xuhui"])
    assert client.get(f"/plans/{plan.pk}/").status_code == 404


def test_upload_import_with_a_bad_file_saves_nothing(world, client):
    client.force_login(world.users["city_admin"])
    upload = io.BytesIO("没有结构的文字".encode())
    upload.name = "bad.txt"
    client.post("/plans/import/", {"year": "2024", "file": upload})
    assert not Plan.objects.exists()


def test_compare_page_shows_continuing_tasks_side_by_side(world, client):
    earlier = services.import_plan(parse(seed_text()), 2020)
    later = services.import_plan(parse_file(PLAN_2024), 2024)
    client.force_login(world.users["city_admin"])
    page = client.get("/plans/compare/", {"a": later.pk, "b": earlier.pk}).content.decode()
    row = page[page.index("8. 深化产教融合校企合作") :]
    row = row[: row.index("</tr>")]
    assert "3. 深化产教融合校企合作" in row  # 2020 on the left, 2024 on the right, same row
    table = page[page.index('<table id="pairs">') :]
    assert table.index(earlier.title) < table.index(later.title)


def test_plan_list_shows_a_district_only_its_plans(plan, world, client):
    client.force_login(world.users["district_reviewer_xuhui"])
    page = client.get("/plans/")
    assert page.status_code == 200 and plan.title not in page.content.decode()  # no task for 徐汇 yet
    services.assign(plan.tasks.get(no=3), world.xuhui, "lead", date(2024, 12, 31), world.users["city_admin"])
    assert plan.title in client.get("/plans/").content.decode()


def test_progress_form_keeps_input_and_shows_errors_at_fields(plan, world, client):
    """A refused progress report re-renders the task page (422) with what was typed and each message at its field."""
    task = plan.tasks.get(no=1)
    assignment = services.assign(
        task, world.huangpu, "lead", date.today() + timedelta(days=30), world.users["city_admin"]
    )
    target = task.targets.first()
    client.force_login(world.users["district_reviewer"])
    url = f"/plans/assignments/{assignment.pk}/report/"
    typed = {
        "period": "2024-13",
        "status": Status.LAGGING,
        "narrative": "用地审批未完成",
        f"actual_{target.pk}": "很多",
        "version": assignment.version,  # as the form sends it
    }
    response = client.post(url, typed)
    page = response.content.decode()
    assert response.status_code == 422 and not assignment.reports.exists()
    assert 'value="2024-13"' in page and "用地审批未完成</textarea>" in page and 'value="很多"' in page
    assert f'<option value="{Status.LAGGING}" selected>' in page
    assert "报告期格式应为" in page and "实际值应为数字" in page and "请填写进展情况" not in page
    ok = client.post(url, {**typed, "period": "2024Q1", f"actual_{target.pk}": "3"})
    assert ok.status_code == 302 and assignment.reports.count() == 1


def test_two_people_of_a_unit_report_progress_from_the_same_page_and_the_second_sees_both(plan, world, client):
    """Lost update (issue #16 item 4): both open the task page; the first files 已完成, the second — not having seen
    it — files 推进中. The second is refused (409) with both reports, keeps what was typed, and the first stands."""
    from django.test import Client

    task = plan.tasks.get(no=1)
    assignment = services.assign(
        task, world.huangpu, "lead", date.today() + timedelta(days=30), world.users["city_admin"]
    )
    colleague = make_user("huangpu-2", world.huangpu, Role.DISTRICT_REVIEWER)
    first, second = Client(), Client()
    first.force_login(world.users["district_reviewer"])
    second.force_login(colleague)
    page = f"/plans/tasks/{task.pk}/"
    read = [re.search(r'name="version" value="(\d+)"', c.get(page).content.decode()).group(1) for c in (first, second)]
    url = f"/plans/assignments/{assignment.pk}/report/"
    done = {"period": "2024Q2", "status": Status.DONE, "narrative": "新建园已开工", "version": read[0]}
    assert first.post(url, done).status_code == 302
    late = {"period": "2024Q2", "status": Status.IN_PROGRESS, "narrative": "仍在协调用地", "version": read[1]}
    response = second.post(url, late)
    html = response.content.decode()
    assert response.status_code == 409
    assert "新建园已开工" in html and "仍在协调用地</textarea>" in html  # theirs, and mine kept in the form
    assert [r.narrative for r in assignment.reports.all()] == ["新建园已开工"]


def test_two_answers_to_one_reminder_the_second_is_refused(plan, world):
    task = plan.tasks.get(no=1)
    co = services.assign(task, world.huangpu, "co", date.today(), world.users["city_admin"])
    reminder = services.remind(co, "请说明进度", world.users["city_admin"])
    read = reminder.version
    services.answer(reminder, "三季度开工", world.users["district_reviewer"], read)
    with pytest.raises(DudaoError) as refused:
        services.answer(Reminder.objects.get(pk=reminder.pk), "四季度开工", world.users["district_reviewer"], read)
    assert (
        refused.value.status == 409 and "三季度开工" in refused.value.message and "四季度开工" in refused.value.message
    )
    assert Reminder.objects.get(pk=reminder.pk).answer == "三季度开工"
