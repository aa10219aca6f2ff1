"""Reads of a work plan that other apps make (the demo's progress reports); plans' models are private to this app."""

from __future__ import annotations

from .models import Plan, Target, Task


def task(plan: Plan, no: int) -> Task:
    """The plan's task numbered ``no`` (tasks are numbered through the whole plan)."""
    return plan.tasks.get(no=no)


def targets(task: Task) -> list[Target]:
    """The task's quantitative targets, in the order its text states them."""
    return list(task.targets.order_by("pk"))
