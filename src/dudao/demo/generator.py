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

from .figures import EXTRA, FIELDS, YEARS

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


def field_profiles(n: int, rng: random.Random) -> list[list[float]]:
    """Per school, weights over the eight 专业大类: one or two fields dominate (a 财经 school, a 卫校 …), the rest thin,
    stable across years so a school's mix of majors does not jump."""
    profiles = []
    for _ in range(n):
        weights = [0.05 + 0.15 * rng.random() for _ in FIELDS]
        for main in rng.sample(range(len(FIELDS)), rng.choice((1, 2, 2, 3))):
            weights[main] += 1.0 + rng.random()
        profiles.append(weights)
    return profiles


def split_by_profile(parents: list[int], totals: list[int], profiles: list[list[float]]) -> list[list[int]]:
    """Like :func:`split`, but school ``i`` leans to its own profile: each column is allocated in proportion to the
    school's expected share of what it has left, so the last column (其他) is not a dumping ground."""
    if sum(parents) != sum(totals):
        raise ValueError("parts must add up to the parent total")
    remaining = list(parents)
    columns = []
    for k, total in enumerate(totals[:-1]):
        weights = [r * p[k] / sum(p[k:]) for r, p in zip(remaining, profiles)]
        column = allocate(total, weights, caps=remaining)
        remaining = [r - c for r, c in zip(remaining, column)]
        columns.append(column)
    columns.append(remaining)
    return columns


def _concentrated(total: int, weights: list[float], rng: random.Random, caps: list[int] | None = None) -> list[int]:
    """Small counts (medals, centres) go to a few schools, not a unit to each: draw ``total`` units one by one with
    probability ∝ weight, within caps."""
    caps = caps if caps is not None else [total] * len(weights)
    result = [0] * len(weights)
    for _ in range(total):
        open_ = [i for i in range(len(weights)) if result[i] < caps[i] and weights[i] > 0]
        if not open_:
            raise ValueError("no school can take another unit")
        pick = rng.choices(open_, weights=[weights[i] for i in open_])[0]
        result[pick] += 1
    return result


def generate_extra(year: int, rows: list[dict], sizes: list[float], profiles, rng: random.Random) -> None:
    """The issue #13 inputs (figures.EXTRA) for one year, added to ``rows`` in place, inside the data set's rules."""
    spec = EXTRA[year]
    t, money = spec["sums"], spec["money"]
    n = len(rows)

    def col(code):
        return [r[code] for r in rows]

    v: dict[str, list] = {}
    students, graduates, fulltime = col("students_total"), col("graduates"), col("teachers_fulltime")
    parttime, majors, direct = col("teachers_parttime"), col("majors_count"), col("employed_direct")
    for prefix, parents in (("students", students), ("graduates", graduates)):
        codes = [f"{prefix}_{f}" for f in FIELDS]
        for code, column in zip(codes, split_by_profile(parents, [t[c] for c in codes], profiles)):
            v[code] = column
    v["majors_opened"] = allocate(t["majors_opened"], noisy(majors, rng, 0.6), caps=majors)
    v["majors_closed"] = _concentrated(t["majors_closed"], [float(m) for m in majors], rng)
    # 贯通: about three schools in four run such programmes (the same ones every year)
    through = [s if i % 4 != 3 else 0 for i, s in enumerate(students)]
    v["students_integrated"] = allocate(t["students_integrated"], noisy(through, rng, 0.3), caps=students)
    v["students_other_province"] = allocate(
        t["students_other_province"], noisy(students, rng, 0.5), caps=[s // 2 for s in students]
    )
    v["parttime_technician"] = allocate(t["parttime_technician"], noisy(parttime, rng, 0.2), caps=parttime)
    v["parttime_senior_industry"] = allocate(
        t["parttime_senior_industry"],
        noisy(parttime, rng, 0.4),
        caps=[p - q for p, q in zip(parttime, v["parttime_technician"])],
    )
    v["teacher_practice_count"] = allocate(t["teacher_practice_count"], noisy(fulltime, rng, 0.3), caps=fulltime)
    count = v["teacher_practice_count"]
    v["teacher_practice_days"] = [
        c + e for c, e in zip(count, allocate(t["teacher_practice_days"] - sum(count), noisy(count, rng, 0.2)))
    ]
    for code in ("teacher_training_national", "teacher_training_municipal", "teacher_training_abroad"):
        v[code] = allocate(t[code], noisy(fulltime, rng, 0.4))
    v["certificates_1x"] = allocate(t["certificates_1x"], noisy(students, rng, 0.6), caps=students)
    base = _concentrated(t["worldskills_base"], sizes, random.Random(SEED + 3), caps=[1] * n)  # same schools each year
    v["worldskills_base"] = base
    contenders = [s * (4 if b else 0.2) for s, b in zip(sizes, base)]
    for code in (
        "contest_ws_gold", "contest_ws_silver", "contest_ws_bronze", "contest_ws_merit",
        "contest_ws_integrated_gold", "contest_ws_integrated_silver", "contest_ws_integrated_bronze",
        "contest_ws_integrated_merit", "contest_nvsc_entrants",
    ):  # fmt: skip
        weights = contenders if "integrated" not in code else [c if i else 0 for c, i in zip(contenders, through)]
        v[code] = _concentrated(t[code], weights, rng)
    entrants = v["contest_nvsc_entrants"]
    prizes = split(entrants, [t["contest_nvsc_first"], t["contest_nvsc_second"], t["contest_nvsc_third"],
                              sum(entrants) - t["contest_nvsc_first"] - t["contest_nvsc_second"] - t["contest_nvsc_third"]],
                   rng, 0.5)  # fmt: skip
    v["contest_nvsc_first"], v["contest_nvsc_second"], v["contest_nvsc_third"] = prizes[:3]
    rest = sum(direct) - t["salary_3001_4000"] - t["salary_4001_5000"]
    bands = split(direct, [t["salary_3001_4000"], t["salary_4001_5000"], rest], rng, 0.3)
    v["salary_3001_4000"], v["salary_4001_5000"] = bands[0], bands[1]
    coop = col("coop_enterprises")
    v["fortune500_partners"] = allocate(t["fortune500_partners"], noisy(coop, rng, 0.5), caps=[c // 3 for c in coop])
    v["apprenticeship_majors"] = _concentrated(t["apprenticeship_majors"], [float(m) for m in majors], rng, caps=majors)
    v["internship_bases"] = allocate(t["internship_bases"], noisy(coop, rng, 0.3))
    v["volunteer_times"] = allocate(t["volunteer_times"], noisy(students, rng, 0.3))
    # a stream of its own, so adding this input left every earlier value of the demo as it was
    own = random.Random(SEED + year * 7)
    v["community_service_days"] = allocate(t["community_service_days"], noisy(students, own, 0.3))
    v["skill_test_stations"] = _concentrated(t["skill_test_stations"], sizes, rng, caps=[3] * n)
    stations = v["skill_test_stations"]
    v["skill_tests"] = allocate(t["skill_tests"], noisy([s * x for s, x in zip(stations, students)], rng, 0.3))
    v["training_centers_national"] = _concentrated(t["training_centers_national"], sizes, rng, caps=[1] * n)
    v["training_centers_city"] = _concentrated(t["training_centers_city"], sizes, rng, caps=[3] * n)
    v["national_scholarship"] = allocate(t["national_scholarship"], noisy(students, rng, 0.3), caps=students)
    v["fee_waiver_students"] = allocate(
        t["fee_waiver_students"], noisy(students, rng, 0.05), caps=[s * 95 // 100 for s in students]
    )
    v["grant_students"] = allocate(t["grant_students"], noisy(students, rng, 0.4), caps=[s // 4 for s in students])
    v["party_branches"] = allocate(t["party_branches"], noisy(col("staff_total"), rng, 0.2))
    v["party_members"] = allocate(t["party_members"], noisy(col("staff_total"), rng, 0.15), caps=col("staff_total"))
    v["enterprise_investment"] = _money(money["enterprise_investment"], noisy(coop, rng, 0.6))
    v["volunteer_hours"] = _money(money["volunteer_hours"], noisy(v["volunteer_times"], rng, 0.2))
    v["training_income"] = _money(money["training_income"], noisy(col("training_sessions"), rng, 0.3))
    v["fee_waiver_amount"] = _money(money["fee_waiver_amount"], [float(x) for x in v["fee_waiver_students"]])
    v["grant_amount"] = _money(money["grant_amount"], [float(x) for x in v["grant_students"]])
    v["income_total"] = _money(money["income_total"], noisy(students, rng, 0.15))
    v["expenditure_total"] = [_round(x * Decimal(str(0.93 + 0.05 * rng.random())), 2) for x in v["income_total"]]
    scale = money["expenditure_total"] / sum(v["expenditure_total"], Decimal(0))
    v["expenditure_total"] = _money(money["expenditure_total"], [float(x * scale) for x in v["expenditure_total"]])
    for i, row in enumerate(rows):
        row.update({code: column[i] for code, column in v.items()})


def generate(n_schools: int, years=(2018, 2019, 2020), seed: int = SEED) -> dict[int, list[dict]]:
    rng = random.Random(seed)
    sizes = school_sizes(n_schools, rng)
    data = {year: generate_year(year, sizes, rng) for year in years}
    # a separate stream, so the values above stay the ones the earlier demo had
    extra = random.Random(seed + 13)
    profiles = field_profiles(n_schools, extra)
    for year in years:
        generate_extra(year, data[year], sizes, profiles, extra)
    return data
