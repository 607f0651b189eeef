"""run_many (the per-event API over an events file) against batch and a statsmodels loop (#22).

Events files written for the purpose on the embedded data: N events (default 200 and 2,000),
each on a random Tokyo session from 2025-02-03 to 2026-03-31 (plain date, timing
"before-open"), each with 4 of the 30 embedded Tokyo stocks drawn at random, the market model
on ^TOPX, the default windows (estimation [-250, -11], event window [-5, 5], CAR windows
(0,0), (0,1), (-1,1), (0,5)). With 2,000 events each stock is in about 270 events, so every
estimation window would lie in other events' windows: the files set exclude_event_windows =
false (estimation-window hygiene off), and a third run (--hygiene, default 200 events) keeps
it on, with its exclusions.

For each N, in a fresh subprocess (imports, calendars and the embedded files warmed on a small
file first; best of --repeats):

(a) ``eventstudy.run_many(tag=..., events=PATH)``: parse the file, day 0, prices loaded and
    checked once per ticker, every pair's AR/CAR with its notes, the pooled aggregate with the
    full test battery (r̄, every test of methods.md). The CAAR's bootstrap interval is computed
    when first read: timed apart ("+ interval") as the first read of ``aggregate.car``;
(b) ``eventstudy.batch`` on the same pairs (a frame of the embedded log returns on Tokyo's
    sessions, the pairs' day 0 from (a)), then ``BatchResult.aggregate()``;
(c) a statsmodels loop on the same pairs: OLS on the estimation rows, then AR, se, CAR and its
    se with numpy (the outputs of bench_batch.py's loop); on at most --sm-pairs pairs,
    extrapolated linearly;
(d) where the time of (a) goes: parsing, the pairs (``study_pairs``), the aggregation inputs,
    the tests, from one more instrumented run.

--before DIR runs (a) with the package of an earlier checkout in the same run (its run_many at
2,000 events takes minutes: once, not best-of), and ``run`` of one event (dual-use-ban) now and
before, best of --repeats.

Usage: ``python benchmarks/bench_run_many.py [--events 200,2000] [--before DIR] [--out FILE]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, sys.argv[sys.argv.index("--package") + 1] if "--package" in sys.argv
                else str(ROOT))

import eventstudy  # noqa: E402

TOKYO = ["4063.T", "5706.T", "5711.T", "5713.T", "5714.T", "6330.T", "6501.T", "6701.T",
         "6753.T", "6762.T", "6902.T", "6971.T", "6981.T", "7011.T", "7012.T", "7013.T",
         "7201.T", "7202.T", "7203.T", "7211.T", "7259.T", "7261.T", "7267.T", "7269.T",
         "7270.T", "7272.T", "7276.T", "7282.T", "7309.T", "7313.T"]
ESTIMATION, WINDOW = (-250, -11), (-5, 5)
START, END = "<!-- bench_run_many -->", "<!-- /bench_run_many -->"


def write_events(path: Path, n: int, hygiene: bool, seed: int = 0) -> None:
    """N events × 4 Tokyo stocks on random sessions (see the module docstring)."""
    import exchange_calendars as xc

    rng = np.random.default_rng(seed)
    days = xc.get_calendar("XTKS", start="2025-01-01", end="2026-04-30").sessions_in_range(
        "2025-02-03", "2026-03-31")
    lines = ["[defaults]", f"exclude_event_windows = {str(hygiene).lower()}", ""]
    for i in range(n):
        names = rng.choice(TOKYO, 4, replace=False)
        lines += ["[[events]]", f'id = "e{i:05d}"', f'title = "event {i}"',
                  f"announced = {days[rng.integers(len(days))].date()}",
                  'timing = "before-open"',
                  "securities = [" + ", ".join(f'"{s}"' for s in names) + "]",
                  'sources = ["https://example.org"]', 'tags = ["bench"]', ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def best_of(repeats: int, func) -> tuple[float, float]:
    """Best wall-clock and CPU seconds of ``repeats`` calls."""
    wall, cpu = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        func()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return min(wall), min(cpu)


def returns_panel() -> pd.DataFrame:
    """Log returns of the embedded Tokyo stocks and ^TOPX on Tokyo's sessions, each over its
    own trading days (NaN on a session without a price: the next return spans it)."""
    from eventstudy import sessions
    from eventstudy.prices import embedded

    series = {t: np.log(embedded.load(t)).diff() for t in [*TOKYO, "^TOPX"]}  # own days
    frame = pd.concat(series, axis=1)
    grid = sessions.sessions_in_range("XTKS", frame.index[0], frame.index[-1])
    return frame.reindex(grid)


def statsmodels_loop(returns: pd.DataFrame, pairs: pd.DataFrame) -> np.ndarray:
    """bench_batch.py's per-pair baseline (statsmodels OLS, then AR, se, CAR, its se and p
    with numpy) on these windows; AR(0) of each pair."""
    from bench_batch import statsmodels_loop as loop

    return loop(returns, pairs, ESTIMATION, WINDOW)["ar"][:, -WINDOW[0]]


def worker(path: Path, args: argparse.Namespace) -> dict:
    """Times of (a)-(d) on one events file, in this process."""
    warnings.simplefilter("ignore")
    small = path.with_name("warm.toml")
    write_events(small, 20, hygiene=False, seed=9)
    eventstudy.run_many(tag="bench", events=small)  # imports, calendars, embedded files
    out: dict = {}
    result = eventstudy.run_many(tag="bench", events=path)
    out["pairs"] = len(result.pairs)
    out["excluded"] = len(result.excluded)
    out["t_run_many"], out["cpu_run_many"] = best_of(
        args.repeats, lambda: eventstudy.run_many(tag="bench", events=path))
    fresh = eventstudy.run_many(tag="bench", events=path)
    t = time.perf_counter()
    fresh.aggregate.car  # noqa: B018  # the bootstrap interval, computed when first read
    out["t_interval"] = time.perf_counter() - t
    if args.single:
        out["t_run"], _ = best_of(args.repeats, lambda: eventstudy.run("dual-use-ban"))
    if args.only_run_many:
        return out
    out.update(breakdown(path))
    returns = returns_panel()
    pairs = pd.DataFrame({"security": [p.ticker for _, p in result.pairs],
                          "benchmark": "^TOPX",
                          "day0": [p.day0 for _, p in result.pairs]})
    batch = {}

    def run_batch() -> None:
        batch["r"] = eventstudy.batch(returns, pairs, estimation=ESTIMATION, window=WINDOW)
        batch["r"].car_p  # noqa: B018

    out["t_batch"], _ = best_of(args.repeats, run_batch)
    out["t_batch_aggregate"], _ = best_of(args.repeats, lambda: batch["r"].aggregate())
    sub = pairs.iloc[: args.sm_pairs]
    t = time.perf_counter()
    sm_car = statsmodels_loop(returns, sub)
    out["t_statsmodels"] = (time.perf_counter() - t) * len(pairs) / len(sub)
    out["sm_extrapolated"] = len(sub) < len(pairs)
    # AR(0) compared on the pairs without notes (a probable split left out of run_many's fit,
    # which batch and the loop do not know about, changes the fit)
    ours = np.array([p.car["car"].iloc[0] for _, p in result.pairs])
    plain = np.array([not p.notes for _, p in result.pairs])
    out["diff_batch"] = float(np.nanmax(np.abs(ours - batch["r"].ar[0].to_numpy())[plain]))
    out["diff_statsmodels"] = float(np.nanmax(
        np.abs(ours[: len(sub)] - sm_car)[plain[: len(sub)]]))
    return out


def breakdown(path: Path) -> dict:
    """Where run_many's time goes: one instrumented run."""
    from eventstudy.study import arrays, pooled, stacked

    spent: dict[str, float] = {}
    originals = []

    def timed(module, name: str, label: str) -> None:
        func = getattr(module, name)
        originals.append((module, name, func))

        def wrapper(*a, **k):
            t = time.perf_counter()
            try:
                return func(*a, **k)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - t
        setattr(module, name, wrapper)

    timed(pooled, "load_events", "parse the events file")
    timed(stacked, "study_pairs", "study the pairs (day 0, prices, AR/CAR, notes)")
    timed(arrays, "pair_arrays", "aggregation inputs")
    timed(arrays, "aggregate", "pooled tests (r̄, the battery)")
    try:
        t = time.perf_counter()
        eventstudy.run_many(tag="bench", events=path)
        total = time.perf_counter() - t
    finally:
        for module, name, func in originals:
            setattr(module, name, func)
    spent["other"] = total - sum(spent.values())
    return {"breakdown": spent, "t_breakdown_total": total}


def run_worker(path: Path, args: argparse.Namespace, package: str | None = None,
               extra: tuple[str, ...] = ()) -> dict:
    cmd = [sys.executable, __file__, "--worker", str(path), "--repeats", str(args.repeats),
           "--sm-pairs", str(args.sm_pairs), *extra]
    if package:
        cmd += ["--package", package, "--only-run-many"]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(rows: list[dict], hygiene: dict | None, args: argparse.Namespace) -> str:
    load = os.getloadavg()[0]
    lines = [
        START, "", "## run_many: the per-event API at batch speed (issue #22)", "",
        f"Machine: {os.cpu_count()} cores ({platform.machine()}), shared; load average "
        f"{load:.1f}. Python {platform.python_version()}, numpy {np.__version__}, pandas "
        f"{pd.__version__}. Written by `benchmarks/bench_run_many.py` (its docstring says what "
        "each column times); best of "
        f"{args.repeats}, all columns of a row in one subprocess.", "",
        "| events | pairs | (a) run_many s | (a) pairs/s | + interval s | (b) batch s | "
        "(b) + aggregate s | (c) statsmodels s | (a)/(c) speed | (a)/(b+agg) time | "
        "max abs diff AR(0) vs (b), (c) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        star = "*" if r["sm_extrapolated"] else ""
        lines.append(
            f"| {r['events']:,} | {r['pairs']:,} | {r['t_run_many']:.3f} | "
            f"{r['pairs'] / r['t_run_many']:,.0f} | {r['t_interval']:.3f} | {r['t_batch']:.3f} | "
            f"{r['t_batch'] + r['t_batch_aggregate']:.3f} | {r['t_statsmodels']:.2f}{star} | "
            f"{r['t_statsmodels'] / r['t_run_many']:.2f}× | "
            f"{r['t_run_many'] / (r['t_batch'] + r['t_batch_aggregate']):.1f}× | "
            f"{r['diff_batch']:.1e}, {r['diff_statsmodels']:.1e} |")
    lines += ["", "\\* statsmodels on the first "
              f"{args.sm_pairs:,} pairs, extrapolated linearly. The AR(0) differences are over "
              "the pairs without notes (a probable split that run_many leaves out of a fit is "
              "unknown to batch and to the loop).", ""]
    if hygiene:
        lines += [f"With estimation-window hygiene on ({hygiene['events']} events, the same "
                  f"draw): {hygiene['pairs']} pairs studied, {hygiene['excluded']} excluded, "
                  f"run_many {hygiene['t_run_many']:.3f} s "
                  f"({hygiene['pairs'] / hygiene['t_run_many']:,.0f} pairs/s).", ""]
    lines += ["Where (a)'s time goes (one more run, instrumented):", "",
              "| events | " + " | ".join(rows[0]["breakdown"]) + " |",
              "|---:|" + "---:|" * len(rows[0]["breakdown"])]
    for r in rows:
        lines.append(f"| {r['events']:,} | " + " | ".join(
            f"{v:.3f} s ({v / r['t_breakdown_total']:.0%})" for v in r["breakdown"].values())
            + " |")
    if any("t_before" in r for r in rows):
        lines += ["", f"Before and after in the same run: (a) with the package of an earlier "
                  f"checkout ({args.before_label}), where run_many studied each pair alone.", "",
                  "| events | before: run_many s | after: run_many s | speed-up |",
                  "|---:|---:|---:|---:|"]
        for r in rows:
            if "t_before" in r:
                lines.append(f"| {r['events']:,} | {r['t_before']:.2f} | {r['t_run_many']:.3f} "
                             f"| {r['t_before'] / r['t_run_many']:.0f}× |")
        r = rows[0]
        if "t_run" in r and "t_run_before" in r:
            lines += ["", f"`run` of one event (dual-use-ban, 4 pairs, warm): before "
                      f"{r['t_run_before'] * 1e3:.1f} ms, after {r['t_run'] * 1e3:.1f} ms "
                      f"(after / before {r['t_run'] / r['t_run_before']:.2f})."]
    return "\n".join([*lines, "", END])


def write(out: Path, section: str) -> None:
    """Put the section into ``out`` (replacing the previous one)."""
    text = out.read_text(encoding="utf-8") if out.exists() else ""
    if START in text and END in text:
        text = text[: text.index(START)] + section + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    tmp = out.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", default="200,2000")
    parser.add_argument("--hygiene", type=int, default=200,
                        help="events of the run with hygiene on (0: none)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sm-pairs", type=int, default=2000)
    parser.add_argument("--before", default=None, help="an earlier checkout to compare with")
    parser.add_argument("--before-label", default="the checkout given by --before")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results.md"))
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--package", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--only-run-many", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--single", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(Path(args.worker), args)))
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, n in enumerate(int(x) for x in args.events.split(",")):
            path = Path(tmp) / f"events_{n}.toml"
            write_events(path, n, hygiene=False)
            extra = ("--single",) if i == 0 else ()
            row = {"events": n, **run_worker(path, args, extra=extra)}
            if args.before:
                old = run_worker(path, argparse.Namespace(**{**vars(args), "repeats": 1}),
                                 package=args.before, extra=extra)
                row["t_before"] = old["t_run_many"]
                if "t_run" in old:
                    row["t_run_before"] = old["t_run"]
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
        hygiene = None
        if args.hygiene:
            path = Path(tmp) / "hygiene.toml"
            write_events(path, args.hygiene, hygiene=True)
            hygiene = {"events": args.hygiene,
                       **run_worker(path, args, extra=("--only-run-many",))}
    write(Path(args.out), table(rows, hygiene, args))


if __name__ == "__main__":
    main()
