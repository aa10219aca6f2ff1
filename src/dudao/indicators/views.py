from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse

from dudao.collection import selectors
from dudao.orgs.access import can_view, scope_unit, top_units
from dudao.orgs.selectors import groups_in_use
from dudao.orgs.vocabulary import Level

from . import dashboard
from .definitions import by_code, catalog
from .geo import MAP_STATIC
from .models import Rebuild
from .query import data_as_of, periods_with_results

FILTERS = ("indicator", "period", "school_type", "affiliation", "top")


def _scope(request):
    """The user's own city or district — or, drilling down (``?org=``), any unit inside it they may see."""
    tops = [u for u in top_units(request.user) if u.level in (Level.CITY, Level.DISTRICT)]
    if not tops:
        raise Http404  # schools have their own report, not a cockpit over others
    code = request.GET.get("org", "")
    if not code:
        return tops[0]
    org = scope_unit(request.user, code)
    if org is None or org.level == Level.DEPARTMENT:
        raise Http404
    return org


def _top(request) -> int:
    try:
        return max(0, int(request.GET.get("top", dashboard.TOP)))
    except ValueError:
        return dashboard.TOP


def _link(request, code: str) -> str:
    """The cockpit of ``code`` with the same indicator, year and filters."""
    params = {k: request.GET[k] for k in FILTERS if request.GET.get(k)}
    return reverse("indicators:cockpit") + "?" + urlencode({"org": code, **params})


def _trail(request, scope) -> list[dict]:
    """City › district › school down to ``scope``, the units above it only where the user may see them."""
    units = []
    node = scope
    while node is not None:
        if node.level != Level.DEPARTMENT and can_view(request.user, node):
            units.append(node)
        node = node.parent
    return [{"name": u.name, "url": _link(request, u.code)} for u in reversed(units)]


@login_required
def cockpit(request):
    scope = _scope(request)
    periods = periods_with_results(newest_first=True)
    return render(
        request,
        "indicators/dashboard.html",
        {
            "scope": scope,
            "trail": _trail(request, scope),
            "indicators": catalog(),
            "periods": periods,
            "school_types": groups_in_use("school_type"),
            "affiliations": groups_in_use("affiliation"),
            "chosen": {k: request.GET.get(k, "") for k in FILTERS},
            "top": _top(request),
            "tops": [10, 20, 0],
            "show_map": scope.level == Level.CITY,
            "map_url": static(MAP_STATIC),
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
    data = dashboard.data(
        scope, code, period, request.GET.get("school_type", ""), request.GET.get("affiliation", ""), _top(request)
    )
    comparison = data["comparison"]
    # children of the scope are inside it, so visible; a school's benchmark names its district and the city
    visible = {c for c in comparison["codes"] if c and (scope.level != Level.SCHOOL or scope_unit(request.user, c))}
    comparison["links"] = [_link(request, c) if c in visible else None for c in comparison["codes"]]
    for item in data.get("map", {}).get("values", []):
        item["url"] = _link(request, item["code"]) if item["code"] else None
    return JsonResponse(data)
