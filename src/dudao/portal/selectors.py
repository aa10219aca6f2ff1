"""Reads of publications that other apps make (the API's report list); portal's models are private to this app."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Publication
from .vocabulary import PUBLIC


def public_publications(*, period: str | None = None, org: str | None = None) -> QuerySet[Publication, Publication]:
    """The versions anyone may read — published and superseded ones, never pending or rejected — of the period and
    the unit with these codes when given, with their unit and period."""
    publications = Publication.objects.filter(status__in=PUBLIC).select_related("org", "period")
    if period:
        publications = publications.filter(period__code=period)
    if org:
        publications = publications.filter(org__code=org)
    return publications
