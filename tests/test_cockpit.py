"""A cockpit people can read: top N with 其他 (a ratio of the rest's sums), bars lying down for long names, drill-down
city → district → school, and a map of the 16 districts drawn from vendored boundaries (no CDN)."""

import json
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse

from dudao.indicators import dashboard, geo
from dudao.indicators.definitions import by_code
from dudao.indicators.models import IndicatorValue
from dudao.orgs.models import Level, OrgUnit

from .test_browser import ARGS, CHROMIUM, session  # noqa: F401  (shared browser helpers)

SCREENSHOT = Path(tempfile.gettempdir()) / "dudao-cockpit.png"  # for a person to look at
ORGS_YAML = geo.MAP_FILE.parents[3] / "catalog" / "orgs.yaml"
# master_share = 硕士及以上专任教师 / 专任教师 × 100, a ratio of sums, 0 decimals
TOP_TEN = [(95, 100), (90, 100), (85, 100), (80, 100), (75, 100), (70, 100), (65, 100), (60, 100), (55, 100), (50, 100)]
REST = [(1, 10), (40, 100)]  # 10% and 40%: mean of ratios 25, ratio of sums 41/110 = 37.27… → 37


@pytest.fixture
def many_schools(world):
    """Twelve schools with long names in 黄浦区 (besides 甲 and 乙, which have no results), each with a 2021
    master_share; stored district and city figures for a school's benchmark."""
    period = world.campaign.period
    rows = []
    for i, (num, den) in enumerate(TOP_TEN + REST):
        school = OrgUnit.objects.create(
            code=f"31010199{i:02d}", name=f"上海市黄浦区第{i + 1}职业技术学校", level=Level.SCHOOL, parent=world.huangpu
        )
        rows.append(IndicatorValue(indicator="master_share", org=school, period=period, numerator=num, denominator=den))
    for row in rows:
        row.value, row.schools = row.numerator / row.denominator * 100, 1
    total = (sum(n for n, _ in TOP_TEN + REST), sum(d for _, d in TOP_TEN + REST))
    for org in (world.huangpu, world.city):
        rows.append(
            IndicatorValue(
                indicator="master_share", org=org, period=period, value=total[0] / total[1] * 100, schools=12
            )
        )
    IndicatorValue.objects.bulk_create(rows)
    world.period = period
    return world


def test_top_ten_and_other_as_ratio_of_the_rests_sums(many_schools):
    w = many_schools
    c = dashboard.data(w.huangpu, "master_share", w.period)["comparison"]
    assert c["values"][:10] == [n for n, _ in TOP_TEN]  # highest first
    assert c["names"][0] == "上海市黄浦区第1职业技术学校" and c["names"][-1] == "其他" and len(c["names"]) == 11
    assert c["values"][-1] == 37 != 25  # 41 / 110, not the mean of 10% and 40%
    # the rest: the two low schools and 甲/乙 without data (which add to neither side)
    assert c["other"]["units"] == 4 and c["levels"][-1] == "other" and c["codes"][-1] is None
    assert set(c["other"]["names"]) == {
        "上海市黄浦区第11职业技术学校",
        "上海市黄浦区第12职业技术学校",
        "甲职业学校",
        "乙职业学校",
    }
    everyone = dashboard.data(w.huangpu, "master_share", w.period, top=0)["comparison"]
    assert len(everyone["names"]) == 14 and everyone["other"] is None and everyone["values"][-2:] == [None, None]


def test_other_rolls_up_with_the_indicators_own_aggregation(many_schools):
    """A sum indicator's 其他 is the rest's sum; a school-mean one's the mean of the rest's schools."""
    rows = [IndicatorValue(numerator=n, denominator=d, value=n / d * 100) for n, d in REST]
    bars = [dashboard.Bar(f"区{i}", str(i), Level.DISTRICT, 100 - i, []) for i in range(10)]
    bars += [
        dashboard.Bar("少", "x", Level.DISTRICT, rows[0].value, rows[:1]),
        dashboard.Bar("多", "y", "", 40, rows[1:]),
    ]
    assert dashboard.ranked(by_code()["parttime_teachers"], bars)["values"][-1] == 41
    assert dashboard.ranked(by_code()["dual_teacher_share"], bars)["values"][-1] == 25.0
    assert dashboard.ranked(by_code()["master_share"], bars)["values"][-1] == 37
    assert dashboard.ranked(by_code()["master_share"], bars[:10])["other"] is None  # ten fit: no 其他


def test_bars_lie_down_for_long_names(many_schools):
    w = many_schools
    schools = dashboard.data(w.huangpu, "master_share", w.period)["comparison"]
    districts = dashboard.data(w.city, "master_share", w.period)["comparison"]
    assert schools["orientation"] == "horizontal"
    assert districts["orientation"] == "vertical" and districts["names"][0] == "黄浦区"
    assert len(districts["names"]) == 11 and districts["names"][-1] == "其他"  # 16 districts: 10 + 其他
    every = dashboard.data(w.city, "master_share", w.period, top=0)["comparison"]
    assert every["orientation"] == "vertical" and max(len(n) for n in every["names"]) == 4  # 浦东新区


def test_drill_down_city_district_school(many_schools, client):
    w = many_schools
    client.force_login(w.users["analyst"])
    params = {"indicator": "master_share", "period": w.period.code}
    city = client.get(reverse("indicators:cockpit_data"), params).json()
    link = city["comparison"]["links"][city["comparison"]["names"].index("黄浦区")]
    assert city["comparison"]["links"][-1] is None  # 其他 goes nowhere
    url = urlparse(link)
    assert url.path == reverse("indicators:cockpit") and parse_qs(url.query) == {
        "org": ["310101"],
        "indicator": ["master_share"],
        "period": [w.period.code],
    }
    page = client.get(link)
    assert page.status_code == 200 and page.context["scope"] == w.huangpu
    assert [t["name"] for t in page.context["trail"]] == ["上海市", "黄浦区"]
    district = client.get(reverse("indicators:cockpit_data"), {**params, "org": "310101"}).json()
    assert district["scope"] == "黄浦区" and "map" not in district
    school_link = district["comparison"]["links"][0]
    assert "org=3101019900" in school_link
    school = client.get(school_link.replace(reverse("indicators:cockpit"), reverse("indicators:cockpit_data"))).json()
    assert school["comparison"]["names"] == ["上海市黄浦区第1职业技术学校", "黄浦区", "上海市"]
    assert school["comparison"]["values"] == [95, 69, 69]  # 766 / 1110 for district and city
    assert client.get(school_link).status_code == 200


def test_drill_down_stays_inside_the_users_subtree(many_schools, client):
    w = many_schools
    client.force_login(w.users["district_reviewer"])
    params = {"indicator": "master_share", "period": w.period.code}
    assert client.get(reverse("indicators:cockpit"), {"org": "310104"}).status_code == 404  # 徐汇区
    assert client.get(reverse("indicators:cockpit"), {"org": "310000"}).status_code == 404
    school = client.get(reverse("indicators:cockpit_data"), {**params, "org": "3101019900"}).json()
    assert school["comparison"]["links"][2] is None and school["comparison"]["links"][1]  # no city cockpit for them
    client.force_login(w.users["collector"])
    assert client.get(reverse("indicators:cockpit"), {"org": "3101010001"}).status_code == 404


def test_map_boundaries_are_vendored_with_our_district_names():
    """The boundary file is served from our static files and its 16 feature names are the catalog's districts."""
    assert finders.find(geo.MAP_STATIC) == str(geo.MAP_FILE)
    assert not static(geo.MAP_STATIC).startswith(("http:", "https:", "//"))  # ours, no CDN
    catalog = [d["name"] for d in yaml.safe_load(ORGS_YAML.read_text(encoding="utf-8"))["districts"]]
    assert len(catalog) == 16 and geo.district_names() == catalog
    shipped = json.loads(geo.MAP_FILE.read_text(encoding="utf-8"))
    assert geo.normalise(shipped) == shipped  # already today's names: vendored as it was published
    assert (geo.MAP_FILE.parent / "README.md").read_text(encoding="utf-8").count("Apache") >= 1


def test_normalise_merges_former_districts():
    def square(name, x):
        ring = [[x, 0], [x + 1, 0], [x + 1, 1], [x, 0]]
        return {"type": "Feature", "properties": {"name": name}, "geometry": {"type": "Polygon", "coordinates": [ring]}}

    old = {"type": "FeatureCollection", "features": [square("静安区", 0), square("闸北区", 1), square("崇明县", 5)]}
    new = geo.normalise(old)
    assert [f["properties"]["name"] for f in new["features"]] == ["静安区", "崇明区"]
    jingan = new["features"][0]["geometry"]
    assert jingan["type"] == "MultiPolygon" and len(jingan["coordinates"]) == 2
    encoded = {
        "type": "FeatureCollection",
        "features": [
            {
                "properties": {"name": "卢湾区"},
                "geometry": {"type": "Polygon", "coordinates": ["@@AB"], "encodeOffsets": [[1, 2]]},
            },
            {
                "properties": {"name": "黄浦区"},
                "geometry": {"type": "MultiPolygon", "coordinates": [["@@CD"]], "encodeOffsets": [[[3, 4]]]},
            },
        ],
    }
    huangpu = geo.normalise(encoded)["features"]
    assert len(huangpu) == 1 and huangpu[0]["geometry"] == {
        "type": "MultiPolygon",
        "coordinates": [["@@AB"], ["@@CD"]],
        "encodeOffsets": [[[1, 2]], [[3, 4]]],
    }


def test_cockpit_has_the_map_and_data_for_all_sixteen_districts(many_schools, client):
    w = many_schools
    client.force_login(w.users["city_admin"])
    page = client.get(reverse("indicators:cockpit")).content.decode()
    assert 'id="map"' in page and f'data-geojson="{static(geo.MAP_STATIC)}"' in page
    data = client.get(reverse("indicators:cockpit_data"), {"indicator": "master_share", "period": w.period.code})
    values = {v["name"]: v for v in data.json()["map"]["values"]}
    assert list(values) == geo.district_names() and len(values) == 16
    assert values["黄浦区"]["value"] == 69 and values["黄浦区"]["url"].endswith(
        "org=310101&indicator=master_share&period=2021"
    )
    assert values["崇明区"]["value"] is None and "org=310151" in values["崇明区"]["url"]
    client.force_login(w.users["district_reviewer"])
    assert 'id="map"' not in client.get(reverse("indicators:cockpit")).content.decode()  # a district sees no rivals


@pytest.mark.browser
def test_map_renders_and_a_district_drills_down(transactional_db, live_server, many_schools):
    from django.db import connections
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = session(browser, live_server, "city")
        errors, requests = [], []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(f"{live_server.url}/dashboard/?indicator=master_share&period=2021")
        page.wait_for_function("() => window.dudaoDashboard !== undefined && window.dudaoDashboard.map !== undefined")
        assert page.locator("#map canvas").count() == 1 and page.locator("#comparison canvas").count() == 1
        assert any(url.endswith(geo.MAP_STATIC) for url in requests)
        assert all(url.startswith(live_server.url) for url in requests)  # boundaries and scripts vendored, no CDN
        # 松江区's centre (its feature's cp) in viewport pixels (the central districts are a few pixels wide); a
        # click on it opens 松江区's cockpit
        page.locator("#map").scroll_into_view_if_needed()
        x, y = page.evaluate(
            """() => { const box = document.getElementById("map").getBoundingClientRect();
                       const chart = echarts.getInstanceByDom(document.getElementById("map"));
                       const [x, y] = chart.convertToPixel({seriesIndex: 0}, [121.223543, 31.03047]);
                       return [box.left + x, box.top + y]; }"""
        )
        page.mouse.click(x, y)
        page.wait_for_url("**/dashboard/?org=310117*")
        page.wait_for_function("() => window.dudaoDashboard !== undefined")
        assert page.evaluate("window.dudaoDashboard.scope") == "松江区" and page.locator("#map").count() == 0
        page.click("nav.trail a:text('上海市')")  # and back up
        page.wait_for_function("() => window.dudaoDashboard !== undefined && window.dudaoDashboard.scope === '上海市'")
        page.wait_for_timeout(1500)  # the bars' and map's animations
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        assert errors == []
        browser.close()
    connections.close_all()
