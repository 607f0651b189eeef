"""The Dask path (eventstudy.distributed.batch) against the local engine (issue #14).

Three parts, written to ``benchmarks/distributed.md``:

(1) Pairs: the universe of bench_batch.py (default 2,000 securities × 2,500 sessions, one-factor
    returns with holes), P = 1M and 5M random pairs, market model, M = 250, L = 21. Local:
    ``eventstudy.batch`` on the frame (its default threads: 2 on 2 cores). Dask: a
    ``LocalCluster`` of 1, then 2 worker processes of one thread each, the frame sent from the
    caller; the call is timed whole (split, submission, the tasks, the results' trip back,
    their assembly in the caller's order, the p-values), best of ``--repeats`` after a first
    call, which is shown apart (each worker's first task loads numba's kernels). The cluster's
    start is timed apart too. Scheduler overhead: the call's wall time less the busiest
    worker's compute time (Dask's task stream); all of it is in the ratio to the local engine.
(2) The same at 1M pairs from a Parquet file of the universe (each task reads its columns).
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
    local = {}
    for p in sizes:
        t, res = best(args.repeats, lambda p=p: eventstudy.batch(returns, pairs[p], **KW))
        local[p] = (t, res)
        rows.append({"part": "pairs", "P": p, "how": "local", "workers": "-", "best": t})
        print(f"local P={p:,}: {t:.3f} s", file=sys.stderr)
    parquet = Path(args.tmp) / "universe.parquet"
    returns.to_parquet(parquet)
    for workers in (1, 2):
        c, client, t_start = cluster(workers)
        with c, client:
            for p in sizes:
                r = dask_run(client, returns, pairs[p], args.repeats)
                r.update(part="pairs", P=p, how="dask, frame", workers=workers, start=t_start,
                         ratio=r["best"] / local[p][0], diff=difference(local[p][1], r["result"]))
                del r["result"]
                rows.append(r)
                print(f"dask {workers}w P={p:,}: {r['best']:.3f} s", file=sys.stderr)
            p = sizes[0]
            r = dask_run(client, str(parquet), pairs[p], args.repeats)
            r.update(part="parquet", P=p, how="dask, Parquet", workers=workers, start=t_start,
                     ratio=r["best"] / local[p][0], diff=difference(local[p][1], r["result"]))
            del r["result"]
            rows.append(r)
            rss = client.run(peak_rss_mb)
            for row in rows:
                if row.get("workers") == workers and "rss" not in row:
                    row["rss"] = sorted(rss.values())


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
    t_local, local = best(1, lambda: eventstudy.batch(returns, pairs, **KW))
    c, client, t_start = cluster(2, args.memory_limit)
    with c, client:
        pids = client.run(os.getpid)
        r = dask_run(client, str(path), pairs, 1, tasks=args.big_tasks)
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
        "# The Dask path against the local engine (issue #14)",
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
        "assembly). Ratio: Dask time / local time (above 1: slower than the local engine).",
        "",
        "| P | returns | workers | tasks | local s | Dask s | first call s | ratio | "
        "overhead s | cluster start s | peak RSS per worker MB | max abs diff |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    local = {r["P"]: r["best"] for r in rows if r["how"] == "local"}
    for r in rows:
        if r["how"] == "local" or r["part"] == "big":
            continue
        lines.append(
            f"| {r['P']:,} | {r['how'].split(', ')[1]} | {r['workers']} | {r['tasks']} "
            f"| {local[r['P']]:.3f} | {r['best']:.3f} | {r['first']:.3f} | {r['ratio']:.2f} "
            f"| {r['best'] - r['compute']:.3f} | {r['start']:.2f} "
            f"| {', '.join(f'{x:,.0f}' for x in r['rss'])} | {r['diff']:.1e} |")
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
            f"{b['panel_mb'] / b['tasks']:,.0f} MB of columns each).",
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
    dask = {(r["P"], r["workers"]): r for r in rows
            if r["part"] == "pairs" and r["how"] != "local"}
    local = {r["P"]: r["best"] for r in rows if r["how"] == "local"}
    top = max(local)
    one, two = dask[(top, 1)], dask[(top, 2)]
    busy, rest = two["compute"], two["best"] - two["compute"]
    second = (f"a second worker made it slower ({one['best']:.1f} s on 1 worker): on 2 cores it "
              "takes the core the caller needs to receive and place the results"
              if two["best"] > one["best"] else
              f"a second worker cut it from {one['best']:.1f} s to {two['best']:.1f} s")
    out = [
        "Reading. On one machine the Dask path is slower than the local engine, by the ratio "
        f"above: at {top:,} pairs {two['best']:.1f} s on 2 workers against {local[top]:.1f} s "
        f"({two['ratio']:.2f}×); {second}. The busiest worker computes for {busy:.1f} s (the "
        "local engine, its pack and the first touch of its output memory); the other "
        f"{rest:.1f} s are the caller's: the tickers resolved and the pairs split, each task's "
        "pairs serialised out, and the results (AR and se, 2 × 21 floats a pair, 2.3 GB at 5M "
        "pairs) serialised back, received and placed in the caller's order, memory that the "
        "local engine writes once and the Dask path twice (a worker's output, the caller's "
        "copy). With one worker its results wait in its memory until the caller takes them "
        "(the peak RSS above). The path is for what one process cannot do: returns that do not "
        "fit in memory (below: each task reads only its columns, and no worker holds more than "
        "its share) and clusters of several machines, where the workers' part grows with the "
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
        part_pairs(args, rows)
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
