"""The S&P 500 additions of 1997-99 (../shared/data/sp500adds, read in place): an events file
written from its request file, for the per-event path on the NYSE calendar of the 1990s.

The request file (EventStudyTools' example) gives, per firm, the event date (dd.mm.yyyy), the
event window [-2, +2] and an estimation window of 120 sessions ending at -11; the firms are
named, the price files by ticker (the mapping below), the market is ``SP500.csv``.
"""

from __future__ import annotations

import csv
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "sp500adds"
PRICES = DATA / "prices"

#: Firm name in request.csv -> ticker (price file name).
TICKERS = {
    "Adobe Systems": "ADBE", "Progressive": "PGR", "Cincinnati": "CINF",
    "Coca-Cola Enterprises": "CCE", "Travelers Group": "TRV", "Safeway": "SWY",
    "Danaher": "DHR", "Carnival": "CCL", "AFLAC": "AFL", "Office Depot": "ODP",
    "Best Buy": "BBY", "Qualcomm": "QCOM", "Lexmark": "LXK", "Bed Bath And Beyond": "BBBY",
    "Citrix Systems": "CTXS", "Yahoo": "YHOO",
}
#: The firms whose prices are not adjusted for a split inside their estimation window
#: (the data's README), with the split's ratio as the check should name it.
SPLITS = {"DHR": "2:1", "CCL": "2:1", "ODP": "3:2", "BBY": "2:1", "QCOM": "2:1", "LXK": "2:1"}


def requests() -> list[dict[str, object]]:
    """One dict per firm: ticker, date (ISO), window and estimation offsets."""
    rows = []
    with (DATA / "request.csv").open(encoding="utf-8") as f:
        for row in csv.reader(f, delimiter=";"):
            day, month, year = row[3].split(".")
            est_end, est_len = int(row[7]), int(row[8])
            rows.append({"ticker": TICKERS[row[1].strip()], "date": f"{year}-{month}-{day}",
                         "window": (int(row[5]), int(row[6])),
                         "estimation": (est_end - est_len + 1, est_end)})
    return rows


def events_toml() -> str:
    """An events file with one event per event date (two firms share 1998-10-01)."""
    reqs = requests()
    est, win = reqs[0]["estimation"], reqs[0]["window"]
    lines = [
        "[defaults]",
        f"estimation = [{est[0]}, {est[1]}]", f"window = [{win[0]}, {win[1]}]",
        f"car = [[{win[0]}, {win[1]}], [0, 0]]", 'model = "market"', 'returns = "log"',
        "exclude_event_windows = false", "exclude_confounders = false", "min_estimation = 60",
        "",
    ]
    for ticker in dict.fromkeys(r["ticker"] for r in reqs):
        lines += [f"[securities.{ticker}]", f'ticker = "{ticker}"', 'exchange = "XNYS"',
                  'benchmark = "SP500"', 'benchmark_exchange = "XNYS"', ""]
    by_date: dict[str, list[str]] = {}
    for r in reqs:
        by_date.setdefault(str(r["date"]), []).append(str(r["ticker"]))
    for date, tickers in by_date.items():
        lines += ["[[events]]", f'id = "add-{date}"', f'title = "S&P 500 addition {date}"',
                  f"announced = {date}", 'timing = "before-open"', 'tags = ["addition"]',
                  f"securities = [{', '.join(repr(t).replace(chr(39), chr(34)) for t in tickers)}]",
                  ""]
    return "\n".join(lines)
