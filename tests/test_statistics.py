"""Public statistics imports: atomic tables with cell-level errors, sources kept, own values in the indicator engine."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from dudao.collection import selectors as collection
from dudao.collection.campaigns import yearly_period
from dudao.collection.models import DataValue
from dudao.errors import DudaoError
from dudao.indicators import engine
from dudao.indicators.definitions import by_code, catalog, parse_definitions
from dudao.indicators.models import IndicatorValue
from dudao.indicators.query import rollup
from dudao.indicators.reference import orm_compute
from dudao.orgs.models import Role
from dudao.statistics.models import Import, ImportedValue, Source
from dudao.statistics.selectors import imports, sources_for
from dudao.statistics.services import import_table

from .conftest import approve_to, make_user

pytestmark = pytest.mark.django_db

SOURCE = {
    "name": "《2020年上海市教育事业统计》",
    "publisher": "上海市教育委员会",
    "published_on": "2021-03-31",
    "link": "https://edu.sh.gov.cn/",
}


def csv_file(text: str, bom: bool = False, name: str = "table.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))


def xlsx_file(rows, name: str = "table.xlsx") -> SimpleUploadedFile:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


GOOD = "单位代码,指标代码,数值\n310000,stat_voc_schools,90\n310000,stat_voc_students,96137\n310101,stat_voc_schools,4\n"


def stored(org, period_code="2020"):
    period = collection.period(period_code)
    return collection.approved_numbers("public_statistics", period, [org]).get(org.id, {}) if period else {}


def test_csv_import_records_values_as_approved_data_with_their_source(world):
    batch = import_table(csv_file(GOOD, bom=True), source=SOURCE, period_code="2020", user=world.users["city_admin"])
    assert batch.rows == 3 and batch.period.code == "2020" and batch.file_name == "table.csv"
    assert batch.source.publisher == "上海市教育委员会" and str(batch.source.published_on) == "2021-03-31"
    assert stored(world.city) == {"stat_voc_schools": Decimal(90), "stat_voc_students": Decimal(96137)}
    assert stored(world.huangpu) == {"stat_voc_schools": Decimal(4)}
    assert batch.source.citation == "《2020年上海市教育事业统计》（上海市教育委员会，2021年3月31日）"
    assert list(imports()) == [batch] and imports()[0].units == 2
    # the audit trail says who brought the figure in and from where
    value = DataValue.objects.get(org=world.city, element__code="stat_voc_schools")
    assert value.history.first().history_user == world.users["city_admin"]
    assert "教育事业统计" in value.history.first().history_change_reason


def test_xlsx_with_english_headers_and_a_compiler(world):
    compiler = world.users["compiler"]
    rows = [
        ("org", "element", "value"),
        ("310000", "budget_per_student_total", 60507.94),
        (310104, "stat_voc_schools", 3),
    ]
    batch = import_table(xlsx_file(rows), source=SOURCE, period_code="2020", user=compiler)
    assert batch.rows == 2
    assert stored(world.city) == {"budget_per_student_total": Decimal("60507.94")}
    assert stored(world.xuhui) == {"stat_voc_schools": Decimal(3)}


def test_every_bad_cell_is_reported_and_nothing_is_saved(world):
    table = (
        "单位代码,指标代码,数值\n"
        "310000,stat_voc_schools,90\n"
        "310000,stat_voc_students,abc\n"
        "399999,stat_voc_schools,1\n"
        "310000,xyz,5\n"
        "310000,stat_voc_schools,91\n"
    )
    source = dict(SOURCE, publisher="", link="ftp://example.com")
    with pytest.raises(DudaoError) as caught:
        import_table(csv_file(table), source=source, period_code="2020", user=world.users["city_admin"])
    errors = list(caught.value.errors)
    assert "第3行 C列：'abc' 不是数字" in errors
    assert "第4行 A列：未知的单位代码 399999" in errors
    assert "第5行 B列：未知的指标代码 xyz" in errors
    assert "第6行：单位 310000 的指标 stat_voc_schools 重复（已在第2行）" in errors
    assert "数据来源：请填写发布单位" in errors and "数据来源：链接须以 http:// 或 https:// 开头" in errors
    assert caught.value.status == 422
    assert not Import.objects.exists() and not Source.objects.exists() and not ImportedValue.objects.exists()
    assert not DataValue.objects.filter(element__code__startswith="stat_").exists()


def test_a_missing_source_field_alone_refuses_the_table(world):
    for field in ("name", "publisher", "published_on"):
        with pytest.raises(DudaoError) as caught:
            import_table(
                csv_file(GOOD), source=dict(SOURCE, **{field: ""}), period_code="2020", user=world.users["city_admin"]
            )
        assert len(caught.value.errors) == 1 and caught.value.errors[0].startswith("数据来源：")
    assert not DataValue.objects.filter(element__code__startswith="stat_").exists()
    assert not Import.objects.exists()


def test_header_numbers_and_rules_of_elements(world):
    admin = world.users["city_admin"]
    with pytest.raises(DudaoError, match="缺少表头"):
        import_table(csv_file("a,b,c\n310000,stat_voc_schools,1\n"), source=SOURCE, period_code="2020", user=admin)
    with pytest.raises(DudaoError) as caught:  # an integer element refuses a fraction, any element a negative number
        import_table(
            csv_file("单位代码,指标代码,数值\n310000,stat_voc_schools,1.5\n310000,stat_voc_students,-3\n"),
            source=SOURCE,
            period_code="2020",
            user=admin,
        )
    assert caught.value.errors == ["第2行 C列：'1.5' 应为整数", "第3行 C列：'-3' 不能小于 0"]
    with pytest.raises(DudaoError, match="四位年份"):
        import_table(csv_file(GOOD), source=SOURCE, period_code="20x0", user=admin)
    with pytest.raises(DudaoError, match="UTF-8"):
        import_table(SimpleUploadedFile("t.csv", GOOD.encode("gbk")), source=SOURCE, period_code="2020", user=admin)
    with pytest.raises(DudaoError, match=r"\.xlsx 或 \.csv"):
        import_table(SimpleUploadedFile("t.txt", b"x"), source=SOURCE, period_code="2020", user=admin)
    assert not Import.objects.exists()


@pytest.mark.parametrize("role", ["collector", "principal", "district_reviewer", "analyst", "inspector"])
def test_only_city_admins_and_compilers_may_import(world, role):
    with pytest.raises(DudaoError) as caught:
        import_table(csv_file(GOOD), source=SOURCE, period_code="2020", user=world.users[role])
    assert caught.value.status == 403
    assert not Import.objects.exists()


def test_reimport_replaces_the_value_and_the_source(world):
    admin = world.users["city_admin"]
    first = import_table(csv_file(GOOD), source=SOURCE, period_code="2020", user=admin)
    revised = dict(SOURCE, name="《2020年上海市教育事业统计（修订）》", published_on="2021-06-30")
    second = import_table(
        csv_file("单位代码,指标代码,数值\n310000,stat_voc_schools,91\n"), source=revised, period_code="2020", user=admin
    )
    assert stored(world.city)["stat_voc_schools"] == Decimal(91)
    assert stored(world.city)["stat_voc_students"] == Decimal(96137)  # not in the new table: kept
    period = collection.period("2020")
    assert sources_for({"stat_voc_schools"}, world.city, period) == [second.source, first.source]  # 310101 still first
    assert sources_for({"stat_voc_schools"}, world.huangpu, period) == [first.source]
    city_only = ImportedValue.objects.filter(org=world.city, element_code="stat_voc_schools")
    assert [(v.batch_id, v.current) for v in city_only.order_by("id")] == [(first.pk, False), (second.pk, True)]
    # the same source imported again is one source, not two
    import_table(csv_file(GOOD), source=SOURCE, period_code="2020", user=admin)
    assert Source.objects.count() == 2
    assert sources_for({"stat_voc_schools"}, world.city, period) == [first.source]


def test_sources_for_follows_elements_units_and_periods(world):
    admin = world.users["city_admin"]
    education = import_table(csv_file(GOOD), source=SOURCE, period_code="2020", user=admin)
    funding_source = dict(SOURCE, name="《2020年上海市教育经费执行情况统计公告》", published_on="2021-11-30")
    funding = import_table(
        csv_file("org,element,value\n310000,budget_per_student_total,60507.94\n"),
        source=funding_source,
        period_code="2020",
        user=admin,
    )
    p2020 = collection.period("2020")
    assert sources_for({"budget_per_student_total"}, world.city, p2020) == [funding.source]
    assert sources_for({"stat_voc_students", "budget_per_student_total"}, world.city, p2020) == [
        funding.source,
        education.source,
    ]
    assert sources_for({"stat_voc_students"}, world.huangpu, p2020) == []  # a city figure is not the district's
    assert sources_for({"students_total"}, world.city, p2020) == []
    assert sources_for(set(), world.city, p2020) == []
    assert sources_for({"stat_voc_schools"}, world.city, yearly_period(2019)) == []


def test_web_import_flow(world, client):
    client.force_login(world.users["city_admin"])
    page = client.get(reverse("statistics:list"))
    assert page.status_code == 200 and "尚未导入" in page.content.decode()
    assert reverse("statistics:list") in client.get(reverse("home")).content.decode()  # the nav links the page
    form = dict(SOURCE, period="2020")
    bad = client.post(
        reverse("statistics:import"), dict(form, file=csv_file("单位代码,指标代码,数值\n310000,stat_voc_schools,x\n"))
    )
    assert bad.status_code == 422
    text = bad.content.decode()
    assert "第2行 C列：&#x27;x&#x27; 不是数字" in text and "未保存任何数据" in text
    assert "《2020年上海市教育事业统计》" in text  # the form keeps what was typed
    good = client.post(reverse("statistics:import"), dict(form, file=csv_file(GOOD)), follow=True)
    assert good.status_code == 200
    text = good.content.decode()
    assert "已导入 3 个数值（2 个单位）" in text and "stat_voc_students" in text and "96137" in text
    listing = client.get(reverse("statistics:list")).content.decode()
    assert "table.csv" in listing and "上海市教育委员会" in listing
    assert client.post(reverse("statistics:import"), form).status_code == 422  # no file


def test_web_pages_refuse_schools_and_districts(world, client):
    for role in ("collector", "district_reviewer"):
        client.force_login(world.users[role])
        assert client.get(reverse("statistics:list")).status_code == 403
        assert client.get(reverse("statistics:import")).status_code == 403
        response = client.post(reverse("statistics:import"), dict(SOURCE, period="2020", file=csv_file(GOOD)))
        assert response.status_code == 403
        assert reverse("statistics:list") not in client.get(reverse("home")).content.decode()
    assert not Import.objects.exists()


# --------------------------------------------------------------------------- the engine's own values


def test_own_values_reach_indicators_without_counting_as_schools(world):
    """Two approved schools, a city and a district figure imported: the roll-ups still see two schools; own
    indicators read each unit's own figure; the engine agrees with the reference implementation everywhere."""
    approve_to(world.sub_a, world.users, "approved")
    users_b = {
        "collector": world.users["collector_b"],
        "checker": make_user("b-checker", world.school_b, Role.CHECKER),
        "principal": make_user("b-principal", world.school_b, Role.PRINCIPAL),
    }
    approve_to(world.sub_b, users_b, "approved")
    admin = world.users["city_admin"]
    table = (
        "单位代码,指标代码,数值\n310000,stat_voc_schools,90\n310000,stat_voc_students,96137\n"
        "310000,stat_voc_enrollment,34126\n310000,stat_general_enrollment,53871\n310101,stat_voc_schools,2\n"
        "310000,students_total,1\n"
    )
    with pytest.raises(DudaoError, match="未知的指标代码 students_total"):  # a school element is not a statistic
        import_table(csv_file(table), source=SOURCE, period_code="2021", user=admin)
    import_table(csv_file(table.rsplit("310000,students_total", 1)[0]), source=SOURCE, period_code="2021", user=admin)
    import_table(csv_file(GOOD), source=SOURCE, period_code="2019", user=admin)  # a year without school data
    engine.rebuild()

    def value(code, org, period="2021"):
        return IndicatorValue.objects.get(indicator=code, org=org, period__code=period)

    assert value("schools", world.city).value == 2 and value("schools", world.city).schools == 2
    assert value("students", world.city).value == 2400  # VALID's 1200 per school, nothing from the city
    assert value("stat_schools", world.city).value == 90
    assert value("stat_students_wan", world.city).value == pytest.approx(9.6137)
    assert value("stat_voc_enrollment_share", world.city).value == pytest.approx(34126 / (34126 + 53871) * 100)
    assert value("stat_schools", world.huangpu).value == 2 and value("schools", world.huangpu).value == 2
    assert value("stat_schools", world.school_a).value is None  # a school's own value: it published none
    assert not IndicatorValue.objects.filter(org=world.xuhui).exists()  # no figure of its own, no approved school
    # one row per unit and period; a unit with only statistics gets one too, with no schools behind it
    assert value("stat_schools", world.city, "2019").value == 90
    assert value("schools", world.city, "2019").value is None and value("schools", world.city, "2019").schools == 0
    rows = IndicatorValue.objects.filter(indicator="schools").values_list("org_id", "period_id")
    assert len(rows) == len(set(rows))
    reference = orm_compute(catalog())
    stored_values = {(v.org_id, v.period_id, v.indicator): v.value for v in IndicatorValue.objects.all()}
    assert set(reference) == set(stored_values)
    for key, expected in reference.items():
        if expected is None:
            assert stored_values[key] is None, key
        else:
            assert stored_values[key] == pytest.approx(expected, rel=1e-9, abs=1e-9), key
    # dashboards re-aggregate school rows: an own figure has no such roll-up
    assert rollup(by_code()["stat_schools"], list(IndicatorValue.objects.filter(indicator="stat_schools"))) is None


def test_own_aggregation_is_declared():
    (ind,) = parse_definitions([{"code": "x", "name": "x", "numerator": "a", "aggregation": "own"}])
    assert ind.aggregation == "own" and ind.denominator is None
    (ind,) = parse_definitions(
        [{"code": "y", "name": "y", "numerator": "a", "denominator": "a + b", "aggregation": "own"}]
    )
    assert ind.elements == {"a", "b"}
