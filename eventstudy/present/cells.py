"""The cells of the terminal tables: a p-value's stars, a return as a coloured percentage, a
statistic, a p-value. Shared by every terminal table and the reports' text."""

from __future__ import annotations

import math

from rich.text import Text

STAR_LEVELS = ((0.01, "***"), (0.05, "**"), (0.10, "*"))
LEGEND = ("*** p < 0.01   ** p < 0.05   * p < 0.10   (two-sided)   "
          "(2d): a return spanning 2 sessions after a missing price")


def stars(p: float) -> str:
    """Significance stars of a two-sided p-value."""
    if p is None or not math.isfinite(p):
        return ""
    for level, mark in STAR_LEVELS:
        if p < level:
            return mark
    return ""


def _scaled(x: float, scale: float, digits: int, signed: bool, suffix: str = "") -> Text:
    """``x * scale`` with ``digits`` decimals (and a sign), green when positive and red when
    negative; a dim dash when it is missing."""
    if x is None or not math.isfinite(x):
        return Text("–", style="dim")
    style = "green" if x > 0 else "red" if x < 0 else ""
    return Text(f"{x * scale:{'+' if signed else ''}.{digits}f}{suffix}", style=style)


def pct(x: float, digits: int = 2, signed: bool = True) -> Text:
    """A decimal return as a percentage, green when positive and red when negative."""
    return _scaled(x, 100, digits, signed, "%")


def log_points(x: float, digits: int = 2, signed: bool = True) -> Text:
    """A difference of logs (abnormal log volume) in log points, coloured by sign."""
    return _scaled(x, 1, digits + 1, signed)


def pct2(x: float, digits: int = 2, signed: bool = True) -> Text:
    """A daily variance in squared percent (%²: 1e-4), coloured by sign."""
    return _scaled(x, 1e4, digits, signed)


#: How a measure's values are written: returns in %, log volume in log points, a variance
#: in %² (see :data:`UNITS`).
CELLS = {"returns": pct, "volume": log_points, "volatility": pct2}
UNITS = {"returns": "returns in %", "volume": "log(1 + volume), AR in log points",
         "volatility": "Parkinson variance in %² (1e-4)"}


def fnum(x: float, fmt: str = ".2f") -> str:
    return "–" if x is None or not math.isfinite(x) else format(x, fmt)


def fp(p: float) -> str:
    if p is None or not math.isfinite(p):
        return "–"
    return "<0.0001" if p < 1e-4 else f"{p:.4f}"
