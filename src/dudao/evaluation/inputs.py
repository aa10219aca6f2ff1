"""Plain numbers for the evaluation functions, read from collected data.

Only values behind a submission in a *locked* state (the principal — or for district figures the city — has
approved them) count, exactly as for indicators: an evaluation that judged drafts could fail a district on a typo
the school has since fixed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from dudao.collection import selectors
from dudao.orgs.selectors import group_codes

if TYPE_CHECKING:
    from dudao.collection.models import Period


def approved_values(dataset_code: str, period: Period, orgs) -> dict[int, dict[str, Decimal]]:
    """org id → {element code: number} for the orgs whose submission of ``dataset_code``/``period`` is approved."""
    return selectors.approved_numbers(dataset_code, period, orgs)


def previous_period(period: Period) -> Period | None:
    return period.previous()


def group_of(units, set_code: str) -> dict[int, str]:
    """unit id → its group code in ``set_code`` (a unit is in at most one group of a set)."""
    return group_codes(units, set_code)


def valid_numbers(values: dict) -> tuple[dict, list[str]]:
    """``values`` without the numbers no collected figure can be (negative counts, areas, money), and the codes of
    those left out. Collection refuses them (the catalog's element minimum is 0), but a value written around the
    forms must not crash an evaluation or pass for a real figure: the schemes treat it as missing and say so."""
    clean, rejected = {}, []
    for code, value in values.items():
        if value is not None and float(value) < 0:
            rejected.append(code)
        else:
            clean[code] = value
    return clean, rejected
