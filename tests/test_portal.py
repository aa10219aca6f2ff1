"""Public disclosure: what the portal lists, what it hides, and the reviewed publication workflow."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from dudao.collection.models import Period
from dudao.errors import DudaoError
from dudao.orgs.models import OrgUnit
from dudao.portal import publishing
from dudao.portal.models import BatchRun, Publication

pytestmark = pytest.mark.django_db


def user(name):
    return get_user_model().objects.get(username=name)


def test_city_column_lists_everything_and_coverage(demo, client):
    page = client.get(reverse("portal:index")).content.decode()
    assert "学校 <strong>71/71</strong>，区 <strong>16/16</strong>" in page
    assert page.count("2020年度上海市中等职业教育质量年度报告") == 2  # v2 and the superseded v1
    assert "已被新版本替代" in page
    assert "2020年度浦东新区中等职业教育质量年度报告" in page and "2020年度中华职业学校中等职业教育质量年度报告" in page


def test_district_column_lists_only_its_own(demo, client):
    page = client.get(reverse("portal:district", args=["310101"])).content.decode()
    assert "2020年度黄浦区中等职业教育质量年度报告" in page and "中华职业学校" in page
    assert "徐汇区中等职业教育" not in page and "上海信息技术学校" not in page
    assert "学校 <strong>5/5</strong>" in page


def test_reports_open_without_login(demo, client):
    pub = Publication.objects.filter(
        org__code="310000", period__code="2020", status="published", template="quality_annual"
    ).get()
    html = client.get(reverse("portal:report", args=[pub.pk])).content.decode()
    assert "148.05亿元，比2019年增长5.73%" in html
    pdf = client.get(reverse("portal:pdf", args=[pub.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    old = Publication.objects.get(org__code="310000", period__code="2020", version=1, template="quality_annual")
    assert old.status == "superseded"
    # the city's other 2020 report, its 工作年报, already at a higher version number than this one
    Publication.objects.filter(org__code="310000", period__code="2020").exclude(template="quality_annual").update(
        version=9
    )
    banner = client.get(reverse("portal:report", args=[old.pk])).content.decode()
    # the banner leads to this report's newer version, not to the city's other 2020 report (its 工作年报)
    assert f'已被<a href="{reverse("portal:report", args=[pub.pk])}">第{pub.version}版</a>替代' in banner


def test_pending_and_rejected_versions_are_not_public(demo, client):
    school = OrgUnit.objects.get(code="3101010002")
    period = Period.objects.get(code="2020")
    pending = publishing.request(school, period, user("d310101"))
    rejected = publishing.request(school, period, user("d310101"))
    publishing.reject(rejected, user("city_admin"), "数据口径待核")
    for pub in (pending, rejected):
        assert client.get(reverse("portal:report", args=[pub.pk])).status_code == 404
        assert client.get(reverse("portal:pdf", args=[pub.pk])).status_code == 404
    assert f"/portal/reports/{pending.pk}/" not in client.get(reverse("portal:index")).content.decode()


def test_publication_needs_a_second_person_with_authority(demo):
    school = OrgUnit.objects.get(code="3101010001")
    period = Period.objects.get(code="2020")
    pub = publishing.request(school, period, user("d310101"))
    with pytest.raises(DudaoError, match="申请人以外"):
        publishing.approve(pub, user("d310101"))
    with pytest.raises(DudaoError, match="无权"):
        publishing.approve(pub, user("d310104"))  # another district
    with pytest.raises(DudaoError, match="无权"):
        publishing.approve(pub, user("3101010001-principal"))
    with pytest.raises(DudaoError, match="无权"):
        publishing.request(school, period, user("3101010001-collector"))
    previous = Publication.objects.get(org=school, period=period, status="published")
    publishing.approve(pub, user("city_admin"))
    previous.refresh_from_db()
    assert previous.status == "superseded" and pub.version == previous.version + 1


def test_unapproved_school_data_cannot_be_published(demo):
    school = OrgUnit.objects.get(code="3101010001")
    with pytest.raises(DudaoError, match="尚未经校长核准"):
        publishing.request(school, Period.objects.get(code="2021"), user("d310101"))


def test_batch_job_renders_every_school_with_progress(demo, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    from dudao.portal.tasks import prepare_school_reports

    district = OrgUnit.objects.get(code="310151")  # 崇明: 2 schools, keeps the PDF rendering short
    batch = BatchRun.objects.create(org=district, period=Period.objects.get(code="2020"), requested_by=user("d310151"))
    prepare_school_reports.call(batch.pk)
    batch.refresh_from_db()
    assert (batch.status, batch.done, batch.total, batch.percent) == ("done", 2, 2, 100)
    pending = Publication.objects.filter(org__parent=district, status="pending")
    assert pending.count() == 2 and all(p.html and p.pdf_file and len(p.pdf_sha256) == 64 for p in pending)
    prepare_school_reports.call(batch.pk)  # a retry reuses the pending versions instead of adding more
    assert Publication.objects.filter(org__parent=district, status="pending").count() == 2


def test_batch_page_and_progress_via_web(demo, client, settings, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    client.force_login(user("d310151"))
    with django_capture_on_commit_callbacks(execute=True):  # the job is queued only once the batch row is committed
        response = client.post(reverse("portal:batch_start"), {"org": "310151", "period": "2020"})
    assert response.status_code == 302
    page = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "2/2" in page and "100%" in page
    assert client.post(reverse("portal:batch_start"), {"org": "310101", "period": "2020"}).status_code == 404


def test_desk_approve_via_web(demo, client):
    school = OrgUnit.objects.get(code="3101040001")
    pub = publishing.request(school, Period.objects.get(code="2020"), user("d310104"))
    client.force_login(user("d310104"))
    assert "审核发布" not in client.get(reverse("portal:desk")).content.decode()  # not for one's own request
    client.force_login(user("city_admin"))
    assert client.post(reverse("portal:desk_review", args=[pub.pk, "approve"])).status_code == 302
    pub.refresh_from_db()
    assert pub.status == "published" and pub.reviewed_by == user("city_admin")


def test_public_crawl_reaches_no_private_page(demo, client):
    """Follow the links from the portal without logging in: only public pages, no PII, no draft data.

    Every listing page is visited; of the report pages (each renders a dozen charts on first view) a sample of
    one city, one district and a few schools, PDFs excluded — the full set is the same template.
    """
    import re

    seen, queue, bodies, reports = set(), [reverse("portal:index")], [], 0
    while queue and len(seen) < 400:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        if url.startswith("/static/") or url.endswith("/pdf/"):
            continue  # files
        if url.startswith("/portal/reports/"):
            reports += 1
            if reports > 6:
                continue
        response = client.get(url)
        if url.startswith(("/portal/", "/supervision/school/")):  # the 挂牌 card is public, as the plaque is
            assert response.status_code == 200, url
        else:
            assert response.status_code in (302, 404), url  # staff pages send anonymous users to login
            continue
        if response["Content-Type"].startswith("text/html"):
            body = response.content.decode()
            bodies.append(body)
            queue += [u for u in re.findall(r'href="(/[^"#?]*)', body) if u not in seen]
    text = "".join(bodies)
    assert "dudao-demo" not in text and "-collector" not in text and "草稿" not in text
