"""``plot()`` of the result objects: matplotlib Figures drawn by the reports' code, holding the
results' numbers; the reports' PNG functions still give PNGs; no pyplot, and matplotlib is not
loaded by ``import eventstudy``."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

import eventstudy as es
from eventstudy.present import figures
from eventstudy.study.paths import caar_path, car_path

sys.path.insert(0, str(Path(__file__).parent))
from test_batch import EST, WIN, sim_pairs, simulate

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def study() -> es.EventStudyResult:
    return es.run("dual-use-ban")


@pytest.fixture(scope="module")
def pooled() -> es.PooledResult:
    return es.run_many(["dual-use-ban", "busan-truce"], bootstrap=0)


@pytest.fixture(scope="module")
def batch() -> es.BatchResult:
    returns = simulate()
    pairs = sim_pairs(returns, 60).drop_duplicates(["security", "day0"])
    pairs["kind"] = np.where(np.arange(len(pairs)) % 3 == 0, "merger", "split")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", es.ExcludedPairsWarning)
        return es.batch(returns, pairs, estimation=EST, window=WIN, sessions="index")


def lines(ax) -> list:
    """The data lines of ``ax`` (not the zero line, day 0's line or the grid)."""
    return [line for line in ax.get_lines() if len(line.get_xdata()) > 2]


def running_caar(ar: np.ndarray) -> np.ndarray:
    """Mean over pairs of the running sum of their valid ARs (pairs with none yet left out)."""
    valid = np.isfinite(ar)
    running = np.where(np.cumsum(valid, axis=1) > 0, np.nancumsum(ar, axis=1), np.nan)
    return np.nanmean(running, axis=0)


def test_pair_plot_holds_the_car_path_its_band_and_the_ars(study) -> None:
    pair = study.pairs[0]
    fig = pair.plot()
    assert isinstance(fig, Figure) and isinstance(fig, figures.Chart)
    top, bottom = fig.axes
    (line,) = lines(top)
    np.testing.assert_array_equal(line.get_xdata(), pair.days["t"].to_numpy())
    np.testing.assert_allclose(line.get_ydata(), pair.days["car"].to_numpy(float))
    heights = [bar.get_height() for bar in bottom.patches]
    np.testing.assert_allclose(heights, np.nan_to_num(pair.days["ar"].to_numpy(float)))
    (band,) = [c for c in top.collections if isinstance(c, PolyCollection)]
    path = car_path(pair, 0.95)
    ys = band.get_paths()[0].vertices[:, 1]
    assert np.isclose(ys.max(), path["hi"].max()) and np.isclose(ys.min(), path["lo"].min())
    assert pair.security in fig.texts[0].get_text()


def test_study_plot_holds_every_pairs_car(study) -> None:
    fig = study.plot()
    (ax,) = fig.axes
    drawn = lines(ax)
    assert len(drawn) == len(study.pairs)
    for line, pair in zip(drawn, study.pairs, strict=True):
        np.testing.assert_allclose(line.get_ydata(), pair.days["car"].to_numpy(float))
        assert line.get_label().startswith(pair.security)


def test_pooled_plot_holds_the_caar_of_all_pairs(pooled) -> None:
    fig = pooled.plot()
    (line,) = lines(fig.axes[0])
    cars = pooled.to_frame().pivot_table(index=["event", "security"], columns="t",
                                         values="car", dropna=False)
    np.testing.assert_allclose(line.get_ydata(), cars.mean(axis=0).to_numpy())
    path = caar_path([p for _, p in pooled.pairs], 0.95)
    np.testing.assert_allclose(line.get_ydata(), path["caar"].to_numpy())
    assert "Pooled events" in fig.texts[0].get_text()


def test_batch_plot_holds_the_caar_from_aggregate(batch) -> None:
    fig = batch.plot()
    (line,) = lines(fig.axes[0])
    lo = batch.window[0]
    agg = batch.aggregate(windows=[(lo, t) for t in range(lo, batch.window[1] + 1)])
    np.testing.assert_allclose(line.get_ydata(), agg.car["caar"].to_numpy())
    np.testing.assert_allclose(line.get_ydata(), running_caar(batch.ar.to_numpy()[batch.studied]))
    np.testing.assert_allclose(line.get_ydata(), batch.caar_path()["caar"].to_numpy())
    assert np.isclose(line.get_ydata()[-1], batch.car[batch.studied].mean())


def test_batch_plot_by_group(batch) -> None:
    fig = batch.plot(by="kind", bootstrap=200)
    ax = fig.axes[0]
    drawn = {line.get_label().split(" (")[0]: line for line in lines(ax)}
    assert sorted(drawn) == ["merger", "split"]
    kinds = batch.pairs["kind"].to_numpy()
    for kind, line in drawn.items():
        rows = batch.studied & (kinds == kind)
        np.testing.assert_allclose(line.get_ydata(), running_caar(batch.ar.to_numpy()[rows]))
        assert f"(N={rows.sum()})" in line.get_label()
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2 and all(len(b.get_paths()) for b in bands)  # bootstrap intervals
    assert not [c for c in batch.plot(by="kind").axes[0].collections
                if isinstance(c, PolyCollection) and len(c.get_paths())]  # none without


def test_plots_ignore_the_users_matplotlib_settings(study) -> None:
    with matplotlib.rc_context({"lines.linewidth": 9.0, "axes.grid": False}):
        fig = study.pairs[0].plot()
    (line,) = lines(fig.axes[0])
    assert line.get_linewidth() == 1.8


def test_a_chart_shows_itself_as_png(study) -> None:
    png = study.plot()._repr_png_()
    assert png.startswith(PNG)


def test_report_figures_are_still_pngs(study, pooled) -> None:
    pair_png = figures.pair_figure(study, study.pairs[0])
    assert pair_png.startswith(PNG) and pair_png == figures.pair_figure(study, study.pairs[0])
    assert figures.overview_figure(study).startswith(PNG)
    caar = figures.caar_figure("Pooled", "2 events", [p for _, p in pooled.pairs])
    assert caar.startswith(PNG)


def test_plotting_uses_no_pyplot_and_import_loads_no_matplotlib() -> None:
    code = ("import sys, eventstudy as es\n"
            "loaded = any(m.startswith('matplotlib') for m in sys.modules)\n"
            "es.run('dual-use-ban').plot()\n"
            "print(loaded, 'matplotlib.pyplot' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["False", "False"]


def test_an_unregistered_type_has_no_html() -> None:
    from eventstudy import _display

    class Plain(_display.Rendered):
        pass

    assert Plain()._repr_html_() is None
    with pytest.raises(LookupError, match="no plot rendering"):
        _display.plot(Plain())
    with pytest.raises(ValueError, match="unknown view"):
        _display.register_view("svg", Plain, lambda obj: "")


def test_a_volume_pair_plots_its_log_volume_and_abnormal_volume() -> None:
    import eventstudy

    pair = eventstudy.run("dual-use-ban", measure="volume").pairs[0]
    fig = pair.plot()
    top, bottom = fig.axes
    ys = sorted(tuple(np.round(line.get_ydata(), 12)) for line in lines(top))
    want = sorted(tuple(np.round(pair.days[c].to_numpy(float), 12))
                  for c in ("return", "expected"))
    assert ys == want  # log(1 + volume) and its normal level
    heights = [bar.get_height() for bar in bottom.patches]
    np.testing.assert_allclose(heights, np.nan_to_num(pair.days["ar"].to_numpy(float)))
