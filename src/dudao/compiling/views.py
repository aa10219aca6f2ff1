"""Pages of the compiling workspace: the report's chapters with their review status, one chapter's editor (figures
with provenance, parts with token insertion and live preview, cases to pick), review actions and a preview of the
whole report. Thin: every write goes through :mod:`.services`, which decides who may do it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from dudao import concurrency
from dudao.collection import selectors as collection
from dudao.errors import DudaoError, forbidden
from dudao.indicators.definitions import catalog
from dudao.indicators.query import readings
from dudao.inputs import parse_id
from dudao.orgs import selectors as orgs
from dudao.orgs.access import memberships
from dudao.reports import references
from dudao.reports.builder import build
from dudao.reports.render import to_html

from . import outline, selectors, services
from .contributions import paragraphs
from .models import CasePick, Chapter, Part
from .vocabulary import EDITABLE

if TYPE_CHECKING:
    from dudao.collection.models import Period
    from dudao.orgs.models import OrgUnit


SYNTAX = _lazy(
    "写法：{{代码}} 数值与单位；{{代码:change}} 同比变化；{{代码:prev}} 上年值；{{代码@单位代码}} 其他单位；"
    "{{代码#2019}} 其他年度；{{代码~floor2}} 保留两位有效数字（“超过”“余”）。"
)


def _scope(request, org_code: str, period_code: str) -> tuple[OrgUnit, Period]:
    """The report's org and period, if they exist and the user may compile or approve it (404 / 403 otherwise)."""
    org, period = orgs.unit(org_code), collection.period(period_code)
    if org is None or period is None or not services.is_report_org(org):
        raise Http404
    if not services.may_view(request.user, org):
        raise forbidden(_("您无权查看该报告的编撰"))
    return org, period


def _entry(key: str) -> outline.Entry:
    entry = outline.entry(key)
    if entry is None:
        raise Http404
    return entry


def _chapter(org, period, key) -> Chapter:
    _entry(key)
    found = selectors.chapter(org, period, key)
    if found is None:
        raise Http404
    return found


def _back(org, period, key, anchor: str = ""):
    url = reverse("compiling:chapter", args=[org.code, period.code, key])
    return redirect(url + (f"#{anchor}" if anchor else ""))


@login_required
def index(request):
    """Straight to the one report the user compiles or approves; a list when there are several."""
    if request.user.is_superuser:
        units = [u for u in [orgs.city()] if u is not None]
    else:
        units = list(
            {m.org.pk: m.org for m in memberships(request.user) if services.may_view(request.user, m.org)}.values()
        )
    if not units:
        raise forbidden(_("您没有报告编撰或审定的权限"))
    period = collection.latest_period_with_final_data() or collection.periods(newest_first=True).first()
    if period is None:
        raise Http404
    if len(units) == 1:
        return redirect("compiling:workspace", units[0].code, period.code)
    return render(request, "compiling/index.html", {"units": units, "period": period})


@login_required
def workspace(request, org_code, period_code):
    org, period = _scope(request, org_code, period_code)
    started = {c.key: c for c in selectors.chapters(org, period)}
    rows = [{"entry": e, "chapter": started.get(e.key)} for e in outline.entries()]
    return render(
        request,
        "compiling/workspace.html",
        {
            "org": org,
            "period": period,
            "rows": rows,
            "periods": collection.periods(newest_first=True),
            "ready": selectors.ready_to_publish(org, period),
            "may_edit": services.may_edit(request.user, org),
            "may_approve": services.may_approve(request.user, org),
        },
    )


def _figures(org, period, entry: outline.Entry) -> tuple[list[dict], list[dict]]:
    """The indicators of the chapter's sections with value, change and provenance; then every other indicator."""
    resolver = references.Resolver(org, period)
    found = readings(org, period)
    mine, others = [], []
    for indicator in catalog():
        reading = found.get(indicator.code)
        row: dict[str, Any] = {"code": indicator.code, "name": indicator.name, "token": "{{" + indicator.code + "}}"}
        if indicator.section in entry.indicators and reading is not None:
            row["value"] = resolver.render(row["token"])
            row["change"] = resolver.render("{{" + indicator.code + ":change}}")
            row["schools"] = reading.schools
            row["own"] = reading.aggregation == "own"
            mine.append(row)
        else:
            others.append(row)
    return mine, others


def _cases(org, period, entry: outline.Entry) -> tuple[list[dict], list[dict]]:
    """Reviewed school and district cases under ``org``: this chapter's first, then the others; each marked with
    the chapter that already carries it (a case appears once per report)."""
    taken = selectors.picked(org, period)
    mine: list[dict] = []
    others: list[dict] = []
    for case in collection.cases(period, under=org):
        row = {"case": case, "taken": taken.get((case.org_id, case.key))}
        chapter = str(case.chapter or "")
        (mine if chapter == entry.key or chapter.split(".")[0] == entry.chapter else others).append(row)
    return mine, others


def _chapter_page(request, org, period, key, *, drafts: dict | None = None, status: int = 200, chapter=None):
    entry = _entry(key)
    if chapter is None:
        chapter = selectors.chapter(org, period, key)
    if chapter is None and services.may_edit(request.user, org):
        chapter = services.open_chapter(org, period, key, request.user)
    may_edit = services.may_edit(request.user, org)
    editable = bool(chapter) and may_edit and chapter.status in EDITABLE
    parts = selectors.parts(chapter) if chapter else []
    drafts = drafts or {}
    resolver = references.Resolver(org, period)
    part_rows = [
        {"part": p, "draft": drafts.get(p.pk), "paragraphs": paragraphs(resolver.render(p.text))} for p in parts
    ]
    figures, other_figures = _figures(org, period, entry)
    cases, other_cases = _cases(org, period, entry)
    keys = outline.keys()
    position = keys.index(key)
    context = {
        "org": org,
        "period": period,
        "entry": entry,
        "chapter": chapter,
        "part_rows": part_rows,
        "new_draft": drafts.get("new"),
        "editable": editable,
        "may_edit": may_edit,
        "may_submit": editable and bool(parts),
        "may_approve": bool(chapter) and services.may_approve(request.user, org),
        "figures": figures,
        "other_figures": other_figures,
        "facts": references.facts(),
        "syntax": SYNTAX,
        "cases": cases,
        "other_cases": other_cases,
        "previous_key": keys[position - 1] if position else None,
        "next_key": keys[position + 1] if position + 1 < len(keys) else None,
    }
    return render(request, "compiling/chapter.html", context, status=status)


@login_required
def chapter(request, org_code, period_code, key):
    org, period = _scope(request, org_code, period_code)
    return _chapter_page(request, org, period, key)


def _version(request) -> int:
    return concurrency.expected_version(request.POST.get("version"))


@login_required
@require_POST
def part_save(request, org_code, period_code, key, pk=None):
    org, period = _scope(request, org_code, period_code)
    found = _chapter(org, period, key)
    part = get_object_or_404(Part, pk=pk, chapter=found) if pk else None
    title, text = request.POST.get("title", ""), request.POST.get("text", "")
    try:
        saved = services.save_part(found, part, title, text, request.user, _version(request))
    except DudaoError as exc:
        draft = {"title": title, "text": text, "error": exc.message}
        return _chapter_page(request, org, period, key, drafts={pk or "new": draft}, status=exc.status)
    messages.success(request, _("已保存"))
    return _back(org, period, key, f"part-{saved.pk}")


@login_required
@require_POST
def part_remove(request, org_code, period_code, key, pk):
    org, period = _scope(request, org_code, period_code)
    part = get_object_or_404(Part, pk=pk, chapter=_chapter(org, period, key))
    try:
        services.remove_part(part, request.user, _version(request))
        messages.success(request, _("已删除段落"))
    except DudaoError as exc:
        messages.error(request, str(exc.message))
    return _back(org, period, key)


@login_required
@require_POST
def case_pick(request, org_code, period_code, key):
    org, period = _scope(request, org_code, period_code)
    found = _chapter(org, period, key)
    part = get_object_or_404(Part, pk=parse_id(request.POST.get("part")) or 0, chapter=found)
    source, slot = request.POST.get("source", ""), request.POST.get("slot", "")
    case = next((c for c in collection.cases(period, under=org) if c.org_code == source and c.key == slot), None)
    if case is None:
        raise Http404  # not a reviewed case of this report's schools and districts
    try:
        pick = services.pick_case(part, case, request.user)
        messages.success(request, _("已选用案例：%(title)s") % {"title": pick.title})
        return _back(org, period, key, f"case-{pick.pk}")
    except DudaoError as exc:
        messages.error(request, exc.message)
        return _back(org, period, key)


@login_required
@require_POST
def case_edit(request, org_code, period_code, key, pk):
    org, period = _scope(request, org_code, period_code)
    pick = get_object_or_404(CasePick, pk=pk, part__chapter=_chapter(org, period, key))
    try:
        services.edit_case(
            pick,
            request.POST.get("title", ""),
            request.POST.get("body", ""),
            request.POST.get("credit", ""),
            request.user,
            _version(request),
        )
        messages.success(request, _("案例已保存"))
    except DudaoError as exc:
        # a stale save's message names each field with both texts; a bad one lists the fields
        stale = isinstance(exc, concurrency.StaleEdit)
        messages.error(request, "；".join(exc.messages()) if exc.errors and not stale else exc.message)
    return _back(org, period, key, f"case-{pick.pk}")


@login_required
@require_POST
def case_remove(request, org_code, period_code, key, pk):
    org, period = _scope(request, org_code, period_code)
    pick = get_object_or_404(CasePick, pk=pk, part__chapter=_chapter(org, period, key))
    try:
        services.remove_case(pick, request.user, _version(request))
        messages.success(request, _("已移除案例"))
    except DudaoError as exc:
        messages.error(request, exc.message)
    return _back(org, period, key)


@login_required
@require_POST
def review(request, org_code, period_code, key, action):
    """submit (the compiler), approve or return (the approver); a refusal for want of the role is a 403 page."""
    org, period = _scope(request, org_code, period_code)
    found = _chapter(org, period, key)
    try:
        if action == "submit":
            services.submit(found, request.user)
            messages.success(request, _("已提交审定"))
        elif action == "approve":
            services.approve(found, request.user)
            messages.success(request, _("已审定"))
        elif action == "return":
            services.return_(found, request.user, request.POST.get("reason", ""))
            messages.success(request, _("已退回"))
        else:
            raise Http404
    except DudaoError as exc:
        if exc.status == 403:
            raise
        messages.error(request, exc.message)
    return _back(org, period, key)


@login_required
@require_POST
def preview(request):
    """The text of one part with its tokens resolved (htmx, as the compiler types)."""
    org, period = _scope(request, request.POST.get("org", ""), request.POST.get("period", ""))
    text = request.POST.get("text", "")
    return render(
        request,
        "compiling/_preview.html",
        {
            "problems": references.problems(text),
            "paragraphs": paragraphs(references.render(text, org, period)),
        },
    )


@login_required
def report(request, org_code, period_code):
    """The whole report as it would be built now (approved chapters only), before asking for publication."""
    org, period = _scope(request, org_code, period_code)
    return HttpResponse(to_html(build(org, period)))


# ----------------------------------------------------------------------------- 工作年报 (the plan's year-end report)


def _work_scope(request, plan_pk: int):
    """The plan, the city and the plan year's period for its owner (403 for anyone else, 404 for no such plan)."""
    from dudao.plans import selectors as plans

    from . import workreport

    if not workreport.may_compile(request.user):
        raise forbidden(_("只有工作要点的主管单位可以编撰工作年报"))
    from django.core.exceptions import ObjectDoesNotExist

    try:
        plan = plans.plan_by_pk(plan_pk)
    except ObjectDoesNotExist as exc:  # Plan.DoesNotExist: plans' models are private to it
        raise Http404 from exc
    return plan, orgs.city(), collection.period(str(plan.year))


@login_required
def work(request, plan_pk):
    """Compile, preview and ask to publish the plan's 工作年报: its chapters with the tasks each carries, the annex of
    tasks without an approved account, the publication versions so far."""
    from dudao.plans import accounts
    from dudao.portal import publishing
    from dudao.portal.selectors import versions_of

    from . import workreport

    plan, city, period = _work_scope(request, plan_pk)
    template = workreport.template_of(plan)
    context = {
        "plan": plan,
        "period": period,
        "compiled": accounts.compilation(plan),
        "versions": versions_of(city, period, template) if period else [],
        "may_request": period is not None and publishing.may_request(request.user, city),
    }
    return render(request, "compiling/work.html", context)


@login_required
def work_report(request, plan_pk, fmt):
    """The 工作年报 as it would be built now, in the quality reports' official form (HTML, PDF, DOCX)."""
    from dudao.reports.render import render as render_report

    from . import workreport

    plan, city, period = _work_scope(request, plan_pk)
    if period is None or fmt not in ("html", "pdf", "docx"):
        raise Http404
    report = workreport.build(plan, city, period)
    types = {
        "html": "text/html; charset=utf-8",
        "pdf": "application/pdf",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    }
    response = HttpResponse(render_report(report, fmt), content_type=types[fmt])
    if fmt != "html":
        response["Content-Disposition"] = f'attachment; filename="work_report_{plan.year}_{plan.pk}.{fmt}"'
    return response


@login_required
@require_POST
def work_publish(request, plan_pk):
    """Ask for publication (the portal's four-eyes step: a second person approves it at the publication desk)."""
    from dudao.portal import publishing

    from . import workreport

    plan, city, period = _work_scope(request, plan_pk)
    if period is None:
        raise DudaoError(_("%(year)s年的报告期尚未设立，不能发布") % {"year": plan.year})
    publishing.request(city, period, request.user, workreport.template_of(plan))
    messages.success(request, _("已申请发布，待另一位管理员审核"))
    return redirect("compiling:work", plan_pk=plan.pk)
