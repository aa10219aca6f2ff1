"""City totals the demo must reproduce (市级汇总), by year.

2020 figures are the published ones in the seed report 《2020年度上海中等职业教育质量年度报告》 (§1.2 设施设备, §1.3 教师
队伍, §2.2–2.4); 2019 figures are derived from its year-on-year statements (e.g. 固定资产 +5.73%, 生均 +4.90%,
双师型 +1.6 个百分点, 起薪 +16.4%, 升学占比 +4 个百分点, 第二产业 +14.7 个百分点); 2018 continues the trend.
Unpublished items are plausible numbers; where the report prints a per-school or rounded figure the total is chosen
so that it reads as printed (校均合作企业 37 家 → Σ 2627 over 71 schools; 职业培训超过 14 万人次 → 142350).

``EXTRA`` holds the inputs added for issue #13 (专业大类, 技能大赛, 教师培训, 社会服务, 资助, 经费, 党建), split over
the schools by ``generator.generate_extra`` with its own random stream (the older values stay as they were); 2020 totals carry the report's figures (2金2银3铜17优胜奖, 40名选手 5个二等奖 9个三等奖, 起薪
3001–4000元 44.7% 与 4001–5000元 23% of 6625, 志愿服务 51377人次 319713.63课时, 国家奖学金 127名 …).

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
            "coop_enterprises": 2480,
            "order_classes": 230,
            "apprenticeship_students": 3500,
            "training_sessions": 148000,
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
            "coop_enterprises": 2560,
            "order_classes": 245,
            "apprenticeship_students": 3900,
            "training_sessions": 151000,
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
            "coop_enterprises": 2627,
            "order_classes": 260,
            "apprenticeship_students": 4300,
            "training_sessions": 142350,
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


FIELDS = ("finance", "manufacturing", "it", "arts", "health", "transport", "tourism", "other_fields")
"""专业大类 (merged to eight): element codes are ``students_<field>`` and ``graduates_<field>``."""


def _by_field(prefix: str, total: int, parts: tuple[int, ...]) -> dict[str, int]:
    """Seven named 大类 and 其他 as the rest, so the parts add up to the total exactly."""
    codes = [f"{prefix}_{f}" for f in FIELDS]
    return dict(zip(codes, [*parts, total - sum(parts)]))


EXTRA: dict[int, YearFigures] = {
    2018: {
        "sums": {
            **_by_field("students", 96820, (21900, 18300, 15100, 9000, 8600, 8300, 8000)),
            **_by_field("graduates", 27800, (6500, 5400, 4200, 2600, 2500, 2450, 2400)),
            "majors_opened": 24,
            "majors_closed": 35,
            "students_integrated": 19100,
            "students_other_province": 16500,
            "parttime_technician": 350,
            "parttime_senior_industry": 84,
            "teacher_practice_count": 1150,
            "teacher_practice_days": 47500,
            "teacher_training_national": 495,
            "teacher_training_municipal": 6650,
            "teacher_training_abroad": 395,
            "certificates_1x": 0,
            "worldskills_base": 18,
            "contest_ws_gold": 0,
            "contest_ws_silver": 0,
            "contest_ws_bronze": 0,
            "contest_ws_merit": 0,
            "contest_ws_integrated_gold": 0,
            "contest_ws_integrated_silver": 0,
            "contest_ws_integrated_bronze": 0,
            "contest_ws_integrated_merit": 0,
            "contest_nvsc_entrants": 55,
            "contest_nvsc_first": 5,
            "contest_nvsc_second": 10,
            "contest_nvsc_third": 14,
            "salary_3001_4000": 3329,
            "salary_4001_5000": 1226,
            "fortune500_partners": 190,
            "apprenticeship_majors": 26,
            "internship_bases": 2690,
            "volunteer_times": 56900,
            "community_service_days": 45200,
            "skill_test_stations": 78,
            "skill_tests": 121500,
            "training_centers_national": 17,
            "training_centers_city": 66,
            "national_scholarship": 120,
            "fee_waiver_students": 78000,
            "grant_students": 5350,
            "party_branches": 628,
            "party_members": 4530,
        },
        "money": {
            "enterprise_investment": D("9050.00"),
            "volunteer_hours": D("341250.25"),
            "training_income": D("4210.00"),
            "fee_waiver_amount": D("20280.00"),
            "grant_amount": D("1070.00"),
            "income_total": D("552100.00"),
            "expenditure_total": D("545600.00"),
        },
        "means": {},
    },
    2019: {
        "sums": {
            **_by_field("students", 96175, (21500, 17900, 15700, 9100, 8700, 8200, 7800)),
            **_by_field("graduates", 27500, (6350, 5250, 4300, 2550, 2500, 2400, 2350)),
            "majors_opened": 26,
            "majors_closed": 41,
            "students_integrated": 20300,
            "students_other_province": 15800,
            "parttime_technician": 372,
            "parttime_senior_industry": 90,
            "teacher_practice_count": 1180,
            "teacher_practice_days": 49800,
            "teacher_training_national": 510,
            "teacher_training_municipal": 6800,
            "teacher_training_abroad": 420,
            "certificates_1x": 1210,
            "worldskills_base": 20,
            "contest_ws_gold": 0,
            "contest_ws_silver": 0,
            "contest_ws_bronze": 0,
            "contest_ws_merit": 0,
            "contest_ws_integrated_gold": 0,
            "contest_ws_integrated_silver": 0,
            "contest_ws_integrated_bronze": 0,
            "contest_ws_integrated_merit": 0,
            "contest_nvsc_entrants": 58,
            "contest_nvsc_first": 4,
            "contest_nvsc_second": 12,
            "contest_nvsc_third": 15,
            "salary_3001_4000": 3186,
            "salary_4001_5000": 1365,
            "fortune500_partners": 200,
            "apprenticeship_majors": 33,
            "internship_bases": 2760,
            "volunteer_times": 58200,
            "community_service_days": 47100,
            "skill_test_stations": 76,
            "skill_tests": 118000,
            "training_centers_national": 18,
            "training_centers_city": 68,
            "national_scholarship": 125,
            "fee_waiver_students": 77600,
            "grant_students": 5120,
            "party_branches": 640,
            "party_members": 4610,
        },
        "money": {
            "enterprise_investment": D("9420.00"),
            "volunteer_hours": D("352400.50"),
            "training_income": D("4380.00"),
            "fee_waiver_amount": D("20170.00"),
            "grant_amount": D("1024.00"),
            "income_total": D("578300.00"),
            "expenditure_total": D("571900.00"),
        },
        "means": {},
    },
    2020: {
        "sums": {
            **_by_field("students", 96940, (21300, 17800, 16400, 9200, 8900, 8100, 7600)),
            **_by_field("graduates", 28052, (6400, 5300, 4500, 2600, 2600, 2400, 2300)),
            "majors_opened": 30,  # 新增专业点 30 个
            "majors_closed": 104,  # 撤并重复设置率高的专业点 100 余个
            "students_integrated": 21500,
            "students_other_province": 15200,
            "parttime_technician": 391,  # 近 400 人，占兼职教师 1907 人的 20.5%
            "parttime_senior_industry": 97,  # 近 100 人
            "teacher_practice_count": 1236,  # 超过 1200 人
            "teacher_practice_days": 52400,  # 5 万人日
            "teacher_training_national": 536,  # 500 人次以上
            "teacher_training_municipal": 6972,  # 近 7000 人次
            "teacher_training_abroad": 163,  # 160 余人次
            "certificates_1x": 3860,
            "worldskills_base": 20,  # 20 所世赛选手上海培养基地
            "contest_ws_gold": 2,  # 2金2银3铜17优胜奖
            "contest_ws_silver": 2,
            "contest_ws_bronze": 3,
            "contest_ws_merit": 17,
            "contest_ws_integrated_gold": 2,  # 贯通学生 2金1银1铜10优胜奖
            "contest_ws_integrated_silver": 1,
            "contest_ws_integrated_bronze": 1,
            "contest_ws_integrated_merit": 10,
            "contest_nvsc_entrants": 40,  # 40 名选手，5 个二等奖，9 个三等奖
            "contest_nvsc_first": 0,
            "contest_nvsc_second": 5,
            "contest_nvsc_third": 9,
            "salary_3001_4000": 2961,  # 44.7% of 6625
            "salary_4001_5000": 1524,  # 23.0% of 6625
            "fortune500_partners": 213,  # 校均 3 家
            "apprenticeship_majors": 38,
            "internship_bases": 2840,
            "volunteer_times": 51377,
            "community_service_days": 49300,  # 近5万日次
            "skill_test_stations": 74,  # 70 余个
            "skill_tests": 103600,  # 超过 10 万人次
            "training_centers_national": 19,
            "training_centers_city": 71,
            "national_scholarship": 127,
            "fee_waiver_students": 78200,
            "grant_students": 4860,
            "party_branches": 652,
            "party_members": 4720,
        },
        "money": {
            "enterprise_investment": D("9860.00"),
            "volunteer_hours": D("319713.63"),
            "training_income": D("4062.50"),  # 超过 4000 万元
            "fee_waiver_amount": D("20340.00"),
            "grant_amount": D("972.00"),
            "income_total": D("612400.00"),
            "expenditure_total": D("598700.00"),
        },
        "means": {},
    },
}
