"""Public portal (信息公开专栏, no login) and the publication desk for city and district admins."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from dudao.collection import selectors
from dudao.errors import FORBIDDEN, DudaoError
from dudao.listing import listing
from dudao.orgs import selectors as orgs
from dudao.orgs.access import visible_units
from dudao.orgs.vocabulary import Level
from dudao.reports.builder import submissions_for
from dudao.reports.builder import template as report_template
from dudao.supervision import selectors as supervision

from . import publishing, tasks
from .models import BatchRun, Publication
from .vocabulary import PUBLIC, PublicationStatus

if TYPE_CHECKING:
    from dudao.collection.models import Period

T = TypeVar("T")


def _found(obj: T | None) -> T:
    """``obj``, or a 404 when the code named nothing."""
    if obj is None:
        raise Http404
    return obj


def _period(request) -> Period | None:
    code = request.GET.get("period")
    if code:
        return _found(selectors.period(code))
    latest = Publication.objects.filter(status="published").order_by("-period__start").first()
    return latest.period if latest else None


def _column(period, root) -> dict:
    """What one disclosure column (市级专栏 or a 区级专栏) lists for ``period``."""
    pubs = list(
        Publication.objects.filter(period=period, status__in=PUBLIC, org__path__startswith=root.path)
        .select_related("org__parent")
        .defer("content", "html")
        .order_by("org__path", "-version")
    )
    own = [p for p in pubs if p.org_id == root.id]
    districts = [p for p in pubs if p.org.level == Level.DISTRICT and p.org_id != root.id]
    schools = [p for p in pubs if p.org.level == Level.SCHOOL]
    participants = submissions_for(root, period, report_template()["dataset"]).filter(org__level=Level.SCHOOL)
    school_total = participants.values("org").distinct().count()
    district_total = orgs.districts(under=root).count()
    published = {p.org_id for p in pubs if p.status == "published"}
    return {
        "own": own,
        "districts": districts,
        "schools": schools,
        "schools_published": len({p.org_id for p in schools if p.org_id in published}),
        "schools_total": school_total,
        "districts_published": len({p.org_id for p in districts if p.org_id in published}),
        "districts_total": district_total if root.level == Level.CITY else 0,
    }


def index(request):
    city = orgs.city()
    period = _period(request)
    published = Publication.objects.filter(status=PublicationStatus.PUBLISHED).values_list("period_id", flat=True)
    context = {
        "period": period,
        "city": city,
        "periods": selectors.periods(ids=published, newest_first=True),
    }
    if period and city:
        context["column"] = _column(period, city)
    context["district_list"] = orgs.districts()
    return render(request, "portal/index.html", context)


def district(request, code):
    org = _found(orgs.unit(code, Level.DISTRICT))
    period = _period(request)
    return render(
        request,
        "portal/district.html",
        {
            "org": org,
            "period": period,
            "column": _column(period, org) if period else None,
            "cards": supervision.public_cards(org),  # 挂牌督导: each school's 责任督学, as the plaque at the gate
        },
    )


def supervision_summaries(request):
    """督学工作概况: what the public sees of the 督学 ledger — the summaries the city published, counts only."""
    return render(request, "portal/supervision.html", {"summaries": supervision.published_summaries()})


def _public(pk) -> Publication:
    publication = get_object_or_404(Publication.objects.select_related("org", "period"), pk=pk)
    if publication.status not in PUBLIC:
        raise Http404  # pending and rejected versions are not disclosed
    return publication


def report_html(request, pk):
    publication = _public(pk)
    newer = None
    if publication.status == Publication.Status.SUPERSEDED:
        newer = Publication.objects.filter(
            org=publication.org, period=publication.period, template=publication.template, status="published"
        ).first()  # the same report's newer version: a city publishes several reports a year
    html = publishing.html_of(publication)
    if newer:
        banner = (
            f'<div style="background:#fff3cd;padding:8px;text-align:center">本版本（第{publication.version}版）'
            f'已被<a href="{reverse("portal:report", args=[newer.pk])}">第{newer.version}版</a>替代</div>'
        )
        html = html.replace("<body>", "<body>" + banner, 1)
    return HttpResponse(html)


def report_pdf(request, pk):
    publication = _public(pk)
    response = HttpResponse(publishing.pdf_of(publication), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{publication.org.code}_{publication.period.code}.pdf"'
    return response


# ----------------------------------------------------------------------------- publication desk (login)


# search fields and sortable columns of the publication list (dudao.listing); unsorted: pending first
PUBLICATION_SEARCH = ("title", "org.name", "org.code", "period.code")
PUBLICATION_SORTS = {"title": "title", "version": "version", "status": "status", "requested_at": "requested_at"}


def _choice(request, requestable: list, periods: list) -> tuple:
    """The unit and period the request form shows (the query's, else the first of each) and their coverage."""
    org = next((u for u in requestable if u.code == request.GET.get("org")), requestable[0] if requestable else None)
    period = next((p for p in periods if p.code == request.GET.get("period")), periods[0] if periods else None)
    cover = None
    if org is not None and period is not None and org.level != Level.SCHOOL:
        cover = publishing.coverage(org, period)
    return org, period, cover


@login_required
def desk(request):
    units = visible_units(request.user)
    pubs = (
        Publication.objects.filter(org__in=units)
        .select_related("org", "period", "requested_by", "reviewed_by")
        .defer("content", "html")
        .order_by("status", "org__path", "-version")
    )
    found = listing(request, pubs, search=PUBLICATION_SEARCH, sorts=PUBLICATION_SORTS)
    rows = [
        {
            "pub": p,
            "may_approve": p.status == "pending"
            and p.requested_by_id != request.user.pk
            and publishing.may_approve(request.user, p),
        }
        for p in found.items
    ]
    requestable = [
        u
        for u in units.filter(level__in=[Level.CITY, Level.DISTRICT, Level.SCHOOL]).order_by("path")
        if publishing.may_request(request.user, u)
    ]
    batches = BatchRun.objects.filter(org__in=units).select_related("org", "period")[:10]
    periods = list(selectors.periods(newest_first=True))
    chosen_org, chosen_period, cover = _choice(request, requestable, periods)
    return render(
        request,
        "portal/desk.html",
        {
            "rows": rows,
            "listing": found,
            "requestable": requestable,
            "chosen_org": chosen_org,
            "chosen_period": chosen_period,
            "coverage": cover,
            "periods": periods,
            "batches": batches,
            "batch_units": [u for u in requestable if publishing.may_request_schools(request.user, u)],
        },
    )


@login_required
def desk_coverage(request):
    """The coverage line of the request form for the chosen unit and period (htmx swaps it in as they change)."""
    org = _found(orgs.unit(request.GET.get("org", "")))
    period = _found(selectors.period(request.GET.get("period", "")))
    if not publishing.may_request(request.user, org):
        raise Http404
    cover = publishing.coverage(org, period) if org.level != Level.SCHOOL else None
    return render(request, "portal/_coverage.html", {"coverage": cover})


@login_required
@require_POST
def desk_request(request):
    org = _found(orgs.unit(request.POST.get("org", "")))
    period = _found(selectors.period(request.POST.get("period", "")))
    try:
        pub = publishing.request(org, period, request.user, reason=request.POST.get("reason", ""))
        messages.success(request, f"已提交发布申请：{pub.title}（第{pub.version}版），待审核")
    except DudaoError as exc:
        if exc.status == FORBIDDEN:  # not this user's to request: the 403 page, as for every refused write
            raise
        messages.error(request, exc.message)
        return redirect(f"{reverse('portal:desk')}?org={org.code}&period={period.code}")
    return redirect("portal:desk")


def _desk_publication(request, pk) -> Publication:
    return get_object_or_404(
        Publication.objects.select_related("org", "period"), pk=pk, org__in=visible_units(request.user)
    )


@login_required
def desk_preview(request, pk):
    """The frozen HTML of any version on the desk — for a pending one, exactly what approving it publishes."""
    return HttpResponse(publishing.html_of(_desk_publication(request, pk)))


@login_required
def desk_preview_pdf(request, pk):
    publication = _desk_publication(request, pk)
    response = HttpResponse(publishing.pdf_of(publication), content_type="application/pdf")
    name = f"{publication.org.code}_{publication.period.code}_v{publication.version}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def desk_review(request, pk, decision):
    publication = get_object_or_404(Publication, pk=pk, org__in=visible_units(request.user))
    try:
        if decision == "approve":
            publishing.approve(publication, request.user, request.POST.get("note", ""))
            messages.success(request, f"已公开：{publication.title}")
        elif decision == "reject":
            publishing.reject(publication, request.user, request.POST.get("note", ""))
            messages.success(request, "已驳回")
        else:
            raise Http404
    except DudaoError as exc:
        if exc.status == FORBIDDEN:
            raise
        messages.error(request, str(exc))
    return redirect("portal:desk")


@login_required
@require_POST
def batch_start(request):
    org = _found(orgs.unit(request.POST.get("org", "")))
    period = _found(selectors.period(request.POST.get("period", "")))
    if not publishing.may_request_schools(request.user, org):
        raise Http404
    batch = tasks.start(org, period, request.user)
    return redirect("portal:batch", pk=batch.pk)


@login_required
@require_POST
def batch_retry(request, pk):
    """Run an interrupted (worker killed) or failed batch again; what was finished stays finished."""
    run = get_object_or_404(BatchRun.objects.select_related("org"), pk=pk, org__in=visible_units(request.user))
    if not publishing.may_request_schools(request.user, run.org):
        raise Http404
    if not run.may_retry():
        messages.error(request, "该批次仍在进行或已完成，无需重新运行")
        return redirect("portal:batch", pk=run.pk)
    tasks.retry(run)
    return redirect("portal:batch", pk=run.pk)


@login_required
def batch(request, pk):
    run = get_object_or_404(
        BatchRun.objects.select_related("org", "period"), pk=pk, org__in=visible_units(request.user)
    )
    template = "portal/_progress.html" if request.headers.get("HX-Request") else "portal/batch.html"
    return render(request, template, {"run": run})


def verify(request, pk=None):
    """核验: anyone checks that a file is a published version — by uploading it or pasting its SHA-256 — against one
    publication (``pk``, the page a printed report's link and QR code open) or against every public version."""
    publication = _public(pk) if pk is not None else None
    asked = request.method == "POST" or "sha256" in request.GET
    sha256 = publishing.hash_of(request.POST.get("sha256") or request.GET.get("sha256", ""), request.FILES.get("file"))
    context = {"publication": publication, "asked": asked, "sha256": sha256}
    if publication is not None:
        context["published_sha256"] = publishing.sha256_of(publication)
        context["statements"] = publishing.report_of(publication).statements
        context["matches"] = asked and bool(sha256) and sha256 == context["published_sha256"]
    elif asked:
        context["found"] = publishing.published_with_hash(sha256)
    return render(request, "portal/verify.html", context)
