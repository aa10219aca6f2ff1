"""Load the Shanghai demo (上海演示数据): org tree, 71 vocational schools, 2018–2020 accepted data, an open 2021
campaign, and one user per role. Values are bulk-inserted (the demo is history, not edits) but states, transitions and
statements are the same records the workflow writes, so the demo looks exactly like three finished years."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from dudao.collection.campaigns import open_campaign, yearly_period
from dudao.collection.catalog import load_all_datasets
from dudao.collection.models import DataElement, DataSet, DataValue, Explanation
from dudao.collection.services import check_submission, values_hash
from dudao.collection.workflows import workflows
from dudao.orgs.catalog import group, load_org_catalog
from dudao.orgs.models import Level, Membership, OrgUnit, Role
from dudao.review.models import Statement, Transition

from . import evaluation
from .generator import generate, narrative

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
    ("zjc", "市教委职业教育处（工作要点责任处室）"),
    ("3101010001-collector", "中华职业学校 采集员"),
    ("3101010001-checker", "中华职业学校 审核员"),
    ("3101010001-principal", "中华职业学校 校长"),
    ("310000U001-principal", "复旦大学 校长（高校分类评价、自选权重）"),
    ("3101051001-principal", "上海市长宁区实验小学 校长（优质均衡一校一报告）"),
]
CITY_USERS = {
    "city_admin": (Role.CITY_ADMIN, "市教委管理员"),
    "analyst": (Role.ANALYST, "第三方分析员"),
    "inspector": (Role.INSPECTOR, "市督学"),
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
    return OrgUnit.objects.filter(level=Level.SCHOOL).exists()


@transaction.atomic
def load_demo() -> DemoSummary:
    city = load_org_catalog()
    datasets = load_all_datasets()
    dataset = DataSet.objects.get(code="vocational_quality")
    districts = {d.code: d for d in OrgUnit.objects.filter(level=Level.DISTRICT)}
    schools = []
    counters: dict[str, int] = {}
    for district_code, spec in school_rows():
        counters[district_code] = counters.get(district_code, 0) + 1
        code = f"{district_code}{counters[district_code]:04d}"
        school, _ = OrgUnit.objects.update_or_create(
            code=code, defaults={"name": spec["name"], "level": Level.SCHOOL, "parent": districts[district_code]}
        )
        school.groups.set(
            [
                group("school_type", spec["type"]),
                group("affiliation", spec["aff"]),
                group("ownership", "private" if spec["aff"] == "private" else "public"),
            ]
        )
        schools.append(school)

    district_list = sorted(districts.values(), key=lambda d: d.code)
    compulsory = evaluation.compulsory_schools(district_list)
    kindergartens = evaluation.kindergartens(district_list)
    universities = evaluation.universities(city)
    users = _users(city, districts.values(), [*schools, *compulsory, *kindergartens, *(u for u, _ in universities)])
    elements = {e.code: e for e in DataElement.objects.all()}
    data = generate(len(schools))
    wf = workflows()["default"]
    for year, rows in data.items():
        period = yearly_period(year)
        opens = datetime(year + 1, 1, 5, 9, tzinfo=SHANGHAI)
        campaign = open_campaign(dataset, period, city, opens, opens + timedelta(days=45), schools=schools)
        values = []
        for index, (school, row) in enumerate(zip(schools, rows)):
            texts = narrative(school.name, year, row, index)
            for code, value in [*row.items(), *texts.items()]:
                if code not in elements:
                    continue
                number = value if elements[code].is_numeric else None
                values.append(
                    DataValue(
                        element=elements[code],
                        period=period,
                        org=school,
                        value=f"{value}" if number is None else f"{number:f}",
                        number=number,
                    )
                )
        DataValue.objects.bulk_create(values)
        _explain_warnings(campaign)
        _accept_all(campaign, wf, users, opens)
    _load_evaluations(city, district_list, compulsory, kindergartens, universities, users, elements)
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
        Membership.objects.get_or_create(user=user, org=org, role=role)
        users[username] = user
    return users


def _store(campaign, rows: dict[str, dict], elements: dict, users, opens) -> None:
    """Values for a past campaign (org code → element code → value), then its whole review round."""
    by_code = {s.org.code: s.org for s in campaign.submissions.select_related("org")}
    DataValue.objects.bulk_create(
        DataValue(
            element=elements[code],
            period=campaign.period,
            org=by_code[org_code],
            value=f"{Decimal(value):f}",
            number=Decimal(value),
        )
        for org_code, row in rows.items()
        for code, value in row.items()
    )
    _explain_warnings(campaign)
    _accept_all(campaign, workflows()[campaign.workflow], users, opens)


def _load_evaluations(city, districts, compulsory, kindergartens, universities, users, elements) -> None:
    """Approved data behind the evaluation schemes, plus 督政 scores and 责任督学 visits (see demo.evaluation)."""
    from dudao.evaluation import registry
    from dudao.evaluation.models import DutyScore, Rectification, WeightChoice
    from dudao.evaluation.schemes import district_duty, thematic

    datasets = {d.code: d for d in DataSet.objects.all()}
    opens = datetime(2021, 1, 5, 9, tzinfo=SHANGHAI)
    closes = opens + timedelta(days=45)
    period = yearly_period(2020)

    def past(code, units, rows, year=2020):
        campaign = open_campaign(datasets[code], yearly_period(year), city, opens, closes, schools=units)
        _store(campaign, rows, elements, users, datetime(year + 1, 1, 5, 9, tzinfo=SHANGHAI))

    # the data sets the schemes read (Scheme.inputs), as (year, units, rows) per data set the demo generates
    kg_rows, district_rows = evaluation.kindergarten_values(districts, kindergartens)
    units = [u for u, _ in universities]
    generated = {
        "compulsory_conditions": [(2020, compulsory, evaluation.compulsory_values(districts, compulsory))],
        "kindergarten": [(2020, kindergartens, kg_rows)],
        "district_preschool": [(2020, districts, district_rows)],
        "hei": [(year, units, rows) for year, rows in evaluation.university_values(universities, [2019, 2020]).items()],
    }
    for code in dict.fromkeys(code for s in registry.all_schemes() for code in s.inputs):
        for year, members, rows in generated.get(code, []):  # a data set the demo does not generate stays empty
            past(code, members, rows, year)
    own = {
        "papers_per_faculty": 30,
        "research_per_faculty": 25,
        "employment_rate": 10,
        "satisfaction": 5,
        "output_per_funding": 10,
        "research_growth": 10,
        "employment_gain": 10,
    }
    WeightChoice.objects.bulk_create(
        WeightChoice(org=units[0], period=period, indicator=k, weight=v, chosen_by=users[f"{units[0].code}-principal"])
        for k, v in own.items()
    )

    inspector = users["inspector"]
    duty_spec = registry.get("district_duty").spec
    scores = evaluation.duty_scores(duty_spec, districts)
    DutyScore.objects.bulk_create(
        DutyScore(period=period, district=d, item=item, source=source, score=value, entered_by=inspector)
        for d in districts
        for source, items in scores[d.code].items()
        for item, value in items.items()
    )
    raised = date(2021, 3, 1)
    for d in districts:
        district_duty.raise_findings(duty_spec, period, d, inspector, raised)
    for n, rect in enumerate(Rectification.objects.filter(period=period).order_by("district__code", "item")):
        if n % 3 == 0:
            district_duty.revisit(
                rect, inspector, True, "回访核查：整改措施已落实，材料齐全，予以销号。", date(2021, 8, 20)
            )
        elif n % 7 == 1:
            district_duty.revisit(
                rect, inspector, False, "回访核查：整改方案已制定但尚未落实到位，继续整改。", date(2021, 8, 20)
            )

    thematic_spec = registry.get("thematic").spec
    rng = random.Random(evaluation.SEED + 4)
    spring, autumn = evaluation.visit_dates(2020)
    for n, school in enumerate(compulsory):
        for theme in thematic_spec["themes"]:
            answers = evaluation.visit_answers(thematic_spec, theme, rng)
            thematic.record_visit(thematic_spec, theme, school, inspector, spring + timedelta(days=n % 20), answers)
            if n % 2 == 0:  # the autumn revisit finds most items fixed
                later = answers if n % 6 == 0 else evaluation.all_met(thematic_spec, theme, answers)
                thematic.record_visit(thematic_spec, theme, school, inspector, autumn + timedelta(days=n % 10), later)


def _explain_warnings(campaign) -> None:
    """A school that submitted past a warning wrote an explanation; the demo does the same."""
    for sub in campaign.submissions.select_related("campaign__dataset", "campaign__period", "org"):
        for finding in check_submission(sub):
            if finding.severity == "error":  # the generator keeps every school inside the rules
                raise AssertionError(f"demo data breaks {finding.key} at {sub.org.code}")
            Explanation.objects.create(
                submission=sub, key=finding.key, text="经核实数据无误：当年校区调整及设备更新所致。"
            )


# Who takes a workflow step in the demo, by the step's role.
ACTORS = {
    Role.COLLECTOR: "{school}-collector",
    Role.CHECKER: "{school}-checker",
    Role.PRINCIPAL: "{school}-principal",
    Role.DISTRICT_REVIEWER: "d{district}",
    Role.CITY_ADMIN: "city_admin",
}


def _accept_all(campaign, wf, users, opens) -> None:
    """Record a finished review round (the workflow's forward path to its final state) for every submission."""
    transitions, statements = [], []
    for sub in campaign.submissions.select_related("org__parent"):
        state = sub.state
        district = sub.org if sub.org.level == Level.DISTRICT else sub.org.parent
        while state != wf.final:
            step = next(s for s in wf.steps if state in s.sources and s.action not in ("return", "reopen"))
            user = users[ACTORS[step.roles[0]].format(school=sub.org.code, district=district.code)]
            action = step.action
            transitions.append(
                Transition(submission=sub, action=action, from_state=state, to_state=step.target, user=user)
            )
            if step.statement:
                statements.append(
                    Statement(
                        submission=sub, signer=user, signer_name=f"{sub.org.name}校长", values_sha256=values_hash(sub)
                    )
                )
            state = step.target
        sub.state = state
        sub.save(update_fields=["state"])
    created = Transition.objects.bulk_create(transitions)
    signed = Statement.objects.bulk_create(statements)
    # auto_now_add stamps "now": move the records to the campaign's own time line. By primary key, not through a
    # join on the campaign: on freshly loaded, not yet analysed PostgreSQL tables the planner may pick a nested loop
    # for the join that turns this into minutes.
    Transition.objects.filter(pk__in=[t.pk for t in created]).update(at=opens + timedelta(days=20))
    Statement.objects.filter(pk__in=[s.pk for s in signed]).update(signed_at=opens + timedelta(days=18))
