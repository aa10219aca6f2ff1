"""One rounding policy (修约): half-up, as Chinese statistics are published (四舍五入).

Python's ``round()`` and ``format(x, ".2f")`` round half to even on the binary value, so 0.125 → "0.12" and 2.675 →
"2.67", while a statistical bulletin prints 0.13 and 2.68. Every number a person reads — reports, evaluation pages,
the API, exports, messages — goes through :func:`half_up` or :func:`fixed`; nothing else rounds for display.

A float is taken at its shortest decimal representation (``repr``), i.e. the number as it would be printed in full,
so 2.675 rounds up even though its binary value is slightly below 2.675.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal


def half_up(value: float | int | Decimal | None, places: int = 0) -> Decimal | None:
    """``value`` rounded half-up to ``places`` decimals (negative numbers away from zero: −0.125 → −0.13); never −0."""
    if value is None:
        return None
    exact = value if isinstance(value, Decimal) else Decimal(repr(value) if isinstance(value, float) else value)
    result = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return abs(result) if result == 0 else result


def rounded(value: float | int | Decimal | None, places: int = 0) -> float | int | None:
    """:func:`half_up` as a JSON-friendly number (``int`` for 0 places)."""
    result = half_up(value, places)
    if result is None:
        return None
    return int(result) if places == 0 else float(result)


def fixed(
    value: float | int | Decimal | None,
    places: int = 0,
    *,
    sign: bool = False,
    grouping: bool = False,
    empty: str = "—",
) -> str:
    """Text of ``value`` with exactly ``places`` decimals, half-up (``empty`` for a value that is not there).

    ``sign`` prints "+" on positive numbers (changes); ``grouping`` adds thousands separators (tables)."""
    result = half_up(value, places)
    if result is None:
        return empty
    spec = ("+" if sign else "") + ("," if grouping else "") + f".{places}f"
    return str(format(result, spec))


def significant(value: float | int | Decimal | None, digits: int, *, down: bool = False) -> Decimal | None:
    """``value`` kept to ``digits`` significant digits — half-up, or ``down`` (toward zero) for a figure a text
    states as "超过 / 余" (1236 → 1200, "超过1200人"); half-up serves "近" (6960 → 7000, "近7000人次")."""
    if value is None:
        return None
    exact = value if isinstance(value, Decimal) else Decimal(repr(value) if isinstance(value, float) else value)
    if exact == 0:
        return Decimal(0)
    magnitude = exact.adjusted() + 1 - digits  # exponent of the last kept digit
    step = Decimal(1).scaleb(magnitude)
    result = (exact / step).quantize(Decimal(1), rounding=ROUND_DOWN if down else ROUND_HALF_UP) * step
    return result.quantize(Decimal(1)) if magnitude >= 0 else result.quantize(step)
