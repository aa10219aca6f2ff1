"""督学 visits (issue #17 part 2): visit plans, visits recorded from a phone against the YAML checklists, findings
raised into the ledger, offline sync deduplicated by the phone's UUID, and recorded random sampling. Each test
replays an attack or a mistake."""

import json
import os
import uuid
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.test import Client
from django.urls import reverse

from dudao.supervision import selectors, services
from dudao.supervision.models import Finding, ThematicSampling, Visit, VisitPhoto
from dudao.supervision.vocabulary import SourceKind

from .test_supervision import refused  # one helper for "this call is refused with that status"

ON = date(2021, 3, 5)
ALL_MET = {"governance": True, "curriculum": True, "homework": True, "safety": True, "canteen": True}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def sv(world):
    w = world
    w.reviewer = w.users["district_reviewer"]
    qualified = {
        "trained_on": date(2020, 9, 1),
        "certified_on": date(2019, 1, 1),
        "certificate_expires": date(2023, 12, 31),
    }
    w.zhang_user = get_user_model().objects.create_user("zhang", password="pw-12345-dudao")
    w.li_user = get_user_model().objects.create_user("li", password="pw-12345-dudao")
    w.zhang = services.register_inspector(w.huangpu, w.reviewer, name="张督学", user=w.zhang_user, **qualified)
    w.li = services.register_inspector(w.huangpu, w.reviewer, name="李督学", user=w.li_user, **qualified)
    services.assign(w.school_a, w.zhang, w.reviewer, date(2021, 1, 1))
    services.assign(w.school_b, w.li, w.reviewer, date(2021, 1, 1))
    return w


def body(school="3101010001", **more):
    visit = {
        "client_uuid": str(uuid.uuid4()),
        "school": school,
        "visited_on": ON.isoformat(),
        "kind": "routine",
        "answers": {**ALL_MET, "exercise_minutes": "75"},
        "started_at": "09:10",
        "ended_at": "11:30",
        "latitude": "31.230416",
        "longitude": "121.473701",
        "accuracy": "12",
        "notes": "看了两节课。",
    }
    visit.update(more)
    return visit


def sync(client, visit, photos=()):
    data = {"visit": json.dumps(visit)}
    if photos:
        data["photos"] = list(photos)
    return client.post(reverse("supervision:visit_sync"), data)


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_same_visit_synced_twice_is_one_record(sv):
    """The phone lost the first answer and sends the visit again: one Visit, the second answer names it (200)."""
    client = client_for(sv.zhang_user)
    visit = body()
    first = sync(client, visit)
    assert first.status_code == 201, first.content
    again = sync(client, visit)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.json()["created"] is False
    stored = Visit.objects.get()
    assert stored.inspector == sv.zhang and stored.started_at.isoformat() == "09:10:00"
    assert str(stored.latitude) == "31.230416" and stored.accuracy == 12


def test_special_and_peoples_inspectors_join_a_visit_and_no_one_else_does(sv):
    """特约教育督导员 and 人民教育督察员 join visits (they are never assigned a school): the form offers the district's,
    the sync records them; a 责任督学, an unknown id or another district's companion is refused, nothing saved."""
    from dudao.supervision.vocabulary import InspectorKind

    dates = {
        "trained_on": date(2020, 9, 1),
        "certified_on": date(2019, 1, 1),
        "certificate_expires": date(2023, 12, 31),
    }
    special = services.register_inspector(sv.huangpu, sv.reviewer, name="王特约", kind=InspectorKind.SPECIAL, **dates)
    peoples = services.register_inspector(sv.huangpu, sv.reviewer, name="赵督察", kind=InspectorKind.PEOPLES, **dates)
    client = client_for(sv.zhang_user)
    form = client.get(reverse("supervision:visit_new")).content.decode()
    assert "王特约" in form and "赵督察" in form and "李督学" not in form  # the 责任督学 do not "join"
    for wrong in ([sv.li.pk], [999999], ["x"]):
        answer = sync(client, body(companions=wrong))
        assert answer.status_code == 422 and "companions" in answer.json()["errors"], answer.content
    assert Visit.objects.count() == 0
    answer = sync(client, body(companions=[special.pk, str(peoples.pk)]))
    assert answer.status_code == 201, answer.content
    visit = Visit.objects.get()
    assert set(visit.companions.all()) == {special, peoples}
    page = client.get(reverse("supervision:visit", args=[visit.pk])).content.decode()
    assert "王特约" in page and "赵督察" in page


def test_another_user_replaying_a_visit_uuid_is_refused(sv):
    visit = body()
    assert sync(client_for(sv.zhang_user), visit).status_code == 201
    answer = sync(client_for(sv.reviewer), visit)
    assert answer.status_code == 409
    assert Visit.objects.count() == 1


def test_unmet_items_and_typed_findings_enter_the_ledger(sv):
    visit, created = services.record_visit(
        sv.zhang_user,
        client_uuid=str(uuid.uuid4()),
        school=sv.school_a,
        visited_on=ON,
        answers={**ALL_MET, "safety": False, "exercise_minutes": 40},
        findings=[{"text": "食堂留样记录缺两天。", "severity": "high"}],
    )
    assert created
    found = Finding.objects.filter(source_kind=SourceKind.VISIT, source_ref=f"visit-{visit.pk}").order_by("pk")
    texts = [f.text for f in found]
    assert len(texts) == 3, texts
    assert "消防通道畅通：未达标（否）" in texts[0] and "（40）" in texts[1] and texts[2] == "食堂留样记录缺两天。"
    assert all(f.owner == sv.school_a and f.inspector == sv.zhang for f in found)
    assert found[2].severity == "high"
    # the school sees them in its ledger
    assert set(selectors.visible_findings(sv.users["principal"])) == set(found)


def test_a_thematic_visit_is_judged_against_the_thematic_catalog(sv):
    visit, _ = services.record_visit(
        sv.zhang_user,
        client_uuid=str(uuid.uuid4()),
        school=sv.school_a,
        visited_on=ON,
        kind="thematic",
        theme="myopia",
        answers={
            "eye_exercises": True,
            "screening": True,
            "outdoor_minutes": 90,
            "lighting": True,
            "homework_control": True,
        },
    )
    (finding,) = Finding.objects.filter(source_ref=f"visit-{visit.pk}")
    assert finding.theme == "近视防控" and "户外活动" in finding.text
    refused(
        lambda: services.record_visit(
            sv.zhang_user,
            client_uuid=str(uuid.uuid4()),
            school=sv.school_a,
            visited_on=ON,
            kind="thematic",
            theme="nope",
        ),
        422,
    )


def test_a_visit_queued_for_a_school_reassigned_since_is_refused_when_it_syncs(sv):
    """张 filled the visit offline; meanwhile the district gave the school to 李. The sync is refused with a message
    the page shows; nothing is written."""
    client = client_for(sv.zhang_user)
    visit = body()
    services.assign(sv.school_a, sv.li, sv.reviewer, date(2021, 3, 1))
    answer = sync(client, visit)
    assert answer.status_code == 403
    assert "责任督学" in answer.json()["error"]
    assert not Visit.objects.exists() and not Finding.objects.exists()


def test_an_inspector_records_no_visit_of_another_inspectors_school(sv):
    assert sync(client_for(sv.zhang_user), body(school="3101010002")).status_code == 403
    assert sync(client_for(sv.users["principal"]), body()).status_code == 403
    assert Client().post(reverse("supervision:visit_sync"), {"visit": json.dumps(body())}).status_code == 302
    # the district above the school may record one
    assert sync(client_for(sv.reviewer), body(school="3101010002")).status_code == 201


def test_a_script_disguised_as_a_photo_is_refused(sv):
    client = client_for(sv.zhang_user)
    fake = SimpleUploadedFile("x.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")
    answer = sync(client, body(), [fake])
    assert answer.status_code == 422 and "photos" in answer.json()["errors"]
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * services.PHOTO_MAX_BYTES, content_type="image/png")
    assert sync(client, body(), [big]).status_code == 422
    assert not Visit.objects.exists()
    ok = sync(client, body(), [SimpleUploadedFile("a.png", PNG, content_type="text/plain")])
    assert ok.status_code == 201
    photo = VisitPhoto.objects.get()
    assert photo.content_type == "image/png"
    assert client.get(reverse("supervision:visit_photo", args=[photo.pk])).status_code == 200
    assert (
        client_for(sv.users["collector_c"]).get(reverse("supervision:visit_photo", args=[photo.pk])).status_code == 404
    )


def test_a_visit_dated_tomorrow_or_ending_before_it_starts_is_refused(sv):
    client = client_for(sv.zhang_user)
    assert sync(client, body(visited_on="2999-01-01")).status_code == 422
    assert sync(client, body(started_at="11:00", ended_at="10:00")).status_code == 422
    assert sync(client, body(answers={**ALL_MET, "exercise_minutes": "abc"})).status_code == 422
    assert sync(client, body(client_uuid="not-a-uuid")).status_code == 422
    assert not Visit.objects.exists()


def test_the_plan_page_counts_the_terms_visits_against_the_plan(sv):
    services.plan_visits(sv.zhang, sv.school_a, "2020-2", 2, sv.reviewer)
    refused(lambda: services.plan_visits(sv.zhang, sv.school_a, "2020-2", 3, sv.zhang_user), 403)
    refused(lambda: services.plan_visits(sv.zhang, sv.school_a, "2020-x", 3, sv.reviewer), 422)
    services.record_visit(
        sv.zhang_user, client_uuid=str(uuid.uuid4()), school=sv.school_a, visited_on=ON, answers=ALL_MET
    )
    services.record_visit(  # the term before: not counted
        sv.zhang_user, client_uuid=str(uuid.uuid4()), school=sv.school_a, visited_on=date(2021, 1, 10), answers=ALL_MET
    )
    (row,) = selectors.plan_progress(sv.zhang_user, "2020-2")
    assert row["done"] == 1 and not row["met"]
    assert selectors.plan_progress(sv.li_user, "2020-2") == []
    page = client_for(sv.reviewer).get(reverse("supervision:plans") + "?term=2020-2").content.decode()
    assert "张督学" in page and "未完成" in page


def test_the_same_seed_draws_the_same_schools_and_the_draw_is_recorded(sv):
    city_admin = sv.users["city_admin"]
    first = services.sample_schools(sv.city, "myopia", 2, city_admin, year=2021, seed="20210301")
    again = services.sample_schools(sv.city, "myopia", 2, city_admin, year=2021, seed="20210301")
    assert first.schools == again.schools and len(first.schools) == 2 and first.population == 3
    generated = services.sample_schools(sv.huangpu, "myopia", 1, sv.reviewer, year=2021)
    assert generated.seed and ThematicSampling.objects.get(pk=generated.pk).schools[0].startswith("310101")
    refused(lambda: services.sample_schools(sv.huangpu, "myopia", 1, sv.zhang_user, year=2021), 403)
    refused(lambda: services.sample_schools(sv.xuhui, "myopia", 1, sv.reviewer, year=2021), 403)
    refused(lambda: services.sample_schools(sv.huangpu, "myopia", 9, sv.reviewer, year=2021), 422)
    page = client_for(city_admin).get(reverse("supervision:sampling")).content.decode()
    assert "20210301" in page


def test_the_service_worker_is_served_under_supervision_as_javascript(sv):
    answer = Client().get(reverse("supervision:sw"))
    assert answer.status_code == 200 and answer["Content-Type"].startswith("application/javascript")
    assert b"/supervision/visits/new/" in answer.content


# ------------------------------------------------------------------------------------------ the phone, offline


@pytest.mark.browser
def test_a_visit_saved_with_the_network_cut_syncs_once_when_back_online(transactional_db, live_server, sv):
    """On a 390 px phone: the form loads from the service worker's cache with the network cut, the visit is saved to
    the phone, and when the network is back it syncs — exactly one Visit. A second visit queued for a school that
    was reassigned meanwhile is refused and stays on the phone, flagged."""
    from .test_browser import ARGS, CHROMIUM, session

    if not os.path.exists(CHROMIUM):
        pytest.skip("needs Debian chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = session(browser, live_server, "zhang")
            page.set_viewport_size({"width": 390, "height": 844})
            form_url = f"{live_server.url}{reverse('supervision:visit_new')}"
            page.goto(form_url)
            page.wait_for_function("() => !!navigator.serviceWorker.controller")
            assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")

            page.context.set_offline(True)
            page.reload()  # served by the service worker
            page.locator("#visit-form").wait_for()
            for code in ("governance", "curriculum", "homework", "canteen"):
                page.check(f'fieldset[data-checklist="routine:"] [data-item="{code}"]')
            page.fill('fieldset[data-checklist="routine:"] [data-item="exercise_minutes"]', "70")
            page.fill("#v-notes", "离线记录。")
            page.click("#v-save")
            page.locator("#queue li.waiting").wait_for()
            assert not Visit.objects.exists()

            page.context.set_offline(False)
            page.wait_for_function("() => document.querySelectorAll('#queue li').length === 0")
            visit = Visit.objects.get()
            assert visit.notes == "离线记录。" and visit.answers["safety"] is False
            assert list(Finding.objects.values_list("source_ref", flat=True)) == [f"visit-{visit.pk}"]

            # the school goes to 李 while 张's phone is offline with a second visit
            page.context.set_offline(True)
            page.click("#v-save")
            page.locator("#queue li.waiting").wait_for()
            services.assign(sv.school_a, sv.li, sv.reviewer, date(2021, 3, 1))
            page.context.set_offline(False)
            flagged = page.locator("#queue li.refused")
            flagged.wait_for()
            assert "责任督学" in flagged.inner_text()
            assert Visit.objects.count() == 1
        finally:
            browser.close()
            connections.close_all()
