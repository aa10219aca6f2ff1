"""省级人民政府履行教育职责自评 (Shanghai as the 省级) and the 督政 of the 市政府部门.

The self-evaluation is a joint work: each 市政府部门 answers the items the YAML assigns it (a figure, a yes/no or a
text, with a narrative and supporting materials) and submits its part; the city's 督导室 approves it or sends it
back. The compiled 自评报告 takes the approved parts only — a part still in draft, waiting for review or sent back is
listed as missing with its reason rather than quoted half-finished — plus the satisfaction survey
(``dudao.surveys``), shown as 未开展 / 数据不全 when the survey did not run or did not reach its sample.

The inspection of a department (policy, planning, resources, conditions) is scored on site with the district
scheme's functions (:mod:`.district_duty`, given the ``inspection`` part of this YAML), and an item under the threshold
becomes a finding of the one follow-up ledger owned by the department: the department answers it there, and the
city's inspectors re-check it (回访核查).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dudao import concurrency
from dudao.documents import check_upload_size
from dudao.errors import UNPROCESSABLE, DudaoError, conflict, forbidden
from dudao.inputs import parse_number
from dudao.notifications.services import notify
from dudao.notifications.vocabulary import Kind
from dudao.orgs import selectors as orgs
from dudao.orgs.access import can_view, has_role, holders
from dudao.orgs.vocabulary import Level, Role
from dudao.rounding import fixed
from dudao.surveys import selectors as surveys

from ..common import INSPECT_ROLES
from ..models import DutyMaterial, DutyPart, DutyScore
from ..registry import Scheme, register
from . import district_duty as duty

CODE = "provincial_duty"
Stage = DutyPart.Stage
FILL_ROLES = (Role.COLLECTOR, Role.CHECKER)  # a department's own staff fill and submit its part
TEXT_MAX = 2000
LINKS_MAX = 1000
# why a department's part is not in the report, by its stage (no part at all: 未填报)
MISSING_REASONS = {
    Stage.DRAFT: "填写中，未提交",
    Stage.SUBMITTED: "已提交，待督导室审核",
    Stage.RETURNED: "已退回修改",
}


# ----------------------------------------------------------------------------- the catalog


def department_codes(spec: dict) -> list[str]:
    return [d["code"] for d in spec["departments"]]


def department_name(spec: dict, code: str) -> str:
    return next((d["name"] for d in spec["departments"] if d["code"] == code), code)


def items_of(spec: dict, department_code: str) -> list[dict]:
    """The self-evaluation items assigned to one department, in catalog order."""
    return [item for item in spec["items"] if item["department"] == department_code]


def _invalid(errors: dict[str, str]) -> DudaoError:
    field = next(iter(errors))
    return DudaoError("；".join(errors.values()), locator=field, status=UNPROCESSABLE, errors=errors)


def clean_entries(spec: dict, department_code: str, raw: Mapping[str, Mapping[str, object]]) -> dict[str, dict]:
    """The department's answers checked: a number within 0.. (two decimals), 是/否 as ``yes``/``no``, texts within
    their length, links one per line each starting with http(s)://. Items not its own are refused, not ignored: a
    form naming another department's item is not this department's to send. Blank answers stay blank (a draft)."""
    own = {item["code"]: item for item in items_of(spec, department_code)}
    errors: dict[str, str] = {}
    clean: dict[str, dict] = {}
    for code, answer in raw.items():
        item = own.get(code)
        if item is None:
            errors[code] = _("%(code)s 不是本部门的填报项目") % {"code": code}
            continue
        value = str(answer.get("value", "") or "").strip()
        narrative = str(answer.get("narrative", "") or "").strip()
        links = [line.strip() for line in str(answer.get("links", "") or "").splitlines() if line.strip()]
        label = item["name"]
        if value and item["kind"] == "number":
            try:
                number = parse_number(value, field=code, minimum=0, places=2)
                value = "" if number is None else str(number)
            except DudaoError as exc:
                errors[code] = f"{label}：{exc.message}"
        elif value and item["kind"] == "yesno" and value not in ("yes", "no"):
            errors[code] = f"{label}：" + _("请选择是或否")
        elif len(value) > TEXT_MAX:
            errors[code] = f"{label}：" + _("不超过%(n)d个字") % {"n": TEXT_MAX}
        if len(narrative) > TEXT_MAX:
            errors[f"{code}_narrative"] = f"{label}：" + _("说明不超过%(n)d个字") % {"n": TEXT_MAX}
        bad = [link for link in links if not link.startswith(("http://", "https://"))]
        if bad or sum(map(len, links)) > LINKS_MAX:
            errors[f"{code}_links"] = f"{label}：" + _("佐证材料链接须以 http:// 或 https:// 开头，每行一个")
        clean[code] = {"value": value, "narrative": narrative, "links": "\n".join(links)}
    if errors:
        raise _invalid(errors)
    return clean


def unanswered(spec: dict, department_code: str, entries: Mapping[str, Mapping[str, str]]) -> list[str]:
    """The department's items without an answer — a part is submitted only when this is empty."""
    return [i["code"] for i in items_of(spec, department_code) if not entries.get(i["code"], {}).get("value")]


def shown_value(item: dict, value: str) -> str:
    if not value:
        return ""
    if item["kind"] == "yesno":
        return _("是") if value == "yes" else _("否")
    if item["kind"] == "number":
        return f"{value} {item.get('unit', '')}".strip()
    return value


def satisfaction(survey: Any) -> dict:
    """The survey line of the report: 未开展 when it did not run (None), 数据不全 when it fell short of its sample."""
    if survey is None:
        return {"state": "none", "text": _("未开展"), "score": None}
    if not survey.complete:
        target = survey.target if survey.target is not None else "—"
        text = _("数据不全：回收 %(n)s 份，目标 %(t)s 份") % {"n": survey.responses, "t": target}
        text += surveys.short_groups_clause(survey)
        return {"state": "incomplete", "text": text, "score": None}
    return {
        "state": "done",
        "text": _("满意度 %(s)s%%（回收 %(n)s 份）") % {"s": fixed(float(survey.score), 1), "n": survey.responses},
        "score": float(survey.score),
    }


def compile_report(spec: dict, parts: Mapping[str, Mapping[str, Any]], survey: Any) -> dict:
    """The 自评报告 from the departments' parts: ``parts`` maps a department code to ``{"stage", "entries",
    "materials"}`` (materials: item → file names). Only approved parts are quoted, area by area; every department
    whose part is not approved is listed under ``missing`` with the reason. ``complete``: nothing missing and the
    survey complete. ``chars`` counts the narratives against the 5000-字 limit of the national notice."""
    approved = {code for code, p in parts.items() if p["stage"] == Stage.APPROVED}
    sections, chars = [], 0
    for area, area_name in spec["areas"].items():
        rows = []
        for item in spec["items"]:
            if item["area"] != area or item["department"] not in approved:
                continue
            entry = parts[item["department"]]["entries"].get(item["code"], {})
            chars += len(entry.get("narrative", ""))
            rows.append(
                {
                    "code": item["code"],
                    "name": item["name"],
                    "department": department_name(spec, item["department"]),
                    "value": shown_value(item, entry.get("value", "")),
                    "narrative": entry.get("narrative", ""),
                    "links": [x for x in entry.get("links", "").splitlines() if x],
                    "materials": list(parts[item["department"]].get("materials", {}).get(item["code"], [])),
                }
            )
        if rows:
            sections.append({"area": area, "name": area_name, "items": rows})
    missing = []
    for d in spec["departments"]:
        part = parts.get(d["code"])
        if part is None:
            missing.append({"code": d["code"], "name": d["name"], "reason": "未填报"})
        elif part["stage"] != Stage.APPROVED:
            missing.append({"code": d["code"], "name": d["name"], "reason": MISSING_REASONS[part["stage"]]})
    survey_row = satisfaction(survey)
    return {
        "sections": sections,
        "missing": missing,
        "approved": len(approved),
        "departments": len(spec["departments"]),
        "satisfaction": survey_row,
        "chars": chars,
        "too_long": chars > spec["report_max_chars"],
        "complete": not missing and survey_row["state"] == "done",
    }


# ----------------------------------------------------------------------------- who may


def _department(spec: dict, department) -> None:
    if department is None or department.code not in department_codes(spec):
        raise DudaoError(_("该单位不是履职自评的市政府部门"), status=404)


def may_fill(user, department) -> bool:
    return department.level == Level.DEPARTMENT and has_role(user, department, *FILL_ROLES)


def may_compile(spec: dict, user) -> bool:
    """The city's 督导室 (市管理员 or 督学 there) or a 市管理员 / 市督学 of the city itself.

    Reviewing a part is desk work on papers the departments sent to the 督导室, so a role held only at the 督导室
    is enough. Inspecting a department is not: see :func:`may_inspect`."""
    office = orgs.unit(spec["office"])
    city = orgs.city()
    return any(u is not None and has_role(user, u, *INSPECT_ROLES) for u in (office, city))


def may_inspect(user) -> bool:
    """Inspecting a department and raising its findings: a 市管理员 / 市督学 of the city, the unit above every
    department — the same rule the ledger applies to raising a finding for it.

    Decided (#18): a user whose role is held only at the 督导室 reviews parts (:func:`may_compile`) but neither scores
    nor raises findings. The 督导室 is itself a unit beside the departments, not above them; the follow-up ledger
    (``supervision.services.may_raise`` / ``may_recheck``) lets only a unit *above* the owner raise and re-check its
    findings, and only such a user reads them there. Letting the 督导室 score here would produce findings its own
    staff could neither raise nor follow up; city inspectors who work in the 督导室 are granted 市督学 at the city.
    Kept equal to the ledger's rule for every department (tests/test_provincial_duty.py checks both agree)."""
    city = orgs.city()
    return city is not None and has_role(user, city, *INSPECT_ROLES)


def may_read(spec: dict, user, department) -> bool:
    return can_view(user, department) or may_compile(spec, user)


# ----------------------------------------------------------------------------- writes


def part_of(period, department) -> DutyPart | None:
    return DutyPart.objects.filter(period=period, department=department).first()


@transaction.atomic
def save_part(
    spec: dict,
    period,
    department,
    user,
    raw: Mapping[str, Mapping[str, object]],
    version: int,
    files: Mapping[str, Any] | None = None,
    *,
    submit: bool = False,
) -> DutyPart:
    """Save (and with ``submit`` hand in) one department's part. Only its own staff, only while it is a draft or
    sent back; ``version`` is the part's version as the form read it (0: none yet)."""
    _department(spec, department)
    if not may_fill(user, department):
        raise forbidden(_("只有本部门的填报人员可以填写本部门的自评"))
    entries = clean_entries(spec, department.code, raw)
    part = DutyPart.objects.select_for_update().filter(period=period, department=department).first()
    if part is None:
        if version != 0:
            raise conflict(_("该部门的自评已被删除或重建，请刷新后再填"), locator="version")
        part = DutyPart(period=period, department=department)
        try:
            with transaction.atomic():
                part.save()
        except IntegrityError as exc:  # a colleague started the part between the read and the insert
            raise conflict(_("同部门的其他人刚开始填写，请刷新后再填"), locator="version") from exc
    else:
        if part.stage not in (Stage.DRAFT, Stage.RETURNED):
            raise DudaoError(_("自评已提交，审核前不能修改"), status=409)
        labels = {code: code for code in entries}
        concurrency.advance(
            part,
            version,
            what=_("履职自评"),
            labels=labels,
            yours={code: e["value"] for code, e in entries.items()},
            theirs=lambda row: {code: row.entries.get(code, {}).get("value", "") for code in entries},
        )
    part.entries = {**part.entries, **entries}
    if submit:
        left = unanswered(spec, department.code, part.entries)
        if left:
            names = "、".join(i["name"] for i in items_of(spec, department.code) if i["code"] in left)
            raise _invalid({left[0]: _("以下项目尚未填写，不能提交：%(items)s") % {"items": names}})
        part.stage = Stage.SUBMITTED
        part.submitted_by, part.submitted_at = user, timezone.now()
    part.save()
    if submit:
        _tell_reviewers(spec, period, department, user, part)
    own = {i["code"] for i in items_of(spec, department.code)}
    for code, upload in (files or {}).items():
        if code not in own:
            raise _invalid({code: _("%(code)s 不是本部门的填报项目") % {"code": code}})
        check_upload_size(upload)
        DutyMaterial.objects.create(part=part, item=code, file=upload, name=upload.name[:255], uploaded_by=user)
    return part


@transaction.atomic
def review_part(spec: dict, period, department, user, *, approve: bool, note: str, version: int) -> DutyPart:
    """The 督导室 approves a submitted part (it then goes into the report) or sends it back with a reason."""
    _department(spec, department)
    if not may_compile(spec, user):
        raise forbidden(_("只有市督导室可以审核部门自评"))
    part = DutyPart.objects.select_for_update().filter(period=period, department=department).first()
    if part is None or part.stage != Stage.SUBMITTED:
        raise DudaoError(_("该部门的自评尚未提交，不能审核"), status=409)
    note = (note or "").strip()
    if not approve and not note:
        raise _invalid({"note": _("退回时请写明原因")})
    if len(note) > TEXT_MAX:
        raise _invalid({"note": _("不超过%(n)d个字") % {"n": TEXT_MAX}})
    concurrency.advance(part, version, what=_("履职自评"), labels={"stage": _("状态")}, yours={"stage": part.stage})
    part.stage = Stage.APPROVED if approve else Stage.RETURNED
    part.reviewed_by, part.reviewed_at, part.review_note = user, timezone.now(), note
    part.save()
    _tell_department(period, department, user, part)
    return part


def _link(period, department) -> str:
    return f"{reverse('evaluation:duty_department', args=[department.code])}?period={period.code}"


def reviewers(spec: dict, exclude: tuple[Any, ...] = ()) -> list[Any]:
    """Who reviews a submitted part: the 督导室's own 督学 / 市管理员, or the city's when it has none."""
    office = orgs.unit(spec["office"]) or orgs.city()
    return holders(office, INSPECT_ROLES, nearest=True, exclude=exclude) if office is not None else []


def _tell_reviewers(spec: dict, period, department, user, part: DutyPart) -> None:
    """A submitted part waits for the 督导室. Keyed by the part's version: submitting again after a return tells the
    reviewers again; re-running the same submission does not."""
    notify(
        reviewers(spec, exclude=(user.pk,)),
        Kind.DUTY_PART_SUBMITTED,
        _("%(department)s提交了履职自评，待审核") % {"department": department.name},
        _("%(period)s年度省级履行教育职责自评") % {"period": period.code},
        _link(period, department),
        key=f"duty-part-{part.pk}-v{part.version}",
    )


def _tell_department(period, department, user, part: DutyPart) -> None:
    """The department's own staff learn the 督导室's decision (and the reason of a return)."""
    if part.stage == Stage.APPROVED:
        title = _("%(period)s年度履职自评已审核通过") % {"period": period.code}
    else:
        title = _("%(period)s年度履职自评被退回修改") % {"period": period.code}
    notify(
        holders(department, FILL_ROLES, nearest=True, exclude=(user.pk,)),
        Kind.DUTY_PART_REVIEWED,
        title,
        part.review_note,
        _link(period, department),
        key=f"duty-part-{part.pk}-v{part.version}",
    )


def inspection(spec: dict) -> dict:
    """The inspection part of the YAML, in the shape :mod:`.district_duty`'s functions take."""
    return spec["inspection"]


def record_inspection(
    spec: dict, period, department, user, scores: Mapping[str, object], versions: Mapping[str, int] | None = None
) -> list[DutyScore]:
    """On-site scores of one department's duties (0..max each, all or nothing, versions as the form read them)."""
    _department(spec, department)
    if not may_inspect(user):
        raise forbidden(_("只有市督学或市管理员可以对市政府部门督政评分"))
    return duty.record_scores(inspection(spec), period, department, "onsite", scores, user, versions)


def raise_inspection_findings(spec: dict, period, department, user, today: date) -> list[Any]:
    """Every inspected item under the threshold as a ledger finding owned by the department (once per item)."""
    _department(spec, department)
    if not may_inspect(user):
        raise forbidden(_("只有市督学或市管理员可以对市政府部门提出整改"))
    return duty.raise_findings(inspection(spec), period, department, user, today)


# ----------------------------------------------------------------------------- reads


def departments(spec: dict) -> list[Any]:
    """The catalog's departments as org units (those loaded), in catalog order."""
    city = orgs.city()
    found = {u.code: u for u in orgs.children(city, [Level.DEPARTMENT])} if city is not None else {}
    return [found[c] for c in department_codes(spec) if c in found]


def parts_of(period) -> dict[str, dict]:
    """department code → {"stage", "entries", "materials", "version", "part"} of ``period``'s parts."""
    parts = DutyPart.objects.filter(period=period).select_related("department").prefetch_related("materials")
    found = {}
    for p in parts:
        materials: dict[str, list[str]] = {}
        for m in p.materials.all():
            materials.setdefault(m.item, []).append(m.name)
        found[p.department.code] = {
            "stage": p.stage,
            "entries": p.entries,
            "materials": materials,
            "version": p.version,
            "part": p,
        }
    return found


def material(pk: int) -> DutyMaterial | None:
    return DutyMaterial.objects.filter(pk=pk).select_related("part__department").first()


def inspection_rows(spec: dict, period) -> list[dict]:
    """Each department's on-site scores and its ledger findings (only departments inspected in ``period``)."""
    today = timezone.localdate()
    rows = []
    for department in departments(spec):
        scores = duty.scores_of(period, department)
        if not scores:
            continue
        rows.append(
            {
                "code": department.code,
                "name": department.name,
                **duty.score_items(inspection(spec), scores),
                "rectifications": duty.rectification_rows(period, [department], today),
            }
        )
    return rows


def compute(spec: dict, period, org) -> dict:
    if org.level != Level.CITY:
        raise DudaoError(_("%(name)s不是市，本方案评价全市（省级）履行教育职责") % {"name": org.name})
    parts = parts_of(period)
    report = compile_report(spec, parts, surveys.result(spec["survey"], period.code, org))
    stages = [
        {
            "code": d["code"],
            "name": d["name"],
            "stage": parts[d["code"]]["stage"] if d["code"] in parts else "",
            "stage_name": parts[d["code"]]["part"].get_stage_display() if d["code"] in parts else _("未填报"),
            "items": len(items_of(spec, d["code"])),
        }
        for d in spec["departments"]
    ]
    return {"report": report, "parts": stages, "inspections": inspection_rows(spec, period)}


def has_data(spec: dict, period, org) -> bool:
    if org.level != Level.CITY:
        return False
    return (
        DutyPart.objects.filter(period=period).exists()
        or DutyScore.objects.filter(period=period, district__code__in=department_codes(spec)).exists()
    )


def verdict(result: dict) -> str:
    report = result["report"]
    if report["complete"]:
        return "自评材料齐全"
    return "数据不全"


def describe(result: dict) -> list[str]:
    report = result["report"]
    lines = [
        f"部门自评：已审核 {report['approved']}/{report['departments']} 个部门；"
        f"满意度调查：{report['satisfaction']['text']}；{verdict(result)}"
    ]
    if report["missing"]:
        lines.append("缺：" + "、".join(f"{m['name']}（{m['reason']}）" for m in report["missing"]))
    for row in result["inspections"]:
        total = f"{fixed(row['total'], 2)} 分，" if row["total"] is not None else ""
        open_items = sum(r["status"] != "closed" for r in row["rectifications"])
        lines.append(f"{row['name']}督政：{total}{duty.verdict(row)}；未销号整改 {open_items} 项")
    return lines


def page_context(request, spec: dict, org, period, result) -> dict:
    """Links for the reader: their own department's part, and whether they approve parts or inspect."""
    found = departments(spec)
    own = [d for d in found if may_fill(request.user, d)]
    return {
        "duty_own": own,
        # a department's page opens for its own staff and the city: no link to another department's 404
        "duty_readable": {d.code for d in found if may_read(spec, request.user, d)},
        "duty_compiler": may_compile(spec, request.user),
        "duty_inspector": may_inspect(request.user),
        "ledger_urls": duty.ledger_reads.readable_finding_urls(request.user),
    }


SCHEME = register(
    Scheme(
        CODE,
        compute,
        describe=describe,
        verdict=verdict,
        page_context=page_context,
        template="evaluation/_provincial_duty.html",
        forms_template="evaluation/_provincial_duty_forms.html",
        order=41,
        levels=("city",),
        has_data=has_data,
    )
)
