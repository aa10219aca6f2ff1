"""The demo's 督学 (supervision): a registry of inspectors in 黄浦 and 徐汇, every school of those two districts 挂牌
to one of them (one reassignment kept as history), and a ledger of findings from their visits — some rectified and
re-checked, one sent back, one overdue and escalated, one 问责 on it. Written through ``supervision.services`` as the
district reviewers and the inspectors would, dated relative to today so the deadlines stay meaningful."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from dudao.orgs import selectors as orgs
from dudao.supervision import selectors, services
from dudao.supervision.vocabulary import InspectorKind, Severity, SourceKind

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

DISTRICTS = ("310101", "310104")
# (login suffix, name, kind) per district; the first of each district signs in as ``dx<district>-1``
PEOPLE = {
    "310101": [
        ("1", "陈立群", InspectorKind.FULL_TIME),
        ("2", "周慧敏", InspectorKind.RESPONSIBLE),
        ("3", "吴建华", InspectorKind.RESPONSIBLE),
    ],
    "310104": [
        ("1", "孙海燕", InspectorKind.FULL_TIME),
        ("2", "郑国强", InspectorKind.RESPONSIBLE),
        ("3", "王秀英", InspectorKind.RESPONSIBLE),
    ],
}
EXTRA = [("刘晓东", InspectorKind.SPECIAL), ("赵丽华", InspectorKind.PEOPLES)]  # join visits, not 挂牌
FINDINGS = [
    ("近视防控", "部分班级眼保健操未按时开展，教室照明未达标。", Severity.MEDIUM, SourceKind.THEMATIC),
    ("体育与健康", "每天校园体育活动一小时未落实，体育课被挤占。", Severity.HIGH, SourceKind.VISIT),
    ("作业管理", "作业总量公示制度未建立，学生书面作业时间偏长。", Severity.MEDIUM, SourceKind.VISIT),
    ("校园安全", "消防通道堆放杂物，应急演练记录不全。", Severity.HIGH, SourceKind.VISIT),
]


def load(users: dict[str, AbstractBaseUser]) -> dict[str, int]:
    User = get_user_model()
    today = timezone.localdate()
    qualified: dict[str, Any] = {
        "trained_on": today - timedelta(days=120),
        "certified_on": today - timedelta(days=730),
        "certificate_expires": today + timedelta(days=365 * 2),
    }
    counts = {"inspectors": 0, "assignments": 0, "findings": 0}
    for code in DISTRICTS:
        district = orgs.unit(code)
        if district is None:
            continue
        reviewer = users[f"d{code}"]
        people: list[Any] = []
        for suffix, name, kind in PEOPLE[code]:
            user, _ = User.objects.get_or_create(
                username=f"dx{code}-{suffix}", defaults={"first_name": f"{name}（督学）"}
            )
            user.password = users["admin"].password  # the demo password, hashed once
            user.save(update_fields=["password"])
            users[user.username] = user
            people.append(
                services.register_inspector(
                    district,
                    reviewer,
                    name=name,
                    kind=kind,
                    user=user,
                    phone=f"021-6{code[-2:]}0{suffix}000",
                    **qualified,
                )
            )
        for name, kind in EXTRA:
            services.register_inspector(district, reviewer, name=f"{name}{code[-1]}", kind=kind, **qualified)
        # one whose certificate lapsed: listed, refused for 挂牌 until renewed
        services.register_inspector(
            district,
            reviewer,
            name=f"过期{code[-1]}",
            trained_on=today - timedelta(days=500),
            certified_on=today - timedelta(days=1500),
            certificate_expires=today - timedelta(days=30),
        )
        counts["inspectors"] += len(people) + len(EXTRA) + 1
        schools = list(orgs.schools_under(district).order_by("code"))
        start = today - timedelta(days=90)  # the start of the term
        for n, school in enumerate(schools):
            # the first school (中华职业学校 in 黄浦) had another inspector until a month ago: history kept
            services.assign(school, people[2] if n == 0 else people[n % len(people)], reviewer, start)
            counts["assignments"] += 1
        if schools:
            services.assign(schools[0], people[0], reviewer, today - timedelta(days=30))
        for n, school in enumerate(schools[:8]):
            current = services.current_assignment(school)
            assert current is not None  # every school of the two districts was assigned above
            inspector = current.inspector
            theme, text, severity, source = FINDINGS[n % len(FINDINGS)]
            overdue = n == 3
            finding = services.raise_finding(
                school,
                inspector.user,
                theme=theme,
                text=text,
                severity=severity,
                source_kind=source,
                source_ref=f"{today.year}-访校-{n + 1:02d}",
                deadline=today - timedelta(days=10) if overdue else today + timedelta(days=30 + 10 * n),
            )
            counts["findings"] += 1
            principal = users[f"{school.code}-principal"]
            if n in (0, 1, 2):
                services.submit_rectification(
                    finding, principal, "已制定整改方案并落实到位，附整改前后对照材料。", finding.version
                )
            if n in (0, 1):
                services.recheck(finding, inspector.user, True, "复查：整改到位，予以销号。", finding.version)
            if n == 2:
                services.recheck(
                    finding, inspector.user, False, "复查：仍有两个班级未落实，继续整改。", finding.version
                )
    # every overdue item of the ledger escalates — this term's, and the few 督政 and thematic items of 2020–21 still
    # owed (see demo.load); the 问责 is filed on this term's overdue school item
    escalated = services.escalate_overdue(today)
    ours = [f for f in escalated if f.source_ref.startswith(f"{today.year}-访校-")]
    if ours:
        first = ours[0]
        assert first.owner.parent is not None  # a school's district
        services.hold_accountable(
            first,
            users[f"d{first.owner.parent.code}"],
            "约谈",
            f"{first.owner.name}校长",
            "逾期未整改，约谈校长并限期十日内整改到位。",
        )
    counts.update(visits(users, today))
    return counts


def visits(users: dict[str, AbstractBaseUser], today: date) -> dict[str, int]:
    """This term's visit plans (two visits per school) and the visits made so far, recorded as the phone would; one
    school per district had an unsafe fire exit and less exercise than required, which raised findings into the
    ledger. Then the 2021 thematic inspection of 近视防控: a random sample of city schools with its recorded seed."""
    term = services.term_of(today)
    first, _last = services.term_dates(term)
    counts = {"plans": 0, "visits": 0}
    for code in DISTRICTS:
        district = orgs.unit(code)
        if district is None:
            continue
        for n, school in enumerate(orgs.schools_under(district).order_by("code")[:8]):
            current = services.current_assignment(school)
            if current is None:
                continue
            services.plan_visits(current.inspector, school, term, 2, users[f"d{code}"])
            counts["plans"] += 1
            for k in range(1 if n % 3 else 2):  # every third school has had both of its visits
                on = max(first, today - timedelta(days=50 - 20 * k - n))
                unmet = n == 5 and k == 0
                services.record_visit(
                    current.inspector.user,
                    client_uuid=str(uuid.uuid5(uuid.NAMESPACE_URL, f"dudao-demo-visit-{school.code}-{k}")),
                    school=school,
                    visited_on=on,
                    answers={**ROUTINE_MET, **({"safety": False, "exercise_minutes": 45} if unmet else {})},
                    started_at="09:00",
                    ended_at="11:30",
                    notes="随堂听课两节，查阅台账，与校长、教师座谈。",
                    # the district's 特约教育督导员 and 人民教育督察员 joined the first visit of the term
                    companions=[p.pk for p in selectors.companions_for([school])] if n == 0 and k == 0 else [],
                )
                counts["visits"] += 1
    city = orgs.unit("310000")
    if city is not None:
        services.sample_schools(city, "myopia", 12, users["city_admin"], year=2021, seed="2021-myopia-sample")
    return counts


ROUTINE_MET = {
    "governance": True,
    "curriculum": True,
    "homework": True,
    "safety": True,
    "canteen": True,
    "exercise_minutes": 65,
}


def publish(users: dict[str, AbstractBaseUser]) -> None:
    """The city publishes this term's 督学工作概况 to the portal (counts only), after every source raised its findings."""
    term = services.term_of(timezone.localdate())
    services.publish_summary(users["city_admin"], f"上海市责任督学挂牌督导工作概况（{term}学期）")
