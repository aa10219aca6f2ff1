"""Lists search, sort and page the same way (``dudao.listing``): the helper alone and on real list pages."""

import re

from django.test import RequestFactory
from django.urls import reverse

from dudao.collection.models import Submission
from dudao.listing import listing
from dudao.orgs.models import Level, OrgUnit
from dudao.plans.models import Plan

from .conftest import approve_to


def rows_of(page: str, table: str, pattern: str) -> list[str]:
    body = page.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return re.findall(pattern, body)


# --------------------------------------------------------------------------- the helper


ITEMS = [{"code": f"{n:03d}", "name": name, "size": n % 7} for n, name in enumerate(["甲", "乙", "丙"] * 30)]


def run(query: str, **kwargs):
    request = RequestFactory().get("/list/" + query)
    options = {"search": ("name", "code"), "sorts": {"code": "code", "size": "size"}, "default": "code"}
    return listing(request, ITEMS, **{**options, **kwargs, "per_page": 20})


def test_search_narrows_and_keeps_other_parameters():
    found = run("?q=乙&year=2021")
    assert found.page.paginator.count == 30 and {r["name"] for r in found.items} == {"乙"}
    assert ("year", "2021") in found.hidden and all(k != "q" for k, _ in found.hidden)
    assert "year=2021" in found.cols["size"].url and "q=" in found.cols["size"].url


def test_sort_by_allowed_field_and_ignore_the_rest():
    desc = run("?sort=-code")
    assert desc.items[0]["code"] == "089" and desc.sort == "code" and desc.desc
    assert desc.cols["code"].url == "?sort=code" and desc.cols["code"].arrow == "▼"
    by_size = [r["size"] for r in run("?sort=size").items]
    assert by_size == sorted(by_size)
    ignored = run("?sort=name")  # not in the allow-list: the default order stands
    assert ignored.sort == "code" and [r["code"] for r in ignored.items][:2] == ["000", "001"]
    assert run("?sort=__class__").sort == "code"


def test_pages():
    second = run("?page=2")
    assert [r["code"] for r in second.items][0] == "020"
    assert second.prev_url == "?page=1" and second.next_url == "?page=3"
    assert run("?page=99").page.number == 5 and run("?page=x").page.number == 1


def test_a_queryset_is_searched_and_sorted_in_the_database(world):
    request = RequestFactory().get("/", {"q": "职业 甲", "sort": "-name"})
    found = listing(request, OrgUnit.objects.all(), search=("name", "code"), sorts={"name": "name"})
    assert [u.code for u in found.items] == ["3101010001"]
    request = RequestFactory().get("/", {"sort": "-code; DROP TABLE"})
    found = listing(request, OrgUnit.objects.filter(level=Level.SCHOOL), sorts={"code": "code"}, default="code")
    assert [u.code for u in found.items] == ["3101010001", "3101010002", "3101040001"]


# --------------------------------------------------------------------------- real pages


def test_progress_school_list_searches_sorts_and_pages(client, world):
    for n in range(60):
        school = OrgUnit.objects.create(
            code=f"31010190{n:02d}", name=f"测试学校{n:02d}", level=Level.SCHOOL, parent=world.huangpu
        )
        Submission.objects.create(campaign=world.campaign, org=school)
    approve_to(world.sub_a, world.users, "submitted")
    client.force_login(world.users["district_reviewer"])
    url = reverse("review:coverage", args=[world.campaign.pk]) + "?org=310101"
    codes = rows_of(client.get(url).content.decode(), "schools", r"<tr><td>(\d+)</td>")
    assert len(codes) == 50 and codes[0] == "3101010001"
    second = rows_of(client.get(url + "&page=2").content.decode(), "schools", r"<tr><td>(\d+)</td>")
    assert len(second) == 12 and second[-1] == "3101019059"
    found = rows_of(client.get(url + "&q=甲职业").content.decode(), "schools", r"<tr><td>(\d+)</td>")
    assert found == ["3101010001"]
    desc = rows_of(client.get(url + "&sort=-code").content.decode(), "schools", r"<tr><td>(\d+)</td>")
    assert desc[0] == "3101019059"
    by_state = rows_of(client.get(url + "&sort=-state").content.decode(), "schools", r"<tr><td>(\d+)</td>")
    assert by_state[0] == "3101010001"  # the furthest along first
    ignored = rows_of(client.get(url + "&sort=org__path").content.decode(), "schools", r"<tr><td>(\d+)</td>")
    assert ignored == codes


def test_plan_list_searches_sorts_and_pages(client, world):
    for year in range(1990, 2050):
        Plan.objects.create(year=year, title=f"{year}年督导工作要点", issuer="市教委督导室" if year % 2 else "区教育局")
    client.force_login(world.users["city_admin"])
    url = reverse("plans:list")
    titles = rows_of(client.get(url).content.decode(), "plans", r"\">(\d{4})年督导工作要点</a>")
    assert len(titles) == 50 and titles[0] == "2049"  # newest first by default
    second = rows_of(client.get(url + "?page=2").content.decode(), "plans", r"\">(\d{4})年督导工作要点</a>")
    assert second == [str(y) for y in range(1999, 1989, -1)]
    ascending = rows_of(client.get(url + "?sort=year").content.decode(), "plans", r"\">(\d{4})年督导工作要点</a>")
    assert ascending[0] == "1990"
    ignored = rows_of(client.get(url + "?sort=parsed").content.decode(), "plans", r"\">(\d{4})年督导工作要点</a>")
    assert ignored == titles
    found = rows_of(client.get(url + "?q=区教育局 204").content.decode(), "plans", r"\">(\d{4})年督导工作要点</a>")
    assert found == ["2048", "2046", "2044", "2042", "2040"]


def test_audit_trail_searches_and_sorts(client, world):
    approve_to(world.sub_a, world.users, "checked")
    client.force_login(world.users["collector"])
    url = reverse("review:submission", args=[world.sub_a.pk])
    whole = rows_of(client.get(url).content.decode(), "trail", r"<tr><td>")
    found = rows_of(
        client.get(url + "?q=已审核").content.decode(), "trail", r"<tr><td>[^<]*</td><td>[^<]*</td><td>([^<]*)"
    )
    assert 0 < len(found) < len(whole)
    newest = rows_of(client.get(url + "?sort=-at").content.decode(), "trail", r"<tr><td>([^<]*)</td>")
    oldest = rows_of(client.get(url + "?sort=at").content.decode(), "trail", r"<tr><td>([^<]*)</td>")
    assert newest == sorted(newest, reverse=True) and oldest == sorted(oldest)


def test_publication_desk_and_statistics_lists_take_the_parameters(client, world):
    client.force_login(world.users["city_admin"])
    for name, table in (("portal:desk", "publications"), ("statistics:list", "imports")):
        response = client.get(reverse(name) + "?q=黄浦&sort=-version&page=3")
        page = response.content.decode()
        assert response.status_code == 200 and f'id="{table}"' in page and 'name="q" value="黄浦"' in page, name
