"""数字驾驶舱: filtered roll-ups stay ratios of sums; only city/district staff get one; the page draws its charts."""

import pytest
from django.urls import reverse

from dudao.collection.models import Period
from dudao.indicators import dashboard, engine
from dudao.indicators.models import IndicatorValue
from dudao.indicators.query import rounded
from dudao.orgs.catalog import group
from dudao.orgs.models import Role

from .conftest import VALID, approve_to, make_user
from .test_browser import ARGS, CHROMIUM, session  # noqa: F401  (shared browser helpers)


@pytest.fixture
def computed(world):
    world.school_b.groups.set([group("school_type", "vocational_high"), group("affiliation", "industry")])
    approve_to(world.sub_a, world.users, "city_accepted")
    users_b = {
        **world.users,
        "collector": world.users["collector_b"],
        "checker": make_user("b-checker", world.school_b, Role.CHECKER),
        "principal": make_user("b-principal", world.school_b, Role.PRINCIPAL),
    }
    approve_to(
        world.sub_b, users_b, "approved", values={**VALID, "students_total": 2400, "students_other_fields": 1250}
    )
    engine.rebuild()
    return world


def test_filtered_rollup_is_ratio_of_sums(computed):
    w = computed
    period = Period.objects.get(code="2021")
    everything = dashboard.data(w.city, "student_teacher_ratio", period)
    assert everything["trend"]["values"] == [rounded((1200 + 2400) / 200, 1)]  # 18.0, not the mean of 12 and 24
    stored = IndicatorValue.objects.get(indicator="student_teacher_ratio", org=w.city, period=period).value
    assert everything["trend"]["values"][0] == rounded(stored, 1)
    industry = dashboard.data(w.city, "student_teacher_ratio", period, affiliation="industry")
    assert industry["trend"]["values"] == [24.0] and industry["schools"] == 1
    assert dashboard.data(w.city, "student_teacher_ratio", period, school_type="kindergarten")["schools"] == 0
    names = everything["comparison"]["names"]
    assert names[:2] == ["黄浦区", "徐汇区"] and everything["comparison"]["values"][:2] == [18.0, None]


def test_district_scope_compares_its_schools(computed, client):
    client.force_login(computed.users["district_reviewer"])
    data = client.get(
        reverse("indicators:cockpit_data"), {"indicator": "student_teacher_ratio", "period": "2021"}
    ).json()
    assert data["scope"] == "黄浦区" and data["comparison"]["names"] == ["乙职业学校", "甲职业学校"]  # highest first
    assert data["comparison"]["values"] == [24.0, 12.0]


@pytest.mark.parametrize(
    "role, status",
    [
        ("collector", 404),
        ("principal", 404),
        ("district_reviewer", 200),
        ("analyst", 200),
        ("city_admin", 200),
        ("inspector", 200),
    ],
)
def test_who_gets_a_cockpit(computed, client, role, status):
    client.force_login(computed.users[role])
    assert client.get(reverse("indicators:cockpit")).status_code == status
    data = client.get(reverse("indicators:cockpit_data"), {"indicator": "student_teacher_ratio", "period": "2021"})
    assert data.status_code == status


@pytest.mark.browser
def test_cockpit_draws_echarts(transactional_db, live_server, computed):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = session(browser, live_server, "city")
        scripts = []
        page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
        page.goto(f"{live_server.url}/dashboard/")
        page.wait_for_function("() => window.dudaoDashboard !== undefined")
        assert page.evaluate("window.dudaoDashboard.trend.values") == [18.0]
        assert page.locator("#trend canvas").count() == 1 and page.locator("#comparison canvas").count() == 1
        assert all(url.startswith(live_server.url) for url in scripts)  # vendored, no CDN
        page.select_option("select[name=affiliation]", "industry")
        page.wait_for_function("() => window.dudaoDashboard.schools === 1")
        browser.close()
    from django.db import connections

    connections.close_all()


def test_rebuild_on_an_empty_database(db):
    from dudao.orgs.catalog import load_org_catalog

    load_org_catalog()
    run = engine.rebuild()
    assert (run.values, run.rows) == (0, 0) and not IndicatorValue.objects.exists()
