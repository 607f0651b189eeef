"""The Dask path (eventstudy.distributed.batch) against the local engine: same numbers, same
exclusions, same order; worker loss; the Parquet reader's column projection; bad inputs."""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from distributed_data import EST, WIN, pairs_for, universe
from hypothesis import given, settings
from hypothesis import strategies as st

import eventstudy
import eventstudy.distributed
from eventstudy.errors import (
    DistributedError,
    EstimationError,
    ExcludedPairsWarning,
    InputError,
    MissingDependencyError,
    PriceDataError,
)
from eventstudy.study.batch import engine as batch_engine
from eventstudy.study.batch import tuning
from eventstudy.study.distributed import panel as panel_module
from eventstudy.study.distributed.plan import split

#: simulated returns on business days of no exchange: offsets count rows of the panel
ROWS = {"estimation": EST, "window": WIN, "sessions": "index"}

distributed = pytest.importorskip("distributed")


@pytest.fixture(autouse=True)
def compiled_engine(monkeypatch):
    """The compiled engine at every size (when installed): it gives the Dask path the local
    bits exactly, so the tests compare at 1e-12 whatever the number of pairs. The numpy engine
    is compared apart (test_numpy_engine_equal_to_the_last_bits)."""
    if batch_engine._load_jit() is not None:
        monkeypatch.setattr(tuning, "ENGINE", "numba")

FIELDS = ("ar", "se", "car", "car_se", "car_t", "car_p", "n_days", "estimation", "excluded")


@pytest.fixture(scope="module")
def client():
    """Two worker processes, one thread each (CI has 2 cores)."""
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=":0", silence_logs=40)
    with cluster, distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def data():
    returns = universe()
    return returns, pairs_for(returns, 200_000)


def assert_same(local, dask, rtol: float = 1e-12, atol: float = 0.0) -> None:
    """Every field of the two results: labels, dtypes, exclusions, NaN cells, integers and
    dates exactly; floats to ``rtol`` (numpy on whole arrays: pandas' per-element comparison
    takes seconds at 200k pairs)."""
    for name in FIELDS:
        a, b = getattr(local, name), getattr(dask, name)
        assert type(a) is type(b) and a.index.equals(b.index), name
        frames = (a, b) if isinstance(a, pd.DataFrame) else (a.to_frame(), b.to_frame())
        assert frames[0].columns.equals(frames[1].columns), name
        for column in frames[0].columns:
            x, y = frames[0][column], frames[1][column]
            assert x.dtype == y.dtype, (name, column)
            if x.dtype.kind == "f":
                x, y = x.to_numpy(), y.to_numpy()
                assert np.array_equal(np.isnan(x), np.isnan(y)), (name, column)
                np.testing.assert_allclose(y, x, rtol=rtol, atol=atol, err_msg=f"{name}")
            else:
                # the labels are compared once above (pandas' check of string labels is slow)
                pd.testing.assert_series_equal(x, y, obj=f"{name}.{column}", check_index=False)


def test_200k_pairs_with_holes_equal_the_local_engine(client, data) -> None:
    returns, pairs = data
    local = eventstudy.batch(returns, pairs, **ROWS)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dask = eventstudy.distributed.batch(returns, pairs, client=client, estimation=EST,
                                            sessions="index", window=WIN, tasks=7)
    # one warning, the caller's count of the exclusions; nothing else (e.g. Dask's "large graph")
    assert [w.category for w in caught] == [ExcludedPairsWarning], [str(w.message)
                                                                    for w in caught]
    assert str(caught[0].message).startswith("eventstudy.distributed.batch: 24,576 of 200,000 "
                                             "pairs excluded (")
    excluded = local.excluded.dropna()
    for reason in ("security 'NOPE'", "benchmark 'NOBENCH'", "not a session", "before the first",
                   "after the last", "zero variance", "usable estimation returns"):
        assert excluded.str.contains(reason, regex=False).any(), reason
    assert local.studied.sum() > 150_000
    assert_same(local, dask)
    # bit for bit, in fact: the same compiled engine on the same combos
    assert np.array_equal(local.ar.to_numpy(), dask.ar.to_numpy(), equal_nan=True)
    assert dask.returns is returns and dask.pairs is pairs


@pytest.mark.parametrize("model", ["constant-mean", "market-adjusted"])
@pytest.mark.parametrize("strict", [False, True])
def test_parquet_models_and_strict_window_equal_the_local_engine(client, tmp_path, model,
                                                                 strict) -> None:
    returns = universe(60, 500, seed=3)
    pairs = pairs_for(returns, 12_000, seed=4)
    path = tmp_path / "returns.parquet"
    returns.to_parquet(path)
    kw = {"estimation": EST, "window": WIN, "sessions": "index", "model": model,
          "require_full_window": strict}
    local = eventstudy.batch(returns, pairs, **kw)
    dask = eventstudy.distributed.batch(path, pairs, client=client, **kw)
    assert_same(local, dask)
    assert dask.returns is None
    if strict:
        assert local.excluded.str.contains("require_full_window", regex=False).any()


def test_a_worker_killed_mid_run_is_replaced_and_the_result_complete(client, data, tmp_path
                                                                    ) -> None:
    """A worker plugin kills its process (os._exit) when the first batch task starts on it:
    Dask moves that worker's tasks to the other, the nanny starts a new worker, and the result
    is the whole, equal result."""
    returns, pairs = data
    pairs = pairs.iloc[:60_000]
    marker = tmp_path / "kill-once"
    marker.touch()
    before = set(client.run(os.getpid).values())
    client.register_plugin(KillOnce(str(marker)), name="kill-once")
    try:
        dask = eventstudy.distributed.batch(returns, pairs, client=client, estimation=EST,
                                            sessions="index", window=WIN, tasks=6)
    finally:
        client.unregister_worker_plugin("kill-once")
    assert not marker.exists()  # the plugin fired
    client.wait_for_workers(2, timeout=60)
    assert set(client.run(os.getpid).values()) != before  # a new worker process
    assert_same(eventstudy.batch(returns, pairs, **ROWS), dask)


class KillOnce(distributed.WorkerPlugin):
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def transition(self, key, start, finish, **kwargs) -> None:
        if finish == "executing" and "eventstudy-batch" in str(key):
            try:
                os.unlink(self.marker)  # atomic: one worker only
            except FileNotFoundError:
                return
            os._exit(1)


def test_the_parquet_reader_reads_only_the_columns_a_task_needs(tmp_path, monkeypatch) -> None:
    """Threads in this process (so the spy sees the reads): each task asks for its
    securities' columns and their benchmarks, never for the others, nor the dates again."""
    returns = universe(80, 400, seed=5)
    pairs = pairs_for(returns, 3_000, seed=6)
    pairs = pairs[pairs["security"].isin(returns.columns[:40])]  # half the tickers unused
    path = tmp_path / "returns.parquet"
    returns.to_parquet(path)
    requested: list[list[str]] = []
    read = panel_module._read

    def spy(where, files, columns):
        requested.append(list(columns))
        return read(where, files, columns)

    monkeypatch.setattr(panel_module, "_read", spy)
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2,
                            dashboard_address=":0") as c:
        dask = eventstudy.distributed.batch(path, pairs, client=c, **ROWS,
                                            tasks=5)
    assert requested[0] == ["date"]  # open_panel: the sessions only
    tasks = requested[1:]
    assert len(tasks) == 5
    named = set(pairs["security"]) | set(pairs["benchmark"])
    seen: set[str] = set()
    for columns in tasks:
        assert "date" not in columns and set(columns) <= named
        assert columns == [c for c in returns.columns if c in columns]  # panel order
        securities = set(columns) - {"MKT", "MKT2"}
        mine = pairs[pairs["security"].isin(securities)]
        assert set(columns) == set(mine["security"]) | set(mine["benchmark"]) - {"NOBENCH"}
        assert not (securities & seen)  # a security is read by one task only
        seen |= securities
    assert seen == set(pairs["security"]) - {"NOPE"}
    assert_same(eventstudy.batch(returns, pairs, **ROWS), dask)


def test_a_dataset_of_files_and_dask_pairs(client, tmp_path) -> None:
    """A folder of Parquet files split by year (with a 'date' column, ints among the floats)
    and pairs as a dask DataFrame give the local result."""
    dd = pytest.importorskip("dask.dataframe")
    returns = universe(30, 700, seed=7)
    returns["S0000"] = np.round(returns["S0000"].fillna(0) * 1e4).astype(np.int64)
    folder = tmp_path / "returns"
    folder.mkdir()
    for year, part in returns.groupby(returns.index.year):
        part.reset_index().to_parquet(folder / f"{year}.parquet", index=False)
    pairs = dd.from_pandas(pairs_for(returns, 5_000, seed=8), npartitions=3)
    dask = eventstudy.distributed.batch(folder, pairs, client=client, **ROWS)
    computed = pairs.compute()  # dask's own dtypes (its strings are pyarrow's)
    pd.testing.assert_frame_equal(dask.pairs, computed)
    assert_same(eventstudy.batch(returns.astype(float), computed, **ROWS),
                dask)


def test_without_a_client_a_local_cluster_runs_the_call() -> None:
    returns = universe(20, 300, seed=9)
    pairs = pairs_for(returns, 400, seed=10)
    dask = eventstudy.distributed.batch(returns, pairs, **ROWS, workers=1)
    assert_same(eventstudy.batch(returns, pairs, **ROWS), dask)


def test_numpy_engine_equal_to_the_last_bits(client, monkeypatch) -> None:
    """On the numpy engine a task's blocks of combos are not the local call's, which moves the
    last bits of the running sums' corrections: 1e-12 relative, 1e-15 absolute (an AR of
    5e-6 differs by 1e-17); exclusions, n_obs and n_days exactly."""
    monkeypatch.setattr(tuning, "ENGINE", "numpy")
    returns = universe(60, 500, seed=15)
    pairs = pairs_for(returns, 4_000, seed=16)
    local = eventstudy.batch(returns, pairs, **ROWS)
    dask = eventstudy.distributed.batch(returns, pairs, client=client, **ROWS,
                                        tasks=5)
    assert_same(local, dask, atol=1e-15)
    pd.testing.assert_series_equal(local.estimation["n_obs"], dask.estimation["n_obs"])


def test_progress_is_reported_per_task(client) -> None:
    returns = universe(20, 300, seed=11)
    seen: list[tuple[int, int]] = []
    eventstudy.distributed.batch(returns, pairs_for(returns, 500), client=client,
                                 **ROWS, tasks=4,
                                 progress=lambda done, total: seen.append((done, total)))
    assert seen == [(i, 4) for i in range(5)]


def write(path: Path, frame: pd.DataFrame, **kw) -> Path:
    frame.to_parquet(path, **kw)
    return path


def bad_panels(tmp: Path) -> list[tuple[Path, str]]:
    returns = universe(5, 200, seed=12)
    long = returns.stack().rename("return").rename_axis(["date", "ticker"]).reset_index()
    text = returns.copy()
    text["S0001"] = "x"
    unsorted = returns.iloc[::-1]
    corrupt = tmp / "corrupt.parquet"
    corrupt.write_bytes(b"PAR1 this is not parquet")
    folder = tmp / "mixed"
    folder.mkdir()
    empty = tmp / "empty"
    empty.mkdir()
    write(folder / "a.parquet", returns.iloc[:100])
    write(folder / "b.parquet", returns.iloc[100:].drop(columns="S0002"))
    return [
        (tmp / "missing.parquet", "no such Parquet file"),
        (write(tmp / "long.parquet", long, index=False), "long format"),
        (write(tmp / "nodate.parquet", returns.reset_index(drop=True)), "no column of sessions"),
        (write(tmp / "text.parquet", text), "column 'S0001' holds .*string"),
        (write(tmp / "unsorted.parquet", unsorted), "not sorted and unique"),
        (corrupt, "corrupt.parquet"),
        (folder, "its columns differ"),
        (empty, "without .parquet files"),
    ]


def test_bad_parquet_is_one_typed_error(client, tmp_path) -> None:
    pairs = pairs_for(universe(5, 200, seed=12), 50)
    for path, message in bad_panels(tmp_path):
        with pytest.raises(PriceDataError, match=message):
            eventstudy.distributed.batch(path, pairs, client=client, **ROWS)


def test_bad_settings_and_unreachable_scheduler() -> None:
    returns = universe(5, 200, seed=13)
    pairs = pairs_for(returns, 50)
    for kw, error in (({"model": "fama-french"}, EstimationError),
                      ({"retries": -1}, EstimationError), ({"tasks": 0}, EstimationError),
                      ({"client": "tcp://127.0.0.1:9", "timeout": 0.5}, DistributedError),
                      ({"client": object()}, DistributedError)):
        with pytest.raises(error):
            eventstudy.distributed.batch(returns, pairs, **ROWS, **kw)
    with pytest.raises(InputError, match="missing column"):
        eventstudy.distributed.batch(returns, pairs.drop(columns="day0"), **ROWS,
                                     client="tcp://127.0.0.1:9", timeout=0.5)


@pytest.mark.parametrize("module", ["distributed", "pyarrow"])
def test_missing_extra_is_a_typed_error(monkeypatch, tmp_path, module) -> None:
    returns = universe(5, 200, seed=14)
    path = write(tmp_path / "r.parquet", returns)
    monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
    monkeypatch.setitem(sys.modules, f"{module}.dataset", None)
    with pytest.raises(MissingDependencyError, match=r"eventstudy-sessions\[distributed\]") as info:
        eventstudy.distributed.batch(path, pairs_for(returns, 10), **ROWS)
    assert repr(module) in str(info.value) and isinstance(info.value, ImportError)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-1, 12), min_size=1, max_size=200),
       st.lists(st.integers(-1, 14), min_size=200, max_size=200), st.integers(1, 20))
def test_split_partitions_pairs_by_security(s, b, n_tasks) -> None:
    """Every pair with a known security in exactly one task, all of a security's pairs in the
    same one, positions ascending, columns = securities ∪ known benchmarks, in ticker order."""
    tickers = pd.Index([f"T{i}" for i in range(15)])
    s, b = np.array(s), np.array(b[: len(s)])
    tasks, orphans = split(tickers, s, b, n_tasks)
    assert np.array_equal(orphans, np.flatnonzero(s < 0))
    positions = np.concatenate([t.positions for t in tasks] or [np.array([], int)])
    assert np.array_equal(np.sort(positions), np.flatnonzero(s >= 0))
    owner: dict[int, int] = {}
    for i, t in enumerate(tasks):
        assert t.positions.size and (np.diff(t.positions) > 0).all()
        for sec in set(s[t.positions].tolist()):
            assert owner.setdefault(sec, i) == i
        used = set(s[t.positions]) | {x for x in b[t.positions] if x >= 0}
        assert t.columns == [tickers[j] for j in sorted(used)]
    assert len(tasks) <= min(n_tasks, len(set(s[s >= 0].tolist())) or 1)


def test_import_does_not_load_dask_or_pyarrow() -> None:
    """The extra is imported by a call that needs it, never with the package or the CLI
    (pandas 3 imports pyarrow itself when it is installed: only what we add is counted)."""
    import subprocess

    code = ("import sys; names = ('dask', 'distributed', 'pyarrow'); import pandas; "
            "before = {m for m in names if m in sys.modules}; "
            "import eventstudy, eventstudy.cli, eventstudy.distributed; "
            "print(sorted(m for m in names if m in sys.modules and m not in before))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_mixed_exchange_panel_follows_the_local_rule(client, tmp_path) -> None:
    """Sydney, Tokyo and New York returns outer-joined (each on its own trading days): the
    Dask path counts each pair's own exchange sessions and reads other exchanges' benchmarks
    by instant, as the local engine does (tests/test_batch_sessions.py holds that to run)."""
    from test_batch_sessions import quant_pairs, quant_panel

    panel = quant_panel()
    pairs = quant_pairs()
    kw = {"estimation": (-250, -11), "window": (-5, 5)}
    local = eventstudy.batch(panel, pairs, **kw)
    assert local.studied.all()
    path = tmp_path / "panel.parquet"
    panel.to_parquet(path)
    for source in (panel, path):
        dask = eventstudy.distributed.batch(source, pairs, client=client, tasks=3, **kw)
        assert_same(local, dask, atol=1e-15)


def test_volume_panels_equal_the_local_engine(client) -> None:
    """measure="volume" on the cluster: the local engine's numbers (levels, nothing bridged)."""
    levels = np.log1p(np.exp(universe(40, 400, seed=5).cumsum() + 12.0))  # a level per column
    levels = levels.mask(np.random.default_rng(6).random(levels.shape) < 0.02)
    pairs = pairs_for(levels, 3_000, seed=7)
    kw = {"estimation": EST, "window": WIN, "sessions": "index", "measure": "volume"}
    local = eventstudy.batch(levels, pairs, **kw)
    dask = eventstudy.distributed.batch(levels, pairs, client=client, **kw)
    assert_same(local, dask)
    assert dask.measure == local.measure == "volume"
    with pytest.raises(eventstudy.InputError, match="measure = 'turnover'"):
        eventstudy.distributed.batch(levels, pairs, client=client,
                                     **{**kw, "measure": "turnover"})
