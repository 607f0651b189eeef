"""Size and power of the aggregate tests, by simulation (not part of the fast test suite).

Each simulated study has N = 30 pairs, market-model returns R_it = α_i + β_i R_mt + ε_it with
M = 200 estimation days and an event window of L = 3 days (offsets -1, 0, +1); it is run
through the package's own vectorised core (:func:`eventstudy.inference.aggregate.all_tests`, batched
over studies), with OLS market models, prediction-error-corrected SE and the estimation
residuals as inputs, exactly as the per-event path feeds it. Scenarios:

- ``H0 indep``: independent pairs, each on its own calendar date (own market series, own day 0);
  r̄ is then 0 by construction and the portfolio test undefined (no common date).
- ``H0 common``: one common event date (one market series), independent residuals (ρ = 0).
- ``H0 ρ=0.3``: one common date, residuals equicorrelated with ρ = 0.3 (a common factor).
- ``+1% ρ=0`` / ``+1% ρ=0.3``: as ``H0 common`` / ``H0 ρ=0.3`` with +1 % added to every
  pair's return on day 0 (power; the CAR(-1,+1) carries the same +1 %).

β_i ~ U(0.5, 1.5), σ_i ~ U(1 %, 3 %), α_i = 0, R_m ~ N(0.05 %, 1 %) per day, normal errors.
Prints the rejection rate at 5 % (two-sided) of each test on day 0 and on CAR(-1,+1) as a
markdown table and writes it to benchmarks/size_power.md.

Run: ``python benchmarks/size_power.py [--studies 4000] [--seed 1]``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from eventstudy.inference import significance as sig
from eventstudy.inference.aggregate import TEST_ORDER, PairArrays, all_tests, residual_correlation

N, M, L = 30, 200, 3
OFFSETS = np.array([-1, 0, 1])
WINDOW = (-1, 1)
GRANK_R = "grank_t, S_SCAR/√(1−r̄) (diagnostic)"
ROWS = (*TEST_ORDER, GRANK_R)
SCENARIOS = {
    "H0 indep": {"common": False, "rho": 0.0, "effect": 0.0},
    "H0 common": {"common": True, "rho": 0.0, "effect": 0.0},
    "H0 ρ=0.3": {"common": True, "rho": 0.3, "effect": 0.0},
    "+1% ρ=0": {"common": True, "rho": 0.0, "effect": 0.01},
    "+1% ρ=0.3": {"common": True, "rho": 0.3, "effect": 0.01},
}


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
    day0 = np.zeros((studies, N)) if common else np.broadcast_to(np.arange(N), (studies, N))
    arrays = PairArrays(
        offsets=OFFSETS, ar=ar, se=se, windows=(WINDOW,), car=car, car_se=car_se,
        df=np.full((studies, N), M - 2.0), sigma=s, k=np.full((studies, N), 2.0),
        estimation_offsets=np.arange(-M - 10, -10), estimation_ar=resid, residuals=resid,
        day0=day0,
    )
    return arrays, residual_correlation(resid, day0)[0]


def rejection_rates(studies: int, seed: int, chunk: int = 250) -> dict[str, dict[str, tuple]]:
    rng = np.random.default_rng(seed)
    out: dict[str, dict[str, tuple]] = {}
    for name, spec in SCENARIOS.items():
        rej_day = {k: [] for k in ROWS}
        rej_car = {k: [] for k in ROWS}
        r_bars = []
        for start in range(0, studies, chunk):
            arrays, r_bar = simulate(rng, min(chunk, studies - start), **spec)
            day, car = all_tests(arrays)
            r_bars.append(r_bar)
            for k in TEST_ORDER:
                rej_day[k].append(day[k].p[:, 1])  # day 0
                rej_car[k].append(car[k].p[:, 0])
            # diagnostic, not a methods.md key: grank_t with S_SCAR corrected by √(1 − r̄)
            est = arrays.estimation_ar / arrays.sigma[..., None]
            rej_day[GRANK_R].append(sig.grank_t(est, arrays.ar / arrays.se, r_bar).p[:, 1])
            rej_car[GRANK_R].append(sig.grank_t(est, arrays.car / arrays.car_se, r_bar).p[:, 0])
        out[name] = {"r_bar": float(np.mean(np.concatenate(r_bars)))}
        for k in ROWS:
            pd_, pc = np.concatenate(rej_day[k]), np.concatenate(rej_car[k])
            out[name][k] = (_rate(pd_), _rate(pc))
    return out


def _rate(p: np.ndarray) -> float:
    ok = np.isfinite(p)
    return float(np.mean(p[ok] < 0.05)) if ok.any() else float("nan")


def table(res: dict[str, dict[str, tuple]], studies: int, seed: int, seconds: float) -> str:
    names = list(SCENARIOS)
    head = "| test | " + " | ".join(f"{n} day 0 | {n} CAR(−1,+1)" for n in names) + " |"
    lines = [
        f"Rejection rate at 5 % (two-sided), {studies} simulated studies per scenario, N = {N}, "
        f"M = {M}, L = {L}, seed {seed}; {seconds:.0f} s. Size band: [3.5 %, 6.5 %]. "
        "– = undefined (no common date).",
        "",
        head,
        "|---|" + "---:|" * (2 * len(names)),
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
    lines.append("| mean r̄ | " + " | ".join(f"{res[n]['r_bar']:.3f} | {res[n]['r_bar']:.3f}"
                                            for n in names) + " |")
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
    return "\n".join(lines)


if __name__ == "__main__":
    main()
