"""Publish the demo's reports the way the offices would: the district (or the analyst, for the city) requests, the
city admin approves. The 2020 city report is published twice so the portal shows a superseded first version."""

from django.contrib.auth import get_user_model

from dudao.collection import selectors
from dudao.errors import DudaoError
from dudao.orgs import selectors as orgs
from dudao.orgs.vocabulary import Level
from dudao.portal import publishing


def publish_demo(year: str = "2020") -> int:
    User = get_user_model()
    city_admin = User.objects.get(username="city_admin")
    analyst = User.objects.get(username="analyst")
    period, city = selectors.period(year), orgs.city()
    if period is None or city is None:
        raise DudaoError(f"演示数据尚未加载（没有 {year} 年度或市级机构）")
    count = 0
    for district in orgs.districts():
        reviewer = User.objects.get(username=f"d{district.code}")
        publishing.approve(publishing.request(district, period, reviewer, notify=False), city_admin)
        count += 1
        for school in orgs.children(district, [Level.SCHOOL]):
            if not publishing.school_is_approved(school, period):
                continue  # not a vocational school: the quality report is not about it
            publishing.approve(publishing.request(school, period, reviewer, notify=False), city_admin)
            count += 1
    # the city report last: its 前言 counts the school and district reports the portal has published
    publishing.approve(publishing.request(city, period, analyst, notify=False), city_admin, "初版")
    publishing.approve(publishing.request(city, period, analyst, notify=False), city_admin, "更正第二版")
    previous = period.previous()
    if previous:
        publishing.approve(publishing.request(city, previous, analyst, notify=False), city_admin)
    return count + 2
