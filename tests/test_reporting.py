"""Reports (issue #8): CAR path band, generated reading, Markdown/HTML/PNG, index, atomic
writes, the CLI, determinism, and the committed reports/ being up to date."""

from __future__ import annotations

import dataclasses
import io
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

import eventstudy as es
from eventstudy.cli import app
from eventstudy.errors import ReportError
from eventstudy.estimation.models import get_model
from eventstudy.inference import abnormal
from eventstudy.inference.significance import TestResult
from eventstudy.present import build
from eventstudy.present.build import event_files, generate
from eventstudy.present.common import ordered, p_text, significance, window_text
from eventstudy.present.figures import pair_figure
from eventstudy.present.markdown import esc, event_markdown
from eventstudy.present.reading import reading
from eventstudy.present.terminal import stars
from eventstudy.present.writer import write_reports
from eventstudy.study.paths import caar_path, car_path
from eventstudy.study.results import DAY_COLUMNS, Excluded, PairResult

ROOT = Path(__file__).resolve().parents[1]
PACKAGED = ROOT / "eventstudy" / "events.toml"
runner = CliRunner()


@pytest.fixture(scope="module")
def study() -> es.EventStudyResult:
    return es.run("dual-use-ban", events=PACKAGED)


@pytest.fixture(scope="module")
def md_set():
    """Every event's Markdown and the index, without figures (fast)."""
    return generate(events=PACKAGED, figures=False)


# --- the CAR path and its band (library side) ---------------------------------------------

def _tiny_pair() -> tuple[PairResult, np.ndarray, np.ndarray]:
    """A market-model pair from hand-made numbers: M = 6 estimation returns, 4 event days, the
    third a 2-session return and the second without a price."""
    r_est = np.array([0.010, -0.004, 0.007, 0.002, -0.011, 0.005])
    m_est = np.array([0.006, -0.002, 0.004, 0.001, -0.008, 0.002])
    fit = get_model("market").fit(r_est, m_est, pd.Timestamp("2025-01-01"),
                                  pd.Timestamp("2025-01-08"))
    m = np.array([0.003, np.nan, -0.004, 0.002])
    r = np.array([0.020, np.nan, 0.010, -0.006])
    span = np.array([1, 1, 2, 1])
    ar = r - (fit.alpha * span + fit.beta * m)
    days = pd.DataFrame({
        "t": [-1, 0, 1, 2], "date": pd.date_range("2025-02-03", periods=4),
        "return": r, "benchmark_return": m, "expected": r - ar, "ar": ar,
        "se": np.nan, "t_stat": np.nan, "p": np.nan, "car": np.nancumsum(ar), "span": span,
    })[list(DAY_COLUMNS)]
    pair = PairResult("X", "X.T", "X", "^M", "XTKS", "market", "log", pd.Timestamp("2025-02-04"),
                      "", "", fit, days, pd.DataFrame())
    return pair, np.column_stack([np.ones(6), m_est]), np.column_stack([span, m])


def test_car_path_se_is_the_matrix_form_gamma_v_gamma() -> None:
    pair, x_est, x_event = _tiny_pair()
    path = car_path(pair)
    valid = np.isfinite(pair.days["ar"].to_numpy())
    v = abnormal.ar_covariance(pair.estimation.sigma, x_est, x_event[valid], x_event[valid, 0])
    # γ_t selects the valid returns up to t: t = -1 -> first; 0 -> first (no price);
    # 1 -> first two valid; 2 -> all three.
    expected = [v[:1, :1].sum(), v[:1, :1].sum(), v[:2, :2].sum(), v.sum()]
    np.testing.assert_allclose(path["se"], np.sqrt(expected), rtol=1e-12)
    np.testing.assert_allclose(path["car"], pair.days["car"])
    q = stats.t.ppf(0.975, pair.estimation.df)
    np.testing.assert_allclose(path["hi"] - path["car"], q * path["se"], rtol=1e-9)
    np.testing.assert_allclose(path["car"] - path["lo"], q * path["se"], rtol=1e-9)


def test_car_path_wider_band_for_higher_level() -> None:
    pair, _, _ = _tiny_pair()
    narrow, wide = car_path(pair, 0.90), car_path(pair, 0.99)
    assert (wide["hi"] - wide["lo"] > narrow["hi"] - narrow["lo"]).all()
    with pytest.raises(ValueError, match="level"):
        car_path(pair, 1.0)


def _from_day0(pair: PairResult) -> PairResult:
    """The pair with its window cut to start at day 0, so path partial sums are CAR windows."""
    keep = (pair.days["t"] >= 0).to_numpy()
    days = pair.days.loc[keep].reset_index(drop=True)
    days = days.assign(car=np.nancumsum(days["ar"].to_numpy()))
    design = None if pair.design is None else np.asarray(pair.design)[keep]
    return dataclasses.replace(pair, days=days, design=design)


def test_car_path_agrees_with_the_studys_car_windows(study) -> None:
    for pair in study.pairs:
        path = car_path(_from_day0(pair)).set_index("t")
        cars = pair.car.set_index(pair.car["window"].map(tuple))
        for window in ((0, 0), (0, 1), (0, 5)):
            assert path.loc[window[1], "se"] == pytest.approx(cars.loc[[window], "se"].iloc[0],
                                                                rel=1e-12)
            assert path.loc[window[1], "car"] == pytest.approx(
                cars.loc[[window], "car"].iloc[0], rel=1e-12)


def test_car_path_of_a_multi_factor_fit(tmp_path) -> None:
    """A design fit: the path uses the regressors the pair carries (general matrix path)."""
    text = PACKAGED.read_text("utf-8")
    events = tmp_path / "events.toml"
    events.write_text(text.replace('benchmark = "^TOPX"\n', 'benchmark = "^TOPX"\n'
                                   'model = "multi-factor"\n', 1), "utf-8")
    result = es.run("dual-use-ban", events=events)
    toyo = next(p for p in result.pairs if p.security == "TOYO")
    assert toyo.model == "multi-factor"
    path = car_path(_from_day0(toyo)).set_index("t")
    cars = toyo.car.set_index(toyo.car["window"].map(tuple))
    assert path.loc[5, "se"] == pytest.approx(cars.loc[[(0, 5)], "se"].iloc[0], rel=1e-12)


def test_caar_path_known_answer() -> None:
    """Three pairs, CARs by hand: mean, s/sqrt(N) with s from N − 1, t(N − 1) band; a pair
    without a day counts in N only where it has a CAR."""
    pair, _, _ = _tiny_pair()

    def with_car(values):
        days = pair.days.iloc[: len(values)].assign(car=values)
        return dataclasses.replace(pair, days=days)

    pairs = [with_car([0.01, 0.03, 0.02, 0.00]), with_car([0.03, 0.01, 0.05, 0.02]),
             with_car([0.02, 0.05])]
    path = caar_path(pairs).set_index("t")
    assert path["n"].tolist() == [3, 3, 2, 2]
    assert path.loc[-1, "caar"] == pytest.approx(0.02)
    assert path.loc[-1, "se"] == pytest.approx(0.01 / math.sqrt(3))  # s = 0.01
    assert path.loc[1, "caar"] == pytest.approx(0.035)
    assert path.loc[1, "se"] == pytest.approx(0.015)  # s = 0.03 / sqrt(2), n = 2
    q = stats.t.ppf(0.975, 2)
    assert path.loc[0, "hi"] - path.loc[0, "caar"] == pytest.approx(q * path.loc[0, "se"])


# --- plain-language reading -----------------------------------------------------------------

@pytest.mark.parametrize(
    ("p", "words"),
    [(0.004, "significant at the 1% level"), (0.03, "significant at the 5% level"),
     (0.07, "significant at the 10% level"), (0.2, "not significant at the 10% level"),
     (math.nan, "no test possible")],
)
def test_significance_words(p, words) -> None:
    assert significance(p) == words


def test_p_text() -> None:
    assert p_text(3e-5) == "p < 0.0001"
    assert p_text(0.06214) == "p = 0.0621"


def test_reading_states_each_pairs_numbers(study) -> None:
    text = reading(study)
    for pair in study.pairs:
        day0 = pair.days.set_index("t").loc[0]
        sentence = next(s for s in text if s.startswith(f"{pair.security} ("))
        direction = "more" if day0.ar > 0 else "less"
        assert f"{abs(day0.ar) * 100:.2f}% {direction} than the {pair.model} model" in sentence
        assert f"t = {day0.t_stat:.2f}" in sentence
        assert significance(day0.p) in sentence
        longest = pair.car.set_index(pair.car["window"].map(tuple)).loc[[(0, 5)]].iloc[0]
        assert f"Over (+0,+5) the CAR is {longest.car * 100:+.2f}%" in sentence
        if pair.proxy:
            assert "proxy" in sentence
        if pair.confounders:
            assert pair.confounders[0][0].note in sentence
    n_sig = sum(1 for p in study.pairs if p.days.set_index("t").loc[0, "p"] < 0.05)
    assert any(f"{n_sig} of {len(study.pairs)} securities" in s for s in text)


def test_reading_unknown_timing_and_excluded() -> None:
    result = es.run("takaichi-remark", events=PACKAGED)
    assert result.event.headline == (0, 1)
    result = dataclasses.replace(
        result, excluded=(Excluded("ZZ", "ZZ.T", "no prices after 2025-11-01"),))
    text = " ".join(reading(result))
    assert "unknown" in text and "headline window is (+0,+1)" in text
    for pair in result.pairs:
        car = pair.car.set_index(pair.car["window"].map(tuple)).loc[[(0, 1)]].iloc[0]
        assert f"Over the headline window (+0,+1) the CAR is {car.car * 100:+.2f}%" in text
    assert "ZZ (ZZ.T) is excluded and enters no number above: no prices after 2025-11-01." in text


# --- Markdown -------------------------------------------------------------------------------

def test_escape() -> None:
    assert esc("***") == r"\*\*\*"
    assert esc("a|b") == r"a\|b"
    assert esc("p < 0.01") == "p < 0.01" and esc("<b>") == r"\<b>"
    assert esc("csect_t") == "csect_t" and esc("_x_") == r"\_x\_"
    assert esc("two\n  lines") == "two lines"


def test_tests_ordered_as_in_the_terminal() -> None:
    keys = [k for k, _ in ordered({"zeta": 1, "sign_z": 2, "cda_t": 3, "j1": 4, "csect_t": 5})]
    assert keys == ["csect_t", "j1", "cda_t", "sign_z", "zeta"]  # TEST_ORDER, then the rest


def test_markdown_shows_the_results_numbers(study) -> None:
    text = event_markdown(study, {})
    for pair in study.pairs:
        assert f"| {pair.day0.date()} | {esc(pair.day0_reason)} |" in text
        for row in pair.days.itertuples():
            assert f"{row.ar * 100:+.2f}%" in text
        for row in pair.car.itertuples():
            cell = f"{row.car * 100:+.2f}%"
            assert cell in text
            if tuple(row.window) != pair.headline:  # (the headline row is in bold)
                line = f"| {window_text(row.window)} | {row.start.date()}..{row.end.date()} "
                line += f"| {cell} |"
                assert any(x.startswith(line) and x.endswith(
                    f"| {row.p:.4f} | {esc(stars(row.p))} | {row.bhar * 100:+.2f}% | "
                    f"{row.n_days} |") for x in text.splitlines() if row.p >= 1e-4)  \
                    or row.p < 1e-4
    assert "## Aggregate over" in text and "`csect_t`" in text
    assert "![" not in text  # no figure paths given, no image


def test_aggregate_tests_rendered_from_whatever_keys_exist(study) -> None:
    agg = study.aggregate
    fake = TestResult("zz_new", 2.5, 0.012, "N(0,1)", "Someone (2030)")
    tests = {0: {"zz_new": fake, **agg.day_tests[0]}}
    cars = {w: {"zz_new": fake, **t} for w, t in agg.car_tests.items()}
    result = dataclasses.replace(study, aggregate=dataclasses.replace(
        agg, day_tests={**agg.day_tests, **tests}, car_tests=cars))
    text = event_markdown(result, {})
    header = next(line for line in text.splitlines() if line.startswith("| t | N | AAR |"))
    assert header.index("`csect_t`") < header.index("`zz_new`")
    n_columns = 1 + len(agg.car_tests)  # day 0 and each CAR window
    assert "| `zz_new` | N(0,1) |" + " 2.50\\*\\* (0.0120) |" * n_columns in text
    assert "`zz_new`: Someone (2030)" in text


# --- the generated set: figures, HTML, index, determinism -------------------------------------

def test_event_files_figures_and_self_contained_html(study) -> None:
    files = event_files(study, figures=True)
    text = files["dual-use-ban.md"].decode()
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(images) == len(study.pairs) + 1  # one per security and the overview
    for path in images:
        png = files[path]
        assert png.startswith(b"\x89PNG") and b"Software" not in png and b"tIME" not in png
    html = files["dual-use-ban.html"].decode()
    assert html.count("data:image/png;base64,") == len(images)
    assert 'src="figures/' not in html and "<table class=" in html
    assert 'href="index.html"' in html and 'href="README.md"' not in html


def test_figure_of_a_pair_with_a_gap() -> None:
    """A day without a price and a 2-session return draw (labelled) without error."""
    from PIL import Image

    pair, _, _ = _tiny_pair()
    result = es.run("dual-use-ban", events=PACKAGED)
    png = pair_figure(result, pair)
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (720, 560)


def test_figures_are_deterministic(study) -> None:
    assert pair_figure(study, study.pairs[1]) == pair_figure(study, study.pairs[1])


def test_markdown_is_deterministic(md_set) -> None:
    """A second run (new results, new figures of nothing) gives the same bytes; the committed
    reports, made by another process, are compared with the whole set below."""
    again = generate(["dual-use-ban", "takaichi-remark"], events=PACKAGED, figures=False)
    assert again.files == {k: md_set.files[k] for k in again.files}


def test_index_one_row_per_event_one_column_per_security(md_set) -> None:
    calendar = es.load_events(PACKAGED)
    lines = md_set.files["README.md"].decode().splitlines()
    header = next(line for line in lines if line.startswith("| event |"))
    assert header.split(" | ")[3:7] == ["LYC", "TOYO", "TE", "N225"]
    rows = [line for line in lines if line.startswith("| [")]
    assert len(rows) == len(calendar.events)
    result = es.run("dual-use-ban", events=PACKAGED)
    row = next(r for r in rows if r.startswith("| [dual-use-ban](dual-use-ban.md)"))
    for pair in result.pairs:
        car = pair.car.set_index(pair.car["window"].map(tuple)).loc[[(0, 0)]].iloc[0]
        assert f"[{car.car * 100:+.2f}%{esc(stars(car.p))}](dual-use-ban.md)" in row


def test_pooled_report_of_a_tag(md_set) -> None:
    from eventstudy.study.pooled import run_many

    calendar = es.load_events(PACKAGED)
    tagged = [e.id for e in calendar.events if "escalation" in e.tags]
    text = md_set.files["tag-escalation.md"].decode()
    rows = [line for line in text.splitlines() if line.startswith("| [")]
    assert [r.split("]")[0][3:] for r in rows] == tagged
    pooled = run_many(tag="escalation", events=calendar)
    assert f"## Aggregate over {pooled.aggregate.n} pairs" in text
    aar = pooled.aggregate.days.loc[0, "aar"]
    assert f"on day 0 (AAR) is {aar * 100:+.2f}%" in text
    assert "[Events tagged escalation](tag-escalation.md)" in md_set.files["README.md"].decode()
    files = build.pooled_files(pooled, figures=True)
    assert files["figures/tag-escalation/caar.png"].startswith(b"\x89PNG")
    assert files["tag-escalation.html"].decode().count("data:image/png;base64,") == 1


def test_committed_reports_are_up_to_date(md_set) -> None:
    """reports/ is generated output: regenerate with `eventstudy report --all` when stale."""
    stale = [rel for rel, data in md_set.files.items()
             if not (ROOT / "reports" / rel).is_file()
             or (ROOT / "reports" / rel).read_bytes() != data]
    assert not stale, f"stale reports (run `eventstudy report --all`): {stale}"
    for rel, data in md_set.files.items():
        if rel == "README.md":
            continue
        for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", data.decode()):
            assert (ROOT / "reports" / image).is_file(), image
        assert (ROOT / "reports" / rel.replace(".md", ".html")).is_file()
    assert (ROOT / "reports" / "index.html").is_file()


# --- atomic writes --------------------------------------------------------------------------

def test_write_replaces_and_prunes(tmp_path) -> None:
    write_reports(tmp_path, {"a.md": b"old", "figures/e/X.png": b"x", "figures/e/Y.png": b"y"})
    write_reports(tmp_path, {"a.md": b"new", "figures/e/X.png": b"x2"}, prune=["figures/e"])
    assert (tmp_path / "a.md").read_bytes() == b"new"
    assert (tmp_path / "figures/e/X.png").read_bytes() == b"x2"
    assert not (tmp_path / "figures/e/Y.png").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_failed_write_leaves_old_reports(tmp_path, monkeypatch) -> None:
    write_reports(tmp_path, {"a.md": b"old", "b.md": b"old"})
    calls = []
    real = Path.write_bytes

    def failing(self, data):
        calls.append(self)
        if len(calls) == 2:
            raise OSError(28, "No space left on device", str(self))
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", failing)
    with pytest.raises(ReportError, match="No space left"):
        write_reports(tmp_path, {"a.md": b"new", "b.md": b"new"})
    monkeypatch.undo()
    assert (tmp_path / "a.md").read_bytes() == b"old" == (tmp_path / "b.md").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md", "b.md"]


def test_unwritable_folder_and_bad_names(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ReportError, match=r"cannot write reports to .*file/sub"):
        write_reports(blocker / "sub", {"a.md": b"x"})
    with pytest.raises(ReportError, match="relative path"):
        write_reports(tmp_path, {"../a.md": b"x"})


# --- CLI ------------------------------------------------------------------------------------

def test_cli_report_one_event(tmp_path) -> None:
    result = runner.invoke(app, ["report", "dual-use-ban", "--out", str(tmp_path),
                                 "--events", str(PACKAGED), "--no-figures"])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "dual-use-ban.md").is_file() and not (tmp_path / "README.md").exists()
    assert "wrote 1 files for 1 report(s)" in result.stderr


def test_cli_report_all_writes_index(tmp_path, monkeypatch) -> None:
    """The --all wiring (progress per event, index); the set itself is tested above."""
    import eventstudy.present.build as reporting

    seen = []

    def fake(event_ids, *, events, prices, figures, on_event=None, tags=None, out=None):
        seen.append((event_ids, figures, tags, out))
        for name in ("a", "b"):
            on_event(name)
        return reporting.ReportSet({"a.md": b"a", "b.md": b"b", "README.md": b"i"})

    monkeypatch.setattr(reporting, "generate", fake)
    result = runner.invoke(app, ["report", "--all", "--out", str(tmp_path), "--events",
                                 str(PACKAGED), "--no-figures"])
    assert result.exit_code == 0, result.stderr
    assert seen == [(None, False, None, tmp_path)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md", "a.md", "b.md"]
    assert "wrote 3 files for 2 report(s)" in result.stderr and "README.md" in result.stderr


def test_cli_report_tag(tmp_path) -> None:
    result = runner.invoke(app, ["report", "--tag", "escalation", "--out", str(tmp_path),
                                 "--events", str(PACKAGED), "--no-figures"])
    assert result.exit_code == 0, result.stderr
    assert [p.name for p in tmp_path.glob("*.md")] == ["tag-escalation.md"]


@pytest.mark.parametrize(
    ("args", "message"),
    [([], "give one of EVENT_ID, --all or --tag"),
     (["dual-use-ban", "--all"], "give one of EVENT_ID, --all or --tag"),
     (["--tag", "escalation", "--all"], "give one of EVENT_ID, --all or --tag"),
     (["--tag", "no-such-tag"], "no event tagged 'no-such-tag'"),
     (["no-such-event"], "no-such-event"),
     (["dual-use-ban", "--out", "{file}/sub"], "cannot write reports to")],
)
def test_cli_report_errors_are_one_line(tmp_path, args, message) -> None:
    (tmp_path / "file").write_text("x")
    args = [a.replace("{file}", str(tmp_path / "file")) for a in args]
    result = runner.invoke(app, ["report", *args, "--events", str(PACKAGED), "--no-figures"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert result.stdout == ""
