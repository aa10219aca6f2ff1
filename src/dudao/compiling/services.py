"""Writing and reviewing compiled chapters (编撰与审定). Every function checks who may write, runs atomically and
raises :class:`~dudao.errors.DudaoError` with field locators for what the user can fix.

Who does what:

* the city report — a 报告编撰员 (``Role.COMPILER``) held at the city writes; a 市管理员 (``city_admin``) approves;
* a district report — a 区审核员 of that district writes; a 市管理员 or another 区审核员 of the district approves.

Approval takes a second person: whoever last edited a chapter's content or submitted it cannot approve it (四眼原则).
Two compilers editing one chapter never silently overwrite each other: every write carries the chapter's
``version`` as the page read it, and a stale one is refused with 409 showing both texts (:mod:`dudao.concurrency`,
the rule every edit form shares).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from dudao import concurrency
from dudao.errors import UNPROCESSABLE, DudaoError, conflict, forbidden, not_found
from dudao.history import set_author
from dudao.orgs.access import has_role
from dudao.orgs.vocabulary import Level, Role
from dudao.reports import references

from . import outline
from .models import CasePick, Chapter, Part
from .vocabulary import EDITABLE, ChapterStatus

if TYPE_CHECKING:
    from dudao.collection.models import Period
    from dudao.collection.selectors import CaseRecord
    from dudao.orgs.models import OrgUnit

EDIT_ROLES: dict[str, tuple[str, ...]] = {Level.CITY: (Role.COMPILER,), Level.DISTRICT: (Role.DISTRICT_REVIEWER,)}
APPROVE_ROLES: dict[str, tuple[str, ...]] = {
    Level.CITY: (Role.CITY_ADMIN,),
    Level.DISTRICT: (Role.CITY_ADMIN, Role.DISTRICT_REVIEWER),
}
TITLE_MAX = 200


# --------------------------------------------------------------------------- who may


def is_report_org(org: OrgUnit) -> bool:
    return org.level in EDIT_ROLES


def may_edit(user: Any, org: OrgUnit) -> bool:
    return is_report_org(org) and has_role(user, org, *EDIT_ROLES[org.level])


def may_approve(user: Any, org: OrgUnit) -> bool:
    return is_report_org(org) and has_role(user, org, *APPROVE_ROLES[org.level])


def may_view(user: Any, org: OrgUnit) -> bool:
    return may_edit(user, org) or may_approve(user, org)


# --------------------------------------------------------------------------- helpers


PART_LABELS = {"title": _lazy("小节标题"), "text": _lazy("正文")}
CASE_LABELS = {"title": _lazy("案例标题"), "body": _lazy("案例正文"), "credit": _lazy("署名单位")}


def _locked(
    chapter: Chapter,
    version: int | None = None,
    *,
    yours: Mapping[str, object] | None = None,
    theirs: Any = None,
    labels: Mapping[str, Any] | None = None,
) -> Chapter:
    """The chapter's row as stored now (locked for the transaction), its next version claimed.

    With ``version`` (what the page read) the claim is :func:`dudao.concurrency.advance`'s conditional update: a
    page that read an older version is refused (409) with, per field of ``yours`` that differs, the stored value
    (``theirs``: the part or case as saved now, or nothing for a new part) and the typed one."""
    fresh = Chapter.objects.select_for_update().select_related("org", "period").get(pk=chapter.pk)
    expected = fresh.version if version is None else concurrency.expected_version(version)
    concurrency.advance(
        fresh,
        expected,
        what=_("此章节"),
        labels={k: str(v) for k, v in (labels or {}).items()},
        yours=yours or {},
        theirs=lambda row: _stored(theirs, yours or {}),
    )
    return fresh


def _stored(record: Any, yours: Mapping[str, object]) -> dict[str, object]:
    """The current stored values of the fields the user typed, read again (the instance may be the page's copy); a
    record that is gone or new shows as empty."""
    if record is None or record.pk is None:
        return {}
    fresh = type(record)._default_manager.filter(pk=record.pk).values(*yours).first()
    return fresh or {}


def _writable(chapter: Chapter, user: Any) -> None:
    if not may_edit(user, chapter.org):
        raise forbidden(_("您无权编撰该报告"))
    if chapter.status not in EDITABLE:
        raise conflict(_("已提交或已审定的章节不能修改；如需修改，请审定人退回"))


def _touch(chapter: Chapter, user: Any, reason: str, *, edited: bool = True) -> None:
    """Record the change on the chapter (its version was claimed by :func:`_locked`)."""
    if edited:
        chapter.updated_by = user
    set_author(chapter, user, reason)
    chapter.save()


def _sync(target: Chapter) -> None:
    """Callers hold the instance they passed in; keep it current with what was saved."""
    target.refresh_from_db()


def _checked_text(text: str, field: str) -> str:
    text = (text or "").strip()
    found = references.problems(text)
    if found:
        raise DudaoError(
            _("数据引用有误，未保存：") + "；".join(found),
            locator=field,
            status=UNPROCESSABLE,
            errors={field: "；".join(found)},
        )
    return text


def _checked_title(title: str, field: str = "title", required: bool = False) -> str:
    title = (title or "").strip()
    if required and not title:
        raise DudaoError(_("请填写标题"), locator=field, status=UNPROCESSABLE, errors={field: _("请填写标题")})
    if len(title) > TITLE_MAX:
        message = _("标题不超过%(n)d个字") % {"n": TITLE_MAX}
        raise DudaoError(message, locator=field, status=UNPROCESSABLE, errors={field: message})
    return title


# --------------------------------------------------------------------------- chapters and parts


def open_chapter(org: OrgUnit, period: Period, key: str, user: Any) -> Chapter:
    """The chapter for ``key`` of the report about ``org`` in ``period``, started (as a draft) if it was not."""
    if outline.entry(key) is None:
        raise not_found(_("报告大纲中没有第%(key)s章节") % {"key": key})
    if not is_report_org(org):
        raise DudaoError(_("只有市级和区级报告需要编撰"))
    if not may_edit(user, org):
        raise forbidden(_("您无权编撰该报告"))
    return Chapter.objects.get_or_create(org=org, period=period, key=key)[0]


@transaction.atomic
def save_part(chapter: Chapter, part: Part | None, title: str, text: str, user: Any, version: int) -> Part:
    """Create (``part=None``) or change one part. Refuses tokens that name no indicator, org, period or option, and a
    page that read an older ``version`` of the chapter."""
    fresh = _locked(chapter, version, yours={"title": title, "text": text}, theirs=part, labels=PART_LABELS)
    _writable(fresh, user)
    entry = outline.entry(fresh.key)
    title = _checked_title(title)
    text = _checked_text(text, "text")
    if part is None:
        order = (fresh.parts.aggregate(m=Max("order"))["m"] or 0) + 1
        part = Part(chapter=fresh, order=order)
    elif part.chapter_id != fresh.pk:
        raise not_found(_("该段落不属于此章节"))
    if not text and not title and (part.pk is None or not part.cases.exists()):
        message = _("请填写正文（删除整段请用“删除本段”）")
        raise DudaoError(message, locator="text", status=UNPROCESSABLE, errors={"text": message})
    part.title, part.text = title, text
    set_author(part, user)
    part.save()
    _touch(fresh, user, _("编辑%(key)s") % {"key": entry.label if entry else fresh.key})
    _sync(chapter)
    return part


@transaction.atomic
def remove_part(part: Part, user: Any, version: int) -> None:
    fresh = _locked(part.chapter, version)
    _writable(fresh, user)
    set_author(part, user)
    part.delete()
    _touch(fresh, user, _("删除段落"))
    _sync(part.chapter)


# --------------------------------------------------------------------------- cases


def _pick_clash(org: OrgUnit, period: Period, source_org_id: int, source_key: str) -> str | None:
    """The key of the chapter that already carries this case in the report, if one does."""
    pick = (
        CasePick.objects.filter(
            report_org=org, report_period=period, source_org_id=source_org_id, source_key=source_key
        )
        .select_related("part__chapter")
        .first()
    )
    return pick.part.chapter.key if pick else None


@transaction.atomic
def pick_case(part: Part, case: CaseRecord, user: Any) -> CasePick:
    """Put a school's (or district's) reviewed case into ``part`` as an editable copy credited to its source. A case
    appears once per report: picking it again, in any chapter, is refused."""
    fresh = _locked(part.chapter)
    _writable(fresh, user)
    if not (case.title or "").strip() or not (case.body or "").strip():
        raise DudaoError(_("该案例没有标题或正文，不能选用"))
    clash = _pick_clash(fresh.org, fresh.period, case.org_id, case.key)
    if clash is not None:
        raise conflict(_("该案例已在第%(key)s章选用，同一报告中的案例不能重复") % {"key": clash}, locator="case")
    order = (part.cases.aggregate(m=Max("order"))["m"] or 0) + 1
    pick = CasePick(
        part=part,
        report_org=fresh.org,
        report_period=fresh.period,
        order=order,
        source_org_id=case.org_id,
        source_key=case.key,
        title=_checked_title(case.title, required=True),
        body=case.body.strip(),
        credit=case.org_name,
    )
    set_author(pick, user)
    try:
        with transaction.atomic():
            pick.save()
    except IntegrityError:  # picked by someone else between the check and the insert
        raise conflict(_("该案例已被选用，同一报告中的案例不能重复"), locator="case") from None
    _touch(fresh, user, _("选用案例：%(title)s") % {"title": pick.title})
    _sync(part.chapter)
    return pick


@transaction.atomic
def edit_case(pick: CasePick, title: str, body: str, credit: str, user: Any, version: int) -> CasePick:
    fresh = _locked(
        pick.part.chapter,
        version,
        yours={"title": title, "body": body, "credit": credit},
        theirs=pick,
        labels=CASE_LABELS,
    )
    _writable(fresh, user)
    errors = {}
    if not (title or "").strip():
        errors["title"] = _("请填写案例标题")
    if not (body or "").strip():
        errors["body"] = _("请填写案例正文")
    if not (credit or "").strip():
        errors["credit"] = _("请填写案例来源单位")
    if errors:
        raise DudaoError(_("案例未保存"), status=UNPROCESSABLE, errors=errors, locator=next(iter(errors)))
    pick.title = _checked_title(title, required=True)
    pick.body = _checked_text(body, "body")
    pick.credit = _checked_title(credit, "credit", required=True)
    set_author(pick, user)
    pick.save()
    _touch(fresh, user, _("修改案例：%(title)s") % {"title": pick.title})
    _sync(pick.part.chapter)
    return pick


@transaction.atomic
def remove_case(pick: CasePick, user: Any, version: int) -> None:
    fresh = _locked(pick.part.chapter, version)
    _writable(fresh, user)
    set_author(pick, user)
    pick.delete()
    _touch(fresh, user, _("移除案例"))
    _sync(pick.part.chapter)


# --------------------------------------------------------------------------- review


@transaction.atomic
def submit(chapter: Chapter, user: Any) -> Chapter:
    """The compiler hands the chapter to the approver; it cannot be edited until returned."""
    fresh = _locked(chapter)
    _writable(fresh, user)
    parts = list(fresh.parts.prefetch_related("cases"))
    if not any(p.text or p.title or p.cases.all() for p in parts):
        raise DudaoError(_("章节没有内容，不能提交"))
    found = [problem for p in parts for problem in references.problems(p.text)]
    if found:
        raise DudaoError(_("数据引用有误，不能提交：") + "；".join(found), status=UNPROCESSABLE)
    fresh.status = ChapterStatus.SUBMITTED
    fresh.submitted_by = user
    fresh.return_reason = ""
    _touch(fresh, user, _("提交审定"), edited=False)
    _sync(chapter)
    return chapter


@transaction.atomic
def approve(chapter: Chapter, user: Any) -> Chapter:
    """Freezes the chapter and lets it into the report. Needs the approver's role and a second person."""
    fresh = _locked(chapter)
    if fresh.status != ChapterStatus.SUBMITTED:
        raise conflict(_("只有待审核的章节可以审定"))
    if not may_approve(user, fresh.org):
        raise forbidden(_("您无权审定该报告的章节"))
    if user.pk in (fresh.updated_by_id, fresh.submitted_by_id):
        raise forbidden(_("审定须由编撰、提交人以外的人员进行"))
    fresh.status = ChapterStatus.APPROVED
    fresh.approved_by, fresh.approved_at = user, timezone.now()
    _touch(fresh, user, _("审定"), edited=False)
    _sync(chapter)
    return chapter


@transaction.atomic
def return_(chapter: Chapter, user: Any, reason: str) -> Chapter:
    """Send a submitted (or already approved) chapter back to its writers with a reason; it is editable again and
    leaves the report until approved anew."""
    fresh = _locked(chapter)
    if fresh.status not in (ChapterStatus.SUBMITTED, ChapterStatus.APPROVED):
        raise conflict(_("只有待审核或已审定的章节可以退回"))
    if not may_approve(user, fresh.org):
        raise forbidden(_("您无权审定该报告的章节"))
    reason = (reason or "").strip()
    if not reason:
        raise DudaoError(
            _("请填写退回理由"), locator="reason", status=UNPROCESSABLE, errors={"reason": _("请填写退回理由")}
        )
    fresh.status = ChapterStatus.RETURNED
    fresh.return_reason = reason
    fresh.approved_by, fresh.approved_at = None, None
    _touch(fresh, user, _("退回：%(reason)s") % {"reason": reason}, edited=False)
    _sync(chapter)
    return chapter
