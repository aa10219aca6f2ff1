"""我的待办: what waits for one user, gathered from every app of the cycle — the home page of every role.

It sits above all the apps it reads (import-linter: just below the API), because it is the one place that sees
submissions, work plans, publications and compiled chapters together. Each app answers for its own part through its
selectors and its own "who may" rules (``review.workflow.available_steps``, ``portal.publishing.may_approve``,
``compiling.services.may_approve``), so the inbox never lists an item whose button the user would not get.

Counts are the lengths of the lists they head — nothing is cut off (the workbench once said 50 for 71 schools).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from dudao.collection import selectors as collection
from dudao.collection.workflows import Workflow, workflow_of
from dudao.compiling import selectors as compiling_selectors
from dudao.compiling import services as compiling
from dudao.compiling import workreport
from dudao.monitoring import selectors as monitoring
from dudao.orgs import selectors as orgs
from dudao.orgs.access import visible_units
from dudao.orgs.vocabulary import Role
from dudao.plans import accounts as plan_accounts
from dudao.plans import selectors as plans
from dudao.plans.vocabulary import Status
from dudao.portal import publishing
from dudao.portal import selectors as portal
from dudao.review.workflow import available_steps, return_reasons
from dudao.supervision import selectors as supervision

# The verb of a forward step, for "who acts next" (待审核员审核); a step not named here shows its own label.
ACTION_VERBS = {
    "submit": gettext_noop("提交"),
    "check": gettext_noop("审核"),
    "approve": gettext_noop("核准"),
    "district_accept": gettext_noop("确认"),
    "city_accept": gettext_noop("确认"),
}


def next_actor(workflow: Workflow, state: str) -> str:
    """Who acts next on a submission in ``state``, in words: "待审核员审核", "待区审核员确认" — one phrase per
    forward step; empty when the data has reached the end of its workflow."""
    labels = dict(Role.choices)
    phrases = []
    for step in workflow.forward_steps(state):
        roles = "、".join(str(labels.get(r, r)) for r in step.roles)
        verb = _(ACTION_VERBS[step.action]) if step.action in ACTION_VERBS else str(step.label)
        phrase = _("待%(roles)s%(verb)s") % {"roles": roles, "verb": verb}
        if phrase not in phrases:
            phrases.append(phrase)
    return "；".join(phrases)


@dataclass
class SubmissionItem:
    submission: Any
    state: str  # the state's label
    next: str  # who acts next, in words
    actions: list[str]  # the labels of the steps this user may take
    reason: str = ""  # why it came back (returned rows)

    @property
    def overdue(self) -> bool:
        return self.submission.campaign.closes_at < timezone.now()


@dataclass
class TaskItem:
    assignment: Any
    status: str  # latest reported status label
    overdue: bool


@dataclass
class Inbox:
    to_review: list[SubmissionItem] = field(default_factory=list)  # waits for my check, approval or acceptance
    returned: list[SubmissionItem] = field(default_factory=list)  # came back to me (collector, district clerk)
    to_fill: list[SubmissionItem] = field(default_factory=list)  # drafts of open campaigns I submit
    tasks: list[TaskItem] = field(default_factory=list)  # work-plan tasks of my unit due within 30 days or overdue
    reminders: list[Any] = field(default_factory=list)  # 督办 reminders my unit has not answered
    publications: list[Any] = field(default_factory=list)  # report versions I may approve for publication
    chapters: list[Any] = field(default_factory=list)  # compiled chapters I may approve
    findings: list[Any] = field(default_factory=list)  # 督导问题 my unit still has to rectify (open or returned)
    rechecks: list[Any] = field(default_factory=list)  # rectifications waiting for my re-check
    monitoring: list[Any] = field(default_factory=list)  # 质量监测 checklists of my sampled school not yet ready
    accounts_to_write: list[Any] = field(default_factory=list)  # (assignment, account) my office still owes
    accounts_to_review: list[Any] = field(default_factory=list)  # submitted year-end accounts I approve or return
    work_reports: list[Any] = field(default_factory=list)  # plans whose accounts are all approved: compile, publish

    def counts(self) -> dict[str, int]:
        return {
            "to_review": len(self.to_review),
            "returned": len(self.returned),
            "to_fill": len(self.to_fill),
            "tasks": len(self.tasks),
            "reminders": len(self.reminders),
            "publications": len(self.publications),
            "chapters": len(self.chapters),
            "findings": len(self.findings),
            "rechecks": len(self.rechecks),
            "monitoring": len(self.monitoring),
            "accounts_to_write": len(self.accounts_to_write),
            "accounts_to_review": len(self.accounts_to_review),
            "work_reports": len(self.work_reports),
        }

    @property
    def total(self) -> int:
        return sum(self.counts().values())


def submissions(user: Any) -> tuple[list[SubmissionItem], list[SubmissionItem], list[SubmissionItem]]:
    """(to review, returned, to fill): the submissions waiting for a step this user may take now."""
    to_review: list[SubmissionItem] = []
    returned: list[SubmissionItem] = []
    to_fill: list[SubmissionItem] = []
    candidates = []
    for sub in collection.waiting_for(user):
        wf = workflow_of(sub)
        steps = [s for s in available_steps(sub, user) if s.target not in wf.editable]
        if steps:
            candidates.append((sub, wf, steps))
    reasons = return_reasons([sub for sub, wf, _steps in candidates if sub.state in wf.editable])
    for sub, wf, steps in candidates:
        item = SubmissionItem(
            submission=sub,
            state=wf.label(sub.state),
            next=next_actor(wf, sub.state),
            actions=[str(s.label) for s in steps],
        )
        if sub.state == wf.initial:
            to_fill.append(item)
        elif sub.state in wf.editable:
            item.reason = reasons.get(sub.pk, "")
            returned.append(item)
        else:
            to_review.append(item)
    return to_review, returned, to_fill


def tasks(user: Any, today: date) -> list[TaskItem]:
    labels = dict(Status.choices)
    return [
        TaskItem(assignment=a, status=str(labels.get(status, status)), overdue=a.deadline < today)
        for a, status in plans.tasks_due(user, today)
    ]


def publications(user: Any) -> list[Any]:
    return [
        p
        for p in portal.pending_publications(visible_units(user))
        if p.requested_by_id != user.pk and publishing.may_approve(user, p)
    ]


def chapters(user: Any) -> list[Any]:
    return [
        c
        for c in compiling_selectors.submitted_chapters(visible_units(user))
        if user.pk not in (c.updated_by_id, c.submitted_by_id) and compiling.may_approve(user, c.org)
    ]


def work_reports(user: Any) -> list[Any]:
    """Plans whose year-end accounts are all approved and whose 工作年报 has not been asked for yet — for the plan's
    owner who may request its publication (a pending or published version means the step is taken)."""
    city = orgs.city()
    if city is None or not (workreport.may_compile(user) and publishing.may_request(user, city)):
        return []
    ready = []
    for plan in plan_accounts.ready_plans():
        period = collection.period(str(plan.year))
        versions = portal.versions_of(city, period, workreport.template_of(plan)) if period else None
        if versions is None or not versions.filter(status__in=("pending", "published")).exists():
            ready.append(plan)
    return ready


def inbox(user: Any, today: date | None = None) -> Inbox:
    """Everything waiting for ``user``."""
    today = today or timezone.localdate()
    to_review, returned, to_fill = submissions(user)
    return Inbox(
        to_review=to_review,
        returned=returned,
        to_fill=to_fill,
        tasks=tasks(user, today),
        reminders=plans.reminders_to_answer(user),
        publications=publications(user),
        chapters=chapters(user),
        findings=supervision.owed_by(user),
        rechecks=supervision.to_recheck(user),
        monitoring=monitoring.tasks_of(user),
        accounts_to_write=plan_accounts.to_write(user, today),
        accounts_to_review=plan_accounts.review_queue(user),
        work_reports=work_reports(user),
    )
