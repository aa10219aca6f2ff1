"""One place for each rule: the error type, approved data, element codes and rounding (architecture step)."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import HttpResponse
from django.urls import reverse

from dudao.collection import selectors, workflows
from dudao.collection.catalog import load_all_datasets, load_dataset
from dudao.collection.models import DataSetElement
from dudao.errors import DudaoError, command_errors, conflict, forbidden
from dudao.middleware import DudaoErrorMiddleware
from dudao.rounding import fixed, half_up, rounded

from .conftest import approve_to

SRC = Path(__file__).resolve().parents[1] / "src" / "dudao"


# --------------------------------------------------------------------------- one error type


def test_dudao_error_carries_message_locator_status_and_errors():
    error = DudaoError("应为数字", locator="数据!E7", status=422, errors=["数据!E7: 应为数字", "数据!E9: 应为整数"])
    assert str(error) == "数据!E7: 应为数字" and error.status == 422
    assert error.field_errors() == {"1": "数据!E7: 应为数字", "2": "数据!E9: 应为整数"}
    assert forbidden("无权").status == 403 and conflict("状态不符").status == 409
    assert DudaoError("x").status == 400 and DudaoError("x").field_errors() == {}
    assert error.messages() == ["数据!E7: 应为数字", "数据!E9: 应为整数"]
    assert forbidden("无权", locator="校长").messages() == ["校长: 无权"]


@pytest.mark.django_db
def test_a_dudao_error_is_a_page_with_its_status_never_a_500(rf):
    from django.contrib.auth.models import AnonymousUser

    middleware = DudaoErrorMiddleware(lambda request: HttpResponse("ok"))
    request = rf.get("/")
    request.user = AnonymousUser()
    for error, status in ((forbidden("您无权修改该学校数据"), 403), (DudaoError("请填写理由", locator="reason"), 400)):
        response = middleware.process_exception(request, error)
        assert response.status_code == status
        assert error.message in response.content.decode()
    htmx = rf.post("/", HTTP_HX_REQUEST="true")
    response = middleware.process_exception(htmx, conflict("已核准的数据不能修改"))
    assert response.status_code == 409 and response.content.decode() == "已核准的数据不能修改"
    assert middleware.process_exception(request, ValueError("bug")) is None  # not ours: the normal 500 path


def test_the_api_answers_a_dudao_error_with_its_status_and_fields():
    from dudao.api.errors import handle

    response = handle(DudaoError("数据未保存", errors={"books": "应为整数"}), {})
    assert response.status_code == 400
    assert response.data == {"detail": "数据未保存", "errors": {"books": "应为整数"}}
    assert handle(conflict("不能执行"), {}).data == {"detail": "不能执行"}


def test_commands_turn_a_dudao_error_into_a_command_error():
    with pytest.raises(CommandError, match="备份文件"):
        with command_errors():
            raise DudaoError("不是完整的备份文件")


def test_a_refused_write_through_the_web_is_a_403_page(world, client):
    approve_to(world.sub_a, world.users, "approved")
    client.force_login(world.users["collector"])
    url = reverse("collection:explain", args=[world.sub_a.pk])
    response = client.post(url, {"key": "x", "text": "说明"})
    assert response.status_code == 403 and "当前状态下不能修改数据" in response.content.decode()


def test_an_upload_refused_as_a_whole_is_the_error_page_not_an_empty_error_list(world, client):
    """A locked submission refuses the file before reading it: a 403 page with the reason."""
    import io

    from dudao.collection import excel

    payload = io.BytesIO(excel.school_template(world.sub_a))
    payload.name = "t.xlsx"
    approve_to(world.sub_a, world.users, "approved")
    client.force_login(world.users["collector"])
    response = client.post(reverse("collection:school_upload", args=[world.sub_a.pk]), {"file": payload})
    assert response.status_code == 403 and "不能导入数据" in response.content.decode()


def test_an_evaluation_report_for_a_scope_it_cannot_judge_is_the_error_page(world, client):
    client.force_login(world.users["city_admin"])
    response = client.get(reverse("evaluation:report", args=["balanced", "html"]) + "?period=2021&org=3101010001")
    assert response.status_code == 400 and "无法完成操作" in response.content.decode()


def test_no_ad_hoc_exception_classes_remain():
    """Every user-facing error is a DudaoError; an ``Exception`` subclass elsewhere would need its own handler."""
    found = []
    for path in SRC.rglob("*.py"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.match(r"class \w+\((\w+\.)?(Exception|ValueError|PermissionError|RuntimeError)\)", line):
                found.append(f"{path.relative_to(SRC)}:{n}: {line}")
    allowed = {"errors.py", "collection/expressions.py"}  # the type itself; the formula interpreter's private _Missing
    assert [f for f in found if f.split(":")[0] not in allowed] == []


# --------------------------------------------------------------------------- approved data


STATUS_FILTER = re.compile(r"\bstate(__in|__[a-z]+)?\s*=(?!=)|submissions__state")


def test_no_submission_status_filter_outside_the_selectors_and_workflow_modules():
    offenders = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).as_posix()
        if rel in ("collection/selectors.py", "collection/workflows.py") or "/migrations/" in rel:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "selectors." in line:
                continue  # a keyword argument to a selector, not a filter
            if STATUS_FILTER.search(line) and re.search(r"\.(filter|exclude|get|update)\(|Q\(", line):
                offenders.append(f"{rel}:{n}: {line.strip()}")
    assert offenders == []


def test_states_at_or_beyond_follow_each_workflow_forward():
    default = workflows.workflows()["default"]
    assert default.forward_order() == [
        "draft",
        "submitted",
        "checked",
        "approved",
        "district_accepted",
        "city_accepted",
    ]
    assert default.at_or_beyond("district_accepted") == {"district_accepted", "city_accepted"}
    # every locked state lies at or beyond "approved" — except the statistics workflow's one state: imported public
    # statistics are published when they arrive, no one approves them
    assert workflows.states_at_or_beyond("approved") | {"published"} == workflows.locked_states()
    assert workflows.workflows()["statistics"].forward_order() == ["published"]
    assert workflows.workflows()["district"].at_or_beyond("approved") == frozenset()


def test_selectors_count_approved_data_only(world):
    approve_to(world.sub_a, world.users, "approved")
    approve_to(world.sub_b, world.users | {"collector": world.users["collector_b"]}, "submitted")
    period = world.campaign.period
    approved = selectors.approved_submissions(dataset="vocational_quality", period=period)
    assert {s.org for s in approved} == {world.school_a}
    assert selectors.is_approved(world.school_a, period, "vocational_quality")
    assert not selectors.is_approved(world.school_b, period, "vocational_quality")
    assert not selectors.is_approved(world.school_a, period, "kindergarten")
    assert not selectors.approved_submissions(period=period, at_least="district_accepted").exists()
    numbers = selectors.approved_numbers("vocational_quality", period, [world.school_a, world.school_b])
    assert set(numbers) == {world.school_a.pk} and numbers[world.school_a.pk]["books"] == Decimal(70000)
    values = selectors.approved_values()
    assert values.filter(org=world.school_a).exists() and not values.filter(org=world.school_b).exists()
    assert set(selectors.approved_org_periods()) == {(world.school_a.pk, period.pk)}
    under_xuhui = selectors.approved_submissions(under=world.xuhui)
    assert not under_xuhui.exists()


# --------------------------------------------------------------------------- element codes


def _dataset_file(folder: Path, code: str, sections: dict[str, list[str]]) -> Path:
    lines = [f"code: {code}", f"name: {code}", "sections:"]
    for section, elements in sections.items():
        items = ", ".join(f"{{code: {e}, name: {e}, type: integer}}" for e in elements)
        lines.append(f"  - {{code: {section}, name: {section}, elements: [{items}]}}")
    path = folder / f"{code}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_catalog_refuses_an_element_declared_twice_in_one_file(db, tmp_path):
    path = _dataset_file(tmp_path, "twice", {"a": ["x_count"], "b": ["x_count"]})
    with pytest.raises(DudaoError, match=r"“x_count”重复声明：twice.yaml › a 与 twice.yaml › b"):
        load_dataset(path)
    assert not DataSetElement.objects.filter(element__code="x_count").exists()


def test_catalog_refuses_an_element_another_data_set_declares(db, tmp_path, settings):
    (tmp_path / "datasets").mkdir()
    _dataset_file(tmp_path / "datasets", "first", {"s1": ["shared_count", "own_count"]})
    second = _dataset_file(tmp_path / "datasets", "second", {"s2": ["shared_count"]})
    settings.CATALOG_DIR = str(tmp_path)
    with pytest.raises(DudaoError, match=r"“shared_count”重复声明：first.yaml › s1 与 second.yaml › s2"):
        load_all_datasets()
    assert not DataSetElement.objects.exists()  # refused before anything was written
    load_dataset(tmp_path / "datasets" / "first.yaml")
    with pytest.raises(DudaoError, match=r"first.yaml › s1 与 second.yaml › s2"):
        load_dataset(second)  # loaded on its own, the database knows the first declaration


def test_the_database_holds_an_element_in_one_data_set_only(world):
    from django.db import IntegrityError, transaction

    from dudao.collection.models import DataSet

    member = world.dataset.members.first()
    other = DataSet.objects.create(code="other", name="其他")
    with pytest.raises(IntegrityError), transaction.atomic():
        DataSetElement.objects.create(
            dataset=other, element=member.element, section_code="s", section_name="s", order=1
        )


def test_catalog_command_reports_a_duplicate_without_a_trace(db, tmp_path, settings):
    (tmp_path / "datasets").mkdir()
    _dataset_file(tmp_path / "datasets", "first", {"s1": ["dup_count"]})
    _dataset_file(tmp_path / "datasets", "second", {"s2": ["dup_count"]})
    settings.CATALOG_DIR = str(tmp_path)
    orgs = Path(__file__).resolve().parents[1] / "src" / "dudao" / "catalog" / "orgs.yaml"
    (tmp_path / "orgs.yaml").write_text(orgs.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(CommandError, match="dup_count"):
        call_command("catalog")


# --------------------------------------------------------------------------- rounding


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        (0.125, 2, "0.13"),  # round() and format() give 0.12
        (2.675, 2, "2.68"),  # binary 2.67499…: rounded as printed
        (12.25, 1, "12.3"),
        (0.5, 0, "1"),
        (1.5, 0, "2"),
        (2.5, 0, "3"),  # half-even would give 2
        (-0.125, 2, "-0.13"),
        (-0.004, 2, "0.00"),  # never "-0.00"
        (Decimal("98.45"), 1, "98.5"),
        (7901, 0, "7901"),
    ],
)
def test_half_up_on_half_cases(value, places, text):
    assert fixed(value, places) == text
    assert half_up(value, places) == Decimal(text)


def test_rounding_helpers_for_json_and_tables():
    assert rounded(59.65, 1) == 59.7 and rounded(2.5) == 3 and isinstance(rounded(2.5), int)
    assert rounded(None, 2) is None and fixed(None, 2) == "—"
    assert fixed(5.725, 2, sign=True) == "+5.73" and fixed(-1.55, 1, sign=True) == "-1.6"
    assert fixed(1480500.125, 2, grouping=True) == "1,480,500.13"


def test_no_other_rounding_in_the_product():
    """Display rounding goes through dudao.rounding (templates: Django's floatformat, also half-up); round() and
    fixed-point format specs would round half-even."""
    pattern = re.compile(r"\bround\(|:[+,]?\.\d+f\}|\.\{[^}]+\}f\}")  # (Django's floatformat is half-up)
    offenders = []
    for path in list(SRC.rglob("*.py")) + list(SRC.rglob("*.html")):
        rel = path.relative_to(SRC).as_posix()
        if rel == "rounding.py" or rel.startswith("demo/") or "/migrations/" in rel:
            continue  # the demo generator calibrates its own synthetic data
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{rel}:{n}: {line.strip()}")
    assert offenders == []


# --------------------------------------------------------------------------- URLs


def test_paths_are_built_from_url_names_not_written_by_hand():
    """Templates use {% url %} and code reverse(): a route can move without a link breaking somewhere."""
    routes = "portal|api|submissions|campaigns|plans|evaluation|publications|dashboard|accounts"
    by_hand = re.compile(rf'(href|action|hx-post|hx-get)="/(?!static/)|f?"/({routes})/')
    offenders = []
    for path in list(SRC.rglob("*.html")) + list(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if "/migrations/" in rel or rel.startswith("static/") or rel in ("urls.py", "settings.py", "api/schema.py"):
            continue  # route tables, the login URL setting and the OpenAPI path keys are where paths are declared
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if by_hand.search(line) and "path(" not in line:
                offenders.append(f"{rel}:{n}: {line.strip()}")
    assert offenders == []


# --------------------------------------------------------------------------- English


# Printed documents: official Chinese texts (HTML → PDF/Word) whatever the reader's language, so their words are
# part of the document, not UI text.
PRINTED_DOCUMENTS = {
    "reports/templates/reports/report.html": "the annual quality report, published as PDF on the portal",
    "evaluation/templates/evaluation/report.html": "the evaluation report (HTML/PDF); its result block is "
    "rendered under {% language 'zh-hans' %}",
    "plans/templates/plans/summary.html": "the year-end account (年终交账) printed to PDF; its Word twin is "
    "written in Chinese by plans/summary.py",
}
IDEOGRAPH = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
TRANSLATED_OR_COMMENT = re.compile(
    r"\{#.*?#\}"
    r"|\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}"
    r"|\{%\s*blocktrans(?:late)?\b.*?\{%\s*endblocktrans(?:late)?\s*%\}"
    r"|\{%\s*trans(?:late)?\s.*?%\}"
    r"|_\(\s*(?:\"[^\"]*\"|'[^']*')\s*\)",  # a translated literal argument: label=_("年度"), yesno:_("是,否")
    re.S,
)


def untranslated_chinese(text: str) -> list[str]:
    """The lines of a template that still show Chinese outside translate/blocktranslate and comments."""
    rest = TRANSLATED_OR_COMMENT.sub("", text)
    return [line.strip() for line in rest.splitlines() if IDEOGRAPH.search(line)]


def test_the_scanner_finds_chinese_outside_translate_tags_only():
    assert untranslated_chinese('<h1>{% translate "督导" %}</h1>{# 注释 #}<b>{{ x|yesno:_("是,否") }}</b>') == []
    assert untranslated_chinese("{% blocktranslate with n=n %}共 {{ n }} 所{% endblocktranslate %}") == []
    expected = ["<th>指标</th>", '<input placeholder="备注">']
    assert untranslated_chinese('<th>指标</th>\n<input placeholder="备注">') == expected


def test_no_page_template_has_untranslated_chinese():
    """English is complete: every UI word of a page goes through gettext (printed documents excepted above)."""
    offenders = []
    for path in sorted(SRC.rglob("*.html")):
        rel = path.relative_to(SRC).as_posix()
        if rel in PRINTED_DOCUMENTS:
            continue
        offenders += [f"{rel}: {line}" for line in untranslated_chinese(path.read_text(encoding="utf-8"))]
    assert offenders == []
    assert all((SRC / rel).exists() for rel in PRINTED_DOCUMENTS)  # the allow-list names real files


def test_every_english_message_is_translated_and_none_is_fuzzy():
    po = (SRC / "locale" / "en" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    entries = [block for block in po.split("\n\n") if "msgid" in block and not block.lstrip().startswith("#~")]
    untranslated, fuzzy = [], []
    for block in entries[1:]:  # entries[0] is the header
        msgid = "".join(re.findall(r'^(?:msgid )?"(.*)"$', block.split("msgstr")[0], re.M))
        msgstrs = re.split(r"^msgstr(?:\[\d+\])? ", block, flags=re.M)[1:]
        if any(not "".join(re.findall(r'"(.*)"', s)) for s in msgstrs):
            untranslated.append(msgid)
        if re.search(r"^#,.*\bfuzzy\b", block, re.M):
            fuzzy.append(msgid)
    assert len(entries) > 100 and untranslated == [] and fuzzy == []
