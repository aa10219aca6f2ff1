"""Plan workflow (工作要点 全流程): import, assign, report progress, supervise (督办), answer reminders.

Views and commands call these functions; each validates fully before writing and writes in one transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dudao import concurrency
from dudao.errors import UNPROCESSABLE, DudaoError, forbidden
from dudao.history import set_author
from dudao.inputs import parse_number, text_problem
from dudao.notifications.services import notify
from dudao.notifications.vocabulary import Kind
from dudao.orgs.access import has_role, visible_units
from dudao.orgs.selectors import city
from dudao.orgs.vocabulary import Level, Role

from .models import Assignment, Plan, ProgressReport, Reminder, Section, Target, TargetActual, Task
from .parser import ParsedPlan
from .vocabulary import Status

MAX_NARRATIVE = 20000  # ProgressReport.narrative's max_length

if TYPE_CHECKING:
    from dudao.orgs.models import OrgUnit

SUPERVISOR_ROLES = (Role.CITY_ADMIN, Role.INSPECTOR)
# The roles through which a responsible unit files progress and answers 督办 — its writing roles. Held at the city,
# CITY_ADMIN also makes the city's plan administrators writers for every unit below. Not ANALYST: the 分析员 reads
# every plan (``sees_all_plans``) but writes none (#16: an analyst could file progress and answer reminders).
UNIT_ROLES = (Role.DISTRICT_REVIEWER, Role.CITY_ADMIN, Role.COLLECTOR)
PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$|^(\d{4})Q([1-4])$")


def city_unit() -> OrgUnit:
    unit = city()
    if unit is None:
        raise DudaoError("尚未加载机构目录")
    return unit


def is_supervisor(user) -> bool:
    return has_role(user, city_unit(), *SUPERVISOR_ROLES)


def sees_all_plans(user) -> bool:
    """Supervisors and the city's analysts read every plan; everyone else only plans they hold tasks in."""
    return is_supervisor(user) or has_role(user, city_unit(), "analyst")


def visible_plans(user):
    if sees_all_plans(user):
        return Plan.objects.all()
    return Plan.objects.filter(tasks__assignments__org__in=visible_units(user)).distinct()


def can_report(user, assignment: Assignment) -> bool:
    return has_role(user, assignment.org, *UNIT_ROLES)


@transaction.atomic
def import_plan(parsed: ParsedPlan, year: int, user=None, source_name: str = "") -> Plan:
    if not 1990 <= year <= 2100:
        raise DudaoError(f"年度不合理：{year}")
    try:
        issued = date.fromisoformat(parsed.date) if parsed.date else None
    except ValueError:  # the parser refuses an impossible date; a ParsedPlan built elsewhere may still hold one
        raise DudaoError(_("发文日期“%(date)s”不存在") % {"date": parsed.date}) from None
    plan = Plan.objects.create(
        year=year,
        title=(parsed.title or f"{year}年工作要点")[:200],
        doc_number=(parsed.doc_number or "")[:64],
        issuer=(parsed.issuer or "")[:64],
        date=issued,
        source_name=source_name[:200],
        parsed=parsed.to_json(),
        imported_by=user,
    )
    for s in parsed.sections:
        Section.objects.create(plan=plan, no=s.no, subsection=None, title=s.title[:300])
        for sub in s.subsections:
            Section.objects.create(plan=plan, no=s.no, subsection=sub.no, title=sub.title[:300])
    for t in parsed.tasks:
        task = Task.objects.create(
            plan=plan, no=t.no, section_no=t.section, subsection_no=t.subsection, title=t.title[:500], body=t.body
        )
        Target.objects.bulk_create(
            [
                Target(task=task, value=x.value, unit=x.unit, comparator=x.comparator, text=x.text[:500])
                for x in t.targets
            ]
        )
    return plan


def assign(task: Task, org: OrgUnit, role: str, deadline: date, user) -> Assignment:
    if not is_supervisor(user):
        raise forbidden("只有市级督办人员可以分解任务")
    if org.level not in (Level.DEPARTMENT, Level.DISTRICT):
        raise DudaoError("任务只能分解到处室或区")
    if role not in Assignment.Role.values:
        raise DudaoError("责任类型应为牵头或配合")
    assignment, created = Assignment.objects.get_or_create(
        task=task, org=org, defaults={"role": role, "deadline": deadline, "assigned_by": user}
    )
    if not created and (assignment.role, assignment.deadline) != (role, deadline):
        assignment.role, assignment.deadline = role, deadline
        set_author(assignment, user)
        assignment.save()
    return assignment


def report_progress(
    assignment: Assignment,
    period: str,
    status: str,
    narrative: str,
    user,
    actuals: dict[int, object] | None = None,
    version: int | None = None,
) -> ProgressReport:
    """File a progress report. With ``version`` (the assignment's as the form read it), a report another person of
    the unit filed meanwhile is not silently superseded: the save is refused (409) showing their report and this
    one, field by field."""
    if not can_report(user, assignment):
        raise forbidden("只有责任单位可以报送进展")
    errors: dict[str, str] = {}  # form field → message, so the page shows each next to its field
    period = (period or "").strip()
    if not PERIOD.match(period):
        errors["period"] = "报告期格式应为 2020-06（月报）或 2020Q2（季报）"
    if status not in Status.values:
        errors["status"] = "状态应为未启动、推进中、已完成或滞后"
    narrative = (narrative or "").strip()
    if not narrative:
        errors["narrative"] = "请填写进展情况"
    elif text_problem(narrative, MAX_NARRATIVE):
        errors["narrative"] = text_problem(narrative, MAX_NARRATIVE)
    targets = {t.id: t for t in assignment.task.targets.all()}
    values = {}
    for key, raw in (actuals or {}).items():
        if raw in (None, ""):
            continue
        target = targets.get(int(key)) if str(key).isdigit() else None
        if target is None:
            errors[f"actual_{key}"] = f"目标 {key} 不属于该任务"
            continue
        try:
            number = parse_number(raw, field=f"actual_{key}")
        except DudaoError as exc:
            errors[f"actual_{key}"] = f"“{target.text}”的实际值{exc.message}"
            continue
        if number is not None:
            values[target.id] = float(number)
    if errors:
        raise DudaoError("；".join(errors.values()), errors=errors, status=UNPROCESSABLE)
    with transaction.atomic():
        if version is None:
            Assignment.objects.filter(pk=assignment.pk).update(version=F("version") + 1)
        else:
            concurrency.advance(
                assignment,
                version,
                what="该任务的进展",
                labels={"period": "报告期", "status": "状态", "narrative": "进展情况"},
                yours={"period": period, "status": Status(status).label, "narrative": narrative},
                theirs=_latest_report_fields,
            )
        report = ProgressReport.objects.create(
            assignment=assignment, period=period, status=status, narrative=narrative, reported_by=user
        )
        TargetActual.objects.bulk_create([TargetActual(report=report, target_id=t, value=v) for t, v in values.items()])
    return report


def remind(assignment: Assignment, text: str, user) -> Reminder:
    if not is_supervisor(user):
        raise forbidden("只有督办人员可以发督办提醒")
    if not (text or "").strip():
        raise DudaoError("请填写督办内容")
    reminder = Reminder.objects.create(assignment=assignment, text=text.strip(), created_by=user)
    from .selectors import responsible  # selectors reads UNIT_ROLES from here

    task = assignment.task
    notify(
        responsible(assignment, exclude=[user.pk]),
        Kind.REMINDER,
        f"督办提醒：{task.plan.year}年工作要点第{task.no}项",
        reminder.text,
        reverse("plans:task", args=[task.pk]),
    )
    return reminder


def _latest_report_fields(assignment: Assignment) -> dict[str, str]:
    """The latest progress report of ``assignment`` as the fields of the report form (what "theirs" shows)."""
    latest = assignment.reports.order_by("-reported_at", "-id").first()
    if latest is None:
        return {}
    return {"period": latest.period, "status": latest.get_status_display(), "narrative": latest.narrative}


@transaction.atomic
def answer(reminder: Reminder, text: str, user, version: int | None = None) -> Reminder:
    """Answer a reminder. With ``version`` (the reminder's as the page read it) an answer someone else gave
    meanwhile is not overwritten: refused (409) with their answer and this one."""
    if not can_report(user, reminder.assignment):
        raise forbidden("只有责任单位可以回复督办")
    if not (text or "").strip():
        raise DudaoError("请填写回复内容")
    if version is None:
        reminder.version = Reminder.objects.get(pk=reminder.pk).version + 1
    else:
        concurrency.advance(reminder, version, what="督办回复", labels={"answer": "回复"}, yours={"answer": text})
    reminder.answer, reminder.answered_by, reminder.answered_at = text.strip(), user, timezone.now()
    set_author(reminder, user)
    reminder.save()
    return reminder


# ----------------------------------------------------------------------------- the board


@dataclass
class BoardRow:
    task: Task
    assignments: list[Assignment]
    status: str  # the lead unit's latest status, else the worst of the others
    latest: ProgressReport | None
    overdue: bool
    lagging: bool
    open_reminders: int
    deadline: date | None = None
    actuals: dict[int, float] = field(default_factory=dict)

    @property
    def flagged(self) -> bool:
        return self.overdue or self.lagging


def latest_reports(plan: Plan) -> dict[int, ProgressReport]:
    latest: dict[int, ProgressReport] = {}
    for report in (
        ProgressReport.objects.filter(assignment__task__plan=plan)
        .select_related("assignment")
        .prefetch_related("actuals")
        .order_by("reported_at", "id")
    ):
        latest[report.assignment_id] = report
    return latest


def board(plan: Plan, today: date | None = None) -> list[BoardRow]:
    """Every task with its status; overdue (deadline passed, not done) and lagging ones flagged for 督办."""
    today = today or timezone.localdate()
    latest = latest_reports(plan)
    open_reminders: dict[int, int] = {}
    for r in Reminder.objects.filter(assignment__task__plan=plan, answered_at__isnull=True):
        open_reminders[r.assignment_id] = open_reminders.get(r.assignment_id, 0) + 1
    assignments: dict[int, list[Assignment]] = {}
    for a in Assignment.objects.filter(task__plan=plan).select_related("org"):
        assignments.setdefault(a.task_id, []).append(a)
    rows = []
    for task in plan.tasks.prefetch_related("targets"):
        mine = sorted(assignments.get(task.id, []), key=lambda a: a.role != Assignment.Role.LEAD)
        reports = [latest[a.id] for a in mine if a.id in latest]
        lead_report = latest.get(mine[0].id) if mine else None
        status = lead_report.status if lead_report else (Status.NOT_STARTED if mine else "")
        deadline = min((a.deadline for a in mine), default=None)
        actuals: dict[int, float] = {}
        for report in sorted(reports, key=lambda r: (r.reported_at, r.id)):
            actuals.update({x.target_id: x.value for x in report.actuals.all()})
        rows.append(
            BoardRow(
                task=task,
                assignments=mine,
                status=status,
                latest=max(reports, key=lambda r: (r.reported_at, r.id)) if reports else None,
                overdue=bool(deadline and deadline < today and status != Status.DONE),
                lagging=any(r.status == Status.LAGGING for r in reports),
                open_reminders=sum(open_reminders.get(a.id, 0) for a in mine),
                deadline=deadline,
                actuals=actuals,
            )
        )
    return rows
