"""Performing review steps (三级审核 + 区、市确认); the workflow definitions are ``collection.workflows``.

Only :func:`perform` changes a submission's state. It checks the actor's role at the school (roles held at an
ancestor count), runs the submission checks before ``submit``, records a :class:`Transition`, signs or voids the
responsibility statement, and does it all in one transaction so a failure leaves nothing half-done.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from dudao.collection import services
from dudao.collection.workflows import find_step, workflow_of
from dudao.errors import DudaoError

from .models import Statement, Transition


def perform(submission, action: str, user, reason: str = "", signer_name: str = "", confirm: bool = False):
    """Move ``submission`` along ``action``; returns the recorded :class:`Transition`."""
    with transaction.atomic():
        submission = type(submission).objects.select_for_update().get(pk=submission.pk)
        step = find_step(submission, action, user)
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
    return transition


def current_statement(submission) -> Statement | None:
    return submission.statements.filter(revoked_at__isnull=True).first()
