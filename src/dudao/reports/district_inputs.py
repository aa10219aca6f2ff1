"""The district bureau's own part of its 区级年报: the narrative and 案例 of its approved ``district_vocational``
submission, placed by report key ("1", "6", "7", "9" — the city report's chapters).

Shaped for the compiled-content extension point (``reports.contributions``): :func:`district_parts` answers
(org, period, key) with (title, blocks) pairs; a title of "" means the blocks go into the section the key names.
Only an approved submission speaks: a draft or a submission waiting for the second district user gives nothing.
Figure tokens (``{{district_funding}}``) are left in the text for the report's token rendering.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dudao.collection import selectors
from dudao.orgs.vocabulary import Level

from .builder import Block, Case, Paragraph

if TYPE_CHECKING:
    from dudao.collection.models import Period
    from dudao.orgs.models import OrgUnit

DATASET = "district_vocational"
# report key → the narrative element written for it
NARRATIVE = {
    "1": "district_text_overview",
    "6": "district_text_government",
    "7": "district_text_features",
    "9": "district_text_outlook",
}


def case_groups() -> list[dict[str, str]]:
    """The data set's declared 案例 groups ({title, body, chapter} element codes)."""
    dataset = selectors.dataset(DATASET)
    return list(dataset.spec.get("cases", [])) if dataset is not None else []


def district_parts(org: OrgUnit, period: Period, key: str) -> list[tuple[str, list[Block]]]:
    if org.level != Level.DISTRICT or not selectors.is_approved(org, period, DATASET):
        return []
    texts = {code: text for (_, code), text in selectors.text_values([org], period).items()}
    blocks: list[Block] = []
    narrative = texts.get(NARRATIVE.get(key, ""), "")
    blocks += [Paragraph(line.strip()) for line in narrative.splitlines() if line.strip()]
    for group in case_groups():
        title, body = texts.get(group["title"], "").strip(), texts.get(group["body"], "").strip()
        if title and body and texts.get(group["chapter"], "").strip() == key:
            blocks.append(Case(0, title, body, org.name))
    return [("", blocks)] if blocks else []
