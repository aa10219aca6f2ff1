"""Reads of publications that other apps make (the API's report list); portal's models are private to this app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Max, Min, QuerySet
from django.utils import timezone

from dudao.orgs.vocabulary import Level

from .models import Publication
from .vocabulary import PUBLIC, PublicationStatus

if TYPE_CHECKING:
    from dudao.collection.models import Period
    from dudao.orgs.models import OrgUnit


def public_publications(*, period: str | None = None, org: str | None = None) -> QuerySet[Publication, Publication]:
    """The versions anyone may read — published and superseded ones, never pending or rejected — of the period and
    the unit with these codes when given, with their unit and period."""
    publications = Publication.objects.filter(status__in=PUBLIC).select_related("org", "period")
    if period:
        publications = publications.filter(period__code=period)
    if org:
        publications = publications.filter(org__code=org)
    return publications


def _reports_published_under(org: OrgUnit, period: Period, level: str) -> QuerySet[Publication, Publication]:
    return Publication.objects.filter(
        status__in=PUBLIC, period=period, org__level=level, org__path__startswith=org.path
    ).exclude(org=org)


def schools_published_text(org: OrgUnit, period: Period) -> str:
    """ "71所": the schools under ``org`` whose annual report for ``period`` is public — the 前言's coverage statement
    comes from the portal's own records, not from a number someone typed."""
    count = _reports_published_under(org, period, Level.SCHOOL).values("org").distinct().count()
    return f"{count}所"


def districts_published_text(org: OrgUnit, period: Period) -> str:
    count = _reports_published_under(org, period, Level.DISTRICT).values("org").distinct().count()
    return f"{count}个"


def last_publication_text(org: OrgUnit, period: Period) -> str:
    """The day by which every school and district report under ``org`` had been published for the first time."""
    firsts = (
        Publication.objects.filter(status__in=PUBLIC, period=period, org__path__startswith=org.path)
        .exclude(org=org)
        .values("org")
        .annotate(first=Min("published_at"))
        .aggregate(last=Max("first"))["last"]
    )
    if firsts is None:
        return "—"
    day = timezone.localtime(firsts).date()
    return f"{day.year}年{day.month}月{day.day}日"


def pending_publications(orgs: QuerySet[OrgUnit, OrgUnit]) -> QuerySet[Publication, Publication]:
    """Requested, not yet approved or rejected versions of the reports of ``orgs`` (the inbox filters them by
    ``publishing.may_approve``), oldest request first."""
    return (
        Publication.objects.filter(status=PublicationStatus.PENDING, org__in=orgs)
        .select_related("org", "period", "requested_by")
        .order_by("requested_at", "id")
    )


def versions_of(org: OrgUnit, period: Period, template: str) -> QuerySet[Publication, Publication]:
    """Every version of one report (pending, published, superseded, rejected), newest first — the compile page shows
    where its publication stands."""
    return (
        Publication.objects.filter(org=org, period=period, template=template)
        .select_related("requested_by", "reviewed_by")
        .defer("content", "html")
        .order_by("-version")
    )
