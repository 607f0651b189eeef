"""Compiled twin of :func:`eventstudy.study.batch.spans.respan` (numba), imported lazily with
:mod:`eventstudy.estimation._jit` by the compiled batch engine: the event windows whose returns
span missing prices, read trade to trade in one pass per pair.

References
----------
.. [1] Maynes, E. and Rumsey, J. (1993) "Conducting event studies with thinly traded stocks",
   Journal of Banking & Finance 17(1), 145-157.
.. [2] Campbell, J., Lo, A. and MacKinlay, A. C. (1997) *The Econometrics of Financial
   Markets*, Princeton University Press, §4.4.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from eventstudy.estimation._jit import (
    _OPTIONS,
    CONSTANT_MEAN,
    MARKET,
    MARKET_ADJUSTED,
    prediction_variance,
)


@njit(**_OPTIONS)
def respan(raw, anchor, s, b, d, rows, first, win0, length, model, k, simple, alpha, beta,
           sig2, n_obs, mean_m, sxx, ar, se, car, car_var, n_days):  # pragma: no cover
    """The event windows of the pairs at ``rows``, trade to trade (as
    :func:`eventstudy.study.batch.spans.respan`): each window session where the security and
    (but for the constant mean) the benchmark are priced carries the return since the previous
    such session, searched back to offset ``first`` (the session before the estimation
    window), over ``span`` sessions (a column is priced where it has a return, and on its
    first price's session, ``anchor``); AR = R − (span·α + β·R_m) and Var(AR) = σ̂²[span +
    span²/M + (R_m − span·R̄_m)²/S_xx] (market; CLM 1997 eq. 4.4.8 with D = diag(span)).
    Writes the rows of those pairs only (``ar`` and ``se`` of one row: the call's scratch, the
    paths not kept).
    """
    n_rows = raw.shape[1]
    one_row = ar.shape[0] == 1
    for i in range(rows.size):
        p = rows[i]
        sc = s[p]
        bc = b[p]
        a = alpha[p]
        bt = beta[p]
        s2 = sig2[p]
        n = float(n_obs[p])
        mm = mean_m[p]
        ratio = s2 / sxx[p] if model == MARKET else 0.0
        # the last session before the window both are priced on (searched back to ``first``)
        prev = -1
        for q in range(d[p] + win0 - 1, d[p] + first - 1, -1):
            if 0 <= q < n_rows and _priced(raw, anchor, sc, q) and (
                    model == CONSTANT_MEAN or _priced(raw, anchor, bc, q)):
                prev = q
                break
        l_s = 0.0  # running log levels since ``prev``
        l_b = 0.0
        prev_s = 0.0
        prev_b = 0.0
        total = 0.0
        m_sum = 0.0
        span_sum = 0.0
        days = 0
        for q in range(prev + 1 if prev >= 0 else d[p] + win0, d[p] + win0 + length):
            j = q - d[p] - win0  # column of the event window (negative: before it)
            inside = 0 <= q < n_rows
            x = raw[sc, q] if inside else np.nan
            y = raw[bc, q] if inside else np.nan
            if x == x:
                l_s += np.log1p(x) if simple else x
            if y == y:
                l_b += np.log1p(y) if simple else y
            both = (inside and (x == x or q == anchor[sc])
                    and (model == CONSTANT_MEAN or y == y or q == anchor[bc]))
            row = 0 if one_row else p
            if j >= 0:
                ar[row, j] = np.nan
                se[row, j] = np.nan
            if not both:
                continue
            if j >= 0 and prev >= 0:
                span = float(q - prev)
                if span == 1.0:  # one session: the values given
                    r_q = x
                    m_q = y
                else:
                    r_q = l_s - prev_s
                    m_q = l_b - prev_b
                    if simple:
                        r_q = np.expm1(r_q)
                        m_q = np.expm1(m_q)
                if model == CONSTANT_MEAN:
                    e = r_q - span * a
                    m_q = 0.0
                elif model == MARKET_ADJUSTED:
                    e = r_q - m_q
                else:
                    e = r_q - (span * a + bt * m_q)
                ar[row, j] = e
                se[row, j] = np.sqrt(prediction_variance(model, k, s2, n, span, m_q, mm, ratio))
                days += 1
                total += e
                m_sum += m_q
                span_sum += span
            prev = q
            prev_s = l_s
            prev_b = l_b
        n_days[p] = days
        if days == 0:
            car[p] = np.nan
            car_var[p] = np.nan
            continue
        car[p] = total
        car_var[p] = prediction_variance(model, k, s2, n, span_sum, m_sum, mm, ratio)


@njit(inline="always", **_OPTIONS)
def _priced(raw, anchor, col, q):  # pragma: no cover - compiled
    """A price on session ``q``: a return there, or the first price's session."""
    x = raw[col, q]
    return x == x or q == anchor[col]
