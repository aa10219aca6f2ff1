"""Thin views over :mod:`services` and :mod:`excel`: permission check, call, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from dudao.errors import CONFLICT, FORBIDDEN, DudaoError, forbidden
from dudao.inputs import checks_its_own_text
from dudao.orgs.access import top_units, visible_units
from dudao.orgs.selectors import unit
from dudao.orgs.vocabulary import Level

from . import excel, selectors, services, workflows
from .models import Campaign, Submission

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def visible_submission(request, pk) -> Submission:
    """The submission, or 404 when it does not exist *or* lies outside the user's subtrees (no existence leak)."""
    sub = services.visible_submission(request.user, pk)
    if sub is None:
        raise Http404
    return sub


def workbench(user) -> dict:
    """The campaigns the user takes part in, each with how many of its submissions the user sees (the real count —
    the list once stopped at 50 while the city has 71 schools) and, when there are at most three, those."""
    units = visible_units(user)
    rows = []
    campaigns = (
        Campaign.objects.select_related("dataset", "period")
        .annotate(visible=Count("submissions", filter=Q(submissions__org__in=units)))
        .filter(visible__gt=0)
    )
    for campaign in campaigns:
        count = campaign.visible
        subs = list(campaign.submissions.filter(org__in=units).select_related("org")) if count <= 3 else []
        wf = workflows.workflows()[campaign.workflow]
        rows.append({"campaign": campaign, "submissions": subs, "count": count, "wf": wf})
    tops = [u for u in top_units(user) if u.level in (Level.CITY, Level.DISTRICT)]
    return {"rows": rows, "tops": tops}


def field_context(sub, element, value, error="", saved=False, editable=False, version=0):
    """One field of the form; ``version`` is the stored value's (0: none yet), sent back with the autosave so a
    value someone else saved meanwhile is not overwritten (dudao.concurrency)."""
    return {
        "sub": sub,
        "element": element,
        "value": value,
        "error": error,
        "saved": saved,
        "editable": editable,
        "version": version,
    }


def findings_context(sub, editable) -> dict:
    findings = services.check_submission(sub)
    return {
        "sub": sub,
        "editable": editable,
        "missing": [f for f in findings if f.key.startswith("required:")],
        "rules": [f for f in findings if not f.key.startswith("required:")],
        "blocking": services.blocking(findings),
    }


@login_required
def findings(request, pk):
    """The check panel alone, re-fetched by htmx after each autosave."""
    sub = visible_submission(request, pk)
    return render(request, "collection/_findings.html", findings_context(sub, services.can_edit(request.user, sub)))


@checks_its_own_text  # parse_value checks the text; its problem shows next to the field
@login_required
@require_POST
def save_value(request, pk, code):
    """htmx autosave of one field; answers with the re-rendered field (error or “已保存”).

    The field posts the version of the value it shows; when someone else saved the field since, the answer is 409
    with both values next to the field, the typed value kept in it, and the current version — so saving again is a
    deliberate overwrite by someone who has seen the other value."""
    sub = visible_submission(request, pk)
    member = sub.campaign.dataset.members.select_related("element").filter(element__code=code).first()
    if member is None:
        raise Http404
    raw = request.POST.get("value", "")
    try:
        services.save_values(sub, {code: raw}, request.user, versions={code: request.POST.get("version")})
        status = 200
        error = ""
    except DudaoError as exc:
        if code not in exc.errors:  # refused as a whole (locked, no role): the error handler answers
            raise
        status = exc.status if exc.status == CONFLICT else 422
        error = exc.field_errors()[code]
    version = selectors.versions_of(sub, [code]).get(code, 0)
    ctx = field_context(sub, member.element, raw, error=error, saved=not error, editable=True, version=version)
    response = render(request, "collection/_field.html", ctx, status=status)
    if status == 200:
        response["HX-Trigger"] = "findings-changed"
    return response


@login_required
@require_POST
def explain(request, pk):
    sub = visible_submission(request, pk)
    try:
        version = request.POST.get("version", "")  # the explanation's as the page read it (dudao.concurrency)
        services.explain(sub, request.POST.get("key", ""), request.POST.get("text", ""), request.user, version)
        messages.success(request, "说明已保存")
    except DudaoError as exc:
        if exc.status == FORBIDDEN:
            raise
        messages.error(request, str(exc))
    return redirect("review:submission", pk=sub.pk)


@login_required
def school_template(request, pk):
    sub = visible_submission(request, pk)
    response = HttpResponse(excel.school_template(sub), content_type=XLSX)
    filename = f"{sub.org.code}_{sub.campaign.dataset.code}_{sub.campaign.period.code}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_POST
def school_upload(request, pk):
    sub = visible_submission(request, pk)
    upload = request.FILES.get("file")
    if not services.can_edit(request.user, sub):
        raise forbidden("当前状态下不能导入数据，或您无权修改该学校数据")
    if upload is None:
        messages.error(request, "请选择要上传的 Excel 文件")
        return redirect("review:submission", pk=sub.pk)
    try:
        result = excel.import_school(sub, upload, request.user)
        messages.success(request, f"导入成功，更新 {result.saved} 项")
    except DudaoError as exc:
        if exc.status == FORBIDDEN:  # the submission moved on meanwhile: not a problem in the file
            raise
        return render(request, "collection/import_errors.html", {"errors": exc.messages(), "back": sub}, status=422)
    return redirect("review:submission", pk=sub.pk)


def _district_scope(request, pk, org_code):
    campaign = get_object_or_404(Campaign.objects.select_related("dataset", "period"), pk=pk)
    org = unit(org_code)
    if org is None or not excel.can_bulk(request.user, org) or org.level == Level.SCHOOL:
        raise Http404
    return campaign, org


@login_required
def district_template(request, pk, org_code):
    campaign, org = _district_scope(request, pk, org_code)
    response = HttpResponse(excel.district_template(campaign, org, request.user), content_type=XLSX)
    response["Content-Disposition"] = (
        f'attachment; filename="{org.code}_{campaign.dataset.code}_{campaign.period.code}.xlsx"'
    )
    return response


@login_required
@require_POST
def district_upload(request, pk, org_code):
    campaign, org = _district_scope(request, pk, org_code)
    upload = request.FILES.get("file")
    back = f"{reverse('review:coverage', args=[campaign.pk])}?org={org.code}"
    if upload is None:
        messages.error(request, "请选择要上传的 Excel 文件")
        return redirect(back)
    try:
        result = excel.import_district(campaign, org, upload, request.user)
        messages.success(request, f"导入成功：{len(result.schools)} 所学校，更新 {result.saved} 项")
    except DudaoError as exc:
        if exc.status == FORBIDDEN:
            raise
        return render(
            request, "collection/import_errors.html", {"errors": exc.messages(), "back_url": back}, status=422
        )
    return redirect(back)
