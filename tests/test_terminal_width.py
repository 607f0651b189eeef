"""Tables that fit (issue 23): at 80, 100 and 120 columns every command's output keeps within
the width, never cuts a number with an ellipsis, and shows every pair's AR on day 0 and its
headline CAR. Output is piped here (CliRunner), so the width comes from $COLUMNS, as it does
for `eventstudy run ... | less`."""

from __future__ import annotations

import functools
import json
import re
import warnings

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

import eventstudy as es
from eventstudy.cli import app

WIDTHS = (80, 100, 120)
MODELS = "market,constant-mean,market-adjusted,multi-factor,dimson,scholes-williams,garch"
COMMANDS = {
    "run": ["run", "dual-use-ban"],
    "baskets": ["run", "dual-use-ban-te"],
    "pooled": ["run", "--tag", "escalation", "--bootstrap", "0"],
    "models": ["run", "dual-use-ban", "--models", MODELS],
    "list": ["list"],
    "show": ["show", "dual-use-ban"],
    "data": ["data", "show", "LYC"],
    "volume": ["run", "dual-use-ban", "--measure", "volume"],
    "volatility": ["run", "dual-use-ban", "--measure", "volatility"],
    "garch": ["run", "dual-use-ban", "--model", "garch"],
    "pooled volatility": ["run", "dual-use-ban", "entity-lists", "--measure", "volatility",
                          "--bootstrap", "0"],
    "volume models": ["run", "dual-use-ban", "--measure", "volume", "--models",
                      "market,constant-mean"],
    "adjust": ["run", "dual-use-ban", "--adjust", "bh"],
    "pooled adjust": ["run", "--tag", "escalation", "--bootstrap", "0", "--adjust", "holm"],
}


def invoke(args: list[str], width: int) -> str:
    return _invoke(tuple(args), width)


@functools.cache
def _invoke(args: tuple[str, ...], width: int) -> str:
    out = CliRunner().invoke(app, list(args), env={"COLUMNS": str(width)})
    assert out.exit_code == 0, out.stderr
    return out.stdout


def fits(text: str, width: int) -> None:
    lines = text.splitlines()
    assert lines
    widest = max(lines, key=cell_len)
    assert cell_len(widest) <= width, widest
    cut = [line for line in lines if re.search(r"\d…|…[\d%+-]", line)]
    assert not cut, cut


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_fits_the_width(name: str, width: int) -> None:
    fits(invoke(COMMANDS[name], width), width)


def _numbers(pair: dict, measure: str = "returns") -> tuple[str, str]:
    """A pair's AR on day 0 and its headline CAR, as the tables print them (log volume in
    log points, a variance in %²)."""
    (day0,) = [d for d in pair["days"] if d["t"] == 0]
    (headline,) = [c for c in pair["car"] if c["window"] == pair["headline"]]
    if measure == "volume":
        return f"{day0['ar']:+.3f}", f"{headline['car']:+.3f}"
    if measure == "volatility":
        return f"{day0['ar'] * 1e4:+.2f}", f"{headline['car'] * 1e4:+.2f}"
    return f"{day0['ar'] * 100:+.2f}%", f"{headline['car'] * 100:+.2f}%"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("event", ["dual-use-ban", "dual-use-ban-te", "volume", "volatility"])
def test_every_pairs_ar0_and_headline_car_are_shown(event: str, width: int) -> None:
    measure = event if event in ("volume", "volatility") else "returns"
    args = ["run", "dual-use-ban", "--measure", measure] if measure != "returns" else [
        "run", event]
    doc = json.loads(invoke([*args, "-f", "json"], 120))
    text = invoke(args, width)
    for pair in doc["pairs"]:
        ar0, car = _numbers(pair, measure)
        assert ar0 in text and car in text, (pair["security"], ar0, car)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_pooled_table_shows_every_pair(width: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pooled = es.run_many(tag="escalation", bootstrap=0)
    text = invoke(COMMANDS["pooled"], width)
    for result in pooled.results:
        for pair in result.pairs:
            day0 = pair.days.set_index("t").loc[0]
            assert f"{day0.ar * 100:+.2f}%" in text, (result.event.id, pair.security)


def test_list_is_one_line_per_event_at_80_columns() -> None:
    text = invoke(["list"], 80)
    calendar = es.load_events()
    for event in calendar.events:
        (line,) = [line for line in text.splitlines() if f" {event.id} " in line]
        assert event.announced_text[:10] in line and ", ".join(event.securities) in line


def test_narrow_layouts_drop_columns_in_the_documented_order() -> None:
    from eventstudy.present.terminal import DAY_LAYOUTS

    wide, narrow = invoke(["run", "dual-use-ban"], 120), invoke(["run", "dual-use-ban"], 80)
    header = [line for line in wide.splitlines() if " expected " in line]
    assert header  # at 120 the day table has every column
    assert not [line for line in narrow.splitlines() if " expected " in line]
    assert DAY_LAYOUTS[0] == frozenset() and "expected" in DAY_LAYOUTS[1]


@pytest.mark.parametrize("width", WIDTHS)
def test_the_adjusted_p_keeps_its_column(width: int) -> None:
    # --adjust: every pair's CAR table keeps "p adj" at any width (CAR_LAYOUTS never drop it)
    text = invoke(COMMANDS["adjust"], width)
    assert sum(" p adj " in line for line in text.splitlines()) == 4
