"""Survey results (问卷调查结果) as the evaluation schemes read them: one :class:`SurveyResult` per questionnaire,
period and org (a school, a district or the city — the responses in its subtree)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dudao.orgs.models import OrgUnit


@dataclass(frozen=True)
class SurveyResult:
    """``score`` is the share of favourable answers in percent (0–100, the 满意度 / 社会认可度 a scheme compares with
    its threshold); ``target`` the sample target (None when the questionnaire sets none); ``complete`` whether the
    responses reached it, so a scheme can say 数据不全 rather than judge on a thin sample."""

    questionnaire: str
    org_code: str
    period_code: str
    responses: int
    target: int | None
    score: Decimal | None
    by_group: dict[str, Decimal] = field(default_factory=dict)

    @property
    def response_rate(self) -> Decimal | None:
        if not self.target:
            return None
        return Decimal(self.responses * 100) / Decimal(self.target)

    @property
    def complete(self) -> bool:
        return self.score is not None and (self.target is None or self.responses >= self.target)


def result(questionnaire: str, period_code: str, org: OrgUnit) -> SurveyResult | None:
    """The result of ``questionnaire`` for ``period_code`` over ``org``'s subtree; None when it was not run there."""
    return None
