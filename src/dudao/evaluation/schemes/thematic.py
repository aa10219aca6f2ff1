"""责任督学主题督导: checklists filled on school visits, their statistics, and follow-ups.

A visit stores the answers as given (JSON) and judges them against the theme's checklist at save time; an unmet item
opens a follow-up, and a later visit that finds the item met resolves it — that is how a 责任督学 actually closes an
issue: by seeing it fixed, not by a form. The scheme at the end summarises the period's visits in scope (each
school's latest per theme) with their follow-ups; it reads no data set.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from dudao.errors import DudaoError
from dudao.inputs import parse_number
from dudao.orgs.access import has_role
from dudao.orgs.selectors import in_groups, schools_under
from dudao.rounding import fixed, rounded

from ..common import INSPECT_ROLES
from ..models import FollowUp, Visit
from ..registry import Scheme, register

if TYPE_CHECKING:
    from dudao.orgs.models import OrgUnit


def theme(spec: dict, code: str) -> dict:
    try:
        return spec["themes"][code]
    except KeyError:
        raise DudaoError(f"未知的督导主题 {code!r}") from None


def clean_answers(spec: dict, theme_code: str, raw: dict) -> dict:
    """Answers as stored: bools for checkbox items, numbers for number items; every item must be answered."""
    errors: list[str] = []
    answers: dict[str, bool | float] = {}
    for item in theme(spec, theme_code)["items"]:
        value = raw.get(item["code"])
        if item["type"] == "bool":
            if isinstance(value, bool):
                answers[item["code"]] = value
            elif value in ("1", "true", "on", "yes", "是"):
                answers[item["code"]] = True
            elif value in (None, "", "0", "false", "off", "no", "否"):
                answers[item["code"]] = False
            else:
                errors.append(f"{item['text']}：应为“是”或“否”")
        else:
            try:
                number = parse_number(value, field=item["code"], minimum=0)
            except DudaoError as exc:
                errors.append(f"{item['text']}：请填写非负数字（{exc.message}）")
                continue
            if number is None:
                errors.append(f"{item['text']}：请填写非负数字")
            else:
                answers[item["code"]] = float(number)
    if errors:
        raise DudaoError("；".join(errors))
    return answers


def is_met(item: dict, value) -> bool:
    if item["type"] == "bool":
        return value is True
    return value is not None and float(value) >= item["min"]


@transaction.atomic
def record_visit(spec: dict, theme_code: str, school, inspector, on: date, raw: dict, note: str = "") -> Visit:
    answers = clean_answers(spec, theme_code, raw)
    visit = Visit.objects.create(
        theme=theme_code, school=school, inspector=inspector, visited_on=on, answers=answers, note=note
    )
    items = theme(spec, theme_code)["items"]
    open_ups = FollowUp.objects.filter(visit__school=school, visit__theme=theme_code, resolved_on__isnull=True)
    for item in items:
        met = is_met(item, answers[item["code"]])
        if met:
            open_ups.filter(item=item["code"]).update(
                resolved_on=on, resolution=f"{on:%Y-%m-%d} 回访已达标", resolved_by=inspector
            )
        elif not open_ups.filter(item=item["code"]).exists():
            FollowUp.objects.create(
                visit=visit,
                item=item["code"],
                issue=f"{item['text']}未达标（{_shown(answers[item['code']])}）",
                due=on + timedelta(days=spec["follow_up_days"]),
            )
    return visit


def _shown(value) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    return f"{value:g}"


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


def compute(spec: dict, period, org) -> dict:
    today = timezone.localdate()
    visits = (
        Visit.objects.filter(
            school__path__startswith=org.path, visited_on__gte=period.start, visited_on__lte=period.end
        )
        .select_related("school__parent")
        .prefetch_related("follow_ups")
        .order_by("school__code", "theme", "-visited_on", "-pk")
    )
    latest: dict[tuple[int, str], Visit] = {}
    for v in visits:
        latest.setdefault((v.school_id, v.theme), v)
    themes = []
    for code, theme_spec in spec["themes"].items():
        mine = [v for (_, t), v in latest.items() if t == code]
        stats = statistics(spec, code, [(*_district(v.school), v.answers) for v in mine])
        ups = [f for v in visits if v.theme == code for f in v.follow_ups.all()]
        themes.append(
            {
                "code": code,
                "name": theme_spec["name"],
                **stats,
                "follow_ups": {
                    "total": len(ups),
                    "open": sum(f.resolved_on is None for f in ups),
                    "overdue": sum(f.resolved_on is None and f.due < today for f in ups),
                },
                "open_items": [
                    {
                        "id": f.pk,
                        "school": f.visit.school.name,
                        "issue": f.issue,
                        "due": f.due.isoformat(),
                        "overdue": f.due < today,
                    }
                    for f in ups
                    if f.resolved_on is None
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
    """An inspector's page offers the schools in scope to record a visit at."""
    if not has_role(request.user, org, *INSPECT_ROLES):
        return {}
    schools = in_groups(schools_under(org), "school_type", VISITED_SCHOOL_TYPES).order_by("code")
    return {"visit_schools": schools}


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
