"""县域学前教育普及普惠督导评估 (教督〔2020〕1号) — district thresholds as pure functions, from the four sources.

The three 普及普惠 indicators are shares of *children*, not of kindergartens: a district with a few huge private
kindergartens cannot reach 80% coverage by licensing many small 普惠 ones. So the inputs are sums of each
kindergarten's figures, split by its 普惠性质 group (``kg_children__public`` …), plus the district's own figures
(3–5 岁 population). A city result is the same formulas over the city's sums.

The 办法 judges a district from four sources, and each item says which: 数据监测 (the kindergartens' collected data:
普及普惠水平, 班额, 专任教师 1:15, 持证, and per kindergarten 两教一保 and 园长持证), 县级自评 (the district's own
data set: the 政府保障 items), 满意度调查 (:func:`dudao.surveys.selectors.result`) and 实地核查 (an inspector's
:class:`~dudao.evaluation.models.PreschoolCheck`). :func:`judge` combines them into 达标 / 未达标 / 数据不全 / 无数据.
The scheme at the end gathers the approved ``kindergarten`` and ``district_preschool`` values (:mod:`..inputs`), the
survey and the check, and registers ``preschool``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction

from dudao import concurrency
from dudao.collection.expressions import parse
from dudao.errors import DudaoError
from dudao.orgs.access import has_role
from dudao.orgs.selectors import in_groups, schools_under
from dudao.orgs.vocabulary import Level
from dudao.rounding import fixed, rounded
from dudao.surveys import selectors as surveys

from ..common import INSPECT_ROLES, districts, pass_counts_incomplete
from ..inputs import approved_values, group_of, valid_numbers
from ..models import PreschoolCheck
from ..registry import Scheme, register
from ..text import passed_word, unit_word

DATA_LISTS = ("core", "conditions", "per_kindergarten")  # from the collected data (数据监测): the city has these too
ALL_LISTS = (*DATA_LISTS, "government", "survey", "onsite")


def sums(kindergartens: list[tuple[str, dict]], district_values: dict | None = None) -> dict[str, float]:
    """Add up ``(category, values)`` pairs: ``code`` over all, ``code__category`` per group; district figures added."""
    total: dict[str, float] = defaultdict(float)
    for category, values in kindergartens:
        for code, value in values.items():
            if value is None:
                continue
            total[code] += float(value)
            total[f"{code}__{category}"] += float(value)
    for code, value in (district_values or {}).items():
        if value is not None:
            total[code] += float(value)
    return dict(total)


def combine(districts: list[dict], how: dict[str, str]) -> dict[str, float]:
    """City figures from district figures: a population adds up (``sum``), a per-district standard does not — the
    city is held to its weakest district (``min``)."""
    out = {}
    for code, rule in how.items():
        present = [float(d[code]) for d in districts if d.get(code) is not None]
        if present:
            out[code] = sum(present) if rule == "sum" else min(present)
    return out


def _check(item: dict, value: float | None) -> bool:
    if value is None:
        return False
    if "min" in item and value < item["min"]:
        return False
    return not ("max" in item and value > item["max"])


def evaluate(
    spec: dict, code: str, name: str, figures: dict, kindergartens: int, missing: list[dict] | tuple = ()
) -> dict:
    """Verdict for one area from its summed ``figures`` (missing categories count as zero children).

    ``missing`` lists what the area's figures lack (kindergartens without approved data or without their 普惠性质
    group, the district's own figures): with any of it the verdict is 数据不全 (``incomplete``), never 达标 or 未达标
    — each share could move either way with the missing children. A percentage above 100 is flagged (``over``)."""
    values = {**{k: 0.0 for k in _category_names(spec)}, **figures}
    out: dict[str, Any] = {
        "code": code,
        "name": name,
        "kindergartens": kindergartens,
        "children": figures.get("kg_children"),
    }
    for part in ("core", "conditions"):
        rows = []
        for item in spec[part]:
            result = parse(item["expr"]).evaluate(values)
            rows.append(row(spec, part, item, None if result is None else float(result)))
        out[part] = rows
    passed = _passed([*out["core"], *out["conditions"]], kindergartens)
    out["missing"] = list(missing)
    out["incomplete"] = bool(missing) and kindergartens > 0
    out["passed"] = None if out["incomplete"] else passed
    return out


def source_of(spec: dict, part: str) -> str:
    """The source (``sources`` key: self / monitoring / survey / onsite) whose data feed the item list ``part``."""
    return next(code for code, source in spec["sources"].items() if part in source["lists"])


def row(spec: dict, part: str, item: dict, value: float | None, **extra: Any) -> dict:
    """One item's line of the result: its value, threshold, whether met, its source and the document it cites."""
    unit = item.get("unit", "")
    return {
        "code": item["code"],
        "name": item["name"],
        "unit": unit,
        "value": rounded(value, 4),
        "min": item.get("min"),
        "max": item.get("max"),
        "met": _check(item, value),
        "over": unit == "%" and value is not None and value > 100,
        "partial": False,
        "source": source_of(spec, part),
        "basis": item.get("basis", ""),
        "yes_no": unit == "是否" or part == "onsite",  # shown as 是 / 否, required 是
        **extra,
    }


def kindergarten_checks(spec: dict, kindergartens: list[tuple[str, dict]]) -> list[dict]:
    """The ``per_kindergarten`` items (两教一保, 园长持证): each kindergarten ``(name, values)`` meets the item or not;
    the district's value is the share that meet it (the rule is *all* kindergartens, so the threshold is 100%).

    ``failing`` names the kindergartens that do not meet it; ``unknown`` those whose figures cannot decide it — the
    value is then None (数据不全), because a share over part of the kindergartens says nothing about "all"."""
    rows = []
    for item in spec["per_kindergarten"]:
        formula = parse(item["expr"])
        met, failing, unknown = 0, [], []
        for name, values in kindergartens:
            result = formula.evaluate(values)
            if result is None:
                unknown.append(name)
            elif result:
                met += 1
            else:
                failing.append(name)
        judged = met + len(failing)
        value = met / judged * 100 if judged and not unknown else None
        extra = {"failing": failing, "unknown": unknown, "reason": "缺少数据：" + "、".join(unknown) if unknown else ""}
        rows.append(row(spec, "per_kindergarten", item, value, **extra))
    return rows


def government_rows(spec: dict, own: Mapping[str, Any]) -> list[dict]:
    """The 政府保障 items from the district's self-evaluation (``district_preschool``; yes/no items are 1 / 0)."""
    rows = []
    for item in spec["government"]:
        result = parse(item["expr"]).evaluate(own)
        value = None if result is None else float(result)
        rows.append(row(spec, "government", item, value, reason="" if value is not None else "县级自评未填报或未核准"))
    return rows


def survey_rows(spec: dict, results: Mapping[str, Any]) -> list[dict]:
    """社会认可度 from the questionnaires' results (questionnaire code → :class:`~dudao.surveys.selectors.SurveyResult`
    or None). A survey not run, or short of its sample target, is missing — never judged on a thin sample."""
    rows = []
    for item in spec["survey"]:
        found = results.get(item["questionnaire"])
        if found is None:
            value, reason = None, "未开展满意度调查或无结果"
        elif not found.complete:
            value = None
            reason = f"样本不足：回收 {found.responses} 份，目标 {found.target} 份{surveys.short_groups_clause(found)}"
        else:
            value, reason = float(found.score), ""
        responses = None if found is None else found.responses
        rows.append(row(spec, "survey", item, value, reason=reason, responses=responses))
    return rows


def onsite_rows(spec: dict, answers: Mapping[str, Any] | None) -> list[dict]:
    """The 实地核查 items from an inspector's check (item → true/false); no check recorded: every item missing."""
    rows = []
    for item in spec["onsite"]:
        answer = None if answers is None else answers.get(item["code"])
        value = None if answer is None else (100.0 if answer else 0.0)
        extra = {"reason": "未记录实地核查" if answer is None else "", "answer": answer}
        rows.append(row(spec, "onsite", item, value, **extra))
        rows[-1]["met"] = answer is True
    return rows


def judge(unit: dict, lists: tuple[str, ...] = ALL_LISTS) -> dict:
    """The verdict over every item of ``lists``: sets ``passed``, ``incomplete`` and ``gaps`` (the items a source
    has not given: source, item, reason) and returns ``unit``.

    无数据 without kindergartens. 数据不全 while kindergartens or district figures are missing (``missing``): every
    share could move either way. Else 未达标 as soon as an item that was judged fails — a missing survey or check
    cannot repair it; 数据不全 while an item has no value yet; 达标 when every item is met."""
    rows = [r for part in lists for r in unit.get(part, [])]
    names = unit.get("sources", {})
    unit["gaps"] = [
        {"source": names.get(r["source"], r["source"]), "item": r["name"], "reason": r.get("reason", "")}
        for r in rows
        if r["value"] is None
    ]
    if not unit["kindergartens"]:
        unit["passed"], unit["incomplete"] = None, False
    elif unit["missing"]:
        unit["passed"], unit["incomplete"] = None, True
    elif any(r["value"] is not None and not r["met"] for r in rows):
        unit["passed"], unit["incomplete"] = False, False
    elif unit["gaps"]:
        unit["passed"], unit["incomplete"] = None, True
    else:
        unit["passed"], unit["incomplete"] = True, False
    return unit


def part_status(spec: dict, unit: dict) -> list[dict]:
    """Per part of the 办法 (普及普惠水平, 保教质量保障, 政府保障, 社会认可度): how many of its items are met, failed
    and missing — the one-line view of a district on the city's table."""
    out = []
    for part in spec["parts"]:
        rows = [r for name in part["lists"] for r in unit.get(name, [])]
        out.append(
            {
                "code": part["code"],
                "name": part["name"],
                "items": len(rows),
                "met": sum(r["value"] is not None and r["met"] for r in rows),
                "failed": sum(r["value"] is not None and not r["met"] for r in rows),
                "missing": sum(r["value"] is None for r in rows),
            }
        )
    return out


def _passed(rows: list[dict], kindergartens: int) -> bool | None:
    """达标 when every item is met; 未达标 when a computed item is not; 无数据 (``None``) without kindergartens or
    while an item cannot be computed for missing inputs and none computed fails."""
    if not kindergartens:
        return None
    if any(r["value"] is not None and not r["met"] for r in rows):
        return False
    if any(r["value"] is None for r in rows):
        return None
    return True


def _category_names(spec: dict) -> set[str]:
    """``code__group`` names the formulas use; absent ones mean no such kindergartens (0), not missing data."""
    names = set()
    for item in [*spec["core"], *spec["conditions"]]:
        names |= {n for n in parse(item["expr"]).names if "__" in n}
    return names


# ----------------------------------------------------------------------------- the scheme


UNGROUPED = "ungrouped"  # the category of a kindergarten without its 普惠性质 group: counted in all, in no share


def compute(spec: dict, period, org) -> dict:
    """Every district in scope from its kindergartens' sums, its own figures and self-evaluation, its survey and its
    on-site check; for the city also the city's data items.

    Nothing drops out silently: a kindergarten without approved data, one without its 普惠性质 group (its children
    still count in the totals) and a district without approved own figures are listed in ``missing``; a survey or
    check not there in ``gaps``. The city's rates over a district figure (毛入园率 over the population) are computed
    over the complete districts only and marked ``partial``, so one district's missing population cannot push the
    city above 100%. The city has no survey or check of its own: its verdict is over the collected data."""
    names = {code: source["name"] for code, source in spec["sources"].items()}
    checks = {c.district_id: c for c in PreschoolCheck.objects.filter(period=period)}
    results, everything, named_all = [], [], []
    for district in districts(org):
        kgs = list(in_groups(schools_under(district), "school_type", ["kindergarten"]).order_by("code"))
        categories = group_of(kgs, spec["group_set"])
        values = approved_values(spec["dataset"], period, kgs)
        missing = [{"code": k.code, "name": k.name, "reason": "未核准"} for k in kgs if k.pk not in values]
        missing += [
            {"code": k.code, "name": k.name, "reason": "未设置普惠性质"}
            for k in kgs
            if k.pk in values and k.pk not in categories
        ]
        pairs, named = [], []
        for k in kgs:
            if k.pk in values:
                clean, invalid = valid_numbers(values[k.pk])
                pairs.append((categories.get(k.pk, UNGROUPED), clean))
                named.append((k.name, clean))
                if invalid:
                    missing.append({"code": k.code, "name": k.name, "reason": "数值无效：" + "、".join(invalid)})
        own_values = approved_values(spec["district_dataset"], period, [district])
        own, invalid = valid_numbers(own_values.get(district.pk, {}))
        absent = [c for c in spec["district_figures"] if own.get(c) is None]
        if pairs and (district.pk not in own_values or invalid or absent):
            missing.append({"code": district.code, "name": district.name, "reason": "区级数据未核准或不全"})
        everything.append((pairs, own))
        named_all += named
        unit = evaluate(spec, district.code, district.name, sums(pairs, own), len(pairs), missing)
        check = checks.get(district.pk)
        survey = {q["questionnaire"]: surveys.result(q["questionnaire"], period.code, district) for q in spec["survey"]}
        unit.update(
            sources=names,
            per_kindergarten=kindergarten_checks(spec, named),
            government=government_rows(spec, own),
            survey=survey_rows(spec, survey),
            onsite=onsite_rows(spec, check.answers if check else None),
            checked_on=check.checked_on.isoformat() if check else None,
            check_note=check.note if check else "",
        )
        results.append(judge(unit))
        unit["parts"] = part_status(spec, unit)
    out = {"districts": results, "summary": pass_counts_incomplete(results), "sources": names, "parts": spec["parts"]}
    if org.level == Level.CITY:
        all_pairs = [p for pairs, _ in everything for p in pairs]
        city_figures = sums(all_pairs)
        city_figures.update(combine([own for _, own in everything], spec["district_figures"]))
        missing = [m for d in results for m in d["missing"]]
        out["city"] = city = evaluate(spec, org.code, org.name, city_figures, len(all_pairs), missing)
        _complete_districts_only(spec, city, everything)
        city.update(sources=names, per_kindergarten=kindergarten_checks(spec, named_all))
        judge(city, DATA_LISTS)
    return out


def _complete_districts_only(spec: dict, city: dict, everything: list) -> None:
    """Recompute the city's items that use a district figure over the districts that have that figure; mark them
    ``partial`` (with how many districts) when any district lacks it."""
    figures = set(spec["district_figures"])
    with_data = [(pairs, own) for pairs, own in everything if pairs]
    for part in ("core", "conditions"):
        for item, row in zip(spec[part], city[part]):
            used = set(parse(item["expr"]).names) & figures
            if not used:
                continue
            complete = [(pairs, own) for pairs, own in with_data if all(own.get(c) is not None for c in used)]
            if len(complete) == len(with_data):
                continue
            values = {k: 0.0 for k in _category_names(spec)}
            values.update(sums([p for pairs, _ in complete for p in pairs]))
            values.update(combine([own for _, own in complete], spec["district_figures"]))
            result = parse(item["expr"]).evaluate(values) if complete else None
            value = None if result is None else float(result)
            row.update(
                value=rounded(value, 4),
                met=_check(item, value),
                over=item["unit"] == "%" and value is not None and value > 100,
                partial=True,
                districts=len(complete),
            )


def verdict(unit: dict) -> str:
    """An area without kindergartens has no verdict, whatever its thresholds say; one with data missing 数据不全."""
    if unit.get("incomplete"):
        return unit_word(unit)
    return passed_word(unit["passed"] if unit["kindergartens"] else None)


def describe(result: dict) -> list[str]:
    lines = []
    for d in [*result["districts"], *([result["city"]] if "city" in result else [])]:
        core = "，".join(f"{r['name']} {fixed(r['value'], 2)}%" for r in d["core"] if r["value"] is not None)
        lines.append(f"{d['name']}：{verdict(d)}（{core}）")
        failed = [r["name"] for part in ALL_LISTS for r in d.get(part, []) if r["value"] is not None and not r["met"]]
        if failed:
            lines.append("  未达标项：" + "；".join(failed))
        if d["missing"] and d is not result.get("city"):
            lines.append("  数据缺失：" + "；".join(f"{m['name']}（{m['reason']}）" for m in d["missing"]))
        if d.get("gaps") and d is not result.get("city"):
            lines.append("  来源缺失：" + "；".join(f"{g['source']}·{g['item']}（{g['reason']}）" for g in d["gaps"]))
    return lines


# ----------------------------------------------------------------------------- 实地核查 (services)


def clean_answers(spec: dict, raw: Mapping[str, object]) -> dict[str, bool]:
    """Every ``onsite`` item as true/false: a checkbox sends "1"/"on"/"true" when ticked and nothing when not, so
    an absent item is "no"; anything else is refused, naming the item."""
    answers, errors = {}, []
    for item in spec["onsite"]:
        value = raw.get(item["code"])
        text = "" if value is None else str(value).strip().lower()
        if value is True or text in ("1", "on", "true", "是"):
            answers[item["code"]] = True
        elif value is False or text in ("", "0", "off", "false", "否"):
            answers[item["code"]] = False
        else:
            errors.append(f"{item['name']}：请选择是或否")
    if errors:
        raise DudaoError("；".join(errors))
    return answers


@transaction.atomic
def record_check(
    spec: dict,
    period,
    district,
    inspector,
    on: date,
    raw: Mapping[str, object],
    note: str = "",
    version: int | None = None,
) -> PreschoolCheck:
    """Save the 实地核查 of ``district`` for ``period`` (one per district and period; a later one replaces it).

    Only an inspector of the district (or the city) may record it. ``version`` is the check's version as the form read
    it (0: none yet); another inspector's check saved since is refused with a
    :class:`~dudao.concurrency.StaleEdit` rather than overwritten. ``None`` (the demo) replaces as before."""
    if district.level != Level.DISTRICT:
        raise DudaoError(f"{district.name}不是区，实地核查以区为单位记录")
    if inspector is not None and not has_role(inspector, district, *INSPECT_ROLES):
        raise DudaoError("只有督学可以记录实地核查")
    answers = clean_answers(spec, raw)
    check = PreschoolCheck.objects.filter(period=period, district=district).first()
    if check is None:
        if version not in (None, 0):
            raise concurrency.refuse("实地核查", version, 0, {}, {}, {})
        check = PreschoolCheck(period=period, district=district, checked_on=on, answers=answers, note=note)
        check.inspector = inspector
        try:
            with transaction.atomic():
                check.save()
        except IntegrityError:  # another inspector saved the first check between the read and the insert
            raise concurrency.refuse("实地核查", 0, 1, {}, {}, {}) from None
        return check
    labels = {item["code"]: item["name"] for item in spec["onsite"]}
    if version is not None:
        concurrency.advance(
            check, version, what="实地核查", labels=labels, yours=answers, theirs=lambda row: row.answers
        )
    else:
        check.version += 1
    check.checked_on, check.answers, check.note, check.inspector = on, answers, note, inspector
    check.save()
    return check


def check_of(period, district) -> PreschoolCheck | None:
    return PreschoolCheck.objects.filter(period=period, district=district).first()


def page_context(request, spec: dict, org, period, result) -> dict:
    """An inspector on a district's page gets the 实地核查 form, with the stored check (its answers and version)."""
    if org.level != Level.DISTRICT or not has_role(request.user, org, *INSPECT_ROLES):
        return {}
    check = check_of(period, org)
    return {"preschool_check": check, "preschool_check_version": check.version if check else 0}


SCHEME = register(
    Scheme(
        "preschool",
        compute,
        describe=describe,
        verdict=verdict,
        inputs_from=("dataset", "district_dataset"),
        template="evaluation/_preschool.html",
        forms_template="evaluation/_preschool_forms.html",
        page_context=page_context,
        order=20,
    )
)
for _item in [*SCHEME.spec["per_kindergarten"], *SCHEME.spec["government"]]:
    parse(_item["expr"])  # vetted at load, like the registry's own formulas: a typo fails here, not mid-evaluation
