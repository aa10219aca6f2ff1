"""Demo work plans: the real 2020 vocational plan (seed document) with tasks assigned to 市教委 offices and
districts, a year of progress reports (completed, in progress, lagging) and a 督办 reminder; plus a 2024 sample plan
so the cross-year view has two plans to compare."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model

from dudao.errors import DudaoError
from dudao.orgs import selectors as orgs
from dudao.orgs.services import grant
from dudao.orgs.vocabulary import Role
from dudao.plans import selectors as plan
from dudao.plans import services, similarity
from dudao.plans.parser import parse_file
from dudao.plans.vocabulary import Status

from . import accounts

if TYPE_CHECKING:
    from dudao.orgs.models import OrgUnit

DATA = Path(__file__).with_name("data")

# (task no, unit code, role, status, narrative, actual values for the task's targets in order)
PROGRESS = [
    (
        10,
        "310000-ZJC",
        "lead",
        Status.DONE,
        "完成首批23个中高职专业教学标准开发，42个高水平专业建设按期推进。",
        [23, 42],
    ),
    (11, "310000-ZJC", "lead", Status.IN_PROGRESS, "网络信息与安全等专业教学标准已完成初稿。", [6]),
    (12, "310000-ZJC", "lead", Status.DONE, "组建新一届30个中心教研组。", [30]),
    (17, "310000-DDS", "lead", Status.DONE, "完成10所中职校诊改抽样复核，71所学校质量年报全部发布。", [10]),
    (25, "310000-ZJC", "lead", Status.LAGGING, "受疫情影响，信息化应用特色学校评审推迟至12月，已立项9所。", [9]),
    (8, "310101", "co", Status.IN_PROGRESS, "区内2所学校与龙头企业共建产教融合实训基地。", []),
    (20, "310115", "lead", Status.DONE, "中职招生计划按期完成，职普比大体相当。", []),
    (28, "310110", "lead", Status.LAGGING, "行业所属学校安全风险防控监管协议尚未全部签订。", []),
]


def load_plans() -> int:
    User = get_user_model()
    city_admin = User.objects.get(username="city_admin")
    work_plan = services.import_plan(
        parse_file(DATA / "vocational_work_plan_2020.txt"), 2020, city_admin, "vocational_work_plan_2020.txt"
    )
    later = services.import_plan(parse_file(DATA / "plan_2024_sample.txt"), 2024, city_admin, "plan_2024_sample.txt")
    office = User.objects.create(username="zjc", first_name="职业教育处")
    office.password = city_admin.password
    office.save()
    grant(office, _unit("310000-ZJC"), Role.CITY_ADMIN)
    for no, code, role, status, narrative, actuals in PROGRESS:
        task = plan.task(work_plan, no)
        org = _unit(code)
        assignment = services.assign(task, org, role, date(2020, 12, 31), city_admin)
        if org.level == "department":
            reporter = office if code == "310000-ZJC" else city_admin
        else:
            reporter = User.objects.get(username=f"d{code}")
        targets = plan.targets(task)
        services.report_progress(
            assignment, "2020Q4", status, narrative, reporter, {t.pk: v for t, v in zip(targets, actuals)}
        )
        if status == Status.LAGGING:
            services.remind(assignment, "请说明滞后原因和下一步措施，一周内回复。", city_admin)
    similarity.link_plans(work_plan, later)
    accounts.load(
        work_plan
    )  # 年终交账 of the 2020 plan, approved by the office heads (data/vocational_accounts_2020.yaml)
    accounts.publish(work_plan)  # the 2020 工作年报 compiled from them, published on the portal (four eyes)
    return work_plan.tasks.count()


def _unit(code: str) -> OrgUnit:
    unit = orgs.unit(code)
    if unit is None:
        raise DudaoError(f"演示数据缺少机构 {code}")
    return unit
