"""Reads of 督学 — who sees which findings is decided here and only here:

* a school's principal, checker and collector see their own school's findings;
* an inspector (a registry entry with a sign-in) sees the findings of the schools currently assigned to them, and
  those they raised;
* district and city offices (区审核员, 区填报员, 市管理员, 市督学) see their subtree;
* nobody else — not the public, and not the third-party analyst or report compilers, who have no part in follow-up.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet
from django.urls import reverse

from dudao.orgs import selectors as orgs
from dudao.orgs.access import has_role, visible_units
from dudao.orgs.vocabulary import Level, Role

from .models import (
    Assignment,
    ContactMessage,
    Finding,
    Inspector,
    PublishedSummary,
    ThematicSampling,
    Visit,
    VisitPhoto,
    VisitPlan,
)
from .services import ADMIN_ROLES, OWNER_ROLES, inspector_of, may_recheck, term_dates
from .vocabulary import OWED, FindingState

if TYPE_CHECKING:
    from dudao.orgs.models import OrgUnit

SCHOOL_READ_ROLES = (Role.PRINCIPAL, Role.CHECKER, Role.COLLECTOR)
OFFICE_READ_ROLES = (Role.DISTRICT_REVIEWER, Role.DISTRICT_CLERK, Role.CITY_ADMIN, Role.INSPECTOR)
LEDGER_READ_ROLES = SCHOOL_READ_ROLES + OFFICE_READ_ROLES


def _findings() -> QuerySet[Finding]:
    return Finding.objects.select_related("owner", "owner__parent", "inspector", "created_by")


def readable_finding_urls(user: Any) -> set[str]:
    """The ledger pages of the findings ``user`` may open: a page that lists findings of a wider scope (the 督政 and
    thematic summaries) links only these, so nobody is sent to a 404."""
    return {reverse("supervision:finding", args=[pk]) for pk in visible_findings(user).values_list("pk", flat=True)}


def visible_findings(user: Any) -> QuerySet[Finding]:
    """Every finding ``user`` may read (an empty set for the anonymous public)."""
    if not getattr(user, "is_authenticated", False):
        return Finding.objects.none()
    query = Q(owner__in=visible_units(user, LEDGER_READ_ROLES))
    mine = inspector_of(user)
    if mine is not None:
        schools = Assignment.objects.filter(inspector=mine, ended_on__isnull=True).values("school")
        query |= Q(owner__in=schools) | Q(inspector=mine)
    return _findings().filter(query)


def finding(user: Any, pk: int) -> Finding | None:
    """The finding if ``user`` may read it; ``None`` for one that does not exist or is not theirs (callers 404)."""
    return visible_findings(user).filter(pk=pk).first()


def owed_by(user: Any) -> list[Finding]:
    """Items the user's own unit still owes a rectification for (their inbox): open or returned."""
    if not getattr(user, "is_authenticated", False):
        return []
    query = Q()
    for level, roles in OWNER_ROLES.items():
        query |= Q(owner__in=visible_units(user, roles).filter(level=level))
    return list(_findings().filter(query, status__in=OWED).order_by("deadline", "pk"))


def to_recheck(user: Any) -> list[Finding]:
    """Rectifications waiting for this user's re-check: the inspector's own items and assigned schools, or — for a
    district or city office — every one in its subtree it may re-check."""
    waiting = visible_findings(user).filter(status=FindingState.RECTIFYING).order_by("deadline", "pk")
    return [f for f in waiting if may_recheck(user, f)]


def steps(finding: Finding) -> list[Any]:
    return list(finding.steps.select_related("by").order_by("at", "pk"))


def accountabilities(finding: Finding) -> list[Any]:
    return list(finding.accountabilities.select_related("filed_by"))


def board(user: Any) -> dict[str, Any]:
    """The city board: counts by status for each district, each 市政府部门 (its 督政 findings) and each theme, over
    what the user may read."""
    found = visible_findings(user)
    states = list(FindingState.values)
    by_district: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(states, 0))
    names: dict[str, str] = {}
    counted = (
        ("owner__parent__code", "owner__parent__name", Level.SCHOOL),  # a school's findings count for its district
        ("owner__code", "owner__name", Level.DISTRICT),  # 督政 findings are the district's own
    )
    for code_field, name_field, level in counted:
        rows = found.filter(owner__level=level).values_list(code_field, name_field, "status").annotate(n=Count("pk"))
        for code, name, status, n in rows:
            by_district[code][status] += n
            names[code] = name
    # 督政 findings owned by a 市政府部门: a row per department, apart from the districts (they are no district's)
    by_department: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(states, 0))
    department_names: dict[str, str] = {}
    rows = (
        found.filter(owner__level=Level.DEPARTMENT)
        .values_list("owner__code", "owner__name", "status")
        .annotate(n=Count("pk"))
    )
    for code, name, status, n in rows:
        by_department[code][status] += n
        department_names[code] = name
    by_theme: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(states, 0))
    for theme, status, n in found.values_list("theme", "status").annotate(n=Count("pk")):
        by_theme[theme][status] += n
    return {
        "states": [(s, label) for s, label in FindingState.choices],
        "districts": [(code, names[code], [by_district[code][s] for s in states]) for code in sorted(by_district)],
        "departments": [
            (code, department_names[code], [by_department[code][s] for s in states]) for code in sorted(by_department)
        ],
        "themes": [(theme, [counts[s] for s in states]) for theme, counts in sorted(by_theme.items())],
        "escalated": found.filter(escalated_at__isnull=False).count(),
    }


# --------------------------------------------------------------------------- the registry


def may_manage(user: Any) -> bool:
    """District and city offices see the registry (their subtree's districts)."""
    return getattr(user, "is_superuser", False) or visible_units(user, ADMIN_ROLES).exists()


def inspectors(user: Any) -> QuerySet[Inspector]:
    """The registry entries of the districts ``user`` administers (all of them for the city)."""
    units = visible_units(user, ADMIN_ROLES)
    return (
        Inspector.objects.filter(district__in=units)
        .select_related("district", "user")
        .annotate(schools=Count("assignments", filter=Q(assignments__ended_on__isnull=True)))
    )


def assignments_under(user: Any) -> QuerySet[Assignment]:
    """Current assignments of the schools the user administers."""
    units = visible_units(user, ADMIN_ROLES).filter(level=Level.SCHOOL)
    return Assignment.objects.filter(school__in=units, ended_on__isnull=True).select_related("inspector", "school")


def current(school: OrgUnit) -> Assignment | None:
    """The school's 责任督学 now — the public card."""
    return Assignment.objects.filter(school=school, ended_on__isnull=True).select_related("inspector").first()


def history(school: OrgUnit) -> list[Assignment]:
    return list(Assignment.objects.filter(school=school).select_related("inspector").order_by("-started_on", "-pk"))


def school(code: str) -> OrgUnit | None:
    return orgs.unit(code, Level.SCHOOL)


def assigned_schools(user: Any) -> list[Assignment]:
    mine = inspector_of(user)
    if mine is None:
        return []
    return list(mine.assignments.filter(ended_on__isnull=True).select_related("school"))


def messages_for(user: Any) -> list[ContactMessage]:
    """Messages the public left for this inspector."""
    mine = inspector_of(user)
    if mine is None:
        return []
    return list(mine.messages.select_related("school")[:50])


def takes_part(user: Any) -> bool:
    """Whether the supervision pages have anything for ``user`` (the navigation's link)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or inspector_of(user) is not None or visible_units(user, LEDGER_READ_ROLES).exists()


def may_see_registry_of(user: Any, district: OrgUnit) -> bool:
    return has_role(user, district, *ADMIN_ROLES)


# --------------------------------------------------------------------------- visits


def visible_visits(user: Any) -> QuerySet[Visit]:
    """Visits the user may read: as for findings — the school's own staff, its inspector, district and city."""
    if not getattr(user, "is_authenticated", False):
        return Visit.objects.none()
    query = Q(school__in=visible_units(user, LEDGER_READ_ROLES))
    mine = inspector_of(user)
    if mine is not None:
        query |= Q(inspector=mine)
    return Visit.objects.filter(query).select_related("school", "inspector", "recorded_by")


def visit(user: Any, pk: int) -> Visit | None:
    return visible_visits(user).filter(pk=pk).first()


def photo(user: Any, pk: int) -> VisitPhoto | None:
    found = VisitPhoto.objects.filter(pk=pk).first()
    return found if found is not None and visit(user, found.visit_id) is not None else None


def recordable_schools(user: Any) -> list[OrgUnit]:
    """Schools the visit form offers: the inspector's assigned schools, or the schools a district/city office
    supervises (the service decides again when the visit arrives)."""
    schools = [a.school for a in assigned_schools(user)]
    if not schools:
        schools = list(visible_units(user, ADMIN_ROLES).filter(level=Level.SCHOOL).order_by("code")[:500])
    return schools


def plan_progress(user: Any, term: str) -> list[dict[str, Any]]:
    """Each visible plan of ``term`` with the visits its inspector made to the school in that term: an inspector
    sees their own, district and city the plans of their districts' inspectors."""
    first, last = term_dates(term)
    plans = VisitPlan.objects.filter(term=term).select_related("inspector", "school")
    mine = inspector_of(user)
    own = Q(inspector=mine) if mine is not None else Q(pk__in=[])
    plans = plans.filter(own | Q(inspector__district__in=visible_units(user, ADMIN_ROLES)))
    counts = {
        (i, s): n
        for i, s, n in Visit.objects.filter(visited_on__range=(first, last))
        .order_by()
        .values_list("inspector", "school")
        .annotate(n=Count("pk"))
    }
    rows = []
    for plan in plans.order_by("inspector__district__code", "inspector__name", "school__code"):
        n = counts.get((plan.inspector_id, plan.school_id), 0)
        rows.append({"plan": plan, "done": n, "met": n >= plan.visits_required})
    return rows


def samplings(user: Any) -> QuerySet[ThematicSampling]:
    return ThematicSampling.objects.filter(under__in=visible_units(user, OFFICE_READ_ROLES)).select_related(
        "under", "drawn_by"
    )


def may_sample(user: Any) -> list[OrgUnit]:
    """Units (districts and the city) the user may draw a sample under."""
    return list(visible_units(user, ADMIN_ROLES).exclude(level=Level.SCHOOL).order_by("code")[:50])


# --------------------------------------------------------------------------- findings by where they came from


def from_source(source_kind: str, under: OrgUnit, ref_prefix: str = "") -> list[Finding]:
    """The findings a scheme raised (``source_kind``, ``source_ref`` starting with ``ref_prefix``) for owners in
    ``under``'s subtree, with their steps — what a 督政 or thematic page and its report list. Not narrowed to a
    user: the scheme's page checked that its reader may see ``under``, and the ledger's own pages decide who may
    act on each item."""
    found = _findings().filter(source_kind=source_kind, owner__path__startswith=under.path)
    if ref_prefix:
        found = found.filter(source_ref__startswith=ref_prefix)
    return list(found.prefetch_related("steps").order_by("owner__code", "source_ref", "pk"))


def pending_from(source_kind: str, owner: OrgUnit, ref_suffix: str) -> list[Finding]:
    """``owner``'s findings of ``source_kind`` whose reference ends with ``ref_suffix`` that are not closed yet —
    a thematic item already in the ledger is not raised twice, and the next visit re-checks it."""
    return list(
        Finding.objects.filter(source_kind=source_kind, owner=owner, source_ref__endswith=ref_suffix)
        .exclude(status=FindingState.CLOSED)
        .order_by("pk")
    )


def is_owed(finding: Finding) -> bool:
    """The owner still owes a rectification (open or sent back)."""
    return finding.status in OWED


def is_overdue(finding: Finding, today: Any) -> bool:
    return finding.status != FindingState.CLOSED and finding.deadline < today


def rechecks(finding: Finding) -> list[Any]:
    """The finding's re-checks (accepted or sent back), oldest first — from prefetched steps when there are any."""
    return [s for s in finding.steps.all() if s.action in ("accept", "return")]


def published_summaries() -> list[PublishedSummary]:
    """What the public portal shows of the ledger: the published summaries, newest first."""
    return list(PublishedSummary.objects.order_by("-published_at", "-id")[:20])


def public_cards(district: OrgUnit) -> list[Assignment]:
    """Each school of ``district`` with its current 责任督学, for the portal's 挂牌督导 list."""
    return list(
        Assignment.objects.filter(school__in=orgs.schools_under(district), ended_on__isnull=True)
        .select_related("school", "inspector")
        .order_by("school__code")
    )


def companions_for(schools: list[OrgUnit]) -> list[Inspector]:
    """Who may join a visit to these schools: the active 特约教育督导员 and 人民教育督察员 of their districts."""
    from .services import COMPANION_KINDS

    districts = {school.parent_id for school in schools}
    return list(
        Inspector.objects.filter(district_id__in=districts, kind__in=COMPANION_KINDS, active=True)
        .select_related("district")
        .order_by("district__code", "name")
    )
