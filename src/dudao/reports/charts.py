"""Report charts (图) with matplotlib, in the shipped Noto Sans SC (by file) so Chinese labels render everywhere.

The font is registered from its file (``dudao fonts`` fetched it), not looked up among the system fonts: a machine
without a CJK font would otherwise draw boxes and only warn "Glyph … missing".
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import matplotlib

from dudao import fonts
from dudao.documents import SANS, require_fonts
from dudao.rounding import fixed

matplotlib.use("Agg")  # no display; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

PALETTE = ["#1f4e79", "#5b9bd5", "#ed7d31", "#a5a5a5", "#70ad47"]


def font_family() -> str:
    """Registers the shipped Noto Sans SC files with matplotlib (once per directory) and returns the family name."""
    require_fonts()
    return _registered(fonts.fonts_dir())


@cache
def _registered(where: Path) -> str:
    for weight in SANS.faces:
        font_manager.fontManager.addfont(str(fonts.font_file("sans", weight)))
    return SANS.name


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=150, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _style():
    plt.rcParams["font.family"] = font_family()
    plt.rcParams["axes.unicode_minus"] = False


def trend(years: list[str], series: dict[str, list[float | None]], decimals: int = 2) -> bytes:
    """Grouped bars, one group per year, value labels on top (like 图1–图12 of the seed report)."""
    _style()
    fig, ax = plt.subplots(figsize=(6.4, 2.8))
    names = list(series)
    width = 0.8 / max(len(names), 1)
    for i, name in enumerate(names):
        xs = [x + (i - (len(names) - 1) / 2) * width for x in range(len(years))]
        ys = [v if v is not None else 0 for v in series[name]]
        bars = ax.bar(xs, ys, width * 0.9, label=name, color=PALETTE[i % len(PALETTE)])
        for bar, v in zip(bars, series[name]):
            if v is not None:
                ax.annotate(
                    fixed(v, decimals),
                    (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center",
                    va="bottom",
                    fontsize=8,
                )
    ax.set_xticks(range(len(years)), [f"{y}年" for y in years])
    ax.spines[["top", "right"]].set_visible(False)
    values = [v for vs in series.values() for v in vs if v is not None]
    if values:
        ax.set_ylim(0, max(values) * 1.18)
    if len(names) > 1:
        ax.legend(fontsize=8, frameon=False, ncols=len(names), loc="upper center", bbox_to_anchor=(0.5, -0.12))
    return _png(fig)


def pie(parts: dict[str, float]) -> bytes:
    _style()
    fig, ax = plt.subplots(figsize=(4.2, 3.2))
    labels = [k for k, v in parts.items() if v and v > 0]
    values = [parts[k] for k in labels]
    if values:
        ax.pie(
            values,
            labels=labels,
            autopct="%1.0f%%",
            startangle=90,
            colors=PALETTE[: len(values)],
            textprops={"fontsize": 9},
        )
    ax.axis("equal")
    return _png(fig)
