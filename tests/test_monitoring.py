"""质量监测 campaigns (#18 part 7): the national rotation, the seeded per-district sample, notices once, the
school's checklist and who may see and confirm what."""

from __future__ import annotations

import random
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from dudao.errors import DudaoError
from dudao.inbox.selection import inbox
from dudao.monitoring import catalog, selectors, services
from dudao.monitoring.vocabulary import Kind, State
from dudao.notifications.models import Notification
from dudao.orgs.models import OrgUnit
from dudao.orgs.services import save_school
from dudao.orgs.vocabulary import Role
from dudao.supervision.services import seeded_draw

from .conftest import Catalogs, make_user

pytestmark = pytest.mark.django_db


class W:
    pass


@pytest.fixture
def mw(db):
    w = W()
    w.city = Catalogs.load()
    w.huangpu, w.xuhui, w.jingan = (OrgUnit.objects.get(code=c) for c in ("310101", "310104", "310106"))

    def school(code, district, kind):
        return save_school(code, f"学校{code}", district, [("school_type", kind)])

    # 黄浦: 13 小学 + 1 九年一贯制 (both populations) + 6 初中 + 1 职业高中 (in neither)
    w.hp_primary = [school(f"31010191{n:02d}", w.huangpu, "primary") for n in range(1, 14)]
    w.hp_nine = school("3101019201", w.huangpu, "nine_year")
    w.hp_junior = [school(f"31010193{n:02d}", w.huangpu, "junior") for n in range(1, 7)]
    school("3101019401", w.huangpu, "vocational_high")
    # 徐汇: 2 小学 + 1 初中
    w.xh_primary = [school(f"31010491{n:02d}", w.xuhui, "primary") for n in range(1, 3)]
    w.xh_junior = [school("3101049301", w.xuhui, "junior")]
    # 中职 schools the programme catalog names
    # (学前教育 160100: 0001, 0003 of 黄浦, 0003 of 徐汇; 数控 051400: 徐汇 0003, 0006)
    w.voc = {
        c: school(c, OrgUnit.objects.get(code=c[:6]), "vocational_high")
        for c in ("3101010001", "3101010003", "3101040003", "3101040006")
    }
    w.city_admin = make_user("city", w.city, Role.CITY_ADMIN)
    w.hp_reviewer = make_user("hp", w.huangpu, Role.DISTRICT_REVIEWER)
    w.xh_reviewer = make_user("xh", w.xuhui, Role.DISTRICT_REVIEWER)
    w.ja_reviewer = make_user("ja", w.jingan, Role.DISTRICT_REVIEWER)
    w.principals = {
        s.code: make_user(f"{s.code}-principal", s, Role.PRINCIPAL) for s in [*w.hp_primary, w.hp_nine, *w.xh_primary]
    }
    return w


def national(w, seed="2020-seed", districts=None):
    campaign = services.create_campaign(
        w.city_admin, Kind.NATIONAL, 2020, date(2020, 10, 20), districts=districts or [w.huangpu, w.xuhui], seed=seed
    )
    services.draw_sample(campaign, w.city_admin)
    return campaign


def codes(campaign, district=None, stratum=None):
    rows = campaign.sampled.all()
    if district:
        rows = rows.filter(district=district)
    if stratum:
        rows = rows.filter(stratum=stratum)
    return sorted(rows.values_list("school__code", flat=True))


def test_the_rotation_follows_the_2015_and_the_2021_schemes():
    assert catalog.subjects_of(2020)[0] == ["科学", "德育"]  # 2015 方案: (2020 − 2015) mod 3 = 2 → third year
    assert catalog.subjects_of(2018)[0] == ["数学", "体育与健康"]  # (2018 − 2015) mod 3 = 0
    assert catalog.subjects_of(2021)[0] == ["数学", "体育与健康", "心理健康"]  # 2021 修订版, first year
    assert catalog.subjects_of(2023)[0] == ["德育", "科学", "劳动"]  # (2023 − 2021) mod 3 = 2
    assert catalog.subjects_of(2024)[0] == ["数学", "体育与健康", "心理健康"]  # (2024 − 2021) mod 3 = 0
    assert catalog.subjects_of(2014) == ([], "")


def test_the_sample_follows_the_per_district_rule_and_replays_from_the_seed(mw):
    campaign = national(mw)
    # 黄浦 小学 population: 13 小学 + 1 九年一贯制 = 14 > 12 → 12; 初中: 6 初中 + 1 九年一贯制 = 7 < 8 → all 7
    # 徐汇: 2 小学 < 12 → 2; 1 初中 < 8 → 1. Total 12 + 7 + 2 + 1 = 22.
    assert len(codes(campaign, mw.huangpu, "primary")) == 12
    assert codes(campaign, mw.huangpu, "junior") == sorted([s.code for s in mw.hp_junior] + [mw.hp_nine.code])
    assert codes(campaign, mw.xuhui, "primary") == [s.code for s in mw.xh_primary]
    assert codes(campaign, mw.xuhui, "junior") == ["3101049301"]
    assert campaign.sampled.count() == 22
    assert "3101019401" not in codes(campaign)  # the 职业高中 belongs to neither population
    # replay by hand: the population in code order, random.Random("<seed>/<district>/<stratum>").sample
    population = sorted([s.code for s in mw.hp_primary] + [mw.hp_nine.code])
    assert codes(campaign, mw.huangpu, "primary") == sorted(
        random.Random("2020-seed/310101/primary").sample(population, 12)
    )
    # the same seed over the same population: the same schools
    again = national(mw)
    assert codes(again) == codes(campaign)
    # one rule for every seeded draw: the thematic sampling's function takes all when the quota exceeds the population
    assert seeded_draw(["b", "a"], 5, "x") == ["a", "b"]


def test_only_the_city_admin_creates_and_draws_once(mw):
    with pytest.raises(DudaoError) as refused:
        services.create_campaign(mw.hp_reviewer, Kind.NATIONAL, 2020, date(2020, 10, 20), districts=[mw.huangpu])
    assert refused.value.status == 403
    campaign = national(mw)
    with pytest.raises(DudaoError) as again:
        services.draw_sample(campaign, mw.city_admin)
    assert again.value.status == 409
    with pytest.raises(DudaoError) as no_district:
        services.create_campaign(mw.city_admin, Kind.NATIONAL, 2020, date(2020, 10, 20))
    assert no_district.value.errors == {"districts": "请选择样本区"}
    # schedule from the catalog's offsets: 名单上报 30 days before 2020-10-20 = 2020-09-20, 培训 14 days = 10-06
    assert [(e.code, e.due) for e in campaign.schedule.all()][:2] == [
        ("roster", date(2020, 9, 20)),
        ("training", date(2020, 10, 6)),
    ]


def test_the_programme_campaign_samples_per_programme_and_takes_all_when_short(mw):
    campaign = services.create_campaign(
        mw.city_admin, Kind.VOCATIONAL, 2021, date(2021, 5, 12), programmes=["160100", "051400"], quota=2, seed="v"
    )
    services.draw_sample(campaign, mw.city_admin)
    # 学前教育: the catalog names 6 schools, 3 of them exist here (3101010001, 3101010003, 3101040003) → 2 of 3
    preschool = codes(campaign, stratum="160100")
    assert len(preschool) == 2 and set(preschool) <= {"3101010001", "3101010003", "3101040003"}
    # 数控技术应用: 2 existing schools (3101040003, 3101040006) ≤ quota 2 → both
    assert codes(campaign, stratum="051400") == ["3101040003", "3101040006"]
    assert "学前教育、数控技术应用" in campaign.title


def test_notices_go_once(mw):
    campaign = national(mw)
    # principals of the sampled schools that have one: the 12 黄浦 小学 drawn among 13 小学 + 九年一贯制 (every one of
    # those 14 has a principal), the 九年一贯制 again if drawn as 初中 (same key: told once), 徐汇's 2 小学 → 12 + (0 or
    # 1 extra only if the 九年一贯制 was not among the 12 小学) + 2; plus the reviewers of 黄浦 and 徐汇 = 2
    nine_in_primary = mw.hp_nine.code in codes(campaign, mw.huangpu, "primary")
    expected = 12 + (0 if nine_in_primary else 1) + 2 + 2
    assert services.notify_sampled(campaign, mw.city_admin) == expected
    assert services.notify_sampled(campaign, mw.city_admin) == 0
    assert Notification.objects.filter(user=mw.hp_reviewer).count() == 1
    assert Notification.objects.filter(user=mw.ja_reviewer).count() == 0


def test_only_the_sampled_schools_principal_or_collector_confirms_in_order(mw):
    campaign = national(mw)
    row = campaign.sampled.get(school=mw.xh_primary[0])
    other = make_user("other-principal", mw.hp_junior[0], Role.PRINCIPAL)  # sampled too, but another school
    checker = make_user("checker", mw.xh_primary[0], Role.CHECKER)
    for user in (other, checker, mw.xh_reviewer, mw.city_admin):
        with pytest.raises(DudaoError) as refused:
            services.confirm(row, "roster", user, row.version)
        assert refused.value.status == 403
    principal = mw.principals[mw.xh_primary[0].code]
    assert inbox(principal).monitoring == [row] and inbox(checker).monitoring == []  # 我的待办: principal, not checker
    with pytest.raises(DudaoError) as early:
        services.confirm(row, "ready", principal, row.version)
    assert early.value.status == 422
    services.confirm(row, "roster", principal, 0, "已上报32名学生")
    assert row.status == State.ROSTER and row.version == 1
    with pytest.raises(DudaoError) as stale:  # a page read before the roster step
        services.confirm(row, "ready", principal, 0)
    assert stale.value.status == 409
    collector = make_user("collector", mw.xh_primary[0], Role.COLLECTOR)
    services.confirm(row, "ready", collector, 1)
    row.refresh_from_db()
    assert row.status == State.READY
    steps = selectors.checklist_of(row)
    assert [(s["code"], s["done"].by.username) for s in steps] == [
        ("roster", principal.username),
        ("ready", "collector"),
    ]
    assert selectors.tasks_of(principal) == []  # ready: no longer waiting


def test_a_district_sees_its_schools_and_another_district_nothing(mw):
    campaign = national(mw)
    hp_row = campaign.sampled.filter(district=mw.huangpu).first()

    def client(user):
        c = Client()
        c.force_login(user)
        return c

    city = client(mw.city_admin)
    page = city.get(reverse("monitoring:campaign", args=[campaign.pk])).content.decode()
    assert "黄浦区" in page and "徐汇区" in page
    xh = client(mw.xh_reviewer)
    page = xh.get(reverse("monitoring:campaign", args=[campaign.pk])).content.decode()
    assert "徐汇区" in page and hp_row.school.name not in page
    assert xh.get(reverse("monitoring:task", args=[hp_row.pk])).status_code == 404
    ja = client(mw.ja_reviewer)  # 静安 is no 样本区
    assert ja.get(reverse("monitoring:campaign", args=[campaign.pk])).status_code == 404
    assert ja.get(reverse("monitoring:index")).status_code == 200  # an office: the list, empty for 静安
    assert campaign.title not in ja.get(reverse("monitoring:index")).content.decode()
    principal = client(mw.principals[hp_row.school.code])
    assert principal.get(reverse("monitoring:task", args=[hp_row.pk])).status_code == 200
    answer = principal.post(reverse("monitoring:confirm", args=[hp_row.pk]), {"step": "roster", "version": "0"})
    assert answer.status_code == 302
    hp_row.refresh_from_db()
    assert hp_row.status == State.ROSTER
    # 黄浦's summary row on the city's page: 12 + 7 = 19 sampled, one of them with its roster reported
    summary = {
        d["district"].code: d for d in selectors.by_district(list(selectors.sampled_for(mw.city_admin, campaign)))
    }
    assert (summary["310101"]["total"], summary["310101"]["roster"], summary["310104"]["total"]) == (19, 1, 3)


def test_the_city_admin_creates_through_the_page(mw):
    c = Client()
    c.force_login(mw.city_admin)
    answer = c.post(
        reverse("monitoring:create"),
        {"kind": "national", "year": "2020", "test_day": "2020-10-20", "districts": ["310104"], "seed": "page"},
    )
    assert answer.status_code == 302
    assert c.get(answer["Location"]).status_code == 200
    assert c.get(reverse("monitoring:index")).status_code == 200


def test_the_city_moves_a_date_and_the_schools_and_districts_are_told_once(mw):
    """The centre postpones the test: the 市管理员 moves 现场测试 with a reason (the campaign's 监测日 follows), each
    sampled school's principal and each 样本区's reviewer is told once per move, the school's page shows the new date
    and the reason; nobody else may move it, a page read before the move is refused (409), and the 监测日 stays in
    the monitoring year."""
    from dudao.monitoring.models import ScheduleEntry

    campaign = national(mw)
    services.notify_sampled(campaign, mw.city_admin)
    test = campaign.schedule.get(code="test")
    assert test.due == date(2020, 10, 20)
    row = campaign.sampled.get(school=mw.xh_primary[0])
    principal = mw.principals[mw.xh_primary[0].code]
    for user in (mw.xh_reviewer, principal):
        with pytest.raises(DudaoError) as refused:
            services.move_date(test, date(2020, 11, 3), user, 0, "疫情防控")
        assert refused.value.status == 403
    with pytest.raises(DudaoError) as no_reason:
        services.move_date(test, date(2020, 11, 3), mw.city_admin, 0, "  ")
    assert no_reason.value.errors == {"reason": "请填写调整原因"}
    with pytest.raises(DudaoError) as next_year:
        services.move_date(test, date(2021, 1, 5), mw.city_admin, 0, "推迟")
    assert next_year.value.errors == {"due": "监测日应在监测年度内"}
    before = Notification.objects.count()

    c = Client()
    c.force_login(mw.city_admin)
    url = reverse("monitoring:move_date", args=[test.pk])
    answer = c.post(url, {"due": "2020-11-03", "version": "0", "reason": "国家监测中心通知推迟两周"})
    assert answer.status_code == 302
    test.refresh_from_db()
    campaign.refresh_from_db()
    assert (test.due, test.version, campaign.test_day) == (date(2020, 11, 3), 1, date(2020, 11, 3))
    # told: every sampled school with a principal (as notify_sampled counted them) and the two districts' reviewers
    told = Notification.objects.filter(title__contains="时间安排调整")
    assert told.count() == Notification.objects.count() - before > 0
    assert told.filter(user=mw.xh_reviewer).count() == 1 and told.filter(user=mw.ja_reviewer).count() == 0
    notice = told.get(user=principal)
    assert "现场测试由 2020-10-20 调整为 2020-11-03。原因：国家监测中心通知推迟两周" in notice.body
    assert notice.link == reverse("monitoring:task", args=[row.pk])
    school_page = Client()
    school_page.force_login(principal)
    page = school_page.get(reverse("monitoring:task", args=[row.pk])).content.decode()
    assert "2020-11-03 现场测试" in page and "国家监测中心通知推迟两周" in page

    stale = c.post(url, {"due": "2020-11-10", "version": "0", "reason": "再推迟"})  # a page read before the move
    assert stale.status_code == 409
    assert ScheduleEntry.objects.get(pk=test.pk).due == date(2020, 11, 3)
    assert c.post(url, {"due": "11/10", "version": "1", "reason": "再推迟"}).status_code == 422
    # the other dates keep their days
    assert campaign.schedule.get(code="roster").due == date(2020, 9, 20)
