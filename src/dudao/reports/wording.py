"""How numbers are said in a Chinese annual report (数字表述): values with units, and year-on-year changes in percent
for quantities and in percentage points (个百分点) for rates."""

from __future__ import annotations

from dudao.indicators.query import Reading
from dudao.rounding import fixed, half_up

STEADY = "与{prev}年基本持平"
# Ways of saying "compared with last year" (vary them so a report does not read as one repeated form): the first is
# the published report's own wording and the default.
COMPARED = ("比{prev}年", "较{prev}年", "同比")
STEADIES = (STEADY, "与上年基本持平", STEADY)


def number(value: float | int | None, decimals: int) -> str:
    return fixed(value, decimals)


def with_unit(reading: Reading) -> str:
    text = number(reading.value, reading.decimals)
    if reading.value is None or not reading.unit:
        return text
    return f"{text}{reading.unit}"


def change(reading: Reading, prev_year: int | str, variant: int = 0, places: int | None = None) -> str:
    """ "比2019年增长5.73%", "提高1.6个百分点", "与2019年基本持平" — or "" when there is no previous year.
    ``variant`` picks another way of saying the comparison ("较2019年", "同比"); ``places`` other decimals for the
    change ("增长5%左右" from +4.90%)."""
    if reading.change is None:
        return ""
    compared = COMPARED[variant % len(COMPARED)].format(prev=prev_year)
    steady = STEADIES[variant % len(STEADIES)].format(prev=prev_year)
    if reading.change_unit == "pp":
        amount = abs(reading.change)
        decimals = reading.decimals if places is None else places
        if half_up(amount, decimals) == 0:
            return steady
        verb = "提高" if reading.change > 0 else "降低"
        return f"{compared}{verb}{number(amount, decimals)}个百分点"
    amount = abs(reading.change)
    decimals = 2 if places is None else places
    if half_up(amount, decimals) == 0:
        return steady
    verb = "增长" if reading.change > 0 else "下降"
    return f"{compared}{verb}{fixed(amount, decimals)}%"
