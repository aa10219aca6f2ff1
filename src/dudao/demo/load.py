"""Load the Shanghai demo (上海演示数据): org tree, 71 vocational schools, 2018–2020 accepted data, an open 2021
campaign, and one user per role. Values are bulk-inserted (the demo is history, not edits) but states, transitions and
statements are the same records the workflow writes, so the demo looks exactly like three finished years."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from dudao.collection.campaigns import open_campaign, yearly_period
from dudao.collection.catalog import load_all_datasets
from dudao.collection.models import DataElement, DataSet, DataValue, Explanation
from dudao.collection.services import check_submission, values_hash
from dudao.orgs.catalog import group, load_org_catalog
from dudao.orgs.models import Level, Membership, OrgUnit, Role
from dudao.review.models import Statement, Transition
from dudao.review.workflow import workflows

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

    users = _users(city, districts.values(), schools)
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


def _users(city, districts, schools) -> dict[str, object]:
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
    users = {}
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


def _explain_warnings(campaign) -> None:
    """A school that submitted past a warning wrote an explanation; the demo does the same."""
    for sub in campaign.submissions.select_related("campaign__dataset", "campaign__period", "org"):
        for finding in check_submission(sub):
            if finding.severity == "error":  # the generator keeps every school inside the rules
                raise AssertionError(f"demo data breaks {finding.key} at {sub.org.code}")
            Explanation.objects.create(
                submission=sub, key=finding.key, text="经核实数据无误：当年校区调整及设备更新所致。"
            )


def _accept_all(campaign, wf, users, opens) -> None:
    """Record a finished review round for every submission of a past campaign."""
    actors = {
        "submit": "{school}-collector",
        "check": "{school}-checker",
        "approve": "{school}-principal",
        "district_accept": "d{district}",
        "city_accept": "city_admin",
    }
    transitions, statements = [], []
    for sub in campaign.submissions.select_related("org__parent"):
        state = sub.state
        for action, pattern in actors.items():
            step = next(s for s in wf.steps if s.action == action and state in s.sources)
            user = users[pattern.format(school=sub.org.code, district=sub.org.parent.code)]
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
    Transition.objects.bulk_create(transitions)
    Statement.objects.bulk_create(statements)
    # auto_now_add stamps "now": move the records to the campaign's own time line
    Transition.objects.filter(submission__campaign=campaign).update(at=opens + timedelta(days=20))
    Statement.objects.filter(submission__campaign=campaign).update(signed_at=opens + timedelta(days=18))
