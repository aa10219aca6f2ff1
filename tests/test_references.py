"""Figures by reference: tokens in people's text carry the indicator engine's values (issue #13, point 6)."""

import pytest

from dudao.collection.models import Period
from dudao.indicators.query import readings
from dudao.orgs.models import OrgUnit
from dudao.reports import references, wording

pytestmark = pytest.mark.django_db


def org(code):
    return OrgUnit.objects.get(code=code)


def period(code):
    return Period.objects.get(code=code)


def render(text, code="310000", year="2020"):
    return references.render(text, org(code), period(year))


def test_tokens_carry_the_engines_values(demo):
    city = readings(org("310000"), period("2020"))
    assert render("在校生{{students}}。") == "在校生96940人。"
    assert render("{{fixed_assets_total:change}}") == wording.change(city["fixed_assets_total"], "2019")
    assert render("{{dual_teacher_share}}，{{dual_teacher_share:change}}") == "59.7%，比2019年提高1.6个百分点"
    assert render("{{students:number}}") == "96940"
    assert render("{{students:prev}}") == f"{city['students'].previous}人"
    assert render("{{entrepreneurs:delta}}") == "4人"


def test_other_org_period_and_group(demo):
    huangpu = readings(org("310101"), period("2019"))
    assert render("{{students@310101#2019}}") == f"{huangpu['students'].value}人"
    assert render("{{schools?affiliation=city_bureau}}") == "19所"
    assert render("{{schools?affiliation=private}}") == "2所"
    total = sum(
        int(render("{{schools?affiliation=" + g + ":number}}"))
        for g in ("city_bureau", "district_bureau", "industry", "private")
    )
    assert total == 71


def test_rounding_options(demo):
    assert render("{{student_teacher_ratio.0}}") == "12:1"
    assert render("{{students~floor2}}") == "96000人"
    assert render("{{students~round1}}") == "100000人"


def test_problems_are_named_before_saving(demo):
    assert references.problems("{{students}} {{fact:collection_coverage}}") == []
    found = references.problems("{{nope}} {{students@999999}} {{students#1999}} {{students:loud}} {{fact:nothing}}")
    assert any("nope" in p for p in found)
    assert any("999999" in p for p in found)
    assert any("1999" in p for p in found)
    assert any(":loud" in p for p in found)
    assert any("nothing" in p for p in found)
    assert render("单独的 {花括号} 不是引用") == "单独的 {花括号} 不是引用"


def test_changing_an_approved_value_changes_the_text(demo):
    from dudao.collection.models import DataValue
    from dudao.indicators.engine import rebuild

    before = render("{{students}}")
    value = DataValue.objects.filter(element__code="students_total", period__code="2020").first()
    value.number += 100
    value.value = str(value.number)
    value.save()
    rebuild()
    assert render("{{students}}") != before
    assert render("{{students}}") == f"{int(before[:-1]) + 100}人"


def test_every_outline_names_known_indicators(db):
    """The report outlines are data: a token or a ranking part naming no indicator is caught here, not in print."""
    import yaml
    from django.conf import settings

    from dudao.indicators.definitions import by_code
    from dudao.reports.builder import outline, template

    known = set(by_code())
    for level in template()["outlines"]:
        text = yaml.safe_dump(outline("quality_annual", level), allow_unicode=True)
        assert all(t.indicator in known for t in references.tokens(text) if not t.fact), level
        for chapter in outline("quality_annual", level):
            for spec in [*chapter.get("blocks", []), *(b for s in chapter.get("subsections", []) for b in s["blocks"])]:
                codes = spec.get("indicators", []) + spec.get("table", []) if isinstance(spec, dict) else []
                if "ranking" in spec:
                    codes += [spec["ranking"]["total"], *spec["ranking"]["parts"].values()]
                assert set(codes) <= known, (level, chapter["title"], set(codes) - known)
    assert settings.CATALOG_DIR
