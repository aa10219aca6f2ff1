"""The year-end annual work report (工作年报) of a work plan, compiled by the plan's owner from the offices' reviewed
accounts (``plans.accounts``) — published through the same four-eyes step and in the same official-document form
(HTML, Typst PDF, DOCX) as the quality reports, because it *is* a ``reports.builder.Report``.

Chapters: 一 基本情况 from the imported education statistics (``statistics.overview.paragraphs``; left out when
there are none), then one chapter per plan section (its title from the plan), whose body is the approved accounts
in task order; tasks without an approved account are listed in the annex 附件：未交账任务, not in the body.

It lives here, above both ``plans`` and ``reports`` (siblings that may not import each other), and registers its
builder with ``portal.publishing`` under the template prefix ``work_annual`` ("work_annual:<plan id>").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

from dudao.orgs.access import has_role
from dudao.orgs.vocabulary import Role
from dudao.plans import accounts
from dudao.plans.services import city_unit
from dudao.reports.builder import Block, Paragraph, Report, Section, Table
from dudao.statistics import overview

if TYPE_CHECKING:
    from dudao.collection.models import Period
    from dudao.orgs.models import OrgUnit
    from dudao.plans.models import Plan

PREFIX = "work_annual"
OWNER_ROLES = (Role.CITY_ADMIN, Role.COMPILER)  # the plan owner: the city's plan administrators and its 报告编撰员
NUMERALS = "一二三四五六七八九十"


def template_of(plan: Plan) -> str:
    return f"{PREFIX}:{plan.pk}"


def may_compile(user) -> bool:
    """The plan's owner compiles and previews: a city admin or the city's report compiler. Requesting publication
    is ``portal.publishing``'s rule (the city admins), approving it a second person's."""
    return has_role(user, city_unit(), *OWNER_ROLES)


def numeral(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十 (chapters of a report never reach 100)."""
    if n <= 10:
        return NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return (NUMERALS[tens - 1] if tens > 1 else "") + "十" + (NUMERALS[ones - 1] if ones else "")


def title_of(plan: Plan) -> str:
    return plan.title.replace("工作要点", "工作年报") if "工作要点" in plan.title else f"{plan.title}工作年报"


def build(plan: Plan, org: OrgUnit, period: Period) -> Report:
    """The report: statistics chapter (if any), a chapter per section with approved accounts, the annex."""
    compiled = accounts.compilation(plan)
    sections: list[Section] = []
    basics = overview.paragraphs(period.code, org)
    if basics:
        sections.append(Section("", f"{numeral(1)}、基本情况", 1, list[Block]([Paragraph(p) for p in basics])))
    for chapter in compiled.chapters:
        n = len([s for s in sections if s.level == 1]) + 1
        section = Section("", f"{numeral(n)}、{chapter.title}", 1, [])
        children: list[Section] = []
        for sub_title, tasks in chapter.subsections:
            blocks: list[Block] = [Paragraph(p) for task in tasks for p in task.paragraphs]
            if sub_title:
                children.append(Section("", f"（{numeral(len(children) + 1)}）{sub_title}", 2, blocks))
            else:
                section.blocks.extend(blocks)
        sections.append(section)
        sections.extend(children)
    if compiled.missing:
        rows = [
            [str(m.no), m.title, "；".join(f"{name}（{state}）" for name, state in m.offices)] for m in compiled.missing
        ]
        sections.append(
            Section(
                "",
                "附件：未交账任务",
                1,
                [
                    Paragraph(f"以下{len(compiled.missing)}项任务尚无经处室负责人审核通过的年终交账，未列入正文。"),
                    Table("附-1", "未交账任务", ["序号", "任务", "责任单位（交账状态）"], rows),
                ],
            )
        )
    note = (
        f"本报告依据《{plan.title}》各责任单位经负责人审核通过的年终交账编撰：共{compiled.tasks}项任务，"
        f"{compiled.accounted}项已交账，{len(compiled.missing)}项未交账（见附件）。"
    )
    if basics:
        note += "基本情况一章数据来源于教育事业统计。"
    return Report(
        title=title_of(plan),
        org_code=org.code,
        org_name=org.name,
        level=org.level,
        period_code=period.code,
        period_name=period.name,
        sections=sections,
        statements=[],
        schools_total=0,
        schools_signed=0,
        generated_at=timezone.now(),
        data_note=note,
    )


def build_for_publication(org: OrgUnit, period: Period, template: str) -> Report:
    """``portal.publishing``'s builder: the plan named by the template code ("work_annual:<plan id>")."""
    from dudao.plans import selectors

    plan = selectors.plan_by_pk(int(template.partition(":")[2]))
    return build(plan, org, period)
