"""Beta recovery under non-synchronous trading: OLS vs Dimson (1979) vs Scholes–Williams (1977).

Two data-generating processes, each ``--reps`` replications of ``--days`` daily returns,
true β = 1.2, market σ = 1 %/day, idiosyncratic σ = 1.5 %/day, log prices on 10 intraday steps:

(a) ``last-trade``: the stock's recorded close is its price at a random time U{0, …, 0.8} of a
    day before the market's close (Scholes & Williams' setting). OLS → β(1 − E[delay]) = 0.72.
(b) ``non-trading``: each day the stock does not trade with probability π; a day without a
    trade records a zero return and the accumulated return shows up on the next trade day
    (Lo & MacKinlay 1990; zero-return streaks). OLS → β(1 − π).

For each: mean and standard deviation across replications of the OLS, Dimson (lags = leads =
1 and 3) and Scholes–Williams betas, as fit by ``eventstudy.estimation.models`` on the sample where
all lags and leads exist. Usage: ``python benchmarks/beta_recovery.py [--reps 200] [--days 250]``
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from eventstudy.estimation.models import Dimson, MarketModel, ScholesWilliams

START, END = pd.Timestamp("2025-01-06"), pd.Timestamp("2025-12-30")
BETA, STEPS = 1.2, 10


def last_trade(rng: np.random.Generator, days: int, max_delay: float = 0.8
               ) -> tuple[np.ndarray, np.ndarray]:
    n = days * STEPS
    market = np.r_[0.0, np.cumsum(rng.normal(0, 0.01 / np.sqrt(STEPS), n))]
    stock = BETA * market + np.r_[0.0, np.cumsum(rng.normal(0, 0.015 / np.sqrt(STEPS), n))]
    close = np.arange(1, days + 1) * STEPS
    delay = rng.integers(0, int(max_delay * STEPS) + 1, days)
    return np.diff(stock[close - delay]), np.diff(market[close])


def non_trading(rng: np.random.Generator, days: int, p: float = 0.3
                ) -> tuple[np.ndarray, np.ndarray]:
    m = rng.normal(0, 0.01, days + 1)
    true = BETA * m + rng.normal(0, 0.015, days + 1)
    traded = rng.random(days + 1) >= p
    traded[0] = True
    level = np.cumsum(true)
    last = np.maximum.accumulate(np.where(traded, np.arange(days + 1), 0))
    observed = level[last]  # the price stays at the last trade's until the next trade
    return np.diff(observed), m[1:]


def betas(r: np.ndarray, m: np.ndarray) -> dict[str, float]:
    lags = 3
    x = np.column_stack([np.roll(m, -j) for j in range(-lags, lags + 1)])[lags:-lags]
    y = r[lags:-lags]
    mid = lags
    return {
        "ols": MarketModel().fit(y, x[:, mid], START, END).beta,
        "dimson(1)": Dimson(1).fit(y, x[:, mid - 1: mid + 2], START, END).beta,
        "dimson(3)": Dimson(3).fit(y, x, START, END).beta,
        "scholes-williams": ScholesWilliams().fit(y, x[:, mid - 1: mid + 2], START, END).beta,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--days", type=int, default=250)
    args = ap.parse_args()
    rng = np.random.default_rng(20260123)
    rows = []
    for name, gen, limit in [("last-trade U{0..0.8}", last_trade, BETA * 0.6),
                             ("non-trading π = 0.3", non_trading, BETA * 0.7)]:
        est = pd.DataFrame([betas(*gen(rng, args.days)) for _ in range(args.reps)])
        for col in est:
            rows.append({"process": name, "estimator": col, "mean": est[col].mean(),
                         "sd": est[col].std(ddof=1), "bias": est[col].mean() - BETA,
                         "ols_limit": limit})
    out = pd.DataFrame(rows)
    print(f"true beta {BETA}; {args.reps} replications of {args.days} days\n")
    print(out.to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
