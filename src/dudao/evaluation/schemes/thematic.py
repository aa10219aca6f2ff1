"""责任督学主题督导: checklists filled on school visits, their statistics, and their findings in the ledger.

A visit stores the answers as given (JSON) and judges them at save time by the ledger's checklist rule
(:mod:`dudao.supervision.checklists`); an unmet item becomes a finding of the follow-up ledger owned by the school,
the school answers it there, and a later visit that finds the item met accepts that rectification — a 责任督学 closes
an issue by seeing it fixed. The scheme at the end summarises the period's visits in scope (each school's latest
per theme) with the findings they raised; it reads no data set.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from dudao.errors import DudaoError
from dudao.orgs.access import has_role
from dudao.orgs.selectors import in_groups, schools_under
from dudao.rounding import fixed, rounded
from dudao.supervision import checklists
from dudao.supervision import selectors as ledger_reads
from dudao.supervision import services as ledger
from dudao.supervision.vocabulary import FindingState, SourceKind

from ..common import INSPECT_ROLES
from ..models import Visit
from ..registry import Scheme, register

if TYPE_CHECKING:
    from dudao.orgs.models import OrgUnit


def theme(spec: dict, code: str) -> dict:
    try:
        return spec["themes"][code]
    except KeyError:
        raise DudaoError(f"未知的督导主题 {code!r}") from None


def clean_answers(spec: dict, theme_code: str, raw: dict) -> dict:
    """Answers as stored, judged by the ledger's one checklist rule (:func:`dudao.supervision.checklists.clean`),
    plus this scheme's own demand that every number item is answered: its statistics count each school once per
    item. Errors name the item's text."""
    items = theme(spec, theme_code)["items"]
    try:
        answers = checklists.clean(items, raw)
    except DudaoError as exc:
        texts = {item["code"]: item for item in items}
        raise DudaoError(
            "；".join(
                f"{texts[code]['text']}：请填写非负数字（{message}）"
                if texts[code]["type"] != "bool"
                else f"{texts[code]['text']}：{message}"
                for code, message in exc.field_errors().items()
                if code in texts
            )
            or exc.message
        ) from None
    missing = [item["text"] for item in items if item["type"] != "bool" and answers.get(item["code"]) is None]
    if missing:
        raise DudaoError("；".join(f"{text}：请填写非负数字" for text in missing))
    return answers


def is_met(item: dict, value) -> bool:
    """An answer meets its item (:func:`dudao.supervision.checklists.met`); an unanswered one does not count."""
    return checklists.met(item, value) is True


def item_ref(visit: Visit, item: str) -> str:
    """The ledger's ``source_ref`` of the finding a visit raised for one unmet item."""
    return f"visit-{visit.pk}:{item}"


@transaction.atomic
def record_visit(spec: dict, theme_code: str, school, inspector, on: date, raw: dict, note: str = "") -> Visit:
    """Store a visit and carry what it found into the follow-up ledger: an unmet item not already pending there is
    raised as a finding owned by the school; an item pending with a rectification submitted is re-checked by this
    visit — accepted when now met, sent back when still not. (An item the school has not yet answered for stays as
    it is: the school submits its rectification through the ledger first.)"""
    answers = clean_answers(spec, theme_code, raw)
    visit = Visit.objects.create(
        theme=theme_code, school=school, inspector=inspector, visited_on=on, answers=answers, note=note
    )
    found = theme(spec, theme_code)
    failing = {item["code"] for item in checklists.unmet(found["items"], answers)}
    for item in found["items"]:
        code, shown = item["code"], checklists.shown(answers[item["code"]])
        pending = ledger_reads.pending_from(SourceKind.THEMATIC, school, f":{code}")
        for finding in pending:
            if finding.status == FindingState.RECTIFYING:
                note_text = (
                    f"{on:%Y-%m-%d} 回访已达标" if code not in failing else f"{on:%Y-%m-%d} 回访仍未达标（{shown}）"
                )
                ledger.recheck(finding, inspector, code not in failing, note_text, finding.version)
        if code in failing and not pending:
            ledger.raise_finding(
                school,
                inspector,
                theme=found["name"],
                text=f"{item['text']}未达标（{shown}）",
                deadline=on + timedelta(days=spec["follow_up_days"]),
                source_kind=SourceKind.THEMATIC,
                source_ref=item_ref(visit, code),
            )
    return visit


def statistics(spec: dict, theme_code: str, visits: list[tuple[str, str, dict]]) -> dict:
    """Compliance per item for each district and the city, from ``(district code, district name, answers)``.

    Only each school's *latest* visit of the period should be passed in: a school visited twice is one school.
    """
    items = theme(spec, theme_code)["items"]
    per_district: dict[str, dict] = {}
    city: dict[str, Any] = {"visits": 0, "met": defaultdict(int)}
    for code, name, answers in visits:
        entry = per_district.setdefault(code, {"code": code, "name": name, "visits": 0, "met": defaultdict(int)})
        for bucket in (entry, city):
            bucket["visits"] += 1
            for item in items:
                bucket["met"][item["code"]] += is_met(item, answers.get(item["code"]))

    def rates(bucket):
        return [
            {
                "code": item["code"],
                "text": item["text"],
                "met": bucket["met"][item["code"]],
                "rate": rounded(bucket["met"][item["code"]] / bucket["visits"] * 100, 2) if bucket["visits"] else None,
            }
            for item in items
        ]

    districts = [
        {"code": d["code"], "name": d["name"], "schools": d["visits"], "items": rates(d)}
        for d in sorted(per_district.values(), key=lambda d: d["code"])
    ]
    return {"districts": districts, "city": {"schools": city["visits"], "items": rates(city)}}


# ----------------------------------------------------------------------------- the scheme


def _district(school: OrgUnit) -> tuple[str, str]:
    """(code, name) of the district a visited school belongs to (every school sits under one)."""
    district = school.parent
    assert district is not None, f"school {school.code} has no district"
    return district.code, district.name


def _visit_of(ref: str) -> int | None:
    """The visit id of a thematic finding's ``source_ref`` (``visit-<id>:<item>``)."""
    head = ref.split(":", 1)[0]
    return int(head[6:]) if head.startswith("visit-") and head[6:].isdigit() else None


def compute(spec: dict, period, org) -> dict:
    today = timezone.localdate()
    visits = (
        Visit.objects.filter(
            school__path__startswith=org.path, visited_on__gte=period.start, visited_on__lte=period.end
        )
        .select_related("school__parent")
        .order_by("school__code", "theme", "-visited_on", "-pk")
    )
    latest: dict[tuple[int, str], Visit] = {}
    for v in visits:
        latest.setdefault((v.school_id, v.theme), v)
    theme_of = {v.pk: v.theme for v in visits}
    raised: dict[str, list] = defaultdict(list)  # theme → the ledger findings the period's visits raised
    for f in ledger_reads.from_source(SourceKind.THEMATIC, org):
        visit_pk = _visit_of(f.source_ref)
        if visit_pk in theme_of:
            raised[theme_of[visit_pk]].append(f)
    themes = []
    for code, theme_spec in spec["themes"].items():
        mine = [v for (_, t), v in latest.items() if t == code]
        stats = statistics(spec, code, [(*_district(v.school), v.answers) for v in mine])
        ups = raised[code]
        pending = [f for f in ups if f.status != FindingState.CLOSED]
        themes.append(
            {
                "code": code,
                "name": theme_spec["name"],
                **stats,
                "follow_ups": {
                    "total": len(ups),
                    "open": len(pending),
                    "overdue": sum(ledger_reads.is_overdue(f, today) for f in pending),
                },
                "open_items": [
                    {
                        "id": f.pk,
                        "school": f.owner.name,
                        "issue": f.text,
                        "status": f.get_status_display(),
                        "due": f.deadline.isoformat(),
                        "overdue": ledger_reads.is_overdue(f, today),
                        "url": reverse("supervision:finding", args=[f.pk]),
                    }
                    for f in pending
                ],
            }
        )
    return {"themes": themes, "visits": len(visits)}


def has_data(spec: dict, period, org) -> bool:
    """A visit to a school in ``org``'s subtree during ``period``."""
    return Visit.objects.filter(
        school__path__startswith=org.path, visited_on__gte=period.start, visited_on__lte=period.end
    ).exists()


def describe(result: dict) -> list[str]:
    lines = []
    for t in result["themes"]:
        rates = "，".join(f"{i['text']} {fixed(i['rate'], 1)}%" for i in t["city"]["items"] if i["rate"] is not None)
        visited = t["city"]["schools"]
        lines.append(f"{t['name']}：督导 {visited} 所学校；{rates}；待整改 {t['follow_ups']['open']} 项")
    return lines


VISITED_SCHOOL_TYPES = ["primary", "junior", "nine_year", "complete_secondary", "senior"]


def page_context(request, spec: dict, org, period, result) -> dict:
    """An inspector's page offers the schools in scope to record a visit at; a follow-up links to its ledger page
    only for a reader who may open it."""
    readable = {"ledger_urls": ledger_reads.readable_finding_urls(request.user)}
    if not has_role(request.user, org, *INSPECT_ROLES):
        return readable
    schools = in_groups(schools_under(org), "school_type", VISITED_SCHOOL_TYPES).order_by("code")
    return {"visit_schools": schools, **readable}


SCHEME = register(
    Scheme(
        "thematic",
        compute,
        describe=describe,
        template="evaluation/_thematic.html",
        forms_template="evaluation/_thematic_forms.html",
        page_context=page_context,
        order=50,
        has_data=has_data,
    )
)
