"""责任督学主题督导: checklists filled on school visits, their statistics, and follow-ups.

A visit stores the answers as given (JSON) and judges them against the theme's checklist at save time; an unmet item
opens a follow-up, and a later visit that finds the item met resolves it — that is how a 责任督学 actually closes an
issue: by seeing it fixed, not by a form.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction

from dudao.errors import DudaoError

from .models import FollowUp, Visit


def theme(spec: dict, code: str) -> dict:
    try:
        return spec["themes"][code]
    except KeyError:
        raise DudaoError(f"未知的督导主题 {code!r}") from None


def clean_answers(spec: dict, theme_code: str, raw: dict) -> dict:
    """Answers as stored: bools for checkbox items, numbers for number items; every item must be answered."""
    errors, answers = [], {}
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
                number = Decimal(str(value).strip())
                if not number.is_finite() or number < 0:
                    raise InvalidOperation
                answers[item["code"]] = float(number)
            except (InvalidOperation, ValueError):
                errors.append(f"{item['text']}：请填写非负数字")
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
    city = {"visits": 0, "met": defaultdict(int)}
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
                "rate": round(bucket["met"][item["code"]] / bucket["visits"] * 100, 2) if bucket["visits"] else None,
            }
            for item in items
        ]

    districts = [
        {"code": d["code"], "name": d["name"], "schools": d["visits"], "items": rates(d)}
        for d in sorted(per_district.values(), key=lambda d: d["code"])
    ]
    return {"districts": districts, "city": {"schools": city["visits"], "items": rates(city)}}
