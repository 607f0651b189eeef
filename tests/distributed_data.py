"""Simulated returns with holes, and pairs that reach every exclusion, for the Dask tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

EST, WIN = (-120, -11), (-5, 5)


def universe(n_sec: int = 400, n_rows: int = 900, seed: int = 0) -> pd.DataFrame:
    """One-factor returns: 2 % missing at random, outages, late listings, a flat security
    (FLAT) and one identical to its benchmark (TWIN); benchmarks MKT and MKT2."""
    rng = np.random.default_rng(seed)
    market = rng.normal(0.0003, 0.011, (n_rows, 2))
    beta = rng.uniform(0.4, 1.6, n_sec)
    values = rng.normal(0.0, 0.02, (n_rows, n_sec)) + 0.0002
    values += market[:, rng.integers(0, 2, n_sec)] * beta
    values[rng.random(values.shape) < 0.02] = np.nan
    for j in rng.choice(n_sec, n_sec // 10, replace=False):  # outages
        start = rng.integers(0, n_rows - 80)
        values[start:start + rng.integers(5, 80), j] = np.nan
    for j in rng.choice(n_sec, n_sec // 10, replace=False):  # listed late
        values[: rng.integers(50, n_rows // 2), j] = np.nan
    columns = [f"S{j:04d}" for j in range(n_sec)]
    frame = pd.DataFrame(values, columns=columns,
                         index=pd.bdate_range("2015-01-05", periods=n_rows, name="date"))
    frame["FLAT"] = 0.0
    frame["MKT"], frame["MKT2"] = market[:, 0], market[:, 1]
    frame["TWIN"] = frame["MKT"]
    return frame


def pairs_for(returns: pd.DataFrame, n: int, seed: int = 1) -> pd.DataFrame:
    """``n`` pairs on random securities and days 0, with a few of every kind of exclusion."""
    rng = np.random.default_rng(seed)
    tickers = returns.columns[:-4].to_numpy()
    index = returns.index
    rows = rng.integers(0, len(index), n)  # some windows fall off either end
    pairs = pd.DataFrame({
        "security": tickers[rng.integers(0, tickers.size, n)],
        "benchmark": np.where(rng.random(n) < 0.5, "MKT", "MKT2"),
        "day0": index[rows],
    }, index=pd.Index([f"p{i}" for i in range(n)], name="pair"))
    odd = rng.choice(n, min(n, 60), replace=False)
    pairs.iloc[odd[:10], 0] = "NOPE"  # unknown security
    pairs.iloc[odd[10:20], 1] = "NOBENCH"  # unknown benchmark
    pairs.iloc[odd[20:30], 2] = pd.Timestamp("2015-01-03")  # a Saturday: not a session
    pairs.iloc[odd[30:40], 0] = "FLAT"
    pairs.iloc[odd[40:50], 0] = "TWIN"
    pairs.iloc[odd[40:50], 1] = "MKT"
    return pairs
