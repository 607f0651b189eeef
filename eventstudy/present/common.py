"""Plain-text formats shared by the report renderers (no Markdown, no colour).

Stars, percentages, t statistics and p-values come from :mod:`eventstudy.present.terminal`, so the
terminal tables and the written reports show the same digits.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, TypeVar

from eventstudy._typing import Window
from eventstudy.inference.aggregate import ALL_TESTS as _INFERENCE_TEST_ORDER
from eventstudy.present.terminal import STAR_LEVELS, fnum, fp, pct, stars
from eventstudy.sessions import exchange_label

if TYPE_CHECKING:
    from eventstudy.study.results import EventStudyResult

__all__ = ["TEST_ORDER", "exchange_label", "fnum", "fp", "ordered", "p_text", "pct_text",
           "significance", "slug", "stars", "stars_legend", "summary_windows", "window_text"]

#: The order of the aggregate tests wherever they are shown: the terminal's aggregate panel,
#: the Markdown and HTML reports and their reading. It is the order in which the inference layer
#: computes and tabulates them (``tests_frame``, JSON), named here once for presentation, so
#: adding a test there places it everywhere; keys not listed follow in the order they come.
TEST_ORDER: tuple[str, ...] = _INFERENCE_TEST_ORDER

T = TypeVar("T")


def ordered(tests: Mapping[str, T]) -> list[tuple[str, T]]:
    """The items of a test mapping, :data:`TEST_ORDER` keys first in that order, then the
    others in the order they come."""
    rank = {key: i for i, key in enumerate(TEST_ORDER)}
    keys = sorted(tests, key=lambda k: (rank.get(k, len(rank)), list(tests).index(k)))
    return [(k, tests[k]) for k in keys]


def pct_text(x: float, digits: int = 2, signed: bool = True) -> str:
    """A decimal return as percent text: ``+13.28%``; ``–`` when missing."""
    return pct(x, digits, signed).plain


def p_text(p: float) -> str:
    """``p = 0.0621``, ``p < 0.0001``; ``p –`` when missing."""
    text = fp(p)
    return f"p {text[0]} {text[1:]}" if text.startswith("<") else f"p = {text}"


def significance(p: float) -> str:
    """The smallest conventional level at which ``p`` rejects, in words."""
    if p is None or not math.isfinite(p):
        return "no test possible"
    for level, _ in STAR_LEVELS:
        if p < level:
            return f"significant at the {level:.0%} level"
    return f"not significant at the {STAR_LEVELS[-1][0]:.0%} level"


def stars_legend() -> str:
    """``*** p < 0.01   ** p < 0.05   * p < 0.10   (two-sided)``."""
    return "   ".join(f"{mark} p < {level:.2f}" for level, mark in STAR_LEVELS) + "   (two-sided)"


def window_text(window: Window) -> str:
    """``(+0,+1)``, as the terminal tables write a window."""
    return f"({window[0]:+d},{window[1]:+d})"


def slug(text: str) -> str:
    """A file-name-safe form of a security alias or ticker (``^N225`` -> ``_N225``)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)


def summary_windows(result: EventStudyResult) -> list[tuple[int, int]]:
    """The CAR windows of the overview: the headline window unless it is day 0 alone (the AR
    column shows that), then the longest window of the first pair."""
    head = result.event.headline
    windows = [tuple(w) for w in result.pairs[0].car["window"]] if result.pairs else []
    longest = max(windows, key=lambda w: w[1] - w[0], default=head)
    return [w for w in dict.fromkeys((head, longest)) if w != (0, 0)]
