"""The 工作年报's 基本情况 chapter (dudao.statistics.overview): the wording rules on hand-computed figures, and the
demo's 2020 chapter against the figures of the seed report's chapter 一 (../shared/seeds/annual_report_2020.txt)."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal

import pytest
from django.urls import reverse

from dudao.statistics import overview

pytestmark = pytest.mark.django_db

# The 108 figures of the seed report's chapter 一 (2020 年上海教育事业发展基本情况), in its order, years left out:
# basic education; vocational; higher; training and other; funding.
SEED_CHAPTER_ONE = """
3255 1678 8 684 14 850 8 31 12 207.26 57.15 0.04% 86.10 4.20% 46.81 3.40% 16.64 4.39% 0.50 4.17% 0.07 23.07 17.10
4.40 6.15 4.47 1.90 0.14 0.03
79 23 50 6 8.99 3.81% 2.01 6.03 0.95 1.14 0.80 0.28 0.46 0.05 10 1.48 0.02 0.01
63 14 54.07 2.68% 40.00 2.22% 14.07 3.99% 13.67 13.82 49 21.59 4.26 17.33 15.32 3.30% 10.24 4.17% 5.08 1.60% 13.56
7.50 1.13 6.37 5.22 5.14 12.23% 3.64 10.30% 1.50 18.11% 3.97 5.27 1.68% 4.81 7.90 4.77 4.28 0.49
807 169 227 176 27 149 157 19 38 29000 3.88 2.42 1.7% 10130 2548 7582
1093.8 2.72% 257.4 0.17% 836.4 3.54%
""".split()
WORDS = {"year": "2020", "org": "上海市", "scope": "全市", "here": "本市"}


def chapter_of(paragraphs, changes=None):
    spec = overview.spec()
    return {**spec, "paragraphs": paragraphs, "changes": changes or spec["changes"]}


def test_change_is_percent_on_last_year_half_up_and_worded():
    # 861 000 on 826 290: 34 710 / 826 290 = 4.20071…% → 4.20
    assert overview.format_change(Decimal(861000), Decimal(826290), overview.spec()["changes"]["change"]) == (
        "，比上年增加4.20%"
    )
    # 52 700 on 53 600: −900 / 53 600 = −1.6791…% → 减少 1.68%
    assert overview.format_change(Decimal(52700), Decimal(53600), overview.spec()["changes"]["change"]) == (
        "，比上年减少1.68%"
    )
    # a change that rounds to 0.00% is 持平, never "增加0.00%"
    assert overview.format_change(Decimal(100001), Decimal(100000), overview.spec()["changes"]["change"]) == (
        "，与上年持平"
    )
    # no year before: nothing at all
    assert overview.format_change(Decimal(5), None, overview.spec()["changes"]["change"]) == ""


def test_school_counts_change_by_difference_in_their_unit():
    chapter = chapter_of([[{"head": "小学{s:所}{s:diff}"}]])
    assert overview.render(chapter, {"s": Decimal(684)}, {"s": Decimal(698)}, WORDS) == ["小学684所，比上年减少14所。"]


def test_wan_has_two_decimals_half_up():
    chapter = chapter_of([[{"head": "幼儿园{k:万人}"}]])
    # 571 450 / 10 000 = 57.145 → 57.15 (half-up, where round() would give 57.14)
    assert overview.render(chapter, {"k": Decimal(571450)}, {}, WORDS) == ["幼儿园57.15万人。"]


def test_missing_part_is_left_out_and_missing_head_drops_the_sentence():
    chapter = chapter_of(
        [
            [
                {"head": "{scope}共有学校{a:所}", "lead": "其中：", "sep": "；", "parts": ["甲{a:所}", "乙{b:所}"]},
                {"head": "在校生{c:万人}"},
            ],
            [{"head": "预算{d:亿元}"}],
        ]
    )
    words = {**WORDS, "scope": "全区"}
    assert overview.render(chapter, {"a": Decimal(3)}, {}, words) == ["全区共有学校3所，其中：甲3所。"]


def test_totals_are_computed_from_their_parts():
    chapter = chapter_of([[{"head": "共有{sv_schools:所}{sv_schools:diff}"}]])
    now = {"stat_sv_schools_high": Decimal(23), "stat_sv_schools_specialized": Decimal(50)}
    now["stat_sv_schools_technical"] = Decimal(6)
    before = {**now, "stat_sv_schools_technical": Decimal(9)}
    # 23 + 50 + 6 = 79; 23 + 50 + 9 = 82 → 减少 3 所
    assert overview.render(chapter, now, before, WORDS) == ["共有79所，比上年减少3所。"]


def figures(text: str) -> Counter[str]:
    """The figures of a text: numbers (with their % sign) that are not years (a number followed by 年)."""
    flat = re.sub(r"\s+", "", text)
    return Counter(m.group(1) for m in re.finditer(r"(\d+(?:\.\d+)?%?)(?!\d|\.\d|年)", flat))


def test_demo_2020_chapter_carries_nine_tenths_of_the_seed_chapter_one_figures(demo):
    """Each figure counts as often as the seed states it (8 所 twice, 4.17% twice …). One cannot be carried: the
    seed's 成人本专科招生 +12.23% does not follow from its own parts (本科 +10.30%, 专科 +18.11% give +12.47%)."""
    from dudao.orgs import selectors as orgs

    expected = Counter(SEED_CHAPTER_ONE)
    assert sum(expected.values()) == 108
    text = "".join(overview.paragraphs("2020", orgs.city()))
    found = figures(text)
    carried = sum(min(n, found[f]) for f, n in expected.items())
    missing = expected - found
    assert carried / sum(expected.values()) >= 0.9, f"missing: {sorted(missing.elements())}"


def test_demo_2019_chapter_has_no_change_on_a_year_without_statistics(demo):
    from dudao.orgs import selectors as orgs

    text = "".join(overview.paragraphs("2019", orgs.city()))
    assert "全市共有幼儿园、普通中小学、特殊教育学校及工读学校3253所" in text  # 1670 + 698 + 842 + 31 + 12
    assert "比上年" not in text  # the demo has no 2018 statistics


def test_a_unit_without_statistics_has_no_chapter(demo):
    from dudao.orgs import selectors as orgs

    district = orgs.districts()[0]
    assert overview.paragraphs("2020", district) == []
    assert overview.paragraphs("1999", orgs.city()) == []


# The 37 figures of the seed report's chapter 六 (深化教育教学改革，推进职业教育内涵发展), in its order, years left out
# ("1+X" counts its 1; "近3万" its 3; 第46届 its 46).
SEED_CHAPTER_SIX = """
3 30 1 78 600 3 15 33 5 5 13 100 2000 20 132 40 51.8% 13 46 64 6 185 525 145 21 16 40 18 5 9 5 2 1 1 7 1 46
""".split()


def test_demo_2020_work_report_carries_nine_tenths_of_the_seed_chapter_six_figures(demo):
    """The demo's offices filed and their heads approved a year-end account for each of the 54 tasks of the 2020
    vocational plan; the compiled 工作年报 (chapter 一 from the statistics, one chapter per plan section, no annex)
    carries the seed chapter 六's figures in its plan chapters."""
    from dudao.collection.campaigns import yearly_period
    from dudao.compiling import workreport
    from dudao.orgs import selectors as orgs
    from dudao.plans.models import Plan

    plan = Plan.objects.get(year=2020)
    report = workreport.build(plan, orgs.city(), yearly_period(2020))
    chapters = [s.title for s in report.sections if s.level == 1]
    assert chapters == [
        "一、基本情况",
        "二、充分重视新冠肺炎疫情防控和开学准备工作",
        "三、中等职业教育部分",
        "四、高等职业教育部分",
    ]
    assert "共54项任务，54项已交账，0项未交账" in report.sources_sentence
    plan_text = "".join(
        block.text
        for section in report.sections
        if not section.title.startswith("一、")
        for block in section.blocks
        if hasattr(block, "text")
    )
    expected, found = Counter(SEED_CHAPTER_SIX), figures(plan_text)
    assert sum(expected.values()) == 37
    carried = sum(min(n, found[f]) for f, n in expected.items())
    assert carried / 37 >= 0.9, f"missing: {sorted((expected - found).elements())}"


def test_demo_publishes_the_2020_work_report_on_the_portal(demo, client):
    """The demo's city admin asked for the 2020 工作年报, a second city admin approved it (four eyes): anyone reads it
    on the portal's 2020 column, as HTML and PDF, without logging in."""
    from dudao.compiling import workreport
    from dudao.plans.models import Plan
    from dudao.portal.models import Publication

    plan = Plan.objects.get(year=2020)
    published = Publication.objects.get(template=workreport.template_of(plan), status="published")
    assert published.requested_by.username == "city_admin"
    assert published.reviewed_by.username == "city_admin2"
    assert published.title == workreport.title_of(plan)
    index = client.get("/portal/?period=2020")
    assert index.status_code == 200
    assert reverse("portal:report", args=[published.pk]) in index.content.decode()
    html = client.get(reverse("portal:report", args=[published.pk]))
    assert html.status_code == 200 and "基本情况" in html.content.decode()
    pdf = client.get(reverse("portal:pdf", args=[published.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
