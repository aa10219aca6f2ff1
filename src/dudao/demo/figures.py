"""City totals the demo must reproduce (市级汇总), by year.

2020 figures are the published ones in the seed report 《2020年度上海中等职业教育质量年度报告》 (§1.2 设施设备, §1.3 教师
队伍, §2.2–2.4); 2019 figures are derived from its year-on-year statements (e.g. 固定资产 +5.73%, 生均 +4.90%,
双师型 +1.6 个百分点, 起薪 +16.4%, 升学占比 +4 个百分点, 第二产业 +14.7 个百分点); 2018 continues the trend.
Unpublished items (合作企业数 …) are plausible round numbers.

``sums`` (counts) and ``money`` (amounts in 万元) are Σ over the 71 schools. ``means`` are fitted per school so that
the aggregation named in the tuple — ``("mean",)`` over schools (校均) or ``("weighted", element)`` — rounds to the
given value.
"""

from decimal import Decimal
from decimal import Decimal as D
from typing import TypedDict

STUDENT_SHARE_PUBLISHED = {
    # check figures, all derived from the sums below (asserted in tests)
    "生均固定资产(万元)": "15.27",
    "生均仪器设备(万元)": "5.54",
    "生均图书(册)": "57.47",
    "生师比": "12.3",
}


class YearFigures(TypedDict):
    sums: dict[str, int]
    money: dict[str, Decimal]
    means: dict[str, tuple[Decimal, tuple[str, ...]]]  # target, aggregation


YEARS: dict[int, YearFigures] = {
    2018: {
        "sums": {
            "students_total": 96820,
            "enrollment_new": 33400,
            "majors_count": 810,
            "books": 5420000,
            "practice_stations": 80900,
            "staff_total": 10900,
            "staff_established": 10500,
            "teachers_fulltime": 7810,
            "teachers_professional": 4190,
            "teachers_parttime": 1800,
            "edu_below_bachelor": 230,
            "edu_bachelor": 5980,
            "edu_master_plus": 1600,
            "title_junior_below": 2300,
            "title_intermediate": 3790,
            "title_senior": 1720,
            "graduates": 27800,
            "employed": 27370,
            "employed_direct": 8760,
            "further_study": 18610,
            "industry_primary": 30,
            "industry_secondary": 2700,
            "industry_tertiary": 6030,
            "employed_local": 7000,
            "employed_other_province": 1600,
            "employed_abroad": 160,
            "further_study_college": 16900,
            "further_study_bachelor": 1300,
            "graduates_dual_cert": 22018,
            "entrepreneurs": 22,
            "coop_enterprises": 3380,
            "order_classes": 230,
            "apprenticeship_students": 3500,
            "training_sessions": 280000,
        },
        "money": {
            "fixed_assets": D("1338000.00"),
            "equipment_value": D("498900.00"),
            "enterprise_equipment": D("16100.00"),
        },
        "means": {
            "teachers_dual_ratio": (D("56.9"), ("mean",)),
            "pass_rate_culture": (D("91.50"), ("weighted", "students_total")),
            "pass_rate_skill": (D("92.10"), ("weighted", "students_total")),
            "pass_rate_fitness": (D("85.90"), ("weighted", "students_total")),
            "starting_salary": (D("3150.0"), ("weighted", "employed_direct")),
            "employer_satisfaction": (D("96.2"), ("mean",)),
        },
    },
    2019: {
        "sums": {
            "students_total": 96175,
            "enrollment_new": 32100,
            "majors_count": 815,
            "books": 5490000,
            "practice_stations": 82100,
            "staff_total": 10980,
            "staff_established": 10570,
            "teachers_fulltime": 7850,
            "teachers_professional": 4220,
            "teachers_parttime": 1850,
            "edu_below_bachelor": 190,
            "edu_bachelor": 5933,
            "edu_master_plus": 1727,
            "title_junior_below": 2250,
            "title_intermediate": 3830,
            "title_senior": 1770,
            "graduates": 27500,
            "employed": 27090,
            "employed_direct": 7585,
            "further_study": 19505,
            "industry_primary": 22,
            "industry_secondary": 2238,
            "industry_tertiary": 5325,
            "employed_local": 6050,
            "employed_other_province": 1380,
            "employed_abroad": 155,
            "further_study_college": 17600,
            "further_study_bachelor": 1500,
            "graduates_dual_cert": 21588,
            "entrepreneurs": 25,
            "coop_enterprises": 3500,
            "order_classes": 245,
            "apprenticeship_students": 3900,
            "training_sessions": 290000,
        },
        "money": {
            "fixed_assets": D("1400265.00"),
            "equipment_value": D("515370.00"),
            "enterprise_equipment": D("17200.00"),
        },
        "means": {
            "teachers_dual_ratio": (D("58.1"), ("mean",)),
            "pass_rate_culture": (D("91.80"), ("weighted", "students_total")),
            "pass_rate_skill": (D("92.50"), ("weighted", "students_total")),
            "pass_rate_fitness": (D("86.10"), ("weighted", "students_total")),
            "starting_salary": (D("3303.1"), ("weighted", "employed_direct")),
            "employer_satisfaction": (D("96.4"), ("mean",)),
        },
    },
    2020: {
        "sums": {
            "students_total": 96940,
            "enrollment_new": 32800,
            "majors_count": 820,
            "books": 5571000,
            "practice_stations": 83400,
            "staff_total": 11057,
            "staff_established": 10643,
            "teachers_fulltime": 7901,
            "teachers_professional": 4256,
            "teachers_parttime": 1907,
            "edu_below_bachelor": 155,
            "edu_bachelor": 5850,
            "edu_master_plus": 1896,
            "title_junior_below": 2192,
            "title_intermediate": 3893,
            "title_senior": 1816,
            "graduates": 28052,
            "employed": 27632,
            "employed_direct": 6625,
            "further_study": 21007,
            "industry_primary": 55,
            "industry_secondary": 2931,
            "industry_tertiary": 3639,
            "employed_local": 5263,
            "employed_other_province": 1228,
            "employed_abroad": 134,
            "further_study_college": 18759,
            "further_study_bachelor": 1807,
            "graduates_dual_cert": 21544,
            "entrepreneurs": 29,
            "coop_enterprises": 3650,
            "order_classes": 260,
            "apprenticeship_students": 4300,
            "training_sessions": 310000,
        },
        "money": {
            "fixed_assets": D("1480500.00"),
            "equipment_value": D("537100.00"),
            "enterprise_equipment": D("18500.00"),
        },
        "means": {
            "teachers_dual_ratio": (D("59.7"), ("mean",)),
            "pass_rate_culture": (D("92.04"), ("weighted", "students_total")),
            "pass_rate_skill": (D("92.89"), ("weighted", "students_total")),
            "pass_rate_fitness": (D("86.47"), ("weighted", "students_total")),
            "starting_salary": (D("3844.8"), ("weighted", "employed_direct")),
            "employer_satisfaction": (D("96.6"), ("mean",)),
        },
    },
}
