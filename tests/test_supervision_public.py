"""What the public sees of 督学 work (issue #17 part 5): the summaries the city published (counts only) and each
school's 责任督学 card, linked from the portal; never a finding."""

import pytest
from django.test import Client
from django.urls import reverse

from dudao.errors import DudaoError
from dudao.supervision import selectors, services
from dudao.supervision.models import Finding, PublishedSummary

pytestmark = pytest.mark.django_db


def test_the_city_publishes_the_board_as_counts_and_the_portal_shows_only_that(demo, django_user_model):
    summary = PublishedSummary.objects.first()  # the demo's
    assert summary is not None
    finding = Finding.objects.exclude(text="").first()
    page = Client().get(reverse("portal:supervision")).content.decode()
    assert summary.title in page and "黄浦区" in page
    assert finding.text not in page and finding.owner.name not in page  # counts, no finding, no school
    rows = summary.counts["districts"] + summary.counts["departments"]
    total = sum(sum(counts) for _code, _name, counts in rows)
    assert total == Finding.objects.count()  # every finding counted once, by its district or its 市政府部门
    assert summary.counts["departments"] and "按市政府部门" in page  # the demo's 市规划资源局 督政 finding
    assert reverse("portal:supervision") in Client().get(reverse("portal:index")).content.decode()


def test_only_the_city_admin_publishes(demo, django_user_model):
    before = PublishedSummary.objects.count()
    for name in ("d310101", "analyst", "inspector", "dx310101-1", "3101010001-principal"):
        with pytest.raises(DudaoError) as refused:
            services.publish_summary(django_user_model.objects.get(username=name), "概况")
        assert refused.value.status == 403
    client = Client()
    client.force_login(django_user_model.objects.get(username="d310101"))
    assert client.post(reverse("supervision:publish"), {"title": "概况"}).status_code == 403
    assert PublishedSummary.objects.count() == before
    client.force_login(django_user_model.objects.get(username="city_admin"))
    assert reverse("supervision:publish") in client.get(reverse("supervision:board")).content.decode()
    assert client.post(reverse("supervision:publish"), {"title": "2021年第一学期概况"}).status_code == 302
    assert PublishedSummary.objects.count() == before + 1
    assert "2021年第一学期概况" in Client().get(reverse("portal:supervision")).content.decode()


def test_the_district_column_lists_each_schools_inspector_card(demo):
    page = Client().get(reverse("portal:district", args=["310101"])).content.decode()
    cards = selectors.public_cards(selectors.school("3101010001").parent)
    assert cards and all(reverse("supervision:school", args=[a.school.code]) in page for a in cards)
    card = Client().get(reverse("supervision:school", args=[cards[0].school.code])).content.decode()
    assert cards[0].inspector.name in card


def test_the_demo_term_has_a_visit_joined_by_a_special_and_a_peoples_inspector(demo):
    from dudao.supervision.models import Visit
    from dudao.supervision.vocabulary import InspectorKind

    joined = Visit.objects.filter(companions__isnull=False).distinct()
    assert joined.count() == 2  # the first visit of the term in 黄浦 and in 徐汇
    kinds = {p.kind for visit in joined for p in visit.companions.all()}
    assert kinds == {InspectorKind.SPECIAL, InspectorKind.PEOPLES}
