from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render

from dudao.collection.models import Period
from dudao.orgs.access import top_units
from dudao.orgs.models import Level, OrgGroup

from . import dashboard
from .definitions import by_code, catalog
from .models import Rebuild


def _scope(request):
    tops = [u for u in top_units(request.user) if u.level in (Level.CITY, Level.DISTRICT)]
    if not tops:
        raise Http404  # schools have their own report, not a cockpit over others
    return tops[0]


@login_required
def cockpit(request):
    scope = _scope(request)
    periods = list(Period.objects.filter(indicator_values__isnull=False).distinct().order_by("-start"))
    return render(
        request,
        "indicators/dashboard.html",
        {
            "scope": scope,
            "indicators": catalog(),
            "periods": periods,
            "school_types": OrgGroup.objects.filter(group_set__code="school_type", units__isnull=False).distinct(),
            "affiliations": OrgGroup.objects.filter(group_set__code="affiliation", units__isnull=False).distinct(),
            "rebuild": Rebuild.objects.first(),
        },
    )


@login_required
def cockpit_data(request):
    scope = _scope(request)
    code = request.GET.get("indicator", "student_teacher_ratio")
    if code not in by_code():
        raise Http404
    period = get_object_or_404(Period, code=request.GET.get("period", ""))
    return JsonResponse(
        dashboard.data(scope, code, period, request.GET.get("school_type", ""), request.GET.get("affiliation", ""))
    )
