"""区县督导评估自评报告: a district's annual self-evaluation for any scheme whose YAML says ``self_evaluation:``.

One mechanism for every district scheme (优质均衡, 学前普及普惠, …) rather than one per scheme: the YAML lists the
narrative sections (``{code, name, max_length}``), the district's 区审核员 writes them, saves drafts and submits; a
submitted report is locked until the city (a 市管理员 or 市督学 of the city) returns it with a reason. The report
never stores a figure or a verdict: wherever it is shown, the district's verdict and parts come from the scheme's
engine (:func:`computed`), so the text cannot claim a result the data does not give.

Writes are atomic, role-checked here (not only in the view), version-checked (:mod:`dudao.concurrency`) and every
section goes through :func:`dudao.inputs.check_text` with its own length limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dudao import concurrency
from dudao.errors import UNPROCESSABLE, DudaoError, conflict, forbidden
from dudao.inputs import text_problem
from dudao.notifications.services import notify
from dudao.notifications.vocabulary import Kind
from dudao.orgs import selectors as orgs
from dudao.orgs.access import can_view, has_role, holders
from dudao.orgs.vocabulary import Level, Role

from . import registry
from .common import INSPECT_ROLES
from .models import SelfEvaluation

if TYPE_CHECKING:
    from dudao.collection.models import Period
    from dudao.orgs.models import OrgUnit

Stage = SelfEvaluation.Stage
WRITE_ROLES = (Role.DISTRICT_REVIEWER,)
REASON_MAX = 2000


def stage_word(found: SelfEvaluation | None) -> str:
    return str(Stage(found.stage).label) if found else _("未填写")


# ----------------------------------------------------------------------------- the catalog


def config(spec: dict) -> dict | None:
    """The scheme's ``self_evaluation`` block, or None when the scheme has no district self-evaluation."""
    found = spec.get("self_evaluation")
    return found if isinstance(found, dict) and found.get("sections") else None


def sections(spec: dict) -> list[dict]:
    found = config(spec)
    return list(found["sections"]) if found else []


def _scheme(code: str) -> registry.Scheme:
    scheme = registry.get(code)
    if config(scheme.spec) is None:
        raise DudaoError(_("该评估方案没有区县自评报告"), status=404)
    return scheme


# ----------------------------------------------------------------------------- who may


def may_write(user, district: OrgUnit) -> bool:
    """The district's own 区审核员 (a grant at the district; the city holds no such role above it)."""
    return district.level == Level.DISTRICT and has_role(user, district, *WRITE_ROLES)


def may_return(user) -> bool:
    """A 市管理员 or 市督学 of the city: they receive the districts' reports and send one back."""
    city = orgs.city()
    return city is not None and has_role(user, city, *INSPECT_ROLES)


def may_read(user, district: OrgUnit) -> bool:
    return can_view(user, district) or may_return(user)


# ----------------------------------------------------------------------------- pure rules


def clean_sections(spec: dict, raw: Mapping[str, object]) -> dict[str, str]:
    """Every section's text, stripped, checked for control characters and its own length; all problems at once."""
    out, errors = {}, {}
    for section in sections(spec):
        code = section["code"]
        text = str(raw.get(code) or "").strip()
        problem = text_problem(text, int(section.get("max_length", 3000)))
        if problem:
            errors[code] = f"{section['name']}：{problem}"
        out[code] = text
    if errors:
        raise DudaoError("；".join(errors.values()), status=UNPROCESSABLE, errors=errors)
    return out


def empty_sections(spec: dict, texts: Mapping[str, str]) -> list[str]:
    """The names of the sections still empty (a report cannot be submitted with one)."""
    return [s["name"] for s in sections(spec) if not (texts.get(s["code"]) or "").strip()]


def part_word(part: dict) -> str:
    """One part of a computed district result in words: 达标/未达标/数据不全 where the scheme judges the part, else
    its counts of items met, failed and missing (学前普及普惠's parts)."""
    if "passed" in part:
        return {True: "达标", False: "未达标", None: "数据不全"}[part["passed"]]
    return f"{part['met']}/{part['items']} 项达标，未达标 {part['failed']} 项，缺数据 {part['missing']} 项"


def computed(scheme: registry.Scheme, result: dict | None, district: OrgUnit) -> dict | None:
    """The district's own verdict and parts from the engine's result (never typed by the district)."""
    if not result:
        return None
    unit = next((d for d in result.get("districts", []) if d.get("code") == district.code), None)
    if unit is None:
        return None
    word = scheme.verdict(unit) if scheme.verdict else ""
    parts = [{"name": p["name"], "word": part_word(p)} for p in unit.get("parts", [])]
    return {"verdict": word, "parts": parts}


# ----------------------------------------------------------------------------- reads


def record(code: str, period: Period, district: OrgUnit) -> SelfEvaluation | None:
    return SelfEvaluation.objects.filter(scheme=code, period=period, district=district).first()


def overview(code: str, period: Period, city: OrgUnit) -> dict:
    """The city's monitoring overview: per district its report's stage, and the counts by stage."""
    found = {r.district_id: r for r in SelfEvaluation.objects.filter(scheme=code, period=period)}
    rows = []
    for district in orgs.districts(under=city):
        r = found.get(district.pk)
        rows.append(
            {
                "district": district,
                "stage": r.stage if r else "",
                "word": stage_word(r),
                "submitted_at": r.submitted_at if r and r.stage == Stage.SUBMITTED else None,
                "reason": r.return_reason if r and r.stage == Stage.RETURNED else "",
            }
        )
    counts = {
        "total": len(rows),
        "submitted": sum(r["stage"] == Stage.SUBMITTED for r in rows),
        "returned": sum(r["stage"] == Stage.RETURNED for r in rows),
        "draft": sum(r["stage"] == Stage.DRAFT for r in rows),
        "not_started": sum(r["stage"] == "" for r in rows),
    }
    return {"rows": rows, "counts": counts}


def _texts(spec: dict, found: SelfEvaluation | None) -> list[dict]:
    texts = found.sections if found else {}
    return [{**s, "text": texts.get(s["code"], "")} for s in sections(spec)]


def page_context(request, scheme: registry.Scheme, org: OrgUnit, period: Period, result: dict | None) -> dict:
    """What the scheme page's self-evaluation block needs: on a district, the form (its 区审核员, while a draft or
    returned) or the submitted text (whoever may read the district) and the city's return form; on the city, the
    overview. A failed save shows the typed text again (``request.self_evaluation_error``)."""
    conf = config(scheme.spec)
    if conf is None:
        return {}
    if org.level == Level.CITY:
        return {"selfeval": {"conf": conf, "overview": overview(scheme.code, period, org)}}
    if org.level != Level.DISTRICT or not may_read(request.user, org):
        return {}
    found = record(scheme.code, period, org)
    stage = found.stage if found else Stage.DRAFT
    error = getattr(request, "self_evaluation_error", None)
    rows = _texts(scheme.spec, found)
    if error is not None:  # the typed text, not the stored one: nothing the user wrote is lost
        rows = [
            {**row, "text": request.POST.get(row["code"], ""), "error": error.field_errors().get(row["code"], "")}
            for row in rows
        ]
    editable = stage in (Stage.DRAFT, Stage.RETURNED) and may_write(request.user, org)
    return {
        "selfeval": {
            "conf": conf,
            "record": found,
            "stage_word": stage_word(found),
            "rows": rows,
            "version": found.version if found else 0,
            "editable": editable,
            "shown": found is not None and (found.stage == Stage.SUBMITTED or editable),
            "may_return": found is not None and found.stage == Stage.SUBMITTED and may_return(request.user),
            "computed": computed(scheme, result, org),
            "error": str(error) if error is not None else "",
        }
    }


def report_context(scheme: registry.Scheme, org: OrgUnit, period: Period, result: dict | None) -> dict:
    """The report's block: a district's submitted sections (or that none is submitted) with its computed verdict and
    parts; for the city, which districts have submitted."""
    conf = config(scheme.spec)
    if conf is None:
        return {}
    if org.level == Level.CITY:
        return {"selfeval": {"conf": conf, "overview": overview(scheme.code, period, org)}}
    if org.level != Level.DISTRICT:
        return {}
    found = record(scheme.code, period, org)
    submitted = found is not None and found.stage == Stage.SUBMITTED
    return {
        "selfeval": {
            "conf": conf,
            "record": found if submitted else None,
            "rows": _texts(scheme.spec, found) if submitted else [],
            "computed": computed(scheme, result, org),
        }
    }


# ----------------------------------------------------------------------------- writes


@transaction.atomic
def save(
    code: str,
    period: Period,
    district: OrgUnit,
    user,
    raw: Mapping[str, object],
    version: int,
    *,
    submit: bool = False,
) -> SelfEvaluation:
    """Save (and with ``submit`` hand in) the district's report. Only its 区审核员, only while a draft or returned;
    ``version`` is the report's version as the form read it (0: none yet). Submitting needs every section."""
    scheme = _scheme(code)
    if not may_write(user, district):
        raise forbidden(_("只有本区的审核员可以填写本区的自评报告"))
    texts = clean_sections(scheme.spec, raw)
    found = SelfEvaluation.objects.select_for_update().filter(scheme=code, period=period, district=district).first()
    labels = {s["code"]: s["name"] for s in sections(scheme.spec)}
    if found is None:
        if version != 0:
            raise conflict(_("本区的自评报告已被删除或重建，请刷新后再填"), locator="version")
        found = SelfEvaluation(scheme=code, period=period, district=district)
        try:
            with transaction.atomic():
                found.save()
        except IntegrityError as exc:  # a colleague started the report between the read and the insert
            raise conflict(_("本区的其他审核员刚开始填写，请刷新后再填"), locator="version") from exc
    else:
        if found.stage == Stage.SUBMITTED:
            raise conflict(_("自评报告已提交，市级退回前不能修改"))
        concurrency.advance(
            found,
            version,
            what=_("自评报告"),
            labels=labels,
            yours=texts,
            theirs=lambda row: {c: row.sections.get(c, "") for c in texts},
        )
    found.sections = texts
    found.saved_by = user
    if submit:
        empty = empty_sections(scheme.spec, texts)
        if empty:
            first = next(s["code"] for s in sections(scheme.spec) if s["name"] == empty[0])
            message = _("以下部分尚未填写，不能提交：%(names)s") % {"names": "、".join(empty)}
            raise DudaoError(message, status=UNPROCESSABLE, errors={first: message})
        found.stage = Stage.SUBMITTED
        found.submitted_by, found.submitted_at = user, timezone.now()
    found.save()
    return found


@transaction.atomic
def return_(code: str, period: Period, district: OrgUnit, user, reason: str, version: int) -> SelfEvaluation:
    """The city sends a submitted report back with a reason; the district may edit and submit it again — and is told
    so (its 区审核员 get the reason in 我的消息: a returned report nobody hears of is never resubmitted)."""
    scheme = _scheme(code)
    if not may_return(user):
        raise forbidden(_("只有市级管理员或市督学可以退回区县自评报告"))
    found = SelfEvaluation.objects.select_for_update().filter(scheme=code, period=period, district=district).first()
    if found is None or found.stage != Stage.SUBMITTED:
        raise conflict(_("该区的自评报告尚未提交，不能退回"))
    reason = (reason or "").strip()
    problem = text_problem(reason, REASON_MAX) if reason else _("退回时请写明原因")
    if problem:
        raise DudaoError(problem, status=UNPROCESSABLE, errors={"reason": problem})
    concurrency.advance(found, version, what=_("自评报告"), labels={"stage": _("状态")}, yours={"stage": found.stage})
    found.stage = Stage.RETURNED
    found.returned_by, found.returned_at, found.return_reason = user, timezone.now(), reason
    found.save()
    notify(
        holders(district, [Role.DISTRICT_REVIEWER], nearest=True, exclude=[user.pk]),
        Kind.RETURNED,
        _("%(district)s的%(scheme)s自评报告被退回") % {"district": district.name, "scheme": scheme.spec["name"]},
        reason,
        link=f"{reverse('evaluation:scheme', args=[code])}?org={district.code}&period={period.code}",
        key=f"selfeval:{found.pk}:{found.version}",
    )
    return found
