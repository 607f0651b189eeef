"""The result objects in a Jupyter notebook, executed by a real kernel (nbclient).

One notebook, run once for the module (a kernel takes seconds to start): an event study, one of
its pairs, a pooled run, a batch on a synthetic returns frame, ``summary()`` and ``plot()``. Each
output must be a compact HTML view holding the numbers the terminal shows, with a one-line
``text/plain``, and nothing else (no dataclass dump, no rich object repr, no stray output).
"""

from __future__ import annotations

import re
import sys
from html import unescape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

import eventstudy as es  # noqa: E402
from eventstudy.present.common import fp, pct_text  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from test_batch import EST, WIN, sim_pairs, simulate  # noqa: E402

CELLS = {
    "setup": "import pandas as pd\nimport eventstudy as es",
    "study": 'r = es.run("dual-use-ban")\nr',
    "pair": "r.pairs[0]",
    "pooled": 'p = es.run_many(tag="escalation")\np',
    "batch": ('returns = pd.read_pickle("returns.pkl")\npairs = pd.read_pickle("pairs.pkl")\n'
              f"b = es.batch(returns, pairs, estimation={EST}, window={WIN}, "
              'sessions="index")\nb'),
    "summary": "r.summary()",
    "plot": "r.plot()",
    "str": "print(len(str(r)) > 1000, 'Lynas Rare Earths' in str(r))",
}


def batch_inputs() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A synthetic panel and 30 pairs, two of them excluded (no such column, no day 0)."""
    returns = simulate(n_rows=300)
    pairs = sim_pairs(returns, 30).drop_duplicates(["security", "day0"])
    pairs.loc["missing"] = ("XX", "MA", returns.index[200])
    pairs.loc["saturday"] = ("S0", "MA", pd.Timestamp("2015-01-03"))
    return returns, pairs


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict]]:
    """Each cell's outputs, by cell name, from one run of the notebook in a fresh kernel."""
    folder = tmp_path_factory.mktemp("notebook")
    returns, pairs = batch_inputs()
    returns.to_pickle(folder / "returns.pkl")
    pairs.to_pickle(folder / "pairs.pkl")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source, metadata={"name": name})
                for name, source in CELLS.items()]
    with pytest.MonkeyPatch.context() as mp:  # the kernel writes nothing under the home folder
        mp.setenv("IPYTHONDIR", str(folder / "ipython"))
        mp.setenv("JUPYTER_RUNTIME_DIR", str(folder / "runtime"))
        mp.setenv("MPLBACKEND", "agg")
        client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                         resources={"metadata": {"path": str(folder)}})
        client.execute()
    nbformat.write(nb, folder / "executed.ipynb")
    return {cell.metadata["name"]: cell.outputs for cell in nb.cells}


@pytest.fixture(scope="module")
def study() -> es.EventStudyResult:
    return es.run("dual-use-ban")


def only(outputs: dict[str, list[dict]], name: str, warns: str | None = None
         ) -> dict[str, str]:
    """The one output of cell ``name``, an execute_result: its data by mime type (after the
    warning ``warns`` on stderr, when given)."""
    out = outputs[name]
    if warns is not None:
        assert out[0]["output_type"] == "stream" and warns in out[0]["text"], out
        out = out[1:]
    assert [o["output_type"] for o in out] == ["execute_result"], out
    return out[0]["data"]


def text_of(html: str) -> str:
    """The text of an HTML view, blanks collapsed, without its style sheet."""
    html = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_the_setup_cell_shows_nothing(outputs) -> None:
    assert outputs["setup"] == []


def test_study_shows_compact_html(outputs, study) -> None:
    data = only(outputs, "study")
    plain, html = data["text/plain"], data["text/html"]
    assert "\n" not in plain and plain.startswith("<EventStudyResult dual-use-ban: 4 pairs")
    assert plain == repr(study)
    assert len(html) < 20_000  # a 52 KB dataclass dump before
    text = text_of(html)
    assert "dual-use-ban" in text and study.event.title in text
    assert study.event.announced_text in text and "day 0 2026-01-07" in text
    terminal = str(study)
    for p in study.pairs:  # every pair's CAR windows, as the terminal writes them
        for row in p.car.itertuples(index=False):
            for cell in (pct_text(row.car), pct_text(row.se, signed=False), fp(row.p)):
                assert cell in text and cell in terminal
        assert p.security in text
    lyc = study.pairs[0].car.iloc[0]  # the headline CAR(0,0) of LYC: +13.22%, t 4.40, ***
    assert re.search(r"\(\+0,\+0\) ◀ \s*" + re.escape(pct_text(lyc.car)) + r"\s+"
                     + re.escape(pct_text(lyc.se, signed=False)) + rf"\s+{lyc.t_stat:.2f}\s+"
                     + re.escape(fp(lyc.p)) + r"\s+\*\*\*", text), text
    agg = study.aggregate
    for caar in agg.car["caar"]:
        assert pct_text(caar) in text
    patell = agg.car_tests[(0, 0)]["patell_z"]
    assert f"{patell.stat:.2f} ({fp(patell.p)})***" in text.replace(" ***", "***")


def test_pair_shows_compact_html(outputs, study) -> None:
    data = only(outputs, "pair")
    lyc = study.pairs[0]
    assert "\n" not in data["text/plain"] and data["text/plain"] == repr(lyc)
    text = text_of(data["text/html"])
    assert lyc.day0_reason in text and lyc.name in text
    for row in lyc.car.itertuples(index=False):
        assert pct_text(row.car) in text and pct_text(row.bhar) in text
    ar0 = lyc.days.loc[lyc.days.t == 0].iloc[0]
    assert f"AR(0) {pct_text(ar0.ar)}" in text


def test_pooled_shows_compact_html(outputs) -> None:
    data = only(outputs, "pooled")
    pooled = es.run_many(tag="escalation")
    assert "\n" not in data["text/plain"] and data["text/plain"] == repr(pooled)
    assert data["text/plain"].startswith("<PooledResult tag 'escalation': ")
    html = data["text/html"]
    assert len(html) < 40_000  # a 377 KB dataclass dump before
    text = text_of(html)
    for e in pooled.events:
        assert e.id in text
    for caar in pooled.aggregate.car["caar"]:
        assert pct_text(caar) in text
    assert f"Pooled aggregate over {pooled.aggregate.n} pairs" in text


def test_batch_shows_counts_reasons_and_caar(outputs) -> None:
    data = only(outputs, "batch", warns="ExcludedPairsWarning")
    returns, pairs = batch_inputs()
    b = es.batch(returns, pairs, estimation=EST, window=WIN, sessions="index")
    assert "\n" not in data["text/plain"] and data["text/plain"] == repr(b)
    n_out = int(b.excluded.notna().sum())
    assert n_out >= 2 and pd.isna(b.excluded).sum() > 20
    assert data["text/plain"].startswith(f"<BatchResult market model: {len(pairs)} pairs, "
                                         f"{len(pairs) - n_out} studied, {n_out} excluded")
    html = data["text/html"]
    assert len(html) < 10_000  # 6.7 KB of dataclass dump before, and no CAAR
    cells = re.findall(r"<td[^>]*>(.*?)</td>", html)
    assert cells[:3] == [str(len(pairs)), str(len(pairs) - n_out), str(n_out)]
    kinds = b.excluded_by_kind
    assert kinds.sum() == n_out and "security not a column of returns" in kinds
    assert "day0 not a session" in kinds
    for kind, n in kinds.items():  # the reasons table: kind, count
        assert cells[cells.index(kind) + 1] == str(n)
    text = text_of(html)
    path = b.caar_path()
    assert pct_text(path["caar"].iloc[-1]) in text
    assert " ".join(pct_text(x) for x in path["caar"]) in text


def test_summary_shows_the_terminal_rendering(outputs, study) -> None:
    data = only(outputs, "summary")
    assert "rich.console.Group" not in data["text/plain"]
    assert data["text/plain"] == str(study)  # the terminal's plain text, unchanged
    html = re.sub(r"<style>.*?</style>", "", data["text/html"], flags=re.S)
    text = unescape(re.sub(r"<[^>]+>", "", html))
    assert [line.rstrip() for line in text.splitlines()] == [
        line.rstrip() for line in str(study).splitlines()]


def test_plot_shows_a_figure(outputs) -> None:
    data = only(outputs, "plot")
    assert data["image/png"] and "\n" not in data["text/plain"]


def test_summary_still_draws_in_a_terminal(study) -> None:
    from io import StringIO

    from rich.console import Console

    drawn = StringIO()
    Console(file=drawn, width=120, color_system=None).print(study.summary())
    plain = StringIO()
    Console(file=plain, width=120, color_system=None).print(study)
    assert drawn.getvalue() == plain.getvalue() == str(study)
    assert str(study.summary()) == str(study)


def test_every_result_has_a_one_line_repr(study) -> None:
    for obj in (study, study.pairs[0], study.summary()):
        assert "\n" not in repr(obj) and len(repr(obj)) < 200
    assert np.isfinite(study.aggregate.car["caar"].iloc[0])
    assert f"CAAR(+0,+0) {pct_text(study.aggregate.car['caar'].iloc[0])}" in repr(study)


def test_long_lists_are_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    from eventstudy.present import notebook

    pooled = es.run_many(tag="escalation")
    monkeypatch.setattr(notebook, "MAX_ROWS", 3)
    text = text_of(pooled._repr_html_())
    assert f"… and {len(pooled.pairs) - 3:,} more pairs" in text
    assert f"… and {len(pooled.events) - 3:,} more events" in text
    assert pooled.pairs[2][1].security in text


def test_str_is_the_text_in_a_notebook_too(outputs) -> None:
    # rich draws into the notebook itself when it finds one: str(r) must still be the text
    (stream,) = [o for o in outputs["str"] if o.get("output_type") == "stream"]
    assert stream["text"].strip() == "True True"

