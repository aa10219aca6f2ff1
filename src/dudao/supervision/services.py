"""Writes of 督学: 挂牌 assignments, public messages, and every transition of the follow-up ledger.

Every function checks who may act, runs in one transaction and raises :class:`~dudao.errors.DudaoError` with a field
locator for what the user can fix. Who does what:

* assign a school's 责任督学 — a 区审核员 of the school's district or a 市管理员 (:data:`ADMIN_ROLES`);
* raise a finding and re-check a rectification — the inspector assigned to the school (or who raised the finding),
  or a 区审核员 / 市管理员 / 市督学 held *above* the owner unit (:data:`SUPERVISE_ROLES` at ``owner.parent``: a
  district never re-checks its own rectification of a 督政 finding);
* submit a rectification — the owner unit's own writers (:data:`OWNER_ROLES`: a school's principal or checker, a
  district's reviewer or clerk);
* 问责 — a 区审核员 / 市管理员 above the owner, on an escalated finding only.

Each transition carries the finding's ``version`` as the page read it; a stale one is refused with 409, so two
inspectors re-checking at once cannot overwrite each other.
"""

from __future__ import annotations

import random
import re
import secrets
import uuid
from datetime import date, time, timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dudao.errors import UNPROCESSABLE, DudaoError, conflict, forbidden
from dudao.inputs import parse_number
from dudao.notifications.services import notify
from dudao.notifications.vocabulary import Kind
from dudao.orgs.access import has_role, holders
from dudao.orgs.selectors import schools_under
from dudao.orgs.vocabulary import Level, Role

from . import checklists
from .models import (
    Accountability,
    Assignment,
    ContactMessage,
    Finding,
    Inspector,
    PublishedSummary,
    Step,
    ThematicSampling,
    Visit,
    VisitPhoto,
    VisitPlan,
)
from .vocabulary import OWED, FindingState, InspectorKind, Severity, SourceKind

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from dudao.orgs.models import OrgUnit

ADMIN_ROLES = (Role.DISTRICT_REVIEWER, Role.CITY_ADMIN)
SUPERVISE_ROLES = (Role.DISTRICT_REVIEWER, Role.CITY_ADMIN, Role.INSPECTOR)
OWNER_ROLES: dict[str, tuple[str, ...]] = {
    Level.SCHOOL: (Role.PRINCIPAL, Role.CHECKER),
    Level.DISTRICT: (Role.DISTRICT_REVIEWER, Role.DISTRICT_CLERK),
    Level.DEPARTMENT: (Role.CHECKER, Role.COLLECTOR),  # a 市政府部门 inspected in 督政 answers its own findings
}
# who may be a school's 责任督学 (特约 and 人民督察员 join visits, they are not assigned)
RESPONSIBLE_KINDS = (InspectorKind.FULL_TIME, InspectorKind.RESPONSIBLE)
TEXT_MAX = 2000
MESSAGE_MAX = 1000
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
# the public contact form: at most this many messages per address per hour (rows, so every server process agrees)
MESSAGES_PER_HOUR = 5


def _invalid(field: str, message: str) -> DudaoError:
    return DudaoError(message, locator=field, status=UNPROCESSABLE, errors={field: message})


def _text(value: str, field: str, *, required: bool = True, limit: int = TEXT_MAX) -> str:
    value = (value or "").strip()
    if required and not value:
        raise _invalid(field, _("请填写此项"))
    if len(value) > limit:
        raise _invalid(field, _("不超过%(n)d个字") % {"n": limit})
    return value


# --------------------------------------------------------------------------- who may


def inspector_of(user: Any) -> Inspector | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Inspector.objects.filter(user=user).first()


def current_assignment(school: OrgUnit) -> Assignment | None:
    return Assignment.objects.filter(school=school, ended_on__isnull=True).select_related("inspector").first()


def may_assign(user: Any, school: OrgUnit) -> bool:
    return school.level == Level.SCHOOL and has_role(user, school, *ADMIN_ROLES)


def _above(owner: OrgUnit, user: Any, roles: tuple[str, ...]) -> bool:
    return owner.parent is not None and has_role(user, owner.parent, *roles)


def _assigned_to(user: Any, owner: OrgUnit) -> bool:
    found = inspector_of(user)
    return (
        found is not None and Assignment.objects.filter(inspector=found, school=owner, ended_on__isnull=True).exists()
    )


def may_raise(user: Any, owner: OrgUnit) -> bool:
    return _assigned_to(user, owner) or _above(owner, user, SUPERVISE_ROLES)


def may_rectify(user: Any, finding: Finding) -> bool:
    return has_role(user, finding.owner, *OWNER_ROLES.get(finding.owner.level, ()))


def may_recheck(user: Any, finding: Finding) -> bool:
    mine = finding.inspector is not None and finding.inspector.user_id == getattr(user, "pk", None)
    return mine or _assigned_to(user, finding.owner) or _above(finding.owner, user, SUPERVISE_ROLES)


def may_hold_accountable(user: Any, finding: Finding) -> bool:
    return _above(finding.owner, user, ADMIN_ROLES)


# --------------------------------------------------------------------------- 挂牌


@transaction.atomic
def register_inspector(
    district: OrgUnit,
    by: Any,
    *,
    name: str,
    kind: str = InspectorKind.RESPONSIBLE,
    user: Any = None,
    phone: str = "",
    email: str = "",
    trained_on: date | None = None,
    certified_on: date | None = None,
    certificate_expires: date | None = None,
) -> Inspector:
    """A new registry entry of ``district`` (the admin pages write the same rows), by the district or the city."""
    if district.level != Level.DISTRICT:
        raise _invalid("district", _("督学的所属单位须为区"))
    if not has_role(by, district, *ADMIN_ROLES):
        raise forbidden(_("只有本区区审核员或市管理员可以登记督学"))
    if kind not in InspectorKind.values:
        raise _invalid("kind", _("督学类别无效"))
    if certified_on and certificate_expires and certificate_expires < certified_on:
        raise _invalid("certificate_expires", _("证书有效期不能早于持证日期"))
    return Inspector.objects.create(
        district=district,
        name=_text(name, "name", limit=50),
        kind=kind,
        user=user,
        phone=_text(phone, "phone", required=False, limit=30),
        email=_text(email, "email", required=False, limit=254),
        trained_on=trained_on,
        certified_on=certified_on,
        certificate_expires=certificate_expires,
    )


@transaction.atomic
def assign(school: OrgUnit, inspector: Inspector, by: Any, on: date) -> Assignment:
    """Make ``inspector`` the school's 责任督学 from ``on``; the previous assignment ends the day before (kept as
    history). Refuses an inspector who is not qualified on ``on``."""
    if school.level != Level.SCHOOL:
        raise _invalid("school", _("只能为学校挂牌督学"))
    if not may_assign(by, school):
        raise forbidden(_("只有学校所在区的区审核员或市管理员可以挂牌督学"))
    if inspector.kind not in RESPONSIBLE_KINDS:
        raise _invalid("inspector", _("特约教育督导员和人民教育督察员参加督导，不挂牌为责任督学"))
    if not inspector.qualified(on):
        raise _invalid("inspector", _("该督学未培训、未持证或证书已过期，不能挂牌"))
    previous = Assignment.objects.select_for_update().filter(school=school, ended_on__isnull=True).first()
    if previous is not None:
        if previous.inspector_id == inspector.pk:
            return previous
        if previous.started_on > on:
            raise _invalid("on", _("挂牌日期不能早于现任责任督学的挂牌日期"))
        previous.ended_on = on
        previous.save(update_fields=["ended_on"])
    try:
        with transaction.atomic():
            return Assignment.objects.create(inspector=inspector, school=school, started_on=on, assigned_by=by)
    except IntegrityError as exc:  # a concurrent assignment of the same school committed first
        raise conflict(_("该校的责任督学刚被他人调整，请刷新后再试")) from exc


@transaction.atomic
def leave_message(
    school: OrgUnit, text: str, name: str = "", contact: str = "", ip: str | None = None
) -> ContactMessage:
    """The public contact form of a school's 督学 card: stored for the current inspector (no sign-in)."""
    current = current_assignment(school)
    if current is None:
        raise _invalid("text", _("该校暂无责任督学"))
    text = _text(text, "text", limit=MESSAGE_MAX)
    name = _text(name, "name", required=False, limit=50)
    contact = _text(contact, "contact", required=False, limit=100)
    if ip:
        since = timezone.now() - timedelta(hours=1)
        if ContactMessage.objects.filter(ip=ip, created_at__gte=since).count() >= MESSAGES_PER_HOUR:
            raise DudaoError(_("留言过于频繁，请稍后再试"), status=429)
    return ContactMessage.objects.create(
        school=school, inspector=current.inspector, name=name, contact=contact, text=text, ip=ip
    )


# --------------------------------------------------------------------------- the ledger


def _locked(finding: Finding, version: int | str | None) -> Finding:
    """The finding as stored now, locked for this transaction; refuses a ``version`` that is not current."""
    # of=("self",): lock the finding only; PostgreSQL refuses FOR UPDATE on the nullable side of an outer join
    fresh = Finding.objects.select_for_update(of=("self",)).select_related("owner", "inspector").get(pk=finding.pk)
    try:
        stale = version is None or int(version) != fresh.version
    except (TypeError, ValueError):
        stale = True
    if stale:
        raise conflict(_("他人已处理此问题，请刷新后再操作"), locator="version")
    return fresh


def _move(finding: Finding, target: str, action: str, by: Any, text: str = "", evidence=None) -> Step:
    step = Step(finding=finding, action=action, from_state=finding.status, to_state=target, by=by, text=text)
    if evidence is not None:
        step.evidence = evidence
    step.save()
    finding.status = target
    finding.version += 1
    finding.save()
    return step


def _sync(target: Finding, fresh: Finding) -> Finding:
    target.refresh_from_db()
    return fresh


@transaction.atomic
def raise_finding(
    owner: OrgUnit,
    by: Any,
    *,
    theme: str,
    text: str,
    deadline: date,
    severity: str = Severity.MEDIUM,
    source_kind: str = SourceKind.VISIT,
    source_ref: str = "",
) -> Finding:
    """A new ledger item for ``owner`` (a school, a district or a 市政府部门 for 督政). Visits, 督政 and evaluations
    call this — and only this — so the owner's writers are told of every new item here, whoever raised it."""
    if owner.level not in OWNER_ROLES:
        raise _invalid("owner", _("问题的责任单位须为学校、区或市政府部门"))
    if not may_raise(by, owner):
        raise forbidden(_("您无权对该单位提出督导问题"))
    errors = {}
    if source_kind not in SourceKind.values:
        errors["source_kind"] = _("来源类型无效")
    if severity not in Severity.values:
        errors["severity"] = _("严重程度无效")
    if errors:
        raise DudaoError(next(iter(errors.values())), status=UNPROCESSABLE, errors=errors)
    finding = Finding.objects.create(
        owner=owner,
        theme=_text(theme, "theme", limit=100),
        text=_text(text, "text"),
        deadline=deadline,
        severity=severity,
        source_kind=source_kind,
        source_ref=_text(source_ref, "source_ref", required=False, limit=100),
        inspector=inspector_of(by),
        created_by=by,
    )
    Step.objects.create(finding=finding, action=Step.Action.RAISE, to_state=finding.status, by=by, text=finding.text)
    notify(
        owners(finding.owner, exclude=[by.pk]),
        Kind.FINDING_RAISED,
        _("收到督导问题：%(theme)s") % {"theme": finding.theme},
        _("整改期限 %(deadline)s。%(text)s") % {"deadline": finding.deadline.isoformat(), "text": finding.text},
        reverse("supervision:finding", args=[finding.pk]),
        key=f"finding-{finding.pk}",
    )
    return finding


def owners(owner: OrgUnit, exclude: list[Any] | tuple[Any, ...] = ()) -> list[Any]:
    """Who answers the owner unit's findings and is told of a new one: its own writers (:data:`OWNER_ROLES`) — a
    school's principal and checkers, a district's reviewers and clerks, a department's checkers and collectors."""
    return holders(owner, OWNER_ROLES.get(owner.level, ()), nearest=True, exclude=exclude)


@transaction.atomic
def submit_rectification(
    finding: Finding, by: Any, text: str, version: int | str | None, evidence: UploadedFile | None = None
) -> Step:
    """The owner's rectification (整改情况 + 佐证材料): open or returned → rectifying, waiting for the re-check."""
    fresh = _locked(finding, version)
    if not may_rectify(by, fresh):
        raise forbidden(_("只有责任单位可以提交整改"))
    if fresh.status not in OWED:
        raise conflict(_("该问题当前不需要提交整改"), locator="status")
    text = _text(text, "text")
    if evidence is not None and (evidence.size or 0) > EVIDENCE_MAX_BYTES:
        raise _invalid("evidence", _("佐证材料不超过10MB"))
    step = _move(fresh, FindingState.RECTIFYING, Step.Action.SUBMIT, by, text, evidence)
    _sync(finding, fresh)
    return step


@transaction.atomic
def recheck(finding: Finding, by: Any, accepted: bool, note: str, version: int | str | None) -> Step:
    """The inspector's re-check (复查): accepted closes the item (销号); not yet sends it back with the reason."""
    fresh = _locked(finding, version)
    if not may_recheck(by, fresh):
        raise forbidden(_("只有该校责任督学、提出人或上级督导部门可以复查"))
    if fresh.status != FindingState.RECTIFYING:
        raise conflict(_("责任单位尚未提交整改，不能复查"), locator="status")
    note = _text(note, "note", required=not accepted)
    if accepted:
        step = _move(fresh, FindingState.CLOSED, Step.Action.ACCEPT, by, note)
        fresh.closed_at = timezone.now()
        fresh.save(update_fields=["closed_at"])
    else:
        step = _move(fresh, FindingState.RETURNED, Step.Action.RETURN, by, note)
    _sync(finding, fresh)
    return step


def superiors(owner: OrgUnit) -> list[Any]:
    """Who is told when the owner's item is overdue: the nearest 区审核员 / 市管理员 above the owner."""
    if owner.parent is None:
        return []
    return holders(owner.parent, ADMIN_ROLES, nearest=True)


def escalate_overdue(today: date) -> list[Finding]:
    """Mark every item still owed past its deadline as escalated (逾期升级) and tell the owner's superiors. Each item
    is its own transaction and escalates once: a second run the same day changes and sends nothing."""
    done = []
    for pk in Finding.objects.filter(status__in=OWED, deadline__lt=today, escalated_at__isnull=True).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            finding = Finding.objects.select_for_update(of=("self",)).select_related("owner__parent").get(pk=pk)
            if finding.escalated_at is not None or finding.status not in OWED:
                continue
            finding.escalated_at = timezone.now()
            finding.version += 1
            finding.save(update_fields=["escalated_at", "version"])
            text = _("整改期限 %(deadline)s 已过，仍未整改到位") % {"deadline": finding.deadline.isoformat()}
            Step.objects.create(
                finding=finding,
                action=Step.Action.ESCALATE,
                from_state=finding.status,
                to_state=finding.status,
                text=text,
            )
            notify(
                superiors(finding.owner),
                Kind.FINDING_ESCALATED,
                _("督导问题逾期未整改：%(owner)s · %(theme)s") % {"owner": finding.owner.name, "theme": finding.theme},
                text,
                reverse("supervision:finding", args=[finding.pk]),
                key=f"finding-{finding.pk}",
            )
            done.append(finding)
    return done


@transaction.atomic
def hold_accountable(finding: Finding, by: Any, measure: str, target: str, text: str = "") -> Accountability:
    """问责 on an escalated finding, by the district or the city above the owner unit."""
    fresh = Finding.objects.select_for_update(of=("self",)).select_related("owner__parent").get(pk=finding.pk)
    if not may_hold_accountable(by, fresh):
        raise forbidden(_("只有上级区审核员或市管理员可以问责"))
    if fresh.escalated_at is None:
        raise conflict(_("只有逾期升级的问题才能问责"), locator="status")
    return Accountability.objects.create(
        finding=fresh,
        measure=_text(measure, "measure", limit=50),
        target=_text(target, "target", limit=100),
        text=_text(text, "text", required=False),
        filed_by=by,
    )


# --------------------------------------------------------------------------- visits

PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTOS_MAX = 6
# the photo's type is read from its first bytes, never from the name or the browser's claim
PHOTO_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))
FINDINGS_MAX = 10
TERM = re.compile(r"^(\d{4})-([12])$")


def term_dates(term: str) -> tuple[date, date]:
    """First and last day of ``term``: ``"2021-1"`` is September 2021 to January 2022, ``"2021-2"`` February to
    August 2022 (the two terms of the school year 2021–22)."""
    match = TERM.match(term or "")
    if match is None:
        raise _invalid("term", _("学期格式应为 YYYY-1 或 YYYY-2"))
    year, half = int(match.group(1)), match.group(2)
    if half == "1":
        return date(year, 9, 1), date(year + 1, 1, 31)
    return date(year + 1, 2, 1), date(year + 1, 8, 31)


def term_of(on: date) -> str:
    if on.month >= 9:
        return f"{on.year}-1"
    if on.month == 1:
        return f"{on.year - 1}-1"
    return f"{on.year - 1}-2"


@transaction.atomic
def plan_visits(inspector: Inspector, school: OrgUnit, term: str, required: int, by: Any) -> VisitPlan:
    """Set (or change) how often ``inspector`` visits ``school`` in ``term`` — the district or city, as for 挂牌."""
    if not may_assign(by, school):
        raise forbidden(_("只有学校所在区的区审核员或市管理员可以制定访校计划"))
    term_dates(term)
    if not isinstance(required, int) or not 0 < required <= 50:
        raise _invalid("visits_required", _("每学期访校次数应为1至50"))
    plan, _created = VisitPlan.objects.update_or_create(
        inspector=inspector, school=school, term=term, defaults={"visits_required": required, "set_by": by}
    )
    return plan


def _photo_type(upload: UploadedFile) -> str:
    if (upload.size or 0) > PHOTO_MAX_BYTES:
        raise _invalid("photos", _("每张照片不超过5MB"))
    head = upload.read(16)
    upload.seek(0)
    for magic, kind in PHOTO_MAGIC:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    raise _invalid("photos", _("照片须为 JPEG、PNG 或 WebP 图片"))


def _optional_decimal(value: Any, field: str, low: int, high: int) -> Any:
    if value in (None, ""):
        return None
    number = parse_number(value, field=field, minimum=low, maximum=high)
    return number  # parse_number keeps 6 decimals, rounded half-up


def _optional_time(value: Any, field: str) -> time | None:
    if value in (None, ""):
        return None
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise _invalid(field, _("时间格式应为 HH:MM")) from None


COMPANION_KINDS = (InspectorKind.SPECIAL, InspectorKind.PEOPLES)


def _companions(school: OrgUnit, ids: list[Any]) -> list[Inspector]:
    """The 特约教育督导员 and 人民教育督察员 who joined a visit: active ones registered in the school's district."""
    if not isinstance(ids, list) or len(ids) > 10:
        raise _invalid("companions", _("随访人员最多10人"))
    wanted = set()
    for raw in ids:
        try:
            number = parse_number(str(raw), field="companions", minimum=1, integer=True)
        except DudaoError:
            number = None
        if number is None:  # like the visit's other fields: 422 naming the field
            raise _invalid("companions", _("随访人员无效"))
        wanted.add(int(number))
    found = list(
        Inspector.objects.filter(
            pk__in=wanted, kind__in=COMPANION_KINDS, active=True, district_id=school.parent_id
        ).order_by("pk")
    )
    if len(found) != len(wanted):
        raise _invalid("companions", _("随访人员须为本区在册的特约教育督导员或人民教育督察员"))
    return found


@transaction.atomic
def record_visit(
    by: Any,
    *,
    client_uuid: str,
    school: OrgUnit,
    visited_on: date,
    kind: str = Visit.Kind.ROUTINE,
    theme: str = "",
    answers: dict[str, Any] | None = None,
    notes: str = "",
    started_at: Any = None,
    ended_at: Any = None,
    latitude: Any = None,
    longitude: Any = None,
    accuracy: Any = None,
    findings: list[dict[str, Any]] | None = None,
    photos: list[UploadedFile] | None = None,
    companions: list[Any] | None = None,
) -> tuple[Visit, bool]:
    """A visit as the phone recorded it; ``(visit, created)``. The same ``client_uuid`` again (a sync repeated after
    a lost answer) returns the stored visit unchanged. Only who may raise findings at the school records a visit —
    its current 责任督学, or the district or city above it — so a visit queued offline for a school reassigned since
    is refused when it syncs. Each unmet checklist item and each finding typed on the form becomes a ledger item."""
    try:
        key = uuid.UUID(str(client_uuid))
    except ValueError:
        raise _invalid("client_uuid", _("访校记录编号无效")) from None
    existing = Visit.objects.filter(client_uuid=key).first()
    if existing is not None:
        if existing.recorded_by_id != by.pk:
            raise conflict(_("该访校记录编号已被使用"), locator="client_uuid")
        return existing, False
    if school.level != Level.SCHOOL:
        raise _invalid("school", _("只能访视学校"))
    if not may_raise(by, school):
        raise forbidden(_("您不是该校的责任督学，不能记录对该校的访校"))
    if visited_on > timezone.localdate():
        raise _invalid("visited_on", _("访校日期不能晚于今天"))
    name, items, follow_up_days = checklists.checklist(kind, theme)
    cleaned = checklists.clean(items, answers or {})
    photos = photos or []
    if len(photos) > PHOTOS_MAX:
        raise _invalid("photos", _("照片最多6张"))
    kinds = [_photo_type(p) for p in photos]
    findings = findings or []
    if len(findings) > FINDINGS_MAX:
        raise _invalid("findings", _("一次访校最多记录10个问题"))
    joined = _companions(school, companions or [])
    started, ended = _optional_time(started_at, "started_at"), _optional_time(ended_at, "ended_at")
    if started and ended and ended < started:
        raise _invalid("ended_at", _("离校时间不能早于到校时间"))
    visit = Visit(
        client_uuid=key,
        school=school,
        inspector=inspector_of(by),
        recorded_by=by,
        visited_on=visited_on,
        started_at=started,
        ended_at=ended,
        latitude=_optional_decimal(latitude, "latitude", -90, 90),
        longitude=_optional_decimal(longitude, "longitude", -180, 180),
        accuracy=_optional_decimal(accuracy, "accuracy", 0, 100000),
        kind=kind,
        theme=theme if kind == Visit.Kind.THEMATIC else "",
        answers=cleaned,
        notes=_text(notes, "notes", required=False),
    )
    try:
        with transaction.atomic():
            visit.save()
    except IntegrityError:  # the same visit, synced by a concurrent request that committed first
        existing = Visit.objects.filter(client_uuid=key, recorded_by=by).first()
        if existing is None:
            raise conflict(_("该访校记录编号已被使用"), locator="client_uuid") from None
        return existing, False
    visit.companions.set(joined)
    for upload, content_type in zip(photos, kinds, strict=True):
        VisitPhoto.objects.create(visit=visit, file=upload, content_type=content_type, size=upload.size or 0)
    deadline = visited_on + timedelta(days=follow_up_days)
    ref = f"visit-{visit.pk}"
    for item in checklists.unmet(items, cleaned):
        raise_finding(
            school,
            by,
            theme=name,
            text=_("%(item)s：未达标（%(value)s）")
            % {"item": item["text"], "value": checklists.shown(cleaned[item["code"]])},
            deadline=deadline,
            source_kind=SourceKind.VISIT,
            source_ref=ref,
        )
    for typed in findings:
        raise_finding(
            school,
            by,
            theme=typed.get("theme") or name,
            text=typed.get("text", ""),
            deadline=deadline,
            severity=typed.get("severity") or Severity.MEDIUM,
            source_kind=SourceKind.VISIT,
            source_ref=ref,
        )
    return visit, True


# --------------------------------------------------------------------------- sampling


def seeded_draw(codes: list[str], n: int, seed: str) -> list[str]:
    """The one rule of a replayable draw (专项督导抽样, 质量监测样本校): ``n`` of ``codes`` (given in code order)
    picked by ``random.Random(seed).sample``, returned in code order. The same codes and seed give the same schools
    on every machine (``random`` keeps seeded sequences reproducible across versions); ``n`` at or above the
    population takes all of it (a 县 with fewer schools than its quota sends all it has)."""
    codes = sorted(codes)
    if n >= len(codes):
        return codes
    return sorted(random.Random(seed).sample(codes, n))


@transaction.atomic
def sample_schools(
    under: OrgUnit, theme: str, n: int, by: Any, *, year: int, seed: str | None = None
) -> ThematicSampling:
    """Draw ``n`` schools under ``under`` for the thematic inspection of ``theme`` and record the draw. The population
    is the schools under ``under`` in code order; ``random.Random(seed).sample`` picks from it, so the same seed over
    the same population is the same draw — anyone can replay it from the row. Without a seed one is generated."""
    if not has_role(by, under, *ADMIN_ROLES):
        raise forbidden(_("只有区审核员或市管理员可以抽取专项督导学校"))
    if theme not in dict(checklists.themes()):
        raise _invalid("theme", _("未知的督导主题"))
    codes = list(schools_under(under).order_by("code").values_list("code", flat=True))
    if not isinstance(n, int) or not 0 < n <= len(codes):
        raise _invalid("n", _("抽取学校数应为1至%(max)d") % {"max": len(codes)})
    seed = _text(seed or "", "seed", required=False, limit=40) or str(secrets.randbits(64))
    chosen = seeded_draw(codes, n, seed)
    return ThematicSampling.objects.create(
        year=year, theme=theme, under=under, n=n, seed=seed, population=len(codes), schools=chosen, drawn_by=by
    )


# --------------------------------------------------------------------------- the public summary


def may_publish_summary(user: Any) -> bool:
    from dudao.orgs.selectors import city

    root = city()
    return root is not None and has_role(user, root, Role.CITY_ADMIN)


@transaction.atomic
def publish_summary(by: Any, title: str) -> PublishedSummary:
    """Freeze the city's board (counts by district, by theme and by status) as a public summary. The city's
    administrators publish it; the portal shows only such summaries, never the ledger itself."""
    from .selectors import board  # selectors import this module's rules, so read the board lazily

    if not may_publish_summary(by):
        raise forbidden(_("只有市管理员可以发布督学工作概况"))
    title = _text(title, "title", limit=100)
    counts = board(by)
    counts["states"] = [[code, str(label)] for code, label in counts["states"]]
    return PublishedSummary.objects.create(title=title, counts=counts, published_by=by)
