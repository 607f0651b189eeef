"""``eventstudy data show TICKER`` reads the source ``eventstudy run`` would use (issue 13).

Precedence as in :func:`eventstudy.prices.open_source`: ``--prices``, ``--source`` (or the old
``--embedded``), ``$EVENTSTUDY_SOURCE``, the events file's ``[defaults] source``, else the
embedded dataset; ``--cache-dir`` alone (no source named anywhere before the events file) means
the cache. The header's ``from`` row names the file and why that source was chosen. No test
touches the network: ``yfinance.Ticker`` fails the test if it is called at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yfinance
from typer.testing import CliRunner

from eventstudy.cli import app
from eventstudy.prices import EmbeddedSource
from eventstudy.prices.yahoo import YahooSource

FIXTURES = Path(__file__).parent / "fixtures" / "yahoo"
PACKAGED_EVENTS = Path(__file__).resolve().parents[1] / "eventstudy" / "events.toml"
runner = CliRunner()

EMBEDDED_ROWS = len(EmbeddedSource().load("LYC.AX"))  # 575: 2024-01-02 .. 2026-04-30
DEFAULT_WHY = "embedded dataset (default source; --source or $EVENTSTUDY_SOURCE changes it)"


class NoNetwork:
    """Stands in for ``yfinance.Ticker``: ``data show`` must never get here."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("data show tried to reach Yahoo Finance")


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty default cache, no $EVENTSTUDY_SOURCE, no ./events.toml, no network."""
    monkeypatch.setattr(yfinance, "Ticker", NoNetwork)
    yfinance.set_tz_cache_location(str(tmp_path / "yf-tz"))  # never ~/.cache/py-yfinance
    monkeypatch.delenv("EVENTSTUDY_SOURCE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home" / ".cache"))
    monkeypatch.setenv("EVENTSTUDY_CACHE_DIR", str(tmp_path / "env-cache"))
    monkeypatch.setenv("COLUMNS", "500")  # header rows on one line each
    monkeypatch.chdir(tmp_path)  # no ./events.toml: the packaged calendar, as for run
    return tmp_path


def seed_cache(directory: Path, ticker: str = "LYC.AX") -> int:
    """Write `ticker` into the cache at `directory` as a Yahoo fetch would; its row count.

    The fetch replays ``tests/fixtures/yahoo`` (as tests/test_yahoo.py does) over
    2025-06-01..2026-04-30, so the cached series is shorter than the embedded one.
    """

    def replay(symbol: str, start: pd.Timestamp, end: pd.Timestamp, timeout: float
               ) -> pd.DataFrame:
        frame = pd.read_csv(FIXTURES / f"{symbol}.csv", index_col="Date")
        frame.index = pd.DatetimeIndex(pd.to_datetime(frame.index, utc=True)).tz_convert(
            "Australia/Sydney")
        local = frame.index.tz_localize(None)
        return frame[(local >= start) & (local <= end)]

    series = YahooSource(directory, fetch=replay, start="2025-06-01",
                         end="2026-04-30").load(ticker)
    assert (directory / f"{ticker}.csv").is_file()
    assert 0 < len(series) < EMBEDDED_ROWS
    return len(series)


def show(*args: str) -> Any:
    return runner.invoke(app, ["data", "show", *args])


def header(out: str) -> dict[str, str]:
    """The header rows of ``data show``: label -> value."""
    rows = {}
    for line in out.splitlines():
        if line.startswith("Largest one-day moves"):
            break
        label, _, value = line.partition("  ")
        if label.strip():
            rows[label.strip()] = value.strip()
    return rows


def one_error(result: Any) -> str:
    """The single ``error:`` line of a failed call (exit 2, nothing on stdout)."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_default_is_the_embedded_dataset_even_with_an_empty_cache(isolated: Path) -> None:
    (isolated / "env-cache").mkdir()  # $EVENTSTUDY_CACHE_DIR: an empty folder
    result = show("LYC.AX")
    assert result.exit_code == 0, result.output
    head = header(result.stdout)
    assert head["from"] == DEFAULT_WHY
    assert head["rows"] == str(EMBEDDED_ROWS)
    assert head["first .. last"] == "2024-01-02 .. 2026-04-30"
    assert "cache" not in head  # no cache metadata for the embedded dataset
    assert result.stderr == ""
    assert list((isolated / "env-cache").iterdir()) == []  # nothing written, nothing fetched


def test_env_source_cache_reads_the_cache(isolated: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    cache = isolated / "env-cache"
    rows = seed_cache(cache)
    monkeypatch.setenv("EVENTSTUDY_SOURCE", "cache")
    result = show("LYC.AX")
    assert result.exit_code == 0, result.output
    head = header(result.stdout)
    assert head["from"] == f"price cache {cache / 'LYC.AX.csv'} ($EVENTSTUDY_SOURCE)"
    assert head["rows"] == str(rows)
    assert head["first .. last"] == "2025-06-02 .. 2026-04-30"
    assert head["cache"].startswith("source yahoo, fetched ")


def test_env_source_cache_without_the_ticker_names_the_way_out(
        monkeypatch: pytest.MonkeyPatch, isolated: Path) -> None:
    seed_cache(isolated / "env-cache")
    for name in ("cache", "yahoo"):  # yahoo reads the cache too: data show never fetches
        monkeypatch.setenv("EVENTSTUDY_SOURCE", name)
        line = one_error(show("^AXJO"))
        assert f"^AXJO is not in the price cache {isolated / 'env-cache'} " \
               "($EVENTSTUDY_SOURCE)" in line
        assert "run 'eventstudy data fetch ^AXJO' first" in line
        assert "--source embedded" in line


def test_source_yahoo_shows_the_cached_copy_without_fetching(isolated: Path) -> None:
    rows = seed_cache(isolated / "c")
    result = show("LYC.AX", "--source", "yahoo", "--cache-dir", str(isolated / "c"))
    assert result.exit_code == 0, result.output
    head = header(result.stdout)
    assert head["from"] == (f"price cache {isolated / 'c' / 'LYC.AX.csv'} (--source yahoo; "
                            "as cached: data show never fetches)")
    assert head["rows"] == str(rows)


def test_events_file_default_source(isolated: Path) -> None:
    rows = seed_cache(isolated / "env-cache")
    text = PACKAGED_EVENTS.read_text("utf-8")
    assert text.count("[defaults]\n") == 1
    events = isolated / "mine.toml"
    events.write_text(text.replace("[defaults]\n", '[defaults]\nsource = "cache"\n'))
    result = show("LYC.AX", "--events", str(events))
    assert result.exit_code == 0, result.output
    head = header(result.stdout)
    assert head["from"] == (f"price cache {isolated / 'env-cache' / 'LYC.AX.csv'} "
                            f"([defaults] source in {events})")
    assert head["rows"] == str(rows)

    # ./events.toml is the default events file, as for run
    (isolated / "events.toml").write_text(events.read_text("utf-8"))
    result = show("LYC.AX")
    assert result.exit_code == 0, result.output
    assert header(result.stdout)["from"].endswith("([defaults] source in "
                                                  f"{isolated / 'events.toml'})")
    assert header(result.stdout)["rows"] == str(rows)

    # ... and $EVENTSTUDY_SOURCE beats it
    result = runner.invoke(app, ["data", "show", "LYC.AX", "--events", str(events)],
                           env={"EVENTSTUDY_SOURCE": "embedded"})
    assert result.exit_code == 0, result.output
    assert header(result.stdout)["from"] == "embedded dataset ($EVENTSTUDY_SOURCE)"
    assert header(result.stdout)["rows"] == str(EMBEDDED_ROWS)


def test_a_missing_events_file_is_one_error_line(isolated: Path) -> None:
    line = one_error(show("LYC.AX", "--events", str(isolated / "nope.toml")))
    assert "events file not found" in line


def test_source_embedded_beats_the_env(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seed_cache(isolated / "env-cache")
    monkeypatch.setenv("EVENTSTUDY_SOURCE", "cache")
    result = show("LYC.AX", "--source", "embedded")
    assert result.exit_code == 0, result.output
    assert header(result.stdout)["from"] == "embedded dataset (--source embedded)"
    assert header(result.stdout)["rows"] == str(EMBEDDED_ROWS)
    assert result.stderr == ""


def test_embedded_flag_still_works_and_says_it_is_deprecated(
        isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENTSTUDY_SOURCE", "cache")
    result = show("LYC.AX", "--embedded")
    assert result.exit_code == 0, result.output
    assert header(result.stdout)["from"] == "embedded dataset (--embedded)"
    assert header(result.stdout)["rows"] == str(EMBEDDED_ROWS)
    assert result.stderr == "warning: --embedded is deprecated; use --source embedded\n"


def test_prices_folder(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = isolated / "mine"
    folder.mkdir()
    series = EmbeddedSource().load("MP").loc["2025-01-01":"2025-12-31"]
    series.rename("close").to_csv(folder / "MP.csv", index_label="date")
    monkeypatch.setenv("EVENTSTUDY_SOURCE", "cache")  # --prices beats it, as in run
    result = show("MP", "--prices", str(folder))
    assert result.exit_code == 0, result.output
    head = header(result.stdout)
    assert head["from"] == f"{folder}/MP.csv (--prices)"
    assert head["rows"] == str(len(series)) != str(len(EmbeddedSource().load("MP")))


def test_cache_dir_alone_means_that_cache(isolated: Path) -> None:
    rows = seed_cache(isolated / "c")
    result = show("LYC.AX", "--cache-dir", str(isolated / "c"))
    assert result.exit_code == 0, result.output
    head = header(result.stdout)
    assert head["from"] == f"price cache {isolated / 'c' / 'LYC.AX.csv'} (--cache-dir)"
    assert head["rows"] == str(rows)
    line = one_error(show("^AXJO", "--cache-dir", str(isolated / "c")))
    assert f"^AXJO is not in the price cache {isolated / 'c'} (--cache-dir)" in line


def test_cache_dir_does_not_override_an_explicit_source(isolated: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    seed_cache(isolated / "c")
    result = show("LYC.AX", "--cache-dir", str(isolated / "c"), "--source", "embedded")
    assert result.exit_code == 0, result.output
    assert header(result.stdout)["rows"] == str(EMBEDDED_ROWS)
    monkeypatch.setenv("EVENTSTUDY_SOURCE", "embedded")
    result = show("LYC.AX", "--cache-dir", str(isolated / "c"))
    assert result.exit_code == 0, result.output
    assert header(result.stdout)["from"] == "embedded dataset ($EVENTSTUDY_SOURCE)"


@pytest.mark.parametrize(("args", "fragment"), [
    (["--prices", ".", "--source", "yahoo"], "--prices . and --source yahoo both name a price "
                                             "source; pass one of them"),
    (["--prices", ".", "--source", "cache"], "--prices . and --source cache both name"),
    (["--embedded", "--source", "cache"], "--embedded and --source cache both name a price "
                                          "source; pass one of them"),
    (["--source", "bloomberg"], "unknown price source 'bloomberg' (from --source)"),
])
def test_contradictory_or_bad_options_are_one_error_line(args: list[str], fragment: str) -> None:
    assert fragment in one_error(show("LYC.AX", *args))


def test_unknown_ticker_in_the_embedded_dataset(isolated: Path) -> None:
    line = one_error(show("NOPE.AX"))
    assert line.startswith("error: no prices for NOPE.AX in the embedded dataset "
                           "(default source; --source or $EVENTSTUDY_SOURCE changes it)")
    assert "'eventstudy data fetch NOPE.AX'" in line and "--source yahoo" in line
    assert "--prices DIR" in line and "LYC.AX" in line  # what the dataset holds


# --- aliases, data list, data panel (issue 23) --------------------------------------------------


def _invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def test_show_takes_the_events_files_aliases_and_a_baskets_level() -> None:
    import numpy as np

    alias = _invoke("data", "show", "LYC")
    assert alias.exit_code == 0, alias.stderr
    assert "LYC (LYC.AX)" in alias.stdout and "2024-01-02 .. 2026-04-30" in alias.stdout
    basket = _invoke("data", "show", "TE")
    assert basket.exit_code == 0, basket.stderr
    assert "15 members" in basket.stdout and "TE-PROXY" in basket.stdout
    # the level's log returns are the returns the study of TE reads
    import warnings

    import eventstudy
    from eventstudy.events import load_events
    from eventstudy.prices import EmbeddedSource as Source
    from eventstudy.study.series import named_prices

    level = named_prices(load_events(), "TE", Source().load, lambda t: None).prices
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (te,) = [p for p in eventstudy.run("dual-use-ban").pairs if p.security == "TE"]
    returns = np.log(level).diff().reindex(pd.DatetimeIndex(te.days["date"]))
    np.testing.assert_allclose(returns.to_numpy(), te.days["return"].to_numpy(), rtol=1e-12)
    wrong = _invoke("data", "show", "te")
    assert wrong.exit_code == 2 and "did you mean the alias 'TE'?" in wrong.stderr


def test_data_list_shows_every_ticker_of_the_source() -> None:
    listed = _invoke("data", "list")
    assert listed.exit_code == 0, listed.stderr
    tickers = EmbeddedSource().tickers()
    assert f"{len(tickers)} tickers in embedded dataset" in listed.stdout
    for ticker in ("LYC.AX", "6330.T", "^TOPX"):
        assert ticker in listed.stdout


def test_data_panel_writes_the_returns_the_batch_command_reads(tmp_path: Path) -> None:
    import numpy as np

    out = tmp_path / "returns.parquet"
    made = _invoke("data", "panel", "--out", str(out), "--tickers", "LYC.AX,^AXJO,TE")
    assert made.exit_code == 0, made.stderr
    frame = pd.read_parquet(out)
    assert list(frame.columns) == ["LYC.AX", "^AXJO", "TE"] and frame.index.name == "date"
    lyc = EmbeddedSource().load("LYC.AX")
    expected = np.log(lyc).diff().iloc[1:]
    np.testing.assert_allclose(frame["LYC.AX"].dropna().to_numpy(), expected.to_numpy())
    assert frame["LYC.AX"].dropna().index.equals(expected.index)
    from eventstudy.study.distributed.panel import open_panel

    assert list(open_panel(out).tickers) == ["LYC.AX", "^AXJO", "TE"]  # batch reads it
    bad = _invoke("data", "panel", "--out", str(tmp_path / "x.csv"))
    assert bad.exit_code == 2 and "give a .parquet file" in bad.stderr
    missing = _invoke("data", "panel", "--out", str(tmp_path / "y.parquet"), "--tickers", "NOPE")
    assert missing.exit_code == 2 and not (tmp_path / "y.parquet").exists()
