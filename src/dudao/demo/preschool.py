"""Demo 实地核查 for the 学前普及普惠 evaluation (2020): an inspector's on-site check in every district but one (its
verdict waits for it: 数据不全), one of which finds a kindergarten teaching primary-school content (小学化)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from .evaluation import LOW_ENROLLMENT_DISTRICT

if TYPE_CHECKING:
    from dudao.orgs.models import OrgUnit

PRIMARY_SCHOOLING, NOT_CHECKED = 13, 14  # district indexes, as in demo.evaluation's planted weaknesses
assert LOW_ENROLLMENT_DISTRICT not in (PRIMARY_SCHOOLING, NOT_CHECKED)


def load(period, districts: list[OrgUnit], inspector) -> int:
    """Record the checks; returns how many."""
    from dudao.evaluation import registry
    from dudao.evaluation.schemes import preschool

    spec = registry.get("preschool").spec
    recorded = 0
    for i, district in enumerate(districts):
        if i == NOT_CHECKED:
            continue
        answers = {item["code"]: True for item in spec["onsite"]}
        note = "抽查 2 所幼儿园，办园条件、班额与教职工配备与填报一致。"
        if i == PRIMARY_SCHOOLING:
            answers["onsite_no_primary"] = False
            note = "抽查 2 所幼儿园，其中 1 所大班教授拼音和加减法，存在“小学化”倾向。"
        on = date(period.start.year, 11, 2 + i)
        preschool.record_check(spec, period, district, inspector, on, answers, note)
        recorded += 1
    return recorded
