from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dudao.collection import selectors, services, workflows
from dudao.collection.views import field_context, findings_context, visible_submission
from dudao.errors import DudaoError
from dudao.orgs.access import can_view, has_role, top_units
from dudao.orgs.selectors import unit
from dudao.orgs.vocabulary import Level, Role

from . import workflow
from .audit import audit_trail
from .coverage import coverage
from .models import STATEMENT_TEXT


@login_required
def submission_detail(request, pk):
    """One submission: its form, checks, the steps the user may take, the statement and the review trail."""
    sub = visible_submission(request, pk)
    wf = workflows.workflow_of(sub)
    values = services.values_of(sub)
    editable = services.can_edit(request.user, sub)
    sections: dict[str, dict] = {}
    for m in sub.campaign.dataset.members.select_related("element"):
        section = sections.setdefault(m.section_code, {"name": m.section_name, "fields": []})
        current = values.get(m.element.code)
        section["fields"].append(
            field_context(
                sub, m.element, services.display_value(m.element, current.value) if current else "", editable=editable
            )
        )
    context = {
        "sub": sub,
        "wf": wf,
        "state_label": wf.label(sub.state),
        "sections": sections.values(),
        "editable": editable,
        **findings_context(sub, editable),
        "steps": workflow.available_steps(sub, request.user),
        "statement": workflow.current_statement(sub),
        "statement_text": STATEMENT_TEXT,
        "trail": audit_trail(sub),
        "locked": workflows.is_locked(sub),
    }
    return render(request, "collection/submission.html", context)


@login_required
@require_POST
def act(request, pk, action):
    sub = visible_submission(request, pk)
    try:
        workflow.perform(
            sub,
            action,
            request.user,
            reason=request.POST.get("reason", ""),
            signer_name=request.POST.get("signer_name", ""),
            confirm=request.POST.get("confirm") == "on",
        )
        messages.success(request, "操作成功")
    except DudaoError as exc:
        messages.error(request, str(exc))
    return redirect("review:submission", pk=sub.pk)


@login_required
def coverage_view(request, pk):
    """Which schools are at which step, for a district or the city (采集进度)."""
    campaign = selectors.campaign(pk)
    if campaign is None:
        raise Http404
    code = request.GET.get("org")
    if code:
        org = unit(code)
        if org is None:
            raise Http404
    else:
        tops = [u for u in top_units(request.user) if u.level in (Level.CITY, Level.DISTRICT)]
        if not tops:
            raise Http404
        org = tops[0]
    if org.level not in (Level.CITY, Level.DISTRICT) or not can_view(request.user, org):
        raise Http404
    report = coverage(campaign, org)
    return render(
        request,
        "review/coverage.html",
        {
            "campaign": campaign,
            "org": org,
            "report": report,
            "can_bulk": has_role(request.user, org, Role.DISTRICT_REVIEWER, Role.COLLECTOR),
        },
    )
