"""Publishing with eyes open: the approver previews the very file that is published, and a district or city report
states its coverage and is refused below the minimum unless the requester writes why (printed in its data note)."""

import hashlib
import io

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from dudao.collection.models import Period, Submission
from dudao.errors import DudaoError
from dudao.orgs.models import OrgUnit
from dudao.portal import publishing
from dudao.portal.models import Publication
from dudao.reports.builder import Report
from dudao.reports.render import to_docx

from .conftest import VALID, approve_to

pytestmark = pytest.mark.django_db

REASON = "2021年度数据采集仍在进行，先行发布首所核准学校的数据供各区参考"


def user(name):
    return get_user_model().objects.get(username=name)


def pdf_text(data: bytes) -> str:
    from pdfminer.high_level import extract_text

    return "".join(extract_text(io.BytesIO(data)).split())


def test_the_preview_is_the_published_file(demo, client):
    school = OrgUnit.objects.get(code="3101010002")
    pub = publishing.request(school, Period.objects.get(code="2020"), user("d310101"))
    stored = Publication.objects.get(pk=pub.pk)
    assert stored.html  # frozen when requested, before anyone looked; the PDF is printed from it on first download

    client.force_login(user("city_admin"))
    desk = client.get(reverse("portal:desk")).content.decode()
    assert reverse("portal:desk_preview", args=[pub.pk]) in desk
    assert reverse("portal:desk_preview_pdf", args=[pub.pk]) in desk
    preview_html = client.get(reverse("portal:desk_preview", args=[pub.pk])).content.decode()
    preview_pdf = client.get(reverse("portal:desk_preview_pdf", args=[pub.pk])).content
    stored.refresh_from_db()
    assert preview_pdf.startswith(b"%PDF") and preview_html == stored.html and preview_pdf == stored.pdf_file.read()
    assert stored.pdf_sha256 == hashlib.sha256(preview_pdf).hexdigest()  # the hash of the stored file is kept

    assert client.post(reverse("portal:desk_review", args=[pub.pk, "approve"])).status_code == 302
    pub.refresh_from_db()
    assert pub.status == "published"
    assert client.get(reverse("portal:report", args=[pub.pk])).content.decode() == preview_html
    assert client.get(reverse("portal:pdf", args=[pub.pk])).content == preview_pdf


def test_previews_are_private_to_the_desk(demo, client):
    pub = publishing.request(OrgUnit.objects.get(code="3101040001"), Period.objects.get(code="2020"), user("d310104"))
    assert client.get(reverse("portal:desk_preview", args=[pub.pk])).status_code == 302  # to login
    client.force_login(user("d310101"))  # another district's reviewer
    assert client.get(reverse("portal:desk_preview", args=[pub.pk])).status_code == 404
    assert client.get(reverse("portal:desk_preview_pdf", args=[pub.pk])).status_code == 404
    with pytest.raises(DudaoError, match="申请人以外"):  # four eyes, as before
        publishing.approve(pub, user("d310104"))


def _one_school_approved_in_2021():
    """The demo's 2021 collection is open with every form a draft; take one school's form to 已核准."""
    sub = Submission.objects.get(
        org__code="3101010001", campaign__period__code="2021", campaign__dataset__code="vocational_quality"
    )
    users = {
        "collector": user("3101010001-collector"),
        "checker": user("3101010001-checker"),
        "principal": user("3101010001-principal"),
    }
    assert approve_to(sub, users, "approved", VALID).state == "approved"


def test_city_report_with_1_of_71_schools_needs_a_reason(demo, client, settings):
    settings.DUDAO_PUBLICATION_MIN_COVERAGE = 100
    city, period = OrgUnit.objects.get(code="310000"), Period.objects.get(code="2021")
    cover = publishing.coverage(city, period)
    assert (cover.accepted, cover.total, cover.enough) == (0, 71, False)
    _one_school_approved_in_2021()
    cover = publishing.coverage(city, period)
    assert (cover.accepted, cover.total, cover.enough) == (1, 71, False)
    huangpu = publishing.coverage(OrgUnit.objects.get(code="310101"), period)
    assert (huangpu.accepted, huangpu.total) == (1, 5)

    # the desk shows the coverage before anything is submitted, for the chosen unit and period
    client.force_login(user("analyst"))
    desk = client.get(reverse("portal:desk"), {"org": "310000", "period": "2021"}).content.decode()
    assert "1/71 所学校" in desk and "低于发布要求的 100%" in desk
    fragment = client.get(reverse("portal:desk_coverage"), {"org": "310101", "period": "2021"}).content.decode()
    assert "1/5 所学校" in fragment
    complete = client.get(reverse("portal:desk_coverage"), {"org": "310000", "period": "2020"}).content.decode()
    assert "71/71 所学校" in complete and "达到发布要求" in complete

    # refused without a reason — by the service and through the desk, which keeps the chosen unit and period
    before = Publication.objects.count()
    with pytest.raises(DudaoError, match="1/71所学校的数据已核准") as refused:
        publishing.request(city, period, user("analyst"))
    assert refused.value.field_errors() == {"reason": refused.value.message}
    with pytest.raises(DudaoError):
        publishing.request(city, period, user("analyst"), reason="   ")
    response = client.post(reverse("portal:desk_request"), {"org": "310000", "period": "2021", "reason": ""})
    assert response.status_code == 302 and "org=310000&period=2021" in response["Location"]
    assert "发布说明" in client.get(response["Location"]).content.decode()
    assert Publication.objects.count() == before

    # accepted with one; the reason is kept and printed in the data note of the HTML, the PDF and the DOCX
    response = client.post(reverse("portal:desk_request"), {"org": "310000", "period": "2021", "reason": REASON})
    assert response.status_code == 302
    pub = Publication.objects.get(org=city, period=period)
    note = f"本报告在1/71所学校数据核准的情况下发布，说明：{REASON}"
    assert pub.coverage_reason == REASON and publishing.report_of(pub).coverage_note == note
    assert note in pub.html
    assert note in pdf_text(publishing.pdf_of(pub))
    from docx import Document

    paragraphs = [p.text for p in Document(io.BytesIO(to_docx(publishing.report_of(pub)))).paragraphs]
    statement = paragraphs.index("责任声明与数据说明")
    assert note in paragraphs[statement:]
    desk = client.get(reverse("portal:desk")).content.decode()
    assert REASON in desk  # the approver reads the reason next to the version

    # four eyes still: the analyst cannot approve it, the city admin can
    with pytest.raises(DudaoError, match="申请人以外"):
        publishing.approve(pub, user("analyst"))
    publishing.approve(pub, user("city_admin"))


def test_a_lower_minimum_lets_a_report_through_and_still_states_its_coverage(demo, settings):
    settings.DUDAO_PUBLICATION_MIN_COVERAGE = 1
    district, period = OrgUnit.objects.get(code="310101"), Period.objects.get(code="2021")
    if not publishing.coverage(district, period).accepted:
        _one_school_approved_in_2021()
    pub = publishing.request(district, period, user("d310101"))  # 1/5 = 20% ≥ 1%: no reason needed
    assert pub.coverage_reason == ""
    assert "本报告在1/5所学校数据核准的情况下发布。" in pub.html


def test_a_complete_report_has_no_coverage_note(demo):
    pub = publishing.request(OrgUnit.objects.get(code="310151"), Period.objects.get(code="2020"), user("d310151"))
    assert publishing.report_of(pub).coverage_note == "" and "数据核准的情况下发布" not in pub.html


def test_a_snapshot_frozen_before_the_coverage_note_still_loads(demo):
    pub = Publication.objects.filter(status="published").first()
    old = dict(pub.content)
    old.pop("coverage_note", None)
    report = Report.from_json(old)
    assert report.coverage_note == "" and report.title == pub.title
    assert Report.from_json(report.to_json()) == report
