"""Size and power of the aggregate tests, by simulation (not part of the fast test suite).

Each simulated study has N = 30 pairs, market-model returns R_it = α_i + β_i R_mt + ε_it with
M = 200 estimation days and an event window of L = 3 days (offsets -1, 0, +1); it is run
through the package's own vectorised core (:func:`eventstudy.inference.aggregate.all_tests`, batched
over studies), with OLS market models, prediction-error-corrected SE and the estimation
residuals as inputs, exactly as the per-event path feeds it. Scenarios:

- ``H0 indep``: independent pairs, each on its own calendar date (own market series, own day 0,
  day 0s 10 sessions apart: event windows disjoint); r̄ is then 0 by construction and the
  portfolio test undefined (no common date).
- ``H0 common``: one common event date (one market series), independent residuals (ρ = 0).
- ``H0 ρ=0.3``: one common date, residuals equicorrelated with ρ = 0.3 (a common factor).
- ``+1% ρ=0`` / ``+1% ρ=0.3``: as ``H0 common`` / ``H0 ρ=0.3`` with +1 % added to every
  pair's return on day 0 (power; the CAR(-1,+1) carries the same +1 %).
- ``H0 overlapping windows`` (:func:`simulate_staggered`): one calendar, one market series,
  residuals equicorrelated on each calendar date (ρ = 0.3), but each pair's day 0 drawn from
  5 consecutive sessions, event window (-5, +5): CAR(-1,+1) windows overlap partly or not at
  all, CAR(-5,+5) windows by 7 to 11 of their 11 days. r̄ of a CAR window is weighted by the
  overlap τ_ij / L (Kolari, Pape and Pynnönen 2018); the diagnostic rows "…, same-day-0 r̄"
  give the KP tests with the r̄ counting only pairs with the same day 0 (before KPP 2018).

β_i ~ U(0.5, 1.5), σ_i ~ U(1 %, 3 %), α_i = 0, R_m ~ N(0.05 %, 1 %) per day, normal errors.
Prints the rejection rate at 5 % (two-sided) of each test on day 0 and on each scenario's CAR
windows as a markdown table and writes it to benchmarks/size_power.md.

Run: ``python benchmarks/size_power.py [--studies 4000] [--seed 1]``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from eventstudy.inference import significance as sig
from eventstudy.inference.aggregate import TEST_ORDER, PairArrays, all_tests
from eventstudy.inference.dependence import event_days, overlap_correlation

N, M, L = 30, 200, 3
OFFSETS = np.array([-1, 0, 1])
WINDOW = (-1, 1)
GRANK_R = "grank_t, S_SCAR/√(1−r̄) (diagnostic)"
OLD_R = ("adj_patell_z, same-day-0 r̄ (diagnostic)", "kp_bmp_t, same-day-0 r̄ (diagnostic)")
ROWS = (*TEST_ORDER, GRANK_R, *OLD_R)
SCENARIOS = {
    "H0 indep": {"common": False, "rho": 0.0, "effect": 0.0},
    "H0 common": {"common": True, "rho": 0.0, "effect": 0.0},
    "H0 ρ=0.3": {"common": True, "rho": 0.3, "effect": 0.0},
    "+1% ρ=0": {"common": True, "rho": 0.0, "effect": 0.01},
    "+1% ρ=0.3": {"common": True, "rho": 0.3, "effect": 0.01},
    "H0 overlapping windows": {"stagger": 5, "rho": 0.3, "effect": 0.0},
}
#: The event window and CAR windows of the staggered scenario (the others: OFFSETS, WINDOW).
STAGGER_OFFSETS, STAGGER_WINDOWS = np.arange(-5, 6), ((-1, 1), (-5, 5))


def simulate(rng: np.random.Generator, studies: int, common: bool, rho: float, effect: float
             ) -> tuple[PairArrays, np.ndarray]:
    """``studies`` simulated studies as one batched PairArrays (batch axis first)."""
    days = M + L
    shape_m = (studies, 1, days) if common else (studies, N, days)
    m = rng.normal(0.0005, 0.01, shape_m)
    beta = rng.uniform(0.5, 1.5, (studies, N, 1))
    sigma = rng.uniform(0.01, 0.03, (studies, N, 1))
    e = rng.standard_normal((studies, N, days))
    if rho:
        f = rng.standard_normal((studies, 1, days))
        e = np.sqrt(rho) * f + np.sqrt(1 - rho) * e
    r = beta * m + sigma * e
    r[:, :, M + 1] += effect  # day 0
    m = np.broadcast_to(m, r.shape)
    me, re = m[..., :M], r[..., :M]
    m_bar, r_bar = me.mean(-1, keepdims=True), re.mean(-1, keepdims=True)
    sxx = ((me - m_bar) ** 2).sum(-1, keepdims=True)
    b = ((me - m_bar) * (re - r_bar)).sum(-1, keepdims=True) / sxx
    a = r_bar - b * m_bar
    resid = re - a - b * me
    s = np.sqrt((resid**2).sum(-1) / (M - 2))  # (S, N)
    mw = m[..., M:]
    ar = r[..., M:] - a - b * mw
    se = s[..., None] * np.sqrt(1 + 1 / M + (mw - m_bar) ** 2 / sxx)
    car = ar.sum(-1, keepdims=True)
    car_se = s[..., None] * np.sqrt(L + L**2 / M + (mw - m_bar).sum(-1, keepdims=True) ** 2 / sxx)
    day0 = np.zeros((studies, N)) if common else np.broadcast_to(10 * np.arange(N), (studies, N))
    arrays = PairArrays(
        offsets=OFFSETS, ar=ar, se=se, windows=(WINDOW,), car=car, car_se=car_se,
        df=np.full((studies, N), M - 2.0), sigma=s, k=np.full((studies, N), 2.0),
        estimation_offsets=np.arange(-M - 10, -10), estimation_ar=resid, residuals=resid,
        day0=day0,
    )
    return arrays, resid


def simulate_staggered(rng: np.random.Generator, studies: int, stagger: int, rho: float,
                       effect: float) -> tuple[PairArrays, np.ndarray]:
    """Studies on one calendar (one market, one factor) whose pairs' day 0s are drawn from
    ``stagger`` consecutive sessions: pair i's estimation window is calendar days
    [d_i, d_i + M), its event window the next 11 (offsets -5..+5), residuals by calendar date."""
    n_off = len(STAGGER_OFFSETS)
    days = stagger - 1 + M + n_off
    m = rng.normal(0.0005, 0.01, (studies, 1, days))
    beta = rng.uniform(0.5, 1.5, (studies, N, 1))
    sigma = rng.uniform(0.01, 0.03, (studies, N, 1))
    e = rng.standard_normal((studies, N, days))
    f = rng.standard_normal((studies, 1, days))
    e = np.sqrt(rho) * f + np.sqrt(1 - rho) * e
    start = rng.integers(0, stagger, (studies, N))  # d_i: day 0 is calendar day d_i + M + 5
    at = start[..., None] + np.arange(M + n_off)  # each pair's own days, estimation then event
    r = np.take_along_axis(beta * m + sigma * e, at, axis=-1)
    r[:, :, M + 5] += effect  # day 0
    m = np.take_along_axis(np.broadcast_to(m, e.shape), at, axis=-1)
    me, re = m[..., :M], r[..., :M]
    m_bar, r_bar = me.mean(-1, keepdims=True), re.mean(-1, keepdims=True)
    sxx = ((me - m_bar) ** 2).sum(-1, keepdims=True)
    b = ((me - m_bar) * (re - r_bar)).sum(-1, keepdims=True) / sxx
    resid = re - (r_bar - b * m_bar) - b * me
    s = np.sqrt((resid**2).sum(-1) / (M - 2))
    mw = m[..., M:]
    ar = r[..., M:] - (r_bar - b * m_bar) - b * mw
    se = s[..., None] * np.sqrt(1 + 1 / M + (mw - m_bar) ** 2 / sxx)
    car, car_se = [], []
    for lo, hi in STAGGER_WINDOWS:
        sel, length = (STAGGER_OFFSETS >= lo) & (STAGGER_OFFSETS <= hi), hi - lo + 1
        car.append(ar[..., sel].sum(-1))
        car_se.append(s * np.sqrt(length + length**2 / M
                                  + (mw[..., sel] - m_bar).sum(-1) ** 2 / sxx[..., 0]))
    by_date = np.full((studies, N, days), np.nan)
    np.put_along_axis(by_date, at[..., :M], resid, axis=-1)
    arrays = PairArrays(
        offsets=STAGGER_OFFSETS, ar=ar, se=se, windows=STAGGER_WINDOWS,
        car=np.stack(car, -1), car_se=np.stack(car_se, -1),
        df=np.full((studies, N), M - 2.0), sigma=s, k=np.full((studies, N), 2.0),
        estimation_offsets=np.arange(-M - 5, -5), estimation_ar=resid, residuals=by_date,
        day0=(start + M + 5).astype(float),
    )
    return arrays, by_date


def rejection_rates(studies: int, seed: int, chunk: int = 250) -> dict[str, dict[str, tuple]]:
    rng = np.random.default_rng(seed)
    out: dict[str, dict[str, tuple]] = {}
    for name, spec in SCENARIOS.items():
        rej: dict[str, list] = {k: [] for k in ROWS}  # (studies, 1 + windows) p per chunk
        r_bars, r_old = [], []
        make = simulate_staggered if "stagger" in spec else simulate
        for start in range(0, studies, chunk):
            arrays, by_date = make(rng, min(chunk, studies - start), **spec)
            days = event_days(arrays.day0, arrays.offsets)
            r_bar, _, r_car = overlap_correlation(by_date, arrays.day0, days, arrays.offsets,
                                                  arrays.windows)
            day, car = all_tests(arrays, r_bar=r_bar, r_bar_car=r_car)
            d0 = int(np.flatnonzero(np.asarray(arrays.offsets) == 0)[0])
            r_bars.append(np.column_stack([r_bar, r_car]))
            r_old.append(r_bar)
            for k in TEST_ORDER:
                rej[k].append(np.column_stack([day[k].p[:, d0], car[k].p]))
            # diagnostic, not a methods.md key: grank_t with S_SCAR corrected by √(1 − r̄)
            est = arrays.estimation_ar / arrays.sigma[..., None]
            scar = arrays.car / arrays.car_se
            rej[GRANK_R].append(np.column_stack([
                sig.grank_t(est, arrays.ar / arrays.se, r_bar).p[:, d0],
                sig.grank_t(est, scar, r_car).p]))
            # diagnostic: the KP tests with the same-day-0 r̄ for CAR windows (before KPP 2018)
            rej[OLD_R[0]].append(np.column_stack([
                day["adj_patell_z"].p[:, d0], sig.adj_patell_z(scar, arrays.df, r_bar).p]))
            rej[OLD_R[1]].append(np.column_stack([day["kp_bmp_t"].p[:, d0],
                                                  sig.kp_bmp_t(scar, r_bar).p]))
        out[name] = {"r_bar": tuple(np.concatenate(r_bars).mean(axis=0)),
                     "r_bar_old": float(np.concatenate(r_old).mean()),
                     "windows": tuple(arrays.windows)}
        for k in ROWS:
            out[name][k] = tuple(_rate(p) for p in np.concatenate(rej[k]).T)
    return out


def _rate(p: np.ndarray) -> float:
    ok = np.isfinite(p)
    return float(np.mean(p[ok] < 0.05)) if ok.any() else float("nan")


def _car(window: tuple[int, int]) -> str:
    return f"CAR({window[0]:+d},{window[1]:+d})".replace("-", "−")


def table(res: dict[str, dict[str, tuple]], studies: int, seed: int, seconds: float) -> str:
    names = list(SCENARIOS)
    head = "| test | " + " | ".join(" | ".join([f"{n} day 0"] + [f"{n} {_car(w)}" for w in
                                                                 res[n]["windows"]])
                                   for n in names) + " |"
    n_cols = sum(1 + len(res[n]["windows"]) for n in names)
    lines = [
        f"Rejection rate at 5 % (two-sided), {studies} simulated studies per scenario, N = {N}, "
        f"M = {M}, L = {L} (H0 overlapping windows: event window (−5,+5), day 0s staggered "
        f"over 5 sessions), seed {seed}; {seconds:.0f} s. Size band: [3.5 %, 6.5 %]. "
        "– = undefined (no common date).",
        "",
        head,
        "|---|" + "---:|" * n_cols,
    ]
    for k in ROWS:
        cells = []
        for n in names:
            for v in res[n][k]:
                flag = ""
                if n.startswith("H0") and np.isfinite(v) and not 0.035 <= v <= 0.065:
                    flag = " ⚠"
                cells.append("–" if not np.isfinite(v) else f"{100 * v:.1f}{flag}")
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    lines.append("| mean r̄ (CAR: overlap-weighted) | " + " | ".join(
        " | ".join(f"{r:.3f}" for r in res[n]["r_bar"]) for n in names) + " |")
    lines.append("| mean r̄, same day 0 only (diagnostic) | " + " | ".join(
        " | ".join([f"{res[n]['r_bar_old']:.3f}"] * len(res[n]["r_bar"])) for n in names) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    t0 = time.perf_counter()
    res = rejection_rates(args.studies, args.seed)
    text = table(res, args.studies, args.seed, time.perf_counter() - t0)
    print(text)
    out = Path(__file__).with_name("size_power.md")
    kept = out.read_text(encoding="utf-8") if out.exists() else ""
    volume = kept[kept.index(VOLUME_SECTION):] if VOLUME_SECTION in kept else ""
    out.write_text("# Size and power of the aggregate tests\n\nMade by `python "
                   "benchmarks/size_power.py` (see its docstring for the design).\n\n"
                   + text + "\n\n" + reading(res) + "\n" + ("\n" + volume if volume else ""),
                   encoding="utf-8")


#: The section benchmarks/volume_volatility_size.py's results live under (kept on a rerun).
VOLUME_SECTION = "## Volume and volatility tests"


def reading(res: dict[str, dict[str, tuple]]) -> str:
    """What the table says: tests outside the size band, by scenario."""
    lines = ["## Reading", ""]
    for name in (n for n in SCENARIOS if n.startswith("H0")):
        bad = [k for k in ROWS if any(np.isfinite(v) and not 0.035 <= v <= 0.065
                                      for v in res[name][k])]
        lines.append(f"- {name}: " + ("every test within [3.5 %, 6.5 %]." if not bad else
                                      "outside [3.5 %, 6.5 %]: " + ", ".join(bad) + "."))
    lines += [
        "- With a common date and ρ = 0.3, the tests whose variance assumes independent pairs "
        "(csect_t, patell_z, bmp_t, j1, j2, skew_t, sign_z, gsign_z, wilcoxon_z) reject a true "
        "H0 about half the time; kp_bmp_t, adj_patell_z (r̄ scaling), cda_t, portfolio_t and "
        "rank_z (time-series variance of the mean) keep their size.",
        "- grank_t as published (KP 2011) over-rejects mildly at ρ = 0.3: it re-standardizes "
        "SCAR by its cross-sectional sd, which shrinks by (1 − ρ) under cross-correlation (the "
        "reason for KP 2010's (1 − r̄) factor in kp_bmp_t); the diagnostic row divides that sd "
        "by √(1 − r̄) and keeps the size. The shrinkage, and the over-rejection, fall with ρ.",
        "- Power at +1 % on day 0 falls from ~75–85 % (ρ = 0) to ~15 % (ρ = 0.3) for the valid "
        "tests: 30 equicorrelated pairs carry the information of about 1/ρ independent ones. "
        "The +1 % ρ = 0.3 rates of the tests that over-reject under H0 are not power.",
    ]
    over = res.get("H0 overlapping windows")
    if over is not None:
        def pct(key: str) -> str:
            return " / ".join(f"{100 * v:.1f}" for v in over[key][1:])

        cars = " / ".join(_car(w) for w in over["windows"])
        lines.append(
            f"- Overlapping windows (day 0s staggered over 5 sessions, ρ = 0.3 on each date), "
            f"{cars}: with r̄ weighted by the overlap τ/L (Kolari, Pape and Pynnönen 2018; "
            f"mean r̄ {' / '.join(f'{r:.3f}' for r in over['r_bar'][1:])}) adj_patell_z "
            f"rejects {pct('adj_patell_z')} % and kp_bmp_t {pct('kp_bmp_t')} %; with the "
            f"same-day-0 r̄ ({over['r_bar_old']:.3f}) they reject {pct(OLD_R[0])} % and "
            f"{pct(OLD_R[1])} %. On day 0 the two r̄ are one. On CAR windows cda_t "
            f"({pct('cda_t')} %), rank_z ({pct('rank_z')} %) and grank_t ({pct('grank_t')} %) "
            "over-reject: no r̄ enters them, and their time series of the event-time mean (of "
            "ARs, of ranks) treats a window's days as uncorrelated, which staggered dates make "
            "false (days a few offsets apart share calendar dates). Their robustness is for one "
            "common date; portfolio_t needs one.")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
