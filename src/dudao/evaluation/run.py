"""Run a scheme for a period and an org scope: the one entry point for the CLI, the pages and the reports.

Returns plain JSON-ready data (``dudao evaluate … --json`` prints it as is), so the page, the PDF and the API all
show the same numbers.
"""

from __future__ import annotations

from django.utils import timezone

from dudao.collection.models import Period
from dudao.errors import DudaoError
from dudao.orgs.models import Level, OrgGroup, OrgUnit

from . import balanced, duty, hei, preschool, thematic
from .inputs import approved_values, group_of, previous_period
from .models import Visit, WeightChoice
from .schemes import scheme


def resolve(period_code: str, org_code: str | None) -> tuple[Period, OrgUnit]:
    try:
        period = Period.objects.get(code=period_code)
    except Period.DoesNotExist:
        raise DudaoError(f"没有期间 {period_code!r}") from None
    if org_code:
        try:
            org = OrgUnit.objects.get(code=org_code)
        except OrgUnit.DoesNotExist:
            raise DudaoError(f"没有机构 {org_code!r}") from None
    else:
        org = OrgUnit.objects.filter(level=Level.CITY).first()
        if org is None:
            raise DudaoError("尚未加载机构目录")
    return period, org


def evaluate(code: str, period_code: str, org_code: str | None = None) -> dict:
    spec = scheme(code)
    period, org = resolve(period_code, org_code)
    header = {
        "scheme": code,
        "name": spec["name"],
        "basis": spec.get("basis", ""),
        "period": period.code,
        "period_name": period.name,
        "org": {"code": org.code, "name": org.name, "level": org.level},
    }
    return {**header, **RUNNERS[code](spec, period, org)}


def _districts(org: OrgUnit):
    if org.level == Level.CITY:
        return list(OrgUnit.objects.filter(parent=org, level=Level.DISTRICT).order_by("code"))
    if org.level == Level.DISTRICT:
        return [org]
    raise DudaoError(f"{org.name}不是市或区，本方案以区为单位评估")


def _school_levels(spec: dict, schools) -> dict[int, str]:
    types = group_of(schools, "school_type")
    by_type = {t: level for level, ls in spec["levels"].items() for t in ls["school_types"]}
    return {pk: by_type[t] for pk, t in types.items() if t in by_type}


def run_balanced(spec, period, org) -> dict:
    if org.level == Level.SCHOOL:
        values = approved_values(spec["dataset"], period, [org])
        level = _school_levels(spec, [org]).get(org.pk)
        if org.pk not in values or level is None:
            raise DudaoError(f"{org.name}没有已核准的{period.name}义务教育办学条件数据")
        school = balanced.SchoolInput(org.code, org.name, level, values[org.pk])
        return {"school": balanced.evaluate_school(spec, school)}
    results = []
    for district in _districts(org):
        schools = list(OrgUnit.objects.filter(path__startswith=district.path, level=Level.SCHOOL).order_by("code"))
        levels = _school_levels(spec, schools)
        values = approved_values(spec["dataset"], period, [s for s in schools if s.pk in levels])
        inputs = [balanced.SchoolInput(s.code, s.name, levels[s.pk], values[s.pk]) for s in schools if s.pk in values]
        results.append(balanced.evaluate_district(spec, district.code, district.name, inputs))
    return {"districts": results, "summary": _pass_counts(results)}


def _pass_counts(results: list[dict]) -> dict:
    return {
        "passed": sum(r["passed"] is True for r in results),
        "failed": sum(r["passed"] is False for r in results),
        "no_data": sum(r["passed"] is None for r in results),
    }


def run_preschool(spec, period, org) -> dict:
    districts = _districts(org)
    results, everything = [], []
    for district in districts:
        kgs = list(OrgUnit.objects.filter(path__startswith=district.path, level=Level.SCHOOL))
        categories = group_of(kgs, spec["group_set"])
        values = approved_values(spec["dataset"], period, [k for k in kgs if k.pk in categories])
        pairs = [(categories[pk], v) for pk, v in values.items()]
        own = approved_values(spec["district_dataset"], period, [district]).get(district.pk, {})
        everything.append((pairs, own))
        results.append(preschool.evaluate(spec, district.code, district.name, preschool.sums(pairs, own), len(pairs)))
    out = {"districts": results, "summary": _pass_counts(results)}
    if org.level == Level.CITY:
        all_pairs = [p for pairs, _ in everything for p in pairs]
        city_figures = preschool.sums(all_pairs)
        city_figures.update(preschool.combine([own for _, own in everything], spec["district_figures"]))
        out["city"] = preschool.evaluate(spec, org.code, org.name, city_figures, len(all_pairs))
    return out


def run_hei(spec, period, org) -> dict:
    everyone = OrgUnit.objects.filter(level=Level.SCHOOL, groups__group_set__code=spec["function_set"]).distinct()
    functions = group_of(everyone, spec["function_set"])
    disciplines = group_of(everyone, spec["discipline_set"])
    values = approved_values(spec["dataset"], period, everyone)
    before = previous_period(period)
    previous = approved_values(spec["dataset"], before, everyone) if before else {}
    chosen: dict[int, dict] = {}
    for w in WeightChoice.objects.filter(period=period, org__in=everyone):
        chosen.setdefault(w.org_id, {})[w.indicator] = float(w.weight)
    universities = [
        hei.University(
            u.code,
            u.name,
            functions[u.pk],
            disciplines.get(u.pk, ""),
            values[u.pk],
            previous.get(u.pk),
            chosen.get(u.pk, {}),
        )
        for u in everyone.order_by("code")
        if u.pk in values and u.pk in functions
    ]
    labels = _class_labels(spec)
    result = hei.evaluate(spec, universities, labels)
    if org.level != Level.CITY:
        inside = {u.code for u in everyone.filter(path__startswith=org.path)}
        if not inside:
            raise DudaoError(f"{org.name}没有参加分类评价的高校")
        result["universities"] = [r for r in result["universities"] if r["code"] in inside]
        result["interviews"] = [r for r in result["interviews"] if r["code"] in inside]
        shown = {r["class"] for r in result["universities"]}
        result["classes"] = [c for c in result["classes"] if c["key"] in shown]
    result["previous_period"] = before.code if before else None
    return result


def _class_labels(spec) -> dict[str, str]:
    names = {
        (g.group_set.code, g.code): g.name
        for g in OrgGroup.objects.filter(group_set__code__in=[spec["function_set"], spec["discipline_set"]])
    }
    labels = {}
    for key in spec["classes"]:
        function, _, discipline = key.partition("/")
        label = names.get((spec["function_set"], function), function)
        if discipline:
            label += "·" + names.get((spec["discipline_set"], discipline), discipline)
        labels[key] = label
    return labels


def run_district_duty(spec, period, org) -> dict:
    today = timezone.localdate()
    results = []
    for district in _districts(org):
        scored = duty.score_items(spec, duty.scores_of(period, district))
        results.append(
            {
                "code": district.code,
                "name": district.name,
                **scored,
                "rectifications": duty.rectification_rows(period, [district], today),
            }
        )
    return {"sources": {k: v["name"] for k, v in spec["sources"].items()}, "districts": results}


def run_thematic(spec, period, org) -> dict:
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
    for code, theme in spec["themes"].items():
        mine = [v for (_, t), v in latest.items() if t == code]
        stats = thematic.statistics(spec, code, [(v.school.parent.code, v.school.parent.name, v.answers) for v in mine])
        ups = [f for v in visits if v.theme == code for f in v.follow_ups.all()]
        themes.append(
            {
                "code": code,
                "name": theme["name"],
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


RUNNERS = {
    "balanced": run_balanced,
    "preschool": run_preschool,
    "hei": run_hei,
    "district_duty": run_district_duty,
    "thematic": run_thematic,
}
