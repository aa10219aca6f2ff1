"""Pages of 督学: the ledger (list, one finding with its steps and forms), the city board, the inspector registry
with 挂牌, and the public school card with its contact form. Thin: :mod:`.selectors` decides who sees what (404 for
a finding the user may not read — its existence does not leak), :mod:`.services` who may act."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dudao.errors import UNPROCESSABLE, DudaoError, forbidden
from dudao.inputs import parse_date
from dudao.orgs import selectors as orgs
from dudao.security import client_ip

from . import checklists, selectors, services
from .models import Inspector, Step
from .vocabulary import FindingState, Severity, SourceKind


@login_required
def index(request):
    """The ledger the user may read, filtered by status and theme, with what waits for them on top."""
    if not selectors.takes_part(request.user):
        raise Http404
    found = selectors.visible_findings(request.user).order_by("status", "deadline", "pk")
    status, theme = request.GET.get("status", ""), request.GET.get("theme", "")
    if status in FindingState.values:
        found = found.filter(status=status)
    if theme:
        found = found.filter(theme=theme)
    return render(
        request,
        "supervision/index.html",
        {
            "findings": found[:500],
            "owed": selectors.owed_by(request.user),
            "to_recheck": selectors.to_recheck(request.user),
            "assigned": selectors.assigned_schools(request.user),
            "contact_messages": selectors.messages_for(request.user),
            "states": FindingState.choices,
            "status": status,
            "theme": theme,
            "manages": selectors.may_manage(request.user),
            "severities": Severity.choices,
            "sources": SourceKind.choices,
        },
    )


@login_required
@require_POST
def raise_finding(request):
    owner = orgs.unit((request.POST.get("owner") or "").strip())
    if owner is None:
        raise DudaoError(_("没有这个单位"), locator="owner", status=UNPROCESSABLE, errors={"owner": _("没有这个单位")})
    finding = services.raise_finding(
        owner,
        request.user,
        theme=request.POST.get("theme", ""),
        text=request.POST.get("text", ""),
        deadline=parse_date(request.POST.get("deadline", ""), "deadline"),
        severity=request.POST.get("severity", Severity.MEDIUM),
        source_kind=request.POST.get("source_kind", SourceKind.VISIT),
        source_ref=request.POST.get("source_ref", ""),
    )
    return redirect("supervision:finding", finding.pk)


def _finding(request, pk: int):
    found = selectors.finding(request.user, pk)
    if found is None:
        raise Http404
    return found


@login_required
def finding(request, pk: int, errors: dict | None = None, status: int = 200):
    found = _finding(request, pk)
    return render(
        request,
        "supervision/finding.html",
        {
            "finding": found,
            "steps": selectors.steps(found),
            "accountabilities": selectors.accountabilities(found),
            "may_rectify": found.status in (FindingState.OPEN, FindingState.RETURNED)
            and services.may_rectify(request.user, found),
            "may_recheck": found.status == FindingState.RECTIFYING and services.may_recheck(request.user, found),
            "may_hold": found.escalated_at is not None and services.may_hold_accountable(request.user, found),
            "errors": errors or {},
            "posted": request.POST if errors else {},
        },
        status=status,
    )


def _act(request, pk: int, action):
    found = _finding(request, pk)
    try:
        action(found)
    except DudaoError as error:
        if error.status != UNPROCESSABLE:
            raise
        return finding(request, pk, errors=error.field_errors(), status=UNPROCESSABLE)
    messages.success(request, _("已保存"))
    return redirect("supervision:finding", pk)


@login_required
@require_POST
def rectify(request, pk: int):
    return _act(
        request,
        pk,
        lambda f: services.submit_rectification(
            f, request.user, request.POST.get("text", ""), request.POST.get("version"), request.FILES.get("evidence")
        ),
    )


@login_required
@require_POST
def recheck(request, pk: int):
    accepted = request.POST.get("verdict") == "accept"
    return _act(
        request,
        pk,
        lambda f: services.recheck(
            f, request.user, accepted, request.POST.get("note", ""), request.POST.get("version")
        ),
    )


@login_required
@require_POST
def accountability(request, pk: int):
    return _act(
        request,
        pk,
        lambda f: services.hold_accountable(
            f,
            request.user,
            request.POST.get("measure", ""),
            request.POST.get("target", ""),
            request.POST.get("text", ""),
        ),
    )


@login_required
def evidence(request, pk: int):
    """A rectification's evidence file, to those who may read its finding."""
    step = Step.objects.filter(pk=pk).exclude(evidence="").first()
    if step is None or selectors.finding(request.user, step.finding_id) is None:
        raise Http404
    return FileResponse(
        step.evidence.open("rb"), as_attachment=True, filename=(step.evidence.name or "").rsplit("/", 1)[-1]
    )


@login_required
def board(request):
    """Counts by status per district and per theme (the city's 督学 board; a district sees its own row)."""
    if not selectors.may_manage(request.user):
        raise Http404
    context = selectors.board(request.user)
    context["publishes"] = services.may_publish_summary(request.user)
    return render(request, "supervision/board.html", context)


@login_required
@require_POST
def publish(request):
    """The city publishes its board as 督学工作概况 on the portal (counts only)."""
    services.publish_summary(request.user, request.POST.get("title", ""))
    messages.success(request, _("已发布到公开专栏"))
    return redirect("supervision:board")


@login_required
def inspectors(request):
    """The registry of the districts the user administers, with each school's current 责任督学 and the 挂牌 form."""
    if not selectors.may_manage(request.user):
        raise Http404
    today = timezone.localdate()
    people = list(selectors.inspectors(request.user))
    for person in people:
        person.is_qualified = person.qualified(today)
    return render(
        request,
        "supervision/inspectors.html",
        {"inspectors": people, "assignments": selectors.assignments_under(request.user), "today": today},
    )


@login_required
@require_POST
def assign(request):
    school = selectors.school((request.POST.get("school") or "").strip())
    if school is None:
        raise DudaoError(
            _("没有这所学校"), locator="school", status=UNPROCESSABLE, errors={"school": _("没有这所学校")}
        )
    person = Inspector.objects.filter(pk=request.POST.get("inspector") or 0).first()
    if person is None or not selectors.may_see_registry_of(request.user, person.district):
        raise forbidden(_("只能挂牌本区在册督学"))
    services.assign(school, person, request.user, parse_date(request.POST.get("on", ""), "on"))
    messages.success(request, _("已挂牌"))
    return redirect(reverse("supervision:inspectors") + "#assignments")


def school(request, code: str):
    """Public (no sign-in): the school's 责任督学 card — name, kind, phone — and a form to leave them a message."""
    found = selectors.school(code)
    if found is None:
        raise Http404
    errors: dict[str, str] = {}
    status = 200
    sent = False
    if request.method == "POST":
        try:
            services.leave_message(
                found,
                request.POST.get("text", ""),
                request.POST.get("name", ""),
                request.POST.get("contact", ""),
                ip=client_ip(request),
            )
            sent = True
        except DudaoError as error:
            errors = error.field_errors() or {"text": error.message}
            status = error.status
    return render(
        request,
        "supervision/school.html",
        {
            "school": found,
            "current": selectors.current(found),
            "errors": errors,
            "sent": sent,
            "posted": request.POST if errors else {},
            "message_max": services.MESSAGE_MAX,
        },
        status=status,
    )


# --------------------------------------------------------------------------- visits


@login_required
def visit_new(request):
    """The phone-first visit form. Its script (static/supervision/visit.js) posts to :func:`visit_sync`, or queues
    the visit in the phone's IndexedDB while offline and syncs it when the network is back."""
    schools = selectors.recordable_schools(request.user)
    if not schools:
        raise Http404
    routine_name, routine_items, _days = checklists.checklist(checklists.ROUTINE)
    themes = []
    for code, name in checklists.themes():
        themes.append({"code": code, "name": name, "items": checklists.checklist(checklists.THEMATIC, code)[1]})
    return render(
        request,
        "supervision/visit_form.html",
        {
            "schools": schools,
            "routine": {"code": "", "name": routine_name, "items": routine_items},
            "themes": themes,
            "severities": Severity.choices,
            "companions": selectors.companions_for(schools),
            "today": timezone.localdate(),
        },
    )


def _json_error(error: DudaoError) -> JsonResponse:
    return JsonResponse({"error": error.message, "errors": error.field_errors()}, status=error.status)


@login_required
@require_POST
def visit_sync(request):
    """One visit from the phone: a multipart post whose ``visit`` field is the JSON of the form and whose ``photos``
    are the files. Answers JSON: 201 with the new id, 200 with the existing id for a visit already synced (the same
    client UUID), or the refusal (4xx, ``error``) that the page shows on the queued record."""
    try:
        try:
            body = json.loads(request.POST.get("visit") or "")
        except ValueError:
            raise DudaoError(_("访校记录格式错误"), status=UNPROCESSABLE) from None
        if not isinstance(body, dict):
            raise DudaoError(_("访校记录格式错误"), status=UNPROCESSABLE)
        school = selectors.school(str(body.get("school") or ""))
        if school is None:
            raise DudaoError(
                _("没有这所学校"), locator="school", status=UNPROCESSABLE, errors={"school": _("没有这所学校")}
            )
        findings = body.get("findings") or []
        if not isinstance(findings, list) or not all(isinstance(f, dict) for f in findings):
            raise DudaoError(_("访校记录格式错误"), status=UNPROCESSABLE)
        answers = body.get("answers") or {}
        if not isinstance(answers, dict):
            raise DudaoError(_("访校记录格式错误"), status=UNPROCESSABLE)
        visit, created = services.record_visit(
            request.user,
            client_uuid=str(body.get("client_uuid") or ""),
            school=school,
            visited_on=parse_date(str(body.get("visited_on") or ""), "visited_on"),
            kind=str(body.get("kind") or ""),
            theme=str(body.get("theme") or ""),
            answers=answers,
            notes=str(body.get("notes") or ""),
            started_at=body.get("started_at"),
            ended_at=body.get("ended_at"),
            latitude=body.get("latitude"),
            longitude=body.get("longitude"),
            accuracy=body.get("accuracy"),
            companions=body.get("companions") or [],
            findings=[{k: str(v or "") for k, v in f.items()} for f in findings],
            photos=request.FILES.getlist("photos"),
        )
    except DudaoError as error:
        return _json_error(error)
    return JsonResponse(
        {"id": visit.pk, "created": created, "url": reverse("supervision:visit", args=[visit.pk])},
        status=201 if created else 200,
    )


@login_required
def visit(request, pk: int):
    found = selectors.visit(request.user, pk)
    if found is None:
        raise Http404
    name, items, _days = checklists.checklist(found.kind, found.theme)
    rows = [(item, checklists.shown(found.answers.get(item["code"]))) for item in items]
    return render(
        request,
        "supervision/visit.html",
        {
            "visit": found,
            "checklist_name": name,
            "rows": rows,
            "findings": selectors.visible_findings(request.user).filter(source_ref=f"visit-{found.pk}"),
        },
    )


@login_required
def visit_photo(request, pk: int):
    found = selectors.photo(request.user, pk)
    if found is None:
        raise Http404
    return FileResponse(found.file.open("rb"), content_type=found.content_type)


@login_required
def plans(request):
    """Each inspector's visit plan of a term against the visits made (the term defaults to today's)."""
    term = request.GET.get("term") or services.term_of(timezone.localdate())
    try:
        rows = selectors.plan_progress(request.user, term)
    except DudaoError:
        raise Http404 from None
    return render(
        request,
        "supervision/plans.html",
        {
            "term": term,
            "rows": rows,
            "manages": selectors.may_manage(request.user),
            "inspectors": selectors.inspectors(request.user),  # the plan form's picker: the office's registry
        },
    )


@login_required
@require_POST
def plan_set(request):
    school = selectors.school((request.POST.get("school") or "").strip())
    person = Inspector.objects.filter(pk=request.POST.get("inspector") or 0).first()
    if school is None or person is None or not selectors.may_see_registry_of(request.user, person.district):
        raise forbidden(_("只能为本区在册督学制定访校计划"))
    try:
        required = int(request.POST.get("visits_required") or "")
    except ValueError:
        required = 0
    term = (request.POST.get("term") or "").strip()
    services.plan_visits(person, school, term, required, request.user)
    messages.success(request, _("已保存"))
    return redirect(reverse("supervision:plans") + f"?term={term}")


@login_required
def sampling(request):
    """District and city: the recorded random draws of schools for thematic inspections, and the form to draw one."""
    if not selectors.may_manage(request.user):
        raise Http404
    return render(
        request,
        "supervision/sampling.html",
        {
            "draws": selectors.samplings(request.user)[:100],
            "units": selectors.may_sample(request.user),
            "themes": checklists.themes(),
            "year": timezone.localdate().year,
        },
    )


@login_required
@require_POST
def sampling_draw(request):
    under = orgs.unit((request.POST.get("under") or "").strip())
    if under is None:
        raise forbidden(_("没有这个单位"))
    try:
        n = int(request.POST.get("n") or "")
        year = int(request.POST.get("year") or "")
    except ValueError:
        raise DudaoError(_("请填写数字"), locator="n", status=UNPROCESSABLE, errors={"n": _("请填写数字")}) from None
    services.sample_schools(
        under, request.POST.get("theme", ""), n, request.user, year=year, seed=request.POST.get("seed") or None
    )
    messages.success(request, _("已抽取并记录"))
    return redirect("supervision:sampling")


def service_worker(request):
    """The PWA's service worker, served from /supervision/ so that its scope covers the visit form (a script under
    /static/ could only control /static/). It caches the form and its static files; see the template."""
    response = render(
        request,
        "supervision/sw.js",
        {"form_url": reverse("supervision:visit_new")},
        content_type="application/javascript; charset=utf-8",
    )
    response["Cache-Control"] = "no-cache"
    return response
