"""Demo narrative of the schools' annual reports (学校年报文字与案例): one text per chapter and up to three 案例.

71 schools must not read alike, so every paragraph is assembled from several interchangeable sentence patterns picked by
a random stream seeded with the school's code and the year, and filled with the school's own figures, name, type,
district and leading 专业大类 — the same school gets the same text on every load. Nothing here is copied from the city
report: the wording is ours, the facts are the school's generated values.

Cases: the 2020 cases of schools named in ``data/school_cases_2020.yaml`` (hand-written, carrying facts of the city
report) are used as written; every other school may get generic cases built from its own figures, with titles that
name the school or its own numbers so no two schools share a case.
"""

from __future__ import annotations

import random
import zlib
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

import yaml

from .figures import FIELDS

CASES_FILES = [Path(__file__).with_name("data") / f"school_cases_2020{part}.yaml" for part in ("", "_b")]
MAX_CASES = 4

FIELD_NAMES = {
    "finance": "财经商贸",
    "manufacturing": "加工制造",
    "it": "信息技术",
    "arts": "文化艺术",
    "health": "医药卫生",
    "transport": "交通运输",
    "tourism": "旅游服务",
    "other_fields": "其他",
}
TYPE_NAMES = {
    "vocational_high": "职业高中",
    "specialized_secondary": "普通中等专业学校",
    "technical": "技工学校",
    "adult_secondary": "成人中等专业学校",
}
SPONSORS = {
    "city_bureau": "市教委",
    "district_bureau": "{district}教育局",
    "industry": "举办行业企业",
    "private": "学校举办者",
}


def _pct(part, whole, places: int = 1) -> str:
    if not whole:
        return "0"
    value = Decimal(part) * 100 / Decimal(whole)
    return str(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _num(x) -> str:
    """As generated: integers as integers, decimals with the places the value was made with (起薪 3844.8)."""
    return str(x)


def _groups(school) -> dict[str, str]:
    """group-set code → group code of the unit (学校类型, 隶属); a plain object may carry them as ``group_codes``."""
    given = getattr(school, "group_codes", None)
    if given is not None:
        return dict(given)
    return {g.group_set.code: g.code for g in school.groups.select_related("group_set")}


def _district(school) -> str:
    parent = getattr(school, "parent", None)
    return parent.name if parent is not None else "本区"


@cache
def provided_cases() -> dict[str, list[dict]]:
    """school name → its hand-written 2020 cases (``data/school_cases_2020*.yaml``: the cases the demo's city
    compilers pick; absent files → none)."""
    rows = []
    for path in CASES_FILES:
        if path.exists():
            with open(path, encoding="utf-8") as fh:
                rows += (yaml.safe_load(fh) or {}).get("cases", [])
    result: dict[str, list[dict]] = {}
    for row in rows:
        result.setdefault(str(row["school"]), []).append(row)
    return result


class _Facts(dict):
    """The school's values plus derived figures, for ``str.format``."""


def _facts(school, year: int, v: dict) -> _Facts:
    f = _Facts({k: _num(x) for k, x in v.items()})
    name = school.name
    short = name.removeprefix("上海市").removeprefix("上海")
    f.update(name=name, short=short, year=year, district=_district(school))
    groups = _groups(school)
    f["type"] = TYPE_NAMES.get(groups.get("school_type", ""), "中等职业学校")
    affiliation = groups.get("affiliation", "")
    f["sponsor"] = SPONSORS.get(affiliation, "举办者").format(district=f["district"])
    f["affiliation"] = affiliation
    counts = {field: int(v.get(f"students_{field}", 0)) for field in FIELDS if field != "other_fields"}
    ranked = sorted(counts, key=lambda k: counts[k], reverse=True)
    students = int(v.get("students_total", 0))
    f["field1"], f["field2"] = FIELD_NAMES[ranked[0]], FIELD_NAMES[ranked[1]]
    f["field1_students"] = counts[ranked[0]]
    f["field1_share"] = _pct(counts[ranked[0]], students)
    f["employment_rate"] = _pct(v.get("employed", 0), v.get("graduates", 0))
    f["further_share"] = _pct(v.get("further_study", 0), v.get("employed", 0), 0)
    f["local_share"] = _pct(v.get("employed_local", 0), v.get("employed_direct", 0))
    f["dual_share"] = _pct(v.get("teachers_dual", 0), v.get("teachers_professional", 0))
    f["master_share"] = _pct(v.get("edu_master_plus", 0), v.get("teachers_fulltime", 0))
    f["dual_cert_rate"] = _pct(v.get("graduates_dual_cert", 0), v.get("graduates", 0))
    teachers = int(v.get("teachers_fulltime", 0)) or 1
    f["ratio"] = str((Decimal(students) / teachers).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    f["per_student_assets"] = str(
        (Decimal(v.get("fixed_assets", 0)) / (students or 1)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    )
    f["hours_per_time"] = str(
        (Decimal(v.get("volunteer_hours", 0)) / (int(v.get("volunteer_times", 0)) or 1)).quantize(Decimal("0.1"))
    )
    f["members_share"] = _pct(v.get("party_members", 0), v.get("staff_total", 0), 0)
    f["medals"] = sum(int(v.get(c, 0)) for c in ("contest_ws_gold", "contest_ws_silver", "contest_ws_bronze"))
    f["merits"] = int(v.get("contest_ws_merit", 0))
    f["nvsc_prizes"] = sum(int(v.get(f"contest_nvsc_{p}", 0)) for p in ("first", "second", "third"))
    return f


# Each chapter: a list of slots; each slot a list of (condition, sentence) alternatives tried in a seeded random order.
# A sentence whose condition (a fact that must be > 0) fails gives way to the next; a ``None`` condition drawn first
# leaves the slot out.
CHAPTERS: dict[str, list[list[tuple[str, str]]]] = {
    "text_overview": [
        [
            (
                "",
                "{name}是位于{district}的一所{type}，{year}年有全日制在校生{students_total}人，当年招生{enrollment_new}人。",
            ),
            (
                "",
                "作为{district}的{type}，{short}{year}年招收新生{enrollment_new}人，在校生规模达到{students_total}人。",
            ),
            ("", "{year}年，{name}全日制在校生{students_total}人，其中新生{enrollment_new}人，办学规模总体稳定。"),
            ("", "本校为{type}，地处{district}；截至{year}年底，在校学生共{students_total}人。"),
        ],
        [
            (
                "",
                "学校开设专业{majors_count}个，以{field1}类为主，该大类在校生{field1_students}人，占{field1_share}%，{field2}类次之。",
            ),
            (
                "",
                "{majors_count}个专业中，{field1}类专业学生最多（{field1_students}人，占全校的{field1_share}%），其后是{field2}类。",
            ),
            (
                "",
                "专业设置围绕{field1}、{field2}两大类展开，共{majors_count}个专业，其中{field1}类学生占{field1_share}%。",
            ),
        ],
        [
            ("majors_opened", "当年新设专业点{majors_opened}个，专业结构随区域产业需求继续调整。"),
            ("students_integrated", "学校积极参与贯通培养，贯通专业在读学生{students_integrated}人。"),
            (
                "",
                "学校固定资产总值{fixed_assets}万元，生均{per_student_assets}万元；教学仪器设备总值{equipment_value}万元。",
            ),
            ("", "校内实践教学工位{practice_stations}个，馆藏纸质图书{books}册，办学条件持续改善。"),
        ],
        [
            (
                "",
                "现有教职工{staff_total}人、专任教师{teachers_fulltime}人，生师比{ratio}:1，“双师型”教师占专业课教师的{dual_share}%。",
            ),
            (
                "",
                "专任教师{teachers_fulltime}人中，硕士及以上学历占{master_share}%，另聘有兼职教师{teachers_parttime}人。",
            ),
            (
                "",
                "师资方面，学校有专任教师{teachers_fulltime}人（专业课教师{teachers_professional}人），兼职教师{teachers_parttime}人，其中{parttime_technician}人持有技师及以上证书。",
            ),
        ],
    ],
    "text_students": [
        [
            ("", "学校把立德树人融入教育教学全过程，以主题教育、社团活动和劳动实践为载体开展德育工作。"),
            ("", "学校坚持德技并修，通过班会课程化、行为规范养成和志愿服务，引导学生养成良好职业素养。"),
            ("", "德育工作以“课程育人、实践育人、文化育人”为主线，形成了覆盖三个年级的德育活动序列。"),
        ],
        [
            (
                "",
                "{year}年学生文化课合格率{pass_rate_culture}%，专业技能合格率{pass_rate_skill}%，体质测试合格率{pass_rate_fitness}%。",
            ),
            (
                "",
                "学业质量保持稳定：文化课、专业技能和体质测试合格率分别为{pass_rate_culture}%、{pass_rate_skill}%和{pass_rate_fitness}%。",
            ),
        ],
        [
            ("medals", "在全国职业技能大赛中，学校选手获得奖牌{medals}枚、优胜奖{merits}个。"),
            ("nvsc_prizes", "学校选派{contest_nvsc_entrants}名学生参加全国职业院校技能大赛，获奖{nvsc_prizes}项。"),
            ("certificates_1x", "{certificates_1x}名学生取得“1+X”职业技能等级证书。"),
            ("", "毕业生中{graduates_dual_cert}人获得“双证书”，获取率{dual_cert_rate}%。"),
        ],
        [
            (
                "",
                "当年毕业生{graduates}人，就业（含升学）{employed}人，就业率{employment_rate}%；升入高一级学校{further_study}人，占就业学生的{further_share}%。",
            ),
            (
                "",
                "{graduates}名毕业生中有{employed}人实现就业或升学（{employment_rate}%），其中{further_study}人继续深造，{employed_direct}人直接就业。",
            ),
            (
                "",
                "毕业去向以升学为主：{further_study}人升入高一级学校，{employed_direct}人直接就业，平均起薪{starting_salary}元。",
            ),
        ],
        [
            ("", "用人单位对毕业生的满意度为{employer_satisfaction}%。"),
            ("entrepreneurs", "另有{entrepreneurs}名毕业生选择自主创业。"),
            ("", "直接就业学生平均起薪{starting_salary}元，其中起薪在3001–4000元之间的{salary_3001_4000}人。"),
        ],
    ],
    "text_quality": [
        [
            ("", "学校对照{field1}等领域的岗位要求修订人才培养方案，{year}年开设专业{majors_count}个。"),
            ("majors_closed", "学校优化专业布局，当年调整或停招专业点{majors_closed}个，集中资源建设骨干专业。"),
            ("", "专业建设坚持“对接产业、动态调整”，以{field1}类专业为龙头带动专业群发展。"),
        ],
        [
            ("", "课堂教学改革以项目化、模块化教学为抓手，推进信息技术与教学深度融合。"),
            ("", "学校推进“三教”改革，组织教师开发校本教材和活页式教材，建设在线课程资源。"),
            ("", "教学诊断与改进常态化运行，学校以课程标准、课堂观察和学生评教为依据改进教学。"),
        ],
        [
            (
                "",
                "{teacher_practice_count}名教师到企业实践，累计{teacher_practice_days}人日；教师参加国家级培训{teacher_training_national}人次、市级培训{teacher_training_municipal}人次。",
            ),
            (
                "",
                "教师培养培训全年参加市级培训{teacher_training_municipal}人次、国家级培训{teacher_training_national}人次，{teacher_practice_count}名教师下企业实践。",
            ),
        ],
        [
            ("", "学校落实质量年报编制与审核制度，年报数据经采集员、审核员和校长三级确认后报送。"),
            ("", "内部质量保证体系覆盖专业、课程、教师和学生四个层面，质量报告经三级审核后公开发布。"),
        ],
    ],
    "text_cooperation": [
        [
            ("", "学校与{coop_enterprises}家企业建立合作关系，其中世界500强企业{fortune500_partners}家。"),
            ("", "{year}年学校合作企业达{coop_enterprises}家，校外实习实训基地{internship_bases}个。"),
            ("", "依托{field1}行业资源，学校同{coop_enterprises}家企业开展人才共育、基地共建。"),
        ],
        [
            ("order_classes", "开设订单班{order_classes}个，企业参与招生、教学和考核全过程。"),
            (
                "apprenticeship_majors",
                "{apprenticeship_majors}个专业开展现代学徒制试点，试点学生{apprenticeship_students}人。",
            ),
            ("", "企业提供设备值{enterprise_equipment}万元，投入资金{enterprise_investment}万元，支持实训条件建设。"),
        ],
        [
            ("", "学生顶岗实习严格执行实习管理规定，学校与企业双导师共同指导、共同考核。"),
            ("", "学校完善实习过程管理平台，实习岗位与所学专业的对口情况逐一核查。"),
            ("", "学校加入职教集团，与集团成员单位共享实训资源和师资。"),
        ],
    ],
    "text_contribution": [
        [
            ("", "直接就业毕业生中{employed_local}人留在上海工作，占{local_share}%，为本地产业输送技术技能人才。"),
            (
                "",
                "{employed_direct}名直接就业的毕业生里，{employed_local}人在沪就业，{employed_other_province}人去往其他省市。",
            ),
        ],
        [
            ("", "面向社会开展职业培训{training_sessions}人次，培训到款额{training_income}万元。"),
            ("skill_tests", "学校职业技能鉴定站全年开展鉴定{skill_tests}人次，服务企业职工技能提升。"),
            ("", "学校发挥{field1}专业优势，为企业员工和社区居民提供培训共{training_sessions}人次。"),
        ],
        [
            ("", "学生参与志愿服务和公益劳动{volunteer_times}人次，累计{volunteer_hours}课时。"),
            ("", "志愿服务常态化开展，全年{volunteer_times}人次学生参与，人均约{hours_per_time}课时。"),
        ],
        [
            ("", "学校还通过送教上门、结对帮扶等方式支持对口地区职业学校发展。"),
            ("", "在长三角职业教育合作中，学校与兄弟院校开展教研交流和学生技能联赛。"),
            ("", ""),
        ],
    ],
    "text_government": [
        [
            ("", "{sponsor}按规定拨付学校经费，{year}年学校总收入{income_total}万元，总支出{expenditure_total}万元。"),
            (
                "",
                "{year}年学校经费收入{income_total}万元、支出{expenditure_total}万元，{sponsor}保障了生均经费足额到位。",
            ),
        ],
        [
            (
                "",
                "学生资助政策全面落实：{fee_waiver_students}人享受免学费，金额{fee_waiver_amount}万元；{grant_students}人获国家助学金{grant_amount}万元。",
            ),
            (
                "",
                "学校免除{fee_waiver_students}名学生学费共{fee_waiver_amount}万元，为{grant_students}名家庭经济困难学生发放助学金{grant_amount}万元。",
            ),
        ],
        [
            ("national_scholarship", "{national_scholarship}名学生获得国家奖学金。"),
            ("", "{sponsor}支持学校实训基地和教师队伍建设，并在编制、职称评审方面给予倾斜。"),
            ("", "{sponsor}将学校发展纳入区域教育规划，协调解决校舍和实训场地问题。"),
        ],
    ],
    "text_features": [
        [
            ("", "学校以{field1}专业群为特色，形成了“专业对接产业、课程对接岗位”的办学格局。"),
            ("", "{short}坚持特色发展，在{field1}领域打造校企协同育人品牌。"),
            ("", "学校围绕{field1}、{field2}两大专业方向探索特色办学之路。"),
        ],
        [
            ("worldskills_base", "作为世界技能大赛选手上海培养基地，学校把世赛标准转化为教学标准。"),
            ("", "学校把企业真实项目引入课堂，学生在完成项目中掌握岗位技能。"),
            ("", "学校建设开放实训中心，面向中小学生开展职业体验活动。"),
            (
                "students_integrated",
                "学校与高职、本科院校合作开展贯通培养，{students_integrated}名贯通学生按一体化方案学习。",
            ),
            (
                "training_centers_city",
                "学校建有{training_centers_city}个上海市行业企业培训中心，特色培训项目面向行业开放。",
            ),
        ],
        [
            ("", "{year}年，学校{field1}类专业与{coop_enterprises}家合作企业共同开发课程。"),
            ("", "特色项目的成效体现在就业质量上：直接就业毕业生平均起薪{starting_salary}元。"),
            ("", "学校把{district}的产业需求作为特色建设的出发点，{field1}类在校生占{field1_share}%。"),
            ("", ""),
        ],
    ],
    "text_party": [
        [
            ("", "学校党组织共{party_branches}个，教职工党员{party_members}人，约占教职工总数的{members_share}%。"),
            ("", "全校设党组织{party_branches}个，有党员教职工{party_members}人。"),
        ],
        [
            ("", "学校落实党组织领导的校长负责制，把党建工作与教育教学、专业建设同谋划、同推进。"),
            ("", "党组织开展主题党日和“四史”学习教育，党员教师在教学和志愿服务中发挥先锋作用。"),
            ("", "学校推进“一支部一品牌”建设，将党建活动与师德师风建设、学生思想政治工作结合。"),
        ],
    ],
    "text_outlook": [
        [
            ("", "对照产业升级的新要求，学校{field1}类专业的课程内容更新仍不够及时。"),
            ("", "学校“双师型”教师比例为{dual_share}%，高水平专业带头人仍然不足。"),
            ("", "校企合作的深度不够均衡，{coop_enterprises}家合作企业中深度参与教学的仍是少数。"),
            ("", "生师比为{ratio}:1，专业课教师{teachers_professional}人，部分新专业的师资储备偏紧。"),
            ("", "硕士及以上学历教师占{master_share}%，教师科研和课程开发能力有待提高。"),
        ],
        [
            ("", "实训设备更新的速度赶不上{field1}行业的技术进步，生均仪器设备值仍需提高。"),
            ("", "毕业生升学比例已达{further_share}%，如何兼顾升学与就业两类需求是新的课题。"),
            ("", "社会培训规模（{training_sessions}人次）与学校的专业实力相比仍有提升空间。"),
            ("", ""),
        ],
        [
            ("", "下一步，学校将以专业群建设为重点，提升人才培养与{district}产业的契合度。"),
            ("", "今后学校将深化产教融合，扩大贯通培养，提高教师的实践教学能力。"),
            ("", "学校将以质量年报为抓手，健全内部质量保证体系，持续改进办学质量。"),
        ],
    ],
}


def _holds(condition: str | None, facts: _Facts) -> bool:
    if condition is None or condition == "":
        return True
    value = facts.get(condition)
    try:
        return value is not None and Decimal(str(value)) > 0
    except ArithmeticError:
        return bool(value)


def _paragraph(slots, facts: _Facts, rng: random.Random) -> str:
    sentences = []
    for slot in slots:
        options = list(slot)
        rng.shuffle(options)
        for condition, pattern in options:
            if condition is None:
                break
            if _holds(condition, facts) and pattern:
                sentences.append(pattern.format_map(facts))
                break
    return "".join(sentences)


# Generic cases: (chapter key, condition, title patterns, body pattern). Titles name the school or its own figures.
GENERIC_CASES = [
    (
        "2.1",
        "",
        ["{short}：把德育课程化、活动化", "让规范成为习惯——{short}的养成教育"],
        "{name}把行为规范、职业礼仪和劳动教育编入德育课程，各年级设定不同目标，由班主任与专业教师共同评价。"
        "{year}年学生体质测试合格率{pass_rate_fitness}%，获得“双证书”的毕业生{graduates_dual_cert}人。",
    ),
    (
        "2.2",
        "medals",
        ["赛教融合，{short}选手摘得{medals}枚奖牌", "{short}以赛促学的备赛机制"],
        "学校以世赛标准改造实训教学，组建跨年级集训队，企业技师与专业教师联合指导。{year}年学校选手在全国职业技能"
        "大赛中获得奖牌{medals}枚、优胜奖{merits}个。",
    ),
    (
        "2.2",
        "nvsc_prizes",
        ["{short}：{contest_nvsc_entrants}名选手组成的技能竞赛梯队", "{short}技能大赛工作室建设"],
        "学校建立校赛、市赛、国赛三级选拔机制，{year}年派出{contest_nvsc_entrants}名选手参加全国职业院校技能大赛，"
        "获得奖项{nvsc_prizes}个，竞赛成果转化为{majors_count}个专业的教学项目。",
    ),
    (
        "3.2",
        "certificates_1x",
        ["“1+X”证书试点在{short}落地", "书证融通：{short}{certificates_1x}名学生取得职业技能等级证书"],
        "学校把职业技能等级标准融入{field1}类专业课程，{year}年{certificates_1x}名学生取得“1+X”职业技能等级证书，"
        "专业技能合格率{pass_rate_skill}%。",
    ),
    (
        "3.3",
        "teacher_practice_count",
        ["{short}{teacher_practice_count}名教师下企业的双师培养", "{short}教师企业实践制度化"],
        "学校规定专业教师每五年累计企业实践不少于六个月，{year}年{teacher_practice_count}名教师到合作企业实践，"
        "共{teacher_practice_days}人日，“双师型”教师占专业课教师的{dual_share}%。",
    ),
    (
        "4.1",
        "coop_enterprises",
        ["{short}与{coop_enterprises}家企业共建育人共同体", "校企双元育人的{short}实践"],
        "学校与{coop_enterprises}家企业签订合作协议，共同制定{field1}类专业人才培养方案，开设订单班{order_classes}个，"
        "企业投入设备值{enterprise_equipment}万元。",
    ),
    (
        "4.2",
        "internship_bases",
        ["{short}：{internship_bases}个实习基地支撑顶岗实习", "{short}实习全过程管理"],
        "学校在{internship_bases}个校外实习基地推行双导师制，实习计划、过程记录和考核评价全部在线管理，"
        "{year}年直接就业毕业生平均起薪{starting_salary}元。",
    ),
    (
        "5.4",
        "volunteer_times",
        ["{short}学生走进社区：{volunteer_times}人次志愿服务", "{short}志愿服务品牌建设"],
        "学校组建专业志愿服务队，结合{field1}专业特长走进社区、场馆和赛会，{year}年学生参与志愿服务和公益劳动"
        "{volunteer_times}人次，累计{volunteer_hours}课时。",
    ),
    (
        "5.5",
        "training_sessions",
        ["{short}面向企业职工的技能培训", "{short}培训{training_sessions}人次服务行业转型"],
        "学校依托{field1}专业实训中心承接行业企业培训项目，{year}年开展社会培训{training_sessions}人次，"
        "培训到款额{training_income}万元。",
    ),
    (
        "7",
        "",
        ["{short}{field1}专业群的特色发展之路", "对接{district}产业：{short}的专业特色建设"],
        "学校以{field1}类专业为核心组建专业群，在校生{field1_students}人，占全校{field1_share}%；"
        "专业群与{coop_enterprises}家企业合作，形成教学、实训、就业一体的培养链。",
    ),
    (
        "8",
        "party_branches",
        ["{short}“党建+专业”融合育人", "{short}{party_branches}个党组织引领发展"],
        "学校{party_branches}个党组织与专业系部对应设置，{party_members}名党员教职工结对帮扶学生、领衔专业项目，"
        "把党建工作成效体现在人才培养质量上。",
    ),
]


def _generic_cases(facts: _Facts, rng: random.Random) -> list[tuple[str, str, str]]:
    count = rng.choice((0, 1, 1, 2, 2, 3))
    eligible = [c for c in GENERIC_CASES if _holds(c[1], facts)]
    chosen = rng.sample(eligible, min(count, len(eligible)))
    return [
        (chapter, rng.choice(titles).format_map(facts), body.format_map(facts)) for chapter, _, titles, body in chosen
    ]


def texts(school, year: int, values: dict) -> dict[str, str]:
    """element code → text for one school and year: every chapter's narrative and its 案例 (title, body, chapter)."""
    facts = _facts(school, year, values)
    rng = random.Random(zlib.crc32(f"{school.code}:{year}".encode()))
    result = {code: _paragraph(slots, facts, rng) for code, slots in CHAPTERS.items()}
    written = provided_cases().get(school.name) if year == 2020 else None
    if written:
        cases = [(str(c.get("chapter", "")), c["title"], c["body"]) for c in written]
    else:
        cases = _generic_cases(facts, rng)
    for n, (chapter, title, body) in enumerate(cases[:MAX_CASES], start=1):
        result[f"case_{n}_title"], result[f"case_{n}_body"], result[f"case_{n}_chapter"] = title, body, chapter
    return result
