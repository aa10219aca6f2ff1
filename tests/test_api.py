"""REST API: token auth, the same permissions as the pages, all-or-nothing writes, one error shape."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from dudao import security
from dudao.collection.models import DataValue
from dudao.orgs.models import LoginAttempt

from .conftest import VALID

pytestmark = pytest.mark.django_db


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def test_token_from_password_and_anonymous_is_401(world):
    anonymous = APIClient()
    assert anonymous.get("/api/orgs/").status_code == 401
    bad = anonymous.post("/api/auth/token/", {"username": "a-collector", "password": "wrong"}, format="json")
    assert bad.status_code == 401 and bad.json() == {"detail": "用户名或密码错误"}
    good = anonymous.post("/api/auth/token/", {"username": "a-collector", "password": "pw-12345-dudao"}, format="json")
    token = good.json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/orgs/").status_code == 200
    missing = anonymous.post("/api/auth/token/", {"username": "x"}, format="json")
    assert missing.status_code == 400 and "password" in missing.json()["errors"]


def test_token_endpoint_is_throttled(world):
    client = APIClient()
    for _ in range(security.MAX_FAILURES):
        client.post("/api/auth/token/", {"username": "a-collector", "password": "nope"}, format="json")
    locked = client.post("/api/auth/token/", {"username": "a-collector", "password": "pw-12345-dudao"}, format="json")
    assert locked.status_code == 429 and locked.json()["detail"] == security.LOCKED_MESSAGE
    assert LoginAttempt.objects.filter(username="a-collector", succeeded=False).count() == security.MAX_FAILURES


def test_org_list_is_the_callers_subtree(world):
    codes = {o["code"] for o in api(world.users["district_reviewer"]).get("/api/orgs/").json()["results"]}
    assert codes == {"310101", "3101010001", "3101010002"}
    assert api(world.users["district_reviewer"]).get("/api/orgs/310104/").status_code == 404
    assert api(world.users["collector"]).get("/api/orgs/3101010002/").status_code == 404
    city = api(world.users["analyst"]).get("/api/orgs/?level=district").json()
    assert city["count"] == 16


def test_collector_writes_values_all_or_nothing(world):
    collector = api(world.users["collector"])
    url = f"/api/submissions/{world.sub_a.pk}/values/"
    ok = collector.patch(url, {"values": {"students_total": "1200", "majors_count": 9}}, format="json")
    assert ok.status_code == 200 and ok.json()["values"]["students_total"] == "1200"
    bad = collector.patch(url, {"values": {"students_total": "1300", "majors_count": "九"}}, format="json")
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"majors_count"}
    assert DataValue.objects.get(org=world.school_a, element__code="students_total").value == "1200"  # untouched
    unknown = collector.patch(url, {"values": {"nonsense": "1"}}, format="json")
    assert unknown.status_code == 400 and unknown.json()["errors"] == {"nonsense": "数据集中没有此项"}
    empty = collector.patch(url, {"values": {}}, format="json")
    assert empty.status_code == 400


@pytest.mark.parametrize(
    "role, status",
    [
        ("collector", 200),
        ("checker", 403),  # sees the school, may not write
        ("principal", 403),
        ("collector_b", 404),  # another school: not even visible
        ("collector_c", 404),
        ("district_reviewer", 200),  # the district may correct its schools' data (as with the district sheet)
        ("district_reviewer_xuhui", 404),
        ("city_admin", 403),
        ("analyst", 403),
    ],
)
def test_write_permissions_match_the_pages(world, role, status):
    response = api(world.users[role]).patch(
        f"/api/submissions/{world.sub_a.pk}/values/", {"values": {"students_total": "1000"}}, format="json"
    )
    assert response.status_code == status


def test_workflow_through_the_api(world):
    api(world.users["collector"]).patch(
        f"/api/submissions/{world.sub_a.pk}/values/", {"values": {k: str(v) for k, v in VALID.items()}}, format="json"
    )
    steps = [
        ("collector", "submit", {}),
        ("checker", "check", {}),
        ("principal", "approve", {"signer_name": "张校长", "confirm": True}),
        ("district_reviewer", "district_accept", {}),
    ]
    detail = api(world.users["collector"]).get(f"/api/submissions/{world.sub_a.pk}/").json()
    assert [a["action"] for a in detail["actions"]] == ["submit"]
    for role, action, body in steps:
        response = api(world.users[role]).post(
            f"/api/submissions/{world.sub_a.pk}/actions/{action}/", body, format="json"
        )
        assert response.status_code == 200, response.json()
    assert response.json()["to_state"] == "district_accepted"
    locked = api(world.users["collector"]).patch(
        f"/api/submissions/{world.sub_a.pk}/values/", {"values": {"students_total": "1"}}, format="json"
    )
    assert locked.status_code == 403
    no_reason = api(world.users["city_admin"]).post(
        f"/api/submissions/{world.sub_a.pk}/actions/return/", {}, format="json"
    )
    assert no_reason.status_code == 400 and "理由" in no_reason.json()["detail"]
    wrong = api(world.users["collector"]).post(
        f"/api/submissions/{world.sub_a.pk}/actions/city_accept/", {}, format="json"
    )
    assert wrong.status_code == 403  # the step exists now, but not for a collector
    again = api(world.users["collector"]).post(f"/api/submissions/{world.sub_a.pk}/actions/submit/", {}, format="json")
    assert again.status_code == 409  # no such step in this state


def test_reports_are_public_and_drafts_are_not(world):
    assert APIClient().get("/api/reports/").status_code == 200
    assert APIClient().get("/api/reports/999999/").status_code == 404
    for path in (
        "/api/submissions/",
        "/api/indicators/?org=310000&period=2020",
        "/api/plans/",
        "/api/evaluations/balanced/?period=2020",
        "/api/campaigns/",
        "/api/datasets/",
    ):
        assert APIClient().get(path).status_code == 401, path


def test_schema_and_docs_pages(world, client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/submissions/{id}/values/",
        "/api/submissions/{id}/actions/{action}/",
        "/api/indicators/",
        "/api/reports/",
        "/api/plans/",
        "/api/evaluations/{scheme}/",
        "/api/orgs/",
        "/api/campaigns/",
    ):
        assert path in paths
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()
    assert b"cdn" not in docs.content.lower()  # Swagger UI is vendored (sidecar)


def test_ids_and_offsets_beyond_any_database_column_are_answered_not_crashed(world):
    client = api(world.users["city_admin"])
    huge = "-24065402231733266197512192"
    assert client.get(f"/api/submissions/?campaign={huge}").json()["results"] == []
    assert client.get(f"/api/submissions/?campaign={huge[1:]}").json()["results"] == []
    response = client.get(f"/api/submissions/?offset={huge[1:]}")
    assert response.status_code == 400 and "offset" in response.json()["errors"]
