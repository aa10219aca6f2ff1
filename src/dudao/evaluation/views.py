"""Evaluation pages: one page per scheme and scope, its printable report (HTML/PDF), and the forms inspectors and
universities fill (督政 scores and findings — re-checked in the ledger; 主题督导 visits; 高校自选权重). Thin: the
numbers come from :func:`.run.evaluate`, what a scheme's page shows from its :class:`~.registry.Scheme` (result
block, forms block, ``page_context``), the writes from the scheme modules."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from dudao import concurrency
from dudao.collection import selectors
from dudao.documents import html_to_pdf
from dudao.errors import DudaoError
from dudao.inputs import parse_number
from dudao.orgs.access import has_role
from dudao.orgs.selectors import unit
from dudao.orgs.vocabulary import Level, Role

from . import registry, scopes
from .common import INSPECT_ROLES
from .run import evaluate
from .schemes import district_duty as duty
from .schemes import hei, thematic

if TYPE_CHECKING:
    from dudao.collection.models import Period
    from dudao.orgs.models import OrgUnit


def _period(request, scheme: registry.Scheme | None = None, org: OrgUnit | None = None) -> Period:
    """The period asked for; without one, the latest in which ``scheme`` has data for ``org`` (see :mod:`.scopes`)."""
    code = request.GET.get("period") or request.POST.get("period")
    if code:
        period = selectors.period(code)
    else:
        period = scopes.latest_period(scheme, org) if scheme and org else None
        period = period or scopes.fallback_period()
    if period is None:
        raise Http404
    return period


def _org(request, scheme: registry.Scheme | None = None) -> OrgUnit:
    """The unit asked for, if the user may see it; without one, the first the scheme evaluates in the user's scope
    (the user's own unit when it can: a department's pages look at the city, a district's skip 高校)."""
    code = request.GET.get("org") or request.POST.get("org")
    if code:
        org = unit(code)
        if org is None or not scopes.may_see(request.user, org):
            raise Http404  # the same answer as for a unit that does not exist
        return org
    roots = scopes.roots(request.user)
    found = scopes.default_unit(scheme, request.user) if scheme else (roots[0] if roots else None)
    if found is None:
        raise Http404
    return found


def _scheme(code: str) -> registry.Scheme:
    try:
        return registry.get(code)
    except DudaoError:
        raise Http404 from None


def _blocks(scheme: registry.Scheme, result: dict | None) -> dict:
    """The scheme's result block (and the lines it shows when it has no block of its own) and its forms block."""
    generic = scheme.template == registry.LINES_TEMPLATE
    return {
        "result_template": scheme.template,
        "lines": scheme.describe(result) if generic and result else [],
        "forms_template": scheme.forms_template,
    }


@login_required
def index(request):
    """The schemes that evaluate something in the user's scope, each linked to its own default unit and period
    (or to the unit and period asked for, where the scheme evaluates that unit)."""
    org = _org(request)
    chosen = request.GET.get("period", "")
    rows = []
    for scheme in registry.all_schemes():
        offered = scopes.units(scheme, request.user)
        if not offered:
            continue
        query = {"org": org.code} if scopes.applies(scheme, org) else {}
        if chosen:
            query["period"] = chosen
        rows.append({"spec": scheme.spec, "code": scheme.code, "query": urlencode(query)})
    context = {"rows": rows, "org": org, "period": selectors.period(chosen) if chosen else None}
    return render(request, "evaluation/index.html", context)


def _result(request, code):
    scheme = _scheme(code)
    org = _org(request, scheme)
    period = _period(request, scheme, org)
    try:
        return scheme, org, period, evaluate(code, period.code, org.code), ""
    except DudaoError as exc:
        return scheme, org, period, None, str(exc)


@login_required
def scheme_page(request, code):
    scheme, org, period, result, error = _result(request, code)
    no_data = scopes.applies(scheme, org) and not scopes.has_data(scheme, period, org)
    periods = [{"period": p, "has_data": scopes.has_data(scheme, p, org)} for p in selectors.periods(newest_first=True)]
    context = {
        "code": code,
        "spec": scheme.spec,
        "org": org,
        "period": period,
        "periods": periods,
        "units": scopes.units(scheme, request.user),
        "result": result,
        "error": error,
        "no_data": no_data,
        "inspector": has_role(request.user, org, *INSPECT_ROLES),
        "today": timezone.localdate(),
        **_blocks(scheme, result),
    }
    if scheme.page_context:
        context.update(scheme.page_context(request, scheme.spec, org, period, result))
    # a unit the scheme cannot evaluate is a bad request; a period without data is an answer: 无数据
    status = 400 if error and not no_data else 200
    return render(request, "evaluation/scheme.html", context, status=status)


@login_required
def report(request, code, fmt):
    if fmt not in ("html", "pdf"):
        raise Http404
    scheme = _scheme(code)
    org = _org(request, scheme)
    period = _period(request, scheme, org)
    result = evaluate(code, period.code, org.code)  # a scope the scheme cannot evaluate: the error page, its status
    context = {"code": code, "spec": scheme.spec, "result": result, "today": timezone.localdate()}
    html = render_to_string("evaluation/report.html", {**context, **_blocks(scheme, result)})
    if fmt == "html":
        return HttpResponse(html)
    response = HttpResponse(html_to_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{code}_{org.code}_{period.code}.pdf"'
    return response


def _back(code, org, period) -> str:
    return f"{reverse('evaluation:scheme', args=[code])}?org={org.code}&period={period.code}"


# ----------------------------------------------------------------------------- 高校自选权重


@login_required
@require_POST
def hei_weights(request):
    org, period = _org(request), _period(request)
    if org.level != Level.SCHOOL or not has_role(request.user, org, Role.PRINCIPAL, Role.CITY_ADMIN):
        raise Http404
    spec = registry.get("hei").spec
    rows = hei.weight_form(spec, org, period)
    if not rows:
        raise Http404
    chosen, errors = {}, []
    for row in rows:
        try:
            number = parse_number(request.POST.get(row["code"], ""), field=row["code"], minimum=0, maximum=100)
        except DudaoError as exc:
            errors.append(f"{row['name']}：{exc.message}")
            continue
        if number is None:
            errors.append(f"{row['name']}：请填写权重")
        else:
            chosen[row["code"]] = float(number)
    if errors:
        messages.error(request, "权重未保存：" + "；".join(errors))
        return redirect(_back("hei", org, period))
    try:
        versions = concurrency.versions_sent(request.POST, list(chosen))
        hei.choose_weights(spec, org, period, chosen, request.user, versions)
        messages.success(request, "已保存本校自选权重")
    except DudaoError as exc:
        messages.error(request, f"权重未保存：{exc}")
    return redirect(_back("hei", org, period))


# ----------------------------------------------------------------------------- 督政


def _inspector_at(request, org):
    if not has_role(request.user, org, *INSPECT_ROLES):
        raise Http404


def _inspected_district(request):
    """(district, period) of a 督政 form, for an inspector of that district only."""
    org, period = _org(request), _period(request)
    if org.level != Level.DISTRICT:
        raise Http404
    _inspector_at(request, org)
    return org, period


@login_required
@require_POST
def duty_scores(request):
    org, period = _inspected_district(request)
    spec = registry.get("district_duty").spec
    source = request.POST.get("source", "")
    values = {item["code"]: request.POST.get(item["code"], "") for item in spec["items"]}
    try:
        # each score's version as the form read it: another inspector's score meanwhile is not overwritten
        versions = concurrency.versions_sent(request.POST, [f"{source}_{code}" for code in values])
        versions = {code: versions[f"{source}_{code}"] for code in values}
        saved = duty.record_scores(spec, period, org, source, values, request.user, versions)
        messages.success(request, f"已保存 {len(saved)} 项评分")
    except DudaoError as exc:
        messages.error(request, f"评分未保存：{exc}")
    return redirect(_back("district_duty", org, period))


@login_required
@require_POST
def duty_findings(request):
    org, period = _inspected_district(request)
    try:
        spec = registry.get("district_duty").spec
        created = duty.raise_findings(spec, period, org, request.user, timezone.localdate())
        messages.success(request, f"已列入整改台账 {len(created)} 项")
    except DudaoError as exc:  # the ledger decides who may raise a finding for the district
        messages.error(request, str(exc))
    return redirect(_back("district_duty", org, period))


def _day(request) -> date:
    try:
        return date.fromisoformat(request.POST.get("on", ""))
    except ValueError:
        return timezone.localdate()


# ----------------------------------------------------------------------------- 主题督导


@login_required
@require_POST
def thematic_visit(request):
    school = unit(request.POST.get("school", ""), Level.SCHOOL)
    if school is None:
        raise Http404
    _inspector_at(request, school)
    period, scope = _period(request), _org(request)
    spec = registry.get("thematic").spec
    theme_code = request.POST.get("theme", "")
    try:
        items = thematic.theme(spec, theme_code)["items"]
        raw = {item["code"]: request.POST.get(item["code"], "") for item in items}
        thematic.record_visit(spec, theme_code, school, request.user, _day(request), raw, request.POST.get("note", ""))
        messages.success(request, f"已记录{school.name}的督导情况")
    except DudaoError as exc:
        messages.error(request, f"督导记录未保存：{exc}")
    return redirect(_back("thematic", scope, period))
