"""The review state machine (三级审核 + 区、市确认), driven by ``catalog/workflows.yaml``.

Only :func:`perform` changes a submission's state. It checks the actor's role at the school (roles held at an
ancestor count), runs the submission checks before ``submit``, records a :class:`Transition`, signs or voids the
responsibility statement, and does it all in one transaction so a failure leaves nothing half-done.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dudao.orgs.access import roles_at

from .models import Statement, Transition


class WorkflowError(Exception):
    """The action is not allowed now; the message says why, in words for the user."""


class StepNotAvailable(WorkflowError):
    """The action does not apply in the submission's current state (a conflict with its state, HTTP 409)."""


class StepForbidden(WorkflowError):
    """The user holds no role that may take this step here (HTTP 403)."""


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


@dataclass(frozen=True)
class Workflow:
    code: str
    name: str
    initial: str
    final: str
    states: dict
    editable: frozenset[str]
    locked: frozenset[str]
    steps: tuple[Step, ...]

    def label(self, state: str) -> str:
        return self.states.get(state, state)


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
        )
    return result


def locked_states() -> frozenset[str]:
    """States in which some workflow locks the data: a principal has approved it (what analytics and reports use)."""
    return frozenset().union(*(wf.locked for wf in workflows().values()))


def workflow_of(submission) -> Workflow:
    return workflows()[submission.campaign.workflow]


def is_editable(submission) -> bool:
    return submission.state in workflow_of(submission).editable


def is_locked(submission) -> bool:
    return submission.state in workflow_of(submission).locked


def available_steps(submission, user) -> list[Step]:
    """Steps this user may take on this submission now (what the page shows as buttons)."""
    held = roles_at(user, submission.org)
    return [s for s in workflow_of(submission).steps if submission.state in s.sources and held & set(s.roles)]


def find_step(submission, action: str, user) -> Step:
    wf = workflow_of(submission)
    candidates = [s for s in wf.steps if s.action == action and submission.state in s.sources]
    if not candidates:
        raise StepNotAvailable(f"“{wf.label(submission.state)}”状态下不能执行此操作")
    held = roles_at(user, submission.org)
    for step in candidates:
        if held & set(step.roles):
            return step
    raise StepForbidden("您没有执行此操作的权限")


def perform(submission, action: str, user, reason: str = "", signer_name: str = "", confirm: bool = False):
    """Move ``submission`` along ``action``; returns the recorded :class:`Transition`."""
    from dudao.collection import services  # collection depends on review for locking; import late

    with transaction.atomic():
        submission = type(submission).objects.select_for_update().get(pk=submission.pk)
        step = find_step(submission, action, user)
        reason = (reason or "").strip()
        if step.reason and not reason:
            raise WorkflowError("请填写退回或重新打开的理由")
        if step.validate:
            problems = services.blocking(services.check_submission(submission))
            if problems:
                raise WorkflowError("还有未通过的校验：" + "；".join(p.message for p in problems[:5]))
        if step.statement:
            signer_name = (signer_name or "").strip()
            if not confirm or not signer_name:
                raise WorkflowError("核准前须勾选责任声明并填写签署人姓名")
            Statement.objects.create(
                submission=submission,
                signer=user,
                signer_name=signer_name,
                values_sha256=services.values_hash(submission),
            )
        wf = workflow_of(submission)
        if step.target in wf.editable:
            # Data goes back to the school: the statement no longer vouches for what will be there.
            submission.statements.filter(revoked_at__isnull=True).update(
                revoked_at=timezone.now(), revoked_reason=reason
            )
        transition = Transition.objects.create(
            submission=submission,
            action=step.action,
            from_state=submission.state,
            to_state=step.target,
            user=user,
            reason=reason,
        )
        submission.state = step.target
        submission.save(update_fields=["state", "updated_at"])
    return transition


def current_statement(submission) -> Statement | None:
    return submission.statements.filter(revoked_at__isnull=True).first()
