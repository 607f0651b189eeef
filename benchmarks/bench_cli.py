"""Cold wall time of `eventstudy run dual-use-ban`, as a ratio to baselines timed in the same run.

Baselines: the Python interpreter alone, and `import pandas, exchange_calendars` (the floor any
calendar-aware pandas tool pays). Every command runs in a fresh process; the commands take turns
(A B C ... A B C ...) so that a drift of the machine's speed touches all of them alike, and each
ratio is taken within one turn, then the median over REPEAT turns is reported (min and max
beside it: this machine is shared).

The calendar cache (eventstudy.sessions.stored) is warm after the first run of a machine: the
rows "cache off" give the very first run's cost (EVENTSTUDY_CALENDAR_CACHE=off).

The package's bytecode is compiled first (``compileall``), as an installed package has it: with
PYTHONDONTWRITEBYTECODE set (as on the machines here) an editable install would otherwise
compile its modules again in every process (about 0.09 s).

``--before DIR``: also time the package of another checkout (e.g. a git worktree of an earlier
commit, put first on PYTHONPATH), in the same turns: before and after in one run.

    python benchmarks/bench_cli.py [--repeat 11] [--before DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

FLOOR = "import pandas, exchange_calendars"


def commands(before: str | None) -> dict[str, tuple[list[str], dict[str, str]]]:
    py = sys.executable
    here = {**os.environ}
    off = {**os.environ, "EVENTSTUDY_CALENDAR_CACHE": "off"}
    out = {
        "python -c pass": ([py, "-c", "pass"], here),
        FLOOR: ([py, "-c", "import pandas, exchange_calendars"], here),
        "eventstudy run dual-use-ban": ([py, "-m", "eventstudy", "run", "dual-use-ban"], here),
        "eventstudy run dual-use-ban -f json": (
            [py, "-m", "eventstudy", "run", "dual-use-ban", "--format", "json"], here),
        "eventstudy run dual-use-ban (cache off)": (
            [py, "-m", "eventstudy", "run", "dual-use-ban"], off),
    }
    if before:
        old = {**os.environ, "PYTHONPATH": before}
        out["before: eventstudy run dual-use-ban"] = (
            [py, "-m", "eventstudy", "run", "dual-use-ban"], old)
        out["before: eventstudy run dual-use-ban -f json"] = (
            [py, "-m", "eventstudy", "run", "dual-use-ban", "--format", "json"], old)
    return out


def wall(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env, cwd=Path.home())
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--before", help="a checkout of an earlier version (its folder)")
    parser.add_argument("--out", type=Path, help="also write the table (Markdown) here")
    args = parser.parse_args()
    cmds = commands(args.before)
    for folder in (Path(__file__).resolve().parents[1], args.before):
        if folder:
            subprocess.run([sys.executable, "-m", "compileall", "-q",
                            str(Path(folder) / "eventstudy")], check=True,
                           stdout=subprocess.DEVNULL)
    for cmd, env in cmds.values():  # warm-up: the OS file cache, the calendar cache
        wall(cmd, env)
    times: dict[str, list[float]] = {name: [] for name in cmds}
    for _ in range(args.repeat):
        for name, (cmd, env) in cmds.items():
            times[name].append(wall(cmd, env))
    floor = times[FLOOR]
    lines = [f"| command | median s | × floor, median (min–max) of {args.repeat} turns |",
             "|---|---:|---:|"]
    for name, t in times.items():
        ratios = [a / b for a, b in zip(t, floor, strict=True)]
        lines.append(f"| {name} | {statistics.median(t):.3f} | {statistics.median(ratios):.2f} "
                     f"({min(ratios):.2f}–{max(ratios):.2f}) |")
    table = "\n".join(lines)
    print(table)
    if args.out:
        before = (f" Before: the package of `{args.before}` (an earlier checkout), timed in the "
                  "same turns." if args.before else "")
        head = (f"# Cold `eventstudy run` against the import floor (benchmarks/bench_cli.py)\n\n"
                f"Machine: {os.cpu_count()} cores, shared; Python {sys.version.split()[0]}. "
                f"Every command a fresh process, the commands in turns, {args.repeat} turns; "
                "the ratio is taken within each turn (median, min–max). The calendar cache is "
                "warm but for the 'cache off' row (a machine's first run)." + before + "\n\n")
        args.out.write_text(head + table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
