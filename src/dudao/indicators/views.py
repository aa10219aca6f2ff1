from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import render

from dudao.collection import selectors
from dudao.orgs.access import top_units
from dudao.orgs.selectors import groups_in_use
from dudao.orgs.vocabulary import Level

from . import dashboard
from .definitions import by_code, catalog
from .models import Rebuild
from .query import data_as_of, periods_with_results


def _scope(request):
    tops = [u for u in top_units(request.user) if u.level in (Level.CITY, Level.DISTRICT)]
    if not tops:
        raise Http404  # schools have their own report, not a cockpit over others
    return tops[0]


@login_required
def cockpit(request):
    scope = _scope(request)
    periods = periods_with_results(newest_first=True)
    return render(
        request,
        "indicators/dashboard.html",
        {
            "scope": scope,
            "indicators": catalog(),
            "periods": periods,
            "school_types": groups_in_use("school_type"),
            "affiliations": groups_in_use("affiliation"),
            "rebuild": Rebuild.objects.first(),
            "as_of": data_as_of(),
        },
    )


@login_required
def cockpit_data(request):
    scope = _scope(request)
    code = request.GET.get("indicator", "student_teacher_ratio")
    if code not in by_code():
        raise Http404
    period = selectors.period(request.GET.get("period", ""))
    if period is None:
        raise Http404
    return JsonResponse(
        dashboard.data(scope, code, period, request.GET.get("school_type", ""), request.GET.get("affiliation", ""))
    )
