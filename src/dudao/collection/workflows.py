"""Review workflows (审核流程): states, steps, who may take which step, and what "editable" and "locked" mean.

The definition lives here, in the collection app, because collection needs it to decide whether a value may change
(:func:`is_editable`) and which submissions count as approved (``collection.selectors``), while the review app —
which *performs* the steps and records transitions and statements — builds on collection. Keeping the definition
below both is what lets ``review`` depend on ``collection`` and never the reverse.

The workflows themselves are data: ``catalog/workflows.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings

from dudao.errors import conflict, forbidden
from dudao.orgs.access import roles_at

from .models import Submission


@dataclass(frozen=True)
class Step:
    action: str
    label: str
    sources: tuple[str, ...]
    target: str
    roles: tuple[str, ...]
    reason: bool = False
    statement: bool = False
    validate: bool = False
    # four-eyes (四眼原则): the user who moved the submission into its current state may not take this step
    distinct: bool = False


@dataclass(frozen=True)
class Workflow:
    code: str
    name: str
    initial: str
    final: str
    states: dict[str, str]
    editable: frozenset[str]
    locked: frozenset[str]
    steps: tuple[Step, ...]
    # who may change values in an editable state; empty → collection.services.EDIT_ROLES (school data)
    editors: frozenset[str] = frozenset()

    def label(self, state: str) -> str:
        return str(self.states.get(state, state))

    def forward_order(self) -> list[str]:
        """States in the order data moves forward (draft → … → final): the steps that do not send data back."""
        order = [self.initial]
        while True:
            ahead = [s.target for s in self.steps if order[-1] in s.sources and s.target not in self.editable]
            if not ahead or ahead[0] in order:
                return order
            order.append(ahead[0])

    def forward_steps(self, state: str) -> list[Step]:
        """The steps that move data on from ``state`` (submit, check, approve, accept — never return or reopen, which
        send it back): what someone must still do, and whose turn it is."""
        return [s for s in self.steps if state in s.sources and s.target not in self.editable]

    def at_or_beyond(self, state: str) -> frozenset[str]:
        """``state`` and every state after it on the forward path (e.g. district_accepted → also city_accepted)."""
        order = self.forward_order()
        return frozenset(order[order.index(state) :]) if state in order else frozenset()


@cache
def workflows() -> dict[str, Workflow]:
    with open(Path(settings.CATALOG_DIR) / "workflows.yaml", encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    result = {}
    for code, spec in data.items():
        steps = tuple(
            Step(
                action=t["action"],
                label=t["label"],
                sources=tuple(t["from"]),
                target=t["to"],
                roles=tuple(t["roles"]),
                reason=t.get("reason", False),
                statement=t.get("statement", False),
                validate=t.get("validate", False),
                distinct=t.get("distinct", False),
            )
            for t in spec["transitions"]
        )
        result[code] = Workflow(
            code=code,
            name=spec["name"],
            initial=spec["initial"],
            final=spec["final"],
            states=spec["states"],
            editable=frozenset(spec["editable"]),
            locked=frozenset(spec["locked"]),
            steps=steps,
            editors=frozenset(spec.get("editors", ())),
        )
    return result


def states_at_or_beyond(state: str) -> frozenset[str]:
    """Across all workflows: the states at or beyond ``state`` (a state a workflow lacks contributes nothing)."""
    return frozenset().union(*(wf.at_or_beyond(state) for wf in workflows().values()))


def final_states() -> frozenset[str]:
    """The states that end some workflow (accepted by the city; approved by the district for its own report).
    A state final in one workflow may be a middle step of another: readers pair it with the workflow
    (:func:`final_pairs`)."""
    return frozenset(wf.final for wf in workflows().values())


def final_pairs() -> list[tuple[str, str]]:
    """(workflow code, final state) of every workflow."""
    return [(code, wf.final) for code, wf in workflows().items()]


def locked_states() -> frozenset[str]:
    """States in which some workflow locks the data: a principal has approved it (what analytics and reports use)."""
    return frozenset().union(*(wf.locked for wf in workflows().values()))


def waiting_states(role: str) -> dict[str, frozenset[str]]:
    """Workflow code → the states in which a submission waits for ``role`` (a forward step from it names the role)."""
    found = {}
    for code, wf in workflows().items():
        states = frozenset(state for state in wf.states if any(role in s.roles for s in wf.forward_steps(state)))
        if states:
            found[code] = states
    return found


def workflow_of(submission: Submission) -> Workflow:
    return workflows()[submission.campaign.workflow]


def is_editable(submission: Submission) -> bool:
    return submission.state in workflow_of(submission).editable


def is_locked(submission: Submission) -> bool:
    return submission.state in workflow_of(submission).locked


def available_steps(submission: Submission, user: Any) -> list[Step]:
    """Steps this user may take on this submission now (what the page shows as buttons)."""
    held = roles_at(user, submission.org)
    return [s for s in workflow_of(submission).steps if submission.state in s.sources and held & set(s.roles)]


def find_step(submission: Submission, action: str, user: Any) -> Step:
    wf = workflow_of(submission)
    candidates = [s for s in wf.steps if s.action == action and submission.state in s.sources]
    if not candidates:
        raise conflict(f"“{wf.label(submission.state)}”状态下不能执行此操作")
    held = roles_at(user, submission.org)
    for step in candidates:
        if held & set(step.roles):
            return step
    raise forbidden("您没有执行此操作的权限")
