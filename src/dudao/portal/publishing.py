"""The publication workflow (审核发布): request → approve (by someone else) → public; publish again → superseded."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

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

REQUEST_ROLES = (Role.DISTRICT_REVIEWER, Role.CITY_ADMIN, Role.ANALYST)
APPROVE_ROLES = (Role.CITY_ADMIN, Role.DISTRICT_REVIEWER)


def may_request(user, org) -> bool:
    """The offices ask for any report in their subtree; a district's clerk (区填报员), who wrote the district's part,
    asks for its own 区级年报 only — a district reviewer then approves it (someone else, as for every report)."""
    if org.level == Level.DISTRICT and has_role(user, org, Role.DISTRICT_CLERK):
        return True
    return org.level in (Level.SCHOOL, Level.DISTRICT, Level.CITY) and has_role(user, org, *REQUEST_ROLES)


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


def request(org, period, user, template: str = "quality_annual", *, notify: bool = True) -> Publication:
    if not may_request(user, org):
        raise forbidden("您无权为该单位申请发布报告")
    if org.level == Level.SCHOOL and not school_is_approved(org, period, template):
        raise DudaoError(f"{org.name}{period.name}数据尚未经校长核准，不能发布")
    report = build(org, period, template)
    with transaction.atomic():
        latest = Publication.objects.filter(org=org, period=period, template=template).aggregate(v=Max("version"))["v"]
        publication = Publication.objects.create(
            org=org,
            period=period,
            template=template,
            version=(latest or 0) + 1,
            title=report.title,
            content=report.to_json(),
            requested_by=user,
        )
        if notify:
            notify_approvers(publication)
        return publication


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
        raise DudaoError("发布须由申请人以外的人员审核")
    if not may_approve(user, publication):
        raise forbidden("您无权审核发布该报告")
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
    """The frozen report as HTML, rendered on first use and kept."""
    if not publication.html:
        publication.html = to_html(report_of(publication))
        Publication.objects.filter(pk=publication.pk).update(html=publication.html)
    return publication.html


def pdf_of(publication: Publication) -> bytes:
    if not publication.pdf:
        publication.pdf = to_pdf(report_of(publication))
        Publication.objects.filter(pk=publication.pk).update(pdf=publication.pdf)
    return bytes(publication.pdf)
