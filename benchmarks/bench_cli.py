"""Cold wall time of `eventstudy run dual-use-ban`, against baselines measured in the same run.

Baselines: the Python interpreter alone, and `import pandas, exchange_calendars` (the floor any
calendar-aware pandas tool pays). Each command runs in a fresh process, REPEAT times; the table
gives the median and the ratio to each baseline.

    python benchmarks/bench_cli.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

REPEAT = 7
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "import pandas, exchange_calendars": [sys.executable, "-c",
                                          "import pandas, exchange_calendars"],
    "eventstudy run dual-use-ban": [sys.executable, "-m", "eventstudy", "run", "dual-use-ban"],
    "eventstudy run dual-use-ban -f json": [sys.executable, "-m", "eventstudy", "run",
                                            "dual-use-ban", "--format", "json"],
}


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    medians = {name: statistics.median(wall(cmd) for _ in range(REPEAT))
               for name, cmd in COMMANDS.items()}
    floor = medians["import pandas, exchange_calendars"]
    print(f"{'command':40} {'median s':>9} {'× python':>9} {'× floor':>8}")
    for name, sec in medians.items():
        print(f"{name:40} {sec:9.3f} {sec / medians['python -c pass']:9.1f} {sec / floor:8.2f}")


if __name__ == "__main__":
    main()
