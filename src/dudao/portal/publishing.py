"""The publication workflow (审核发布): request → approve (by someone else) → public; publish again → superseded.

What the approver sees is what the public gets: :func:`request` freezes the report's HTML together with the JSON
snapshot; its PDF is typeset from that same frozen snapshot once, when first asked for (:func:`pdf_of`), and stored —
the desk's preview and the published download are the same stored bytes, and nothing is rendered again between the
two looks.

A district or city report speaks for its schools, so :func:`request` states its coverage (schools whose data are
approved / schools of the report's data set) and refuses one below ``DUDAO_PUBLICATION_MIN_COVERAGE`` percent unless
the requester writes why; the reason is kept on the publication and printed in the report's data note.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dudao.collection import selectors
from dudao.errors import DudaoError, conflict, forbidden
from dudao.notifications.services import notify
from dudao.notifications.vocabulary import Kind
from dudao.orgs.access import has_role, holders
from dudao.orgs.vocabulary import Level, Role
from dudao.reports.builder import Report, build
from dudao.reports.builder import template as report_template
from dudao.reports.render import to_html, to_pdf

from .models import Publication
from .vocabulary import PUBLIC

REQUEST_ROLES = (Role.DISTRICT_REVIEWER, Role.CITY_ADMIN, Role.ANALYST)
APPROVE_ROLES = (Role.CITY_ADMIN, Role.DISTRICT_REVIEWER)

# Reports not built from the schools' data by ``reports.builder.build`` — the 工作年报, compiled by an app above this
# one from the offices' reviewed accounts — register their builder here by the template code's prefix (the part
# before ":"; "work_annual:12" is plan 12's). Such a report is requested, approved, frozen and shown like any other,
# but speaks for no schools, so the schools' coverage rule does not apply to it.
Builder = Callable[[Any, Any, str], Report]
_BUILDERS: dict[str, Builder] = {}


def register_builder(prefix: str, builder: Builder) -> None:
    _BUILDERS[prefix] = builder


def builder_of(template: str) -> Builder | None:
    return _BUILDERS.get(template.partition(":")[0])


def may_request(user, org) -> bool:
    """The offices ask for any report in their subtree; a district's clerk (区填报员), who wrote the district's part,
    asks for its own 区级年报 only — a district reviewer then approves it (someone else, as for every report)."""
    if org.level == Level.DISTRICT and has_role(user, org, Role.DISTRICT_CLERK):
        return True
    return org.level in (Level.SCHOOL, Level.DISTRICT, Level.CITY) and has_role(user, org, *REQUEST_ROLES)


def may_request_schools(user, org) -> bool:
    """A batch of every school report under ``org`` (a district or the city): the offices only. A district's clerk
    asks for the district's own report (:func:`may_request`), not for its schools' — each school request of the batch
    would be refused anyway, after a batch run had been filed in the clerk's name (#16)."""
    return org.level in (Level.DISTRICT, Level.CITY) and has_role(user, org, *REQUEST_ROLES)


def may_approve(user, publication: Publication) -> bool:
    """City admins approve anything; a district reviewer approves its district's and its schools' reports."""
    org = publication.org
    if has_role(user, org, Role.CITY_ADMIN):
        return True
    return org.level != Level.CITY and has_role(user, org, Role.DISTRICT_REVIEWER)


def school_is_approved(org, period, template_code: str = "quality_annual") -> bool:
    """The school's principal has approved its data for the report's own data set."""
    dataset = report_template(template_code)["dataset"]
    return selectors.is_approved(org, period, dataset)


@dataclass(frozen=True)
class Coverage:
    """How many of the schools a district or city report speaks for have approved data (accepted / total)."""

    accepted: int
    total: int
    minimum: float  # percent the guard asks for

    @property
    def percent(self) -> float | None:
        return self.accepted * 100 / self.total if self.total else None

    @property
    def enough(self) -> bool:
        """At or above the minimum; a unit without any school of the data set has nothing to report for."""
        return bool(self.total) and self.accepted * 100 >= self.minimum * self.total

    @property
    def complete(self) -> bool:
        return bool(self.total) and self.accepted == self.total


def min_coverage() -> float:
    return float(getattr(settings, "DUDAO_PUBLICATION_MIN_COVERAGE", 100))


def coverage(org, period, template_code: str = "quality_annual") -> Coverage:
    """Schools under ``org`` with a submission of the report's data set for ``period``, and how many of them count
    (approved) — the same two numbers the report's data note states."""
    dataset = report_template(template_code)["dataset"]
    schools = selectors.submissions(dataset=dataset, period=period, under=org).filter(org__level=Level.SCHOOL)
    approved = selectors.approved_submissions(dataset=dataset, period=period, under=org).filter(org__level=Level.SCHOOL)
    return Coverage(approved.values("org").distinct().count(), schools.values("org").distinct().count(), min_coverage())


def coverage_note(cover: Coverage, reason: str) -> str:
    """The data note's sentence for a report published before every school's data was approved."""
    note = f"本报告在{cover.accepted}/{cover.total}所学校数据核准的情况下发布"
    return f"{note}，说明：{reason}" if reason else f"{note}。"


@dataclass
class Draft:
    """A publication request checked and rendered but not yet saved: the slow part (building the report, printing
    it) happens before any write, so a batch worker holds no database lock while it renders."""

    org: Any
    period: Any
    template: str
    title: str
    content: dict
    html: str
    coverage_reason: str
    requested_by: Any
    pdf: bytes | None = None


def draft(org, period, user, template: str = "quality_annual", reason: str = "", *, print_pdf: bool = False) -> Draft:
    """Check a request and render it (HTML; the PDF too with ``print_pdf``) without writing anything."""
    if not may_request(user, org):
        raise forbidden("您无权为该单位申请发布报告")
    custom = builder_of(template)
    if custom is not None:
        return _draft_from(custom(org, period, template), org, period, template, user, print_pdf)
    if org.level == Level.SCHOOL and not school_is_approved(org, period, template):
        raise DudaoError(f"{org.name}{period.name}数据尚未经校长核准，不能发布")
    reason = (reason or "").strip()
    note = ""
    if org.level in (Level.DISTRICT, Level.CITY):
        cover = coverage(org, period, template)
        if not cover.enough and not reason:
            message = _(
                "%(org)s%(period)s仅%(accepted)s/%(total)s所学校的数据已核准，低于发布要求的%(minimum)s%%；"
                "如确需发布，请填写发布说明"
            ) % {
                "org": org.name,
                "period": period.name,
                "accepted": cover.accepted,
                "total": cover.total,
                "minimum": f"{cover.minimum:g}",
            }
            raise DudaoError(message, errors={"reason": message})
        if not cover.complete:
            note = coverage_note(cover, reason)
    report = build(org, period, template)
    report.coverage_note = note
    return _draft_from(report, org, period, template, user, print_pdf, coverage_reason=reason if note else "")


def _draft_from(
    report: Report, org, period, template: str, user, print_pdf: bool, *, coverage_reason: str = ""
) -> Draft:
    """``report`` frozen as a draft — the quality reports' and a registered builder's alike."""
    report.verify_url = verify_url()
    return Draft(
        org=org,
        period=period,
        template=template,
        title=report.title,
        content=report.to_json(),
        html=to_html(report),
        coverage_reason=coverage_reason,
        requested_by=user,
        pdf=to_pdf(report) if print_pdf else None,
    )


def save_draft(d: Draft, *, notify: bool = True) -> Publication:
    """The next version number and the row (with its PDF when the draft has one), in one transaction."""
    with transaction.atomic():
        latest = Publication.objects.filter(org=d.org, period=d.period, template=d.template).aggregate(
            v=Max("version")
        )["v"]
        publication = Publication.objects.create(
            org=d.org,
            period=d.period,
            template=d.template,
            version=(latest or 0) + 1,
            title=d.title,
            content=d.content,
            html=d.html,
            coverage_reason=d.coverage_reason,
            requested_by=d.requested_by,
        )
        if d.pdf is not None:
            store_pdf(publication, d.pdf)
        if notify:
            notify_approvers(publication)
        return publication


def request(
    org, period, user, template: str = "quality_annual", reason: str = "", *, notify: bool = True
) -> Publication:
    """Snapshot the report and freeze its HTML as a pending version (see the module's docstring)."""
    return save_draft(draft(org, period, user, template, reason), notify=notify)


def approvers(publication: Publication) -> list:
    """Who is told of a request: the nearest people who may approve it other than the requester — the district's
    reviewers for a school or district report, the city admins for the city's (or when the district has nobody)."""
    candidates = holders(publication.org, APPROVE_ROLES, nearest=True, exclude=[publication.requested_by_id])
    return [u for u in candidates if may_approve(u, publication)]


def notify_approvers(publication: Publication, count: int = 1) -> None:
    """A publication request → the approvers (``count`` > 1: one message for a batch of school reports)."""
    title = (
        f"{publication.title} 待审核发布" if count == 1 else f"{publication.period.name} {count}份学校报告待审核发布"
    )
    requester = publication.requested_by
    who = (requester.get_full_name() or requester.username) if requester else ""
    notify(
        approvers(publication),
        Kind.PUBLICATION_REQUEST,
        title,
        f"{who}申请发布，请预览后审核。",
        reverse("portal:desk"),
    )


def approve(publication: Publication, user, note: str = "") -> Publication:
    if publication.status != Publication.Status.PENDING:
        raise conflict("只有待审核的版本可以发布")
    if publication.requested_by_id == user.pk:
        raise forbidden("发布须由申请人以外的人员审核")  # four eyes: an authorization rule, answered 403
    if not may_approve(user, publication):
        raise forbidden("您无权审核发布该报告")
    html_of(publication)  # a version requested before previews were frozen: freeze it now, before it goes public
    now = timezone.now()
    with transaction.atomic():
        Publication.objects.filter(
            org=publication.org, period=publication.period, template=publication.template, status="published"
        ).update(status=Publication.Status.SUPERSEDED)
        publication.status = Publication.Status.PUBLISHED
        publication.reviewed_by, publication.reviewed_at, publication.published_at = user, now, now
        publication.note = note
        publication.save()
    return publication


def reject(publication: Publication, user, note: str) -> Publication:
    if publication.status != Publication.Status.PENDING:
        raise conflict("只有待审核的版本可以驳回")
    if not may_approve(user, publication):
        raise forbidden("您无权审核发布该报告")
    if not note.strip():
        raise DudaoError("请填写驳回理由")
    publication.status = Publication.Status.REJECTED
    publication.reviewed_by, publication.reviewed_at, publication.note = user, timezone.now(), note.strip()
    publication.save()
    return publication


def report_of(publication: Publication) -> Report:
    return Report.from_json(publication.content)


def html_of(publication: Publication) -> str:
    """The frozen report as HTML (stored at request time; a version older than that is rendered once and kept)."""
    if not publication.html:
        publication.html = to_html(report_of(publication))
        Publication.objects.filter(pk=publication.pk).update(html=publication.html)
    return publication.html


def verify_url() -> str:
    """The public page where anyone checks a file of a published report by its SHA-256 (printed with a QR code in
    every report). One address for all files: the file's own hash finds its version, so the link needs no id and the
    report can be frozen before its row exists."""
    return settings.DUDAO_SITE_URL.rstrip("/") + reverse("portal:verify")


def sha256_of(publication: Publication) -> str:
    """The SHA-256 of the PDF as stored ("" while nobody has asked for the PDF: then no copy of it exists to check).
    Never prints: a public page that hashes must not let a crawler print every version."""
    return publication.pdf_sha256


def store_pdf(publication: Publication, data: bytes) -> None:
    """Write the printed file through the storage API and record its SHA-256 (the name carries the hash's start, so a
    file left by a rolled-back attempt is never mistaken for this one)."""
    digest = hashlib.sha256(data).hexdigest()
    name = f"{publication.period.code}/{publication.org.code}-v{publication.version}-{digest[:12]}.pdf"
    publication.pdf_file.save(name, ContentFile(data), save=False)
    publication.pdf_sha256 = digest
    Publication.objects.filter(pk=publication.pk).update(pdf_file=publication.pdf_file.name, pdf_sha256=digest)


def pdf_of(publication: Publication) -> bytes:
    """The frozen snapshot printed, once: the first to ask (the approver's preview, or a reader after publication)
    stores it, and every later download — preview or published — is those same bytes. Printing ~90 PDFs at request
    time would cost the demo and a batch a minute and a half for files most people never download."""
    if not publication.pdf_file:
        data = to_pdf(report_of(publication))
        store_pdf(publication, data)
        return data
    with publication.pdf_file.open("rb") as fh:
        return fh.read()


def hash_of(text: str = "", upload=None) -> str:
    """The SHA-256 a reader asks about: of an uploaded file (read in chunks), or a pasted hex digest ("" when the
    pasted text is not one)."""
    if upload is not None:
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        return digest.hexdigest()
    text = "".join((text or "").split()).lower()
    return text if len(text) == 64 and all(c in "0123456789abcdef" for c in text) else ""


def published_with_hash(sha256: str) -> list[Publication]:
    """The public versions (published or superseded) whose stored PDF has this SHA-256."""
    if not sha256:
        return []
    return list(
        Publication.objects.filter(pdf_sha256=sha256, status__in=PUBLIC)
        .select_related("org", "period")
        .defer("content", "html")
    )
