"""Demo 区县自评报告 (2020, dudao.evaluation.selfeval): for 优质均衡 most districts submitted, 黄浦 is still writing
(its 区审核员 d310101 sees the form), 崇明 has not started, and the city returned 长宁's with a reason; for 学前普及普惠
three districts submitted and one is a draft. The text is the districts' own words and carries no figure: the pages
and reports print the verdict and the parts from the engine next to it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dudao.orgs.models import OrgUnit

BALANCED_DRAFT, BALANCED_NONE, BALANCED_RETURNED = "310101", "310151", "310105"
PRESCHOOL_SUBMITTED, PRESCHOOL_DRAFT = ("310104", "310106", "310115"), "310110"
RETURN_REASON = "“存在问题”一节未对照资源配置的未达标指标逐项分析，请补充后重新提交。"


def texts(district: OrgUnit, topic: str) -> dict[str, str]:
    return {
        "overview": f"{district.name}高度重视{topic}工作，成立由区政府主要领导任组长的领导小组，按年度自评要求"
        "组织教育、发改、财政、人社、规划资源等部门对照评估指标逐项自查。",
        "measures": "一是优化学校布局，新建、改扩建一批学校；二是统筹教师编制和交流轮岗，"
        "骨干教师向薄弱学校流动；三是保障经费投入，生均公用经费按时足额拨付；四是推进集团化办学和学区化管理。",
        "problems": "部分学校校舍和运动场地仍显不足；学科教师结构性短缺，体育、艺术教师配备不均衡；"
        "个别学校办学质量与区域平均水平仍有差距。",
        "rectification": "制定补短板三年行动计划，明确责任部门与完成时限；加大紧缺学科教师招聘与培养力度；"
        "对薄弱学校实行对口帮扶，区督导室跟踪督办并纳入年度督政。",
    }


def load(period, districts: list[OrgUnit], users: dict) -> int:
    """Write the reports through the service (as each district's 区审核员, returned by the city inspector); returns
    how many were written."""
    from dudao.evaluation import selfeval

    written = 0
    for district in districts:
        reviewer = users[f"d{district.code}"]
        plans = []
        if district.code != BALANCED_NONE:
            plans.append(("balanced", "义务教育优质均衡发展", district.code != BALANCED_DRAFT))
        if district.code in PRESCHOOL_SUBMITTED or district.code == PRESCHOOL_DRAFT:
            plans.append(("preschool", "学前教育普及普惠", district.code in PRESCHOOL_SUBMITTED))
        for code, topic, submit in plans:
            found = selfeval.save(code, period, district, reviewer, texts(district, topic), 0, submit=submit)
            written += 1
            if code == "balanced" and district.code == BALANCED_RETURNED:
                selfeval.return_(code, period, district, users["inspector"], RETURN_REASON, found.version)
    return written
