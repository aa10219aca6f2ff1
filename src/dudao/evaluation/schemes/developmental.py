"""发展性督导评价 — a school's self-evaluation (自评), its inspector's review (督学评议), and the rating computed.

The framework is ``catalog/evaluations/developmental.yaml``: per school kind (义务教育学校, 普通高中) five areas of
indicators, the rating levels with the score each counts and the band each needs, and the rule (a formula over the
area scores, plus a cap) that gives the overall rating. The rating is never typed: a reviewer rates indicators, and
:func:`overall` computes the rest, so two schools rated alike are rated alike overall.

Who does what (checked here, in the writes):

* the school's own roles (principal, checker, collector) fill the self-evaluation; only the principal submits it,
  which signs it (who, when, and a SHA-256 of what was signed);
* the school's current 责任督学 (supervision's 挂牌) or a 区审核员 of its district reviews it, once submitted;
  finalising the review computes the rating and turns every indicator rated 待改进 into a finding of the follow-up
  ledger (``supervision.services.raise_finding``, source ``evaluation``);
* reading: the school its own, the assigned inspector their schools, district and city offices their subtree.

Every save carries the record's ``version`` as the form read it (:func:`dudao.concurrency.advance`): a stale save is
refused with both values instead of overwriting the other person's.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dudao import concurrency
from dudao.collection.expressions import parse
from dudao.errors import UNPROCESSABLE, DudaoError, forbidden
from dudao.orgs import selectors as orgs
from dudao.orgs.access import has_role, visible_units
from dudao.orgs.selectors import group_codes, in_groups
from dudao.orgs.vocabulary import Level, Role
from dudao.rounding import half_up, rounded
from dudao.supervision import selectors as supervision
from dudao.supervision import services as ledger
from dudao.supervision.vocabulary import Severity, SourceKind

from ..models import DevelopmentalEvaluation, DevelopmentalEvidence
from ..registry import Scheme, load_spec, register

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from dudao.collection.models import Period
    from dudao.orgs.models import OrgUnit

CODE = "developmental"
SCHOOL_ROLES = (Role.PRINCIPAL, Role.CHECKER, Role.COLLECTOR)  # write the self-evaluation (the principal signs)
# read every school in their subtree: district and city offices (the 市督学 included)
OFFICE_ROLES = (Role.DISTRICT_REVIEWER, Role.DISTRICT_CLERK, Role.CITY_ADMIN, Role.INSPECTOR)
REVIEW_ROLES = (Role.DISTRICT_REVIEWER,)  # at the school's district, besides the school's assigned 责任督学
TEXT_MAX = 2000
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
Stage = DevelopmentalEvaluation.Stage


def _invalid(field: str, message: str) -> DudaoError:
    return DudaoError(message, locator=field, status=UNPROCESSABLE, errors={field: message})


# ----------------------------------------------------------------------------- the framework (pure)


def validate(spec: dict) -> None:
    """A framework the rest can rely on: every kind has the five areas' indicators with unique codes, every level a
    score and band, and its overall rule parses and names only its areas. Raises ``ValueError`` at registration."""
    codes = [lv["code"] for lv in spec["levels"]]
    if spec["weak_level"] not in codes:
        raise ValueError("weak_level must be one of the levels")
    for kind, frame in spec["kinds"].items():
        areas = [a["code"] for a in frame["areas"]]
        found = [i["code"] for a in frame["areas"] for i in a["indicators"]]
        if len(set(found)) != len(found):
            raise ValueError(f"{kind}: indicator codes repeat")
        if not set(parse(frame["overall"]["expr"]).names) <= set(areas):
            raise ValueError(f"{kind}: the overall rule names an unknown area")
        if frame["overall"].get("cap_if_weak") not in (None, *codes):
            raise ValueError(f"{kind}: cap_if_weak must be a level")


def levels(spec: dict) -> dict[str, dict]:
    return {lv["code"]: lv for lv in spec["levels"]}


def level_name(spec: dict, code: str | None) -> str:
    return levels(spec)[code]["name"] if code in levels(spec) else ""


def frame(spec: dict, kind: str) -> dict:
    return spec["kinds"][kind]


def indicators(spec: dict, kind: str) -> list[tuple[dict, dict]]:
    """(area, indicator) pairs of ``kind``, in the framework's order."""
    return [(area, item) for area in frame(spec, kind)["areas"] for item in area["indicators"]]


def band(spec: dict, score: float) -> str:
    """The level whose band holds ``score`` (levels are listed best first, each with its lower edge)."""
    for lv in spec["levels"]:
        if score >= lv["min"]:
            return str(lv["code"])
    return str(spec["levels"][-1]["code"])


def area_scores(spec: dict, kind: str, ratings: dict[str, str]) -> dict[str, float | None]:
    """Each area's score: the mean of its indicators' level scores; ``None`` while one of them is unrated."""
    points = {code: lv["score"] for code, lv in levels(spec).items()}
    out: dict[str, float | None] = {}
    for area in frame(spec, kind)["areas"]:
        rated = [points.get(ratings.get(i["code"], "")) for i in area["indicators"]]
        out[area["code"]] = None if None in rated else rounded(sum(rated) / len(rated), 2)  # type: ignore[arg-type]
    return out


def overall(spec: dict, kind: str, ratings: dict[str, str]) -> tuple[float, str]:
    """(score, level) by the kind's rule: its formula over the area scores, banded; with an indicator rated at the
    weak level, no better than ``cap_if_weak``. Raises ``ValueError`` while an indicator is unrated."""
    scores = area_scores(spec, kind, ratings)
    if any(v is None for v in scores.values()):
        raise ValueError("every indicator must be rated")
    rule = frame(spec, kind)["overall"]
    value = parse(rule["expr"]).evaluate({k: Decimal(str(v)) for k, v in scores.items()})
    if value is None or isinstance(value, bool):
        raise ValueError("the overall rule must give a number")
    score = float(value)
    level = band(spec, score)
    cap = rule.get("cap_if_weak")
    order = [lv["code"] for lv in spec["levels"]]
    if cap and spec["weak_level"] in ratings.values() and order.index(level) < order.index(cap):
        level = cap
    return rounded(score, 2) or 0.0, level


def weak(spec: dict, kind: str, ratings: dict[str, str]) -> list[tuple[dict, dict]]:
    return [(a, i) for a, i in indicators(spec, kind) if ratings.get(i["code"]) == spec["weak_level"]]


def ratings_of(entries: dict[str, dict]) -> dict[str, str]:
    return {code: e.get("rating", "") for code, e in entries.items() if e.get("rating")}


# ----------------------------------------------------------------------------- schools and who may


def all_types(spec: dict) -> list[str]:
    return [t for f in spec["kinds"].values() for t in f["school_types"]]


def schools(spec: dict, units):
    """The schools the scheme evaluates: those of a kind's school types."""
    return in_groups(units, spec["group_set"], all_types(spec))


def kind_of(spec: dict, school: OrgUnit) -> str | None:
    school_type = group_codes([school], spec["group_set"]).get(school.pk)
    return next((k for k, f in spec["kinds"].items() if school_type in f["school_types"]), None)


def is_school_member(user: Any, school: OrgUnit) -> bool:
    return has_role(user, school, *SCHOOL_ROLES)


def is_assigned(user: Any, school: OrgUnit) -> bool:
    now = supervision.current(school)
    return now is not None and now.inspector.user_id is not None and now.inspector.user_id == getattr(user, "pk", 0)


def may_review(user: Any, school: OrgUnit) -> bool:
    return is_assigned(user, school) or (school.parent is not None and has_role(user, school.parent, *REVIEW_ROLES))


def readable_schools(spec: dict, user: Any):
    """Every school of the scheme ``user`` may read: their own, their assigned ones, their subtree's."""
    if not getattr(user, "is_authenticated", False):
        return orgs.schools_under().none()
    query = Q(pk__in=visible_units(user, (*SCHOOL_ROLES, *OFFICE_ROLES)).filter(level=Level.SCHOOL).values("pk"))
    assigned = [a.school.pk for a in supervision.assigned_schools(user)]
    if assigned:
        query |= Q(pk__in=assigned)
    return schools(spec, orgs.schools_under().filter(query))


def may_read(spec: dict, user: Any, school: OrgUnit) -> bool:
    return readable_schools(spec, user).filter(pk=school.pk).exists()


# ----------------------------------------------------------------------------- reads


def record(school: OrgUnit, period: Period) -> DevelopmentalEvaluation | None:
    return DevelopmentalEvaluation.objects.filter(school=school, period=period).first()


def evidence(evaluation: DevelopmentalEvaluation | None) -> dict[tuple[str, str], list[DevelopmentalEvidence]]:
    """(stage, indicator) → its files."""
    found: dict[tuple[str, str], list[DevelopmentalEvidence]] = {}
    if evaluation is not None:
        for e in evaluation.evidence.all():
            found.setdefault((e.stage, e.indicator), []).append(e)
    return found


def evidence_file(pk: int) -> DevelopmentalEvidence | None:
    return DevelopmentalEvidence.objects.select_related("evaluation__school").filter(pk=pk).first()


def row(spec: dict, school: OrgUnit, evaluation: DevelopmentalEvaluation | None) -> dict[str, Any]:
    """One school's line of the district summary (JSON-ready)."""
    kind = evaluation.kind if evaluation else kind_of(spec, school)
    areas = frame(spec, kind)["areas"] if kind else []
    scores = evaluation.area_scores if evaluation and evaluation.stage == Stage.REVIEWED else {}
    reviewed = evaluation.review_entries if evaluation and evaluation.stage == Stage.REVIEWED else {}
    ratings = ratings_of(reviewed)
    counts = {lv["code"]: sum(r == lv["code"] for r in ratings.values()) for lv in spec["levels"]}
    return {
        "code": school.code,
        "name": school.name,
        "district": school.parent.name if school.parent else "",
        "kind": kind or "",
        "kind_name": frame(spec, kind)["name"] if kind else "",
        "stage": evaluation.stage if evaluation else "",
        "stage_name": evaluation.get_stage_display() if evaluation else _("未开始自评"),
        "areas": [
            {
                "code": a["code"],
                "name": a["name"],
                "score": scores.get(a["code"]),
                "level": band(spec, scores[a["code"]]) if scores.get(a["code"]) is not None else "",
                "level_name": level_name(spec, band(spec, scores[a["code"]])) if a["code"] in scores else "",
            }
            for a in areas
        ],
        "overall_score": float(evaluation.overall_score) if evaluation and evaluation.overall_score else None,
        "overall": evaluation.overall if evaluation else "",
        "overall_name": level_name(spec, evaluation.overall if evaluation else None),
        "counts": counts,
        "weak": counts.get(spec["weak_level"], 0),
    }


def compute(spec: dict, period: Period, org: OrgUnit) -> dict[str, Any]:
    """The summary for ``org``'s schools (one school: its own line): per school its area ratings and overall, then
    how many schools are at each stage and each overall level."""
    units = list(schools(spec, orgs.subtree(org, Level.SCHOOL)).select_related("parent").order_by("path"))
    stored = {e.school_id: e for e in DevelopmentalEvaluation.objects.filter(period=period, school__in=units)}
    rows = [row(spec, s, stored.get(s.pk)) for s in units]
    return {
        "schools": rows,
        "levels": [{"code": lv["code"], "name": lv["name"]} for lv in spec["levels"]],
        "summary": {
            "schools": len(rows),
            "submitted": sum(r["stage"] in (Stage.SUBMITTED, Stage.REVIEWED) for r in rows),
            "reviewed": sum(r["stage"] == Stage.REVIEWED for r in rows),
            "overall": {lv["code"]: sum(r["overall"] == lv["code"] for r in rows) for lv in spec["levels"]},
            "weak_indicators": sum(r["weak"] for r in rows),
        },
    }


def has_data(spec: dict, period: Period, org: OrgUnit) -> bool:
    return DevelopmentalEvaluation.objects.filter(period=period, school__path__startswith=org.path).exists()


def verdict(unit: dict) -> str:
    return unit["overall_name"] or unit["stage_name"]


def describe(result: dict) -> list[str]:
    lines = []
    for r in result["schools"]:
        areas = "，".join(f"{a['name']} {a['level_name']}" for a in r["areas"] if a["level_name"])
        lines.append(f"{r['name']}：{verdict(r)}" + (f"（{areas}）" if areas else ""))
    return lines


# ----------------------------------------------------------------------------- writes


def _entries(spec: dict, kind: str, raw: dict[str, dict], text_key: str) -> dict[str, dict]:
    """Checked entries: a known level (or none yet) and a text of at most TEXT_MAX per indicator of the kind."""
    known = levels(spec)
    out, errors = {}, {}
    for _area, item in indicators(spec, kind):
        code = item["code"]
        given = raw.get(code) or {}
        rating = str(given.get("rating") or "").strip()
        text = str(given.get(text_key) or "").strip()
        if rating and rating not in known:
            errors[f"{code}_rating"] = _("评价等级无效")
        if len(text) > TEXT_MAX:
            errors[f"{code}_{text_key}"] = _("不超过%(n)d个字") % {"n": TEXT_MAX}
        out[code] = {"rating": rating, text_key: text}
    if errors:
        raise DudaoError(next(iter(errors.values())), locator=next(iter(errors)), status=UNPROCESSABLE, errors=errors)
    return out


def _labels(spec: dict, kind: str) -> dict[str, str]:
    return {item["code"]: item["name"] for _a, item in indicators(spec, kind)}


def _shown(entries: dict[str, dict], text_key: str, spec: dict) -> dict[str, str]:
    """An entry as a person reads it (the level's name and the text), for the stale-save refusal."""
    return {
        c: " ".join(filter(None, [level_name(spec, e.get("rating")), e.get(text_key, "")])) for c, e in entries.items()
    }


def _claim(spec, evaluation, expected, entries, key, text_key) -> None:
    concurrency.advance(
        evaluation,
        expected,
        what=_("本校发展性督导评价"),
        labels=_labels(spec, evaluation.kind),
        yours=_shown(entries, text_key, spec),
        theirs=lambda fresh: _shown(getattr(fresh, key), text_key, spec),
    )


def _attach(evaluation, stage: str, files: dict[str, UploadedFile], by: Any, spec: dict) -> None:
    known = _labels(spec, evaluation.kind)
    for code, upload in files.items():
        if code not in known:
            raise _invalid(f"{code}_evidence", _("未知的指标"))
        if (upload.size or 0) > EVIDENCE_MAX_BYTES:
            raise _invalid(f"{code}_evidence", _("佐证材料不超过10MB"))
        DevelopmentalEvidence.objects.create(
            evaluation=evaluation,
            stage=stage,
            indicator=code,
            file=upload,
            name=(upload.name or "")[-255:],
            uploaded_by=by,
        )


@transaction.atomic
def save_self(
    spec: dict,
    school: OrgUnit,
    period: Period,
    by: Any,
    raw: dict[str, dict],
    version: int,
    files: dict[str, UploadedFile] | None = None,
    *,
    submit: bool = False,
) -> DevelopmentalEvaluation:
    """Save the school's self-evaluation (``version`` 0: none stored yet); with ``submit``, the principal submits and
    signs it — every indicator needs a rating and a narrative then."""
    if not is_school_member(by, school):
        raise forbidden(_("只有本校人员可以填写本校自评"))
    if submit and not has_role(by, school, Role.PRINCIPAL):
        raise forbidden(_("自评报告须由校长提交并签署"))
    kind = kind_of(spec, school)
    if kind is None:
        raise _invalid("school", _("本方案不评价该类学校"))
    entries = _entries(spec, kind, raw, "narrative")
    evaluation = record(school, period)
    if evaluation is None:
        if version != 0:
            raise concurrency.refuse(
                _("本校发展性督导评价"), version, 0, _labels(spec, kind), {}, _shown(entries, "narrative", spec)
            )
        evaluation = DevelopmentalEvaluation.objects.create(school=school, period=period, kind=kind, version=0)
    if evaluation.stage != Stage.DRAFT:
        raise DudaoError(_("自评已提交，不能再修改"), status=409)
    _claim(spec, evaluation, version, entries, "self_entries", "narrative")
    evaluation.self_entries = entries
    if submit:
        missing = [
            item["name"]
            for _a, item in indicators(spec, kind)
            if not (entries[item["code"]]["rating"] and entries[item["code"]]["narrative"])
        ]
        if missing:
            raise _invalid("submit", _("以下指标尚未完成自评：%(names)s") % {"names": "、".join(missing)})
        evaluation.stage = Stage.SUBMITTED
        evaluation.signed_by = by
        evaluation.signed_at = timezone.now()
        evaluation.signed_sha256 = signature(evaluation)
    evaluation.save()
    _attach(evaluation, "self", files or {}, by, spec)
    return evaluation


def signature(evaluation: DevelopmentalEvaluation) -> str:
    """SHA-256 of what the principal signs: the school, period and every self-evaluation entry."""
    payload = {"school": evaluation.school.code, "period": evaluation.period.code, "entries": evaluation.self_entries}
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


@transaction.atomic
def save_review(
    spec: dict,
    school: OrgUnit,
    period: Period,
    by: Any,
    raw: dict[str, dict],
    version: int,
    files: dict[str, UploadedFile] | None = None,
    *,
    finalize: bool = False,
    today: date | None = None,
) -> DevelopmentalEvaluation:
    """Save the inspector's review of a submitted self-evaluation; with ``finalize``, compute the area scores and the
    overall rating (the YAML's rule) and raise a ledger finding for each indicator rated at the weak level."""
    if not may_review(by, school):
        raise forbidden(_("只有本校的责任督学或区审核员可以评议"))
    evaluation = record(school, period)
    if evaluation is None or evaluation.stage == Stage.DRAFT:
        raise DudaoError(_("学校尚未提交自评，不能评议"), status=409)
    if evaluation.stage == Stage.REVIEWED:
        raise DudaoError(_("督学评议已完成，不能再修改"), status=409)
    entries = _entries(spec, evaluation.kind, raw, "comment")
    _claim(spec, evaluation, version, entries, "review_entries", "comment")
    evaluation.review_entries = entries
    if finalize:
        ratings = ratings_of(entries)
        unrated = [item["name"] for _a, item in indicators(spec, evaluation.kind) if item["code"] not in ratings]
        if unrated:
            raise _invalid("finalize", _("以下指标尚未评议：%(names)s") % {"names": "、".join(unrated)})
        poor = weak(spec, evaluation.kind, ratings)
        silent = [item["name"] for _a, item in poor if not entries[item["code"]]["comment"]]
        if silent:
            raise _invalid("finalize", _("评为待改进的指标须写明评议意见：%(names)s") % {"names": "、".join(silent)})
        score, level = overall(spec, evaluation.kind, ratings)
        evaluation.area_scores = area_scores(spec, evaluation.kind, ratings)
        evaluation.overall_score = half_up(score, 2)
        evaluation.overall = level
        evaluation.stage = Stage.REVIEWED
        evaluation.reviewed_by = by
        evaluation.reviewed_at = timezone.now()
        deadline = (today or timezone.localdate()) + timedelta(days=spec["finding_days"])
        for area, item in poor:
            ledger.raise_finding(
                school,
                by,
                theme=_("发展性督导评价·%(area)s") % {"area": area["name"]},
                text=f"{item['name']}：{entries[item['code']]['comment']}",
                deadline=deadline,
                severity=Severity.MEDIUM,
                source_kind=SourceKind.EVALUATION,
                source_ref=f"{CODE}:{evaluation.pk}:{item['code']}",
            )
    evaluation.save()
    _attach(evaluation, "review", files or {}, by, spec)
    return evaluation


def findings_of(user: Any, evaluation: DevelopmentalEvaluation) -> list[Any]:
    """The ledger items this review raised, as far as ``user`` may read them."""
    prefix = f"{CODE}:{evaluation.pk}:"
    return list(
        supervision.visible_findings(user).filter(source_kind=SourceKind.EVALUATION, source_ref__startswith=prefix)
    )


SPEC = load_spec(CODE)
validate(SPEC)


def page_context(request, spec: dict, org, period, result) -> dict:
    """The summary links a school to its page only where the reader may open it (:func:`readable_schools`): the
    summary's counts are the scope's, the school pages are row-level."""
    return {"readable": set(readable_schools(spec, request.user).values_list("code", flat=True))}


SCHEME = register(
    Scheme(
        CODE,
        compute,
        describe=describe,
        verdict=verdict,
        template="evaluation/_developmental.html",
        order=60,
        spec=SPEC,
        levels=("city", "district", "school"),
        schools=schools,
        has_data=has_data,
        page_context=page_context,
    )
)
