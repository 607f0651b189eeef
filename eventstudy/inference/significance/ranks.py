"""Sign and rank tests: sign_z, Cowan's generalized sign, Wilcoxon's signed rank, Corrado's rank
test and the Kolari–Pynnönen generalized rank t.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from eventstudy._typing import FloatArray
from eventstudy.inference.significance.result import (
    NORMAL,
    _cross,
    _few,
    _moments,
    _pack,
    _per_column,
    _per_pair,
)


def sign_z(values: Any) -> Any:
    """Sign test: the share of positive ARs (CARs) against one half.

    Notes
    -----
    .. math:: z = (W - N/2) / \\sqrt{N/4},\\quad W = \\#\\{A_i > 0\\}

    Assumes a median AR of zero: with skewed ARs (the usual case) it is mis-sized; see
    :func:`gsign_z`.

    References
    ----------
    .. [1] Brown, S. and Warner, J. (1980) "Measuring security price performance", Journal of
       Financial Economics 8(3), 205-258.
    """
    x, scalar = _cross(values)
    ok = np.isfinite(x)
    n = ok.sum(axis=-2)
    w = (ok & (np.where(ok, x, 0.0) > 0)).sum(axis=-2)
    return _sign_z_from(n, w, scalar)


def _sign_z_from(n: Any, w: Any, scalar: bool = False) -> Any:
    """:func:`sign_z` from the count N and the number W of positive values of each column."""
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (w - 0.5 * n) / np.sqrt(0.25 * n)
    return _pack("sign_z", z, NORMAL, [_few(n, 1)], scalar)


def positive_fraction(estimation_ar: Any) -> FloatArray:
    """Each pair's fraction of positive estimation-window ARs (NaN ignored), axis -1.

    The p̂_i of Cowan's generalized sign test; average it over the pairs of a cross-section.
    """
    e = np.asarray(estimation_ar, float)
    ok = np.isfinite(e)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (ok & (np.where(ok, e, 0.0) > 0)).sum(axis=-1) / ok.sum(axis=-1)


def gsign_z(values: Any, p_pair: Any) -> Any:
    """Cowan (1992) generalized sign test.

    Parameters
    ----------
    values : array
        ARs of one day (or CARs of one window).
    p_pair : array
        Each pair's fraction of positive estimation-window ARs, ``(..., N)``
        (:func:`positive_fraction`).

    Notes
    -----
    .. math:: z = \\frac{W - N\\hat p}{\\sqrt{N \\hat p (1 - \\hat p)}},\\quad
       \\hat p = \\frac1N \\sum_i \\frac{1}{M_i} \\sum_{s} 1[AR_{is} > 0]

    p̂ is averaged per pair (Cowan), not pooled over pair-days, over the pairs with data in the
    column. Not robust to cross-correlation.

    References
    ----------
    .. [1] Cowan, A. (1992) "Nonparametric event study tests", Review of Quantitative Finance
       and Accounting 2(4), 343-358.
    """
    x, scalar = _cross(values)
    return _gsign_z_from(*_gsign_sums(x, p_pair), scalar)


def _gsign_sums(x: FloatArray, p_pair: Any) -> tuple[FloatArray, FloatArray, FloatArray]:
    """N, W (positive values) and Σ p̂_i over the pairs with a value and a p̂_i: the additive
    sums of :func:`gsign_z`."""
    p_i = np.broadcast_to(_per_pair(p_pair, x), x.shape)
    ok = np.isfinite(x) & np.isfinite(p_i)
    w = (ok & (np.where(ok, x, 0.0) > 0)).sum(axis=-2)
    return ok.sum(axis=-2), w, np.where(ok, p_i, 0.0).sum(axis=-2)


def _gsign_z_from(n: Any, w: Any, p_sum: Any, scalar: bool = False) -> Any:
    """:func:`gsign_z` from :func:`_gsign_sums`: p̂ = Σ p̂_i / N."""
    with np.errstate(invalid="ignore", divide="ignore"):
        p_hat = p_sum / n
        z = (w - n * p_hat) / np.sqrt(n * p_hat * (1 - p_hat))
    return _pack("gsign_z", z, NORMAL,
                 [_few(n, 1), ((p_hat <= 0) | (p_hat >= 1), "p̂ is 0 or 1")], scalar)


def wilcoxon_z(values: Any) -> Any:
    """Wilcoxon signed-rank test, normal approximation.

    Notes
    -----
    .. math:: z = \\frac{W^+ - N(N+1)/4}{\\sqrt{N(N+1)(2N+1)/24}}

    W⁺ sums the ranks of |A_i| (ties averaged) over the positive A_i; zeros are dropped and N
    counts the non-zero values. No tie correction of the variance. Assumes a symmetric
    distribution; not robust to cross-correlation.

    References
    ----------
    .. [1] Wilcoxon, F. (1945) "Individual comparisons by ranking methods", Biometrics
       Bulletin 1(6), 80-83.
    """
    x, scalar = _cross(values)
    x = np.where(x == 0, np.nan, x)
    ranks = average_ranks(np.abs(x), axis=-2)
    n = np.isfinite(x).sum(axis=-2)
    w = np.where(np.isfinite(x) & (np.nan_to_num(x) > 0), ranks, 0.0).sum(axis=-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (w - n * (n + 1) / 4) / np.sqrt(n * (n + 1) * (2 * n + 1) / 24)
    return _pack("wilcoxon_z", z, NORMAL, [_few(n, 1)], scalar)


def average_ranks(values: Any, axis: int = -1) -> FloatArray:
    """Ranks 1..n along ``axis``, ties averaged, NaN left NaN (and not counted).

    Vectorised over all other axes (one stable argsort); equals
    ``scipy.stats.rankdata(..., nan_policy="omit")`` without importing scipy.stats.
    """
    x = np.moveaxis(np.asarray(values, float), axis, -1)
    order = np.argsort(x, axis=-1)  # NaN sort last; ties get their mean rank in any order
    s = np.take_along_axis(x, order, -1)
    size = s.shape[-1]
    if size == 0:
        return np.moveaxis(x.copy(), -1, axis)
    pos = np.broadcast_to(np.arange(1, size + 1, dtype=float), s.shape)
    new = np.ones(s.shape, bool)
    new[..., 1:] = s[..., 1:] != s[..., :-1]
    end = np.ones(s.shape, bool)
    end[..., :-1] = new[..., 1:]
    first = np.maximum.accumulate(np.where(new, pos, 0.0), axis=-1)
    last = np.flip(np.minimum.accumulate(np.flip(np.where(end, pos, size + 1.0), -1), -1), -1)
    ranks = np.where(np.isnan(s), np.nan, (first + last) / 2)
    out = np.empty_like(ranks)
    np.put_along_axis(out, order, ranks, -1)
    return np.moveaxis(out, -1, axis)


def standardized_ranks(values: Any) -> FloatArray:
    """Demeaned standardized ranks along axis -1: U = K / (T_i + 1) − 1/2 (NaN kept).

    T_i counts the pair's non-missing values (Corrado & Zivney 1992), so pairs with different
    numbers of observations are comparable; with equal T_i, U is Corrado's K − K̄ over T + 1.
    """
    x = np.asarray(values, float)
    n = np.isfinite(x).sum(axis=-1, keepdims=True)
    return average_ranks(x, axis=-1) / (n + 1.0) - 0.5


def rank_z(u: Any, select: Any) -> Any:
    """Corrado (1989) rank test; over a window, Cowan's (1992) cumulated version.

    Parameters
    ----------
    u : array ``(..., N, T)``
        Demeaned standardized ranks of each pair's ARs over its estimation and event days
        together, aligned by offset (:func:`standardized_ranks`); NaN where no AR.
    select : array ``(K, T)``
        One row per tested column: 1 on the event days it covers (one day, or a CAR window).

    Notes
    -----
    .. math:: \\bar U_t = \\frac{1}{N_t}\\sum_i U_{it},\\quad
       S_U = \\sqrt{\\frac1T\\sum_{t} \\bar U_t^2},\\quad
       z = \\frac{\\sum_{t \\in w} \\bar U_t}{\\sqrt{L}\\, S_U}

    over all T days of estimation and event windows. U = K/(T_i + 1) − 1/2 equals Corrado's
    K − K̄ scaled by T + 1 when every pair has T observations (the scale cancels in z).
    S_U is a time-series dispersion of the cross-sectional mean rank, so cross-correlation
    enters it: the test is robust to a common event date.

    References
    ----------
    .. [1] Corrado, C. (1989) "A nonparametric test for abnormal security-price performance in
       event studies", Journal of Financial Economics 23(2), 385-395.
    .. [2] Corrado, C. and Zivney, T. (1992) "The specification and power of the sign test in
       event study hypothesis tests using daily stock returns", Journal of Financial and
       Quantitative Analysis 27(3), 465-478.
    .. [3] Cowan, A. (1992) "Nonparametric event study tests", Review of Quantitative Finance
       and Accounting 2(4), 343-358.
    """
    u = np.asarray(u, float)
    ok = np.isfinite(u)
    with np.errstate(invalid="ignore", divide="ignore"):
        u_bar = np.where(ok, u, 0.0).sum(axis=-2) / ok.sum(axis=-2)  # (..., T)
    return _rank_z_from(u_bar, select)


def _rank_z_from(u_bar: Any, select: Any) -> Any:
    """:func:`rank_z` from Ū_t, the mean standardized rank of each day (NaN: no rank), and the
    selection of the tested columns."""
    sel = np.asarray(select, float)
    scalar = sel.ndim == 1
    sel = np.atleast_2d(sel)
    with np.errstate(invalid="ignore", divide="ignore"):
        have = np.isfinite(u_bar)
        s_u = np.sqrt(np.where(have, u_bar**2, 0.0).sum(axis=-1) / have.sum(axis=-1))
        length = np.where(have, 1.0, 0.0) @ sel.T  # (..., K)
        z = (np.where(have, u_bar, 0.0) @ sel.T) / (np.sqrt(length) * s_u[..., None])
    out = _pack("rank_z", z, NORMAL, [(length == 0, "no ranked AR in the column"),
                                      (~(s_u[..., None] > 0), "no dispersion of mean ranks")],
                False)
    return out[0] if scalar else out


#: Elements (pairs × columns × estimation days) of grank_t's comparisons held at once.
GRANK_CHUNK = 1 << 17


def grank_t(estimation_sar: Any, scar: Any, r_bar: Any = None,
            estimation_ranks: Any = None) -> Any:
    """Kolari–Pynnönen (2011) generalized rank test, for CAR windows (and single days).

    Parameters
    ----------
    estimation_sar : array ``(..., N, D)``
        Each pair's estimation-window ARs over σ̂_i, aligned by offset, NaN where missing.
    scar : array ``(N,)`` or ``(..., N, K)``
        Each pair's SCAR (prediction-error corrected) of the tested windows.
    r_bar : float or array, optional
        Not in KP (2011), off by default: divide S_SCAR by √(1 − r̄). Under cross-correlation
        the cross-sectional variance of SCAR shrinks by (1 − ρ) (the reason for KP 2010's
        factor in :func:`kp_bmp_t`), which inflates SCAR* and makes the paper's test
        over-reject (7 % at ρ = 0.3 in ``benchmarks/size_power.py``); with the correction it
        keeps its size there.
    estimation_ranks : array ``(..., N, D)``, optional
        ``average_ranks(estimation_sar, axis=-1)`` when the caller has it (it is the same for
        every set of columns tested on the same pairs).

    Notes
    -----
    The CAR window is compressed into one observation, re-standardized cross-sectionally for
    event-induced volatility, :math:`SCAR^*_i = SCAR_i / S_{SCAR}` (S the cross-sectional
    sd, ddof 1), and ranked with the pair's estimation SARs: the generalized standardized
    abnormal returns GSAR_i = (SAR_i,T0..T1, SCAR*_i), T = D + 1 values.

    .. math:: U_{it} = \\frac{\\mathrm{rank}(GSAR_{it})}{T_i + 1} - \\frac12,\\quad
       Z = \\frac{\\bar U_0}{S_{\\bar U}},\\quad
       S_{\\bar U} = \\sqrt{\\frac1T \\sum_{t} \\frac{n_t}{n} \\bar U_t^2},\\quad
       t_{grank} = Z \\sqrt{\\frac{T - 2}{T - 1 - Z^2}} \\sim t(T - 2)

    where Ū_t averages over the n_t pairs with a GSAR at t and t = 0 is the CAR window.
    Robust to cross-correlation and event-induced volatility. Cost: O(N·K·D) comparisons, made
    on blocks of pairs of at most :data:`GRANK_CHUNK` elements; Ū_t adds the pairs in their
    order, block after block, so the result does not depend on the block size (to the bit).

    References
    ----------
    .. [1] Kolari, J. and Pynnönen, S. (2011) "Nonparametric rank tests for event studies",
       Journal of Empirical Finance 18(5), 953-971.
    """
    e = np.asarray(estimation_sar, float)
    g, scalar = _cross(scar)
    n_g, _, sd = _moments(g)
    if r_bar is not None:
        with np.errstate(invalid="ignore"):
            sd = sd / np.sqrt(1.0 - _per_column(r_bar, g))
    with np.errstate(invalid="ignore", divide="ignore"):
        g_star = g / np.expand_dims(sd, -2)  # (..., N, K)
    ok_e = np.isfinite(e)
    n_i = ok_e.sum(axis=-1)[..., None]  # (..., N, 1): estimation values per pair
    r_est = (average_ranks(e, axis=-1) if estimation_ranks is None
             else np.asarray(estimation_ranks, float))  # (..., N, D)
    n_pairs, n_cols, n_days = g_star.shape[-2], g_star.shape[-1], e.shape[-1]
    lead = g_star.shape[:-2]
    sum_u = np.zeros((*lead, 1, n_cols, n_days))  # Σ_i U_it, pairs added in order
    n_t = np.zeros((*lead, n_cols, n_days), np.int64)
    above = np.empty(g_star.shape)
    step = max(1, GRANK_CHUNK // max(1, n_cols * n_days * int(np.prod(lead, dtype=int))))
    for lo in range(0, n_pairs, step):
        part = slice(lo, lo + step)
        ee = e[..., part, None, :]  # (..., n, 1, D)
        gg = g_star[..., part, :, None]  # (..., n, K, 1)
        has_g = np.isfinite(gg)
        tie = 0.5 * (gg == ee)
        # ranks of the estimation values with the event value inserted below them (nothing is
        # inserted where the event value is missing: its comparisons are all False)
        r_e = r_est[..., part, None, :] + ((gg < ee) + tie)
        total = n_i[..., part, :, None] + has_g  # T_i: values ranked per pair and column
        with np.errstate(invalid="ignore"):
            u_est = np.where(ok_e[..., part, None, :], r_e / (total + 1.0) - 0.5, 0.0)
        sum_u = np.add.reduce(np.concatenate([sum_u, u_est], axis=-3), axis=-3, keepdims=True)
        above[..., part, :] = ((ee < gg) + tie).sum(axis=-1)  # (..., n, K)
    n_t += np.expand_dims(ok_e.sum(axis=-2), -2)  # estimation values on each day, every column
    u_0 = np.where(np.isfinite(g_star), (1.0 + above) / (n_i + 2.0) - 0.5, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        ubar_t = sum_u[..., 0, :, :] / n_t
        n0 = np.isfinite(u_0).sum(axis=-2)  # (..., K)
        ubar_0 = np.where(np.isfinite(u_0), u_0, 0.0).sum(axis=-2) / n0
        days = (n_t > 0).sum(axis=-1)  # estimation days with data, per column
        big_t = days + 1.0
        n_all = np.maximum(n_t.max(axis=-1), n0)
        ss = (np.where(n_t > 0, n_t / n_all[..., None] * ubar_t**2, 0.0).sum(axis=-1)
              + n0 / n_all * ubar_0**2)
        s_u = np.sqrt(ss / big_t)
        z = ubar_0 / s_u
        t = z * np.sqrt((big_t - 2) / (big_t - 1 - z**2))
    return _pack("grank_t", t, big_t - 2,
                 [_few(n_g), (sd == 0, "zero cross-sectional dispersion of SCAR"),
                  (days < 2, "too few estimation days")], scalar)
