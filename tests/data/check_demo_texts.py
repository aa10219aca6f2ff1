"""How much of the published 2020 city report the demo's compiled texts carry, subsection by subsection (issue #13).

Plain Python (no Django), for people writing demo narrative, not a test:

    python tests/data/check_demo_texts.py [compiled.yaml cases.yaml ...]

(default: src/dudao/demo/data/compiled_2020.yaml and school_cases_2020.yaml, plus the *_b files when present). For each
subsection key it prints the seed's figures (tests/data/city_report_figures.yaml), which of them are *typed* in the
compiled text and its picked cases, which tokens the text uses, and — simulating the tokens with the 2020 city targets
of spec13 (``TARGETS``) — which figures would still be missing once rendered. Tokens the simulation does not know are
listed as such: their figures count as missing here, though the real report may well carry them.

It also flags what should not be there: a typed figure that looks like an aggregate of school data (it must be a
token), a case picked twice or never, a case whose chapter differs from the key that picks it, a school unknown to
demo/schools.yaml.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from report_figures import canonical, figures_in, normalise  # noqa: E402

DATA = ROOT / "src/dudao/demo/data"
DEFAULT = [DATA / "compiled_2020.yaml", DATA / "school_cases_2020.yaml"]
OPTIONAL = [DATA / "compiled_2020_b.yaml", DATA / "school_cases_2020_b.yaml"]
TOKEN = re.compile(r"\{\{(.*?)\}\}")
PLACEHOLDER = "〔※〕"  # renders no figure, so only typed figures are found

# What each token renders to with the 2020 targets (spec13.md, indicators.yaml), to estimate coverage before the
# lead's renderer exists. Keys are the token's text between the braces.
TARGETS = {
    "fact:schools_published": "71所",
    "fact:districts_published": "16个",
    "fact:publication_deadline": "3月2日",
    "stat_schools": "90所",
    "stat_schools_vocational_high": "23所",
    "stat_schools_specialized": "50所",
    "stat_schools_technical": "7所",
    "stat_schools_adult": "10所",
    "stat_students_wan": "9.6万人",
    "stat_students_wan:delta": "0.3万人",
    "stat_enrollment_wan": "3.4万人",
    "stat_general_enrollment_wan": "5.4万人",
    "stat_voc_enrollment_share:ratio": "4:6",
    "schools": "71所",
    "schools?affiliation=city_bureau": "19所",
    "schools?affiliation=district_bureau": "29所",
    "schools?affiliation=industry": "21所",
    "schools?affiliation=private": "2所",
    "fixed_assets_total": "148.05亿元",
    "fixed_assets_total:change": "比2019年增长5.73%",
    "fixed_assets_per_school": "2.08亿元",
    "fixed_assets_per_student": "15.27万元",
    "fixed_assets_per_student:change": "比2019年增长4.90%",
    "fixed_assets_per_student:change.0": "比2019年增长5%",
    "equipment_total": "53.71亿元",
    "equipment_total:change": "比2019年增长4.22%",
    "equipment_total:change.0": "比2019年增长4%",
    "equipment_per_student": "5.54万元",
    "equipment_per_student:change": "比2019年增长3.39%",
    "books_total": "557.10万册",
    "books_per_student": "57.47册",
    "stations_total_wan~floor2": "8.3万个",
    "stations_per_student": "0.86个",
    "staff": "11057人",
    "staff_established": "10643人",
    "teachers": "7901人",
    "teachers:number": "7901",
    "teachers_professional": "4256人",
    "student_teacher_ratio": "12.3:1",
    "dual_teacher_share": "59.7%",
    "dual_teacher_share:change": "提高1.6个百分点",
    "bachelor_plus_teachers": "7746人",
    "bachelor_plus_share": "98%",
    "bachelor_teachers": "5850人",
    "bachelor_share": "74%",
    "master_teachers": "1896人",
    "master_share": "24%",
    "master_share:change": "提高2个百分点",
    "intermediate_plus_teachers": "5709人",
    "intermediate_plus_share": "72%",
    "intermediate_teachers": "3893人",
    "intermediate_share": "49%",
    "senior_teachers": "1816人",
    "senior_share": "23%",
    "parttime_teachers": "1907人",
    "parttime_technician~round1": "400人",
    "parttime_technician_share~floor2": "20%",
    "parttime_senior_industry~round1": "100人",
    "pass_rate_culture": "92.04%",
    "pass_rate_skill": "92.89%",
    "pass_rate_fitness": "86.47%",
    "dual_cert_rate": "76.8%",
    "contest_ws_gold:number": "2",
    "contest_ws_silver:number": "2",
    "contest_ws_bronze:number": "3",
    "contest_ws_merit:number": "17",
    "contest_nvsc_entrants": "40名",
    "contest_nvsc_second": "5个",
    "contest_nvsc_third": "9个",
    "graduates": "28052人",
    "graduates:number": "28052",
    "employed": "27632人",
    "employment_rate": "98.5%",
    "employed_direct": "6625人",
    "direct_share": "24%",
    "industry_primary_students": "55人",
    "industry_primary_share": "0.8%",
    "industry_secondary_students": "2931人",
    "industry_secondary_share": "44.2%",
    "industry_secondary_share:change": "提高14.7个百分点",
    "industry_tertiary_students": "3639人",
    "industry_tertiary_share": "54.9%",
    "industry_tertiary_share:change": "下降15.3个百分点",
    "starting_salary": "3844.8元",
    "starting_salary:change": "比2019年增长16.4%",
    "salary_3001_4000_share": "44.7%",
    "salary_4001_5000_share.0": "23%",
    "employer_satisfaction": "96.6%",
    "employer_satisfaction~floor2": "96%",
    "entrepreneurs": "29人",
    "entrepreneurs:delta": "4人",
    "entrepreneur_rate": "0.1%",
    "further_study": "21007人",
    "further_study_share": "76%",
    "further_study_share:change": "提高4个百分点",
    "further_college_share": "89.3%",
    "further_bachelor_share": "8.6%",
    "majors_opened": "30个",
    "majors_closed~floor1:number": "100",
    "teacher_enterprise_practice~floor2": "1200人",
    "teacher_enterprise_days_wan~floor1": "5万人日",
    "teacher_training_national~floor1": "500人次",
    "teacher_training_municipal~round2": "7000人次",
    "teacher_training_abroad~floor2:number": "160",
    "coop_per_school": "37家",
    "fortune500_per_school": "3家",
    "apprenticeship_majors": "38个",
}

# Words that, just before a typed figure, suggest an aggregate of school data (校均, 生均, totals, rates, shares).
AGGREGATE_HINTS = re.compile(
    r"(校均|生均|平均|总数|总额|总值|合计|共有|占比|比例|合格率|获取率|就业率|满意度|毕业生|在校生|招生|教职工|"
    r"专任教师|兼职教师|增长|提高|下降|减少|增加)[^。；，]{0,6}$"
)


def load(paths: list[Path]) -> tuple[dict, dict]:
    chapters, cases = {}, {}
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, chapter in (data.get("chapters") or {}).items():
            chapters.setdefault(str(key), []).extend(chapter.get("parts") or [])
        for case in data.get("cases") or []:
            if case["code"] in cases:
                print(f"!! duplicate case code {case['code']}")
            cases[case["code"]] = case
    return chapters, cases


def expected_figures() -> dict[str, list[dict]]:
    data = yaml.safe_load((ROOT / "tests/data/city_report_figures.yaml").read_text(encoding="utf-8"))
    by_key: dict[str, list[dict]] = {}
    for fig in data["figures"]:
        key = fig["subsection"] or str(fig["chapter"])
        by_key.setdefault(key, []).append(fig)
    return by_key


def keys(text: str) -> Counter:
    return Counter((canonical(f.value), f.unit) for f in figures_in(text))


def school_names() -> set[str]:
    data = yaml.safe_load((ROOT / "src/dudao/demo/schools.yaml").read_text(encoding="utf-8"))
    return {s["name"] for schools in data.values() for s in schools}


def main(argv: list[str]) -> int:
    paths = [Path(p) for p in argv] or DEFAULT + [p for p in OPTIONAL if p.exists()]
    chapters, cases = load(paths)
    expected = expected_figures()
    names = school_names()
    picked = Counter()
    problems = []
    total = typed_total = simulated_total = 0

    for key in sorted(chapters, key=lambda k: [int(x) for x in k.split(".")]):
        texts = []
        for part in chapters[key]:
            texts.append(part.get("text") or "")
            for code in part.get("cases") or []:
                picked[code] += 1
                case = cases.get(code)
                if case is None:
                    problems.append(f"{key}: unknown case {code}")
                    continue
                if str(case.get("chapter")) != key:
                    problems.append(f"{key}: case {code} is of chapter {case.get('chapter')}")
                texts.append(f"{case['title']}\n{case['body']}")
        text = "\n".join(texts)
        tokens = TOKEN.findall(text)
        typed_text = TOKEN.sub(PLACEHOLDER, text)
        simulated_text = TOKEN.sub(lambda m: TARGETS.get(m.group(1), PLACEHOLDER), text)
        typed, simulated = keys(typed_text), keys(simulated_text)
        want = expected.get(key, [])
        want_keys = [(canonical(str(f["value"])), f["unit"]) for f in want]
        typed_hits = [k for k in want_keys if k in typed]
        sim_missing = [f for f, k in zip(want, want_keys) if k not in simulated]
        total += len(want)
        typed_total += len(typed_hits)
        simulated_total += len(want) - len(sim_missing)
        print(
            f"== {key}: {len(want)} seed figures; typed {len(typed_hits)}; "
            f"with tokens simulated {len(want) - len(sim_missing)}"
        )
        print("   typed:  " + " ".join(v + u for v, u in typed_hits))
        print("   tokens: " + " ".join(sorted(set(tokens))))
        unknown = sorted({t for t in tokens if t not in TARGETS})
        if unknown:
            print("   tokens not simulated: " + " ".join(unknown))
        if sim_missing:
            print("   MISSING: " + " | ".join(f"{f['value']}{f['unit']} ({f['context']})" for f in sim_missing))
        norm = normalise(typed_text)
        for fig in figures_in(typed_text):
            if AGGREGATE_HINTS.search(norm[max(0, fig.start - 14) : fig.start]):
                problems.append(f"{key}: typed figure looks aggregate: …{norm[max(0, fig.start - 14) : fig.end]}")

    for code, case in cases.items():
        if case["school"] not in names:
            problems.append(f"case {code}: school {case['school']} not in demo/schools.yaml")
        if picked[code] != 1:
            problems.append(f"case {code} picked {picked[code]} times")
    print(
        f"\nchapters checked: {total} seed figures; typed {typed_total}; with tokens simulated {simulated_total} "
        f"({simulated_total / max(total, 1):.0%})"
    )
    print("\nflags (review; aggregates must be tokens):" if problems else "\nno flags")
    for p in problems:
        print("  - " + p)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
