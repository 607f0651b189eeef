"""Throughput of eventstudy.batch against a statsmodels loop and a gather-only floor (issue #6).

A synthetic universe (default 2,000 securities × 2,500 sessions, one-factor returns, 1 % of
returns missing at random plus a 60-session outage in 2 % of the securities), P pairs with
random securities and day 0, estimation window [-260, -11] (M = 250 rows), event window
[-10, 10] (L = 21). For each P, in a fresh subprocess (so peak memory is per P):

(a) a per-pair loop: statsmodels OLS on the usable estimation rows, then AR, the prediction-
    error-corrected se, CAR, its se, t and p with numpy: the same outputs as the batch. For
    P above ``--sm-pairs`` it runs on a random subsample and is extrapolated linearly (the
    table says so);
(b) ``eventstudy.batch`` on the DataFrames, every output the loop computes included: the
    timing covers the call and the first access to ``car_p`` (the p-values are computed
    lazily, on first access). The engine runs on ``--threads`` threads (default: its own,
    min(2, cores) from 50,000 pairs on, 1 below); it is also timed with threads=1 (b1). The
    statsmodels loop is single-threaded by nature;
(c) the floor: one single-threaded pass that only gathers the event-window rows of security
    and benchmark (integer positions resolved beforehand, no arithmetic).

Each timing is the best of ``--repeats`` runs (the machine is shared: best-of filters the
noise); ratios are computed within the same subprocess. Peak memory: the subprocess's peak
resident set (ru_maxrss: data, imports and the batch), the resident set before the batch, and
the batch's own peak allocation (tracemalloc, on one extra untimed call).

The engine is the one ``tuning.ENGINE = "auto"`` chooses for a process's repeated calls: the
compiled one (numba kernels of ``eventstudy.estimation._jit``) from ``COMPILED_MIN_PAIRS``
(10,000) pairs on when numba is importable, else numpy (the table says which). The compiled
engine's one-off cost, the import of numba and the load of the kernels from numba's on-disk cache
(or their compilation), is paid by the first compiled batch of a process: each subprocess makes
one small untimed batch on the engine of its P first, so the best-of timings exclude it.

The first call is measured apart (``--no-compile`` skips that; ``--first-call-only`` measures it
alone and rewrites only its section of the output): at 1k to 1M pairs, in fresh processes, the
first call and the best of the later ones with each setting of tuning.ENGINE ("auto", which
weighs the kernels' load against the numpy engine's first call, "numpy" and "numba"), numba's
cache filled (by one untimed process beforehand) and, for "auto" and "numba", empty (a fresh
install, which compiles). Each cell is the best of ``--first-runs`` processes, the runs
interleaved; the ratios compare the cells of one run of the script.

Usage: ``python benchmarks/bench_batch.py [--sizes 1000,10000,100000,1000000] [--out FILE]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
# --package DIR: the workers of --before import an earlier checkout's package instead
sys.path.insert(0, sys.argv[sys.argv.index("--package") + 1] if "--package" in sys.argv
                else str(ROOT))

import eventstudy  # noqa: E402
from eventstudy.study.batch import engine as batch_engine  # noqa: E402
from eventstudy.study.batch import tuning  # noqa: E402

ESTIMATION, WINDOW = (-260, -11), (-10, 10)


def universe(n_sec: int, n_rows: int, seed: int = 0) -> pd.DataFrame:
    """One-factor daily log returns with holes on New York's sessions from 2000 (real ones:
    a single-exchange panel); column MKT is the market."""
    rng = np.random.default_rng(seed)
    market = rng.normal(0.0003, 0.011, n_rows)
    beta = rng.uniform(0.4, 1.6, n_sec)
    values = np.empty((n_rows, n_sec + 1))
    values[:, :n_sec] = rng.normal(0.0, 0.02, (n_rows, n_sec))
    values[:, :n_sec] += 0.0002 + market[:, None] * beta
    values[:, :n_sec][rng.random((n_rows, n_sec)) < 0.01] = np.nan
    for j in rng.choice(n_sec, max(1, n_sec // 50), replace=False):
        start = rng.integers(0, n_rows - 60)
        values[start:start + 60, j] = np.nan
    values[:, n_sec] = market
    columns = [f"S{j:05d}" for j in range(n_sec)] + ["MKT"]
    import exchange_calendars

    nyse = exchange_calendars.get_calendar("XNYS", start="2000-01-03", end="2040-12-31")
    index = nyse.sessions[:n_rows].rename("date")
    return pd.DataFrame(values, index=index, columns=columns)


def random_pairs(returns: pd.DataFrame, n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_sec = returns.shape[1] - 1
    sec = returns.columns.to_numpy()[rng.integers(0, n_sec, n)]
    rows = rng.integers(-ESTIMATION[0], len(returns) - WINDOW[1], n)
    # tickers of no exchange: the pairs say theirs (offsets count New York's sessions)
    return pd.DataFrame({"security": sec, "benchmark": "MKT", "day0": returns.index[rows],
                         "exchange": "XNYS"})


def statsmodels_loop(returns: pd.DataFrame, pairs: pd.DataFrame,
                     estimation: tuple[int, int] = ESTIMATION,
                     window: tuple[int, int] = WINDOW) -> dict[str, np.ndarray]:
    """The per-pair baseline: one statsmodels OLS per pair, the outputs with numpy."""
    import statsmodels.api as sm
    from scipy import special

    values = returns.to_numpy()
    col = returns.columns.get_indexer(pairs["security"])
    bcol = returns.columns.get_indexer(pairs["benchmark"])
    day = returns.index.get_indexer(pairs["day0"])
    n = len(pairs)
    length = window[1] - window[0] + 1
    out = {"ar": np.full((n, length), np.nan), "se": np.full((n, length), np.nan),
           "car": np.full(n, np.nan), "car_se": np.full(n, np.nan), "p": np.full(n, np.nan),
           "beta": np.full(n, np.nan)}
    for i in range(n):
        r, m = values[:, col[i]], values[:, bcol[i]]
        est = slice(day[i] + estimation[0], day[i] + estimation[1] + 1)
        re, me = r[est], m[est]
        ok = np.isfinite(re) & np.isfinite(me)
        if ok.sum() < 60:
            continue
        fit = sm.OLS(re[ok], sm.add_constant(me[ok])).fit()
        alpha, beta = fit.params
        big_m = int(ok.sum())
        s2 = fit.ssr / (big_m - 2)
        mean_m = me[ok].mean()
        sxx = np.sum((me[ok] - mean_m) ** 2)
        win = slice(day[i] + window[0], day[i] + window[1] + 1)
        ar = r[win] - alpha - beta * m[win]
        valid = np.isfinite(ar)
        se = np.sqrt(s2 * (1 + 1 / big_m + (m[win] - mean_m) ** 2 / sxx))
        n_days = valid.sum()
        car = ar[valid].sum()
        car_se = np.sqrt(s2 * (n_days + n_days**2 / big_m
                               + (m[win][valid].sum() - n_days * mean_m) ** 2 / sxx))
        out["ar"][i], out["se"][i] = ar, np.where(valid, se, np.nan)
        out["car"][i], out["car_se"][i], out["beta"][i] = car, car_se, beta
        out["p"][i] = 2 * special.stdtr(big_m - 2, -abs(car / car_se))
    return out


def one_session(returns: pd.DataFrame, pairs: pd.DataFrame) -> np.ndarray:
    """The pairs whose estimation and event windows hold no return right after a missing one
    (where the loop and the batch read returns alike)."""
    missing = returns.isna().to_numpy()
    after = np.zeros_like(missing)
    after[1:] = missing[:-1] & ~missing[1:]
    counts = np.vstack([np.zeros((1, after.shape[1]), np.int64), np.cumsum(after, axis=0)])
    col = returns.columns.get_indexer(pairs["security"])
    day = returns.index.get_indexer(pairs["day0"])
    lo, hi = np.maximum(day + ESTIMATION[0], 0), day + WINDOW[1] + 1
    return (counts[hi, col] - counts[lo, col]) == 0


def gather_floor(values_t: np.ndarray, col: np.ndarray, bcol: np.ndarray, day: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Only the event-window rows of security and benchmark, nothing computed."""
    length = WINDOW[1] - WINDOW[0] + 1
    view = np.lib.stride_tricks.sliding_window_view(values_t, length, axis=1)
    return view[col, day + WINDOW[0]], view[bcol, day + WINDOW[0]]


def best_of(repeats: int, func) -> tuple[float, float]:
    """Best wall-clock and best CPU (process) time over ``repeats`` calls."""
    wall = cpu = float("inf")
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = func()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
        del result
    return wall, cpu


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def repeated_engine(n_pairs: int) -> str:
    """The engine of a process's repeated calls of ``n_pairs`` pairs (its kernels loaded)."""
    try:
        return batch_engine.chosen_engine(n_pairs, loaded=True)
    except TypeError:  # an earlier checkout's (--before): the call's size only
        return batch_engine.chosen_engine(n_pairs)


def warmed_up(n_pairs: int, args: argparse.Namespace) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The universe and ``n_pairs`` pairs, after a warm-up call on the engine the timed calls
    run on (a 50-pair call alone would take numpy)."""
    returns = universe(args.securities, args.sessions)
    pairs = random_pairs(returns, n_pairs)
    setting, tuning.ENGINE = tuning.ENGINE, repeated_engine(n_pairs)
    eventstudy.batch(returns, pairs.iloc[:50], estimation=ESTIMATION, window=WINDOW)
    tuning.ENGINE = setting
    return returns, pairs


def batch_only(n_pairs: int, args: argparse.Namespace) -> dict:
    """The batch timing alone (for --before: the same call on an earlier checkout)."""
    returns, pairs = warmed_up(n_pairs, args)

    def run_batch() -> None:
        eventstudy.batch(returns, pairs, estimation=ESTIMATION, window=WINDOW).car_p  # noqa: B018

    return {"P": n_pairs, "t_batch": best_of(args.repeats, run_batch)[0]}


def worker(n_pairs: int, args: argparse.Namespace) -> dict:
    returns, pairs = warmed_up(n_pairs, args)
    rss_before = rss_mb()

    def run_batch(threads: int | None) -> eventstudy.BatchResult:
        res = eventstudy.batch(returns, pairs, estimation=ESTIMATION, window=WINDOW,
                               threads=threads)
        res.car_p  # noqa: B018 -- the lazy p-values, as the loop computes them
        return res

    t_batch, c_batch = best_of(args.repeats, lambda: run_batch(args.threads))
    rss_peak = rss_mb()
    t_batch1, c_batch1 = best_of(args.repeats, lambda: run_batch(1))
    tracemalloc.start()
    result = run_batch(args.threads)
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()

    values_t = np.ascontiguousarray(returns.to_numpy().T)
    col = returns.columns.get_indexer(pairs["security"])
    bcol = returns.columns.get_indexer(pairs["benchmark"])
    day = returns.index.get_indexer(pairs["day0"])
    t_floor, c_floor = best_of(args.repeats, lambda: gather_floor(values_t, col, bcol, day))

    statsmodels_loop(returns, pairs.iloc[:5])  # imports statsmodels outside the timing
    sample = np.sort(np.random.default_rng(2).choice(n_pairs, min(n_pairs, args.sm_pairs),
                                                     replace=False))
    clean = one_session(returns, pairs.iloc[sample])
    sub = pairs.iloc[sample]
    t_sm_sample, c_sm_sample = best_of(max(1, args.repeats - 1),
                                       lambda: statsmodels_loop(returns, sub))
    t_sm = t_sm_sample * n_pairs / sample.size
    c_sm = c_sm_sample * n_pairs / sample.size
    ref = statsmodels_loop(returns, sub)
    got = {"ar": result.ar.to_numpy()[sample], "se": result.se.to_numpy()[sample],
           "car": result.car.to_numpy()[sample], "car_se": result.car_se.to_numpy()[sample],
           "p": result.car_p.to_numpy()[sample],
           "beta": result.estimation["beta"].to_numpy()[sample]}
    # compared on the pairs both read alike: no return after a missing price in their windows
    # (the loop takes such a return as one session's, the batch as spanning the gap)
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = max(float(np.nanmax(np.abs(got[k][clean] - ref[k][clean]) / np.abs(ref[k][clean])))
                  for k in ref if k != "ar")
        rel_ar = float(np.nanmax(np.abs(got["ar"][clean] - ref["ar"][clean])))
    return {
        "P": n_pairs, "t_sm": t_sm, "sm_sample": int(sample.size), "t_batch": t_batch,
        "t_batch1": t_batch1, "c_batch1": c_batch1, "threads": result.threads,
        "t_floor": t_floor, "c_sm": c_sm, "c_batch": c_batch, "c_floor": c_floor,
        "rss_before_mb": rss_before, "rss_peak_mb": rss_peak,
        "traced_peak_mb": traced_peak, "max_rel_diff": rel, "max_abs_diff_ar": rel_ar,
        "compared": int(clean.sum()),
        "excluded": int(result.excluded.notna().sum()),
        "engine": engine_name(),
    }


def engine_name() -> str:
    if batch_engine._jit_module("numba") is None:
        return "numpy"
    import numba

    return f"numba {numba.__version__} (compiled kernels)"


SETTINGS = ("auto", "numpy", "numba")


def first_call_probe(size: int, setting: str, args: argparse.Namespace) -> dict:
    """In a fresh process: the first batch of ``size`` pairs (numba's import and the load or
    compilation of the kernels included when it runs compiled), then the best of ``repeats``
    later calls, with tuning.ENGINE = ``setting``; the engines of both (numba is imported only
    by a compiled call)."""
    returns = universe(args.securities, args.sessions)
    pairs = random_pairs(returns, size)
    tuning.ENGINE = setting

    def run() -> None:
        eventstudy.batch(returns, pairs, estimation=ESTIMATION, window=WINDOW).car_p  # noqa: B018

    start = time.perf_counter()
    run()
    first = time.perf_counter() - start
    engine_first = "numba" if "numba" in sys.modules else "numpy"
    warm, _ = best_of(args.repeats, run)
    return {"first": first, "warm": warm, "engine_first": engine_first,
            "engine_warm": batch_engine.chosen_engine(size)}


def first_call_times(env: dict[str, str], args: argparse.Namespace) -> list[dict]:
    """The probe for each size and setting, in fresh processes: numba's cache filled (a
    directory filled by one untimed process first) and, for "auto" and "numba", an empty one
    (each run its own: a fresh install compiles). Each cell keeps the best first call and the
    best warm time of ``--first-runs`` processes, the runs interleaved."""
    import tempfile

    def probe(size: int, setting: str, cache: str) -> dict:
        done = subprocess.run(
            [sys.executable, __file__, "--probe", str(size), "--setting", setting,
             "--securities", str(args.securities), "--sessions", str(args.sessions),
             "--repeats", str(args.repeats)],
            capture_output=True, text=True, check=True, env={**env, "NUMBA_CACHE_DIR": cache})
        return json.loads(done.stdout.strip().splitlines()[-1])

    runs: dict[tuple[int, str, str], list[dict]] = {}
    with tempfile.TemporaryDirectory() as filled:
        probe(10_000, "numba", filled)  # fills the cache (untimed)
        for _ in range(args.first_runs):
            for size in (int(n) for n in args.first_sizes.split(",")):
                for setting in SETTINGS:
                    for label in ("filled", "empty") if setting != "numpy" else ("filled",):
                        if label == "filled":
                            got = probe(size, setting, filled)
                        else:
                            with tempfile.TemporaryDirectory() as empty:
                                got = probe(size, setting, empty)
                        runs.setdefault((size, setting, label), []).append(got)
                        print(f"first call P={size:,} {setting}, cache {label}: "
                              f"{got['first']:.3f} s, warm {got['warm']:.4f} s", file=sys.stderr)
    return [{"P": size, "setting": setting, "cache": label,
             "first": min(r["first"] for r in done), "warm": min(r["warm"] for r in done),
             "engine_first": done[0]["engine_first"], "engine_warm": done[0]["engine_warm"]}
            for (size, setting, label), done in runs.items()]


def table(rows: list[dict], args: argparse.Namespace, load: tuple[str, str],
          compiled: list[dict] | None = None) -> str:
    threads = "/".join(sorted({str(r["threads"]) for r in rows}))
    sampled = "" if all(r["sm_sample"] == r["P"] for r in rows) else (
        f", run on a random subsample of {args.sm_pairs:,} pairs and extrapolated linearly "
        "where marked *")
    lines = [
        "# Batch engine benchmark (issue #6)",
        "",
        f"Machine: {os.cpu_count()} cores ({platform.processor() or platform.machine()}), "
        f"shared with other jobs; load average {load[0]} at the start, {load[1]} at the end. "
        f"Python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}. "
        f"Engine: {rows[0]['engine']}.",
        f"Universe: {args.securities} securities × {args.sessions} New York sessions (pairs "
        "with exchange = XNYS: the single-exchange panel), one-factor log "
        "returns, 1 % missing at random + 60-session outages in 2 % of securities. "
        f"M = {ESTIMATION[1] - ESTIMATION[0] + 1} rows ({list(ESTIMATION)}), "
        f"L = {WINDOW[1] - WINDOW[0] + 1} ({list(WINDOW)}), market model.",
        f"Times: best of {args.repeats} runs in one subprocess per P (statsmodels: best of "
        f"{max(1, args.repeats - 1)}). (a) statsmodels: per-pair OLS + numpy outputs "
        f"(single-threaded by nature){sampled}; (b) eventstudy.batch, DataFrames in and out, "
        "timed up to the first access to car_p (the p-values are computed lazily on first "
        "access; included in (b), as in (a)); "
        "(b) runs on the threads of the column 'threads' (the engine's default: min(2, "
        f"cores) from {tuning.THREAD_MIN_PAIRS:,} pairs on, 1 below), (b1) is the same with "
        "threads=1; (c) floor: gather the event-window rows only, one single-threaded pass.",
        "Memory: peak RSS of the subprocess (data + imports + batch), RSS before the batch, "
        "and the batch's own peak allocation (tracemalloc).",
        "",
        "| P | threads | (a) statsmodels pairs/s | (b) batch pairs/s "
        "| (c) floor pairs/s | (b) batch s | (b1) batch s, 1 thread "
        "| (b)/(a) speed-up | (b) time / (c) time | peak RSS MB | RSS before MB "
        "| batch alloc peak MB | max rel. diff vs (a) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        star = "*" if r["sm_sample"] < r["P"] else ""
        lines.append(
            f"| {r['P']:,} | {r['threads']} | {r['P'] / r['t_sm']:,.0f}{star} "
            f"| {r['P'] / r['t_batch']:,.0f} "
            f"| {r['P'] / r['t_floor']:,.0f} | {r['t_batch']:.3f} | {r['t_batch1']:.3f} "
            f"| {r['t_sm'] / r['t_batch']:,.0f}× | {r['t_batch'] / r['t_floor']:.1f}× "
            f"| {r['rss_peak_mb']:,.0f} | {r['rss_before_mb']:,.0f} "
            f"| {r['traced_peak_mb']:,.0f} | {r['max_rel_diff']:.1e} |")
    if all("t_before" in r for r in rows):
        lines += [
            "",
            "Before and after, the same calls in the same run: (b) against the package of an "
            "earlier checkout (`--before DIR`), which counted rows of the index and read a "
            "return after a missing one as one session's.",
            "",
            "| P | before: batch s | after: batch s | after / before |",
            "|---:|---:|---:|---:|",
            *(f"| {r['P']:,} | {r['t_before']:.3f} | {r['t_batch']:.3f} "
              f"| {r['t_batch'] / r['t_before']:.2f} |" for r in rows),
        ]
    lines += [
        "",
        "The same runs in CPU time (time.process_time, best of the same repeats): less "
        "sensitive to the other jobs sharing the 2 cores than wall-clock time, but summed over "
        f"threads: (b) runs on {threads} threads (as above), so its CPU time can exceed its "
        "wall-clock time; (b1) runs on one (the compiled kernels use no BLAS; the numpy engine "
        "keeps its OpenBLAS matrix products in pieces OpenBLAS runs on one thread).",
        "",
        "| P | (a) statsmodels CPU s | (b) batch CPU s | (b1) batch CPU s, 1 thread "
        "| (c) floor CPU s | (b)/(a) speed-up, CPU | (b)/(c), CPU |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        *(f"| {r['P']:,} | {r['c_sm']:.2f}{'*' if r['sm_sample'] < r['P'] else ''} "
          f"| {r['c_batch']:.3f} | {r['c_batch1']:.3f} | {r['c_floor']:.4f} "
          f"| {r['c_sm'] / r['c_batch']:,.0f}× "
          f"| {r['c_batch'] / max(r['c_floor'], 1e-9):.1f}× |" for r in rows),
        "",
        "Max rel. diff: largest relative difference of se, CAR, CAR se, p and β between the "
        "batch and the statsmodels loop on the pairs the loop ran whose windows hold no return "
        "right after a missing one (the loop reads such a return as one session's, the batch "
        "trade to trade; "
        f"{min(r['compared'] for r in rows):,} to {max(r['compared'] for r in rows):,} pairs) "
        f"(AR: largest absolute difference {max(r['max_abs_diff_ar'] for r in rows):.1e}).",
        f"Targets (issue #6): at 100k pairs ≥ 200× the statsmodels loop; 1M pairs < 3 s and "
        f"< 1.5 GB peak; within 5× of the gather-only floor. Engine settings: chunk_size "
        f"{batch_engine.batch.__kwdefaults__['chunk_size']:,}, "
        f"{tuning.BLOCK_BYTES // 2**20} MB of estimation sums per block of combos "
        "(numpy engine).",
        "",
    ]
    if compiled:
        lines += first_call_table(compiled, args)
    return "\n".join(lines)


def first_call_table(compiled: list[dict], args: argparse.Namespace) -> list[str]:
    """The section "First call and warm calls": per size, the three settings' first and warm
    calls and the ratios of "auto" to the faster of the two engines, within this run."""
    by = {(r["P"], r["setting"], r["cache"]): r for r in compiled}
    lines = [
        "## First call and warm calls",
        "",
        "Each cell from fresh processes (the best of "
        f"{args.first_runs}, the runs interleaved): the first `eventstudy.batch` call (when it "
        "runs compiled, the import of numba and the load of its kernels from numba's on-disk "
        "cache included; with an empty cache, as on a fresh install, their compilation), then "
        f"the best of {args.repeats} later calls (warm). Settings of tuning.ENGINE: 'auto' (the "
        f"default: numpy under {tuning.COMPILED_MIN_PAIRS:,} pairs; above, while the kernels "
        "are not loaded, a first call of fewer than "
        f"{tuning.FIRST_CALL_MIN_PAIRS:,} pairs, or "
        f"{tuning.FIRST_CALL_MIN_PAIRS_COMPILE:,} when numba's cache holds no kernels, runs on "
        "numpy and the next ones compiled), 'numpy' and 'numba' (an engine at every size). "
        "Engines: of the first call → of the later ones. Ratios: 'auto' against the faster of "
        "'numpy' and 'numba' (goal: first call ≤ 1.5), and warm against the engine the default "
        f"chose before at every call, numpy under {tuning.COMPILED_MIN_PAIRS:,} pairs, numba "
        "from there (goal: no slower); with the empty cache, against the faster of numpy's "
        "first call and numba's with the empty cache. Same universe as above.",
        "",
        "| P | auto: engines | auto first s | numpy first s | numba first s "
        "| auto first / best first | auto warm s | numpy warm s | numba warm s "
        "| auto warm / best warm | auto warm / before | empty cache: auto engines "
        "| auto first s | numba first s | auto first / best first |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for size in sorted({r["P"] for r in compiled}):
        auto, numpy_, numba_ = (by[(size, s, "filled")] for s in SETTINGS)
        auto_e, numba_e = by[(size, "auto", "empty")], by[(size, "numba", "empty")]
        best = min(numpy_["first"], numba_["first"])
        best_warm = min(numpy_["warm"], numba_["warm"])
        best_e = min(numpy_["first"], numba_e["first"])
        before = (numpy_ if size < tuning.COMPILED_MIN_PAIRS else numba_)["warm"]
        lines.append(
            f"| {size:,} | {auto['engine_first']} → {auto['engine_warm']} "
            f"| {auto['first']:.3f} | {numpy_['first']:.3f} | {numba_['first']:.3f} "
            f"| {auto['first'] / best:.2f} | {auto['warm']:.4f} "
            f"| {numpy_['warm']:.4f} | {numba_['warm']:.4f} "
            f"| {auto['warm'] / best_warm:.2f} | {auto['warm'] / before:.2f} "
            f"| {auto_e['engine_first']} → {auto_e['engine_warm']} | {auto_e['first']:.3f} "
            f"| {numba_e['first']:.3f} | {auto_e['first'] / best_e:.2f} |")
    return [*lines, "", "`import eventstudy` and the CLI never import numba.", ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    parser.add_argument("--securities", type=int, default=2000)
    parser.add_argument("--sessions", type=int, default=2500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sm-pairs", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=None,
                        help="threads of eventstudy.batch in (b) (default: the engine's)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results.md"))
    parser.add_argument("--no-compile", action="store_true",
                        help="skip the first-call measurements")
    parser.add_argument("--first-call-only", action="store_true",
                        help="only the first-call measurements: rewrite their section of --out")
    parser.add_argument("--first-sizes", default="1000,10000,30000,100000,300000,1000000",
                        help="the sizes of the first-call measurements")
    parser.add_argument("--first-runs", type=int, default=3,
                        help="fresh processes per first-call cell (the best is kept)")
    parser.add_argument("--worker", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--probe", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--setting", default="auto", help=argparse.SUPPRESS)
    parser.add_argument("--before", default=None,
                        help="also time eventstudy.batch of an earlier checkout (its folder) "
                             "on the same data, in the same run")
    parser.add_argument("--package", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--batch-only", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.batch_only:
        print(json.dumps(batch_only(args.batch_only, args)))
        return
    if args.probe:
        print(json.dumps(first_call_probe(args.probe, args.setting, args)))
        return
    if args.worker:
        print(json.dumps(worker(args.worker, args)))
        return
    load_start = f"{os.getloadavg()[0]:.1f}"
    rows = []
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if args.first_call_only:
        rewrite_first_call(Path(args.out), first_call_table(first_call_times(env, args), args))
        return
    for size in (int(s) for s in args.sizes.split(",")):
        cmd = [sys.executable, __file__, "--worker", str(size), "--securities",
               str(args.securities), "--sessions", str(args.sessions), "--repeats",
               str(args.repeats), "--sm-pairs", str(args.sm_pairs)]
        if args.threads is not None:
            cmd += ["--threads", str(args.threads)]
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
        row = json.loads(done.stdout.strip().splitlines()[-1])
        if args.before:
            old = subprocess.run(
                [sys.executable, __file__, "--batch-only", str(size), "--package", args.before,
                 "--securities", str(args.securities), "--sessions", str(args.sessions),
                 "--repeats", str(args.repeats)], capture_output=True, text=True, check=True,
                env={**os.environ, "PYTHONPATH": args.before})
            row["t_before"] = json.loads(old.stdout.strip().splitlines()[-1])["t_batch"]
        rows.append(row)
        print(f"P={size:,}: batch {row['t_batch']:.3f} s ({row['threads']} threads; 1 thread "
              f"{row['t_batch1']:.3f} s), floor {row['t_floor']:.3f} s, "
              f"statsmodels {row['t_sm']:.1f} s", file=sys.stderr)
    compiled = None if args.no_compile else first_call_times(env, args)
    text = table(rows, args, (load_start, f"{os.getloadavg()[0]:.1f}"), compiled)
    print(text)
    out = Path(args.out)
    kept = out.read_text(encoding="utf-8") if out.exists() else ""
    start, end = "<!-- bench_run_many -->", "<!-- /bench_run_many -->"
    if start in kept and end in kept:  # bench_run_many.py's section stays
        text = text.rstrip("\n") + "\n\n" + kept[kept.index(start): kept.index(end) + len(end)]
    tmp = out.with_suffix(".tmp")
    tmp.write_text(text + "\n", encoding="utf-8")
    os.replace(tmp, out)


def rewrite_first_call(out: Path, section: list[str]) -> None:
    """Replace the section "First call and warm calls" of ``out`` (up to the next marker or
    the end) with ``section``, the rest kept."""
    kept = out.read_text(encoding="utf-8")
    start = kept.index("## First call and warm calls")
    end = kept.find("<!-- bench_run_many -->", start)
    end = len(kept) if end < 0 else end
    text = kept[:start] + "\n".join(section).rstrip("\n") + "\n\n" + kept[end:]
    tmp = out.with_suffix(".tmp")
    tmp.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
    os.replace(tmp, out)
    print("\n".join(section))


if __name__ == "__main__":
    main()
