"""Reads of imported statistics: which sources stand behind a figure (数据来源), and the list of imports."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import Count, QuerySet

from .models import Import, ImportedValue, Source

if TYPE_CHECKING:
    from dudao.collection.models import Period
    from dudao.orgs.models import OrgUnit


def sources_for(element_codes: Iterable[str], org: OrgUnit, period: Period) -> list[Source]:
    """The sources of the *current* imported values of ``element_codes`` for ``org`` — or any unit under it — in
    ``period``: what a report prints as 数据来源 under a figure or table built from those elements. A source whose
    figures a later import replaced is not listed. Newest publication first."""
    codes = list(set(element_codes))
    if not codes:
        return []
    ids = ImportedValue.objects.filter(
        current=True, element_code__in=codes, batch__period=period, org__path__startswith=org.path
    ).values("batch__source_id")
    return list(Source.objects.filter(id__in=ids).order_by("-published_on", "name"))


def imports(period: Period | None = None) -> QuerySet[Import, Import]:
    """Every import (of ``period``, when given), newest first, with its source, period, importer and how many
    units its table covers (``units``)."""
    qs = Import.objects.select_related("source", "period", "imported_by")
    if period is not None:
        qs = qs.filter(period=period)
    return qs.annotate(units=Count("values__org", distinct=True)).order_by("-imported_at", "-id")


def sources() -> QuerySet[Source, Source]:
    """Every source, newest publication first, with how many imports drew on it."""
    return Source.objects.annotate(import_count=Count("imports")).order_by("-published_on", "name")


def imported_values(batch: Import) -> QuerySet[ImportedValue, ImportedValue]:
    """The values one import brought, by unit and element, each marked current or replaced."""
    return batch.values.select_related("org").order_by("org__path", "element_code")
