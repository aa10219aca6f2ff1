"""Reading compiled chapters: the workspace's list, one chapter's parts, and what a report may print (approved
chapters only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Prefetch, QuerySet

from .models import CasePick, Chapter, Part
from .vocabulary import ChapterStatus

if TYPE_CHECKING:
    from dudao.collection.models import Period
    from dudao.orgs.models import OrgUnit


def chapters(org: OrgUnit, period: Period) -> list[Chapter]:
    """The report's started chapters, by key, with who last edited and approved them."""
    return list(
        Chapter.objects.filter(org=org, period=period)
        .select_related("updated_by", "submitted_by", "approved_by")
        .order_by("key")
    )


def chapter(org: OrgUnit, period: Period, key: str) -> Chapter | None:
    return (
        Chapter.objects.filter(org=org, period=period, key=key)
        .select_related("org", "period", "updated_by", "submitted_by", "approved_by")
        .first()
    )


def parts(chapter: Chapter) -> list[Part]:
    """The chapter's parts in order, each with its picked cases."""
    return list(chapter.parts.prefetch_related(Prefetch("cases", queryset=CasePick.objects.order_by("order", "id"))))


def approved_parts(org: OrgUnit, period: Period, key: str) -> list[Part]:
    """What a report prints for ``key``: the parts of the chapter if it is approved, else nothing."""
    found = chapter(org, period, key)
    if found is None or found.status != ChapterStatus.APPROVED:
        return []
    return parts(found)


def picked(org: OrgUnit, period: Period) -> dict[tuple[int, str], str]:
    """(source org id, source case key) → the chapter key carrying it, for every case picked in the report."""
    rows = CasePick.objects.filter(report_org=org, report_period=period).values_list(
        "source_org_id", "source_key", "part__chapter__key"
    )
    return {(org_id, source): key for org_id, source, key in rows}


def ready_to_publish(org: OrgUnit, period: Period) -> bool:
    """Every chapter that has content is approved (and there is at least one): the report can go to the
    publication desk. Keys never started do not hold it up — not every report fills every key."""
    found = chapters(org, period)
    with_content = [c for c in found if c.parts.exists()]
    return bool(with_content) and all(c.status == ChapterStatus.APPROVED for c in with_content)


def submitted_chapters(orgs: QuerySet[OrgUnit, OrgUnit]) -> QuerySet[Chapter, Chapter]:
    """Chapters of ``orgs``' reports waiting for approval (the inbox filters them by ``services.may_approve`` and
    the four-eyes rule)."""
    return (
        Chapter.objects.filter(status=ChapterStatus.SUBMITTED, org__in=orgs)
        .select_related("org", "period", "submitted_by")
        .order_by("updated_at", "id")
    )
