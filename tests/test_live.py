"""Live indicators (#14 points 1–2): an accepted, reopened or changed submission refreshes the figures of its school
and every unit above it for its period, through a background job, without ``dudao analytics rebuild``; figure pages
say how fresh the data are; a report names what is missing instead of a bare "—"."""

import pytest
from django.urls import reverse
from django.utils import timezone

from dudao.collection.campaigns import open_campaign, yearly_period
from dudao.collection.services import record_statistics
from dudao.indicators import engine
from dudao.indicators.models import IndicatorValue, Rebuild, Refresh
from dudao.orgs.models import Level, OrgUnit, Role
from dudao.reports.references import MISSING_NAMED, missing_note, render
from dudao.review.workflow import perform

from .conftest import VALID, approve_to, group, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def immediate(settings, django_capture_on_commit_callbacks):
    """Tasks run at once, and on_commit callbacks run when the test's (wrapped) transaction would have committed."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def value(org, period, code="students"):
    row = IndicatorValue.objects.filter(org=org, period=period, indicator=code).first()
    return row.value if row else None


def test_accepting_refreshes_the_city_without_rebuild(world, immediate, monkeypatch):
    monkeypatch.setattr(engine, "rebuild", lambda *a, **k: pytest.fail("no rebuild on a live change"))
    period = world.campaign.period
    approve_to(world.sub_a, world.users, "checked")
    assert value(world.city, period) is None
    immediate(perform, world.sub_a, "approve", world.users["principal"], signer_name="张校长", confirm=True)
    assert value(world.city, period) == VALID["students_total"]
    assert value(world.huangpu, period) == VALID["students_total"]
    assert value(world.school_a, period) == VALID["students_total"]
    assert Refresh.objects.filter(org=world.school_a, period=period).exists()


def test_reopening_removes_the_school_from_the_city(world, immediate):
    period = world.campaign.period
    approve_to(world.sub_b, users_at(world, world.school_b, world.users["district_reviewer"]), "draft")  # unapproved
    immediate(approve_to, world.sub_a, world.users, "city_accepted")
    assert value(world.city, period) == VALID["students_total"]
    immediate(perform, world.sub_a, "reopen", world.users["city_admin"], reason="数据有误")
    assert value(world.city, period) is None
    assert value(world.school_a, period) is None
    assert not IndicatorValue.objects.filter(org=world.school_a, period=period).exists()


def test_a_value_change_while_counting_refreshes(world, immediate):
    """Published statistics count from the moment they are recorded: recording a corrected figure refreshes."""
    period = yearly_period(2021)
    immediate(
        record_statistics, world.city, period, "public_statistics", {"stat_voc_schools": 90}, world.users["city_admin"]
    )
    assert value(world.city, period, "stat_schools") == 90
    immediate(
        record_statistics, world.city, period, "public_statistics", {"stat_voc_schools": 91}, world.users["city_admin"]
    )
    assert value(world.city, period, "stat_schools") == 91


def users_at(world, school, district_reviewer):
    """A school's own collector, checker and principal, with the district's reviewer and the city admin."""
    return (
        world.users
        | {
            role: make_user(f"{role}-{school.code}", school, getattr(Role, role.upper()))
            for role in ("collector", "checker", "principal")
        }
        | {"district_reviewer": district_reviewer}
    )


def test_refresh_touches_only_the_periods_affected_rows(world, immediate):
    period = world.campaign.period
    other = yearly_period(2020)
    users_c = users_at(world, world.school_c, world.users["district_reviewer_xuhui"])
    approve_to(world.sub_a, world.users, "approved")
    approve_to(world.sub_b, users_at(world, world.school_b, world.users["district_reviewer"]), "approved")
    approve_to(world.sub_c, users_c, "checked")
    engine.rebuild()  # the starting point: everything computed once
    old_city = IndicatorValue.objects.create(indicator="students", org=world.city, period=other, value=7)
    untouched = {
        row.pk: row.value
        for row in IndicatorValue.objects.exclude(org__in=[world.city, world.xuhui, world.school_c], period=period)
    }
    school_b_rows = set(IndicatorValue.objects.filter(org=world.school_b, period=period).values_list("pk", flat=True))
    assert school_b_rows and school_b_rows <= set(untouched)
    assert value(world.city, period) == 2 * VALID["students_total"]
    immediate(perform, world.sub_c, "approve", users_c["principal"], signer_name="王校长", confirm=True)
    assert value(world.city, period) == 3 * VALID["students_total"]
    assert value(world.xuhui, period) == VALID["students_total"]
    after = {row.pk: row.value for row in IndicatorValue.objects.filter(pk__in=list(untouched))}
    assert after == untouched  # the same rows (primary keys) and values: 甲, 乙, 黄浦, other periods
    assert IndicatorValue.objects.get(pk=old_city.pk).value == 7
    refresh = Refresh.objects.get(org=world.school_c)
    affected = IndicatorValue.objects.filter(period=period, org__in=[world.city, world.xuhui, world.school_c])
    assert refresh.rows == affected.count()


def test_cockpit_says_data_as_of(client, world, immediate):
    client.force_login(world.users["city_admin"])
    assert "数据截至 —" in client.get(reverse("indicators:cockpit")).content.decode()
    immediate(approve_to, world.sub_a, world.users, "approved")
    refresh = Refresh.objects.get()
    page = client.get(reverse("indicators:cockpit")).content.decode()
    assert f"数据截至 {refresh.finished_at.astimezone().strftime('%Y-%m-%d')}" in page
    Rebuild.objects.create(seconds=0, values=0, rows=0)
    from dudao.indicators.query import data_as_of

    assert data_as_of() == Rebuild.objects.get().finished_at  # the later of the two


def test_missing_data_note_names_schools_and_elements(world, immediate):
    period = world.campaign.period
    # nothing approved: every school asked for the form is missing
    note = missing_note(world.city, period, "students")
    assert note == "（缺少：甲职业学校、乙职业学校、丙职业学校的全日制在校生数）"
    assert render("在校生{{students}}。", world.city, period) == f"在校生—{note}。"
    immediate(approve_to, world.sub_a, world.users, "approved")
    # the figure has approved data: it renders, with no "—" and no note
    assert render("在校生{{students}}。", world.city, period) == "在校生1200人。"
    assert render("{{students}}", world.huangpu, period) == "1200人"  # 乙 has not reported, but the figure exists
    assert render("{{students}}", world.xuhui, period) == "—（缺少：丙职业学校的全日制在校生数）"
    assert render("{{students}}", world.school_c, period) == "—（缺少：丙职业学校的全日制在校生数）"


def test_missing_note_shortens_long_lists(world):
    for k in range(MISSING_NAMED + 2):
        school = OrgUnit.objects.create(
            code=f"31010100{k + 10}", name=f"学校{k}", level=Level.SCHOOL, parent=world.huangpu
        )
        school.groups.add(group("school_type", "specialized_secondary"))
    now = timezone.now()
    period = yearly_period(2019)
    open_campaign(world.dataset, period, world.city, now, now)
    note = missing_note(world.huangpu, period, "students")
    assert note.startswith("（缺少：甲职业学校、乙职业学校、学校0等7所学校的全日制在校生数")
