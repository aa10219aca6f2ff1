"""Evaluation pages open where there is something to see: the latest period with data for the scheme and a unit it
evaluates; a period without data says 无数据 (never 未达标); units are picked from a list, not typed as codes."""

import re

import pytest
from django.contrib.auth import get_user_model

from dudao.collection import selectors
from dudao.collection.models import Submission
from dudao.evaluation import registry
from dudao.evaluation.schemes import preschool

from .conftest import VALID, approve_to

pytestmark = pytest.mark.django_db


def user(name):
    return get_user_model().objects.get(username=name)


def _login(client, name):
    client.force_login(user(name))


def _accept_one_2021_form():
    """Once one school's 2021 form is accepted by the city, 2021 is the latest period with final data — while no
    evaluation has any 2021 data (the case that showed 16 × 未达标)."""
    sub = Submission.objects.get(
        org__code="3101010001", campaign__period__code="2021", campaign__dataset__code="vocational_quality"
    )
    roles = {
        "collector": "3101010001-collector",
        "checker": "3101010001-checker",
        "principal": "3101010001-principal",
        "district_reviewer": "d310101",
        "city_admin": "city_admin",
    }
    approve_to(sub, {k: user(v) for k, v in roles.items()}, "city_accepted", VALID)
    assert selectors.latest_period_with_final_data().code == "2021"


def _selected_period(html):
    return re.search(r'<option value="(\d{4})" selected>', html).group(1)


def test_pages_open_on_the_latest_period_with_data(demo, client):
    _accept_one_2021_form()
    _login(client, "inspector")
    for code in ("balanced", "preschool", "district_duty", "thematic", "hei"):
        html = client.get(f"/evaluation/{code}/").content.decode()
        assert _selected_period(html) == "2020", code
        assert "2021年度（无数据）" in html


def test_a_period_without_data_shows_no_data_never_failed(demo, client):
    _login(client, "inspector")
    for code, cells in (("preschool", 16), ("balanced", 16), ("district_duty", 16)):
        response = client.get(f"/evaluation/{code}/?period=2021")
        html = response.content.decode()
        assert response.status_code == 200, code
        assert 'id="evaluation-no-data"' in html, code
        assert html.count(">未达标</td>") == 0, code
        assert html.count(">无数据</td>") == cells, code
    # a school without data in that period: the page says 无数据, not an error
    _login(client, "3101011001-principal")
    school = client.get("/evaluation/balanced/?period=2021")
    assert school.status_code == 200 and 'id="evaluation-no-data"' in school.content.decode()
    # the pure function: no kindergartens is no data, not a failure
    spec = registry.get("preschool").spec
    assert preschool.evaluate(spec, "d", "某区", {}, 0)["passed"] is None


def _links(html):
    return [h.replace("&amp;", "&") for h in re.findall(r'href="(/evaluation/[^"]*)"', html)]


def test_department_and_district_links_answer_200(demo, client):
    _login(client, "zjc")  # 职业教育处: a city office, its pages look at the city
    index = client.get("/evaluation/")
    assert index.status_code == 200 and "督导评估 · 上海市" in index.content.decode()
    for url in _links(index.content.decode()):
        if url.endswith(".pdf") or "report.pdf" in url:
            continue
        assert client.get(url).status_code == 200, url
    assert client.get("/evaluation/preschool/").status_code == 200

    reviewers = get_user_model().objects.filter(username__regex=r"^d\d{6}$").order_by("username")
    assert reviewers.count() == 16
    for reviewer in reviewers:
        client.force_login(reviewer)
        index = client.get("/evaluation/").content.decode()
        assert "/evaluation/hei/" not in index, reviewer.username  # no university in a district
        assert client.get("/evaluation/hei/").status_code == 404  # nothing of it in scope
    _login(client, "d310101")
    for url in _links(client.get("/evaluation/").content.decode()):
        if "report.pdf" in url:
            continue
        assert client.get(url).status_code == 200, url


def test_units_are_picked_from_a_list_of_what_the_scheme_evaluates(demo, client):
    _login(client, "inspector")
    html = client.get("/evaluation/balanced/").content.decode()
    picker = re.search(r'<select name="org" id="org-picker">(.*?)</select>', html, re.S).group(1)
    codes = re.findall(r'<option value="([^"]+)"', picker)
    assert codes[0] == "310000" and "310101" in codes and "3101011001" in codes  # city, districts, 义务教育学校
    assert "3101010001" not in codes  # a vocational school: not evaluated by 优质均衡
    assert len(codes) == 1 + 16 + 85  # 80 primary and junior schools, and the 5 九年一贯制 / 完全中学 of demo.balanced
    assert 'data-filters="org-picker"' in html and '<input name="org"' not in html

    hei = client.get("/evaluation/hei/").content.decode()
    hei_codes = re.findall(r'<option value="([^"]+)"', re.search(r'id="org-picker">(.*?)</select>', hei, re.S)[1])
    assert hei_codes[0] == "310000" and len(hei_codes) == 1 + 62 and "310101" not in hei_codes

    _login(client, "d310101")
    mine = client.get("/evaluation/balanced/").content.decode()
    codes = re.findall(r'<option value="([^"]+)"', re.search(r'id="org-picker">(.*?)</select>', mine, re.S)[1])
    assert codes == ["310101", *[f"31010110{n:02d}" for n in range(1, 7)]]  # the 6th: demo.balanced's 九年一贯制
