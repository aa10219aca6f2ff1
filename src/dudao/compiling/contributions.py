"""The compiler's provider for :mod:`dudao.reports.contributions`: approved chapters as report parts, their tokens
resolved against the report's org and period when the report is built (so the text always carries today's computed
values), their picked cases printed with the credited school or district."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dudao.reports import contributions, references
from dudao.reports.builder import Case, Paragraph, sources_note

from . import selectors

if TYPE_CHECKING:
    from dudao.collection.models import Period
    from dudao.orgs.models import OrgUnit


def paragraphs(text: str) -> list[str]:
    """A part's text, one paragraph a line (blank lines ignored)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def provider(org: OrgUnit, period: Period, key: str) -> list[contributions.Part]:
    resolver = references.Resolver(org, period)
    found = []
    for part in selectors.approved_parts(org, period, key):
        blocks: list = [Paragraph(p) for p in paragraphs(resolver.render(part.text))]
        blocks += [Case(0, pick.title, resolver.render(pick.body), pick.credit) for pick in part.cases.all()]
        codes = {token.indicator for token in references.tokens(part.text)}
        note = sources_note(codes, org, period)  # 数据来源 of the public statistics the part cites
        found.append(contributions.Part(part.title, blocks, [note] if note else []))
    return found
