"""The volume section of an event's report: one PNG per security of the volume study, the
day-0 abnormal log volume read from the volume result, reproducible figures, the returns part
unchanged, and one line saying why when the prices hold no volume."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import eventstudy as es
from eventstudy.cli import app
from eventstudy.present import build
from eventstudy.present.common import slug
from eventstudy.present.markdown import event_markdown
from eventstudy.present.terminal import fp
from eventstudy.present.writer import write_reports

ROOT = Path(__file__).resolve().parents[1]
PACKAGED = ROOT / "eventstudy" / "events.toml"
DATA = ROOT / "eventstudy" / "prices" / "data"
EVENT = "dual-use-ban"
PAGE = f"{EVENT}.md"
runner = CliRunner()


@pytest.fixture(scope="module")
def volume() -> es.EventStudyResult:
    return es.run(EVENT, events=PACKAGED, measure="volume")


@pytest.fixture(scope="module")
def report_set() -> build.ReportSet:
    return build.generate([EVENT], events=PACKAGED)


@pytest.fixture(scope="module")
def written(report_set, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("volume-report")
    write_reports(out, report_set.files, report_set.prune)
    return out


def _volume_pngs(folder: Path) -> list[str]:
    return sorted(p.name for p in (folder / "figures" / EVENT).glob("volume-*.png"))


def _volume_section(markdown: str) -> str:
    match = re.search(r"^## Volume\n(.*?)(?=^## )", markdown, re.S | re.M)
    assert match is not None, "no Volume section"
    return match.group(1)


def test_one_volume_png_per_studied_security(written, volume) -> None:
    assert volume.measure == "volume" and len(volume.pairs) == 4
    expected = sorted(f"volume-{slug(p.security)}.png" for p in volume.pairs)
    assert _volume_pngs(written) == expected
    for name in expected:
        data = (written / "figures" / EVENT / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        assert b"Software" not in data and b"tIME" not in data


def test_page_shows_the_volume_results_numbers(written, volume) -> None:
    section = _volume_section((written / PAGE).read_text("utf-8"))
    for pair in volume.pairs:
        heading = f"### {pair.security}{' (proxy)' if pair.proxy else ''}: volume"
        part = section.split(heading, 1)[1].split("\n### ", 1)[0]
        assert f"](figures/{EVENT}/volume-{slug(pair.security)}.png)" in part
        day0 = pair.days.set_index("t").loc[0]
        row = next(line for line in part.splitlines() if line.startswith("| day 0 ("))
        assert row.split(" | ")[1:4] == [f"{day0.ar:+.3f}", f"{day0.t_stat:.2f}", fp(day0.p)]
        car = pair.car[pair.car["window"].map(tuple) == tuple(pair.headline)].iloc[0]
        row = next(line for line in part.splitlines() if "(headline)" in line)
        assert row.split(" | ")[1:4] == [f"{car.car:+.3f}", f"{car.t_stat:.2f}", fp(car.p)]
    lyc = next(p for p in volume.pairs if p.security == "LYC")
    ar = float(lyc.days.loc[lyc.days["t"] == 0, "ar"].iloc[0])
    assert f"| day 0 ({lyc.day0.date().isoformat()}) | {ar:+.3f} |" in section
    html = (written / f"{EVENT}.html").read_text("utf-8")
    assert ">Volume</h2>" in html and ">LYC: volume</h3>" in html
    n_figures = 1 + 2 * len(volume.pairs)  # overview, returns and volume per security
    assert html.count("data:image/png;base64,") == n_figures


def test_returns_part_is_unchanged(report_set) -> None:
    """The page is the returns report with the volume section added; returns PNGs as before."""
    result = es.run(EVENT, events=PACKAGED)
    before = build.event_files(result)
    page = report_set.files[PAGE].decode()
    section = "## Volume\n" + _volume_section(page)
    assert page.replace(section, "") == event_markdown(result, build.figure_paths(result))
    for rel, data in before.items():
        if rel.endswith(".png"):
            assert report_set.files[rel] == data, rel


def test_volume_pngs_are_reproducible(report_set) -> None:
    again = build.generate([EVENT], events=PACKAGED)
    names = [rel for rel in report_set.files if "/volume-" in rel]
    assert len(names) == 4
    assert {rel: again.files[rel] for rel in names} == {rel: report_set.files[rel]
                                                         for rel in names}


def test_without_figures_no_png_and_no_image(volume, tmp_path) -> None:
    files = build.generate([EVENT], events=PACKAGED, figures=False, out=tmp_path).files
    assert list(files) == [PAGE]
    section = _volume_section(files[PAGE].decode())
    assert "![" not in section and "volume-" not in section
    assert section.count("| day 0 (") == len(volume.pairs)


def test_every_studied_event_of_the_file_gets_a_volume_section() -> None:
    files = build.generate(events=PACKAGED, figures=False).files
    calendar = es.load_events(PACKAGED)
    for event in calendar.events:
        text = files[f"{event.id}.md"].decode()
        if "No pair of this event can be studied" not in text:
            assert "\n## Volume\n" in text, event.id


def _closes_only(folder: Path, calendar) -> None:
    """The event's tickers (securities, baskets, benchmarks, factors) as date,close CSVs."""
    tickers = set()
    for alias in calendar.event(EVENT).securities:
        sec = calendar.security(alias)
        tickers |= {sec.ticker, sec.benchmark, *sec.basket, *sec.overrides.get("factors", ())}
    for ticker in sorted(t for t in tickers if t and (DATA / f"{t}.csv").is_file()):
        frame = pd.read_csv(DATA / f"{ticker}.csv")
        assert "volume" in frame.columns  # the embedded data has volume; the copy has not
        frame[["date", "close"]].to_csv(folder / f"{ticker}.csv", index=False)


def test_prices_without_volume_leave_the_section_out_and_say_why(tmp_path) -> None:
    prices, out = tmp_path / "prices", tmp_path / "out"
    prices.mkdir()
    _closes_only(prices, es.load_events(PACKAGED))
    result = runner.invoke(app, ["report", EVENT, "--out", str(out), "--events",
                                 str(PACKAGED), "--prices", str(prices)])
    assert result.exit_code == 0, result.stderr
    text = (out / PAGE).read_text("utf-8")
    assert "## Volume" not in text and "### LYC: volume" not in text
    line = next(line for line in text.splitlines() if "Volume section left out" in line)
    assert "no 'volume' column" in line
    assert _volume_pngs(out) == []
    assert (out / "figures" / EVENT / "LYC.png").is_file()  # the returns figures are there
    assert "Volume section left out" in (out / f"{EVENT}.html").read_text("utf-8")
