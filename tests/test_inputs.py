"""Issue #16 items 10, 11 and 7 (input half): the attacks replayed against every way a value gets in.

NaN, inf, 1e400 and 2⁵³+1 through the collection form's autosave, the Excel upload, the API, the statistics import
and the plan/evaluation forms; a megabyte string to every page form; U+0001 and U+000B anywhere. Each is refused
with the field (or cell) named, and nothing is stored."""

import io
import json
import re
import zipfile
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from dudao import inputs
from dudao.collection import excel, services
from dudao.collection.models import DataElement, DataValue, Explanation
from dudao.errors import DudaoError
from dudao.evaluation import registry
from dudao.evaluation.schemes import thematic
from dudao.statistics.models import ImportedValue
from dudao.statistics.services import import_table

from .test_excel import fill_school, to_bytes, workbook_from

NUMBER_ATTACKS = [
    "NaN",
    "nan",
    "sNaN",
    "inf",
    "-Infinity",
    "1e400",
    "1e999999999999999999",  # beyond Decimal's own exponent limit (Overflow, not InvalidOperation)
    str(2**53 + 1),
    "1e15",
    "12345678901234.56",
]
CONTROL_ATTACKS = ["甲\x01乙", "甲\x0b乙", "\x00", "a\x7f", "a\x1fb"]
MEGABYTE = "长" * 1_000_000


def element(code):
    return DataElement.objects.get(code=code)


# ----------------------------------------------------------------------------- the two functions


@pytest.mark.parametrize("raw", NUMBER_ATTACKS + [float("nan"), float("inf"), 2**53 + 1, 1e300, True])
def test_parse_number_refuses_non_finite_huge_and_imprecise_numbers(raw):
    with pytest.raises(DudaoError) as info:
        inputs.parse_number(raw, field="n")
    assert set(info.value.errors) == {"n"}


@pytest.mark.parametrize(
    "raw, kwargs, expected",
    [
        ("1,234", {}, Decimal(1234)),
        (str(10**15 - 1), {"integer": True}, Decimal(10**15 - 1)),  # the largest integer taken: exact on SQLite
        ("0.125", {"places": 2}, Decimal("0.13")),  # half-up, as every figure is shown
        (" ", {}, None),
        (3.0, {}, Decimal(3)),
        ("0e999999999", {}, Decimal(0)),  # a zero whose plain notation would be a billion digits long
        ("1e-999999999", {}, Decimal(0)),
    ],
)
def test_parse_number_takes_ordinary_numbers(raw, kwargs, expected):
    number = inputs.parse_number(raw, **kwargs)
    assert number == expected and (number is None or len(f"{number:f}") < 30)


def test_parse_number_applies_the_declared_range():
    with pytest.raises(DudaoError, match="不能小于 0"):
        inputs.parse_number("-1", minimum=0)
    with pytest.raises(DudaoError, match="不能大于 100"):
        inputs.parse_number("100.5", maximum=Decimal(100))


@pytest.mark.parametrize("text", CONTROL_ATTACKS)
def test_check_text_refuses_control_characters(text):
    with pytest.raises(DudaoError, match="控制字符") as info:
        inputs.check_text(text, field="note")
    assert set(info.value.errors) == {"note"}


def test_check_text_keeps_tabs_and_line_breaks_and_refuses_overlong_text():
    assert inputs.check_text("第一行\r\n第二行\t完") == "第一行\r\n第二行\t完"
    with pytest.raises(DudaoError, match="不超过 10 字"):
        inputs.check_text("x" * 11, max_length=10)


# ----------------------------------------------------------------------------- the catalog's ranges


def test_every_numeric_element_has_a_declared_range_the_parser_applies(world):
    """Counts and money may not be negative, percentages lie in 0–100; above all of them stands 10¹⁵."""
    numeric = DataElement.objects.filter(value_type__in=["integer", "number", "percent"])
    assert numeric.exists()
    assert not numeric.filter(minimum__isnull=True).exists()
    assert not numeric.filter(value_type="percent", maximum__isnull=True).exists()


# ----------------------------------------------------------------------------- numbers: the attacks


@pytest.mark.parametrize("raw", NUMBER_ATTACKS)
def test_numbers_posted_to_the_form_autosave_are_refused_at_the_field(world, client, raw):
    client.force_login(world.users["collector"])
    url = reverse("collection:save_value", args=[world.sub_a.pk, "students_total"])
    response = client.post(url, {"value": raw}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "field-error" in response.content.decode() or "error" in response.content.decode()
    assert not DataValue.objects.exists()


@pytest.mark.parametrize("raw", NUMBER_ATTACKS)
def test_numbers_in_an_excel_upload_are_refused_with_the_cell(world, raw):
    wb = workbook_from(excel.school_template(world.sub_a))
    fill_school(wb, {"students_total": raw, "fixed_assets": 2**53 + 1})
    rows = {r[0].value: r[0].row for r in wb[excel.SHEET].iter_rows(min_row=2)}
    with pytest.raises(DudaoError) as info:
        excel.import_school(world.sub_a, to_bytes(wb), world.users["collector"])
    errors = list(info.value.errors)
    assert any(e.startswith(f"数据!E{rows['students_total']}: ") for e in errors)
    assert any(e.startswith(f"数据!E{rows['fixed_assets']}: ") for e in errors)  # 2⁵³+1 as a number cell
    assert not DataValue.objects.exists()


@pytest.mark.parametrize(
    "literal, where",
    [
        (b"1e400", "cell"),
        (b"-1E+400", "cell"),
        (str(2**53 + 1).encode(), "cell"),
        (b"NaN", "file"),  # openpyxl cannot read the sheet at all: the file is refused as unreadable
        (b"inf", "file"),
    ],
)
def test_non_finite_number_cells_in_an_excel_upload_are_refused(world, literal, where):
    """openpyxl writes NaN/inf as empty cells, so the attack edits the sheet's XML: a number cell holding the
    literal, as a hand-made or other program's file may."""
    wb = workbook_from(excel.school_template(world.sub_a))
    fill_school(wb, {"students_total": 777001})
    row = next(r[0].row for r in wb[excel.SHEET].iter_rows(min_row=2) if r[0].value == "students_total")
    source, crafted = zipfile.ZipFile(to_bytes(wb)), io.BytesIO()
    with zipfile.ZipFile(crafted, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename).replace(b"<v>777001</v>", b"<v>" + literal + b"</v>"))
    crafted.seek(0)
    with pytest.raises(DudaoError) as info:
        excel.import_school(world.sub_a, crafted, world.users["collector"])
    if where == "cell":
        assert any(e.startswith(f"数据!E{row}: ") for e in info.value.errors)
    else:
        assert "文件无法读取" in str(info.value)
    assert not DataValue.objects.exists()


def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.mark.parametrize("raw", NUMBER_ATTACKS)
def test_numbers_sent_to_the_api_are_refused_with_the_field(world, raw):
    url = f"/api/submissions/{world.sub_a.pk}/values/"
    response = api(world.users["collector"]).patch(url, {"values": {"students_total": raw}}, format="json")
    assert response.status_code == 400 and set(response.json()["errors"]) == {"students_total"}
    assert not DataValue.objects.exists()


@pytest.mark.parametrize("body", ['{"students_total": 1e400}', f'{{"students_total": {2**53 + 1}}}'])
def test_json_numbers_beyond_float_or_2_53_are_refused_by_the_api(world, body):
    url = f"/api/submissions/{world.sub_a.pk}/values/"
    client = api(world.users["collector"])
    response = client.generic("PATCH", url, f'{{"values": {body}}}', content_type="application/json")
    assert response.status_code == 400 and set(response.json()["errors"]) == {"students_total"}
    assert not DataValue.objects.exists()


def test_json_nan_literal_is_refused_by_the_api(world):
    url = f"/api/submissions/{world.sub_a.pk}/values/"
    client = api(world.users["collector"])
    response = client.generic("PATCH", url, '{"values": {"students_total": NaN}}', content_type="application/json")
    assert response.status_code == 400
    assert not DataValue.objects.exists()


@pytest.mark.parametrize("raw", ["NaN", "inf", "1e400", str(2**53 + 1)])
def test_numbers_in_a_statistics_import_are_refused_with_the_line(world, raw):
    table = f"单位代码,指标代码,数值\n310000,stat_voc_schools,{raw}\n"
    source = {"name": "统计", "publisher": "市教委", "published_on": "2021-03-31", "link": "https://edu.sh.gov.cn/"}
    with pytest.raises(DudaoError) as info:
        import_table(
            SimpleUploadedFile("t.csv", table.encode()),
            source=source,
            period_code="2020",
            user=world.users["city_admin"],
        )
    assert any("第2行 C列" in e for e in info.value.errors)
    assert not ImportedValue.objects.exists()


@pytest.mark.parametrize("raw", ["NaN", "inf", "1e400", str(2**53 + 1)])
def test_numbers_in_evaluation_forms_are_refused(raw):
    spec = registry.get("thematic").spec
    ok = {"weekly_lessons": 3, "not_crowded_out": True, "specialist_teachers": True, "timetable_public": True}
    with pytest.raises(DudaoError, match="每周体育与健康课时数"):
        thematic.clean_answers(spec, "pe_hours", {**ok, "weekly_lessons": raw})


@pytest.mark.parametrize("raw", ["NaN", "inf", "1e400", str(2**53 + 1)])
def test_district_duty_scores_refuse_non_finite_and_huge_numbers(raw):
    from dudao.evaluation.schemes import district_duty as duty

    spec = registry.get("district_duty").spec
    source = next(iter(spec["sources"]))
    code = spec["items"][0]["code"]
    with pytest.raises(DudaoError, match=code):
        duty._checked(spec, source, {code: raw})


# ----------------------------------------------------------------------------- text: the attacks


@pytest.mark.parametrize("text", CONTROL_ATTACKS[:2])
def test_control_characters_in_the_form_autosave_are_refused_at_the_field(world, client, text):
    client.force_login(world.users["collector"])
    url = reverse("collection:save_value", args=[world.sub_a.pk, "text_overview"])
    response = client.post(url, {"value": text}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422 and "控制字符" in response.content.decode()
    assert not DataValue.objects.exists()


@pytest.mark.parametrize("text", CONTROL_ATTACKS[:2])
def test_control_characters_sent_to_the_api_are_refused_with_the_field(world, text):
    url = f"/api/submissions/{world.sub_a.pk}/values/"
    response = api(world.users["collector"]).patch(url, {"values": {"text_overview": text}}, format="json")
    assert response.status_code == 400 and "values.text_overview" in response.json()["errors"]
    assert "控制字符" in response.json()["detail"]
    assert not DataValue.objects.exists()


@pytest.mark.parametrize("text", CONTROL_ATTACKS[:2])
def test_control_characters_in_an_excel_text_cell_are_refused(world, text):
    """An .xlsx cannot even carry them (XML 1.0 forbids them, openpyxl refuses to write them); the importer's
    per-cell check — :func:`collection.services.parse_value`, what every cell goes through — refuses them too."""
    with pytest.raises(DudaoError, match="控制字符"):
        services.parse_value(element("text_overview"), text)


def test_control_characters_in_a_page_form_are_refused_before_the_view(world, client):
    client.force_login(world.users["collector"])
    url = reverse("collection:explain", args=[world.sub_a.pk])
    response = client.post(url, {"key": "x", "text": "说明\x0b"})
    assert response.status_code == 400 and "text" in response.content.decode()
    response = client.post(url, {"key": "x", "text": "说明\x0b"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400 and "控制字符" in response.content.decode()
    assert not Explanation.objects.exists()


def test_a_megabyte_in_a_collection_text_field_is_refused_at_the_field(world, client):
    client.force_login(world.users["collector"])
    url = reverse("collection:save_value", args=[world.sub_a.pk, "text_overview"])
    response = client.post(url, {"value": MEGABYTE}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422 and "文字过长" in response.content.decode()
    assert not DataValue.objects.exists()


def _route_paths(patterns, prefix=""):
    """Every route of the URLconf as a concrete path (converters filled with "1"), with its view."""
    for entry in patterns:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _route_paths(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern) and not route.startswith("^"):
            yield re.sub(r"<(?:\w+:)?\w+>", "1", prefix + route), entry.callback


def test_a_megabyte_posted_to_every_page_form_is_refused_with_the_field(world, client):
    """Every route, whatever it does with a post: the 1 MB field is refused, named, before any view reads it."""
    client.force_login(world.users["city_admin"])
    checked = 0
    for path, view in _route_paths(get_resolver().url_patterns):
        if getattr(view, "checks_its_own_text", False):
            continue  # the autosave: refused at its field (test above)
        response = client.post("/" + path, {"narrative": MEGABYTE})
        assert response.status_code == 400, path
        assert "narrative" in response.content.decode() and "文字过长" in response.content.decode(), path
        checked += 1
    assert checked > 50


def test_a_megabyte_sent_to_the_api_is_refused_with_the_field(world):
    url = f"/api/submissions/{world.sub_a.pk}/values/"
    response = api(world.users["collector"]).patch(url, {"values": {"text_overview": MEGABYTE}}, format="json")
    assert response.status_code == 400 and "values.text_overview" in response.json()["errors"]
    assert not DataValue.objects.exists()


def test_a_model_refuses_overlong_text_and_control_characters_on_save(world):
    """The last line: a path that forgot to check its input still cannot store either."""
    with pytest.raises(DudaoError, match="文字过长") as info:
        Explanation(submission=world.sub_a, key="k", text="长" * 20001).save()
    assert set(info.value.errors) == {"text"}
    with pytest.raises(DudaoError, match="控制字符"):
        Explanation(submission=world.sub_a, key="k\x01", text="好").save()
    assert not Explanation.objects.exists()


# ----------------------------------------------------------------------------- every field has a limit


def test_every_text_field_of_every_model_has_a_max_length():
    unbounded = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        if model.__module__.startswith("dudao.")
        for field in model._meta.concrete_fields
        if isinstance(field, (models.CharField, models.TextField)) and not field.max_length
    ]
    assert unbounded == []


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_form_and_write_serializer_bounds_its_text_fields():
    """Django forms (none today: pages read request.POST behind the guard) and the API's write serializers."""
    from django import forms

    unbounded = []
    for form in _subclasses(forms.BaseForm):
        if form.__module__.startswith("dudao."):
            for name, field in form().fields.items():  # as built: AuthenticationForm sets username's in __init__
                if isinstance(field, forms.CharField) and not field.max_length:
                    unbounded.append(f"{form.__name__}.{name}")
    from dudao.api import serializers as api_serializers

    writers = [s for name, s in vars(api_serializers).items() if name.endswith("WriteSerializer")]
    assert writers
    for writer in writers:
        for name, field in writer().fields.items():
            field = getattr(field, "child", field)
            if isinstance(field, serializers.CharField) and not field.max_length:
                unbounded.append(f"{writer.__name__}.{name}")
    assert unbounded == []


def test_the_guard_finds_strings_anywhere_in_a_json_body():
    body = json.loads('{"values": {"a": "x", "b": ["y", {"c": "z"}]}, "reason": "r"}')
    assert inputs.json_strings(body) == {
        "values": ["values"],
        "values.a": ["a", "x"],
        "values.b": ["b"],
        "values.b[0]": ["y"],
        "values.b[1].c": ["c", "z"],
        "reason": ["reason", "r"],
    }


@pytest.mark.parametrize("raw", ["NaN", "inf", "1e400", str(2**53 + 1)])
def test_numbers_in_plan_progress_actuals_are_refused_with_the_field(world, raw):
    from datetime import date

    from django.core.management import call_command

    from dudao.plans import services as plans
    from dudao.plans.models import Plan, ProgressReport

    from .test_plans import PLAN_2024

    call_command("plans", "import", str(PLAN_2024), "--year", "2024")
    task = Plan.objects.get(year=2024).tasks.get(no=1)
    target = task.targets.first()
    co = plans.assign(task, world.huangpu, "co", date(2024, 12, 31), world.users["city_admin"])
    with pytest.raises(DudaoError) as info:
        plans.report_progress(co, "2024Q1", "in_progress", "推进中", world.users["district_reviewer"], {target.pk: raw})
    assert set(info.value.errors) == {f"actual_{target.pk}"}
    assert not ProgressReport.objects.exists()


@pytest.mark.parametrize("raw", ["NaN", "1e400", "abc", str(2**70), "-1"])
def test_ids_and_years_posted_as_numbers_are_answered_not_crashed(world, client, raw):
    from dudao.plans.models import Plan

    from .test_plans import PLAN_2024

    client.force_login(world.users["city_admin"])
    assert client.get(reverse("plans:compare"), {"a": raw, "b": raw}).status_code == 200
    with open(PLAN_2024, "rb") as fh:
        response = client.post(reverse("plans:import"), {"year": raw, "file": fh})
    assert response.status_code == 302 and not Plan.objects.exists()
