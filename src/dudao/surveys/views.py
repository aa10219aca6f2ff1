"""问卷调查 pages: the list with the open form (city and district offices), a survey's results with the response
rate of each link, the printable sheet of links with their QR codes, and the public answer page behind each link
(no sign-in, CSRF-protected, nothing kept about who answered). Thin: :mod:`.services` decides who may write,
:mod:`.selectors` who may read (404 outside the user's part — a survey's existence does not leak)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dudao.errors import UNPROCESSABLE, DudaoError, forbidden
from dudao.orgs import selectors as orgs
from dudao.orgs.vocabulary import Level

from . import questionnaires, selectors, services


def _day(value: str, field: str, *, end: bool = False) -> datetime:
    try:
        day = datetime.strptime((value or "").strip(), "%Y-%m-%d").date()
    except ValueError:
        message = _("日期格式应为 YYYY-MM-DD")
        raise DudaoError(message, locator=field, status=UNPROCESSABLE, errors={field: message}) from None
    return timezone.make_aware(datetime.combine(day, time.max if end else time.min))


@login_required
def index(request):
    if not selectors.may_use(request.user):
        raise Http404
    surveys = list(selectors.visible_surveys(request.user).order_by("-period__code", "questionnaire", "org__code"))
    titles = {code: questionnaires.get(code).title for code in questionnaires.codes()}
    today = timezone.localdate()
    return render(
        request,
        "surveys/index.html",
        {
            "rows": [(s, titles.get(s.questionnaire, s.questionnaire)) for s in surveys],
            "titles": sorted(titles.items()),
            "scopes": selectors.manageable_scopes(request.user),
            "today": today.isoformat(),
            "until": (today + timedelta(days=30)).isoformat(),
        },
    )


@login_required
@require_POST
def open_survey(request):
    scope = orgs.unit((request.POST.get("org") or "").strip())
    if scope is None:
        raise forbidden(_("没有这个单位"))
    survey = services.open_survey(
        (request.POST.get("questionnaire") or "").strip(),
        (request.POST.get("period") or "").strip(),
        scope,
        request.user,
        opens_at=_day(request.POST.get("opens", ""), "opens"),
        closes_at=_day(request.POST.get("closes", ""), "closes", end=True),
    )
    messages.success(request, _("已发起问卷调查，共生成 %(n)d 个链接") % {"n": survey.links.count()})
    return redirect("surveys:survey", pk=survey.pk)


@login_required
@require_POST
def close_survey(request, pk: int):
    survey = selectors.survey_for(request.user, pk)
    if survey is None:
        raise Http404
    services.close_survey(survey, request.user)
    messages.success(request, _("问卷调查已结束"))
    return redirect("surveys:survey", pk=survey.pk)


def _survey_and_unit(request, pk: int):
    survey = selectors.survey_for(request.user, pk)
    if survey is None:
        raise Http404
    unit = selectors.view_unit(request.user, survey, request.GET.get("org") or None)
    if unit is None:
        raise Http404
    return survey, unit


@login_required
def survey(request, pk: int):
    """Results: the score of the part shown, each district's (a city survey), and each link's target, responses and
    response rate."""
    survey, unit = _survey_and_unit(request, pk)
    return render(
        request,
        "surveys/survey.html",
        {
            "survey": survey,
            "questionnaire": questionnaires.get(survey.questionnaire),
            "unit": unit,
            "result": selectors.unit_result(survey, unit),
            "parts": selectors.part_results(survey, unit),
            "rows": selectors.link_rows(survey, unit) if unit.level != Level.CITY else [],
            "manages": services.may_manage(request.user, survey.org),
            "is_open": survey.is_open(),
            "cap": services.CAP_FACTOR,
        },
    )


@login_required
def sheet(request, pk: int):
    """The printable sheet of one district's (or school's) links: each with its QR code, to hand out."""
    survey, unit = _survey_and_unit(request, pk)
    if unit.level == Level.CITY:
        raise Http404  # one sheet per district: the city's would be hundreds of codes
    rows = []
    for row in selectors.link_rows(survey, unit):
        url = request.build_absolute_uri(reverse("surveys:answer", args=[row.link.token]))
        rows.append((row, url, segno.make(url, error="m").svg_inline(scale=3)))
    return render(
        request,
        "surveys/sheet.html",
        {"survey": survey, "questionnaire": questionnaires.get(survey.questionnaire), "unit": unit, "rows": rows},
    )


def answer(request, token: str):
    """Public: the questionnaire behind a link. Nothing about the person is read or kept — only the answers."""
    link = services.link_by_token(token)
    questionnaire = questionnaires.get(link.survey.questionnaire)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            services.record_response(token, {q.code: request.POST.get(q.code, "") for q in questionnaire.questions})
            return redirect("surveys:thanks", token=token)
        except DudaoError as error:
            errors = error.field_errors() or {"": error.message}
            status = error.status
    return render(
        request,
        "surveys/answer.html",
        {
            "link": link,
            "questionnaire": questionnaire,
            "group": questionnaire.group(link.group),
            "is_open": link.survey.is_open(),
            "errors": errors,
            "general_error": errors.get(""),
            "posted": request.POST if errors else {},
        },
        status=status,
    )


def thanks(request, token: str):
    link = services.link_by_token(token)
    return render(request, "surveys/thanks.html", {"questionnaire": questionnaires.get(link.survey.questionnaire)})


@require_GET
def qr(request, token: str):
    """The link's QR code as SVG (public: the code only encodes the link its holder already has)."""
    link = services.link_by_token(token)
    url = request.build_absolute_uri(reverse("surveys:answer", args=[link.token]))
    response = HttpResponse(segno.make(url, error="m").svg_inline(scale=4), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=3600"
    return response
