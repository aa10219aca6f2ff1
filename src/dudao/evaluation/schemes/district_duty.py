"""区政府履职综合督政: scoring (pure), and raising low scores into the follow-up ledger (services).

Scores come from three sources with different reliability — the district's self-evaluation, a satisfaction
questionnaire and the inspectors' on-site check — so an item's score is their weighted mean, renormalised over the
sources actually present (an item not yet inspected on site is marked incomplete rather than scored as zero).
An item under the threshold becomes a finding of the one follow-up ledger (:mod:`dudao.supervision`), owned by the
district: its rectification and the inspectors' re-check (回访核查) happen there. The scheme at the end scores each
district in scope from the recorded scores and lists its ledger findings; it reads no data set.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dudao import concurrency
from dudao.collection import selectors as collected
from dudao.errors import DudaoError
from dudao.inputs import parse_number
from dudao.orgs.vocabulary import Level
from dudao.rounding import fixed, rounded
from dudao.supervision import selectors as ledger_reads
from dudao.supervision import services as ledger
from dudao.supervision.vocabulary import SourceKind
from dudao.surveys import selectors as surveys

from ..common import districts
from ..models import DutyScore
from ..registry import Scheme, register


def score_items(spec: dict, scores: dict[tuple[str, str], float]) -> dict:
    """``scores`` maps (item, source) → points on the item's 0..max scale; returns items, total (0–100) and grade."""
    rows, total_max, total = [], 0.0, 0.0
    for item in spec["items"]:
        present = {s: scores[(item["code"], s)] for s in spec["sources"] if (item["code"], s) in scores}
        weight = sum(spec["sources"][s]["weight"] for s in present)
        value = sum(spec["sources"][s]["weight"] * float(v) for s, v in present.items()) / weight if weight else None
        total_max += item["max"]
        total += value or 0.0
        rows.append(
            {
                "code": item["code"],
                "area": item["area"],
                "name": item["name"],
                "max": item["max"],
                "sources": {s: (None if s not in present else float(present[s])) for s in spec["sources"]},
                "score": rounded(value, 2),
                "complete": len(present) == len(spec["sources"]),
                "needs_rectification": value is not None and value < spec["rectify_below"] * item["max"],
            }
        )
    percent = total / total_max * 100 if total_max else 0.0
    complete = all(r["complete"] for r in rows)
    grade = next(g["name"] for g in spec["grades"] if percent >= g["min"]) if complete else None
    scored = any(r["score"] is not None for r in rows)  # nothing scored yet is no data, not a total of 0
    return {
        "items": rows,
        "total": rounded(percent, 2) if scored else None,
        "complete": complete,
        "grade": grade,
        "scored": scored,
    }


def _item(spec: dict, code: str) -> dict:
    for item in spec["items"]:
        if item["code"] == code:
            return item
    raise DudaoError(f"未知的督政指标 {code}")


def _checked(spec: dict, source: str, scores: Mapping[str, object]) -> dict[str, Decimal]:
    """item → score of one source's scores, each within 0..max (blank ones left out); a DudaoError lists the bad."""
    if source not in spec["sources"]:
        raise DudaoError(f"未知的评分来源 {source}")
    errors, clean = [], {}
    for code, raw in scores.items():
        item = _item(spec, code)
        if raw in (None, ""):
            continue
        try:
            value = parse_number(raw, field=code, minimum=0, maximum=item["max"], places=2)  # the column's decimals
        except DudaoError as exc:
            errors.append(f"{code} {item['name']}：{exc.message}（分值应在 0—{item['max']} 之间）")
            continue
        if value is not None:
            clean[code] = value
    if errors:
        raise DudaoError("；".join(errors))
    return clean


@transaction.atomic
def record_scores(
    spec: dict,
    period,
    district,
    source: str,
    scores: Mapping[str, object],
    user,
    versions: Mapping[str, int] | None = None,
) -> list[DutyScore]:
    """Save one source's scores for several items — all or nothing, each within 0..max.

    ``versions`` (item → the score's version as the form read it, 0 for none yet) refuses, in one
    :class:`~dudao.concurrency.StaleEdit`, every score another inspector saved differently since; without it (the
    demo, scripts) a score is replaced as before."""
    saved = []
    claims = concurrency.Claims("督政评分")
    for code, value in _checked(spec, source, scores).items():
        label = f"{code} {_item(spec, code)['name']}"
        obj = DutyScore.objects.filter(period=period, district=district, item=code, source=source).first()
        expected = None if versions is None or code not in versions else versions[code]
        if obj is None:
            obj = DutyScore(period=period, district=district, item=code, source=source, score=value, entered_by=user)
            try:
                with transaction.atomic():
                    obj.save()
            except IntegrityError:  # another inspector entered it between the read and the insert
                fresh = DutyScore.objects.get(period=period, district=district, item=code, source=source)
                claims.stale.extend(concurrency.differences({code: label}, {code: fresh.score}, {code: value}))
            saved.append(obj)
            continue
        if obj.score == value:
            saved.append(obj)
            continue
        if not claims.claim(  # "yours" as typed: the refusal shows what the inspector wrote, not its parse
            obj, expected, field=code, label=label, yours=str(scores[code]).strip(), theirs=lambda row: row.score
        ):
            continue
        obj.score, obj.entered_by = value, user
        obj.save()
        saved.append(obj)
    claims.check()
    return saved


def score_versions(spec: dict, period, district) -> list[tuple[str, int]]:
    """``(hidden field name, version)`` of every source × item score of the 督政 form (0: not scored yet)."""
    stored = {
        (item, source): version
        for item, source, version in DutyScore.objects.filter(period=period, district=district).values_list(
            "item", "source", "version"
        )
    }
    return [
        (f"version_{source}_{item['code']}", stored.get((item["code"], source), 0))
        for source in spec["sources"]
        for item in spec["items"]
    ]


@transaction.atomic
def load_scores(spec: dict, period, scores: Iterable[tuple[Any, str, Mapping[str, object]]], user) -> int:
    """Insert ``(district, source, item → score)`` for a period in one bulk write — for loading a finished round
    (the demo), where :func:`record_scores`' one update-or-create per score would cost a noticeable part of the load.

    Checked like :func:`record_scores`. Safe for a period without scores yet: it does not update, and the table's
    one-score-per-(period, district, item, source) constraint refuses a second score instead of doubling it; no
    history rows are written, as a loaded past has no edits to trace. Returns how many scores were written."""
    rows = [
        DutyScore(period=period, district=district, item=code, source=source, score=value, entered_by=user)
        for district, source, items in scores
        for code, value in _checked(spec, source, items).items()
    ]
    return len(DutyScore.objects.bulk_create(rows))


def scores_of(period, district) -> dict[tuple[str, str], float]:
    return {(s.item, s.source): float(s.score) for s in DutyScore.objects.filter(period=period, district=district)}


def finding_ref(period, item: str) -> str:
    """The ledger's ``source_ref`` of a 督政 finding: one per period and item."""
    return f"{period.code}:{item}"


@transaction.atomic
def raise_findings(spec: dict, period, district, user, today: date) -> list[Any]:
    """Raise every item scored under the threshold as a finding of the follow-up ledger owned by the district (once
    per item and period). From there the district submits its rectification and an inspector above it re-checks
    it (:mod:`dudao.supervision.services`) — the ledger is the one place a finding's state lives."""
    result = score_items(spec, scores_of(period, district))
    raised = {f.source_ref for f in findings_of(period, district)}
    created = []
    for row in result["items"]:
        ref = finding_ref(period, row["code"])
        if not row["needs_rectification"] or ref in raised:
            continue
        created.append(
            ledger.raise_finding(
                district,
                user,
                theme=spec["name"],
                text=f"{row['code']} {row['name']}：得分 {row['score']:g}/{row['max']}，"
                f"未达到 {spec['rectify_below']:.0%}",
                deadline=today + timedelta(days=spec["rectify_days"]),
                source_kind=SourceKind.DUZHENG,
                source_ref=ref,
            )
        )
    return created


def findings_of(period, district) -> list[Any]:
    """The district's 督政 findings of ``period`` in the ledger."""
    return [
        f
        for f in ledger_reads.from_source(SourceKind.DUZHENG, district, f"{period.code}:")
        if f.owner_id == district.pk
    ]


def rectification_rows(period, districts, today: date) -> list[dict]:
    """The 督政 findings of ``districts`` as the page and the report list them, each linked to its ledger page."""
    rows = []
    for district in districts:
        for f in findings_of(period, district):
            rows.append(
                {
                    "id": f.pk,
                    "district": district.code,
                    "district_name": district.name,
                    "item": f.source_ref.split(":", 1)[1],
                    "finding": f.text,
                    "deadline": f.deadline.isoformat(),
                    "raised": timezone.localdate(f.created_at).isoformat(),
                    "status": f.status,
                    "status_name": f.get_status_display(),
                    "version": f.version,
                    "overdue": ledger_reads.is_overdue(f, today),
                    "escalated": f.escalated_at is not None,
                    "url": reverse("supervision:finding", args=[f.pk]),
                    "revisits": [
                        {"on": timezone.localdate(s.at).isoformat(), "closed": s.to_state == "closed", "note": s.text}
                        for s in ledger_reads.rechecks(f)
                    ],
                }
            )
    return rows


# ----------------------------------------------------------------------------- the stages of a round

# named lazily: the module is imported before a request picks its language
STAGE_NAMES = {
    "self": gettext_lazy("区政府自评"),
    "survey": gettext_lazy("满意度问卷"),
    "census": gettext_lazy("学校普查"),
    "onsite": gettext_lazy("实地督查"),
    "rectify": gettext_lazy("整改"),
    "revisit": gettext_lazy("回访核查"),
}
STATE_NAMES = {
    "done": gettext_lazy("已完成"),
    "partial": gettext_lazy("进行中"),
    "pending": gettext_lazy("未开展"),
    "incomplete": gettext_lazy("数据不全"),
}


def _stage(key: str, state: str, on: date | str | None, detail: str) -> dict:
    return {
        "key": key,
        "name": str(STAGE_NAMES[key]),
        "state": state,
        "state_name": str(STATE_NAMES[state]),
        "on": on.isoformat() if isinstance(on, date) else (on or ""),
        "detail": detail,
    }


def timeline(
    items: int,
    scored: Mapping[str, tuple[int, date | None]],
    survey: Any,
    census: tuple[int, int],
    findings: list[dict],
) -> list[dict]:
    """The six stages of a district's round with their state and latest date, from plain inputs: ``scored`` maps a
    source (``self``, ``onsite``) to (items scored, last entry date); ``survey`` a SurveyResult or None; ``census``
    (schools with approved data, schools asked); ``findings`` the ledger rows (``status``, ``raised`` and the revisits'
    ``on`` as ISO dates). A stage with nothing done is 未开展, never 已完成 by default."""

    def scores(key: str) -> dict:
        n, on = scored.get(key, (0, None))
        state = "done" if n >= items > 0 else ("partial" if n else "pending")
        return _stage(key, state, on, _("%(n)s/%(items)s 项已评分") % {"n": n, "items": items})

    if survey is None:
        polled = _stage("survey", "pending", None, _("未开展"))
    elif not survey.complete:
        detail = _("回收 %(n)s 份，目标 %(t)s 份") % {"n": survey.responses, "t": survey.target}
        detail += surveys.short_groups_clause(survey)
        polled = _stage("survey", "incomplete", None, detail)
    else:
        polled = _stage(
            "survey",
            "done",
            None,
            _("满意度 %(s)s%%，回收 %(n)s 份") % {"s": fixed(float(survey.score), 1), "n": survey.responses},
        )
    approved, asked = census
    census_state = "pending" if not approved else ("done" if approved >= asked else "partial")
    onsite = scores("onsite")
    raised = [f["raised"] for f in findings if f.get("raised")]
    if findings:
        open_items = sum(f["status"] != "closed" for f in findings)
        rectify = _stage(
            "rectify",
            "partial" if open_items else "done",
            max(raised) if raised else None,
            _("%(n)s 项，未销号 %(open)s 项") % {"n": len(findings), "open": open_items},
        )
    elif onsite["state"] == "done":
        rectify = _stage("rectify", "done", None, _("无整改事项"))
    else:
        rectify = _stage("rectify", "pending", None, _("实地督查完成后列出"))
    visits = [v["on"] for f in findings for v in f.get("revisits", [])]
    closed = sum(f["status"] == "closed" for f in findings)
    if not findings:
        revisit = _stage("revisit", rectify["state"], None, _("无需回访") if rectify["state"] == "done" else "")
    else:
        revisit = _stage(
            "revisit",
            "done" if closed == len(findings) else ("partial" if visits else "pending"),
            max(visits) if visits else None,
            _("已回访核查 %(visits)s 次，销号 %(closed)s/%(n)s 项")
            % {"visits": len(visits), "closed": closed, "n": len(findings)},
        )
    return [
        scores("self"),
        polled,
        _stage(
            "census",
            census_state,
            None,
            _("%(approved)s/%(asked)s 所学校数据已核准") % {"approved": approved, "asked": asked},
        ),
        onsite,
        rectify,
        revisit,
    ]


def stages_of(spec: dict, period, district, rectifications: list[dict]) -> list[dict]:
    """:func:`timeline` for one district, gathered from the scores, the survey, the census data set and the ledger."""
    scored: dict[str, tuple[int, date | None]] = {}
    for source in ("self", "onsite"):
        rows = list(DutyScore.objects.filter(period=period, district=district, source=source).values_list("entered_at"))
        last = max((r[0] for r in rows), default=None)
        scored[source] = (len(rows), timezone.localdate(last) if last else None)
    dataset = spec.get("census_dataset", "")
    asked = collected.submissions(dataset=dataset, period=period, under=district).count()
    approved = collected.approved_submissions(dataset=dataset, period=period, under=district).count()
    survey = surveys.result(spec["survey"], period.code, district) if spec.get("survey") else None
    return timeline(len(spec["items"]), scored, survey, (approved, asked), rectifications)


# ----------------------------------------------------------------------------- the scheme


def compute(spec: dict, period, org) -> dict:
    today = timezone.localdate()
    results = []
    for district in districts(org):
        scored = score_items(spec, scores_of(period, district))
        rectifications = rectification_rows(period, [district], today)
        results.append(
            {
                "code": district.code,
                "name": district.name,
                **scored,
                "rectifications": rectifications,
                # the round's stages, on a one-district page only (sixteen timelines are no overview)
                "stages": stages_of(spec, period, district, rectifications) if org.level == Level.DISTRICT else [],
            }
        )
    return {"sources": {k: v["name"] for k, v in spec["sources"].items()}, "districts": results}


def verdict(unit: dict) -> str:
    """The grade, once every item has all its sources; 无数据 while nothing is scored."""
    if unit.get("scored") is False:
        return "无数据"
    return unit["grade"] or "评分未完成"


def has_data(spec: dict, period, org) -> bool:
    """Some district in ``org``'s subtree has a score for ``period``."""
    return DutyScore.objects.filter(period=period, district__path__startswith=org.path).exists()


def describe(result: dict) -> list[str]:
    lines = []
    for d in result["districts"]:
        open_items = sum(r["status"] != "closed" for r in d["rectifications"])
        total = f"{fixed(d['total'], 2)} 分，" if d["total"] is not None else ""
        lines.append(f"{d['name']}：{total}{verdict(d)}；未销号整改 {open_items} 项")
    return lines


def page_context(request, spec: dict, org, period, result) -> dict:
    """The scores form of a district carries the version of every score it may overwrite; a finding links to its
    ledger page only for a reader who may open it."""
    readable = {"ledger_urls": ledger_reads.readable_finding_urls(request.user)}
    if org.level != Level.DISTRICT:
        return readable
    return {"score_versions": score_versions(spec, period, org), **readable}


SCHEME = register(
    Scheme(
        "district_duty",
        compute,
        describe=describe,
        verdict=verdict,
        page_context=page_context,
        template="evaluation/_district_duty.html",
        forms_template="evaluation/_district_duty_forms.html",
        order=40,
        has_data=has_data,
    )
)
