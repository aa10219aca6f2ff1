"""发展性督导评价 outputs: the per-school report as a :class:`dudao.reports.builder.Report` (so the one report machinery
renders it as HTML, Typst PDF and DOCX, and the principal's signature shows as its responsibility statement), and the
district summary as an Excel workbook written through :func:`dudao.documents.append_row`."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from dudao.documents import append_row
from dudao.reports.builder import Block, Paragraph, Report, Section, SignedStatement, Table
from dudao.rounding import fixed

from .schemes import developmental as dev

if TYPE_CHECKING:
    from dudao.collection.models import Period
    from dudao.orgs.models import OrgUnit


def _name(spec: dict, code: str | None) -> str:
    return dev.level_name(spec, code) or "—"


def build(spec: dict, school: OrgUnit, period: Period, evaluation: Any) -> Report:
    """The school's report: basic facts, the result by area and overall (with the rule that computed it), each area's
    indicators with the self-rating and the reviewer's rating and comment, and the items sent to the ledger."""
    kind = evaluation.kind
    kind_frame = dev.frame(spec, kind)
    reviewed = evaluation.stage == dev.Stage.REVIEWED
    own, review = evaluation.self_entries, evaluation.review_entries
    facts = [
        f"{school.name}（{kind_frame['name']}）{period.name}发展性督导评价。依据：{spec['basis']}。",
        f"当前状态：{evaluation.get_stage_display()}。",
    ]
    if evaluation.signed_at:
        facts.append(f"学校自评报告由校长于{timezone.localtime(evaluation.signed_at):%Y年%m月%d日}签署提交。")
    sections = [Section("一", "基本情况", 1, [Paragraph(t) for t in facts])]
    if reviewed:
        rows = [
            [
                a["name"],
                fixed(evaluation.area_scores.get(a["code"]), 2),
                _name(spec, dev.band(spec, evaluation.area_scores[a["code"]])),
            ]
            for a in kind_frame["areas"]
        ]
        rule = kind_frame["overall"]
        cap = _name(spec, rule.get("cap_if_weak")) if rule.get("cap_if_weak") else ""
        text = (
            f"综合得分{fixed(evaluation.overall_score, 2)}分，总体评价等级为“{_name(spec, evaluation.overall)}”。"
            f"综合得分按各领域得分加权计算（{rule['expr']}），领域得分为其指标评议等级分值的平均数"
            + (f"；有指标评为“{_name(spec, spec['weak_level'])}”的学校，总体等级不高于“{cap}”。" if cap else "。")
        )
        sections.append(
            Section(
                "二",
                "评价结果",
                1,
                [Table("1", "各领域评价结果", ["评价领域", "领域得分", "等级"], rows), Paragraph(text)],
            )
        )
    else:
        sections.append(Section("二", "评价结果", 1, [Paragraph("督学评议尚未完成，暂无评价结果。")]))
    for n, area in enumerate(kind_frame["areas"], start=1):
        rows = [
            [
                item["name"],
                _name(spec, own.get(item["code"], {}).get("rating")),
                own.get(item["code"], {}).get("narrative", ""),
                _name(spec, review.get(item["code"], {}).get("rating")) if reviewed else "—",
                review.get(item["code"], {}).get("comment", "") if reviewed else "",
            ]
            for item in area["indicators"]
        ]
        table = Table(f"{n + 1}", f"{area['name']}指标评议", ["指标", "自评", "自评说明", "督学评议", "评议意见"], rows)
        sections.append(Section(f"三.{n}", area["name"], 2, [table]))
    sections.insert(2, Section("三", "指标评议", 1, []))
    if reviewed:
        poor = dev.weak(spec, kind, dev.ratings_of(review))
        lines: list[Block] = [
            Paragraph(f"{item['name']}（{area['name']}）：{review[item['code']]['comment']}") for area, item in poor
        ]
        lines = lines or [Paragraph("无评为待改进的指标。")]
        if poor:
            lines.append(Paragraph(f"以上{len(poor)}项已列入整改台账，学校应在{spec['finding_days']}日内完成整改。"))
        sections.append(Section("四", "待改进事项", 1, lines))
    statements = []
    if evaluation.signed_at and evaluation.signed_by is not None:
        signer = evaluation.signed_by.get_full_name() or evaluation.signed_by.get_username()
        statements.append(
            SignedStatement(
                school.name, signer, evaluation.signed_at, evaluation.signed_sha256, "本校自评报告内容真实、准确。"
            )
        )
    return Report(
        title=f"{school.name}发展性督导评价报告",
        org_code=school.code,
        org_name=school.name,
        level=school.level,
        period_code=period.code,
        period_name=period.name,
        sections=sections,
        statements=statements,
        schools_total=1,
        schools_signed=len(statements),
        generated_at=timezone.now(),
    )


HEADER = ["学校代码", "学校", "区", "学校类型", "状态", "综合得分", "总体等级", "待改进指标数"]


def summary_xlsx(result: dict[str, Any]) -> bytes:
    """The district summary (``compute``'s rows) as a workbook: one row per school, its area ratings after the
    common columns, then the count of schools at each overall level."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "发展性督导评价"
    area_names = list(dict.fromkeys(a["name"] for r in result["schools"] for a in r["areas"]))
    append_row(sheet, [*HEADER, *area_names])
    for r in result["schools"]:
        by_name = {a["name"]: a["level_name"] for a in r["areas"]}
        append_row(
            sheet,
            [
                r["code"],
                r["name"],
                r["district"],
                r["kind_name"],
                r["stage_name"],
                r["overall_score"],
                r["overall_name"],
                r["weak"],
                *(by_name.get(n, "") for n in area_names),
            ],
        )
    append_row(sheet, [])
    for lv in result["levels"]:
        append_row(sheet, ["", f"总体等级：{lv['name']}", "", "", "", "", result["summary"]["overall"][lv["code"]]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
