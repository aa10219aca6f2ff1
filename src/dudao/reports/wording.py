"""How numbers are said in a Chinese annual report (数字表述): values with units, and year-on-year changes in percent
for quantities and in percentage points (个百分点) for rates."""

from __future__ import annotations

from dudao.indicators.query import Reading
from dudao.rounding import fixed, half_up

STEADY = "与{prev}年基本持平"


def number(value: float | int | None, decimals: int) -> str:
    return fixed(value, decimals)


def with_unit(reading: Reading) -> str:
    text = number(reading.value, reading.decimals)
    if reading.value is None or not reading.unit:
        return text
    return f"{text}{reading.unit}"


def change(reading: Reading, prev_year: int | str) -> str:
    """ "比2019年增长5.73%", "提高1.6个百分点", "与2019年基本持平" — or "" when there is no previous year."""
    if reading.change is None:
        return ""
    if reading.change_unit == "pp":
        amount = abs(reading.change)
        if half_up(amount, reading.decimals) == 0:
            return STEADY.format(prev=prev_year)
        verb = "提高" if reading.change > 0 else "降低"
        return f"比{prev_year}年{verb}{number(amount, reading.decimals)}个百分点"
    amount = abs(reading.change)
    if half_up(amount, 2) == 0:
        return STEADY.format(prev=prev_year)
    verb = "增长" if reading.change > 0 else "下降"
    return f"比{prev_year}年{verb}{fixed(amount, 2)}%"
