"""Year-end accounts (年终交账): each responsible office tells, task by task, what it achieved — the body of the
工作年报, which the plan's owner compiles (``dudao.compiling.workreport``).

Who does what (one place, :func:`may_write` / :func:`may_review`):

- the office's writing roles (``services.UNIT_ROLES`` at the assigned unit — the same people who file its progress
  reports) write, save and submit the account of their assignment;
- the office head reviews: a 审核员 (``Role.CHECKER``) granted at the office, or a 市管理员 of the city (the plan's
  administrators stand above every office) — never the person who submitted it (four eyes);
- an approved account is final; a returned one is editable again, and submitting it goes back to the head.

Figures enter the prose by reference, never typed twice: ``{{目标1}}`` prints the task's first target ("30个"),
``{{实际1}}`` the office's actual figure for it ("31个"), in the order the task's text states its targets (the
double-brace form of ``reports.references``; those tokens name indicators, these name the task's own targets).
Every save carries the version the form read (``dudao.concurrency``): a stale page's save is refused (409).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dudao import concurrency
from dudao.errors import UNPROCESSABLE, DudaoError, conflict, forbidden
from dudao.history import set_author
from dudao.inputs import parse_number, text_problem
from dudao.notifications.services import notify
from dudao.notifications.vocabulary import Kind
from dudao.orgs.access import has_role, holders, visible_units
from dudao.orgs.vocabulary import Role
from dudao.rounding import fixed

from .models import Account, Assignment, Plan, Section, Target, Task
from .services import UNIT_ROLES, can_report, city_unit

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

MAX_TEXT = 20000  # Account.text's max_length
HEAD_ROLES = (Role.CHECKER,)  # the office head, granted at the office
TOKEN = re.compile(r"\{\{\s*(目标|实际)\s*(\d{1,3})\s*\}\}")
State = Account.State
EDITABLE = (State.DRAFT, State.RETURNED)


# ----------------------------------------------------------------------------------------------- pure rules


def figure(value: float | None, unit: str) -> str:
    """A figure as the report prints it: "30个", "1.5万人次", "97.2%"; "—" when nobody gave it."""
    if value is None:
        return "—"
    text = fixed(value, 4).rstrip("0").rstrip(".")  # half-up to 4 decimals, no trailing zeros
    return f"{text}{unit}"


def tokens(text: str) -> list[tuple[str, int]]:
    """(kind, number) of every figure token in ``text``: kind 目标 or 实际, number counted from 1."""
    return [(m.group(1), int(m.group(2))) for m in TOKEN.finditer(text or "")]


def token_problems(text: str, target_count: int) -> list[str]:
    """Tokens naming a target the task does not have (the task states ``target_count`` targets)."""
    return [
        _("“%(token)s”：该任务只有%(count)s项目标") % {"token": f"{{{{{kind}{n}}}}}", "count": target_count}
        for kind, n in tokens(text)
        if not 1 <= n <= target_count
    ]


def resolve(text: str, targets: Sequence[tuple[float, str]], actuals: Sequence[float | None]) -> str:
    """``text`` with its tokens replaced: ``targets`` are (value, unit) in the task's order, ``actuals`` the office's
    figures in the same order (None: not given, printed "—")."""

    def replace(match: re.Match) -> str:
        index = int(match.group(2)) - 1
        if not 0 <= index < len(targets):
            return match.group(0)
        planned, unit = targets[index]
        if match.group(1) == "目标":
            return figure(planned, unit)
        return figure(actuals[index] if index < len(actuals) else None, unit)

    return TOKEN.sub(replace, text or "")


# ----------------------------------------------------------------------------------------------- who


def may_write(user, assignment: Assignment) -> bool:
    return can_report(user, assignment)


def may_review(user, account: Account) -> bool:
    """The office head (审核员 at the office) or a city admin — not whoever submitted it."""
    if account.submitted_by_id == user.pk:
        return False
    org = account.assignment.org
    return has_role(user, org, *HEAD_ROLES) or has_role(user, city_unit(), Role.CITY_ADMIN)


def reviewers(account: Account) -> list[Any]:
    """Who is asked to review: the office's heads, else the city admins — never the submitter."""
    exclude = [account.submitted_by_id] if account.submitted_by_id else []
    heads = holders(account.assignment.org, HEAD_ROLES, nearest=True, exclude=exclude)
    found = heads or holders(city_unit(), (Role.CITY_ADMIN,), nearest=True, exclude=exclude)
    return [u for u in found if may_review(u, account)]


# ----------------------------------------------------------------------------------------------- writes


def _targets(assignment: Assignment) -> list[Target]:
    return list(assignment.task.targets.order_by("pk"))


def _parse_actuals(targets: list[Target], raw: dict[int, object] | Sequence[object]) -> tuple[dict, dict]:
    """{target pk text: number} from the form's ``{target pk: text}`` (or a list in the targets' order), and the
    errors by form field (``actual_<pk>``)."""
    if not isinstance(raw, dict):
        raw = {t.pk: v for t, v in zip(targets, raw)}
    known = {t.pk: t for t in targets}
    values, errors = {}, {}
    for key, text in raw.items():
        if text in (None, ""):
            continue
        target = known.get(int(key)) if str(key).isdigit() else None
        if target is None:
            errors[f"actual_{key}"] = _("目标 %(key)s 不属于该任务") % {"key": key}
            continue
        try:
            number = parse_number(text, field=f"actual_{key}", minimum=0)  # counts and shares
        except DudaoError as exc:
            errors[f"actual_{key}"] = f"“{target.text}”：{exc.message}"
            continue
        if number is not None:
            values[str(target.pk)] = float(number)
    return values, errors


def save(
    assignment: Assignment,
    user,
    text: str,
    actuals: dict[int, object] | Sequence[object] = (),
    *,
    version: int | None,
    submit: bool = False,
) -> Account:
    """Write the office's account (draft, or returned and being corrected); with ``submit`` hand it to the head.

    ``version`` is the account's as the form read it (0: no account yet); None only for the demo and scripts."""
    if not may_write(user, assignment):
        raise forbidden(_("只有责任处室可以填写该任务的年终交账"))
    account = Account.objects.filter(assignment=assignment).first()
    if account is not None and account.status not in EDITABLE:
        raise conflict(_("该交账%(state)s，不能修改") % {"state": account.get_status_display()})
    targets = _targets(assignment)
    text = (text or "").strip()
    errors: dict[str, str] = {}
    if not text:
        errors["text"] = _("请填写交账内容")
    elif text_problem(text, MAX_TEXT):
        errors["text"] = text_problem(text, MAX_TEXT)
    elif problems := token_problems(text, len(targets)):
        errors["text"] = "；".join(problems)
    values, wrong = _parse_actuals(targets, actuals)
    errors.update(wrong)
    if submit and not errors:
        missing = sorted({n for kind, n in tokens(text) if kind == "实际" and str(targets[n - 1].pk) not in values})
        for n in missing:
            errors[f"actual_{targets[n - 1].pk}"] = _("正文引用了{{实际%(n)s}}，请填写该目标的实际值") % {"n": n}
    if errors:
        raise DudaoError("；".join(errors.values()), errors=errors, status=UNPROCESSABLE)
    labels = {"text": _("交账内容")}
    with transaction.atomic():
        if account is None:
            if version not in (None, 0):
                raise concurrency.refuse(_("该任务的年终交账"), version, 0, labels, {}, {"text": text})
            account = Account(assignment=assignment, written_by=user, text=text)
            try:
                with transaction.atomic():
                    account.save()
            except IntegrityError:  # another office member created it meanwhile (one account per assignment)
                fresh = Account.objects.get(assignment=assignment)
                raise concurrency.refuse(
                    _("该任务的年终交账"), 0, fresh.version, labels, {"text": fresh.text}, {"text": text}
                ) from None
        elif version is None:
            account.version += 1
        else:
            concurrency.advance(account, version, what=_("该任务的年终交账"), labels=labels, yours={"text": text})
        account.text, account.actuals, account.written_by = text, values, user
        if submit:
            account.status, account.submitted_by, account.submitted_at = State.SUBMITTED, user, timezone.now()
            account.reviewed_by, account.reviewed_at = None, None
        set_author(account, user)
        account.save()
        if submit:
            _tell_reviewers(account)
    return account


def _subject(account: Account) -> dict[str, Any]:
    task = account.assignment.task
    return {"year": task.plan.year, "no": task.no, "office": account.assignment.org.name}


def _tell_reviewers(account: Account) -> None:
    """A submitted account → the office's heads (else the city admins), who are to approve or return it. Keyed by
    the account and its version: telling again for the same submission is a no-op, a resubmission after a return is
    news again."""
    notify(
        reviewers(account),
        Kind.ACCOUNT_SUBMITTED,
        _("年终交账待审核：%(office)s · %(year)s年工作要点第%(no)s项") % _subject(account),
        account.assignment.task.title,
        reverse("plans:account", args=[account.assignment_id]),
        key=f"account:{account.pk}:{account.version}",
    )


def review(account: Account, user, decision: str, note: str = "", *, version: int | None) -> Account:
    """The head's decision on a submitted account: ``approve`` or ``return`` (with the reason)."""
    if not may_review(user, account):
        if account.submitted_by_id == user.pk:
            raise forbidden(_("交账须由提交人以外的处室负责人审核"))
        raise forbidden(_("您无权审核该交账"))
    if decision not in ("approve", "return"):
        raise DudaoError(_("未知的审核操作"))
    if account.status != State.SUBMITTED:
        raise conflict(_("只有待审核的交账可以审核"))
    note = (note or "").strip()
    if decision == "return" and not note:
        raise DudaoError(_("请填写退回理由"), errors={"note": _("请填写退回理由")}, status=UNPROCESSABLE)
    if text_problem(note, 2000):
        raise DudaoError(text_problem(note, 2000), errors={"note": text_problem(note, 2000)}, status=UNPROCESSABLE)
    with transaction.atomic():
        if version is None:
            account.version += 1
        else:
            concurrency.advance(
                account,
                version,
                what=_("该任务的年终交账"),
                labels={"state": _("状态")},
                yours={"state": State.SUBMITTED.label},
                theirs=lambda fresh: {"state": fresh.get_status_display()},
            )
        account.status = State.APPROVED if decision == "approve" else State.RETURNED
        account.reviewed_by, account.reviewed_at, account.review_note = user, timezone.now(), note
        set_author(account, user)
        account.save()
        link = reverse("plans:account", args=[account.assignment_id])
        key = f"account:{account.pk}:{account.version}"
        if decision == "return":  # the office's writers, and whoever submitted it (a city admin may write for it)
            office = holders(account.assignment.org, UNIT_ROLES, nearest=True, exclude=[user.pk])
            notify(
                [*office, account.submitted_by],
                Kind.RETURNED,
                _("年终交账被退回：%(year)s年工作要点第%(no)s项") % _subject(account),
                note,
                link,
                key=key,
            )
        else:  # the writer (and the submitter, when another) learns that the account stands in the 工作年报
            notify(
                [account.written_by, account.submitted_by],
                Kind.ACCOUNT_APPROVED,
                _("年终交账已审核通过：%(year)s年工作要点第%(no)s项") % _subject(account),
                note,
                link,
                key=key,
            )
    return account


# ----------------------------------------------------------------------------------------------- reads


def account_of(assignment: Assignment) -> Account | None:
    return Account.objects.filter(assignment=assignment).first()


def my_assignments(user, plan: Plan | None = None) -> list[Assignment]:
    """The assignments whose account this user writes: those of the units they answer for (see
    ``selectors._mine``: the unit's own writers, or the nearest ones above a unit that has none)."""
    from .selectors import _mine

    found = Assignment.objects.filter(org__in=visible_units(user, UNIT_ROLES)).select_related("org", "task__plan")
    if plan is not None:
        found = found.filter(task__plan=plan)
    return _mine(user, found.order_by("task__plan__year", "task__no", "org__code"))


def review_queue(user) -> list[Account]:
    """Submitted accounts this user may approve or return, oldest first: :func:`may_review` as one query — the home
    page asks it for every user, and testing each account would cost two role lookups an account."""
    found = (
        Account.objects.filter(status=State.SUBMITTED)
        .exclude(submitted_by=user)
        .select_related("assignment__org", "assignment__task__plan", "submitted_by")
        .order_by("submitted_at", "pk")
    )
    if not has_role(user, city_unit(), Role.CITY_ADMIN):
        found = found.filter(assignment__org__in=visible_units(user, HEAD_ROLES))
    return list(found)


def current_year(today: date) -> int | None:
    """The plan year whose accounts are due now: the latest plan year that has begun (None: no plan yet)."""
    return Plan.objects.filter(year__lte=today.year).aggregate(latest=Max("year"))["latest"]


def to_write(user, today: date) -> list[tuple[Assignment, Account | None]]:
    """(assignment, its account or None) of the current plan year that this user's office still owes: no account,
    a draft, or one the head returned — what 我的待办 lists for the office's writers."""
    year = current_year(today)
    if year is None:
        return []
    found = Assignment.objects.filter(org__in=visible_units(user, UNIT_ROLES), task__plan__year=year)
    from .selectors import _mine

    mine = _mine(user, found.select_related("org", "task__plan").order_by("task__no", "org__code"))
    stored = {a.assignment_id: a for a in Account.objects.filter(assignment__in=[m.pk for m in mine])}
    return [(a, stored.get(a.pk)) for a in mine if a.pk not in stored or stored[a.pk].status in EDITABLE]


def ready_plans() -> list[Plan]:
    """Plans whose every assignment has an approved account (and that have assignments): the owner may compile and
    publish the 工作年报 without an annex of missing accounts."""
    return list(
        Plan.objects.annotate(
            assigned=Count("tasks__assignments", distinct=True),
            approved=Count(
                "tasks__assignments__account",
                filter=Q(tasks__assignments__account__status=State.APPROVED),
                distinct=True,
            ),
        )
        .filter(assigned__gt=0, approved=F("assigned"))
        .order_by("-year", "pk")
    )


def resolved_text(account: Account) -> str:
    targets = _targets(account.assignment)
    return resolve(
        account.text,
        [(t.value, t.unit) for t in targets],
        [account.actuals.get(str(t.pk)) for t in targets],
    )


@dataclass
class TaskAccounts:
    no: int
    title: str
    paragraphs: list[str]  # the approved accounts' text, figures resolved, one paragraph a line


@dataclass
class Missing:
    """A task without an approved account: its offices and where each one's account stands."""

    no: int
    title: str
    offices: list[tuple[str, str]]  # (unit name, state label — 未填写 when nothing was written)


@dataclass
class Chapter:
    no: int
    title: str
    subsections: list[tuple[str, list[TaskAccounts]]] = field(default_factory=list)  # ("" = tasks before any （一）)


@dataclass
class Compilation:
    """A plan's year-end accounts as the 工作年报 uses them: a chapter per section with its approved accounts in task
    order, and the tasks without one (the annex 未交账任务)."""

    plan_title: str
    year: int
    chapters: list[Chapter]
    missing: list[Missing]
    tasks: int

    @property
    def accounted(self) -> int:
        return self.tasks - len(self.missing)


def paragraphs(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def compilation(plan: Plan) -> Compilation:
    """Approved accounts only reach the body; a task is accounted for when at least one of its offices' accounts is
    approved (the lead office's first, then the co-offices'); every other task is listed in the annex."""
    titles = {(s.no, s.subsection): s.title for s in Section.objects.filter(plan=plan)}
    assignments: dict[int, list[Assignment]] = {}
    for a in Assignment.objects.filter(task__plan=plan).select_related("org").order_by("role", "org__code"):
        assignments.setdefault(a.task_id, []).append(a)
    accounts = {
        a.assignment_id: a
        for a in Account.objects.filter(assignment__task__plan=plan).select_related("assignment__task")
    }
    chapters: dict[int, Chapter] = {}
    missing: list[Missing] = []
    tasks: Iterable[Task] = plan.tasks.prefetch_related("targets").order_by("no")
    count = 0
    for task in tasks:
        count += 1
        mine = assignments.get(task.id, [])
        approved = [accounts[a.pk] for a in mine if a.pk in accounts and accounts[a.pk].status == State.APPROVED]
        if not approved:
            offices = [
                (a.org.name, accounts[a.pk].get_status_display() if a.pk in accounts else _("未填写")) for a in mine
            ]
            missing.append(Missing(task.no, task.title, offices or [(_("未分解"), _("未填写"))]))
            continue
        chapter = chapters.setdefault(
            task.section_no, Chapter(task.section_no, titles.get((task.section_no, None), ""))
        )
        sub = titles.get((task.section_no, task.subsection_no), "") if task.subsection_no else ""
        if not chapter.subsections or chapter.subsections[-1][0] != sub:
            chapter.subsections.append((sub, []))
        lines = [p for account in approved for p in paragraphs(resolved_text(account))]
        chapter.subsections[-1][1].append(TaskAccounts(task.no, task.title, lines))
    ordered = [chapters[no] for no in sorted(chapters)]
    return Compilation(plan.title, plan.year, ordered, missing, count)
