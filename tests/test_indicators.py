"""Indicators: the published 2020 figures from the demo, engine = reference semantics, the CLI contract."""

import json

import duckdb
import pytest
from django.core.management import call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from dudao.collection.expressions import parse
from dudao.collection.models import Period, Submission
from dudao.errors import DudaoError
from dudao.indicators import engine
from dudao.indicators.definitions import catalog, parse_definitions
from dudao.indicators.models import IndicatorValue
from dudao.indicators.query import readings, rounded
from dudao.indicators.reference import orm_compute
from dudao.indicators.sql import to_sql
from dudao.orgs.models import OrgUnit

pytestmark = pytest.mark.django_db


def city_2020():
    return readings(OrgUnit.objects.get(code="310000"), Period.objects.get(code="2020"))


# (indicator, published value, published change or None) — seed report §1.2–§2.4
PUBLISHED = [
    ("student_teacher_ratio", 12.3, None),
    ("dual_teacher_share", 59.7, 1.6),  # 校均, 提高 1.6 个百分点
    ("employment_rate", 98.5, None),
    ("fixed_assets_total", 148.05, 5.73),  # 亿元, 比 2019 年增长 5.73%
    ("fixed_assets_per_student", 15.27, 4.90),  # 万元
    ("equipment_total", 53.71, 4.22),  # 亿元
    ("equipment_per_student", 5.54, 3.39),
    ("books_per_student", 57.47, None),
    ("dual_cert_rate", 76.8, None),
    ("employer_satisfaction", 96.6, None),
    ("further_study", 21007, None),
    ("further_study_share", 76, 4),  # 占比 76%，上升 4 个百分点
    ("starting_salary", 3844.8, 16.4),  # 元，增加 16.4%
    ("master_share", 24, 2),
    ("bachelor_plus_share", 98, None),
    ("intermediate_plus_share", 72, None),
    ("pass_rate_culture", 92.04, None),
    ("pass_rate_skill", 92.89, None),
    ("pass_rate_fitness", 86.47, None),
    ("industry_secondary_share", 44.2, 14.7),
    ("industry_tertiary_share", 54.9, -15.3),
    ("local_share", 79.4, None),
    ("further_college_share", 89.3, None),
    ("further_bachelor_share", 8.6, None),
    ("teachers", 7901, None),
    ("staff", 11057, None),
    ("graduates", 28052, None),
    ("employed", 27632, None),
    # issue #13: the figures the city report aggregates from the schools' new inputs
    ("majors", 820, None),
    ("majors_opened", 30, None),
    ("majors_closed", 104, None),  # 100余个
    ("stations_total_wan", 8.3, None),  # 超过8.3万个
    ("stations_per_student", 0.86, None),
    ("books_total_wan", 557.10, None),
    ("staff_established", 10643, None),
    ("teachers_professional", 4256, None),
    ("bachelor_plus_teachers", 7746, None),
    ("bachelor_teachers", 5850, None),
    ("bachelor_share", 74, None),
    ("master_teachers", 1896, None),
    ("intermediate_plus_teachers", 5709, None),
    ("intermediate_teachers", 3893, None),
    ("intermediate_share", 49, None),
    ("senior_teachers", 1816, None),
    ("senior_share", 23, None),
    ("parttime_teachers", 1907, None),
    ("parttime_technician", 391, None),  # 近400人
    ("parttime_technician_share", 20.5, None),  # 20%以上
    ("parttime_senior_industry", 97, None),  # 近100人
    ("worldskills_bases", 20, None),
    ("contest_ws_gold", 2, None),
    ("contest_ws_silver", 2, None),
    ("contest_ws_bronze", 3, None),
    ("contest_ws_merit", 17, None),
    ("contest_ws_integrated_gold", 2, None),
    ("contest_ws_integrated_silver", 1, None),
    ("contest_ws_integrated_bronze", 1, None),
    ("contest_ws_integrated_merit", 10, None),
    ("contest_nvsc_entrants", 40, None),
    ("contest_nvsc_second", 5, None),
    ("contest_nvsc_third", 9, None),
    ("employed_direct", 6625, None),
    ("direct_share", 24, None),
    ("industry_primary_share", 0.8, None),
    ("entrepreneurs", 29, None),
    ("entrepreneur_rate", 0.1, None),
    ("salary_3001_4000_share", 44.7, None),
    ("salary_4001_5000_share", 23.0, None),
    ("employed_local", 5263, None),
    ("employed_other_province", 1228, None),
    ("other_province_share", 18.5, None),
    ("employed_abroad", 134, None),
    ("abroad_share", 2.0, None),
    ("teacher_enterprise_practice", 1236, None),  # 超过1200人
    ("teacher_enterprise_days_wan", 5.2, None),  # 5万人日
    ("teacher_training_national", 536, None),  # 500人次以上
    ("teacher_training_municipal", 6972, None),  # 近7000人次
    ("teacher_training_abroad", 163, None),  # 160余人次
    ("coop_per_school", 37, None),
    ("fortune500_per_school", 3, None),
    ("apprenticeship_majors", 38, None),
    ("volunteer_times", 51377, None),
    ("volunteer_hours", 319713.63, None),
    ("skill_test_stations", 74, None),  # 70余个
    ("skill_tests_wan", 10.4, None),  # 超过10万人次
    ("training_centers_national", 19, None),
    ("training_centers_city", 71, None),
    ("training_sessions_wan", 14.2, None),  # 超过14万人次
    ("training_income", 4063, None),  # 超过4000万元
    ("national_scholarship", 127, None),
]


@pytest.mark.parametrize("code, value, change", PUBLISHED)
def test_published_city_figures(demo, code, value, change):
    reading = city_2020()[code]
    assert reading.value == value
    if change is not None:
        assert reading.change == change


def test_change_units(demo):
    r = city_2020()
    assert r["dual_teacher_share"].change_unit == "pp" and r["fixed_assets_total"].change_unit == "%"


def test_every_org_unit_and_period_is_computed(demo):
    # every unit the vocational data reaches: the city, its districts and the 71 schools that report it (the demo's
    # kindergartens, compulsory schools and universities report other data sets and get no vocational indicators)
    schools = Submission.objects.filter(campaign__dataset__code="vocational_quality", campaign__period__code="2020")
    units = OrgUnit.objects.filter(level__in=["city", "district"]).count() + schools.count()
    assert IndicatorValue.objects.filter(indicator="students", period__code="2020").count() == units == 1 + 16 + 71
    assert set(IndicatorValue.objects.values_list("period__code", flat=True).distinct()) == {"2018", "2019", "2020"}


def test_district_is_ratio_of_sums_of_its_schools(demo):
    district = OrgUnit.objects.get(code="310115")
    period = Period.objects.get(code="2020")
    rows = IndicatorValue.objects.filter(indicator="student_teacher_ratio", period=period)
    schools = [r for r in rows if r.org.parent_id == district.id]
    expected = sum(r.numerator for r in schools) / sum(r.denominator for r in schools)
    assert rows.get(org=district).value == pytest.approx(expected)
    naive_mean = sum(r.value for r in schools) / len(schools)
    assert rows.get(org=district).value != pytest.approx(naive_mean)


def test_engine_matches_reference_everywhere(demo):
    reference = orm_compute(catalog())
    stored = {(v.org_id, v.period_id, v.indicator): v.value for v in IndicatorValue.objects.all()}
    assert set(reference) == set(stored)
    for key, value in reference.items():
        if value is None:  # an indicator the unit's data cannot give (a school has no district funding)
            assert stored[key] is None, key
        else:
            assert stored[key] == pytest.approx(value, rel=1e-9, abs=1e-9), key


def test_drafts_do_not_count(demo, world_free_school_draft):
    engine.rebuild()
    assert not IndicatorValue.objects.filter(period__code="2021").exists()


@pytest.fixture
def world_free_school_draft(demo):
    """The demo's open 2021 round has drafts only; give one a value."""
    from dudao.collection.models import DataElement, DataValue, Submission

    sub = Submission.objects.filter(campaign__period__code="2021").first()
    value = DataValue.objects.create(
        element=DataElement.objects.get(code="students_total"),
        period=sub.campaign.period,
        org=sub.org,
        value="10",
        number=10,
    )
    yield
    value.delete()


def test_analytics_cli_json(demo, capsys):
    call_command("analytics", "show", "--org", "310000", "--period", "2020", "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["org"] == "310000" and data["period"] == "2020"
    assert data["indicators"]["student_teacher_ratio"]["value"] == 12.3
    assert data["indicators"]["fixed_assets_total"]["change"] == 5.73


def test_analytics_cli_rebuild(demo, capsys):
    call_command("analytics", "rebuild")
    assert "已重建指标" in capsys.readouterr().out


def test_rounding_is_half_up_and_never_negative_zero():
    assert rounded(2.085, 2) == 2.09 and rounded(0.125, 2) == 0.13
    assert rounded(-0.004, 2) == 0.0 and str(rounded(-0.004, 2)) == "0.0"


def test_definitions_are_validated():
    with pytest.raises(DudaoError, match="unknown elements"):
        parse_definitions([{"code": "x", "name": "x", "numerator": "nope"}], known={"a"})
    with pytest.raises(DudaoError, match="needs a denominator"):
        parse_definitions([{"code": "x", "name": "x", "numerator": "a", "aggregation": "ratio"}])
    with pytest.raises(DudaoError):
        parse_definitions([{"code": "x", "name": "x", "numerator": "__import__('os')"}])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50), st.integers(0, 50)), min_size=1, max_size=6),
    st.sampled_from(["a / b", "(a + b) * c", "a - b / c", "max(a, b) / (c + 1)", "abs(a - c) * 2", "-a + 3"]),
)
def test_sql_translation_agrees_with_interpreter(rows, formula):
    expression = parse(formula)
    con = duckdb.connect()
    con.execute("CREATE TABLE t (a DOUBLE, b DOUBLE, c DOUBLE)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
    got = [r[0] for r in con.execute(f"SELECT {to_sql(expression)} FROM t").fetchall()]
    for (a, b, c), value in zip(rows, got):
        expected = expression.evaluate({"a": a, "b": b, "c": c})
        if expected is None:
            assert value is None
        else:
            assert value == pytest.approx(float(expected))


def test_compute_rolls_up_uneven_trees_exactly():
    """A school directly under the city and others via a district: every unit gets each school exactly once."""
    from dudao.indicators.compute import compute

    indicators = parse_definitions(
        [
            {"code": "ratio", "name": "r", "numerator": "a", "denominator": "b"},
            {"code": "total", "name": "t", "numerator": "a", "aggregation": "sum"},
            {"code": "mean", "name": "m", "numerator": "a", "denominator": "b", "aggregation": "school_mean"},
        ]
    )
    con = duckdb.connect()
    # schools 1, 2 in district 10; school 3 directly under city 100; school 4 reports no b
    con.execute(
        "CREATE TABLE facts AS SELECT * FROM (VALUES (1, 0, 10.0, 5.0), (2, 0, 30.0, 5.0), "
        "(3, 0, 20.0, 10.0), (4, 0, 7.0, NULL)) t(school, period, a, b)"
    )
    con.execute(
        "CREATE TABLE edges AS SELECT * FROM (VALUES (1, 10), (2, 10), (3, 100), (4, 10), (10, 100), "
        "(100, NULL)) t(org, parent)"
    )
    compute(con, indicators)
    rows = {r[0]: r for r in con.execute("SELECT org, schools, v0, v1, v2 FROM results").fetchall()}
    assert rows[10][1:] == (3, pytest.approx(47 / 10), 47.0, pytest.approx((2 + 6) / 2))
    assert rows[100][1:] == (4, pytest.approx(67 / 20), 67.0, pytest.approx((2 + 6 + 2) / 3))
    assert rows[4][2] is None and rows[4][3] == 7.0  # a school without b: no ratio, still in the sum


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 3000), st.integers(1, 12)), max_size=300),
    st.booleans(),
)
def test_pivot_rows_match_a_sorted_unique(pairs, sparse):
    """engine._rows numbers (school, period) pairs in linear time; it must agree with np.unique exactly."""
    import numpy as np

    org = np.array([o * (10**7 if sparse else 1) for o, _ in pairs], dtype=np.int64)
    period = np.array([p for _, p in pairs], dtype=np.int64)
    schools, periods, inverse = engine._rows(org, period)
    if not pairs:
        assert len(schools) == len(periods) == len(inverse) == 0
        return
    keys, expected = np.unique(org * engine.PERIOD_SPAN + period, return_inverse=True)
    assert np.array_equal(schools, keys // engine.PERIOD_SPAN) and np.array_equal(periods, keys % engine.PERIOD_SPAN)
    assert np.array_equal(inverse, expected)


def test_compute_reads_own_indicators_from_the_units_own_row():
    """A city's own published figure: ``own`` indicators read it at the city only; roll-ups count the unit's own row
    once, as a leaf of its own total — never as a school (学校数 and 校均 ignore it)."""
    from dudao.indicators.compute import compute

    indicators = parse_definitions(
        [
            {"code": "total", "name": "t", "numerator": "a", "aggregation": "sum"},
            {"code": "count", "name": "c", "numerator": "1", "aggregation": "sum"},
            {"code": "own_a", "name": "o", "numerator": "a", "aggregation": "own", "factor": 0.5},
            {"code": "own_share", "name": "s", "numerator": "a", "denominator": "a + b", "aggregation": "own"},
        ]
    )
    con = duckdb.connect()
    # schools 1 and 2; the city (100) publishes its own a and b for period 0 and, with no school data, for period 1
    con.execute(
        "CREATE TABLE facts AS SELECT * FROM (VALUES (1, 0, 10.0, 5.0, false), (2, 0, 30.0, NULL, false), "
        "(100, 0, 90.0, 10.0, true), (100, 1, 80.0, NULL, true)) t(school, period, a, b, own)"
    )
    con.execute("CREATE TABLE edges AS SELECT * FROM (VALUES (1, 10), (2, 10), (10, 100), (100, NULL)) t(org, parent)")
    compute(con, indicators)
    rows = {
        (r[0], r[1]): r[2:] for r in con.execute("SELECT org, period, schools, v0, v1, v2, v3 FROM results").fetchall()
    }
    assert len(rows) == 5  # schools 1, 2, district 10, city 100 in period 0; the city alone in period 1
    assert rows[(100, 0)] == (2, 130.0, 2.0, 45.0, pytest.approx(0.9))
    assert rows[(10, 0)] == (2, 40.0, 2.0, None, None)  # no figure of its own, nothing rolled up into one
    assert rows[(1, 0)] == (1, 10.0, 1.0, 5.0, pytest.approx(10 / 15))  # a school's own value is its own facts
    assert rows[(100, 1)] == (0, 80.0, None, 40.0, None)


def test_demo_statistics_reach_the_city_report_figures(demo):
    """The demo's statistics tables, imported through the statistics app: the city's own figures, their change on
    the previous year, the roll-ups untouched, and the engine still equal to the reference everywhere."""
    from dudao.demo import statistics as demo_statistics
    from dudao.statistics.selectors import sources_for

    before = city_2020()
    # 11 rows a year for the quality report, 70 a year for the work report's 基本情况 (statistics_overview_*.csv)
    assert demo_statistics.load(["2019", "2020"]) == 22 + 140
    engine.rebuild()
    city = city_2020()
    assert city["stat_schools"].value == 90
    expected = {
        "stat_schools_vocational_high": 23,
        "stat_schools_specialized": 50,
        "stat_schools_technical": 7,
        "stat_schools_adult": 10,
        "stat_students_wan": 9.6,
        "stat_enrollment_wan": 3.4,
        "stat_general_enrollment_wan": 5.4,
        "budget_per_student": 60507.94,
        "budget_operating_per_student": 34682.39,
        "budget_public_per_student": 10489.13,
    }
    assert {code: city[code].value for code in expected} == expected
    assert city["budget_per_student"].previous == 56146.03 and city["budget_per_student"].change == 7.77
    assert city["budget_operating_per_student"].change == 15.47
    assert city["budget_public_per_student"].change == -6.77
    assert 35 < city["stat_voc_enrollment_share"].value < 45  # 职普比 4:6
    for code in ("schools", "students", "student_teacher_ratio", "fixed_assets_total"):
        assert city[code].value == before[code].value and city[code].schools == before[code].schools
    period = Period.objects.get(code="2020")
    names = [s.name for s in sources_for({"budget_per_student_total"}, OrgUnit.objects.get(code="310000"), period)]
    assert names == ["《2020年上海市教育经费执行情况统计公告》"]
    test_engine_matches_reference_everywhere(demo)
