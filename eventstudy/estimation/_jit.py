"""Compiled kernels of the batch engine (numba), imported lazily by :mod:`eventstudy.study.batch`.

The same formulas as :mod:`eventstudy.estimation.kernel` (closed forms of CLM 1997, §4.3-4.4),
written as loops so that one pass per (security, benchmark) combo builds its running sums and one
pass per pair reads its estimation sums, fits the model and fills its event window, with no
intermediate arrays. Importing this module imports numba: never do it at ``import
eventstudy`` (the CLI's cold start must not pay for it).

Notes
-----
Per combo, the series are centred first as :mod:`eventstudy.study.batch` does: r' = r − c_r with
c_r the security's mean over the rows where both returns are present, m' = m − c_m with c_m
the benchmark's mean over its own returns; the running sums are of the joint-valid count, r',
m', r'm', m'², r'² (market); count, r', r'² (constant mean); count, (r − m)², r² (market
adjusted, raw). A combo with few pairs (their windows cover at most the rows of the index)
sums each pair's window directly, with the pair's own means as centres, as the numpy path
does. Each call works on a range of combos and writes only the rows of their pairs, so calls
may run on several threads (``nogil``) with bit-identical results.

References
----------
.. [1] Campbell, J., Lo, A. and MacKinlay, A. C. (1997) *The Econometrics of Financial
   Markets*, Princeton University Press, §4.3-4.4.
"""

from __future__ import annotations

import numpy as np
from numba import njit

MARKET, CONSTANT_MEAN, MARKET_ADJUSTED = 0, 1, 2
ZERO_VARIANCE = 1e-14  # kernel.ZERO_VARIANCE
OK, FEW, FLAT_M, FLAT_R, EMPTY = 0, 6, 7, 8, 9  # batching's codes

_OPTIONS = {"cache": True, "nogil": True, "error_model": "numpy"}


@njit(**_OPTIONS)
def group(inverse, n_combos):  # pragma: no cover - compiled
    """Counting sort of the pairs by combo: (order, starts), stable."""
    starts = np.zeros(n_combos + 1, np.int64)
    for i in range(inverse.size):
        starts[inverse[i] + 1] += 1
    for c in range(n_combos):
        starts[c + 1] += starts[c]
    fill = starts[:-1].copy()
    order = np.empty(inverse.size, np.int64)
    for i in range(inverse.size):
        c = inverse[i]
        order[fill[c]] = i
        fill[c] += 1
    return order, starts


@njit(**_OPTIONS)
def _direct(r, m, lo, length, model, w):  # pragma: no cover - compiled
    """Sums over one pair's window (rows lo .. lo + length − 1), own means as centres."""
    n = 0.0
    sr = 0.0
    sm = 0.0
    for q in range(lo, lo + length):
        x = r[q]
        y = m[q]
        if x != x or (model != CONSTANT_MEAN and y != y):
            continue
        n += 1.0
        sr += x
        sm += y
    for i in range(8):
        w[i] = 0.0
    w[0] = n
    if model == MARKET_ADJUSTED:
        for q in range(lo, lo + length):
            x = r[q]
            y = m[q]
            if x != x or y != y:
                continue
            dev = x - y
            w[1] += dev * dev
            w[2] += x * x
        return
    count = max(n, 1.0)
    c_r = sr / count
    c_m = sm / count if model == MARKET else 0.0
    w[6] = c_r
    w[7] = c_m
    for q in range(lo, lo + length):
        x = r[q]
        y = m[q]
        if x != x or (model != CONSTANT_MEAN and y != y):
            continue
        a = x - c_r
        w[1] += a
        if model == MARKET:
            b = y - c_m
            w[2] += b
            w[3] += a * b
            w[4] += b * b
            w[5] += a * a
        else:
            w[2] += a * a


@njit(**_OPTIONS)
def _prefix(r, m, model, prefix):  # pragma: no cover - compiled
    """Running sums of one combo (rows 0..n_rows, prefix[:, q] = sums before row q).

    Returns the centres (c_r, c_m).
    """
    n_rows = r.size
    c_r = 0.0
    c_m = 0.0
    if model != MARKET_ADJUSTED:
        n = 0.0
        s = 0.0
        n_m = 0.0
        s_m = 0.0
        for q in range(n_rows):
            x = r[q]
            y = m[q]
            if model == MARKET and y == y:
                n_m += 1.0
                s_m += y
            if x != x or (model == MARKET and y != y):
                continue
            n += 1.0
            s += x
        c_r = s / max(n, 1.0)
        if model == MARKET:
            c_m = s_m / max(n_m, 1.0)
    if model == MARKET:
        _prefix_market(r, m, c_r, c_m, prefix)
    else:
        _prefix_single(r, m, c_r, model, prefix)
    return c_r, c_m


@njit(inline="always", **_OPTIONS)
def _pair(w, p, r, m, start, length, model, k, min_obs, n_obs, alpha, beta, sig2, mean_m,
          sxx, r2, ar, se, car, car_var, n_days, code):  # pragma: no cover - compiled
    """Fit of one pair from its sums ``w`` and its event window from row ``start``."""
    n = w[0]
    n_obs[p] = np.int64(n)
    nan = np.nan
    if model == MARKET:
        sr, sm, srm, smm, srr, c_r, c_m = w[1], w[2], w[3], w[4], w[5], w[6], w[7]
        dr = sr / n
        dm = sm / n
        s_xx = smm - sm * dm
        sxy = srm - sr * dm
        syy = srr - sr * dr
        b = sxy / s_xx if s_xx > 0 else nan
        mm = c_m + dm
        a = (c_r + dr) - b * mm
        x = syy - b * sxy
        ssr = x if (x != x or x > 0.0) else 0.0
        raw_mm = smm + c_m * (2.0 * sm + n * c_m)
        mean_mm = raw_mm / n
        if not mean_mm >= 1e-300:
            mean_mm = mean_mm if mean_mm != mean_mm else 1e-300
        flat_m = not (s_xx > ZERO_VARIANCE * mean_mm * n)
        raw_rr = srr + c_r * (2.0 * sr + n * c_r)
        rsq = 1.0 - ssr / syy if syy > 0 else nan
    elif model == CONSTANT_MEAN:
        sr, srr, c_r = w[1], w[2], w[6]
        dr = sr / n
        x = srr - sr * dr
        ssr = x if (x != x or x > 0.0) else 0.0
        a = c_r + dr
        b = nan
        mm = nan
        s_xx = nan
        rsq = nan
        flat_m = False
        raw_rr = srr + c_r * (2.0 * sr + n * c_r)
    else:
        a = 0.0
        b = 1.0
        ssr = w[1]
        raw_rr = w[2]
        mm = nan
        s_xx = nan
        rsq = nan
        flat_m = False
    s2 = ssr / (n - k)
    scale = raw_rr / n if raw_rr > 0 else 1.0
    flat_r = (not (ssr / n > ZERO_VARIANCE * scale)) or ssr == 0.0
    if not n >= min_obs:
        reason = FEW
    elif flat_m:
        reason = FLAT_M
    elif flat_r:
        reason = FLAT_R
    else:
        reason = OK
    if reason != OK:  # the caller clears the rows of excluded pairs
        code[p] = reason
        return
    alpha[p] = a
    beta[p] = b
    sig2[p] = s2
    mean_m[p] = mm
    sxx[p] = s_xx
    r2[p] = rsq
    if k == 0:
        base = s2 * 1.0
    else:
        base = s2 * (1.0 + 1.0 * 1.0 / n)
    ratio = s2 / s_xx
    row = p if ar.shape[0] > 1 else 0  # one row: the caller's scratch (no paths kept)
    a_row = ar[row]
    s_row = se[row]
    for j in range(length):  # no branch: vectorisable (0·AR is NaN where AR is)
        x = r[start + j]
        y = m[start + j]
        if model == CONSTANT_MEAN:
            e = x - a
        elif model == MARKET_ADJUSTED:
            e = x - y
        else:
            e = x - (y * b + a)
        a_row[j] = e
        if model == MARKET:
            v = y - 1.0 * mm
            v = v * v * ratio + base
        else:
            v = base
        s_row[j] = np.sqrt(v + 0.0 * e)
    days = 0
    total = 0.0
    m_sum = 0.0
    for j in range(length):
        e = a_row[j]
        if e == e:
            days += 1
            total += e
            if model == MARKET:
                m_sum += m[start + j]
    n_days[p] = days
    if days == 0:
        code[p] = EMPTY
        return
    car[p] = total
    car_var[p] = prediction_variance(model, k, s2, n, float(days), m_sum, mm, ratio)


@njit(inline="always", **_OPTIONS)
def prediction_variance(model, k, s2, n, span, m, mm, ratio):  # pragma: no cover - compiled
    """σ̂²[span + span²/M + (R_m − span·R̄_m)²/S_xx] (the last term for the market model
    only, no estimation term for k = 0), ``ratio`` = σ̂²/S_xx: Var(AR) of a return over
    ``span`` sessions, or Var(CAR) with the window's sums (CLM 1997, eq. 4.4.8-4.4.13;
    :func:`eventstudy.estimation.kernel.ar_variance`)."""
    if k == 0:
        v = s2 * span
    else:
        v = s2 * (span + span * span / n)
    if model == MARKET:
        t = m - span * mm
        v = t * t * ratio + v
    return v


@njit(**_OPTIONS)
def _prefix_market(r, m, c_r, c_m, prefix):  # pragma: no cover - compiled
    """Running sums of the count, r', m', r'm', m'², r'² over the joint-valid rows."""
    n = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    s4 = 0.0
    s5 = 0.0
    p0, p1, p2, p3, p4, p5 = prefix[0], prefix[1], prefix[2], prefix[3], prefix[4], prefix[5]
    p0[0] = p1[0] = p2[0] = p3[0] = p4[0] = p5[0] = 0.0
    for q in range(r.size):
        x = r[q]
        y = m[q]
        if x == x and y == y:
            a = x - c_r
            b = y - c_m
            n += 1.0
            s1 += a
            s2 += b
            s3 += a * b
            s4 += b * b
            s5 += a * a
        p0[q + 1] = n
        p1[q + 1] = s1
        p2[q + 1] = s2
        p3[q + 1] = s3
        p4[q + 1] = s4
        p5[q + 1] = s5


@njit(**_OPTIONS)
def _prefix_single(r, m, c_r, model, prefix):  # pragma: no cover - compiled
    """Running sums of the count, r', r'² (constant mean) or count, (r − m)², r²."""
    n = 0.0
    s1 = 0.0
    s2 = 0.0
    p0, p1, p2 = prefix[0], prefix[1], prefix[2]
    p0[0] = p1[0] = p2[0] = 0.0
    if model == CONSTANT_MEAN:
        for q in range(r.size):
            x = r[q]
            if x == x:
                a = x - c_r
                n += 1.0
                s1 += a
                s2 += a * a
            p0[q + 1] = n
            p1[q + 1] = s1
            p2[q + 1] = s2
    else:
        for q in range(r.size):
            x = r[q]
            y = m[q]
            if x == x and y == y:
                dev = x - y
                n += 1.0
                s1 += dev * dev
                s2 += x * x
            p0[q + 1] = n
            p1[q + 1] = s1
            p2[q + 1] = s2


@njit(**_OPTIONS)
def combos(values, window_values, combo_s, combo_b, order, starts, c0, c1, d, est0, est_len,
           win0, length, model, k, min_obs, direct_ratio, n_obs, alpha, beta, sig2, mean_m, sxx,
           r2, ar, se, car, car_var, n_days, code):  # pragma: no cover - compiled
    """Estimation, fit and event window of every pair of combos c0 .. c1 − 1 (fused).

    The estimation sums read ``values``, the event windows ``window_values`` (the same array
    unless some returns span a gap: those are NaN in ``values``).

    ``order[starts[c]:starts[c + 1]]`` are the pairs (rows of the outputs) of combo c, ``d``
    their day-0 rows: the combo's two series stay in cache while its pairs are done. An
    estimation window that starts before row 0 is summed over the rows that exist (the
    estimation sample is the returns there are). Writes
    the outputs' rows of those pairs only (``ar`` and ``se`` of one row: this call's scratch,
    the paths not kept); ``code`` gets the reason of the pairs the fit or
    an empty window excludes (the caller clears their rows).
    """
    n_rows = values.shape[1]
    nf = 6 if model == MARKET else 3
    prefix = np.empty((nf, n_rows + 1))
    w = np.zeros(8)
    c_r = 0.0
    c_m = 0.0
    for c in range(c0, c1):
        r = values[combo_s[c]]
        m = values[combo_b[c]]
        r_win = window_values[combo_s[c]]
        m_win = window_values[combo_b[c]]
        p0 = starts[c]
        p1 = starts[c + 1]
        direct = (p1 - p0) * est_len <= direct_ratio * n_rows
        if not direct:
            c_r, c_m = _prefix(r, m, model, prefix)
        for i in range(p0, p1):
            p = order[i]
            # the rows of the window that the index holds: it may start before row 0
            hi = max(d[p] + est0 + est_len, 0)
            lo = max(hi - est_len, 0)
            if direct:
                _direct(r, m, lo, hi - lo, model, w)
            else:
                for f in range(nf):
                    w[f] = prefix[f, hi] - prefix[f, lo]
                for f in range(nf, 6):
                    w[f] = 0.0
                w[6] = c_r if model != MARKET_ADJUSTED else 0.0
                w[7] = c_m if model == MARKET else 0.0
            _pair(w, p, r_win, m_win, d[p] + win0, length, model, k, min_obs, n_obs, alpha,
                  beta, sig2, mean_m, sxx, r2, ar, se, car, car_var, n_days, code)

