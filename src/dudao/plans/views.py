"""Thin views over :mod:`services`: plan list/import, plan and task pages, the 督办 board, summary, comparison."""

import tempfile
from datetime import date
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from dudao import concurrency, documents
from dudao.context import navigation
from dudao.errors import FORBIDDEN, DudaoError
from dudao.inputs import parse_id, parse_number
from dudao.listing import listing
from dudao.orgs.access import visible_units
from dudao.orgs.selectors import departments_and_districts, unit

from . import accounts, services, similarity, summary
from .models import Assignment, Plan, Reminder, Task, TaskLink
from .parser import MAX_FILE_BYTES, parse_file
from .vocabulary import Status

CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _sees_all(user) -> bool:
    return services.sees_all_plans(user)


def _may_see(user, plan: Plan | None = None) -> bool:
    """Supervisors see every plan; a unit sees plans in which it holds an assignment."""
    if _sees_all(user):
        return True
    units = visible_units(user)
    qs = Assignment.objects.filter(org__in=units)
    return qs.filter(task__plan=plan).exists() if plan else qs.exists()


def _plan(request, pk) -> Plan:
    plan = get_object_or_404(Plan, pk=pk)
    if not _may_see(request.user, plan):
        raise Http404
    return plan


def _visible_plans(user):
    return services.visible_plans(user)


# search fields and sortable columns of the plan list and a plan's task list (dudao.listing)
PLAN_SEARCH = ("title", "doc_number", "issuer")
PLAN_SORTS = {"year": "year", "title": "title", "doc_number": "doc_number", "issuer": "issuer", "date": "date"}
TASK_SEARCH = ("task.title", "task.no", "status")
TASK_SORTS = {"no": "task.no", "title": "task.title", "deadline": "deadline", "status": "status"}


@login_required
def plan_list(request):
    """Supervisors see every plan; a district or office sees the plans in which it has tasks (maybe none yet)."""
    if not navigation(request).get("nav_office"):
        raise Http404
    plans = _visible_plans(request.user)
    found = listing(request, plans, search=PLAN_SEARCH, sorts=PLAN_SORTS, default="-year")
    return render(
        request,
        "plans/list.html",
        {"plans": plans, "listing": found, "supervisor": services.is_supervisor(request.user)},
    )


@login_required
@require_POST
def plan_import(request):
    if not services.is_supervisor(request.user):
        raise Http404
    upload = request.FILES.get("file")
    try:
        year = parse_number(request.POST.get("year", ""), field="year", integer=True, minimum=2000, maximum=2100)
    except DudaoError:
        year = None
    if year is None:
        messages.error(request, "请填写年度")
        return redirect("plans:list")
    if upload is None:
        messages.error(request, "请选择文件")
        return redirect("plans:list")
    suffix = Path(upload.name).suffix.lower()
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        try:
            documents.check_upload_size(upload, MAX_FILE_BYTES)  # before copying it anywhere
            for chunk in upload.chunks():
                tmp.write(chunk)
            tmp.flush()
            parsed = parse_file(tmp.name)
            plan = services.import_plan(parsed, int(year), request.user, source_name=upload.name)
        except DudaoError as exc:
            messages.error(request, f"{upload.name}：{exc}")
            return redirect("plans:list")
    messages.success(request, f"已导入：{plan.title}（{plan.tasks.count()} 项任务）")
    return redirect("plans:plan", pk=plan.pk)


@login_required
def plan_detail(request, pk):
    plan = _plan(request, pk)
    rows = listing(request, services.board(plan), search=TASK_SEARCH, sorts=TASK_SORTS, default="no", per_page=100)
    sections = {(s.no, s.subsection): s.title for s in plan.sections.all()}
    return render(
        request,
        "plans/plan.html",
        {
            "plan": plan,
            "rows": rows.items,
            "listing": rows,
            "sections": sections,
            "supervisor": services.is_supervisor(request.user),
        },
    )


@login_required
def plan_board(request, pk):
    """督办台: only what needs attention — overdue, lagging, or waiting for an answer."""
    plan = _plan(request, pk)
    rows = [r for r in services.board(plan) if r.flagged or r.open_reminders]
    return render(request, "plans/board.html", {"plan": plan, "rows": rows})


@login_required
def task_detail(request, pk):
    task = get_object_or_404(Task.objects.select_related("plan"), pk=pk)
    if not _may_see(request.user, task.plan):
        raise Http404
    return _task_page(request, task)


def _task_page(request, task, refused=None, error=None):
    """The task page; after a refused progress report, that assignment's form shows what was typed and each
    message next to its field (answered 422), instead of a redirect that would lose the input."""
    assignments = list(task.assignments.select_related("org").prefetch_related("reports__actuals", "reminders"))
    targets = list(task.targets.all())
    for a in assignments:
        a.can_report = services.can_report(request.user, a)
        posted = request.POST if refused is not None and a.pk == refused.pk else {}
        a.field_errors = error.field_errors() if posted and error else {}
        # someone else reported meanwhile: the whole sentence (their report and this one) above the kept input
        a.stale = error.message if posted and isinstance(error, concurrency.StaleEdit) else ""
        a.posted = posted
        a.target_rows = [
            (t, posted.get(f"actual_{t.pk}", ""), a.field_errors.get(f"actual_{t.pk}", "")) for t in targets
        ]
    units = departments_and_districts()
    return render(
        request,
        "plans/task.html",
        {
            "task": task,
            "assignments": assignments,
            "units": units,
            "statuses": Status.choices,
            "supervisor": services.is_supervisor(request.user),
            "targets": targets,
            "links": _links_shown(request.user, task),
        },
        status=error.status if error else 200,
    )


def _links_shown(user, task):
    """Cross-year links of ``task`` to tasks of plans this user may read — a link to a page that answers 404 helps
    nobody (a district sees only the plans it holds tasks in)."""
    readable = services.visible_plans(user).values("pk")
    return TaskLink.objects.filter(earlier=task, later__plan__in=readable).select_related(
        "later__plan"
    ) | TaskLink.objects.filter(later=task, earlier__plan__in=readable).select_related("earlier__plan")


def _refused(exc: DudaoError) -> None:
    """A refusal (not this user's to do) is the 403 error page, as for any write a role may not make; only a
    mistake the user can correct comes back to the task page as a message."""
    if exc.status == FORBIDDEN:
        raise exc


def _back(task_id):
    return redirect("plans:task", pk=task_id)


@login_required
@require_POST
def task_assign(request, pk):
    task = get_object_or_404(Task, pk=pk)
    org = unit(request.POST.get("org", ""))
    if org is None:
        raise Http404
    try:
        deadline = date.fromisoformat(request.POST.get("deadline", ""))
        services.assign(task, org, request.POST.get("role", "lead"), deadline, request.user)
        messages.success(request, f"已分解给 {org.name}")
    except DudaoError as exc:
        _refused(exc)
        messages.error(request, str(exc))
    except ValueError:
        messages.error(request, "请填写完成时限")
    return _back(task.pk)


@login_required
@require_POST
def task_report(request, pk):
    assignment = get_object_or_404(Assignment.objects.select_related("task__plan"), pk=pk)
    actuals = {k.split("_", 1)[1]: v for k, v in request.POST.items() if k.startswith("actual_")}
    try:
        services.report_progress(
            assignment,
            request.POST.get("period", ""),
            request.POST.get("status", ""),
            request.POST.get("narrative", ""),
            request.user,
            actuals,
            concurrency.expected_version(request.POST.get("version")),
        )
    except DudaoError as exc:
        if not exc.errors:  # refused as a whole (not the unit's to report): the error page
            raise
        return _task_page(request, assignment.task, assignment, exc)
    messages.success(request, "进展已报送")
    return _back(assignment.task_id)


@login_required
@require_POST
def task_remind(request, pk):
    assignment = get_object_or_404(Assignment, pk=pk)
    try:
        services.remind(assignment, request.POST.get("text", ""), request.user)
        messages.success(request, "督办提醒已发出")
    except DudaoError as exc:
        _refused(exc)
        messages.error(request, str(exc))
    return _back(assignment.task_id)


@login_required
@require_POST
def reminder_answer(request, pk):
    reminder = get_object_or_404(Reminder.objects.select_related("assignment"), pk=pk)
    try:
        services.answer(
            reminder,
            request.POST.get("answer", ""),
            request.user,
            concurrency.expected_version(request.POST.get("version")),
        )
        messages.success(request, "已回复")
    except DudaoError as exc:
        _refused(exc)
        messages.error(request, str(exc))
    return _back(reminder.assignment.task_id)


@login_required
def plan_summary(request, pk, fmt):
    plan = _plan(request, pk)
    if fmt not in summary.FORMATS:
        raise Http404
    response = HttpResponse(summary.render(plan, fmt), content_type=CONTENT_TYPES[fmt])
    if fmt != "html":
        response["Content-Disposition"] = f'attachment; filename="plan-{plan.pk}-summary.{fmt}"'
    return response


@login_required
def compare(request):
    """Two plans side by side, tasks that continue each other on one row."""
    if not _may_see(request.user):
        raise Http404
    plans = Plan.objects.all()
    a = plans.filter(pk=parse_id(request.GET.get("a")) or 0).first()
    b = plans.filter(pk=parse_id(request.GET.get("b")) or 0).first()
    pairs = []
    if a and b and a.pk != b.pk:
        earlier, later = (a, b) if a.year <= b.year else (b, a)
        links = TaskLink.objects.filter(earlier__plan=earlier, later__plan=later)
        if not links.exists():
            similarity.link_plans(earlier, later)
        pairs = list(
            TaskLink.objects.filter(earlier__plan=earlier, later__plan=later)
            .select_related("earlier", "later")
            .order_by("earlier__no")
        )
        a, b = earlier, later
    return render(request, "plans/compare.html", {"plans": plans, "a": a, "b": b, "pairs": pairs})


# ----------------------------------------------------------------------------- year-end accounts (年终交账)


def _plan_owner(user) -> bool:
    """The city's plan administrators and its 报告编撰员 see the 工作年报's compile page (compiling decides there)."""
    from dudao.orgs.access import has_role
    from dudao.orgs.vocabulary import Role

    return has_role(user, services.city_unit(), Role.CITY_ADMIN, Role.COMPILER)


@login_required
def account_list(request):
    """The user's offices' tasks with the state of each year-end account; links to the head's queue and, for the
    plan's owner, to the compile page of each plan."""
    rows = [(a, accounts.account_of(a)) for a in accounts.my_assignments(request.user)]
    plans = services.visible_plans(request.user) if _plan_owner(request.user) else []
    return render(
        request,
        "plans/accounts.html",
        {"rows": rows, "queue": len(accounts.review_queue(request.user)), "owner_plans": plans},
    )


def _account_page(request, assignment: Assignment, error: DudaoError | None = None, status: int = 200):
    account = accounts.account_of(assignment)
    targets = list(assignment.task.targets.order_by("pk"))
    posted = request.POST.dict() if error else None
    stored = account.actuals if account else {}
    field_errors = dict(error.errors) if error is not None and isinstance(error.errors, dict) else {}
    rows = [
        (
            n,
            t,
            posted.get(f"actual_{t.pk}", "") if posted is not None else stored.get(str(t.pk), ""),
            field_errors.get(f"actual_{t.pk}", ""),
        )
        for n, t in enumerate(targets, 1)
    ]
    context = {
        "assignment": assignment,
        "task": assignment.task,
        "account": account,
        "rows": rows,
        "text": posted.get("text", "") if posted is not None else (account.text if account else ""),
        "version": account.version if account else 0,
        "editable": accounts.may_write(request.user, assignment)
        and (account is None or account.status in accounts.EDITABLE),
        "reviewable": account is not None
        and account.status == accounts.State.SUBMITTED
        and accounts.may_review(request.user, account),
        "resolved": accounts.paragraphs(accounts.resolved_text(account)) if account else [],
        "error": error,
        "field_errors": field_errors,
    }
    return render(request, "plans/account.html", context, status=status)


def _assignment_for(request, pk) -> Assignment:
    assignment = get_object_or_404(Assignment.objects.select_related("task__plan", "org"), pk=pk)
    if not (
        accounts.may_write(request.user, assignment)
        or _sees_all(request.user)
        or assignment.org in visible_units(request.user)
    ):
        raise Http404
    return assignment


@login_required
def account_form(request, pk):
    """One assignment's account: the form (save as draft / submit) while it is the office's to edit; the head's
    approve/return buttons while it waits for review; the text with its figures resolved."""
    assignment = _assignment_for(request, pk)
    if request.method != "POST":
        return _account_page(request, assignment)
    actuals = {k.split("_", 1)[1]: v for k, v in request.POST.items() if k.startswith("actual_")}
    try:
        accounts.save(
            assignment,
            request.user,
            request.POST.get("text", ""),
            actuals,
            version=concurrency.expected_version(request.POST.get("version")),
            submit=request.POST.get("action") == "submit",
        )
    except DudaoError as exc:
        if not exc.errors and exc.status != 409:
            raise
        return _account_page(request, assignment, exc, exc.status)
    messages.success(request, "交账已提交审核" if request.POST.get("action") == "submit" else "交账已保存")
    return redirect("plans:account", pk=assignment.pk)


@login_required
def account_queue(request):
    """The head's queue: submitted accounts this user may approve or return."""
    return render(request, "plans/account_queue.html", {"queue": accounts.review_queue(request.user)})


@login_required
@require_POST
def account_review(request, pk, decision):
    assignment = _assignment_for(request, pk)
    account = accounts.account_of(assignment)
    if account is None:
        raise Http404
    try:
        accounts.review(
            account,
            request.user,
            decision,
            request.POST.get("note", ""),
            version=concurrency.expected_version(request.POST.get("version")),
        )
    except DudaoError as exc:
        if not exc.errors and exc.status != 409:
            raise
        return _account_page(request, assignment, exc, exc.status)
    messages.success(request, "交账已审核通过" if decision == "approve" else "交账已退回")
    return redirect("plans:account_queue")
