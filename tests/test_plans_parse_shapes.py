"""`dudao plans parse` on 工作要点 of other places and years (issue #19): each shape in tests/fixtures/plans/ read
plain, re-wrapped at 38 characters with page marks, and flattened into one line; one as Word, one as PDF; and the
Shanghai plans read exactly as before."""

import importlib.util
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from hypothesis import given, settings
from hypothesis import strategies as st

import dudao.demo
from dudao.errors import DudaoError
from dudao.plans.parser import UNKNOWN_SECTION, organs, parse, parse_file

FIXTURES = Path(__file__).parent / "fixtures" / "plans"
DEMO = Path(dudao.demo.__file__).parent / "data"

# name → what a reader of the document finds in it, counted by hand from the plain .txt
EXPECTED = {
    "province_2021_vocational": {  # 某省教育厅 notice, red-head letter-spaced, 附件 title line, preamble after 一、
        "doc_number": "某教职成〔2021〕3号",
        "issuers": ["某省教育厅"],
        "date": "2021-02-20",
        "title": "2021年某省职业教育工作要点",
        # 一、 2 tasks; 二、 (一) 2 + (二) 2; 三、 2 → 2 + 4 + 2 = 8 tasks, numbered 1..8 through the plan
        "sections": [(1, "总体要求", 0), (2, "优化职业教育类型定位", 2), (3, "提升职业教育质量", 0)],
        "tasks": [(1, 1, None), (2, 1, None), (3, 2, 1), (4, 2, 1), (5, 2, 2), (6, 2, 2), (7, 3, None), (8, 3, None)],
    },
    "city_2019_bureau": {  # 某市教育局: [] number, Chinese-numeral date, 第一部分 > 一、 > 1、 restarting in each 一、
        "doc_number": "某教发〔2019〕4号",
        "issuers": ["某市教育局"],
        "date": "2019-01-18",
        "title": "某市教育局2019年工作要点",
        # 第一部分: 一、 2 + 二、 3; 第二部分: 一、 2 + 二、 1 → 2 + 3 + 2 + 1 = 8 tasks, renumbered 1..8
        "sections": [(1, "基础教育", 2), (2, "职业教育与终身教育", 2)],
        "tasks": [(1, 1, 1), (2, 1, 1), (3, 1, 2), (4, 1, 2), (5, 1, 2), (6, 2, 1), (7, 2, 1), (8, 2, 2)],
    },
    "city_2020_coissued": {  # two organs together before 关于, （） number, 二〇二〇年十二月三十一日, （1） tasks
        "doc_number": "某教督〔2020〕2号",
        "issuers": ["中共某市委教育工作委员会", "某市教育委员会"],
        "date": "2020-12-31",
        "title": "2020年某市教育督导工作要点",
        # 一、 (一) 2 + (二) 1; 二、 (一) 2; 三、 (一) 1 + (二) 1 → 3 + 2 + 2 = 7 tasks
        "sections": [
            (1, "深化教育督导体制机制改革", 2),
            (2, "加强对政府履行教育职责的评价", 1),
            (3, "强化督学和评估监测", 2),
        ],
        "tasks": [(1, 1, 1), (2, 1, 1), (3, 1, 2), (4, 2, 1), (5, 2, 1), (6, 3, 1), (7, 3, 2)],
    },
    "district_2009_lost_date": {  # no organ before 关于: the signature; 二〇〇九年 月十三日 lost its month; 一是 tasks
        "doc_number": "某教工〔2009〕2号",
        "issuers": ["中共某区委教育工作委员会"],
        "date": None,
        "title": "中共某区委教育工作委员会2009年工作要点",
        # 一是…三是 under 一、, 一是 二是 under 二、 and 三、 → 3 + 2 + 2 = 7 tasks, numbered 1..7
        "sections": [(1, "加强思想政治建设", 0), (2, "加强基层党组织建设", 0), (3, "加强党风廉政建设", 0)],
        "tasks": [(1, 1, None), (2, 1, None), (3, 1, None), (4, 2, None), (5, 2, None), (6, 3, None), (7, 3, None)],
    },
    "province_2022_shi_sections": {  # red-head of two organs + 文件, ［］ number, 二零二二年, 附件：title, 一是
        "doc_number": "某教财〔2022〕6号",
        "issuers": ["某省教育厅", "某省财政厅"],
        "date": "2022-03-05",
        "title": "2022年某省教育经费监管工作要点",
        # 一是 2 + 二是 2 + 三是 1 = 5 tasks
        "sections": [(1, "落实教育投入责任", 0), (2, "加强经费使用管理", 0), (3, "强化审计监督", 0)],
        "tasks": [(1, 1, None), (2, 1, None), (3, 2, None), (4, 2, None), (5, 3, None)],
    },
    "county_2023_signed_at_end": {  # no notice: signature and date after the last task, (1) tasks
        "doc_number": None,
        "issuers": ["某县教育局"],
        "date": "2023-01-16",
        "title": "某县教育局2023年教育工作要点",
        # 一、 (1)-(3), 二、 (4)-(5) → 5 tasks
        "sections": [(1, "办好公平优质的基础教育", 0), (2, "建设高素质专业化教师队伍", 0)],
        "tasks": [(1, 1, None), (2, 1, None), (3, 1, None), (4, 2, None), (5, 2, None)],
    },
    "fragment_midway": {  # starts in the middle of task 4's text: tasks 5, 6 before any heading, then 三、 and 四、
        "doc_number": None,
        "issuers": [],
        "date": None,
        "title": "",
        # 5, 6 unknown; 7, 8 in 三、; 9 in 四、 → 5 tasks keeping their own numbers
        "sections": [(0, UNKNOWN_SECTION, 0), (3, "推进教育信息化", 0), (4, "加强教育督导", 0)],
        "tasks": [(5, 0, None), (6, 0, None), (7, 3, None), (8, 3, None), (9, 4, None)],
    },
}
FORMS = ["txt", "wrapped.txt", "flat.txt"]


def signature(plan):
    return [(t.no, t.title, t.body, t.section, t.subsection) for t in plan.tasks]


def check(plan, expected):
    assert plan.doc_number == expected["doc_number"]
    assert plan.issuers == expected["issuers"]
    assert plan.issuer == ("、".join(expected["issuers"]) or None)
    assert plan.date == expected["date"]
    assert plan.title == expected["title"]
    assert [(s.no, s.title, len(s.subsections)) for s in plan.sections] == expected["sections"]
    assert [(t.no, t.section, t.subsection) for t in plan.tasks] == expected["tasks"]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_shape_in_each_form(name, form):
    plan = parse_file(FIXTURES / f"{name}.{form}")
    check(plan, EXPECTED[name])
    # the same task texts however the lines were broken
    assert signature(plan) == signature(parse_file(FIXTURES / f"{name}.txt"))
    assert all(t.body and "- 1 -" not in t.body and "—2—" not in t.body for t in plan.tasks)


def test_wrapped_and_flat_fixtures_are_what_make_py_makes():
    spec = importlib.util.spec_from_file_location("make_plans", FIXTURES / "make.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    for name in EXPECTED:
        text = (FIXTURES / f"{name}.txt").read_text(encoding="utf-8")
        assert (FIXTURES / f"{name}.wrapped.txt").read_text(encoding="utf-8") == make.wrapped(text)
        flat = (FIXTURES / f"{name}.flat.txt").read_text(encoding="utf-8")
        assert flat == make.flat(text) and flat.count("\n") == 1
    assert "- 1 -" in (FIXTURES / "province_2021_vocational.flat.txt").read_text(encoding="utf-8")
    assert "—2—" in (FIXTURES / "province_2021_vocational.flat.txt").read_text(encoding="utf-8")
    assert "某 省 教 育 厅" in (FIXTURES / "province_2021_vocational.flat.txt").read_text(encoding="utf-8")


def test_word_file():
    plan = parse_file(FIXTURES / "city_2020_coissued.docx")
    check(plan, EXPECTED["city_2020_coissued"])
    assert signature(plan) == signature(parse_file(FIXTURES / "city_2020_coissued.txt"))


def test_pdf_file():
    plan = parse_file(FIXTURES / "province_2021_vocational.pdf")
    check(plan, EXPECTED["province_2021_vocational"])
    assert signature(plan) == signature(parse_file(FIXTURES / "province_2021_vocational.txt"))


@pytest.mark.parametrize(
    "name, source", [("shanghai_2020", "vocational_work_plan_2020.txt"), ("shanghai_2024", "plan_2024_sample.txt")]
)
def test_shanghai_plans_parse_exactly_as_before(name, source):
    """The JSON recorded before #19 (tests/fixtures/plans/*.expected.json), plus the new `issuers` list."""
    data = parse_file(DEMO / source).to_json()
    assert data.pop("issuers") == [data["issuer"]]
    assert data == json.loads((FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))


def test_cli_prints_issuer_and_date(capsys):
    call_command("plans", "parse", str(FIXTURES / "city_2020_coissued.flat.txt"), "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["issuer"] == "中共某市委教育工作委员会、某市教育委员会"
    assert data["issuers"] == ["中共某市委教育工作委员会", "某市教育委员会"]
    assert (data["date"], data["doc_number"]) == ("2020-12-31", "某教督〔2020〕2号")
    assert len(data["tasks"]) == 7
    call_command("plans", "parse", str(FIXTURES / "fragment_midway.flat.txt"), "--json")
    data = json.loads(capsys.readouterr().out)
    assert (data["issuer"], data["issuers"], data["date"]) == (None, [], None)
    assert data["sections"][0] == {"no": 0, "title": UNKNOWN_SECTION, "subsections": []}


# ----------------------------------------------------------------------------- the pieces


@pytest.mark.parametrize(
    "text, expected",
    [
        ("中共某市委教育工作委员会某市教育委员会", ["中共某市委教育工作委员会", "某市教育委员会"]),
        ("某省教育厅　某省财政厅", ["某省教育厅", "某省财政厅"]),
        ("某省教育厅、某省人力资源和社会保障厅", ["某省教育厅", "某省人力资源和社会保障厅"]),
        ("上海市教育委员会办公室", ["上海市教育委员会办公室"]),  # 办公室 has no place of its own
        ("某市人民政府教育督导室", ["某市人民政府教育督导室"]),
        ("某市人民政府教育督导委员会办公室", ["某市人民政府教育督导委员会办公室"]),
        ("教育部", ["教育部"]),
        ("某省教育厅文件", ["某省教育厅"]),
        ("各市教育局：", None),
        ("2021年某省职业教育工作要点", None),
        ("办公室", None),
    ],
)
def test_organs(text, expected):
    assert organs(text) == expected


@pytest.mark.parametrize(
    "line, iso",
    [
        ("2021年2月20日", "2021-02-20"),
        ("二〇〇九年一月十三日", "2009-01-13"),
        ("二〇二〇年十二月三十一日", "2020-12-31"),
        ("二零二二年三月五日", "2022-03-05"),
        ("二○一八年十月二十日", "2018-10-20"),  # ○ (a circle) written for 〇
        ("二〇〇九年 月十三日", None),  # the month was lost: no date, not a guess
        ("二〇〇九年一月日", None),
        ("2009年 月13日", None),
    ],
)
def test_dates_in_either_numerals_and_lost_dates_not_guessed(line, iso):
    plan = parse(f"某市教育局\n{line}\n某市教育局工作要点\n一、总体要求\n1.推进工作。")
    assert plan.date == iso


def test_impossible_chinese_date_is_refused_with_its_line():
    with pytest.raises(DudaoError) as info:
        parse("某市教育局\n二〇二一年二月三十日\n一、总体要求\n1.推进工作。")
    assert info.value.locator == "第 2 行" and "二〇二一年二月三十日" in str(info.value)


@pytest.mark.parametrize(
    "line, number",
    [
        ("京教工[2009]2号", "京教工〔2009〕2号"),
        ("沪教委职〔2020〕5号", "沪教委职〔2020〕5号"),
        ("某教发［2019］4号", "某教发〔2019〕4号"),
        ("某教督（2020）2号", "某教督〔2020〕2号"),
        ("某教督(2020)12号", "某教督〔2020〕12号"),
        ("某教督 〔 2020 〕 2 号", "某教督〔2020〕2号"),
    ],
)
def test_document_numbers_in_any_brackets(line, number):
    assert parse(f"{line}\n工作要点\n一、总体要求\n1.推进工作。").doc_number == number


def test_title_prefers_the_notice_over_the_red_head():
    text = "\n".join(
        [
            "某市教育局文件",
            "某教发〔2019〕4号",
            "签发人：王某",
            "某市教育局关于印发《某市2019年工作要点》的通知",
            "一、总体",
            "1.推进。",
        ]
    )
    assert parse(text).title == "某市2019年工作要点"


def test_headings_and_task_numbers_of_every_style():
    # 第一部分 with its title on the next line; 1、 and （1） tasks; (1) with ASCII brackets
    plan = parse("第一部分\n基础教育\n1、推进甲。\n2、推进乙。\n第二部分\n职业教育\n3、推进丙。")
    assert [(s.no, s.title) for s in plan.sections] == [(1, "基础教育"), (2, "职业教育")]
    assert [(t.no, t.section) for t in plan.tasks] == [(1, 1), (2, 1), (3, 2)]
    plan = parse("一、总体要求\n（1）推进甲。\n(2)推进乙。")
    assert [t.title for t in plan.tasks] == ["推进甲", "推进乙"]


def test_a_task_line_holding_the_next_task_is_two_tasks():
    plan = parse("一、总体要求 1.推进甲。2.推进乙。")
    assert [(t.no, t.body) for t in plan.tasks] == [(1, "推进甲。"), (2, "推进乙。")]


def test_no_tasks_is_still_a_clear_error():
    with pytest.raises(DudaoError, match="一、"):
        parse("只有一段话，没有结构。")
    with pytest.raises(DudaoError, match="编号"):
        parse("标题\n一、总则\n没有编号的任务")


# ----------------------------------------------------------------------------- never refused when there are tasks

# prose may hold heading-like pieces (一、 （二） 一是 第三部分) and the header lines of a notice; 十 is left out, as
# "十十、" is refused naming its line (an unreadable numeral, tests/test_file_attacks.py), and so are impossible dates
PROSE_CHARS = list("加强推进教育学校工作建设完善制度管理质量发展提升服务全面深化改革，。；“”一二三、（）是第部分")
prose = st.text(alphabet=st.sampled_from(PROSE_CHARS), min_size=1, max_size=40)
task_line = st.tuples(st.integers(1, 99), st.sampled_from(["{}.", "{}．", "{}、", "（{}）", "({})"]), prose).map(
    lambda t: t[1].format(t[0]) + t[2]
)
header_lines = [
    "某省教育厅",
    "某省教育厅某省财政厅",
    "2021年2月3日",
    "二〇二一年二月三日",
    "二〇二一年 月三日",
    "某教[2020]1号",
]
noise = st.one_of(prose, st.sampled_from(["", "- 3 -", "—12—", "第 2 页", "  ", *header_lines]))


@settings(max_examples=300, deadline=None)
@given(
    before=st.lists(noise, max_size=8),
    task=task_line,
    after=st.lists(st.one_of(noise, task_line), max_size=8),
    sep=st.sampled_from(["\n", " ", "\n\n"]),
)
def test_any_text_with_a_numbered_task_is_read(before, task, after, sep):
    """Lines of anything, one of them a numbered task (on a line of its own, or flattened with the rest onto one
    line): never refused, and task numbers only go up."""
    plan = parse(sep.join([*before, task, *after]))
    assert plan.tasks
    assert [t.no for t in plan.tasks] == sorted({t.no for t in plan.tasks})


def test_shanghai_plan_flattened_onto_one_line_reads_the_same():
    """The 2020 plan as a web page shows it: every line joined by a space. Only spaces inside a task (after an ASCII
    comma) are lost — a flattened text cannot tell them from the line ends it lost."""
    text = (DEMO / "vocational_work_plan_2020.txt").read_text(encoding="utf-8")
    plain, flat = parse(text), parse(" ".join(text.splitlines()))
    assert [(t.no, t.title, t.body.replace(" ", ""), t.section, t.subsection) for t in flat.tasks] == [
        (t.no, t.title, t.body.replace(" ", ""), t.section, t.subsection) for t in plain.tasks
    ]
    assert [(s.no, s.title) for s in flat.sections] == [(s.no, s.title) for s in plain.sections]
    assert (flat.issuer, flat.date, flat.title) == ("上海市教育委员会", "2020-03-11", "2020年上海市职业教育工作要点")


@pytest.mark.django_db
def test_a_fragment_imports_with_its_unknown_section():
    from dudao.plans import services

    plan = services.import_plan(parse_file(FIXTURES / "fragment_midway.flat.txt"), 2022)
    assert list(plan.sections.values_list("no", "title")) == [
        (0, UNKNOWN_SECTION),
        (3, "推进教育信息化"),
        (4, "加强教育督导"),
    ]
    assert list(plan.tasks.values_list("no", flat=True)) == [5, 6, 7, 8, 9]
    coissued = services.import_plan(parse_file(FIXTURES / "city_2020_coissued.txt"), 2020)
    assert coissued.issuer == "中共某市委教育工作委员会、某市教育委员会" and str(coissued.date) == "2020-12-31"


def shape(plan):
    return (
        [(s.no, s.title, [(x.no, x.title) for x in s.subsections]) for s in plan.sections],
        [(t.no, t.section, t.subsection, t.body) for t in plan.tasks],
    )


def test_a_fragment_opening_with_a_subsection_and_holding_one_heading():
    plan = parse("（二）加强安全\n5.推进甲。\n6.推进乙。\n三、推进信息化\n7.推进丙。")
    assert shape(plan) == (
        [(0, UNKNOWN_SECTION, [(2, "加强安全")]), (3, "推进信息化", [])],
        [(5, 0, 2, "推进甲。"), (6, 0, 2, "推进乙。"), (7, 3, None, "推进丙。")],
    )


def test_a_text_flattened_without_any_space():
    text = (
        "某市教育局关于印发《某市2021年工作要点》的通知各区教育局：现印发。某市教育局2021年3月1日"
        "一、总体要求1.加强甲。2.推进乙。二、质量提升3.推进丙。"
    )
    plan = parse(text)
    assert (plan.issuer, plan.date, plan.title) == ("某市教育局", "2021-03-01", "某市2021年工作要点")
    assert shape(plan) == (
        [(1, "总体要求", []), (2, "质量提升", [])],
        [(1, 1, None, "加强甲。"), (2, 1, None, "推进乙。"), (3, 2, None, "推进丙。")],
    )


def test_task_numbers_restarting_in_each_subsection_are_renumbered():
    plan = parse("一、总体\n（一）甲\n1.推进甲。\n2.推进乙。\n（二）乙\n1.推进丙。\n二、质量\n1.推进丁。")
    assert [(t.no, t.section, t.subsection, t.body) for t in plan.tasks] == [
        (1, 1, 1, "推进甲。"),
        (2, 1, 1, "推进乙。"),
        (3, 1, 2, "推进丙。"),
        (4, 2, None, "推进丁。"),
    ]


def test_a_title_set_on_two_lines_after_the_attachment_mark():
    assert parse("某省教育厅\n附件\n2021年某省职业教育\n工 作 要 点\n一、总体\n1.推进甲。").title == (
        "2021年某省职业教育工作要点"
    )


def test_a_red_head_of_co_issuers_stacked_one_a_line():
    text = (
        "中共某市委教育工作委员会\n某市教育委员会\n文件\n某教〔2020〕1号\n2020年某市教育工作要点\n一、总体\n1.推进甲。"
    )
    plan = parse(text)
    assert plan.issuers == ["中共某市委教育工作委员会", "某市教育委员会"]
    assert (plan.doc_number, plan.title) == ("某教〔2020〕1号", "2020年某市教育工作要点")
