"""Role × endpoint matrix (#16 item 1): every URL pattern of the project is classified here, and every endpoint that
accepts a write (POST/PUT/PATCH/DELETE, pages and API alike) is tried by every demo login.

For a write endpoint, each login that is not among its writers must be refused — 403, 404 or a redirect to the login
page (or, where the table says the page answers refusals that way, a redirect carrying an error message) — and the
database must be unchanged: the row count of every table (the audit-history tables included, so an UPDATE of an
audited row shows) and the rows the entry names. One writer must then succeed on the same representative case.

The URLconf is walked with Django's resolver; a pattern without an entry fails ``test_every_endpoint_is_classified``,
so a new endpoint cannot ship without someone deciding who may write through it.

The attack of #16 is replayed by name: the read-only 分析员 files 督办 progress and answers a reminder, and is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.messages import constants as message_levels
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from dudao.demo.load import DEMO_LOGINS

pytestmark = pytest.mark.django_db

# every demo login but the superuser (the catalogue maintainer may do anything), plus a second district, so that
# "a district reviewer, but of another district" is tried too
LOGINS = [name for name, _ in DEMO_LOGINS if name != "admin"] + ["d310104"]
CITY_OFFICE = {"city_admin", "zjc"}  # zjc holds city_admin at 市教委职业教育处, which is under the city: not above it


def model(label: str):
    return apps.get_model(label)


class Ctx:
    """Representative objects of the demo that the entries' URLs and bodies name (looked up on first use)."""

    def __init__(self) -> None:
        self._cache: dict[str, Any] = {}

    def _get(self, key: str, make: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def user(self, username: str):
        return get_user_model().objects.get(username=username)

    @property
    def sub(self):
        """中华职业学校's open 2021 vocational submission (still a draft)."""
        return self._get(
            "sub",
            lambda: model("collection.Submission").objects.get(
                org__code="3101010001", campaign__dataset__code="vocational_quality", campaign__period__code="2021"
            ),
        )

    @property
    def accepted_sub(self):
        """The same school's accepted 2020 submission (nobody edits it; a city admin may reopen it)."""
        return self._get(
            "accepted_sub",
            lambda: model("collection.Submission").objects.get(
                org__code="3101010001", campaign__dataset__code="vocational_quality", campaign__period__code="2020"
            ),
        )

    @property
    def work_plan(self):
        return self._get("work_plan", lambda: model("plans.Plan").objects.get(year=2020))

    def assignment(self, task_no: int, org_code: str):
        return model("plans.Assignment").objects.get(task__plan=self.work_plan, task__no=task_no, org__code=org_code)

    @property
    def district_assignment(self):
        """Task 28, led by 宝山 (310110): lagging, with an open reminder."""
        return self._get("district_assignment", lambda: self.assignment(28, "310110"))

    @property
    def reminder(self):
        return self._get(
            "reminder", lambda: model("plans.Reminder").objects.filter(assignment=self.district_assignment).get()
        )

    def open_account_assignment(self, task_no: int):
        """职业教育处's assignment of a task (assigned here if the demo did not), with no year-end account yet."""
        from datetime import date as day

        from dudao.plans import services

        task = model("plans.Task").objects.get(plan=self.work_plan, no=task_no)
        zjc = model("orgs.OrgUnit").objects.get(code="310000-ZJC")
        assignment = services.assign(task, zjc, "co", day(2020, 12, 31), self.user("city_admin"))
        model("plans.Account").objects.filter(assignment=assignment).delete()
        return assignment

    @property
    def account_assignment(self):
        return self._get("account_assignment", lambda: self.open_account_assignment(11))

    @property
    def submitted_account(self):
        """职业教育处's account of task 13, submitted by the office (zjc) and waiting for its head."""

        def make():
            from dudao.plans import accounts

            assignment = self.open_account_assignment(13)
            return accounts.save(assignment, self.user("zjc"), "矩阵测试交账", version=0, submit=True)

        return self._get("submitted_account", make)

    @property
    def chapter(self):
        """A chapter of the city's 2020 report with a picked case, returned to its compilers (editable again)."""

        def make():
            from dudao.compiling import services

            found = (
                model("compiling.Chapter")
                .objects.filter(org__code="310000", period__code="2020", parts__cases__isnull=False)
                .order_by("pk")
                .first()
            )
            return services.return_(found, self.user("city_admin"), "矩阵测试：退回修改")

        return self._get("chapter", make)

    @property
    def part(self):
        return self._get("part", lambda: self.chapter.parts.filter(cases__isnull=False).order_by("pk").first())

    @property
    def case_pick(self):
        return self._get("case_pick", lambda: model("compiling.CasePick").objects.filter(part=self.part).first())

    def chapter_args(self, *more) -> list:
        return ["310000", "2020", self.chapter.key, *more]

    @property
    def pending_publication(self):
        """A pending request to publish 黄浦's 2020 report, filed by its reviewer (approved by someone else)."""

        def make():
            from dudao.portal import publishing

            district, period = (
                model("orgs.OrgUnit").objects.get(code="310101"),
                model("collection.Period").objects.get(code="2020"),
            )
            return publishing.request(district, period, self.user("d310101"), notify=False)

        return self._get("pending_publication", make)

    @property
    def failed_batch(self):
        """An interrupted batch run of 黄浦's 2020 school reports, to be retried."""

        def make():
            BatchRun = model("portal.BatchRun")
            return BatchRun.objects.create(
                org=model("orgs.OrgUnit").objects.get(code="310101"),
                period=model("collection.Period").objects.get(code="2020"),
                status=BatchRun.Status.FAILED,
                requested_by=self.user("d310101"),
            )

        return self._get("failed_batch", make)

    def finding(self, state: str):
        """A finding of 中华职业学校 (its 责任督学 is dx310101-1) raised by the district, open or with a rectification
        waiting for the re-check; or the demo's escalated one in 黄浦."""

        def make():
            from datetime import timedelta

            from django.utils import timezone

            from dudao.supervision import services as supervision

            if state == "escalated":
                return (
                    model("supervision.Finding")
                    .objects.filter(owner__parent__code="310101", escalated_at__isnull=False)
                    .first()
                )
            school = model("orgs.OrgUnit").objects.get(code="3101010001")
            found = supervision.raise_finding(
                school,
                self.user("d310101"),
                theme="矩阵测试",
                text="矩阵测试问题。",
                deadline=timezone.localdate() + timedelta(days=30),
            )
            if state == "rectifying":
                supervision.submit_rectification(
                    found, self.user("3101010001-principal"), "矩阵测试整改。", found.version
                )
            return found

        return self._get(f"finding-{state}", make)

    @property
    def monitoring_task(self):
        """中华职业学校's row in the demo's 中职 programme monitoring (学前教育), its checklist not yet started."""
        return self._get(
            "monitoring_task",
            lambda: model("monitoring.SampledSchool").objects.get(school__code="3101010001", stratum="160100"),
        )

    def notification_of(self, username: str):
        def make():
            from dudao.notifications.services import notify
            from dudao.notifications.vocabulary import Kind

            notify([self.user(username)], Kind.REMINDER, "矩阵测试", "正文", "/")
            return model("notifications.Notification").objects.filter(user__username=username).latest("pk")

        return self._get(f"note-{username}", make)


@dataclass
class Write:
    """One write endpoint: a representative request, who may make it (``writers``), and one of them to succeed."""

    url: Callable[[Ctx], str]
    data: Callable[[Ctx], dict] = lambda c: {}
    writers: frozenset[str] = frozenset()
    allowed: str = ""  # the writer whose request must succeed
    method: str = "post"
    api: bool = False
    # the page answers a refusal with a redirect back and an error message rather than a 403 (kept where a user
    # who may write sees the same message for a step that is not possible now)
    message_refusal: bool = False
    watch: Callable[[Ctx], list] = lambda c: []  # rows that must not change on a refusal (UPDATEs of unaudited rows)
    ok: tuple[int, ...] = (200, 302)
    changes: bool = True  # the writer's representative request changes the database (else: it is only answered)


@dataclass
class Exempt:
    """An endpoint that is not an authorization-relevant write, and why."""

    why: str
    methods: tuple[str, ...] = field(default=("get",))


READ = Exempt("reads only (GET); a POST is refused or answered as a GET without writing")


def values(qs) -> list:
    return list(qs.order_by("pk").values_list())


HEI_WEIGHTS = (
    "papers_per_faculty",
    "research_per_faculty",
    "doctoral_share",
    "employment_rate",
    "satisfaction",
    "output_per_funding",
    "research_growth",
    "employment_gain",
    "student_teacher_ratio",
    "dropout_rate",
)


def duty_items() -> list[dict]:
    from dudao.evaluation import registry

    return registry.get("district_duty").spec["items"]


def version_of(label: str, **lookup) -> int:
    """The stored row's version as its form would send it back (0: no row yet) — every edit form carries one
    (dudao.concurrency), so each role's request is the real form's, and a refusal is the role's, not the version's."""
    return model(label).objects.filter(**lookup).values_list("version", flat=True).first() or 0


WRITES: dict[str, Write] = {
    # ------------------------------------------------------------------------------------------ plans (#16 item 1)
    "plans:report": Write(
        url=lambda c: reverse("plans:report", args=[c.district_assignment.pk]),
        data=lambda c: {
            "period": "2021Q1",
            "status": "in_progress",
            "narrative": "矩阵测试进展",
            "version": version_of("plans.Assignment", pk=c.district_assignment.pk),
        },
        writers=frozenset({"city_admin"}),  # 宝山's reviewer is not a demo login; 黄浦's is another district
        allowed="city_admin",
    ),
    "plans:answer": Write(
        url=lambda c: reverse("plans:answer", args=[c.reminder.pk]),
        data=lambda c: {"answer": "矩阵测试回复", "version": version_of("plans.Reminder", pk=c.reminder.pk)},
        writers=frozenset({"city_admin"}),
        allowed="city_admin",
        watch=lambda c: [model("plans.Reminder").objects.filter(pk=c.reminder.pk)],
    ),
    "plans:remind": Write(
        url=lambda c: reverse("plans:remind", args=[c.district_assignment.pk]),
        data=lambda c: {"text": "矩阵测试督办"},
        writers=frozenset({"city_admin", "inspector"}),
        allowed="inspector",
    ),
    "plans:assign": Write(
        url=lambda c: reverse("plans:assign", args=[c.district_assignment.task_id]),
        data=lambda c: {"org": "310101", "role": "co", "deadline": "2021-06-30"},
        writers=frozenset({"city_admin", "inspector"}),
        allowed="city_admin",
    ),
    "plans:import": Write(
        url=lambda c: reverse("plans:import"),
        data=lambda c: {
            "year": "2030",
            "file": SimpleUploadedFile("p.txt", "2030年工作要点\n一、总体\n1. 矩阵测试任务。\n".encode()),
        },
        writers=frozenset({"city_admin", "inspector"}),
        allowed="city_admin",
    ),
    # -------------------------------------------------------------------------------------- 年终交账, 工作年报 (#20)
    "plans:account": Write(
        url=lambda c: reverse("plans:account", args=[c.account_assignment.pk]),
        data=lambda c: {"text": "矩阵测试交账", "action": "save", "version": 0},
        writers=frozenset({"city_admin", "zjc"}),  # the office's writers; the city's plan administrators above it
        allowed="zjc",
    ),
    "plans:account_review": Write(
        url=lambda c: reverse("plans:account_review", args=[c.submitted_account.assignment_id, "approve"]),
        data=lambda c: {"version": c.submitted_account.version},
        # the office head (审核员 at the office; not a demo login) or a city admin — never zjc, who submitted it
        writers=frozenset({"city_admin"}),
        allowed="city_admin",
        watch=lambda c: [model("plans.Account").objects.filter(pk=c.submitted_account.pk)],
    ),
    "compiling:work_publish": Write(
        url=lambda c: reverse("compiling:work_publish", args=[c.work_plan.pk]),
        writers=frozenset({"city_admin"}),  # the plan owner's page; asking to publish is the city admins' (portal)
        allowed="city_admin",
    ),
    # ------------------------------------------------------------------------------------------ collection, review
    "collection:save_value": Write(
        url=lambda c: reverse("collection:save_value", args=[c.sub.pk, "students_total"]),
        data=lambda c: {
            "value": "1234",
            "version": version_of(
                "collection.DataValue",
                org=c.sub.org,
                period=c.sub.campaign.period,
                element__code="students_total",
                category_option="",
            ),
        },
        writers=frozenset({"3101010001-collector", "d310101", "city_admin"}),
        allowed="3101010001-collector",
        watch=lambda c: [model("collection.DataValue").objects.filter(org=c.sub.org, period=c.sub.campaign.period)],
    ),
    "collection:explain": Write(
        url=lambda c: reverse("collection:explain", args=[c.sub.pk]),
        data=lambda c: {"key": "no_such_warning", "text": "矩阵测试说明"},
        writers=frozenset({"3101010001-collector", "d310101", "city_admin"}),
        allowed="3101010001-collector",
        changes=False,  # an empty draft has no warning to explain: the writer is answered, not refused
        watch=lambda c: [model("collection.Explanation").objects.filter(submission=c.sub)],
    ),
    "collection:school_upload": Write(
        url=lambda c: reverse("collection:school_upload", args=[c.sub.pk]),
        data=lambda c: {"file": school_workbook(c)},
        writers=frozenset({"3101010001-collector", "d310101", "city_admin"}),
        allowed="3101010001-collector",
    ),
    "collection:district_upload": Write(
        url=lambda c: reverse("collection:district_upload", args=[c.sub.campaign_id, "310101"]),
        data=lambda c: {"file": district_workbook(c)},
        writers=frozenset({"d310101", "city_admin"}),
        allowed="d310101",
        changes=False,  # the district's template as downloaded: accepted, nothing new to store
    ),
    "review:act": Write(
        url=lambda c: reverse("review:act", args=[c.accepted_sub.pk, "reopen"]),
        data=lambda c: {"reason": "矩阵测试重开"},
        writers=frozenset({"city_admin"}),
        allowed="city_admin",
        watch=lambda c: [model("collection.Submission").objects.filter(pk=c.accepted_sub.pk)],
    ),
    "review:coverage_remind": Write(
        url=lambda c: reverse("review:coverage_remind", args=[c.sub.campaign_id]),
        data=lambda c: {"org": "310101"},
        writers=frozenset({"d310101", "city_admin"}),
        allowed="d310101",
    ),
    # ------------------------------------------------------------------------------------------ API
    "api:submission_values": Write(
        url=lambda c: reverse("api:submission_values", args=[c.sub.pk]),
        data=lambda c: {"values": {"students_total": "1234"}},
        writers=frozenset({"3101010001-collector", "d310101", "city_admin"}),
        allowed="3101010001-collector",
        method="patch",
        api=True,
        watch=lambda c: [model("collection.DataValue").objects.filter(org=c.sub.org, period=c.sub.campaign.period)],
    ),
    "api:submission_action": Write(
        url=lambda c: reverse("api:submission_action", args=[c.accepted_sub.pk, "reopen"]),
        data=lambda c: {"reason": "矩阵测试重开"},
        writers=frozenset({"city_admin"}),
        allowed="city_admin",
        api=True,
        watch=lambda c: [model("collection.Submission").objects.filter(pk=c.accepted_sub.pk)],
    ),
    # ------------------------------------------------------------------------------------------ statistics
    "statistics:import": Write(
        url=lambda c: reverse("statistics:import"),
        data=lambda c: {
            "name": "矩阵测试统计",
            "publisher": "上海市教育委员会",
            "published_on": "2021-03-31",
            "link": "",
            "period": "2020",
            "file": SimpleUploadedFile("t.csv", "单位代码,指标代码,数值\n310101,stat_voc_schools,4\n".encode()),
        },
        writers=frozenset({"city_admin", "compiler"}),
        allowed="compiler",
    ),
    # ------------------------------------------------------------------------------------------ compiling
    "compiling:part_save": Write(
        url=lambda c: reverse("compiling:part_save", args=c.chapter_args()),
        data=lambda c: {"title": "", "text": "矩阵测试段落。", "version": c.chapter.version},
        writers=frozenset({"compiler"}),
        allowed="compiler",
    ),
    "compiling:part_edit": Write(
        url=lambda c: reverse("compiling:part_edit", args=c.chapter_args(c.part.pk)),
        data=lambda c: {"title": "", "text": "矩阵测试改写。", "version": c.chapter.version},
        writers=frozenset({"compiler"}),
        allowed="compiler",
        watch=lambda c: [model("compiling.Part").objects.filter(pk=c.part.pk)],
    ),
    "compiling:part_remove": Write(
        url=lambda c: reverse("compiling:part_remove", args=c.chapter_args(c.part.pk)),
        data=lambda c: {"version": c.chapter.version},
        writers=frozenset({"compiler"}),
        allowed="compiler",
        message_refusal=True,
    ),
    "compiling:case_pick": Write(
        url=lambda c: reverse("compiling:case_pick", args=c.chapter_args()),
        data=lambda c: {"part": c.part.pk, **unpicked_case(c)},
        writers=frozenset({"compiler"}),
        allowed="compiler",
        message_refusal=True,
    ),
    "compiling:case_edit": Write(
        url=lambda c: reverse("compiling:case_edit", args=c.chapter_args(c.case_pick.pk)),
        data=lambda c: {
            "title": "矩阵测试案例",
            "body": "正文。",
            "credit": "矩阵测试学校",
            "version": c.chapter.version,
        },
        writers=frozenset({"compiler"}),
        allowed="compiler",
        message_refusal=True,
        watch=lambda c: [model("compiling.CasePick").objects.filter(pk=c.case_pick.pk)],
    ),
    "compiling:case_remove": Write(
        url=lambda c: reverse("compiling:case_remove", args=c.chapter_args(c.case_pick.pk)),
        data=lambda c: {"version": c.chapter.version},
        writers=frozenset({"compiler"}),
        allowed="compiler",
        message_refusal=True,
    ),
    "compiling:review": Write(
        url=lambda c: reverse("compiling:review", args=c.chapter_args("submit")),
        writers=frozenset({"compiler"}),
        allowed="compiler",
        watch=lambda c: [model("compiling.Chapter").objects.filter(pk=c.chapter.pk)],
    ),
    # ------------------------------------------------------------------------------------------ evaluation
    "evaluation:hei_weights": Write(
        url=lambda c: reverse("evaluation:hei_weights"),
        data=lambda c: {
            "org": "310000U001",
            "period": "2020",
            "papers_per_faculty": 25,  # within the 学术研究型 bounds, adding up to 100
            "research_per_faculty": 20,
            "doctoral_share": 10,
            "employment_rate": 10,
            "satisfaction": 5,
            "output_per_funding": 15,
            "research_growth": 5,
            "employment_gain": 5,
            "student_teacher_ratio": 5,
            "dropout_rate": 0,
            **{
                f"version_{code}": version_of(
                    "evaluation.WeightChoice", org__code="310000U001", period__code="2020", indicator=code
                )
                for code in HEI_WEIGHTS
            },
        },
        writers=frozenset({"310000U001-principal", "city_admin"}),
        allowed="310000U001-principal",
    ),
    "evaluation:duty_scores": Write(
        url=lambda c: reverse("evaluation:duty_scores"),
        data=lambda c: {
            "org": "310104",
            "period": "2020",
            "source": "onsite",
            "A1": "3",
            **{  # the form sends every item's version, scored or not
                f"version_onsite_{item['code']}": version_of(
                    "evaluation.DutyScore",
                    district__code="310104",
                    period__code="2020",
                    source="onsite",
                    item=item["code"],
                )
                for item in duty_items()
            },
        },
        writers=frozenset({"inspector", "city_admin"}),
        allowed="inspector",
    ),
    "evaluation:preschool_check": Write(
        url=lambda c: reverse("evaluation:preschool_check"),
        data=lambda c: {
            "org": "310104",
            "period": "2020",
            "on": "2020-11-20",
            "onsite_conditions": "1",
            "onsite_data": "1",
            "note": "抽查3所幼儿园",  # 无“小学化” left unticked: a real answer ("否"), not a missing one
            "version": str(version_of("evaluation.PreschoolCheck", district__code="310104", period__code="2020")),
        },
        writers=frozenset({"inspector", "city_admin"}),  # 督学 of 徐汇, and the city's
        allowed="inspector",
        watch=lambda c: [model("evaluation.PreschoolCheck").objects.filter(district__code="310104")],
    ),
    "evaluation:self_evaluation": Write(
        # 黄浦 has no 学前普及普惠 自评报告 in the demo: its own 区审核员 starts it (version 0); 徐汇's, the
        # clerk and the city are refused — the city returns a report, it never writes the district's text
        url=lambda c: reverse("evaluation:self_evaluation", args=["preschool"]),
        data=lambda c: {"org": "310101", "period": "2020", "version": "0", "action": "save", "overview": "矩阵"},
        writers=frozenset({"d310101"}),
        allowed="d310101",
    ),
    "evaluation:self_evaluation_return": Write(
        # 徐汇 submitted its 优质均衡 自评报告: a 市管理员 or 市督学 of the city sends it back (zjc sits beside
        # the city)
        url=lambda c: reverse("evaluation:self_evaluation_return", args=["balanced"]),
        data=lambda c: {
            "org": "310104",
            "period": "2020",
            "reason": "矩阵测试退回",
            "version": str(
                version_of("evaluation.SelfEvaluation", scheme="balanced", district__code="310104", period__code="2020")
            ),
        },
        writers=frozenset({"inspector", "city_admin"}),
        allowed="inspector",
        watch=lambda c: [model("evaluation.SelfEvaluation").objects.filter(district__code="310104")],
    ),
    "evaluation:duty_findings": Write(
        url=lambda c: reverse("evaluation:duty_findings"),
        data=lambda c: {"org": "310104", "period": "2020"},
        writers=frozenset({"inspector", "city_admin"}),
        allowed="inspector",
        changes=False,  # findings are raised from low scores; the demo's may all be raised already
    ),
    "evaluation:dev_self": Write(
        # 长宁实验小学 has no 发展性督导评价 yet: its principal starts the self-evaluation (version 0)
        url=lambda c: reverse("evaluation:dev_self", args=["3101051001"]),
        data=lambda c: {
            "period": "2020",
            "version": "0",
            "gov_direction_rating": "good",
            "gov_direction_narrative": "矩阵",
        },
        writers=frozenset({"3101051001-principal"}),
        allowed="3101051001-principal",
    ),
    "evaluation:dev_review": Write(
        # 3101011004's self-evaluation waits for review; its 责任督学 is not a demo login, 黄浦's reviewer is
        url=lambda c: reverse("evaluation:dev_review", args=["3101011004"]),
        data=lambda c: {
            "period": "2020",
            "version": str(model("evaluation.DevelopmentalEvaluation").objects.get(school__code="3101011004").version),
            "gov_direction_rating": "good",
            "gov_direction_comment": "矩阵测试评议",
        },
        writers=frozenset({"d310101"}),
        allowed="d310101",
        watch=lambda c: [model("evaluation.DevelopmentalEvaluation").objects.filter(school__code="3101011004")],
    ),
    "evaluation:duty_part": Write(
        # 市公安局 has not filed its part of the 2020 履职自评: its own staff start it (version 0)
        url=lambda c: reverse("evaluation:duty_part", args=["310000-GAJ"]),
        data=lambda c: {"period": "2020", "version": "0", "gaj_campus_value": "yes", "gaj_campus_narrative": "矩阵"},
        writers=frozenset({"gaj"}),
        allowed="gaj",
    ),
    "evaluation:duty_review": Write(
        # 市卫生健康委's part waits for the 督导室's review (市管理员 / 市督学 of the city; zjc sits beside it)
        url=lambda c: reverse("evaluation:duty_review", args=["310000-WJW"]),
        data=lambda c: {
            "period": "2020",
            "action": "approve",
            "version": str(version_of("evaluation.DutyPart", department__code="310000-WJW", period__code="2020")),
        },
        writers=frozenset({"inspector", "city_admin"}),
        allowed="inspector",
        watch=lambda c: [model("evaluation.DutyPart").objects.filter(department__code="310000-WJW")],
    ),
    "evaluation:duty_dept_scores": Write(
        url=lambda c: reverse("evaluation:duty_dept_scores", args=["310000-CZJ"]),
        data=lambda c: {
            "period": "2020",
            "policy": "20",
            **{
                f"version_onsite_{code}": version_of(
                    "evaluation.DutyScore", district__code="310000-CZJ", period__code="2020", source="onsite", item=code
                )
                for code in ("policy", "planning", "resources", "conditions")
            },
        },
        writers=frozenset({"inspector", "city_admin"}),
        allowed="inspector",
    ),
    "evaluation:duty_dept_findings": Write(
        url=lambda c: reverse("evaluation:duty_dept_findings", args=["310000-GHZY"]),
        data=lambda c: {"period": "2020"},
        writers=frozenset({"inspector", "city_admin"}),
        allowed="inspector",
        changes=False,  # the demo raised 市规划资源局's finding already (once per item)
    ),
    "evaluation:visit": Write(
        url=lambda c: reverse("evaluation:visit"),
        data=lambda c: {
            "org": "310104",
            "period": "2020",
            "school": "3101041001",
            "theme": "myopia",
            "on": "2020-12-01",
            "eye_exercises": "1",
            "screening": "1",
            "outdoor_minutes": "90",
            "lighting": "1",
            "homework_control": "1",
        },
        writers=frozenset({"inspector", "city_admin"}),
        allowed="inspector",
    ),
    # ------------------------------------------------------------------------------------------ portal
    "portal:desk_request": Write(
        url=lambda c: reverse("portal:desk_request"),
        data=lambda c: {"org": "310101", "period": "2020", "reason": "矩阵测试：更正后重新发布"},
        # the analyst requests the city's publication by design (portal.publishing.REQUEST_ROLES); the district's
        # clerk its own 区级年报 (publishing.may_request); someone else approves
        writers=frozenset({"d310101", "d310101-clerk", "city_admin", "analyst"}),
        allowed="d310101",
    ),
    "portal:desk_review": Write(
        url=lambda c: reverse("portal:desk_review", args=[c.pending_publication.pk, "approve"]),
        data=lambda c: {"note": "矩阵测试发布"},
        writers=frozenset({"city_admin"}),  # d310101 requested it: four eyes
        allowed="city_admin",
        watch=lambda c: [model("portal.Publication").objects.filter(pk=c.pending_publication.pk)],
    ),
    "portal:batch_start": Write(
        url=lambda c: reverse("portal:batch_start"),
        data=lambda c: {"org": "310101", "period": "2020"},
        writers=frozenset({"d310101", "city_admin", "analyst"}),
        allowed="d310101",
    ),
    "portal:batch_retry": Write(
        url=lambda c: reverse("portal:batch_retry", args=[c.failed_batch.pk]),
        writers=frozenset({"d310101", "city_admin", "analyst"}),
        allowed="d310101",
        watch=lambda c: [model("portal.BatchRun").objects.filter(pk=c.failed_batch.pk)],
    ),
    # ------------------------------------------------------------------------------------------ supervision
    "supervision:raise": Write(
        url=lambda c: reverse("supervision:raise"),
        data=lambda c: {"owner": "3101010001", "theme": "矩阵测试", "text": "矩阵测试问题。", "deadline": "2031-06-30"},
        # the school's 责任督学, and the supervisors above it (district reviewer, city admin, city 督学)
        writers=frozenset({"dx310101-1", "d310101", "city_admin", "inspector"}),
        allowed="dx310101-1",
    ),
    "supervision:rectify": Write(
        url=lambda c: reverse("supervision:rectify", args=[c.finding("open").pk]),
        data=lambda c: {"text": "矩阵测试整改。", "version": c.finding("open").version},
        writers=frozenset({"3101010001-principal", "3101010001-checker"}),  # the owner unit answers
        allowed="3101010001-principal",
        watch=lambda c: [model("supervision.Finding").objects.filter(pk=c.finding("open").pk)],
    ),
    "supervision:recheck": Write(
        url=lambda c: reverse("supervision:recheck", args=[c.finding("rectifying").pk]),
        data=lambda c: {"verdict": "accept", "note": "", "version": c.finding("rectifying").version},
        writers=frozenset({"dx310101-1", "d310101", "city_admin", "inspector"}),
        allowed="dx310101-1",
        watch=lambda c: [model("supervision.Finding").objects.filter(pk=c.finding("rectifying").pk)],
    ),
    "supervision:accountability": Write(
        url=lambda c: reverse("supervision:accountability", args=[c.finding("escalated").pk]),
        data=lambda c: {"measure": "约谈", "target": "矩阵测试校长"},
        writers=frozenset({"d310101", "city_admin"}),
        allowed="d310101",
    ),
    "supervision:assign": Write(
        url=lambda c: reverse("supervision:assign"),
        data=lambda c: {
            "school": "3101010001",
            "inspector": model("supervision.Inspector").objects.get(user__username="dx310101-3").pk,
            "on": today().isoformat(),  # the demo's inspectors are qualified today
        },
        writers=frozenset({"d310101", "city_admin"}),
        allowed="d310101",
    ),
    "supervision:visit_sync": Write(
        url=lambda c: reverse("supervision:visit_sync"),
        data=lambda c: {
            "visit": (
                '{"client_uuid": "5b0c7a3e-2f7e-4d7c-9a55-0f3f6a1d2e01", "school": "3101010001", "visited_on": "%s",'
                ' "kind": "routine", "answers": {}}' % today().isoformat()
            )
        },
        # who may raise findings at the school: its 责任督学 and the supervisors above it
        writers=frozenset({"dx310101-1", "d310101", "city_admin", "inspector"}),
        allowed="dx310101-1",
        ok=(200, 201),
    ),
    "supervision:plan_set": Write(
        url=lambda c: reverse("supervision:plan_set"),
        data=lambda c: {
            "school": "3101010001",
            "inspector": model("supervision.Inspector").objects.get(user__username="dx310101-1").pk,
            "term": "2031-1",
            "visits_required": "3",
        },
        writers=frozenset({"d310101", "city_admin"}),
        allowed="d310101",
    ),
    "supervision:sampling_draw": Write(
        url=lambda c: reverse("supervision:sampling_draw"),
        data=lambda c: {"under": "310101", "theme": "myopia", "n": "2", "year": "2031", "seed": "matrix"},
        writers=frozenset({"d310101", "city_admin"}),
        allowed="d310101",
    ),
    "supervision:publish": Write(
        url=lambda c: reverse("supervision:publish"),
        data=lambda c: {"title": "矩阵测试概况"},
        writers=frozenset({"city_admin"}),  # the city publishes what the public sees of the ledger
        allowed="city_admin",
    ),
    # ------------------------------------------------------------------------------------------ surveys
    "surveys:open": Write(
        url=lambda c: reverse("surveys:open"),
        data=lambda c: {
            "questionnaire": "duty_satisfaction",
            "org": "310101",
            "period": "2021",
            "opens": "2021-03-01",
            "closes": "2021-03-31",
        },
        writers=frozenset({"city_admin", "d310101"}),  # 市管理员, and 区审核员 in their own district
        allowed="d310101",
    ),
    "surveys:close": Write(
        url=lambda c: reverse(
            "surveys:close",
            args=[model("surveys.Survey").objects.get(questionnaire="duty_satisfaction", period__code="2020").pk],
        ),
        writers=frozenset({"city_admin"}),  # the demo's survey is the city's: a district may not end it
        allowed="city_admin",
        watch=lambda c: [model("surveys.Survey").objects.filter(questionnaire="duty_satisfaction")],
    ),
    # ------------------------------------------------------------------------------------------ 质量监测
    "monitoring:create": Write(
        url=lambda c: reverse("monitoring:create"),
        data=lambda c: {
            "kind": "vocational",
            "year": "2031",
            "test_day": "2031-05-12",
            "programmes": ["160100"],
            "quota": "2",
            "seed": "matrix",
        },
        writers=frozenset({"city_admin"}),  # the city organises; zjc's city_admin is held at a 处室, not the city
        allowed="city_admin",
    ),
    "monitoring:move_date": Write(
        url=lambda c: reverse("monitoring:move_date", args=[c.monitoring_task.campaign.schedule.get(code="test").pk]),
        data=lambda c: {
            "due": f"{c.monitoring_task.campaign.year}-12-01",
            "version": str(c.monitoring_task.campaign.schedule.get(code="test").version),
            "reason": "国家监测中心通知调整",
        },
        writers=frozenset({"city_admin"}),  # the city organises; the districts and schools are told
        allowed="city_admin",
        watch=lambda c: [model("monitoring.ScheduleEntry").objects.filter(campaign=c.monitoring_task.campaign)],
    ),
    "monitoring:confirm": Write(
        url=lambda c: reverse("monitoring:confirm", args=[c.monitoring_task.pk]),
        data=lambda c: {"step": "roster", "version": str(c.monitoring_task.version)},
        writers=frozenset({"3101010001-principal", "3101010001-collector"}),  # the sampled school's, not its checker
        allowed="3101010001-principal",
        watch=lambda c: [model("monitoring.SampledSchool").objects.filter(pk=c.monitoring_task.pk)],
    ),
    # ------------------------------------------------------------------------------------------ notifications
    "notifications:read": Write(
        url=lambda c: reverse("notifications:read", args=[c.notification_of("inspector").pk]),
        writers=frozenset({"inspector"}),  # one's own messages only
        allowed="inspector",
        watch=lambda c: [model("notifications.Notification").objects.filter(pk=c.notification_of("inspector").pk)],
    ),
}

POST_READS = "answers a POST without writing"
EXEMPT: dict[str, Exempt] = {
    "login": Exempt("signing in: anyone, throttled (tests/test_security.py)", ("get", "post")),
    "logout": Exempt("signing out: one's own session", ("post",)),
    "set_language": Exempt("one's own language cookie", ("post",)),
    "api:token": Exempt("a token from one's own password, throttled (tests/test_api.py)", ("post",)),
    "api:token_rotate": Exempt("rotates the caller's own token only (tests/test_tokens.py)", ("post",)),
    "api_token": Exempt(
        "the caller's own token page and rotation, CSRF-checked (tests/test_tokens.py)", ("get", "post")
    ),
    "api:^(?P<rest>.*)$": Exempt("the API's 404 for any unknown path and method", ("get", "post", "put", "delete")),
    "notifications:read_all": Exempt("marks the caller's own messages read, no one else's", ("post",)),
    "notifications:preferences": Exempt("the caller's own preferences", ("get", "post")),
    "portal:verify": Exempt(f"核验 a file's hash: {POST_READS}", ("get", "post")),
    "portal:verify_publication": Exempt(f"核验 a file's hash: {POST_READS}", ("get", "post")),
    "supervision:school": Exempt(
        "the public 督学 card's contact form: anyone, no sign-in, throttled, length-limited (test_supervision.py)",
        ("get", "post"),
    ),
    "surveys:answer": Exempt(
        "the anonymous questionnaire behind a link's unguessable token: anyone holding it, no sign-in, CSRF-checked, "
        "every answer validated, capped at 3× the link's target, refused once closed (tests/test_surveys.py)",
        ("get", "post"),
    ),
    "compiling:preview": Exempt(f"renders a part's tokens as the compiler types: {POST_READS}", ("post",)),
    **{
        name: READ
        for name in (
            "home",
            "api:schema",
            "api:docs",
            "api:orgs",
            "api:org",
            "api:datasets",
            "api:dataset",
            "api:campaigns",
            "api:campaign",
            "api:submissions",
            "api:submission",
            "api:indicators",
            "api:reports",
            "api:report",
            "api:plans",
            "api:plan",
            "api:evaluation",
            "collection:findings",
            "collection:school_template",
            "collection:district_template",
            "review:submission",
            "review:coverage",
            "review:coverage_xlsx",
            "indicators:cockpit",
            "indicators:cockpit_data",
            "statistics:list",
            "statistics:detail",
            "plans:list",
            "plans:plan",
            "plans:board",
            "plans:summary",
            "plans:task",
            "plans:accounts",
            "plans:account_queue",
            "evaluation:index",
            "evaluation:scheme",
            "evaluation:report",
            "evaluation:dev_school",
            "evaluation:dev_report",
            "evaluation:dev_evidence",
            "evaluation:duty_department",
            "evaluation:duty_material",
            "evaluation:dev_export",
            "portal:index",
            "portal:district",
            "portal:supervision",
            "portal:report",
            "portal:pdf",
            "portal:desk",
            "portal:desk_coverage",
            "portal:desk_preview",
            "portal:desk_preview_pdf",
            "portal:batch",
            "compiling:index",
            "compiling:workspace",
            "compiling:report",
            "compiling:chapter",
            "compiling:work",
            "compiling:work_report",
            "notifications:list",
            "supervision:index",
            "supervision:finding",
            "supervision:evidence",
            "supervision:board",
            "supervision:inspectors",
            "supervision:visit_new",
            "supervision:visit",
            "supervision:visit_photo",
            "supervision:plans",
            "supervision:sampling",
            "supervision:sw",
            "surveys:index",
            "surveys:survey",
            "surveys:sheet",
            "surveys:thanks",
            "surveys:qr",
            "monitoring:index",
            "monitoring:campaign",
            "monitoring:task",
        )
    },
    # a GET that links the two plans' tasks on first comparison (a derived cache, re-computable, no user content)
    "plans:compare": Exempt("reads; computes and keeps the cross-year task links on the first comparison"),
}


def today():
    from django.utils import timezone

    return timezone.localdate()


def school_workbook(c: Ctx) -> SimpleUploadedFile:
    """The school's own template with one value filled in."""
    from io import BytesIO

    from openpyxl import load_workbook

    from dudao.collection import excel

    book = load_workbook(BytesIO(excel.school_template(c.sub)))
    sheet = book.worksheets[0]
    for row in sheet.iter_rows():
        if any(cell.value == "students_total" for cell in row):
            row[-1].value = 1234
            break
    out = BytesIO()
    book.save(out)
    return SimpleUploadedFile("school.xlsx", out.getvalue())


def district_workbook(c: Ctx) -> SimpleUploadedFile:
    from dudao.collection import excel

    district = model("orgs.OrgUnit").objects.get(code="310101")
    data = excel.district_template(c.sub.campaign, district, c.user("d310101"))
    return SimpleUploadedFile("district.xlsx", data)


def unpicked_case(c: Ctx) -> dict:
    """A reviewed case of the city's 2020 schools that no chapter has picked yet."""
    from dudao.collection import selectors as collection

    period = model("collection.Period").objects.get(code="2020")
    city = model("orgs.OrgUnit").objects.get(code="310000")
    picked = set(model("compiling.CasePick").objects.values_list("source_org__code", "source_key"))
    for case in collection.cases(period, under=city):
        if (case.org_code, case.key) not in picked:
            return {"source": case.org_code, "slot": case.key}
    return {"source": "", "slot": ""}


# ----------------------------------------------------------------------------------------------- the URLconf walk


def endpoints(resolver=None, prefix: str = "", namespace: str = "") -> list[tuple[str, str]]:
    """(name, route) of every URL pattern, ``namespace:name`` as ``reverse`` spells it."""
    found = []
    for p in (resolver or get_resolver()).url_patterns:
        if isinstance(p, URLResolver):
            found += endpoints(p, prefix + str(p.pattern), namespace + (f"{p.namespace}:" if p.namespace else ""))
        elif isinstance(p, URLPattern):
            found.append((namespace + (p.name or str(p.pattern)), prefix + str(p.pattern)))
    return found


def admin_endpoint(name: str) -> bool:
    return name.startswith("admin:")


def test_every_endpoint_is_classified():
    names = {name for name, _ in endpoints()}
    unclassified = sorted(n for n in names if n not in WRITES and n not in EXEMPT and not admin_endpoint(n))
    assert not unclassified, f"classify these endpoints in tests/test_authz_matrix.py: {unclassified}"
    stale = sorted((set(WRITES) | set(EXEMPT)) - names)
    assert not stale, f"entries for endpoints that no longer exist: {stale}"
    assert len(WRITES) >= 1


# ----------------------------------------------------------------------------------------------- the matrix


def snapshot(watched: list) -> tuple:
    counts = tuple(
        (m._meta.label, m._base_manager.count())
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy and m._meta.label not in ("sessions.Session",)
    )
    return counts, tuple(tuple(values(qs)) for qs in watched)


def client_for(username: str, api: bool):
    client = APIClient() if api else Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def send(client, entry: Write, ctx: Ctx):
    data = entry.data(ctx)
    kwargs = {"format": "json"} if entry.api else {}
    return getattr(client, entry.method)(entry.url(ctx), data, **kwargs)


def refused(response, entry: Write) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    if response.status_code == 302:
        if response["Location"].startswith(reverse("login")):
            return True
        if entry.message_refusal:
            stored = list(response.wsgi_request._messages)
            return any(m.level == message_levels.ERROR for m in stored)
    return False


@pytest.mark.parametrize("name", sorted(WRITES))
def test_write_endpoint_refuses_every_other_role(demo, name):
    entry, ctx = WRITES[name], Ctx()
    assert entry.allowed in entry.writers
    entry.url(ctx), entry.data(ctx), entry.watch(ctx)  # the representative objects exist before the first snapshot
    problems = []
    for login in LOGINS:
        if login in entry.writers:
            continue
        client = client_for(login, entry.api)
        before = snapshot(entry.watch(ctx))
        response = send(client, entry, ctx)
        if not refused(response, entry):
            problems.append(f"{login}: answered {response.status_code} {response.get('Location', '')}")
        if snapshot(entry.watch(ctx)) != before:
            problems.append(f"{login}: the database changed")
    assert not problems, f"{name}: {problems}"
    client = client_for(entry.allowed, entry.api)
    before = snapshot(entry.watch(ctx))
    response = send(client, entry, ctx)
    assert response.status_code in entry.ok, (name, entry.allowed, response.status_code)
    if entry.changes:
        assert snapshot(entry.watch(ctx)) != before, f"{name}: {entry.allowed}'s representative write changed nothing"


# ----------------------------------------------------------------------------------------------- reads and the admin

SAMPLE = {"pk": "1", "code": "310101", "fmt": "html", "org_code": "310000", "period_code": "2020", "scheme": "hei"}


def sample_url(route: str) -> str:
    """A concrete path for a route, with plausible demo values for its parameters."""
    text = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: SAMPLE.get(m.group(1), "1"), route)
    text = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: SAMPLE.get(m.group(1), "1"), text)
    return "/" + text.lstrip("^").rstrip("$")


def test_read_endpoints_write_nothing_when_posted_to_and_the_api_ones_refuse_writes(demo):
    """An endpoint classified as a read must not write whatever method it is sent; the API's reads answer 405."""
    page, api = client_for("city_admin", api=False), client_for("city_admin", api=True)
    before = snapshot([])
    tried = 0
    for name, route in endpoints():
        if EXEMPT.get(name) is not READ:
            continue
        url = sample_url(route)
        if name.startswith("api:"):
            for method in ("post", "put", "patch", "delete"):
                response = getattr(api, method)(url, {}, format="json")
                assert response.status_code == 405, (name, method, response.status_code)
                tried += 1
        else:
            response = page.post(url, {})
            assert response.status_code < 500, (name, response.status_code)
            tried += 1
    assert snapshot([]) == before
    assert tried > 50


def test_no_demo_login_reaches_the_admin(demo):
    """The Django admin (``admin:*``, not in the table) is the catalogue maintainer's: only staff reach it, and no
    demo login but the superuser is staff — so a POST to any admin URL is sent to the admin's login and writes
    nothing."""
    User = get_user_model()
    assert set(User.objects.filter(is_staff=True).values_list("username", flat=True)) == {"admin"}
    own_session = ("admin:login", "admin:logout")  # signing in and out of the admin: one's own session
    admin_routes = [route for name, route in endpoints() if admin_endpoint(name) and name not in own_session]
    assert len(admin_routes) > 40
    before = snapshot([])
    for login in ("city_admin", "analyst", "3101010001-collector"):
        client = client_for(login, api=False)
        for route in admin_routes:
            response = client.post(sample_url(route), {})
            assert response.status_code in (302, 404), (login, route, response.status_code)
            if response.status_code == 302:
                assert response["Location"].startswith(reverse("admin:login")), (login, route)
    assert snapshot([]) == before


# ----------------------------------------------------------------------------------------------- the attack of #16


def test_analyst_files_plan_progress_and_answers_a_reminder_and_is_refused(demo):
    ctx = Ctx()
    analyst = client_for("analyst", api=False)
    reports = model("plans.ProgressReport").objects.filter(assignment=ctx.district_assignment)
    before = reports.count()
    response = analyst.post(
        reverse("plans:report", args=[ctx.district_assignment.pk]),
        {
            "period": "2021Q1",
            "status": "done",
            "narrative": "分析员代报的进展",
            "version": version_of("plans.Assignment", pk=ctx.district_assignment.pk),
        },
    )
    assert response.status_code == 403 and reports.count() == before
    response = analyst.post(
        reverse("plans:answer", args=[ctx.reminder.pk]),
        {"answer": "分析员代答", "version": version_of("plans.Reminder", pk=ctx.reminder.pk)},
    )
    assert response.status_code == 403
    ctx.reminder.refresh_from_db()
    assert ctx.reminder.answered_at is None and ctx.reminder.answer == ""
    # the analyst still reads the plan and the task, and is offered no progress form there
    assert analyst.get(reverse("plans:plan", args=[ctx.work_plan.pk])).status_code == 200
    page = analyst.get(reverse("plans:task", args=[ctx.district_assignment.task_id]))
    assert page.status_code == 200
    assert reverse("plans:report", args=[ctx.district_assignment.pk]) not in page.content.decode()
