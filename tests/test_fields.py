"""Results sized to what is asked for (issue 26): ``fields="car"`` (no per-day paths) and
``paths_dtype="float32"`` on the local and Dask engines, the worker-written Parquet dataset
(``out=``) and what a failed or refused write leaves behind (nothing)."""

from __future__ import annotations

import dataclasses
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from distributed_data import EST, WIN, pairs_for, universe

import eventstudy
import eventstudy.distributed
from eventstudy.errors import InputError
from eventstudy.study.batch import engine as batch_engine
from eventstudy.study.batch import tuning
from eventstudy.study.distributed import task as task_module
from eventstudy.study.distributed.output import staged_dataset
from eventstudy.study.distributed.pairs_file import CAR_COLUMNS

ROWS = {"estimation": EST, "window": WIN, "sessions": "index"}


@pytest.fixture(scope="module")
def data():
    returns = universe(120, 700, seed=5)
    return returns, pairs_for(returns, 4_000, seed=6)


def quiet(call, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call(*args, **kw)


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_car_fields_are_the_same_numbers_without_paths(data, engine, monkeypatch) -> None:
    if engine == "numba" and batch_engine._load_jit() is None:
        pytest.skip("numba not installed")
    monkeypatch.setattr(tuning, "ENGINE", engine)
    returns, pairs = data
    full = quiet(eventstudy.batch, returns, pairs, **ROWS)
    cars = quiet(eventstudy.batch, returns, pairs, fields="car", **ROWS)
    assert cars.ar is None and cars.se is None and cars.fields == "car"
    pd.testing.assert_frame_equal(cars.car_frame(), full.car_frame())
    assert cars.caar == full.caar and full.caar[0] > 0
    assert "CARs only" in repr(cars) and "CARs only" not in repr(full)
    for call, what in ((cars.to_frame, "to_frame()"), (cars.caar_path, "caar_path()"),
                       (cars.aggregate, "aggregate()"), (cars.plot, "plot()"),
                       (lambda: cars.p, "p")):
        with pytest.raises(InputError, match=r"fields='paths'") as caught:
            call()
        assert what in str(caught.value)
    # the paths not asked for do not stay behind in the result (2 × L of about 14 + 2 × L
    # floats a pair); the returns frame aside
    def size(result) -> int:
        return len(pickle.dumps(dataclasses.replace(result, returns=None)))

    assert size(cars) < 0.6 * size(full)


def test_float32_paths_round_the_paths_only(data) -> None:
    returns, pairs = data
    full = quiet(eventstudy.batch, returns, pairs, **ROWS)
    half = quiet(eventstudy.batch, returns, pairs, paths_dtype="float32", **ROWS)
    assert (half.ar.dtypes == np.float32).all() and (half.se.dtypes == np.float32).all()
    for name in ("ar", "se"):
        a, b = getattr(full, name).to_numpy(), getattr(half, name).to_numpy()
        assert np.array_equal(np.isnan(a), np.isnan(b))
        ok = np.isfinite(a)
        # float32 keeps 24 bits: a relative rounding of at most 2**-24 per value
        assert np.max(np.abs(b[ok] - a[ok]) / np.abs(a[ok])) <= 2.0**-24
    pd.testing.assert_frame_equal(half.car_frame(), full.car_frame())  # float64, computed so


@pytest.mark.parametrize("fields, paths_dtype", [("cars", "float64"), ("car", "float16"),
                                                 (None, "float64")])
def test_unknown_fields_or_dtype_is_one_typed_error(data, fields, paths_dtype) -> None:
    returns, pairs = data
    with pytest.raises(InputError, match=r"fields = |paths_dtype = "):
        eventstudy.batch(returns, pairs, fields=fields, paths_dtype=paths_dtype, **ROWS)


def test_a_task_packs_only_the_fields_asked_for(data) -> None:
    returns, pairs = data
    cars = quiet(eventstudy.batch, returns, pairs, fields="car", **ROWS)
    full = quiet(eventstudy.batch, returns, pairs, **ROWS)
    small, big = task_module.pack(cars), task_module.pack(full)
    assert "ar" not in small and "se" not in small and {"ar", "se"} <= set(big)
    assert set(big) - set(small) == {"ar", "se"}
    def size(part) -> int:
        return sum(x.nbytes for x in part.values() if x.dtype != object)

    # exactly the paths less: 2 × L float64 a pair
    length = WIN[1] - WIN[0] + 1
    assert size(big) - size(small) == 2 * length * 8 * len(pairs)
    assert size(small) <= 16 * 8 * len(pairs) + 10_000  # 15 numbers a pair, and the reasons


def test_staged_dataset_is_renamed_whole_or_leaves_nothing(tmp_path) -> None:
    out = tmp_path / "cars"
    with staged_dataset(out) as folder:
        (folder / "part-00000.parquet").write_bytes(b"x")
        assert not out.exists() and folder.parent == tmp_path
    assert [p.name for p in out.iterdir()] == ["part-00000.parquet"]
    with pytest.raises(RuntimeError), staged_dataset(out) as folder:  # a task failed
        (folder / "part-00000.parquet").write_bytes(b"new")
        raise RuntimeError("a task failed")
    assert (out / "part-00000.parquet").read_bytes() == b"x"  # the old dataset stays whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cars"]  # no staging left
    with staged_dataset(out) as folder:  # a dataset of parts is replaced
        (folder / "part-00001.parquet").write_bytes(b"y")
    assert [p.name for p in out.iterdir()] == ["part-00001.parquet"]


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_text("a file"), "a file is there"),
    (lambda p: (p.mkdir(), (p / "notes.txt").write_text("mine")), "other files than Parquet"),
    (lambda p: None, "does not exist"),
])
def test_staged_dataset_refuses_what_it_did_not_write(tmp_path, make, message) -> None:
    out = tmp_path / "cars" if message != "does not exist" else tmp_path / "no" / "cars"
    make(out)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    with pytest.raises(InputError, match=message), staged_dataset(out):
        pass
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=":0", silence_logs=40)
    with cluster, distributed.Client(cluster) as c:
        yield c


@pytest.fixture(autouse=False)
def compiled(monkeypatch):
    if batch_engine._load_jit() is not None:  # the Dask path then gives the local bits
        monkeypatch.setattr(tuning, "ENGINE", "numba")


def test_dask_car_fields_equal_the_local_engine(client, data, compiled) -> None:
    returns, pairs = data
    local = quiet(eventstudy.batch, returns, pairs, **ROWS)
    cars = quiet(eventstudy.distributed.batch, returns, pairs, client=client, fields="car",
                 **ROWS)
    assert cars.ar is None and cars.se is None
    pd.testing.assert_frame_equal(cars.car_frame(), local.car_frame())
    half = quiet(eventstudy.distributed.batch, returns, pairs, client=client,
                 paths_dtype="float32", **ROWS)
    assert (half.ar.dtypes == np.float32).all()
    np.testing.assert_array_equal(half.ar.to_numpy(), local.ar.to_numpy().astype(np.float32))


@pytest.mark.parametrize("fields", ["car", "paths"])
def test_workers_write_the_dataset_the_local_table_would_be(client, data, tmp_path, fields,
                                                             compiled) -> None:
    from eventstudy.study.distributed.pairs_file import car_table

    returns, pairs = data
    local = quiet(eventstudy.batch, returns, pairs, fields=fields, **ROWS)
    out = tmp_path / "cars"
    with pytest.warns(eventstudy.errors.ExcludedPairsWarning, match="'excluded' column"):
        written = eventstudy.distributed.batch(returns, pairs, client=client, fields=fields,
                                               out=out, tasks=5, **ROWS)
    assert written == out and sorted(p.name for p in tmp_path.iterdir()) == ["cars"]
    parts = sorted(p.name for p in out.iterdir())
    assert parts == [f"part-{i:05d}.parquet" for i in range(len(parts))] and len(parts) >= 5
    table = pd.read_parquet(out).set_index("pair").loc[pairs.index]
    expected = car_table(local).set_index("pair")
    assert list(table.columns[:len(CAR_COLUMNS) - 1]) == list(CAR_COLUMNS[1:])
    assert table.columns.equals(expected.columns)
    assert (len(table.columns) > 30) == (fields == "paths")
    for column in expected.columns:
        a, b = expected[column].to_numpy(), table[column].to_numpy()
        if column == "day0":
            assert (pd.to_datetime(b) == pd.to_datetime(a)).all()
        elif a.dtype.kind == "f":
            np.testing.assert_array_equal(b, a)
        else:
            assert (a == b).all(), column


def test_a_failed_dataset_write_leaves_nothing(client, data, tmp_path) -> None:
    """The returns vanish after the call has opened them: every task fails, and neither the
    dataset nor its staging folder is left."""
    from eventstudy.study.distributed.panel import open_panel

    returns, pairs = data
    source = tmp_path / "returns.parquet"
    returns.to_parquet(source)
    panel = open_panel(source)
    source.unlink()
    out = tmp_path / "cars"
    with pytest.raises(Exception), warnings.catch_warnings():  # noqa: B017 - the task's error
        warnings.simplefilter("ignore")
        eventstudy.distributed.batch(panel, pairs, client=client, out=out, retries=0, **ROWS)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_car_fields_on_several_exchanges_and_spans(engine, monkeypatch) -> None:
    """Sydney, Tokyo and New York outer-joined (parts by exchange, returns spanning gaps,
    benchmarks read by instant): the CARs without paths are those with them, bit for bit."""
    from test_batch_sessions import quant_pairs, quant_panel

    if engine == "numba" and batch_engine._load_jit() is None:
        pytest.skip("numba not installed")
    monkeypatch.setattr(tuning, "ENGINE", engine)
    panel = quant_panel()
    pairs = quant_pairs()
    kw = {"estimation": (-250, -11), "window": (-5, 5)}
    full = eventstudy.batch(panel, pairs, **kw)
    cars = eventstudy.batch(panel, pairs, fields="car", **kw)
    assert full.studied.all() and cars.ar is None
    pd.testing.assert_frame_equal(cars.car_frame(), full.car_frame())
