"""Presentation: stars, formats, and the rendered study showing the result's own numbers."""

from __future__ import annotations

import math
from io import StringIO

import pytest
from rich.console import Console

import eventstudy as es
from eventstudy.present.terminal import fp, pct, stars


@pytest.mark.parametrize(
    ("p", "mark"),
    [(0.0099, "***"), (0.01, "**"), (0.0499, "**"), (0.05, "*"), (0.0999, "*"), (0.1, ""),
     (0.7, ""), (math.nan, "")],
)
def test_stars_thresholds(p, mark) -> None:
    assert stars(p) == mark


def test_formats() -> None:
    assert pct(0.14523).plain == "+14.52%" and pct(0.14523).style == "green"
    assert pct(-0.0059).plain == "-0.59%" and pct(-0.0059).style == "red"
    assert pct(math.nan).plain == "–"
    assert fp(3e-5) == "<0.0001" and fp(0.12345) == "0.1235"


@pytest.fixture(scope="module")
def rendered() -> tuple[es.EventStudyResult, str]:
    result = es.run("dual-use-ban")
    buffer = StringIO()
    Console(file=buffer, width=120, color_system=None).print(result)
    return result, buffer.getvalue()


def test_panel_per_security_with_result_numbers(rendered) -> None:
    result, text = rendered
    for pair in result.pairs:
        assert f"{pair.security} {pair.name}" in text or (  # a long name under the title
            f"{pair.security} ({pair.ticker}" in text and pair.name in text)
        day0 = pair.days.set_index("t").loc[0]
        assert f"{day0.ar * 100:+.2f}%" in text
        for car in pair.car.itertuples():
            assert f"{car.car * 100:+.2f}%" in text
    assert "◀" in text  # the headline CAR window is marked
    assert "*** p < 0.01" in text


def test_str_is_plain_text(rendered) -> None:
    result, _ = rendered
    text = str(result)
    assert "\x1b[" not in text and "Lynas Rare Earths" in text


def test_aggregate_panel_is_not_truncated_at_120_columns() -> None:
    # the day table has 11 columns of "statistic + stars": at the CLI's piped width nothing
    # may be cut to "…", and day 0's Patell z carries its three stars
    result = es.run("dual-use-ban")
    out = StringIO()
    Console(file=out, width=120, color_system=None).print(result)
    text = out.getvalue()
    assert "…" not in text
    patell = result.aggregate.day_tests[0]["patell_z"]
    row = next(line for line in text.splitlines() if line.strip("│ ").startswith("patell_z"))
    assert f"{patell.stat:.2f}{stars(patell.p)}" in row
