"""Check the compilers' demo texts for chapters 5–9 of the 2020 city report against the seed's figures (issue #13).

Run from the repository root:

    python tests/data/check_demo_texts_b.py

Reads ``src/dudao/demo/data/compiled_2020_b.yaml`` (chapter texts), ``school_cases_2020_b.yaml`` (the cases they pick)
and ``tests/data/city_report_figures.yaml`` (the seed's figures). For every seed subsection of chapters 5–9 it prints
the seed's figures and how our text carries each one: typed, through a token (previewed with the values the demo is
meant to produce — the targets of spec13), or not at all; then the tokens used. It flags what a person should look at:

- typed figures that look like sums of school data (said of 全市/各中职学校, or equal to a token's target) — those
  must be tokens, since the report is to compute them from the schools' data;
- token codes that are neither in ``catalog/indicators.yaml`` nor among the codes spec13 announces;
- cases picked but not written, written but not picked, picked under another chapter, or naming a school that is not
  a demo school; free-chapter parts whose title is not the seed's subsection title;
- runs of text shared with the seed longer than :data:`COPY_RUN` characters (the texts must be our own words; titles
  of documents and programmes in 《》 and “”, and enumerations of names, are left out of the comparison).

Coverage is reported as the coverage test measures it: per seed chapter (the extractor lists a figure once per
chapter). The exit status is 1 when a token is unknown or a case reference is broken, else 0.
"""

from __future__ import annotations

import re
import sys
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.report_figures import canonical, figures_in, normalise  # noqa: E402

DATA = ROOT / "src" / "dudao" / "demo" / "data"
COMPILED = DATA / "compiled_2020_b.yaml"
CASES = DATA / "school_cases_2020_b.yaml"
SCHOOLS = ROOT / "src" / "dudao" / "demo" / "schools.yaml"
CATALOG = ROOT / "src" / "dudao" / "catalog" / "indicators.yaml"
FIGURES = ROOT / "tests" / "data" / "city_report_figures.yaml"
SEED = ROOT / "tests" / "data" / "vocational_quality_report_2020.txt"
CHAPTERS = (5, 6, 7, 8, 9)
COPY_RUN = 30

# Codes spec13 announces (catalog/indicators.yaml gets them with the school elements), plus the one these texts
# propose: community_service_days_wan (社区活动服务日次, 万日次 — "近5万日次" in 5.4 has no code in spec13).
SPEC_CODES = set(
    """students_wan enrollment_wan majors majors_opened majors_closed staff_established teachers_professional
    bachelor_plus_teachers bachelor_teachers bachelor_share master_teachers intermediate_plus_teachers
    intermediate_teachers intermediate_share senior_teachers parttime_technician parttime_technician_share
    parttime_senior_industry stations_total_wan contest_ws_gold contest_ws_silver contest_ws_bronze contest_ws_merit
    contest_nvsc_entrants contest_nvsc_second contest_nvsc_third certificates_1x entrepreneur_rate
    salary_3001_4000_share salary_4001_5000_share employed_local employed_other_province other_province_share
    employed_abroad abroad_share teacher_enterprise_practice teacher_enterprise_days_wan teacher_training_national
    teacher_training_municipal teacher_training_abroad coop_per_school fortune500_per_school apprenticeship_majors
    internship_bases enterprise_investment volunteer_times volunteer_hours skill_test_stations skill_tests_wan
    training_centers_national training_centers_city training_sessions_wan training_income national_scholarship
    fee_waiver_students fee_waiver_amount grant_students grant_amount party_branches party_members stat_schools
    stat_schools_vocational_high stat_schools_specialized stat_schools_technical stat_schools_adult
    stat_students_wan stat_enrollment_wan stat_general_enrollment_wan stat_voc_enrollment_share budget_per_student
    budget_operating_per_student budget_public_per_student""".split()
)
PROPOSED_CODES = {"community_service_days_wan"}

# Values the demo is meant to produce (spec13's targets; a value inside the stated range where it gives one), used
# only to preview what a token will read. (value, unit, decimals, previous year's value or None)
PREVIEW = {
    "employed_local": ("5263", "人", 0, None),
    "local_share": ("79.4", "%", 1, None),
    "employed_other_province": ("1228", "人", 0, None),
    "other_province_share": ("18.5", "%", 1, None),
    "employed_abroad": ("134", "人", 0, None),
    "abroad_share": ("2.0", "%", 1, None),
    "community_service_days_wan": ("4.8", "万日次", 1, None),
    "volunteer_times": ("51377", "人次", 0, None),
    "volunteer_hours": ("319713.63", "课时", 2, None),
    "skill_test_stations": ("73", "个", 0, None),
    "skill_tests_wan": ("10.3", "万人次", 1, None),
    "training_centers_national": ("19", "个", 0, None),
    "training_centers_city": ("71", "个", 0, None),
    "training_sessions_wan": ("14.2", "万人次", 1, None),
    "training_income": ("4035", "万元", 0, None),
    "budget_per_student": ("60507.94", "元", 2, "56146.03"),
    "budget_operating_per_student": ("34682.39", "元", 2, "30035.26"),
    "budget_public_per_student": ("10489.13", "元", 2, "11250.53"),
    "national_scholarship": ("127", "名", 0, None),
    # not in the seed's chapters 5–9: any plausible value
    "fee_waiver_students": ("61000", "人", 0, None),
    "fee_waiver_amount": ("40000", "万元", 0, None),
    "grant_students": ("3900", "人", 0, None),
    "grant_amount": ("780", "万元", 0, None),
    "party_branches": ("620", "个", 0, None),
    "party_members": ("6800", "名", 0, None),
    "schools": ("9", "所", 0, None),
    "students": ("12000", "人", 0, None),
}

# The codes whose preview is a figure of the seed (the others above are only plausible values).
SEED_TARGETS = [
    c
    for c in PREVIEW
    if c
    not in {
        "fee_waiver_students",
        "fee_waiver_amount",
        "grant_students",
        "grant_amount",
        "party_branches",
        "party_members",
        "schools",
        "students",
    }
]

# Typed figures said of the schools as a whole: "全市中职学校…", "各中职学校…" within this many characters before.
AGGREGATE_HINT = re.compile(r"(全市中职学校|上海中职学校|各中职学校|中职学校共|各校|全市中职)")
HINT_REACH = 40

TOKEN = re.compile(r"\{\{([^{}]+)\}\}")
CODE = re.compile(r"^(fact:[A-Za-z_]+|[a-z][a-z0-9_]*)")
OPTION = re.compile(r"(@\d+|#\d+|\?[a-z_]+=[a-z_]+|:(?:change|prev|delta|number|ratio)|~(?:floor|round)\d|\.\d)")


def parse_token(body: str) -> tuple[str, list[str], str]:
    """(code, options, what is left over — "" when the token is well formed)."""
    m = CODE.match(body)
    if not m:
        return "", [], body
    rest, options = body[m.end() :], []
    while rest:
        o = OPTION.match(rest)
        if not o:
            break
        options.append(o.group(0))
        rest = rest[o.end() :]
    return m.group(1), options, rest


def _significant(value: Decimal, digits: int, rounding) -> Decimal:
    if value == 0:
        return value
    exponent = value.adjusted() - digits + 1
    return value.scaleb(-exponent).quantize(Decimal(1), rounding=rounding).scaleb(exponent)


def _show(value: Decimal, decimals: int) -> str:
    return f"{value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP):f}"


def preview(body: str) -> str | None:
    """What the token ``{{body}}`` should read, from :data:`PREVIEW`; None when there is no preview value."""
    code, options, _ = parse_token(body)
    if code not in PREVIEW:
        return None
    raw, unit, decimals, prev = PREVIEW[code]
    value = Decimal(raw)
    if ":prev" in options:
        if prev is None:
            return None
        value = Decimal(prev)
    if ":change" in options:
        if prev is None:
            return None
        pct = (Decimal(raw) - Decimal(prev)) / Decimal(prev) * 100
        verb = "增长" if pct >= 0 else "下降"
        return f"比2019年{verb}{_show(abs(pct), 2)}%"
    for o in options:
        if o.startswith("~"):
            digits = int(o[-1])
            value = _significant(value, digits, ROUND_DOWN if "floor" in o else ROUND_HALF_UP)
            decimals = max(0, -value.normalize().as_tuple().exponent)
        elif o.startswith("."):
            decimals = int(o[1:])
    text = _show(value, decimals)
    return text if ":number" in options else text + unit


def render(text: str) -> str:
    return TOKEN.sub(lambda m: preview(m.group(1)) or "〔?〕", text)


def strip_tokens(text: str) -> str:
    return TOKEN.sub("〔T〕", text)


def key_set(text: str) -> set[tuple[str, str]]:
    return {(canonical(f.value), f.unit) for f in figures_in(text)}


def load():
    compiled = yaml.safe_load(COMPILED.read_text(encoding="utf-8"))["chapters"]
    cases_doc = yaml.safe_load(CASES.read_text(encoding="utf-8"))
    figures = yaml.safe_load(FIGURES.read_text(encoding="utf-8"))
    schools = {s["name"] for group in yaml.safe_load(SCHOOLS.read_text(encoding="utf-8")).values() for s in group}
    catalog = {i["code"] for i in yaml.safe_load(CATALOG.read_text(encoding="utf-8"))["indicators"]}
    return compiled, cases_doc, figures, schools, catalog


def seed_subsection(key: str, part: dict, subsection_titles: dict[str, str]) -> str | None:
    """The seed subsection a part fills: its key ("5.1"), or for a free chapter the seed subsection with its title."""
    if "." in key:
        return key
    for number, title in subsection_titles.items():
        if number.startswith(key + ".") and normalise(title) == normalise(part["title"]):
            return number
    return None


def shared_runs(text: str, seed: str, length: int) -> list[str]:
    """Runs of at least ``length`` characters of ``text`` also in ``seed`` (both normalised, quoted names removed)."""

    def plain(s: str) -> str:
        return re.sub(r"《[^》]*》|“[^”]*”|（[^）]*）", "", normalise(s))

    text, seed = plain(text), plain(seed)
    runs, i = [], 0
    while i + length <= len(text):
        if text[i : i + length] in seed:
            j = i + length
            while j < len(text) and text[i : j + 1] in seed:
                j += 1
            if text[i:j].count("、") < 3:  # an enumeration of names is a fact, not wording
                runs.append(text[i:j])
            i = j
        else:
            i += 1
    return runs


def main() -> int:
    compiled, cases_doc, figures, schools, catalog = load()
    cases = {c["code"]: c for c in cases_doc.get("cases", []) + cases_doc.get("district_cases", [])}
    seed_text = SEED.read_text(encoding="utf-8") if SEED.exists() else ""
    titles = figures["subsections"]
    errors: list[str] = []
    notes: list[str] = []

    for c in cases_doc.get("cases", []):
        if c["school"] not in schools:
            errors.append(f"案例 {c['code']}: 学校“{c['school']}”不在 demo/schools.yaml")
    used_cases: set[str] = set()

    # text per seed subsection: (typed text, rendered text, tokens, from cases?)
    texts: dict[str, list[tuple[str, str, str]]] = {}  # subsection -> [(origin, raw, rendered)]
    for key, chapter in compiled.items():
        for part in chapter["parts"]:
            sub = seed_subsection(key, part, titles)
            if sub is None:
                errors.append(f"{key}: 部分标题“{part['title']}”不是样本报告的小节标题")
                continue
            if "." in key and part["title"]:
                errors.append(f"{key}: 固定小节的部分不应有标题")
            bucket = texts.setdefault(sub, [])
            bucket.append(("text", part["text"], render(part["text"])))
            for code in part.get("cases", []):
                used_cases.add(code)
                case = cases.get(code)
                if case is None:
                    errors.append(f"{key}: 引用的案例 {code} 不存在")
                    continue
                if str(case["chapter"]) != key:
                    errors.append(f"{key}: 案例 {code} 的 chapter 是 {case['chapter']}")
                bucket.append((f"case {code}", case["body"], render(case["body"])))
    for code in cases:
        if code not in used_cases:
            errors.append(f"案例 {code} 没有被任何部分选用")

    by_chapter_found: dict[int, int] = {}
    by_chapter_total: dict[int, int] = {}
    chapter_keys: dict[int, set[tuple[str, str]]] = {}
    for sub, items in texts.items():
        chapter_keys.setdefault(int(sub.split(".")[0]), set()).update(
            k for _, _, rendered in items for k in key_set(rendered)
        )

    for number in CHAPTERS:
        print(f"\n=== {number} {figures['chapters'][number]}")
        subs = sorted(
            {f["subsection"] for f in figures["figures"] if f["chapter"] == number}
            | {s for s in texts if s.startswith(f"{number}.")},
            key=lambda s: [int(x) for x in s.split(".")],
        )
        for sub in subs:
            items = texts.get(sub, [])
            typed = set().union(*(key_set(strip_tokens(raw)) for _, raw, _ in items)) if items else set()
            rendered = set().union(*(key_set(r) for _, _, r in items)) if items else set()
            tokens = [m.group(1) for _, raw, _ in items for m in TOKEN.finditer(raw)]
            print(f"\n--- {sub} {titles.get(sub, '')}")
            for f in (f for f in figures["figures"] if f["chapter"] == number and f["subsection"] == sub):
                k = (canonical(str(f["value"])), f["unit"])
                by_chapter_total[number] = by_chapter_total.get(number, 0) + 1
                if k in typed:
                    how = "typed"
                elif k in rendered:
                    how = "token"
                elif k in chapter_keys.get(number, set()):
                    how = "other subsection"
                else:
                    how = "MISSING"
                if how != "MISSING":
                    by_chapter_found[number] = by_chapter_found.get(number, 0) + 1
                print(f"  {how:16} {f['value']}{f['unit']}   ({f['context']})")
            if tokens:
                print("  tokens: " + ", ".join(f"{{{{{t}}}}} → {preview(t) or '?'}" for t in tokens))
            for origin, raw, _ in items:
                for m in TOKEN.finditer(raw):
                    code, _, rest = parse_token(m.group(1))
                    if rest:
                        errors.append(f"{sub} {origin}: 记号 {{{{{m.group(1)}}}}} 有无法识别的选项“{rest}”")
                    if not code.startswith("fact:") and code not in catalog | SPEC_CODES:
                        if code in PROPOSED_CODES:
                            notes.append(f"{sub} {origin}: 记号 {code} 是本文提议的新指标，须加入指标目录")
                        else:
                            errors.append(f"{sub} {origin}: 未知指标代码 {code}")
                if seed_text:
                    for run in shared_runs(raw, seed_text, COPY_RUN):
                        notes.append(f"{sub} {origin}: 与样本报告连续相同 {len(run)} 字：{run}")
                if origin != "text":
                    continue
                flat = normalise(strip_tokens(raw))
                targets = {(canonical(PREVIEW[c][0]), PREVIEW[c][1]) for c in SEED_TARGETS}
                for fig in figures_in(strip_tokens(raw)):
                    before = flat[max(0, fig.start - HINT_REACH) : fig.start]
                    sentence = re.split(r"[。；]", before)[-1]
                    if AGGREGATE_HINT.search(sentence) or (canonical(fig.value), fig.unit) in targets:
                        notes.append(
                            f"{sub}: 手写数字 {fig.value}{fig.unit} 看似学校数据的汇总，请确认"
                            f"（……{sentence[-20:]}{fig.value}{fig.unit}）"
                        )

    print("\n=== 覆盖（按章，与覆盖测试同）")
    total_found = total = 0
    for number in CHAPTERS:
        found, n = by_chapter_found.get(number, 0), by_chapter_total.get(number, 0)
        total_found, total = total_found + found, total + n
        print(f"  {number} {figures['chapters'][number]}: {found}/{n}")
    print(f"  合计 {total_found}/{total} = {100 * total_found / max(total, 1):.1f}%")

    if notes:
        print("\n=== 请人工确认")
        for n in notes:
            print("  " + n)
    if errors:
        print("\n=== 错误")
        for e in errors:
            print("  " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
