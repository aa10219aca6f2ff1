"""Synthetic school-level values whose city totals are exactly the published ones (演示数据生成).

Pure functions, no database: :func:`generate` returns, per year, one dict of values per school. Sums are split over
schools with a seeded random "size" per school (stable across years, so each school's year-on-year change is
plausible) by largest-remainder rounding, which keeps integer totals exact; parts that must add up per school (学历,
职称, 产业, 去向) are split with per-school caps so every school also passes the data set's own validation rules.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from .figures import YEARS

SEED = 20201231


def allocate(total: int, weights: list[float], caps: list[int] | None = None) -> list[int]:
    """Split integer ``total`` proportionally to ``weights`` without exceeding ``caps``; the parts sum to ``total``."""
    n = len(weights)
    caps = caps if caps is not None else [total] * n
    if total > sum(caps):
        raise ValueError(f"cannot allocate {total} within caps summing to {sum(caps)}")
    result = [0] * n
    free = [i for i in range(n) if caps[i] > 0]
    remaining = total
    # water-filling: give proportional shares, pin the ones that hit their cap, repeat for the rest
    shares = [0.0] * n
    while free:
        weight_sum = sum(weights[i] for i in free) or float(len(free))
        over = []
        for i in free:
            w = weights[i] if weight_sum else 1.0
            shares[i] = remaining * w / weight_sum
            if shares[i] > caps[i]:
                over.append(i)
        if not over:
            break
        for i in over:
            shares[i] = caps[i]
            remaining -= caps[i]
            free.remove(i)
    floors = [min(caps[i], math.floor(shares[i])) for i in range(n)]
    result = floors
    left = total - sum(result)
    order = sorted(range(n), key=lambda i: shares[i] - floors[i], reverse=True)
    while left > 0:
        progressed = False
        for i in order:
            if left == 0:
                break
            if result[i] < caps[i]:
                result[i] += 1
                left -= 1
                progressed = True
        if not progressed:  # pragma: no cover — excluded by the caps check above
            raise ValueError("allocation did not converge")
    return result


def split(parents: list[int], part_totals: list[int], rng: random.Random, noise: float = 0.25) -> list[list[int]]:
    """Per school, split ``parents[i]`` into parts whose column sums are ``part_totals`` (Σ parts = parent)."""
    if sum(parents) != sum(part_totals):
        raise ValueError("parts must add up to the parent total")
    remaining = list(parents)
    columns = []
    for total in part_totals[:-1]:
        weights = [r * math.exp(rng.gauss(0, noise)) for r in remaining]
        column = allocate(total, weights, caps=remaining)
        remaining = [r - c for r, c in zip(remaining, column)]
        columns.append(column)
    columns.append(remaining)
    return columns


def noisy(base: Sequence[float], rng: random.Random, sigma: float) -> list[float]:
    return [b * math.exp(rng.gauss(0, sigma)) for b in base]


def _round(x: Decimal, places: int) -> Decimal:
    return x.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _places(x: Decimal) -> int:
    """Decimal places ``x`` is written with (``as_tuple`` gives a letter instead of an exponent for NaN/∞)."""
    exponent = x.as_tuple().exponent
    if not isinstance(exponent, int):
        raise ValueError(f"not a finite number: {x}")
    return -exponent


def fit_mean(
    target: Decimal,
    weights: list[float] | None,
    rng: random.Random,
    spread: float,
    places: int,
    low: float,
    high: float,
) -> list[Decimal]:
    """Per-school values whose (weighted) mean rounds to ``target`` at its own precision."""
    n = len(weights) if weights else 0
    n = n or 71
    w = [Decimal(str(x)) for x in (weights or [1.0] * n)]
    unit = Decimal(1).scaleb(-places)
    target_places = _places(target)
    lo, hi = Decimal(str(low)), Decimal(str(high))
    values = [min(hi, max(lo, _round(target + Decimal(str(rng.gauss(0, spread))), places))) for _ in range(n)]

    def mean() -> Decimal:
        return sum((v * x for v, x in zip(values, w)), Decimal(0)) / sum(w, Decimal(0))

    shift = _round(target - mean(), places)
    values = [min(hi, max(lo, v + shift)) for v in values]
    order = sorted(range(n), key=lambda i: w[i], reverse=True)
    for _ in range(100000):
        current = _round(mean(), target_places)
        if current == target:
            return values
        step = unit if current < target else -unit
        for i in order:  # the heaviest school that can still move
            if lo <= values[i] + step <= hi:
                values[i] += step
                break
    raise ValueError(f"could not fit mean {target}")  # pragma: no cover


def fit_ratio_mean(target_pct: Decimal, denominators: list[int], rng: random.Random, spread: float) -> list[int]:
    """Numerators whose per-school ratio (numerator/denominator, in %) averages to ``target_pct`` (校均)."""
    n = len(denominators)
    p = float(target_pct) / 100
    nums = [max(0, min(d, round(d * (p + rng.gauss(0, spread))))) for d in denominators]
    places = _places(target_pct)

    def mean() -> Decimal:
        return _round(
            sum((Decimal(a) / Decimal(d) for a, d in zip(nums, denominators) if d), Decimal(0)) * 100 / n, places
        )

    order = sorted(range(n), key=lambda i: denominators[i], reverse=True)
    for _ in range(100000):
        current = mean()
        if current == target_pct:
            return nums
        up = current < target_pct
        for i in order:
            if (up and nums[i] < denominators[i]) or (not up and nums[i] > 0):
                nums[i] += 1 if up else -1
                break
    raise ValueError("could not fit ratio mean")  # pragma: no cover


def _money(total: Decimal, weights: list[float]) -> list[Decimal]:
    cents = allocate(int(total * 100), weights)
    return [Decimal(c) / 100 for c in cents]


def school_sizes(n: int, rng: random.Random) -> list[float]:
    return [math.exp(rng.gauss(0, 0.45)) for _ in range(n)]


def generate_year(year: int, sizes: list[float], rng: random.Random) -> list[dict]:
    """All numeric values of one year for ``len(sizes)`` schools."""
    spec = YEARS[year]
    t, money, m = spec["sums"], spec["money"], spec["means"]
    n = len(sizes)
    size = noisy(sizes, rng, 0.04)
    v: dict[str, list] = {}
    v["students_total"] = allocate(t["students_total"], size)
    students = v["students_total"]
    v["enrollment_new"] = allocate(t["enrollment_new"], noisy(students, rng, 0.08))
    v["majors_count"] = allocate(t["majors_count"], noisy([math.sqrt(s) for s in students], rng, 0.1))
    v["fixed_assets"] = _money(money["fixed_assets"], noisy(students, rng, 0.2))
    v["equipment_value"] = _money(money["equipment_value"], noisy(students, rng, 0.2))
    v["books"] = allocate(t["books"], noisy(students, rng, 0.15))
    v["practice_stations"] = allocate(t["practice_stations"], noisy(students, rng, 0.15))
    fulltime = allocate(t["teachers_fulltime"], noisy(students, rng, 0.08))
    v["teachers_fulltime"] = fulltime
    extra = allocate(t["staff_total"] - t["teachers_fulltime"], noisy(fulltime, rng, 0.1))
    v["staff_total"] = [f + e for f, e in zip(fulltime, extra)]
    v["staff_established"] = allocate(t["staff_established"], noisy(v["staff_total"], rng, 0.03), caps=v["staff_total"])
    v["teachers_professional"] = allocate(t["teachers_professional"], noisy(fulltime, rng, 0.1), caps=fulltime)
    v["teachers_parttime"] = allocate(t["teachers_parttime"], noisy(students, rng, 0.3))
    for codes in (
        ("edu_below_bachelor", "edu_bachelor", "edu_master_plus"),
        ("title_junior_below", "title_intermediate", "title_senior"),
    ):
        for code, column in zip(codes, split(fulltime, [t[c] for c in codes], rng)):
            v[code] = column
    v["teachers_dual"] = fit_ratio_mean(m["teachers_dual_ratio"][0], v["teachers_professional"], rng, 0.08)
    v["graduates"] = allocate(t["graduates"], noisy(students, rng, 0.06))
    v["employed"] = allocate(t["employed"], v["graduates"], caps=v["graduates"])
    v["employed_direct"], v["further_study"] = split(
        v["employed"], [t["employed_direct"], t["further_study"]], rng, 0.35
    )
    for codes in (
        ("industry_primary", "industry_secondary", "industry_tertiary"),
        ("employed_local", "employed_other_province", "employed_abroad"),
    ):
        for code, column in zip(codes, split(v["employed_direct"], [t[c] for c in codes], rng)):
            v[code] = column
    other = t["further_study"] - t["further_study_college"] - t["further_study_bachelor"]
    college, bachelor, _ = split(
        v["further_study"], [t["further_study_college"], t["further_study_bachelor"], other], rng
    )
    v["further_study_college"], v["further_study_bachelor"] = college, bachelor
    v["graduates_dual_cert"] = allocate(t["graduates_dual_cert"], noisy(v["graduates"], rng, 0.05), caps=v["graduates"])
    v["entrepreneurs"] = allocate(t["entrepreneurs"], noisy(v["employed_direct"], rng, 0.5), caps=v["employed_direct"])
    v["coop_enterprises"] = allocate(t["coop_enterprises"], noisy(students, rng, 0.3))
    v["order_classes"] = allocate(t["order_classes"], noisy(students, rng, 0.5))
    v["apprenticeship_students"] = allocate(t["apprenticeship_students"], noisy(students, rng, 0.5))
    v["enterprise_equipment"] = _money(money["enterprise_equipment"], noisy(students, rng, 0.5))
    v["training_sessions"] = allocate(t["training_sessions"], noisy(students, rng, 0.4))
    fits = {
        "pass_rate_culture": (0.02 * 100, 2, 70, 100),
        "pass_rate_skill": (0.02 * 100, 2, 70, 100),
        "pass_rate_fitness": (0.03 * 100, 2, 60, 100),
        "starting_salary": (300, 1, 2000, 8000),
        "employer_satisfaction": (1.2, 1, 85, 100),
    }
    for code, (spread, places, low, high) in fits.items():
        target, how = m[code]
        weights = [float(x) for x in v[how[1]]] if how[0] == "weighted" else [1.0] * n
        v[code] = fit_mean(target, weights, rng, spread, places, low, high)
    return [{code: column[i] for code, column in v.items()} for i in range(n)]


def generate(n_schools: int, years=(2018, 2019, 2020), seed: int = SEED) -> dict[int, list[dict]]:
    rng = random.Random(seed)
    sizes = school_sizes(n_schools, rng)
    return {year: generate_year(year, sizes, rng) for year in years}


NARRATIVE = {
    "text_overview": "{name}现有全日制在校生{students_total}人，开设专业{majors_count}个，"
    "专任教师{teachers_fulltime}人，固定资产总值{fixed_assets}万元。学校坚持立德树人，深化产教融合，办学规模保持稳定。",
    "text_students": "{year}年，学校毕业生{graduates}人，就业（含升学）{employed}人，其中升入高一级学校{further_study}人；"
    "获得“双证书”的毕业生{graduates_dual_cert}人。",
    "text_quality": "学校落实质量年报“三级审核”和责任声明制度，完善教学诊断与改进机制，文化课合格率{pass_rate_culture}%。",
    "text_cooperation": "学校与{coop_enterprises}家企业开展合作，开设订单班{order_classes}个，现代学徒制试点学生{apprenticeship_students}人。",
    "text_contribution": "学校面向社会开展职业培训{training_sessions}人次，直接就业毕业生中{employed_local}人在上海本地就业。",
    "text_government": "举办者按规定足额拨付生均经费，支持学校实训基地建设和教师队伍建设。",
    "text_outlook": "面对产业升级对技术技能人才的新要求，学校专业布局与区域产业的契合度仍需提高，双师型教师队伍建设仍需加强。",
}

CASES = [
    (
        "坚持德技并修，积极探索特色德育模式",
        "学校以礼仪教育为抓手，推进“立形、立心、立人”的“三立教育”，通过德育学分平台强化量化考核。",
    ),
    (
        "深化产教融合，共建产业学院",
        "学校与行业龙头企业共建产业学院，校企共同制定人才培养方案，共建实训基地，共育“双师型”教师。",
    ),
]


def narrative(name: str, year: int, values: dict, index: int) -> dict[str, str]:
    texts = {code: template.format(name=name, year=year, **values) for code, template in NARRATIVE.items()}
    if index % 3 == 0:
        title, body = CASES[index % 2]
        texts["case_1_title"], texts["case_1_body"] = title, body
    return texts
