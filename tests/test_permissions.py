"""Every role × every view: who may read, who may change, and that a refusal changes nothing.

The table is the specification. ``R`` = may read (200), ``W`` = may also change, ``-`` = refused (403/404, nothing
leaks: the other school's name does not appear). Rows cover the fixture's users: school A's three roles, school B's
collector, both district reviewers, and the city roles.
"""

import io

import pytest
from django.urls import reverse

from dudao.collection.models import DataValue

from .conftest import approve_to

# Whose submission each column asks for
TARGETS = ("sub_a", "sub_b", "sub_c")

READ = {
    #                     sub_a sub_b sub_c   (A, B in 黄浦; C in 徐汇)
    "collector": "R -  -",
    "checker": "R -  -",
    "principal": "R -  -",
    "collector_b": "- R  -",
    "collector_c": "- -  R",
    "district_reviewer": "R R  -",
    "district_clerk": "R R  -",
    "district_reviewer_xuhui": "- -  R",
    "city_admin": "R R  R",
    "inspector": "R R  R",
    "analyst": "R R  R",
    "compiler": "R R  R",
}

# May write values into a draft submission (form autosave, Excel upload)
WRITE = {
    "collector": "W -  -",
    "checker": "- -  -",
    "principal": "- -  -",
    "collector_b": "- W  -",
    "collector_c": "- -  W",
    "district_reviewer": "W W  -",
    "district_clerk": "- -  -",
    "district_reviewer_xuhui": "- -  W",
    "city_admin": "- -  -",
    "inspector": "- -  -",
    "analyst": "- -  -",
    "compiler": "- -  -",
}

READ_VIEWS = ["review:submission", "collection:school_template", "collection:findings"]


def cells(table, role):
    return dict(zip(TARGETS, table[role].split()))


def login(client, world, role):
    client.force_login(world.users[role])


@pytest.mark.parametrize("role", list(READ))
@pytest.mark.parametrize("view", READ_VIEWS)
def test_read_views(client, world, role, view):
    login(client, world, role)
    for target, allowed in cells(READ, role).items():
        sub = getattr(world, target)
        response = client.get(reverse(view, args=[sub.pk]))
        if allowed == "R":
            assert response.status_code == 200, (role, view, target)
        else:
            assert response.status_code in (403, 404), (role, view, target)
            assert sub.org.name.encode() not in response.content


@pytest.mark.parametrize("role", list(WRITE))
def test_autosave(client, world, role):
    login(client, world, role)
    for target, allowed in cells(WRITE, role).items():
        sub = getattr(world, target)
        response = client.post(
            reverse("collection:save_value", args=[sub.pk, "books"]), {"value": "123", "version": "0"}
        )
        stored = DataValue.objects.filter(org=sub.org, element__code="books").first()
        if allowed == "W":
            assert response.status_code == 200, (role, target)
            assert stored.value == "123"
            stored.delete()
        else:
            assert response.status_code in (403, 404), (role, target)
            assert stored is None


@pytest.mark.parametrize("role", list(WRITE))
def test_excel_upload(client, world, role):
    from dudao.collection import excel

    login(client, world, role)
    for target, allowed in cells(WRITE, role).items():
        sub = getattr(world, target)
        payload = io.BytesIO(excel.school_template(sub))
        payload.name = "t.xlsx"
        response = client.post(reverse("collection:school_upload", args=[sub.pk]), {"file": payload})
        if allowed == "W":
            assert response.status_code == 302, (role, target)
        else:
            assert response.status_code in (403, 404), (role, target)


# District sheet: only a district reviewer (or a collector granted at the district) for its own district.
DISTRICT = {
    "collector": "- -",
    "checker": "- -",
    "principal": "- -",
    "collector_b": "- -",
    "collector_c": "- -",
    "district_reviewer": "W -",
    "district_clerk": "- -",
    "district_reviewer_xuhui": "- W",
    "city_admin": "- -",
    "inspector": "- -",
    "analyst": "- -",
    "compiler": "- -",
}


@pytest.mark.parametrize("role", list(DISTRICT))
def test_district_sheet(client, world, role):
    login(client, world, role)
    for district, allowed in zip(("huangpu", "xuhui"), DISTRICT[role].split()):
        org = getattr(world, district)
        response = client.get(reverse("collection:district_template", args=[world.campaign.pk, org.code]))
        upload = client.post(reverse("collection:district_upload", args=[world.campaign.pk, org.code]), {})
        if allowed == "W":
            assert response.status_code == 200 and upload.status_code == 302
        else:
            assert response.status_code == 404 and upload.status_code == 404


COVERAGE = {
    "collector": "- -",
    "checker": "- -",
    "principal": "- -",
    "collector_b": "- -",
    "collector_c": "- -",
    "district_reviewer": "- R",
    "district_clerk": "- R",
    "district_reviewer_xuhui": "- -",
    "city_admin": "R R",
    "inspector": "R R",
    "analyst": "R R",
    "compiler": "R R",
}


@pytest.mark.parametrize("role", list(COVERAGE))
def test_coverage(client, world, role):
    login(client, world, role)
    for org, allowed in zip((world.city, world.huangpu), COVERAGE[role].split()):
        response = client.get(reverse("review:coverage", args=[world.campaign.pk]) + f"?org={org.code}")
        # school users have no progress page at all (403); a district user asking for another unit gets 404
        refused = 403 if role in ("collector", "checker", "principal", "collector_b", "collector_c") else 404
        assert response.status_code == (200 if allowed == "R" else refused), (role, org.code)


# Workflow actions: which role may take which step on school A (only the named one, nowhere else).
ACTIONS = [
    ("draft", "submit", "collector"),
    ("submitted", "check", "checker"),
    ("submitted", "return", "checker"),
    ("checked", "approve", "principal"),
    ("checked", "return", "principal"),
    ("approved", "district_accept", "district_reviewer"),
    ("approved", "return", "district_reviewer"),
    ("district_accepted", "city_accept", "city_admin"),
    ("district_accepted", "return", "city_admin"),
    ("city_accepted", "reopen", "city_admin"),
]


@pytest.mark.parametrize("state, action, allowed_role", ACTIONS)
def test_workflow_actions(client, world, state, action, allowed_role):
    approve_to(world.sub_a, world.users, state)
    data = {"reason": "理由", "signer_name": "张校长", "confirm": "on"}
    for role in READ:
        if role == allowed_role:
            continue
        login(client, world, role)
        client.post(reverse("review:act", args=[world.sub_a.pk, action]), data)
        world.sub_a.refresh_from_db()
        assert world.sub_a.state == state, (role, action)
    login(client, world, allowed_role)
    response = client.post(reverse("review:act", args=[world.sub_a.pk, action]), data)
    assert response.status_code == 302
    world.sub_a.refresh_from_db()
    assert world.sub_a.state != state


def test_anonymous_is_sent_to_login(client, world):
    for url in [
        reverse("home"),
        reverse("review:submission", args=[world.sub_a.pk]),
        reverse("review:coverage", args=[world.campaign.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.post(reverse("collection:save_value", args=[world.sub_a.pk, "books"]), {"value": "1"})
    assert response.status_code == 302 and not DataValue.objects.exists()


def test_home_lists_only_own_school(client, world):
    login(client, world, "collector")
    content = client.get(reverse("home")).content.decode()
    assert "甲职业学校" in content and "乙职业学校" not in content and "丙职业学校" not in content


def test_tables_cover_every_role():
    from dudao.orgs.models import Role

    roles_in_fixture = {
        "collector",
        "checker",
        "principal",
        "district_clerk",
        "district_reviewer",
        "city_admin",
        "inspector",
        "analyst",
        "compiler",
    }
    assert roles_in_fixture == set(Role.values)
    for table in (READ, WRITE, DISTRICT, COVERAGE, COMPILE, STATISTICS):
        assert set(table) == set(READ)


# The compiling workspace (报告编撰) of the city's and 黄浦's reports: W = may write (and open) a chapter, A = may
# open and approve it, - = refused (403). The city report: the compiler writes, the city admin approves; a district
# report: its reviewer writes, the city admin (or another reviewer of the district) approves.
COMPILE = {
    "collector": "- -",
    "checker": "- -",
    "principal": "- -",
    "collector_b": "- -",
    "collector_c": "- -",
    "district_clerk": "- -",
    "district_reviewer": "- W",
    "district_reviewer_xuhui": "- -",
    "city_admin": "A A",
    "inspector": "- -",
    "analyst": "- -",
    "compiler": "W -",
}


@pytest.mark.parametrize("role", list(COMPILE))
def test_compiling_workspace(client, world, role):
    from dudao.compiling import services

    login(client, world, role)
    user = world.users[role]
    period = world.campaign.period
    for org, allowed in zip((world.city, world.huangpu), COMPILE[role].split()):
        response = client.get(reverse("compiling:chapter", args=[org.code, period.code, "6.1"]))
        assert response.status_code == (403 if allowed == "-" else 200), (role, org.code)
        assert services.may_edit(user, org) == (allowed == "W"), (role, org.code)
        assert services.may_approve(user, org) == (allowed == "A" or (allowed == "W" and org.level == "district"))


# Public statistics (dudao.statistics): only the city's administrators and its report team import and list them.
STATISTICS = {role: "W" if role in ("city_admin", "compiler") else "-" for role in READ}


@pytest.mark.parametrize("role", list(STATISTICS))
def test_statistics_pages(client, world, role):
    from django.core.files.uploadedfile import SimpleUploadedFile

    login(client, world, role)
    table = SimpleUploadedFile("t.csv", "单位代码,指标代码,数值\n310000,stat_voc_schools,90\n".encode())
    source = {"name": "《统计》", "publisher": "市教委", "published_on": "2021-03-31", "period": "2020"}
    listing = client.get(reverse("statistics:list"))
    upload = client.post(reverse("statistics:import"), dict(source, file=table))
    stored = DataValue.objects.filter(element__code="stat_voc_schools").exists()
    if STATISTICS[role] == "W":
        assert listing.status_code == 200 and upload.status_code == 302 and stored, role
    else:
        assert listing.status_code == 403 and upload.status_code == 403 and not stored, role
