"""Performing review steps (三级审核 + 区、市确认); the workflow definitions are ``collection.workflows``.

Only :func:`perform` changes a submission's state. It checks the actor's role at the school (roles held at an
ancestor count), runs the submission checks before ``submit``, records a :class:`Transition`, signs or voids the
responsibility statement, and does it all in one transaction so a failure leaves nothing half-done.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from dudao.collection import services, signals
from dudao.collection import workflows as workflows_
from dudao.collection.workflows import Step, find_step, workflow_of, workflows
from dudao.errors import DudaoError, forbidden
from dudao.notifications.services import notify
from dudao.notifications.vocabulary import Kind
from dudao.orgs.access import holders

from .models import Statement, Transition

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from dudao.collection.models import Campaign, Submission


def perform(submission, action: str, user, reason: str = "", signer_name: str = "", confirm: bool = False):
    """Move ``submission`` along ``action``; returns the recorded :class:`Transition`."""
    with transaction.atomic():
        submission = type(submission).objects.select_for_update().get(pk=submission.pk)
        step = find_step(submission, action, user)
        if step.distinct and moved_here_by(submission) == user.pk:
            raise forbidden("四眼原则：提交人不能核准自己提交的数据，请由另一位审核人员核准")
        reason = (reason or "").strip()
        if step.reason and not reason:
            raise DudaoError("请填写退回或重新打开的理由")
        if step.validate:
            problems = services.blocking(services.check_submission(submission))
            if problems:
                raise DudaoError("还有未通过的校验：" + "；".join(p.message for p in problems[:5]))
        if step.statement:
            signer_name = (signer_name or "").strip()
            if not confirm or not signer_name:
                raise DudaoError("核准前须勾选责任声明并填写签署人姓名")
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
        if step.target in wf.editable:
            notify_returned(submission, wf, step, user, reason)
        if transition.from_state in wf.locked or step.target in wf.locked:
            # into, out of or between counting states: the unit's figures are refreshed after the commit
            signals.announce(submission.org_id, submission.campaign.period_id)
    return transition


def notify_returned(submission, wf, step: Step, user, reason: str) -> None:
    """Tell whoever must act again — the school's collectors (a district's clerk for its own data) — that the data
    came back, and why. Sent on commit by ``notifications``; nobody is told of their own return."""
    roles = {r for s in wf.forward_steps(step.target) for r in s.roles}
    recipients = holders(submission.org, roles, nearest=True, exclude=[user.pk])
    campaign = submission.campaign
    who = user.get_full_name() or user.username
    notify(
        recipients,
        Kind.RETURNED,
        f"{submission.org.name} · {campaign.name}：{step.label}",
        f"{who}{step.label}：{reason}",
        reverse("review:submission", args=[submission.pk]),
    )


def return_reasons(submissions) -> dict[int, str]:
    """Submission id → the reason of the step that sent it back last (for the inbox's 退回 rows)."""
    found: dict[int, str] = {}
    ids = [s.pk for s in submissions]
    for sub_id, reason in (
        Transition.objects.filter(submission_id__in=ids).order_by("pk").values_list("submission_id", "reason")
    ):
        if reason:
            found[sub_id] = reason
    return found


def moved_here_by(submission) -> int | None:
    """Id of the user whose step put the submission into its current state (``None`` when nobody did)."""
    last = submission.transitions.filter(to_state=submission.state).order_by("-pk").first()
    return last.user_id if last is not None else None


def available_steps(submission, user) -> list[Step]:
    """The steps the page offers this user: the role-permitted ones, less a four-eyes step the user may not take
    because they took the step before it."""
    steps = workflows_.available_steps(submission, user)
    if any(s.distinct for s in steps) and moved_here_by(submission) == user.pk:
        steps = [s for s in steps if not s.distinct]
    return steps


def current_statement(submission) -> Statement | None:
    return submission.statements.filter(revoked_at__isnull=True).first()


def fast_forward(
    campaign: Campaign,
    actor: Callable[[Submission, Step], User],
    signer_name: Callable[[Submission], str],
    acted_at: datetime,
    signed_at: datetime,
) -> None:
    """Record a whole finished review round at once — for bulk loading past rounds (the demo), where one
    :func:`perform` per step would re-read and re-check every submission several times.

    Every submission of ``campaign`` walks its workflow's forward path (no return or reopen) to the final state,
    with the :class:`Transition` rows and signed :class:`Statement` rows :func:`perform` writes, dated ``acted_at``
    and ``signed_at``; ``actor`` says who took a step (the caller picks a user with the step's role) and
    ``signer_name`` who signed. Safe because the round is history loaded in the same transaction as its values:
    :func:`perform`'s checks guard data someone is still working on, and the loaded values were checked when they
    were loaded (``collection.services.explain_warnings_for_loading``)."""
    wf = workflows()[campaign.workflow]
    transitions, statements = [], []
    for sub in campaign.submissions.select_related("org__parent"):
        state = sub.state
        while state != wf.final:
            step = next(s for s in wf.steps if state in s.sources and s.action not in ("return", "reopen"))
            user = actor(sub, step)
            transitions.append(
                Transition(submission=sub, action=step.action, from_state=state, to_state=step.target, user=user)
            )
            if step.statement:
                statements.append(
                    Statement(
                        submission=sub,
                        signer=user,
                        signer_name=signer_name(sub),
                        values_sha256=services.values_hash(sub),
                    )
                )
            state = step.target
        sub.state = state
        sub.save(update_fields=["state"])
    created = Transition.objects.bulk_create(transitions)
    signed = Statement.objects.bulk_create(statements)
    # auto_now_add stamps "now": move the records to the round's own time line. By primary key, not through a join on
    # the campaign: on freshly loaded, not yet analysed PostgreSQL tables the planner may pick a nested loop for the
    # join that turns this into minutes.
    Transition.objects.filter(pk__in=[t.pk for t in created]).update(at=acted_at)
    Statement.objects.filter(pk__in=[s.pk for s in signed]).update(signed_at=signed_at)
