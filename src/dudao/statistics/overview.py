"""The 基本情况 chapter of the annual work report (工作年报 一): counts by level from imported 事业统计."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dudao.orgs.models import OrgUnit


def paragraphs(period_code: str, org: OrgUnit) -> list[str]:
    """The chapter's paragraphs for ``org`` in ``period_code``; [] when no statistics were imported."""
    return []
