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
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dudao import concurrency
from dudao.collection import selectors
from dudao.documents import html_to_docx, html_to_pdf
from dudao.errors import DudaoError
from dudao.inputs import checks_its_own_text, parse_number
from dudao.orgs.access import has_role
from dudao.orgs.selectors import unit
from dudao.orgs.vocabulary import Level, Role
from dudao.reports import render as rendering

from . import developmental_report as output
from . import registry, scopes, selfeval
from .common import INSPECT_ROLES
from .run import evaluate
from .schemes import developmental as dev
from .schemes import district_duty as duty
from .schemes import hei, preschool, thematic
from .schemes import provincial_duty as provincial

if TYPE_CHECKING:
    from dudao.collection.models import Period
    from dudao.orgs.models import OrgUnit

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


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
    context.update(selfeval.page_context(request, scheme, org, period, result))  # 区县自评报告, if the YAML has one
    # a unit the scheme cannot evaluate is a bad request; a period without data is an answer: 无数据
    status = 400 if error and not no_data else 200
    return render(request, "evaluation/scheme.html", context, status=status)


@login_required
def report(request, code, fmt):
    if fmt not in rendering.FORMATS:
        raise Http404
    scheme = _scheme(code)
    org = _org(request, scheme)
    period = _period(request, scheme, org)
    result = evaluate(code, period.code, org.code)  # a scope the scheme cannot evaluate: the error page, its status
    context = {"code": code, "spec": scheme.spec, "result": result, "today": timezone.localdate()}
    context.update(selfeval.report_context(scheme, org, period, result))  # the submitted 自评报告 after the figures
    html = render_to_string("evaluation/report.html", {**context, **_blocks(scheme, result)})
    if fmt == "html":
        return HttpResponse(html)
    name = f"{code}_{org.code}_{period.code}.{fmt}"
    if fmt == "docx":  # for the offices that edit the report in Word before sending it on
        response = HttpResponse(html_to_docx(html), content_type=DOCX)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    response = HttpResponse(html_to_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
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


# ----------------------------------------------------------------------------- 省级履职自评与市政府部门督政


def _duty_department(request, dept: str):
    """(spec, department, period) of a department page the user may read; 404 for any other unit."""
    scheme = _scheme(provincial.CODE)
    department = unit(dept, Level.DEPARTMENT)
    if department is None or dept not in provincial.department_codes(scheme.spec):
        raise Http404
    if not provincial.may_read(scheme.spec, request.user, department):
        raise Http404
    city = department.parent
    return scheme.spec, department, _period(request, scheme, city)


def _duty_back(department, period) -> str:
    return f"{reverse('evaluation:duty_department', args=[department.code])}?period={period.code}"


@login_required
def duty_department(request, dept):
    """One department's part (a form for its own staff while a draft or sent back), the 督导室's review, and its
    督政 scores and ledger findings (a form for the city's inspectors)."""
    spec, department, period = _duty_department(request, dept)
    part = provincial.part_of(period, department)
    entries = part.entries if part else {}
    materials: dict[str, list] = {}
    for m in part.materials.all() if part else []:
        materials.setdefault(m.item, []).append(m)
    rows = [
        {
            "item": item,
            "entry": entries.get(item["code"], {}),
            "shown": provincial.shown_value(item, entries.get(item["code"], {}).get("value", "")),
            "materials": materials.get(item["code"], []),
        }
        for item in provincial.items_of(spec, department.code)
    ]
    stage = part.stage if part else provincial.Stage.DRAFT
    inspection = provincial.inspection(spec)
    scores = duty.scores_of(period, department)
    context = {
        "spec": spec,
        "department": department,
        "period": period,
        "part": part,
        "version": part.version if part else 0,
        "rows": rows,
        "may_fill": provincial.may_fill(request.user, department)
        and stage in (provincial.Stage.DRAFT, provincial.Stage.RETURNED),
        "may_review": stage == provincial.Stage.SUBMITTED and provincial.may_compile(spec, request.user),
        "may_inspect": provincial.may_inspect(request.user),
        "inspection": inspection,
        "inspected": duty.score_items(inspection, scores) if scores else None,
        "rectifications": duty.rectification_rows(period, [department], timezone.localdate()),
        "ledger_urls": duty.ledger_reads.readable_finding_urls(request.user),
        "score_versions": duty.score_versions(inspection, period, department),
    }
    return render(request, "evaluation/duty_department.html", context)


@login_required
@require_POST
def duty_part(request, dept):
    spec, department, period = _duty_department(request, dept)
    if not provincial.may_fill(request.user, department):
        raise Http404
    raw, files = {}, {}
    for item in provincial.items_of(spec, department.code):
        code = item["code"]
        raw[code] = {key: request.POST.get(f"{code}_{key}", "") for key in ("value", "narrative", "links")}
        if f"{code}_material" in request.FILES:
            files[code] = request.FILES[f"{code}_material"]
    submit = request.POST.get("action") == "submit"
    try:
        version = concurrency.expected_version(request.POST.get("version"))
        provincial.save_part(spec, period, department, request.user, raw, version, files, submit=submit)
        messages.success(request, "自评已提交督导室审核" if submit else "自评已保存")
    except DudaoError as exc:
        messages.error(request, f"自评未保存：{exc}")
    return redirect(_duty_back(department, period))


@login_required
@require_POST
def duty_review(request, dept):
    spec, department, period = _duty_department(request, dept)
    if not provincial.may_compile(spec, request.user):
        raise Http404
    approve = request.POST.get("action") == "approve"
    try:
        version = concurrency.expected_version(request.POST.get("version"))
        provincial.review_part(
            spec, period, department, request.user, approve=approve, note=request.POST.get("note", ""), version=version
        )
        messages.success(request, "已审核通过" if approve else "已退回修改")
    except DudaoError as exc:
        messages.error(request, f"审核未保存：{exc}")
    return redirect(_duty_back(department, period))


@login_required
@require_POST
def duty_dept_scores(request, dept):
    spec, department, period = _duty_department(request, dept)
    if not provincial.may_inspect(request.user):
        raise Http404
    items = provincial.inspection(spec)["items"]
    values = {item["code"]: request.POST.get(item["code"], "") for item in items}
    try:
        versions = concurrency.versions_sent(request.POST, [f"onsite_{code}" for code in values])
        versions = {code: versions[f"onsite_{code}"] for code in values}
        saved = provincial.record_inspection(spec, period, department, request.user, values, versions)
        messages.success(request, f"已保存 {len(saved)} 项评分")
    except DudaoError as exc:
        messages.error(request, f"评分未保存：{exc}")
    return redirect(_duty_back(department, period))


@login_required
@require_POST
def duty_dept_findings(request, dept):
    spec, department, period = _duty_department(request, dept)
    if not provincial.may_inspect(request.user):
        raise Http404
    try:
        created = provincial.raise_inspection_findings(spec, period, department, request.user, timezone.localdate())
        messages.success(request, f"已列入整改台账 {len(created)} 项")
    except DudaoError as exc:
        messages.error(request, str(exc))
    return redirect(_duty_back(department, period))


@login_required
def duty_material(request, pk):
    found = provincial.material(pk)
    if found is None or not provincial.may_read(provincial.SCHEME.spec, request.user, found.part.department):
        raise Http404
    return FileResponse(found.file.open("rb"), as_attachment=True, filename=found.name)


# ----------------------------------------------------------------------------- 学前普及普惠 实地核查


@login_required
@require_POST
def preschool_check(request):
    org, period = _inspected_district(request)
    spec = registry.get("preschool").spec
    raw = {item["code"]: request.POST.get(item["code"], "") for item in spec["onsite"]}
    try:
        version = concurrency.expected_version(request.POST.get("version"))
        preschool.record_check(
            spec, period, org, request.user, _day(request), raw, request.POST.get("note", ""), version
        )
        messages.success(request, f"已记录{org.name}的实地核查")
    except DudaoError as exc:
        messages.error(request, f"实地核查未保存：{exc}")
    return redirect(_back("preschool", org, period))


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


# ----------------------------------------------------------------------------- 发展性督导评价


def _dev_school(request, code: str):
    """(spec, school, period) of a developmental page the user may read; 404 for any other school."""
    scheme = _scheme(dev.CODE)
    school = unit(code, Level.SCHOOL)
    if school is None or not dev.may_read(scheme.spec, request.user, school):
        raise Http404
    return scheme.spec, school, _period(request, scheme, school)


def _dev_entries(request, spec: dict, kind: str, text_key: str) -> tuple[dict, dict]:
    raw, files = {}, {}
    for _area, item in dev.indicators(spec, kind):
        code = item["code"]
        raw[code] = {
            "rating": request.POST.get(f"{code}_rating", ""),
            text_key: request.POST.get(f"{code}_{text_key}", ""),
        }
        if f"{code}_evidence" in request.FILES:
            files[code] = request.FILES[f"{code}_evidence"]
    return raw, files


def _dev_back(school, period) -> str:
    return f"{reverse('evaluation:dev_school', args=[school.code])}?period={period.code}"


@login_required
def developmental_school(request, school):
    """One school's 发展性督导评价: its self-evaluation (a form for its own roles while a draft), the review (a form
    for its 责任督学 or district reviewer once submitted), the result, the ledger items raised, the report links."""
    spec, org, period = _dev_school(request, school)
    evaluation = dev.record(org, period)
    kind = evaluation.kind if evaluation else dev.kind_of(spec, org)
    stage = evaluation.stage if evaluation else dev.Stage.DRAFT
    own = evaluation.self_entries if evaluation else {}
    review = evaluation.review_entries if evaluation else {}
    files = dev.evidence(evaluation)
    areas = [
        {
            "name": area["name"],
            "items": [
                {
                    **item,
                    "own": own.get(item["code"], {}),
                    "review": review.get(item["code"], {}),
                    "own_files": files.get(("self", item["code"]), []),
                    "review_files": files.get(("review", item["code"]), []),
                }
                for item in area["indicators"]
            ],
        }
        for area in dev.frame(spec, kind)["areas"]
    ]
    context = {
        "spec": spec,
        "school": org,
        "period": period,
        "periods": selectors.periods(newest_first=True),
        "kind_name": dev.frame(spec, kind)["name"],
        "evaluation": evaluation,
        "version": evaluation.version if evaluation else 0,
        "areas": areas,
        "levels": spec["levels"],
        "row": dev.row(spec, org, evaluation),
        "may_edit_self": stage == dev.Stage.DRAFT and dev.is_school_member(request.user, org),
        "may_sign": has_role(request.user, org, Role.PRINCIPAL),
        "may_review": stage == dev.Stage.SUBMITTED and dev.may_review(request.user, org),
        "findings": dev.findings_of(request.user, evaluation) if evaluation else [],
    }
    return render(request, "evaluation/developmental_school.html", context)


@login_required
@require_POST
def developmental_self(request, school):
    spec, org, period = _dev_school(request, school)
    kind = dev.kind_of(spec, org)
    if kind is None or not dev.is_school_member(request.user, org):
        raise Http404
    raw, files = _dev_entries(request, spec, kind, "narrative")
    submit = request.POST.get("action") == "submit"
    try:
        version = concurrency.expected_version(request.POST.get("version"))
        dev.save_self(spec, org, period, request.user, raw, version, files, submit=submit)
        messages.success(request, "自评已提交并签署" if submit else "自评已保存")
    except DudaoError as exc:
        messages.error(request, f"自评未保存：{exc}")
    return redirect(_dev_back(org, period))


@login_required
@require_POST
def developmental_review(request, school):
    spec, org, period = _dev_school(request, school)
    evaluation = dev.record(org, period)
    if evaluation is None or not dev.may_review(request.user, org):
        raise Http404
    raw, files = _dev_entries(request, spec, evaluation.kind, "comment")
    finalize = request.POST.get("action") == "finalize"
    try:
        version = concurrency.expected_version(request.POST.get("version"))
        dev.save_review(spec, org, period, request.user, raw, version, files, finalize=finalize)
        messages.success(request, "督学评议已完成，评价等级已计算" if finalize else "评议已保存")
    except DudaoError as exc:
        messages.error(request, f"评议未保存：{exc}")
    return redirect(_dev_back(org, period))


@login_required
def developmental_evidence(request, pk):
    found = dev.evidence_file(pk)
    if found is None or not dev.may_read(dev.SCHEME.spec, request.user, found.evaluation.school):
        raise Http404
    return FileResponse(found.file.open("rb"), as_attachment=True, filename=found.name)


@login_required
def developmental_report(request, school, fmt):
    if fmt not in rendering.FORMATS:
        raise Http404
    spec, org, period = _dev_school(request, school)
    evaluation = dev.record(org, period)
    if evaluation is None:
        raise Http404
    built = output.build(spec, org, period, evaluation)
    if fmt == "html":
        return HttpResponse(rendering.to_html(built))
    types = {"pdf": "application/pdf", "docx": DOCX}
    response = HttpResponse(rendering.render(built, fmt), content_type=types[fmt])
    response["Content-Disposition"] = f'attachment; filename="developmental_{org.code}_{period.code}.{fmt}"'
    return response


@login_required
def developmental_export(request):
    """The district summary of the scheme page as Excel, for the same unit and period (the same scope rule)."""
    scheme = _scheme(dev.CODE)
    org = _org(request, scheme)
    period = _period(request, scheme, org)
    result = scheme.compute(scheme.spec, period, org)
    response = HttpResponse(
        output.summary_xlsx(result), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="developmental_{org.code}_{period.code}.xlsx"'
    return response


# ----------------------------------------------------------------------------- 区县自评报告 (any scheme with one)


def _self_evaluation_scope(request, code):
    """(scheme, district, period) of a self-evaluation write; 404 for a scheme without one or a unit not a district."""
    scheme = _scheme(code)
    if selfeval.config(scheme.spec) is None:
        raise Http404
    org = _org(request, scheme)
    if org.level != Level.DISTRICT:
        raise Http404
    return scheme, org, _period(request, scheme, org)


def _self_evaluation_refused(request, code, exc: DudaoError):
    """The scheme page again with the typed text and the problem, answered with the error's status (409 for a stale
    version, 422 for a bad section): the district's writing is never thrown away by a refused save."""
    request.self_evaluation_error = exc
    response = scheme_page(request, code)
    response.status_code = exc.status
    return response


@login_required
@require_POST
@checks_its_own_text  # each section is checked against its own limit and shown again with the problem
def self_evaluation(request, code):
    scheme, org, period = _self_evaluation_scope(request, code)
    if not selfeval.may_write(request.user, org):
        raise Http404
    raw = {s["code"]: request.POST.get(s["code"], "") for s in selfeval.sections(scheme.spec)}
    submit = request.POST.get("action") == "submit"
    try:
        version = concurrency.expected_version(request.POST.get("version"))
        selfeval.save(code, period, org, request.user, raw, version, submit=submit)
    except DudaoError as exc:
        return _self_evaluation_refused(request, code, exc)
    messages.success(request, _("自评报告已提交") if submit else _("自评报告已保存"))
    return redirect(_back(code, org, period))


@login_required
@require_POST
def self_evaluation_return(request, code):
    scheme, org, period = _self_evaluation_scope(request, code)
    if not selfeval.may_return(request.user):
        raise Http404
    try:
        version = concurrency.expected_version(request.POST.get("version"))
        selfeval.return_(code, period, org, request.user, request.POST.get("reason", ""), version)
        messages.success(request, _("已退回%(name)s的自评报告") % {"name": org.name})
    except DudaoError as exc:
        messages.error(request, _("未退回：%(reason)s") % {"reason": exc})
    return redirect(_back(code, org, period))
