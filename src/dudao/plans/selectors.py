"""Reads of a work plan that other apps make (the demo's progress reports, the inbox's tasks due and reminders to
answer); plans' models are private to this app."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from dudao.orgs.access import holders, visible_units

from .models import Assignment, Plan, ProgressReport, Reminder, Target, Task
from .vocabulary import Status


def task(plan: Plan, no: int) -> Task:
    """The plan's task numbered ``no`` (tasks are numbered through the whole plan)."""
    return plan.tasks.get(no=no)


def targets(task: Task) -> list[Target]:
    """The task's quantitative targets, in the order its text states them."""
    return list(task.targets.order_by("pk"))


def _mine(user: Any, assignments: Iterable[Assignment]) -> list[Assignment]:
    """The assignments whose unit answers through this user: those holding a reporting role at the unit itself, or
    — a unit without such users of its own — at the nearest unit above it (``orgs.access.holders``). A city admin
    is not asked to answer for every district."""
    from .services import UNIT_ROLES

    answerers: dict[int, set[int]] = {}
    mine = []
    for a in assignments:
        if a.org_id not in answerers:
            answerers[a.org_id] = {u.pk for u in holders(a.org, UNIT_ROLES, nearest=True)}
        if user.pk in answerers[a.org_id] or getattr(user, "is_superuser", False):
            mine.append(a)
    return mine


def responsible(assignment: Assignment, exclude: Iterable[int] = ()) -> list[Any]:
    """The users who answer for ``assignment`` (see :func:`_mine`): whom a reminder is sent to."""
    from .services import UNIT_ROLES

    return holders(assignment.org, UNIT_ROLES, nearest=True, exclude=exclude)


def tasks_due(user: Any, today: date, within_days: int = 30) -> list[tuple[Assignment, str]]:
    """(assignment, latest status) of the user's units' tasks that are not done and whose deadline is at most
    ``within_days`` away or already past, earliest deadline first."""
    from .services import UNIT_ROLES

    candidates = (
        Assignment.objects.filter(
            org__in=visible_units(user, UNIT_ROLES), deadline__lte=today + timedelta(days=within_days)
        )
        .select_related("org", "task__plan")
        .order_by("deadline", "task__plan__year", "task__no")
    )
    mine = _mine(user, candidates)
    latest: dict[int, str] = {}
    for assignment_id, status in (
        ProgressReport.objects.filter(assignment__in=[a.pk for a in mine])
        .order_by("reported_at", "id")
        .values_list("assignment_id", "status")
    ):
        latest[assignment_id] = status
    return [(a, latest.get(a.pk, Status.NOT_STARTED)) for a in mine if latest.get(a.pk) != Status.DONE]


def reminders_to_answer(user: Any) -> list[Reminder]:
    """Unanswered 督办 reminders on the tasks of the user's units, oldest first."""
    from .services import UNIT_ROLES

    found = (
        Reminder.objects.filter(answered_at__isnull=True, assignment__org__in=visible_units(user, UNIT_ROLES))
        .select_related("assignment__org", "assignment__task__plan", "created_by")
        .order_by("created_at", "id")
    )
    mine = {a.pk for a in _mine(user, {r.assignment for r in found})}
    return [r for r in found if r.assignment_id in mine]


def plan_by_pk(pk: int) -> Plan:
    """A plan by its id (the 工作年报's template code names it); ``Plan.DoesNotExist`` when there is none."""
    return Plan.objects.get(pk=pk)


def plans_of_year(year: int) -> list[Plan]:
    return list(Plan.objects.filter(year=year))


def all_plans() -> list[Plan]:
    return list(Plan.objects.all())


def assignment_of(task: Task, org: Any) -> Assignment | None:
    """The task's assignment to ``org``, if it was assigned there."""
    return Assignment.objects.filter(task=task, org=org).first()
