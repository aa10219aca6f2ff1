"""Demo 质量监测: the 2020 national compulsory-education quality monitoring (科学、德育 by the 2015 方案's rotation) in
six 样本区, and a 2021 中职 programme monitoring of 学前教育 and 数控技术应用 — drawn, notified and partly confirmed
through monitoring.services, as the city and the schools would have done it.

The demo's compulsory schools are 3 小学 + 2 初中 per district, fewer than the 12 + 8 quota, so each 样本区 sends all
of them (the rule's "不足的全部抽取"); the programme monitoring draws 3 of 6 and 3 of 8 schools. Its seed is the one
that draws 中华职业学校 (a demo login) for 学前教育: its principal finds the task in 我的待办, still to confirm."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dudao.monitoring import services
from dudao.monitoring.vocabulary import Kind
from dudao.orgs import selectors as orgs

SHANGHAI = ZoneInfo("Asia/Shanghai")
SAMPLE_DISTRICTS = ["310101", "310104", "310105", "310106", "310112", "310115"]
NATIONAL_SEED = "2020-national"
VOCATIONAL_SEED = "2021-zhongzhi"  # draws 3101010001 中华职业学校 among the 学前教育 schools
# how far each 样本区's schools got: both steps, the roster only, or nothing yet
READY_DISTRICTS, ROSTER_DISTRICTS = {"310101", "310104", "310112"}, {"310106"}


def load(users) -> None:
    city_admin = users["city_admin"]
    districts = [d for d in (orgs.unit(code) for code in SAMPLE_DISTRICTS) if d is not None]
    national = services.create_campaign(
        city_admin, Kind.NATIONAL, 2020, date(2020, 10, 20), districts=districts, seed=NATIONAL_SEED
    )
    sampled = services.draw_sample(national, city_admin)
    services.notify_sampled(national, city_admin)
    roster_at = datetime(2020, 9, 15, 10, tzinfo=SHANGHAI)
    for n, row in enumerate(sampled):
        principal = users.get(f"{row.school.code}-principal")
        code = row.district.code
        # 长宁: its 实验小学 (a demo login) is ready, the other schools still to report
        changning_first = code == "310105" and row.school.code.endswith("1001")
        if principal is None or not (code in READY_DISTRICTS | ROSTER_DISTRICTS or changning_first):
            continue
        services.confirm(row, "roster", principal, row.version, at=roster_at + timedelta(hours=n))
        if code in READY_DISTRICTS or changning_first:
            services.confirm(row, "ready", principal, row.version, at=roster_at + timedelta(days=20, hours=n))

    vocational = services.create_campaign(
        city_admin,
        Kind.VOCATIONAL,
        2021,
        date(2021, 5, 12),
        programmes=["160100", "051400"],
        quota=3,
        seed=VOCATIONAL_SEED,
    )
    rows = services.draw_sample(vocational, city_admin)
    services.notify_sampled(vocational, city_admin)
    at = datetime(2021, 4, 9, 10, tzinfo=SHANGHAI)
    for n, row in enumerate(rows):
        if row.stratum == "051400" and n % 2 == 0:  # half of the 数控 schools have reported their programme data
            services.confirm(row, "roster", users[f"{row.school.code}-principal"], row.version, at=at)
