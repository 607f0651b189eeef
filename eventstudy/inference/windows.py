"""Abnormal returns day by day and CARs by window for many pairs at once (closed-form models).

Pairs are rows: ``r`` and ``m`` are P × L returns of the security and the benchmark over the
event window, ``span`` the sessions each return covers, ``valid`` where a pair has a return.
Each row's numbers are those of the pair alone to the last bit (the per-event study of one pair
calls these functions on one row): the arithmetic is elementwise, sums run over each row's own
returns in their order (rows whose windows keep the same days are summed together, as contiguous
rows), and σ̂² is each fit's σ̂ squared as Python squares it.

- AR = R − (α n + β R_m) (CLM 1997, eq. 4.4.7; n the sessions a return spans);
- Var(AR) = σ̂²[n + x*'(X'X)⁻¹x*] and Var(CAR) = γ'Vγ in closed form (CLM 1997, eq. 4.4.8-4.4.9
  and 4.4.13; :mod:`eventstudy.estimation.kernel`);
- t = AR / se and CAR / se, two-sided p from Student t with M − k df;
- BHAR = Π(1 + R) − Π(1 + E[R]) over the window in simple returns (Barber and Lyon 1997).

References
----------
.. [1] Campbell, J., Lo, A. and MacKinlay, A. C. (1997) *The Econometrics of Financial
   Markets*, Princeton University Press, §4.4.
.. [2] Barber, B. and Lyon, J. (1997) "Detecting long-run abnormal stock returns", Journal of
   Financial Economics 43(3), 341-372.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from eventstudy._typing import FloatArray, Window
from eventstudy.estimation import kernel
from eventstudy.estimation.models import ModelFit
from eventstudy.inference import abnormal

#: γ'Vγ of the rows ``rows`` over the columns ``cols`` (their valid returns in a window).
WindowVariance = Callable[[np.ndarray, np.ndarray], FloatArray]


@dataclass(frozen=True)
class Fits:
    """The fits of P pairs of one closed-form model, as columns (P × 1) for broadcasting."""

    model: str
    k: int
    alpha: FloatArray
    beta: FloatArray
    sigma_sq: FloatArray
    n_obs: FloatArray
    mean_m: FloatArray
    sxx: FloatArray
    df: FloatArray

    @classmethod
    def of(cls, fits: Sequence[ModelFit]) -> Fits:
        """Stack :class:`ModelFit` objects of one model."""
        def col(values: list[float]) -> FloatArray:
            return np.array(values, float).reshape(-1, 1)
        return cls(
            fits[0].model, fits[0].k, col([f.alpha for f in fits]), col([f.beta for f in fits]),
            col([f.sigma ** 2 for f in fits]), col([f.n_obs for f in fits]),
            col([f.mean_m for f in fits]), col([f.sxx for f in fits]),
            col([f.df for f in fits]),
        )

    def expected(self, m: FloatArray, span: FloatArray) -> FloatArray:
        """E[R] over ``span`` sessions given the benchmark's return ``m`` (ModelFit.expected)."""
        if self.model == "constant-mean":
            return self.alpha * span
        return self.alpha * span + self.beta * m


@dataclass(frozen=True)
class Days:
    """Per pair and day (P × L): AR, its se, t, p, E[R] and the running CAR."""

    ar: FloatArray
    se: FloatArray
    t_stat: FloatArray
    p: FloatArray
    expected: FloatArray
    car: FloatArray

    def row(self, i: int) -> Days:
        """Pair ``i``'s days (1-D views)."""
        return Days(*(getattr(self, f)[i] for f in self.__dataclass_fields__))


def days(r: FloatArray, expected: FloatArray, variance: FloatArray, df: FloatArray,
         valid: np.ndarray) -> Days:
    """AR = R − E[R], se = sqrt(Var(AR)), t, p, E[R] and CAR per day, from the model's E[R] and
    Var(AR) per day; NaN where a pair has no return."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ar = np.where(valid, r - expected, np.nan)
        se = np.where(valid, np.sqrt(variance), np.nan)
        t_stat = ar / se
        shown = np.where(valid, r - ar, np.nan)
    return Days(ar, se, t_stat, abnormal.two_sided_p(t_stat, df), shown,
                np.nancumsum(ar, axis=-1))


def closed_form_days(fits: Fits, r: FloatArray, m: FloatArray, span: FloatArray,
                     valid: np.ndarray) -> Days:
    """:func:`days` with E[R] = αn + βR_m and Var(AR) in closed form (CLM 1997, eq. 4.4.8)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        var = kernel.ar_variance(fits.sigma_sq, fits.k, fits.n_obs, fits.mean_m, fits.sxx,
                                 span, m)
    return days(r, fits.expected(m, span), var, fits.df, valid)


def closed_form_variance(fits: Fits, m: FloatArray, span: FloatArray) -> WindowVariance:
    """Var(CAR) in closed form (CLM 1997, eq. 4.4.13) of rows ``rows`` over columns ``cols``:
    from the sums of n and R_m over those returns (``m`` with NaN read as 0)."""
    def variance(rows: np.ndarray, cols: np.ndarray) -> FloatArray:
        pick = np.ix_(rows, cols)
        with np.errstate(invalid="ignore", divide="ignore"):
            return kernel.car_variance(fits.sigma_sq[rows, 0], fits.k, fits.n_obs[rows, 0],
                                       fits.mean_m[rows, 0], fits.sxx[rows, 0],
                                       span[pick].sum(axis=1), m[pick].sum(axis=1))
    return variance


@dataclass(frozen=True)
class Windows:
    """Per pair and CAR window (P × W): CAR, se, t, p, BHAR and the returns summed."""

    car: FloatArray
    se: FloatArray
    t_stat: FloatArray
    p: FloatArray
    bhar: FloatArray
    n_days: np.ndarray

    def rows(self, i: int) -> Windows:
        """Pair ``i``'s windows as a one-row Windows (views)."""
        return Windows(*(getattr(self, f)[i:i + 1] for f in self.__dataclass_fields__))


def _same_days(sel: np.ndarray) -> list[np.ndarray]:
    """The rows of ``sel`` (P × L) grouped by their pattern of True days."""
    if sel.shape[1] <= 62:  # each pattern as one integer
        codes = sel.astype(np.int64) @ (np.int64(1) << np.arange(sel.shape[1], dtype=np.int64))
        _, group = np.unique(codes, return_inverse=True)
    else:
        _, group = np.unique(sel, axis=0, return_inverse=True)
    group = group.ravel()
    order = np.argsort(group, kind="stable")
    return np.split(order, np.flatnonzero(np.diff(group[order])) + 1)


def windows(variance: WindowVariance, df: FloatArray, t: np.ndarray, ar: FloatArray,
            span: FloatArray, r: FloatArray, expected: FloatArray, spans: Sequence[Window],
            kind: str) -> Windows:
    """CAR = Σ AR over each window's valid returns, se = sqrt(γ'Vγ), t, p and BHAR.

    ``t`` holds the L offsets of the columns; ``variance(rows, cols)`` gives γ'Vγ of those rows
    over those columns (their valid returns in the window), ``df`` each row's M − k. A window
    without returns has CAR, se, t, p and BHAR NaN and ``n_days`` 0.
    """
    valid = np.isfinite(ar)
    shape = (len(ar), len(spans))
    car, se, bhar = np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, np.nan)
    n_days = np.zeros(shape, np.int64)
    for j, (lo, hi) in enumerate(spans):
        sel = valid & ((t >= lo) & (t <= hi))
        for rows in _same_days(sel):  # rows keeping the same days, summed together
            cols = np.flatnonzero(sel[rows[0]])
            if cols.size == 0:
                continue
            pick = np.ix_(rows, cols)
            car[rows, j] = ar[pick].sum(axis=1)
            s_n = span[pick].sum(axis=1)
            se[rows, j] = np.where(s_n == 0, np.nan, np.sqrt(variance(rows, cols)))
            simple_r = np.expm1(r[pick]) if kind == "log" else r[pick]
            simple_e = np.expm1(expected[pick]) if kind == "log" else expected[pick]
            if kind != "level":  # a buy-and-hold return exists only for returns
                bhar[rows, j] = np.prod(1 + simple_r, axis=1) - np.prod(1 + simple_e, axis=1)
            n_days[rows, j] = cols.size
    with np.errstate(invalid="ignore", divide="ignore"):
        t_stat = np.where(se > 0, car / np.where(se > 0, se, 1.0), np.nan)
    return Windows(car, se, t_stat, abnormal.two_sided_p(t_stat, df), bhar, n_days)
