"""Pages of 质量监测: the campaigns (city and districts), one campaign with its schedule, per-district progress and
sampled schools, and a sampled school's own task page with its checklist. Thin: :mod:`.selectors` decides who sees
what (404 otherwise), :mod:`.services` who may act."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dudao.concurrency import expected_version
from dudao.errors import UNPROCESSABLE, DudaoError
from dudao.inputs import parse_date
from dudao.orgs import selectors as orgs

from . import catalog, selectors, services
from .models import ScheduleEntry
from .vocabulary import Kind, State


def _number(value: str, field: str) -> int:
    try:
        return int((value or "").strip())
    except ValueError:
        raise DudaoError(
            _("请填写数字"), locator=field, status=UNPROCESSABLE, errors={field: _("请填写数字")}
        ) from None


@login_required
def index(request):
    if not selectors.takes_part(request.user):
        raise Http404
    year = timezone.localdate().year
    return render(
        request,
        "monitoring/index.html",
        {
            "campaigns": selectors.campaigns_for(request.user)[:200],
            "tasks": selectors.tasks_of(request.user),
            "may_create": services.may_create(request.user),
            "districts": selectors.districts_to_choose(),
            "programmes": catalog.programmes().items(),
            "kinds": Kind.choices,
            "year": year,
            "subjects": "、".join(catalog.subjects_of(year)[0]),
            "strata": catalog.spec("national")["strata"],
            "default_quota": catalog.spec("vocational")["default_quota"],
        },
    )


@login_required
@require_POST
def create(request):
    kind = request.POST.get("kind", "")
    year = _number(request.POST.get("year", ""), "year")
    test_day = parse_date(request.POST.get("test_day", ""), "test_day")
    districts = [u for u in (orgs.unit(c) for c in request.POST.getlist("districts")) if u is not None]
    quota = _number(request.POST["quota"], "quota") if request.POST.get("quota") else None
    campaign = services.create_campaign(
        request.user,
        kind,
        year,
        test_day,
        districts=districts,
        programmes=request.POST.getlist("programmes"),
        quota=quota,
        seed=request.POST.get("seed") or None,
    )
    services.draw_sample(campaign, request.user)
    told = services.notify_sampled(campaign, request.user)
    messages.success(request, _("已抽取样本校并通知%(n)d人") % {"n": told})
    return redirect("monitoring:campaign", pk=campaign.pk)


@login_required
def campaign(request, pk: int):
    found = selectors.campaign_for(request.user, pk)
    if found is None:
        raise Http404
    rows = list(selectors.sampled_for(request.user, found))
    return render(
        request,
        "monitoring/campaign.html",
        {
            "campaign": found,
            "rows": rows,
            "districts": selectors.by_district(rows),
            "states": State.choices,
            "programmes": catalog.programmes(),
            "strata": catalog.spec("national")["strata"] if found.kind == Kind.NATIONAL else [],
            "source": catalog.subjects_of(found.year)[1] if found.kind == Kind.NATIONAL else "",
            "grades": catalog.spec("national")["grades"],
            "may_move": services.may_create(request.user),
        },
    )


@login_required
@require_POST
def move_date(request, pk: int):
    entry = ScheduleEntry.objects.select_related("campaign").filter(pk=pk).first()
    if entry is None or selectors.campaign_for(request.user, entry.campaign_id) is None:
        raise Http404
    services.move_date(
        entry,
        parse_date(request.POST.get("due", ""), "due"),
        request.user,
        expected_version(request.POST.get("version")),
        request.POST.get("reason", ""),
    )
    messages.success(request, _("已调整时间安排并通知样本校和各区"))
    return redirect("monitoring:campaign", pk=entry.campaign_id)


@login_required
def task(request, pk: int):
    sampled = selectors.sampled_one(request.user, pk)
    if sampled is None:
        raise Http404
    return render(
        request,
        "monitoring/task.html",
        {
            "sampled": sampled,
            "campaign": sampled.campaign,
            "checklist": selectors.checklist_of(sampled),
            "next": services.next_step(sampled),
            "may_confirm": services.may_confirm(request.user, sampled),
        },
    )


@login_required
@require_POST
def confirm(request, pk: int):
    sampled = selectors.sampled_one(request.user, pk)
    if sampled is None:
        raise Http404
    services.confirm(
        sampled,
        request.POST.get("step", ""),
        request.user,
        expected_version(request.POST.get("version")),
        request.POST.get("note", ""),
    )
    messages.success(request, _("已确认"))
    return redirect("monitoring:task", pk=sampled.pk)
