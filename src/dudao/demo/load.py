"""Load the Shanghai demo (上海演示数据): org tree, 71 vocational schools, 2018–2020 accepted data, an open 2021
campaign, and one user per role. Values are bulk-inserted (the demo is history, not edits) but states, transitions and
statements are the same records the workflow writes, so the demo looks exactly like three finished years.

Everything is written through the owning apps' services — their bulk-loading ones for the past rounds
(``collection.services.load_values`` and ``explain_warnings_for_loading``, ``review.workflow.fast_forward``)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import yaml
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from dudao.collection import selectors as collection
from dudao.collection.campaigns import open_campaign, yearly_period
from dudao.collection.catalog import load_all_datasets
from dudao.collection.services import explain_warnings_for_loading, load_values
from dudao.errors import DudaoError
from dudao.orgs import selectors as orgs
from dudao.orgs.catalog import load_org_catalog
from dudao.orgs.services import grant, save_school
from dudao.orgs.vocabulary import Level, Role
from dudao.review.workflow import fast_forward
from dudao.supervision import selectors as ledger_reads
from dudao.supervision import services as ledger
from dudao.supervision.vocabulary import FindingState, SourceKind

from . import compiled, developmental, district, duty, evaluation, statistics, supervision
from . import monitoring as quality_monitoring
from . import surveys as demo_surveys
from .generator import generate
from .narrative import texts as narrative_texts

if TYPE_CHECKING:
    from dudao.orgs.models import OrgUnit

DEMO_PASSWORD = "dudao-demo"
SHANGHAI = ZoneInfo("Asia/Shanghai")
SCHOOL_ROLES = {"collector": Role.COLLECTOR, "checker": Role.CHECKER, "principal": Role.PRINCIPAL}
# What ``dudao demo`` and ``./run.sh`` print; the first school in schools.yaml is 中华职业学校 (黄浦).
DEMO_LOGINS = [
    ("admin", "超级管理员（目录维护）"),
    ("city_admin", "市教委管理员"),
    ("analyst", "第三方分析员"),
    ("inspector", "市督学"),
    ("d310101", "黄浦区教育局审核员"),
    ("d310101-clerk", "黄浦区教育局填报员（区级年报数据）"),
    ("dx310101-1", "黄浦区责任督学（挂牌督导、整改复查）"),
    ("compiler", "报告编撰员（第三方团队：市级年报编撰）"),
    ("zjc", "市教委职业教育处（工作要点责任处室）"),
    ("3101010001-collector", "中华职业学校 采集员"),
    ("3101010001-checker", "中华职业学校 审核员"),
    ("3101010001-principal", "中华职业学校 校长"),
    ("310000U001-principal", "复旦大学 校长（高校分类评价、自选权重）"),
    ("3101051001-principal", "上海市长宁区实验小学 校长（优质均衡一校一报告）"),
]
DEMO_LOGINS += duty.LOGINS  # 市政府部门 staff of the provincial self-evaluation
CITY_USERS = {
    "city_admin": (Role.CITY_ADMIN, "市教委管理员"),
    "analyst": (Role.ANALYST, "第三方分析员"),
    "inspector": (Role.INSPECTOR, "市督学"),
    "compiler": (Role.COMPILER, "报告编撰员（第三方团队）"),
}


@dataclass
class DemoSummary:
    schools: int
    districts: int
    users: int


def school_rows() -> list[tuple[str, dict]]:
    with open(Path(__file__).with_name("schools.yaml"), encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    return [(district, school) for district, schools in data.items() for school in schools]


def is_loaded() -> bool:
    return orgs.schools_under().exists()


@transaction.atomic
def load_demo() -> DemoSummary:
    city = load_org_catalog()
    datasets = load_all_datasets()
    dataset = collection.dataset("vocational_quality")
    if dataset is None:
        raise DudaoError("目录中没有 vocational_quality 数据集")
    districts = {d.code: d for d in orgs.districts()}
    schools = []
    counters: dict[str, int] = {}
    for district_code, spec in school_rows():
        counters[district_code] = counters.get(district_code, 0) + 1
        code = f"{district_code}{counters[district_code]:04d}"
        groups = [
            ("school_type", spec["type"]),
            ("affiliation", spec["aff"]),
            ("ownership", "private" if spec["aff"] == "private" else "public"),
        ]
        schools.append(save_school(code, spec["name"], districts[district_code], groups))

    district_list = sorted(districts.values(), key=lambda d: d.code)
    compulsory = evaluation.compulsory_schools(district_list)
    kindergartens = evaluation.kindergartens(district_list)
    universities = evaluation.universities(city)
    users = _users(city, districts.values(), [*schools, *compulsory, *kindergartens, *(u for u, _ in universities)])
    elements = set(collection.element_codes().values())
    data = generate(len(schools))
    for year, rows in data.items():
        period = yearly_period(year)
        opens = datetime(year + 1, 1, 5, 9, tzinfo=SHANGHAI)
        campaign = open_campaign(dataset, period, city, opens, opens + timedelta(days=45), schools=schools)
        values = []
        for school, row in zip(schools, rows):
            texts = narrative_texts(school, year, row)
            values += [(school, code, value) for code, value in [*row.items(), *texts.items()] if code in elements]
        load_values(period, values)
        _finish_round(campaign, users, opens)
    # the other inputs of the quality report, through the front door of each: the district bureaus' own data sets,
    # public statistics imports, and the compilers' chapters of the city report (picking the schools' cases)
    for past in ("2019", "2020"):
        district.load(past)
    statistics.load(["2019", "2020"])
    compiled.load("2020")
    _load_evaluations(city, district_list, compulsory, kindergartens, universities, users)
    supervision.load(users)  # 督学: registry, 挂牌 in 黄浦 and 徐汇, the follow-up ledger
    developmental.load(users)  # 发展性督导评价 of five schools there, reviewed by their 责任督学
    duty.load(users)  # 省级履职自评 by the 市政府部门 and the 督政 of one department (demo.duty)
    supervision.publish(users)  # the 督学工作概况 the portal shows: the ledger's counts, nothing more
    demo_surveys.load(users)  # 问卷调查 2020: 社会认可度 / 满意度 over every district, seeded anonymous answers
    quality_monitoring.load(users)  # 质量监测: 2020 national monitoring and a 2021 中职 programme monitoring
    # the current round: open now, every school still to fill in
    now = timezone.now()
    open_campaign(
        dataset, yearly_period(2021), city, now - timedelta(days=3), now + timedelta(days=60), schools=schools
    )
    for extra in datasets:
        if extra.code != dataset.code:
            open_campaign(extra, yearly_period(2021), city, now - timedelta(days=3), now + timedelta(days=60))
    return DemoSummary(
        schools=len(schools),
        districts=len(districts),
        users=len(users),
    )


def _users(city, districts, schools) -> dict[str, AbstractBaseUser]:
    User = get_user_model()
    password = make_password(DEMO_PASSWORD)  # hash once: 200+ users × PBKDF2 would take a minute
    grants: list[tuple[str, str, OrgUnit, str]] = [
        (name, full, city, role) for name, (role, full) in CITY_USERS.items()
    ]
    grants += [(f"d{d.code}", f"{d.name}审核员", d, Role.DISTRICT_REVIEWER) for d in districts]
    grants += [(f"d{d.code}-clerk", f"{d.name}填报员", d, Role.DISTRICT_CLERK) for d in districts]
    for s in schools:
        grants += [
            (f"{s.code}-{suffix}", f"{s.name}{label}", s, role)
            for suffix, role, label in (
                ("collector", Role.COLLECTOR, "采集员"),
                ("checker", Role.CHECKER, "审核员"),
                ("principal", Role.PRINCIPAL, "校长"),
            )
        ]
    users: dict[str, AbstractBaseUser] = {}
    admin, _ = User.objects.get_or_create(username="admin", defaults={"is_staff": True, "is_superuser": True})
    admin.password = password
    admin.save()
    users["admin"] = admin
    for username, full_name, org, role in grants:
        user, _ = User.objects.get_or_create(username=username, defaults={"first_name": full_name})
        user.password = password
        user.save(update_fields=["password"])
        grant(user, org, role)
        users[username] = user
    return users


def _store(campaign, units, rows: dict[str, dict], users, opens) -> None:
    """Values for a past campaign of ``units`` (org code → element code → value), then its whole review round."""
    by_code = {u.code: u for u in units}
    load_values(
        campaign.period,
        [(by_code[org_code], code, Decimal(value)) for org_code, row in rows.items() for code, value in row.items()],
    )
    _finish_round(campaign, users, opens)


def _load_evaluations(city, districts, compulsory, kindergartens, universities, users) -> None:
    """Approved data behind the evaluation schemes, plus 督政 scores and 责任督学 visits (see demo.evaluation)."""
    from dudao.evaluation import registry
    from dudao.evaluation.schemes import district_duty, hei, thematic

    from . import preschool as preschool_demo
    from . import selfeval as selfeval_demo

    datasets = {d.code: d for d in collection.datasets()}
    opens = datetime(2021, 1, 5, 9, tzinfo=SHANGHAI)
    closes = opens + timedelta(days=45)
    period = yearly_period(2020)

    def past(code, units, rows, year=2020):
        campaign = open_campaign(datasets[code], yearly_period(year), city, opens, closes, schools=units)
        _store(campaign, units, rows, users, datetime(year + 1, 1, 5, 9, tzinfo=SHANGHAI))

    # the data sets the schemes read (Scheme.inputs), as (year, units, rows) per data set the demo generates
    kg_rows, district_rows = evaluation.kindergarten_values(districts, kindergartens)
    units = [u for u, _ in universities]
    generated = {
        "compulsory_conditions": [(2020, compulsory, evaluation.compulsory_values(districts, compulsory))],
        "kindergarten": [(2020, kindergartens, kg_rows)],
        "district_preschool": [(2020, districts, district_rows)],
        "district_balanced": [(2020, districts, evaluation.balanced.district_values(districts))],
        "hei": [(year, units, rows) for year, rows in evaluation.university_values(universities, [2019, 2020]).items()],
    }
    for code in dict.fromkeys(code for s in registry.all_schemes() for code in s.inputs):
        for year, members, rows in generated.get(code, []):  # a data set the demo does not generate stays empty
            past(code, members, rows, year)
    own = {  # within the 学术研究型 bounds of hei.yaml, adding up to 100
        "papers_per_faculty": 25,
        "research_per_faculty": 25,
        "doctoral_share": 10,
        "employment_rate": 5,
        "satisfaction": 5,
        "output_per_funding": 10,
        "research_growth": 10,
        "employment_gain": 5,
        "student_teacher_ratio": 5,
        "dropout_rate": 0,
    }
    hei.choose_weights(registry.get("hei").spec, units[0], period, own, users[f"{units[0].code}-principal"])

    inspector = users["inspector"]
    duty_spec = registry.get("district_duty").spec
    scores = evaluation.duty_scores(duty_spec, districts)
    district_duty.load_scores(
        duty_spec,
        period,
        [(d, source, items) for d in districts for source, items in scores[d.code].items()],
        inspector,
    )
    preschool_demo.load(period, districts, inspector)  # 学前普及普惠 实地核查 (demo/preschool.py)
    selfeval_demo.load(period, districts, users)  # 区县自评报告 for 优质均衡 and 普及普惠 (demo/selfeval.py)
    # 督政 findings go to the follow-up ledger, owned by each district: every district answered them; the city
    # inspector accepted most, sent a few back (those are overdue now, and escalate with the rest of the ledger's)
    # and has not yet re-checked some — so the escalations the demo shows stay a handful, not every old item
    raised = date(2021, 3, 1)
    for d in districts:
        district_duty.raise_findings(duty_spec, period, d, inspector, raised)
    found = [f for d in districts for f in district_duty.findings_of(period, d)]
    for n, finding in enumerate(found):
        ledger.submit_rectification(
            finding, users[f"d{finding.owner.code}"], "已制定整改方案并落实，附整改报告及佐证材料。", finding.version
        )
        if n % 14 == 1:
            ledger.recheck(
                finding, inspector, False, "回访核查：整改方案已制定但尚未落实到位，继续整改。", finding.version
            )
        elif n % 7 != 3:
            ledger.recheck(finding, inspector, True, "回访核查：整改措施已落实，材料齐全，予以销号。", finding.version)

    # thematic visits raise unmet items into the ledger, owned by the school; each school answers its items, and the
    # autumn revisit (every other school) re-checks them — accepting what is now met, sending back what is not (a
    # school in six; all but the first answered again and wait for the next re-check, so only the first school's
    # items escalate); the other schools' rectifications were accepted on their evidence
    thematic_spec = registry.get("thematic").spec
    rng = random.Random(evaluation.SEED + 4)
    spring, autumn = evaluation.visit_dates(2020)
    for n, school in enumerate(compulsory):
        principal = users[f"{school.code}-principal"]
        for theme in thematic_spec["themes"]:
            answers = evaluation.visit_answers(thematic_spec, theme, rng)
            thematic.record_visit(thematic_spec, theme, school, inspector, spring + timedelta(days=n % 20), answers)
            for finding in ledger_reads.pending_from(SourceKind.THEMATIC, school, ""):
                if finding.status == FindingState.OPEN:
                    ledger.submit_rectification(finding, principal, "已落实整改，附整改前后对照材料。", finding.version)
            if n % 2 == 0:  # the autumn revisit finds most items fixed
                later = answers if n % 6 == 0 else evaluation.all_met(thematic_spec, theme, answers)
                thematic.record_visit(thematic_spec, theme, school, inspector, autumn + timedelta(days=n % 10), later)
                for finding in ledger_reads.pending_from(SourceKind.THEMATIC, school, ""):
                    if n > 0 and finding.status == FindingState.RETURNED:
                        ledger.submit_rectification(finding, principal, "已补充整改措施，附新增材料。", finding.version)
            else:
                for finding in ledger_reads.pending_from(SourceKind.THEMATIC, school, ""):
                    if finding.status == FindingState.RECTIFYING:
                        ledger.recheck(finding, inspector, True, "材料复查：整改到位，予以销号。", finding.version)


# Who takes a workflow step in the demo, by the step's role.
ACTORS = {
    Role.COLLECTOR: "{school}-collector",
    Role.CHECKER: "{school}-checker",
    Role.PRINCIPAL: "{school}-principal",
    Role.DISTRICT_REVIEWER: "d{district}",
    Role.CITY_ADMIN: "city_admin",
}


def _finish_round(campaign, users, opens) -> None:
    """A past round as it happened: schools explained their warnings (the generator keeps every school inside the
    rules), then the whole review round to the workflow's final state, taken by the demo user with each step's role."""
    explain_warnings_for_loading(campaign, "经核实数据无误：当年校区调整及设备更新所致。")

    def actor(sub, step):
        district = sub.org if sub.org.level == Level.DISTRICT else sub.org.parent
        return users[ACTORS[step.roles[0]].format(school=sub.org.code, district=district.code)]

    fast_forward(
        campaign,
        actor,
        lambda sub: f"{sub.org.name}校长",
        acted_at=opens + timedelta(days=20),
        signed_at=opens + timedelta(days=18),
    )
