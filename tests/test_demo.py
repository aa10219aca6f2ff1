"""`dudao demo` reproduces the published 2020 city figures (DESIGN.md; seed report §1.2, §1.3, §2.3, §2.4)."""

from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum

from dudao.collection.models import DataValue, Submission
from dudao.collection.services import check_submission
from dudao.orgs.models import Level, Membership, OrgUnit, Role
from dudao.review.workflow import current_statement


def r(x, places):
    return Decimal(x).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def total(code, year):
    return DataValue.objects.filter(element__code=code, period__code=str(year)).aggregate(s=Sum("number"))["s"]


pytestmark = pytest.mark.django_db


def test_org_tree(demo):
    assert OrgUnit.objects.filter(level=Level.DISTRICT).count() == 16
    vocational = ["vocational_high", "specialized_secondary", "technical", "adult_secondary"]
    schools = OrgUnit.objects.filter(
        level=Level.SCHOOL, groups__code__in=vocational, groups__group_set__code="school_type"
    )
    assert schools.count() == 71
    affiliation = Counter(s.group_name("affiliation") for s in schools.prefetch_related("groups__group_set"))
    assert affiliation == {"市教委": 19, "区教育局": 29, "行业企业": 21, "民办": 2}
    assert all(s.parent.level == Level.DISTRICT for s in schools)


def test_published_2020_totals(demo):
    assert total("teachers_fulltime", 2020) == 7901
    assert total("staff_total", 2020) == 11057
    assert total("staff_established", 2020) == 10643
    assert total("teachers_professional", 2020) == 4256
    assert r(total("students_total", 2020) / total("teachers_fulltime", 2020), 1) == Decimal("12.3")
    assert total("graduates", 2020) == 28052
    assert total("employed", 2020) == 27632
    assert r(total("employed", 2020) * 100 / total("graduates", 2020), 1) == Decimal("98.5")
    assert total("fixed_assets", 2020) / 10000 == Decimal("148.05")  # 亿元
    assert r((total("fixed_assets", 2020) / total("fixed_assets", 2019) - 1) * 100, 2) == Decimal("5.73")
    assert total("edu_bachelor", 2020) == 5850 and total("edu_master_plus", 2020) == 1896
    assert total("title_intermediate", 2020) == 3893 and total("title_senior", 2020) == 1816
    assert total("further_study", 2020) == 21007
    assert total("industry_secondary", 2020) == 2931


def test_year_on_year_statements(demo):
    students = {y: total("students_total", y) for y in (2019, 2020)}
    per_student = {y: total("fixed_assets", y) / students[y] for y in (2019, 2020)}
    assert r(per_student[2020], 2) == Decimal("15.27")
    assert r((per_student[2020] / per_student[2019] - 1) * 100, 2) == Decimal("4.90")
    assert total("equipment_value", 2020) / 10000 == Decimal("53.71")
    assert r((total("equipment_value", 2020) / total("equipment_value", 2019) - 1) * 100, 2) == Decimal("4.22")


def test_three_accepted_years_and_an_open_round(demo):
    for year in ("2018", "2019", "2020"):
        subs = Submission.objects.filter(campaign__period__code=year, campaign__dataset__code="vocational_quality")
        assert subs.count() == 71 and set(subs.values_list("state", flat=True)) == {"city_accepted"}
    sub = Submission.objects.filter(campaign__period__code="2020", campaign__dataset__code="vocational_quality").first()
    assert current_statement(sub).values_sha256
    assert check_submission(sub) == [] or all(f.explanation for f in check_submission(sub))
    current = Submission.objects.filter(campaign__period__code="2021", campaign__dataset__code="vocational_quality")
    assert current.count() == 71 and set(current.values_list("state", flat=True)) == {"draft"}
    assert current.first().campaign.is_open()


def test_users_for_every_role(demo):
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == set(Role.values)
    assert Membership.objects.filter(role=Role.DISTRICT_REVIEWER).count() == 16
    # each school gets its three accounts (§3.4): 71 vocational + 80 one-stage compulsory + 5 spanning two stages (3
    # 九年一贯制 + 2 完全中学, demo.balanced) + 64 kindergartens + 62 universities
    schools = OrgUnit.objects.filter(level=Level.SCHOOL).count()
    assert schools == 71 + 80 + 5 + 64 + 62
    for role in (Role.COLLECTOR, Role.CHECKER, Role.PRINCIPAL):
        assert Membership.objects.filter(role=role, org__level=Level.SCHOOL).count() == schools


def test_demo_is_idempotent(demo, capsys):
    call_command("demo")
    assert "已存在" in capsys.readouterr().out
    assert OrgUnit.objects.filter(level=Level.SCHOOL).count() == 282  # 71 + 80 + 5 + 64 + 62


def test_every_school_keeps_the_rules(demo):
    """Every school of every demo year passes the data set's error rules (warnings are explained on loading)."""
    subs = Submission.objects.filter(campaign__dataset__code="vocational_quality").exclude(
        campaign__period__code="2021"
    )
    assert subs.count() == 3 * 71
    for sub in subs:
        errors = [f.key for f in check_submission(sub) if f.severity == "error"]
        assert errors == [], (sub.org.name, sub.campaign.period.code, errors)


def test_school_narrative_varies_and_cases_do_not_repeat(demo):
    from dudao.collection.models import Period
    from dudao.collection.selectors import cases, text_values

    period = Period.objects.get(code="2020")
    schools = [
        s.org for s in Submission.objects.filter(campaign__period=period, campaign__dataset__code="vocational_quality")
    ]
    texts = text_values(schools, period)
    for chapter in ("text_overview", "text_students", "text_quality", "text_cooperation", "text_contribution",
                    "text_government", "text_features", "text_party", "text_outlook"):  # fmt: skip
        written = [texts.get((s.id, chapter), "") for s in schools]
        assert all(written), chapter
        assert len(set(written)) == 71, chapter  # no two schools read the same
    found = cases(period)
    assert len(found) >= 30
    titles = [c.title for c in found]
    assert len(set(titles)) == len(titles) and len({c.body for c in found}) == len(found)
    assert all(c.chapter and c.chapter.split(".")[0] in "123456789" for c in found)


def test_demo_duzheng_and_thematic_findings_live_in_the_ledger_and_only_a_few_old_ones_escalate(demo):
    """The 2020–21 督政 round and thematic visits write ledger findings (no parallel 整改 tables): most were answered
    and re-checked; a few are still owed past their deadline — those, and no more, escalated."""
    from dudao.supervision.models import Accountability, Finding

    # 督政 findings are owned by the districts and by the one inspected 市政府部门 (demo.duty)
    for kind, levels in (("duzheng", {Level.DISTRICT, Level.DEPARTMENT}), ("thematic", {Level.SCHOOL})):
        old = Finding.objects.filter(source_kind=kind, deadline__year__lt=2022)
        states = Counter(old.values_list("status", flat=True))
        assert old.exists() and set(old.values_list("owner__level", flat=True)) == levels
        assert states["closed"] > old.count() / 2  # most closed through the re-check
        escalated = old.filter(escalated_at__isnull=False)
        assert 0 < escalated.count() <= 5
        assert set(escalated.values_list("status", flat=True)) <= {"open", "returned"}  # only what is still owed
    # the 问责 stays on this term's overdue school item, not on an old 督政 one
    assert [a.finding.source_kind for a in Accountability.objects.all()] == ["visit"]
