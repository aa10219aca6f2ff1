from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dudao.collection import selectors, services, workflows
from dudao.collection.views import XLSX, field_context, findings_context, visible_submission
from dudao.errors import FORBIDDEN, DudaoError, forbidden
from dudao.listing import listing
from dudao.orgs.access import can_view, has_role, top_units
from dudao.orgs.selectors import unit
from dudao.orgs.vocabulary import Level, Role

from . import export, reminders, workflow
from .audit import audit_trail
from .coverage import coverage
from .models import STATEMENT_TEXT
from .rates import rates as rates_of

# the audit trail's search fields and sortable columns (dudao.listing); newest first, so page 1 shows where the
# submission stands now
TRAIL_SEARCH = ("who", "what", "old", "new", "why")
TRAIL_SORTS = {"at": "at", "who": "who", "what": "what"}


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
                sub,
                m.element,
                services.display_value(m.element, current.value) if current else "",
                editable=editable,
                version=current.version if current else 0,
            )
        )
    trail = listing(request, audit_trail(sub), search=TRAIL_SEARCH, sorts=TRAIL_SORTS, default="-at", per_page=100)
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
        "trail": trail.items,
        "trail_listing": trail,
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
        if exc.status == FORBIDDEN:  # not this user's step: the 403 page, as for every refused write
            raise
        messages.error(request, str(exc))
    return redirect("review:submission", pk=sub.pk)


def _coverage_scope(request, campaign_pk):
    """The campaign and the unit the page is about: city users see the city and any district, district users their
    district; anyone else is refused (403). A unit outside the user's subtrees answers 404 (no existence leak)."""
    campaign = selectors.campaign(campaign_pk)
    if campaign is None:
        raise Http404
    tops = [u for u in top_units(request.user) if u.level in (Level.CITY, Level.DISTRICT)]
    if not tops:
        raise forbidden(_("填报进度仅供市、区用户查看"))
    code = request.GET.get("org") or request.POST.get("org")
    org = unit(code) if code else tops[0]
    if org is None or org.level not in (Level.CITY, Level.DISTRICT) or not can_view(request.user, org):
        raise Http404
    return campaign, org


# the school table's search fields and sortable columns (dudao.listing)
SCHOOL_SEARCH = ("org.code", "org.name", "state_label")
SCHOOL_SORTS = {
    "code": "org.code",
    "name": "org.name",
    "state": "progress",
    "submitted_at": "submitted_at",
    "timeliness": "timeliness",
}


@login_required
def coverage_view(request, pk):
    """Which schools are at which step, and the reporting rates (完成率、及时率), for a district or the city."""
    campaign, org = _coverage_scope(request, pk)
    report = coverage(campaign, org)
    rates = rates_of(campaign, org)
    schools = rates.direct if org.level == Level.CITY else rates.schools
    return render(
        request,
        "review/coverage.html",
        {
            "campaign": campaign,
            "org": org,
            "report": report,
            "rates": rates,
            "listing": listing(request, schools, search=SCHOOL_SEARCH, sorts=SCHOOL_SORTS, default="code"),
            "may_remind": reminders.may_remind(request.user, org) and bool(rates.laggards),
            "reminders": reminders.recent_reminders(campaign, org),
            "can_bulk": has_role(request.user, org, Role.DISTRICT_REVIEWER, Role.COLLECTOR),
        },
    )


@login_required
def coverage_xlsx(request, pk):
    """The rates page as Excel: the per-district summary and every school in scope."""
    campaign, org = _coverage_scope(request, pk)
    response = HttpResponse(export.workbook(rates_of(campaign, org)), content_type=XLSX)
    filename = f"progress_{campaign.pk}_{org.code}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_POST
def coverage_remind(request, pk):
    """提醒未提交单位: email the collectors of the units in scope that have not submitted."""
    campaign, org = _coverage_scope(request, pk)
    try:
        sent = reminders.remind_laggards(campaign, request.user, org)
        messages.success(
            request,
            _("已提醒 %(units)s 个未提交单位（%(people)s 人）")
            % {"units": len(sent.units), "people": len(sent.recipients)},
        )
    except DudaoError as exc:
        if exc.status == FORBIDDEN:
            raise
        messages.error(request, str(exc))
    return redirect(f"{reverse('review:coverage', args=[campaign.pk])}?org={org.code}")
