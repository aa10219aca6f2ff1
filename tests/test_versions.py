"""Issue #16 item 4, lost update: two people open the same form or record and save different values. The second save
must be refused (409) with both values shown, the first one stays in the database, and the second person's typed
values stay in their form. Every test loads twice, saves twice, and checks all three."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from dudao import concurrency
from dudao.collection import services
from dudao.collection.models import DataValue
from dudao.errors import CONFLICT, DudaoError
from dudao.orgs.vocabulary import Role

from .conftest import VALID, make_user

pytestmark = pytest.mark.django_db


def _value(world, code="students_total") -> str:
    return DataValue.objects.get(org=world.school_a, period=world.campaign.period, element__code=code).value


def _form_version(html: str, code: str) -> str:
    found = re.search(rf'name="version" id="ver-{code}" value="(\d+)"', html)
    assert found, f"no version field for {code}"
    return found.group(1)


def _browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --------------------------------------------------------------------------- the helper


def test_expected_version_refuses_a_save_that_does_not_say_what_it_read():
    assert concurrency.expected_version("3") == 3
    assert concurrency.expected_version('W/"7"') == 7
    for raw in (None, "", "x", "-1", "1" * 12):
        with pytest.raises(DudaoError):
            concurrency.expected_version(raw)


def test_stale_edit_shows_both_values_per_field_that_differs():
    exc = concurrency.refuse(
        "章节",
        1,
        2,
        {"title": "标题", "text": "正文"},
        {"title": "同", "text": "他的"},
        {"title": "同", "text": "我的"},
    )
    assert exc.status == CONFLICT
    assert list(exc.field_errors()) == ["text"]  # the unchanged title is no conflict
    assert "他的" in exc.message and "我的" in exc.message and "正文" in exc.message


# --------------------------------------------------------------------------- collection: autosave (web)


def test_second_autosave_from_a_stale_form_is_refused_with_both_values(world):
    services.save_values(world.sub_a, {"students_total": 1000}, world.users["collector"])
    page = reverse("review:submission", args=[world.sub_a.pk])
    save = reverse("collection:save_value", args=[world.sub_a.pk, "students_total"])
    first, second = _browser(world.users["collector"]), _browser(world.users["district_reviewer"])
    v1 = _form_version(first.get(page).content.decode(), "students_total")
    v2 = _form_version(second.get(page).content.decode(), "students_total")
    assert v1 == v2 == "1"

    ok = first.post(save, {"value": "1100", "version": v1})
    assert ok.status_code == 200 and _form_version(ok.content.decode(), "students_total") == "2"
    refused = second.post(save, {"value": "1234", "version": v2}, HTTP_HX_REQUEST="true")
    html = refused.content.decode()
    assert refused.status_code == 409
    assert "1100" in html and "他人" in html  # theirs …
    assert 'value="1234"' in html  # … and the typed value stays in the field
    assert _value(world) == "1100"  # the first save is what the database holds
    # the refused field now carries the current version: saving again is a deliberate overwrite
    assert _form_version(html, "students_total") == "2"
    again = second.post(save, {"value": "1234", "version": "2"})
    assert again.status_code == 200 and _value(world) == "1234"


def test_autosave_of_a_value_nobody_had_yet_is_refused_after_someone_filled_it(world):
    save = reverse("collection:save_value", args=[world.sub_a.pk, "students_total"])
    first, second = _browser(world.users["collector"]), _browser(world.users["district_reviewer"])
    assert first.post(save, {"value": "900", "version": "0"}).status_code == 200
    refused = second.post(save, {"value": "950", "version": "0"})
    assert refused.status_code == 409 and _value(world) == "900"


def test_two_people_on_different_fields_do_not_conflict(world):
    first, second = _browser(world.users["collector"]), _browser(world.users["district_reviewer"])
    a = reverse("collection:save_value", args=[world.sub_a.pk, "students_total"])
    b = reverse("collection:save_value", args=[world.sub_a.pk, "graduates"])
    assert first.post(a, {"value": "900", "version": "0"}).status_code == 200
    assert second.post(b, {"value": "300", "version": "0"}).status_code == 200
    assert (_value(world), _value(world, "graduates")) == ("900", "300")


def test_same_value_typed_by_both_is_no_conflict(world):
    save = reverse("collection:save_value", args=[world.sub_a.pk, "students_total"])
    first, second = _browser(world.users["collector"]), _browser(world.users["district_reviewer"])
    assert first.post(save, {"value": "900", "version": "0"}).status_code == 200
    assert second.post(save, {"value": "900", "version": "0"}).status_code == 200


def test_autosave_without_a_version_is_refused(world):
    save = reverse("collection:save_value", args=[world.sub_a.pk, "students_total"])
    assert _browser(world.users["collector"]).post(save, {"value": "900"}).status_code == 400
    assert not DataValue.objects.filter(org=world.school_a).exists()


# --------------------------------------------------------------------------- collection: API


def _api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def test_second_api_patch_from_a_stale_read_is_refused_with_both_values(world):
    services.save_values(world.sub_a, {"students_total": 1000, "graduates": 200}, world.users["collector"])
    detail = f"/api/submissions/{world.sub_a.pk}/"
    first, second = _api(world.users["collector"]), _api(world.users["district_reviewer"])
    read1, read2 = first.get(detail).json()["versions"], second.get(detail).json()["versions"]
    assert read1["students_total"] == read2["students_total"] == 1

    ok = first.patch(
        f"{detail}values/", {"values": {"students_total": "1100"}, "versions": read1}, format="json"
    ).json()
    assert ok["versions"] == {"students_total": 2}
    refused = second.patch(
        f"{detail}values/",
        {"values": {"students_total": "1234", "graduates": "250"}, "versions": read2},
        format="json",
    )
    body = refused.json()
    assert refused.status_code == 409
    assert "1100" in body["errors"]["students_total"] and "1234" in body["errors"]["students_total"]
    assert "graduates" not in body["errors"]  # nobody else changed it …
    assert (_value(world), _value(world, "graduates")) == ("1100", "200")  # … yet nothing was written: all or nothing


# --------------------------------------------------------------------------- the service, directly


def test_save_values_with_a_stale_version_raises_stale_edit(world):
    services.save_values(world.sub_a, {"students_total": 1000}, world.users["collector"])
    services.save_values(
        world.sub_a, {"students_total": 1100}, world.users["collector"], versions={"students_total": 1}
    )
    with pytest.raises(concurrency.StaleEdit) as refused:
        services.save_values(
            world.sub_a, {"students_total": 1200}, world.users["district_reviewer"], versions={"students_total": 1}
        )
    assert [(d.theirs, d.yours) for d in refused.value.differences] == [("1100", "1200")]
    assert _value(world) == "1100"


# --------------------------------------------------------------------------- evaluation: 督政 scores, re-checks


def _duty(world):
    from dudao.evaluation import registry

    return registry.get("district_duty").spec


def test_second_inspector_saving_duty_scores_from_a_stale_form_is_refused_with_both_scores(world):
    from dudao.evaluation.models import DutyScore

    spec = _duty(world)
    second_inspector = make_user("inspector-2", world.city, Role.INSPECTOR)
    item = spec["items"][0]["code"]
    scheme = reverse("evaluation:scheme", args=["district_duty"]) + f"?org=310101&period={world.campaign.period.code}"
    first, second = _browser(world.users["inspector"]), _browser(second_inspector)
    form1 = first.get(scheme).content.decode()
    form2 = second.get(scheme).content.decode()
    field = f"version_onsite_{item}"
    read1 = dict(re.findall(r'name="(version_[^"]+)" value="(\d+)"', form1))
    read2 = dict(re.findall(r'name="(version_[^"]+)" value="(\d+)"', form2))
    assert read1[field] == read2[field] == "0"
    post = {"org": "310101", "period": world.campaign.period.code, "source": "onsite"}
    first.post(reverse("evaluation:duty_scores"), {**post, **read1, item: "3"})
    response = second.post(reverse("evaluation:duty_scores"), {**post, **read2, item: "2"}, follow=True)
    page = response.content.decode()
    assert "已被他人修改" in page and "3.00" in page and "“2”" in page  # theirs and mine
    assert DutyScore.objects.get(district__code="310101", item=item, source="onsite").score == 3


def test_two_rechecks_of_one_duzheng_finding_from_the_same_page_the_second_is_refused(world):
    """The 督政 revisit is the ledger's re-check now: the ledger's version rule refuses the second inspector's."""
    from datetime import date

    from dudao.errors import DudaoError
    from dudao.evaluation.schemes import district_duty as duty
    from dudao.orgs.models import OrgUnit
    from dudao.supervision import services as ledger

    spec = _duty(world)
    district = OrgUnit.objects.get(code="310101")
    inspector = world.users["inspector"]
    duty.record_scores(spec, world.campaign.period, district, "onsite", {spec["items"][0]["code"]: "0"}, inspector)
    found = duty.raise_findings(spec, world.campaign.period, district, inspector, date(2030, 1, 1))[0]
    ledger.submit_rectification(found, make_user("d-310101", district, Role.DISTRICT_REVIEWER), "已整改", found.version)
    read = found.version
    ledger.recheck(found, inspector, True, "已整改", read)
    with pytest.raises(DudaoError) as refused:
        ledger.recheck(found, world.users["city_admin"], False, "未整改", read)
    assert refused.value.status == 409
    found.refresh_from_db()
    assert found.status == "closed" and found.steps.filter(action__in=["accept", "return"]).count() == 1


def test_two_people_explain_the_same_warning_from_the_same_page_and_the_second_sees_both(world):
    services.save_values(world.sub_a, dict(VALID, starting_salary="500"), world.users["collector"])
    page = reverse("review:submission", args=[world.sub_a.pk])
    url = reverse("collection:explain", args=[world.sub_a.pk])
    first, second = _browser(world.users["collector"]), _browser(world.users["district_reviewer"])
    read = [
        re.search(r'name="key" value="salary_range"><input type="hidden" name="version" value="(\d+)"', html).group(1)
        for html in (first.get(page).content.decode(), second.get(page).content.decode())
    ]
    assert read == ["0", "0"]
    first.post(url, {"key": "salary_range", "text": "实习津贴口径", "version": read[0]})
    answer = second.post(url, {"key": "salary_range", "text": "含海外就业", "version": read[1]}, follow=True)
    html = answer.content.decode()
    assert "已被他人修改" in html and "实习津贴口径" in html and "含海外就业" in html
    assert world.sub_a.explanations.get(key="salary_range").text == "实习津贴口径"
