"""The lines of a synthetic-control pair, as plain text for the terminal and the notebook: its
fit with the top donors, and the ranks of its placebos in space
(:mod:`eventstudy.inference.placebo`). Reads results, computes nothing."""

from __future__ import annotations

from typing import Any

from eventstudy.present.cells import fnum

TOP_DONORS = 4  # weights shown; the JSON has them all


def synthetic_fit(fit: Any) -> str:
    """α, σ, R², the pre-event RMSPE, then (second line) the largest weights."""
    s = fit.synthetic
    top = s.top(TOP_DONORS)
    rest = int((s.weights > 0).sum()) - len(top)
    more = f" (+{rest} more)" if rest > 0 else ""
    weights = "  ".join(f"{name} {w:.3f}" for name, w in top)
    return (f"α = {fnum(fit.alpha * 100, '.3f')}%  σ = {fnum(fit.sigma * 100, '.3f')}%  "
            f"R² = {fnum(fit.r2, '.3f')}  pre-event RMSPE {fnum(s.rmspe_pre[0] * 100, '.3f')}%"
            f"\nweights: {weights}{more}")


def placebo_lines(fit: Any) -> str:
    """The placebo p-values: the RMSPE ratio's rank, then (second line) each CAR window's
    |CAR| rank."""
    s = fit.synthetic
    cars = "  ".join(f"({lo:+d},{hi:+d}) {fnum(p, '.3f')}"
                     for (lo, hi), p in zip(s.windows, s.p_car, strict=True))
    left = f", {len(s.left_out)} left out" if s.left_out else ""
    return (f"placebos in space: {s.n_placebos} donors{left} (p ≥ "
            f"{1 / (s.n_placebos + 1):.3f}); RMSPE post/pre {fnum(s.ratio[0], '.2f')}, "
            f"p {fnum(s.p_ratio, '.3f')}\n|CAR| rank p: {cars}")
