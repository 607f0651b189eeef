"""The Dask path (eventstudy.distributed.batch, .aggregate) against the local engine (issues
#14, #26).

Four parts, written to ``benchmarks/distributed.md``:

(1) Pairs: the universe of bench_batch.py (default 2,000 securities × 2,500 sessions, one-factor
    returns with holes), P = 1M and 5M random pairs, market model, M = 250, L = 21. Local:
    ``eventstudy.batch`` on the frame (its default threads: 2 on 2 cores). Dask: a
    ``LocalCluster`` of 1, then 2 worker processes of one thread each, the frame sent from the
    caller; the call is timed whole (split, submission, the tasks, the results' trip back,
    their assembly in the caller's order, the p-values), best of ``--repeats`` after a first
    call, which is shown apart (each worker's first task loads numba's kernels). The cluster's
    start is timed apart too. Scheduler overhead: the call's wall time less the busiest
    worker's compute time (Dask's task stream); all of it is in the ratio to the local engine.
    Each Dask call twice: ``fields="paths"`` (every field back, the AR and se of each day) and
    ``fields="car"`` (the CAR scalars only, what the batch command writes), each against the
    local engine asked for the same fields.
(2) The same at 1M pairs from a Parquet file of the universe (each task reads its columns).
(4) Aggregated on the cluster: ``--agg-pairs`` (default 5M) random pairs in ``--agg-groups``
    groups, ``eventstudy.distributed.aggregate(by="group")`` on two workers each limited to
    ``--memory-limit``: only per-task sums travel back. Time, peak RSS per worker, whether a
    worker was restarted; against the local engine's batch of the same pairs
    (``fields="car"``, no aggregate: the local aggregate of 5M pairs does not fit its memory
    bound). Agreement with the local ``BatchResult.aggregate(by=...)`` on the first
    ``--agg-check`` pairs (largest relative difference of every reduced test; r̄ apart).
(3) Larger than memory: a panel of ``--big-securities`` × ``--big-sessions`` float64 returns
    (default 30,000 × 8,000, 1.9 GB: the CRSP-sized panel of the issue) in a Parquet file, two
    workers each limited to ``--memory-limit`` (default 1 GB; Dask pauses a worker at 80 % and
    restarts it at 95 %),
    so that the panel cannot fit in one; 1M pairs. Peak RSS per worker (ru_maxrss, read in each
    worker after the run) and whether a worker was restarted (its pid changed).

Every Dask result is checked against the local one (max |difference| of CAR and se; exclusions
equal). Usage: ``python benchmarks/bench_distributed.py [--sizes 1000000,5000000] [--out FILE]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import distributed  # noqa: E402
from bench_batch import ESTIMATION, WINDOW, random_pairs, universe  # noqa: E402

import eventstudy  # noqa: E402
import eventstudy.distributed  # noqa: E402
from eventstudy._atomic import atomic_write  # noqa: E402

KW = {"estimation": ESTIMATION, "window": WINDOW, "sessions": "index"}  # business days


def peak_rss_mb() -> float:
    """Peak resident set of the calling process: VmHWM of /proc/self/status (Linux). Not
    ru_maxrss, which a process started by fork + exec inherits from its parent (a worker would
    report the caller's peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(call) -> tuple[float, object]:
    start = time.perf_counter()
    out = call()
    out.car_p  # noqa: B018 -- the lazy p-values, in every timing
    return time.perf_counter() - start, out


def best(repeats: int, call) -> tuple[float, object]:
    """Best time of ``repeats`` calls, and the last result (only one result is held at a time:
    at 5M pairs each is 2.3 GB)."""
    t_best, result = float("inf"), None
    for _ in range(repeats):
        result = None
        t, result = timed(call)
        t_best = min(t_best, t)
    return t_best, result


def difference(local, dask) -> float:
    assert local.excluded.fillna("").equals(dask.excluded.fillna("")), "exclusions differ"
    return float(max(np.nanmax(np.abs(local.car.to_numpy() - dask.car.to_numpy())),
                     np.nanmax(np.abs(local.car_se.to_numpy() - dask.car_se.to_numpy()))))


def dask_run(client, returns, pairs, repeats: int, **kw) -> dict:
    """First call, then the best of ``repeats``; scheduler overhead from the task stream."""
    t_first, _ = timed(lambda: eventstudy.distributed.batch(returns, pairs, client=client,
                                                            **KW, **kw))
    with distributed.get_task_stream(client) as stream:
        t_best, result = best(repeats, lambda: eventstudy.distributed.batch(
            returns, pairs, client=client, **KW, **kw))
    busy: dict[str, float] = {}
    for task in stream.data:
        for ss in task["startstops"]:
            if ss["action"] == "compute":
                busy[task["worker"]] = busy.get(task["worker"], 0.0) + ss["stop"] - ss["start"]
    compute = max(busy.values()) / repeats if busy else float("nan")
    n_tasks = len(stream.data) // repeats
    return {"first": t_first, "best": t_best, "compute": compute, "tasks": n_tasks,
            "result": result}


def cluster(workers: int, memory_limit: str | None = None):
    start = time.perf_counter()
    kw = {} if memory_limit is None else {"memory_limit": memory_limit}
    c = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                 dashboard_address=":0", silence_logs=40, **kw)
    client = distributed.Client(c)
    client.wait_for_workers(workers)
    return c, client, time.perf_counter() - start


def part_pairs(args, rows: list[dict]) -> None:
    returns = universe(args.securities, args.sessions)
    sizes = [int(s) for s in args.sizes.split(",")]
    pairs = {p: random_pairs(returns, p) for p in sizes}
    eventstudy.batch(returns, pairs[sizes[0]].iloc[:20_000], **KW)  # numba loaded
    local, local_car = {}, {}
    for p in sizes:
        t, res = best(args.repeats, lambda p=p: eventstudy.batch(returns, pairs[p], **KW))
        local[p] = (t, res)
        rows.append({"part": "pairs", "P": p, "how": "local", "workers": "-", "best": t})
        t, res = best(args.repeats, lambda p=p: eventstudy.batch(returns, pairs[p],
                                                                 fields="car", **KW))
        local_car[p] = (t, res)
        rows.append({"part": "pairs", "P": p, "how": "local, car", "workers": "-", "best": t})
        print(f"local P={p:,}: {local[p][0]:.3f} s, car {t:.3f} s", file=sys.stderr)
    parquet = Path(args.tmp) / "universe.parquet"
    returns.to_parquet(parquet)
    for workers in (1, 2):
        c, client, t_start = cluster(workers)
        with c, client:
            for p in sizes:
                for fields, base in (("paths", local), ("car", local_car)):
                    r = dask_run(client, returns, pairs[p], args.repeats, fields=fields)
                    r.update(part="pairs", P=p, how=f"dask, frame, {fields}", workers=workers,
                             start=t_start, ratio=r["best"] / base[p][0],
                             diff=difference(base[p][1], r["result"]), local=base[p][0])
                    del r["result"]
                    rows.append(r)
                    print(f"dask {workers}w P={p:,} {fields}: {r['best']:.3f} s "
                          f"({r['ratio']:.2f}x)", file=sys.stderr)
            p = sizes[0]
            r = dask_run(client, str(parquet), pairs[p], args.repeats)
            r.update(part="parquet", P=p, how="dask, Parquet, paths", workers=workers,
                     start=t_start, ratio=r["best"] / local[p][0],
                     diff=difference(local[p][1], r["result"]), local=local[p][0])
            del r["result"]
            rows.append(r)
            rss = client.run(peak_rss_mb)
            for row in rows:
                if row.get("workers") == workers and "rss" not in row:
                    row["rss"] = sorted(rss.values())


def part_aggregate(args, rows: list[dict]) -> None:
    """5M pairs in groups, the pooled battery reduced on two 1 GB workers."""
    returns = universe(args.agg_securities, args.sessions)
    rng = np.random.default_rng(7)
    # distinct (security, day 0): pooled, a security counts once on a day 0
    first, last = -ESTIMATION[0], len(returns) - WINDOW[1]
    cells = rng.choice((returns.shape[1] - 1) * (last - first), args.agg_pairs, replace=False)
    sec, row = np.divmod(cells, last - first)
    pairs = pd.DataFrame({"security": returns.columns.to_numpy()[sec], "benchmark": "MKT",
                          "day0": returns.index[first + row]})
    pairs["group"] = rng.integers(0, args.agg_groups, len(pairs))
    pairs["group"] = "type-" + pairs["group"].astype(str)
    windows = [(-1, 1), WINDOW]
    check = pairs.iloc[:args.agg_check]
    eventstudy.batch(returns, check.iloc[:20_000], **KW)  # numba loaded
    t_local, _ = best(1, lambda: eventstudy.batch(returns, pairs, fields="car", **KW))
    local_agg = eventstudy.batch(returns, check, **KW).aggregate(by="group", windows=windows,
                                                                 bootstrap=0)
    c, client, t_start = cluster(2, args.memory_limit)
    with c, client:
        pids = client.run(os.getpid)
        small = eventstudy.distributed.aggregate(returns, check, by="group", windows=windows,
                                                 client=client, **KW)
        start = time.perf_counter()
        with distributed.get_task_stream(client) as stream:
            eventstudy.distributed.aggregate(returns, pairs, by="group", windows=windows,
                                             client=client, **KW)
        t_agg = time.perf_counter() - start
        restarted = client.run(os.getpid) != pids
        rss = sorted(client.run(peak_rss_mb).values())
        limit = next(iter(client.scheduler_info()["workers"].values()))["memory_limit"]
    rel, abs_r, r_bars = 0.0, 0.0, []
    for g, agg in local_agg.items():
        a, b = agg.tests_frame(), small[g].tests_frame()
        both = a.merge(b, on=["level", "window", "key"], suffixes=("", "_d"))
        both = both[np.isfinite(both["stat"]) & np.isfinite(both["stat_d"])]
        d = (both["stat"] - both["stat_d"]).abs()
        uses_r = both["key"].isin(["adj_patell_z", "kp_bmp_t"])
        rel = max(rel, float((d / both["stat"].abs())[~uses_r].max()))
        abs_r = max(abs_r, float(d[uses_r].max()))
        r_bars.append((agg.r_bar, small[g].r_bar))
    rows.append({"part": "aggregate", "P": len(pairs), "how": "dask, aggregate", "workers": 2,
                 "best": t_agg, "local": t_local, "ratio": t_agg / t_local, "start": t_start,
                 "tasks": len(stream.data), "rss": rss, "limit_mb": limit / 2**20,
                 "restarted": restarted, "groups": args.agg_groups, "check": len(check),
                 "rel": rel, "abs_r": abs_r, "r_bars": r_bars, "securities": args.agg_securities})
    print(f"aggregate: {t_agg:.2f} s against local {t_local:.2f} s, rss {rss}", file=sys.stderr)


def part_big(args, rows: list[dict]) -> None:
    rng = np.random.default_rng(3)
    n_sec, n_rows = args.big_securities, args.big_sessions
    returns = universe(10, n_rows).iloc[:, :0]  # the index only
    market = rng.normal(0.0003, 0.011, n_rows)
    values = rng.normal(0.0, 0.02, (n_rows, n_sec)).astype(np.float64)
    values += market[:, None] * rng.uniform(0.4, 1.6, n_sec)
    values[rng.random(values.shape) < 0.01] = np.nan
    columns = [f"S{j:05d}" for j in range(n_sec)]
    returns = pd.DataFrame(values, index=returns.index, columns=columns, copy=False)
    returns["MKT"] = market
    del values
    path = Path(args.tmp) / "big.parquet"
    start = time.perf_counter()
    returns.to_parquet(path)
    t_write = time.perf_counter() - start
    panel_mb = returns.shape[0] * returns.shape[1] * 8 / 2**20
    pairs = random_pairs(returns, args.big_pairs)
    t_local, local = best(1, lambda: eventstudy.batch(returns, pairs, fields="car", **KW))
    c, client, t_start = cluster(2, args.memory_limit)
    with c, client:
        pids = client.run(os.getpid)
        r = dask_run(client, str(path), pairs, 1, tasks=args.big_tasks, fields="car")
        restarted = client.run(os.getpid) != pids
        rss = sorted(client.run(peak_rss_mb).values())
        limit = next(iter(client.scheduler_info()["workers"].values()))["memory_limit"]
    r.update(part="big", P=args.big_pairs, how="dask, Parquet", workers=2, start=t_start,
             ratio=r["best"] / t_local, diff=difference(local, r["result"]), rss=rss,
             panel_mb=panel_mb, limit_mb=limit / 2**20, restarted=restarted, local=t_local,
             write=t_write, shape=returns.shape, file_mb=path.stat().st_size / 2**20)
    del r["result"]
    rows.append(r)
    print(f"big: {r['best']:.2f} s, rss {rss}", file=sys.stderr)


def report(rows: list[dict], args, load: tuple[str, str]) -> str:
    import dask

    lines = [
        "# The Dask path against the local engine (issues #14, #26)",
        "",
        f"Machine: {os.cpu_count()} cores ({platform.processor() or platform.machine()}), "
        f"shared; load average {load[0]} at the start, {load[1]} at the end. Python "
        f"{platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, dask "
        f"{dask.__version__}. Produced by `python benchmarks/bench_distributed.py` (its "
        "docstring says what is timed).",
        "",
        f"Universe: {args.securities:,} securities × {args.sessions:,} sessions "
        f"(bench_batch.py's), market model, M = {ESTIMATION[1] - ESTIMATION[0] + 1}, "
        f"L = {WINDOW[1] - WINDOW[0] + 1}. Times in seconds, best of {args.repeats} (first "
        "call apart), each including the p-values. Dask: a LocalCluster on this machine, one "
        "thread per worker; 'overhead' is the call's wall time less the busiest worker's "
        "compute time (split, submission, scheduling, serialisation, the results' trip back, "
        "assembly). Fields: what travels back, 'paths' (every field, the AR and se of each "
        "day) or 'car' (the CAR scalars and the estimation's, what `eventstudy batch` "
        "writes); local: the local engine asked for the same fields, in the same run. "
        "Ratio: Dask time / local time (above 1: slower than the local engine).",
        "",
        "| P | returns | fields | workers | tasks | local s | Dask s | first call s | ratio | "
        "overhead s | cluster start s | peak RSS per worker MB | max abs diff |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for r in rows:
        if r["how"].startswith("local") or r["part"] in ("big", "aggregate"):
            continue
        _, source, fields = r["how"].split(", ")
        lines.append(
            f"| {r['P']:,} | {source} | {fields} | {r['workers']} | {r['tasks']} "
            f"| {r['local']:.3f} | {r['best']:.3f} | {r['first']:.3f} | {r['ratio']:.2f} "
            f"| {r['best'] - r['compute']:.3f} | {r['start']:.2f} "
            f"| {', '.join(f'{x:,.0f}' for x in r['rss'])} | {r['diff']:.1e} |")
    agg = [r for r in rows if r["part"] == "aggregate"]
    if agg:
        a = agg[0]
        lines += [
            "",
            "## The pooled battery reduced on the cluster",
            "",
            f"`eventstudy.distributed.aggregate(by='group')`: {a['P']:,} distinct (security, "
            f"day 0) pairs of {a['securities']:,} securities in "
            f"{a['groups']} groups, CAR windows (-1,+1) and the whole window, two workers "
            f"limited to {a['limit_mb']:,.0f} MB each; each task sends back its groups' sums "
            "(kilobytes), never the paths. Local: `eventstudy.batch(..., fields='car')` of the "
            "same pairs, in the same run (the local aggregate of this many pairs does not fit "
            "its memory bound: its residuals by date alone would take "
            f"{a['P'] * (args.sessions + 250) * 8 / 2**30:,.0f} GB). Agreement: the same "
            f"battery from the local `BatchResult.aggregate(by='group')` of the first "
            f"{a['check']:,} pairs: largest relative difference of every reduced test but the "
            "two that use r̄ (adj_patell_z, kp_bmp_t), the largest absolute difference of "
            "those two (their statistics, in standard-normal and t units), and r̄ of each "
            "group, local and on the cluster (estimated from the pairs that share a task, "
            "through subsamples).",
            "",
            "| P | groups | tasks | local batch s | aggregate s | ratio | peak RSS per worker MB "
            "| worker restarted | max rel diff | max abs diff, r̄ tests | r̄ local → cluster |",
            "|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---|",
            f"| {a['P']:,} | {a['groups']} | {a['tasks']} | {a['local']:.2f} | {a['best']:.2f} "
            f"| {a['ratio']:.2f} | {', '.join(f'{x:,.0f}' for x in a['rss'])} "
            f"| {'yes' if a['restarted'] else 'no'} | {a['rel']:.1e} | {a['abs_r']:.3f} "
            f"| {'; '.join(f'{x:.2e} → {y:.2e}' for x, y in a['r_bars'])} |",
        ]
    big = [r for r in rows if r["part"] == "big"]
    if big:
        b = big[0]
        lines += [
            "",
            "## A panel larger than a worker's memory",
            "",
            f"Returns: {b['shape'][1]:,} tickers × {b['shape'][0]:,} sessions, float64, "
            f"{b['panel_mb']:,.0f} MB in memory ({b['file_mb']:,.0f} MB of Parquet, written in "
            f"{b['write']:.1f} s); two workers with a memory limit of {b['limit_mb']:,.0f} MB "
            f"each: the panel is {b['panel_mb'] / b['limit_mb']:.1f}× one worker's limit. "
            f"{b['P']:,} pairs over all the tickers, {b['tasks']} tasks (about "
            f"{b['panel_mb'] / b['tasks']:,.0f} MB of columns each), fields='car'.",
            "",
            "| P | local s (panel in memory) | Dask s | ratio | overhead s | peak RSS per worker "
            "MB | worker restarted | max abs diff |",
            "|---:|---:|---:|---:|---:|---|---|---:|",
            f"| {b['P']:,} | {b['local']:.2f} | {b['best']:.2f} | {b['ratio']:.2f} "
            f"| {b['best'] - b['compute']:.2f} | {', '.join(f'{x:,.0f}' for x in b['rss'])} "
            f"| {'yes' if b['restarted'] else 'no'} | {b['diff']:.1e} |",
        ]
    lines += ["", *reading(rows), ""]
    return "\n".join(lines)


def reading(rows: list[dict]) -> list[str]:
    """The table in words, from its own numbers."""
    dask = {(r["P"], r["workers"], r["how"].split(", ")[2]): r for r in rows
            if r["part"] == "pairs" and not r["how"].startswith("local")}
    sizes = sorted({p for p, _, _ in dask})
    if not sizes:
        return []
    top = sizes[0]
    paths, car = dask[(top, 2, "paths")], dask[(top, 2, "car")]
    out = [
        f"Reading. At {top:,} pairs on 2 workers the Dask path takes {car['ratio']:.2f}× the "
        f"local engine when only the CARs travel back (fields='car', {car['best']:.2f} s "
        f"against {car['local']:.2f} s), {paths['ratio']:.2f}× with every per-day path "
        f"({paths['best']:.2f} s against {paths['local']:.2f} s): the paths are 2 × 21 floats "
        "a pair of the 57 a result holds, and each travels twice (serialised by a worker, "
        "received and placed by the caller) where the local engine writes it once. The "
        f"busiest worker computes for {car['compute']:.2f} s of the {car['best']:.2f} s; the "
        "rest is the caller's: the pairs split and sent, the results received and placed in "
        "the caller's order. On one machine of 2 cores the caller and two workers share the "
        "cores; the path is for what one process cannot do: returns that do not fit in "
        "memory, results written by the workers (`out=`), aggregates reduced where the pairs "
        "are, and clusters of several machines, where the workers' part grows with the "
        "machines and the caller's does not.",
    ]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,5000000")
    parser.add_argument("--securities", type=int, default=2000)
    parser.add_argument("--sessions", type=int, default=2500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--big-securities", type=int, default=30_000)
    parser.add_argument("--big-sessions", type=int, default=8_000)
    parser.add_argument("--big-pairs", type=int, default=1_000_000)
    parser.add_argument("--memory-limit", default="1GB")
    parser.add_argument("--agg-pairs", type=int, default=5_000_000)
    parser.add_argument("--agg-securities", type=int, default=4_000)
    parser.add_argument("--agg-groups", type=int, default=4)
    parser.add_argument("--agg-check", type=int, default=50_000)
    parser.add_argument("--skip-aggregate", action="store_true")
    parser.add_argument("--skip-pairs", action="store_true")
    parser.add_argument("--big-tasks", type=int, default=None,
                        help="tasks of the large run (default: the split's own)")
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "distributed.md"))
    parser.add_argument("--rows", help="also write the measurements to this JSON file")
    parser.add_argument("--report-from", help="render the table from a --rows file; no run")
    args = parser.parse_args()
    if args.report_from:
        saved = json.loads(Path(args.report_from).read_text())
        text = report(saved["rows"], args, tuple(saved["load"]))
        atomic_write(Path(args.out), text.encode())
        print(text)
        return
    load_start = f"{os.getloadavg()[0]:.1f}"
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        args.tmp = tmp
        if not args.skip_pairs:
            part_pairs(args, rows)
        if not args.skip_aggregate:
            part_aggregate(args, rows)
        if not args.skip_big:
            part_big(args, rows)
    if args.rows:  # the measurements, to re-render the table (--report-from) without a rerun
        Path(args.rows).write_text(json.dumps({"rows": rows, "load": [load_start,
                                   f"{os.getloadavg()[0]:.1f}"]}, default=str))
    text = report(rows, args, (load_start, f"{os.getloadavg()[0]:.1f}"))
    print(text)
    atomic_write(Path(args.out), text.encode())


if __name__ == "__main__":
    main()
