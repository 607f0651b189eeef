"""Tests of abnormal returns across pairs, one function per methods.md key.

Single-pair t tests live with the AR variances in :mod:`eventstudy.inference.abnormal`; this module
holds the cross-sectional tests. Each function works on plain numpy arrays so that the per-event
path (:mod:`eventstudy.inference.aggregate`) and the vectorised batch engine share one
implementation:

- a 1-D array of N values is one cross-section; the function returns a :class:`TestResult`;
- an array of shape ``(..., N, K)`` holds K cross-sections (days, CAR windows) of N pairs, with
  any leading batch axes (e.g. simulated studies); pairs are on axis -2. The function returns a
  :class:`TestArray` of shape ``(..., K)``, whose items are :class:`TestResult`.

Per-pair parameters (degrees of freedom, a pair's fraction of positive estimation ARs) have
shape ``(..., N)``; per-study nuisance parameters (r̄, the estimation-window standard deviation
of the mean AR) have shape ``(...)`` or ``(..., K)``. NaN marks a pair without data in a column.

An undefined test (too few pairs, zero dispersion, r̄ unknown) still returns its result, with NaN
and a ``reason``; nothing here raises on data. Conventions (methods.md): every p-value is
two-sided; standardized values (SAR, SCAR) use the prediction-error-corrected variance and are
Student t with M − k df under H0, so Var(SAR) = (M − k)/(M − k − 2).

References
----------
.. [1] Campbell, J., Lo, A. and MacKinlay, A. C. (1997) *The Econometrics of Financial
   Markets*, Princeton University Press, §4.4.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from eventstudy._typing import FloatArray
from eventstudy.inference.abnormal import two_sided_p

NORMAL = math.inf  # df of a statistic compared with N(0, 1)

REFERENCES = {
    "csect_t": "Brown & Warner (1985)",
    "patell_z": "Patell (1976)",
    "adj_patell_z": "Kolari & Pynnönen (2010)",
    "bmp_t": "Boehmer, Musumeci & Poulsen (1991)",
    "kp_bmp_t": "Kolari & Pynnönen (2010)",
    "cda_t": "Brown & Warner (1980, 1985)",
    "skew_t": "Hall (1992); Lyon, Barber & Tsai (1999)",
    "sign_z": "Brown & Warner (1980)",
    "gsign_z": "Cowan (1992)",
    "rank_z": "Corrado (1989); Corrado & Zivney (1992); Cowan (1992)",
    "grank_t": "Kolari & Pynnönen (2011)",
    "wilcoxon_z": "Wilcoxon (1945)",
    "j1": "Campbell, Lo & MacKinlay (1997)",
    "j2": "Campbell, Lo & MacKinlay (1997)",
    "portfolio_t": "Brown & Warner (1980); Campbell, Lo & MacKinlay (1997) §4.6",
}


@dataclass(frozen=True)
class TestResult:
    """One test of H0: mean abnormal return = 0.

    Attributes
    ----------
    key : str
        The methods.md key, e.g. "csect_t".
    stat, p : float
        Statistic and two-sided p-value; NaN when undefined.
    dist : str
        The null distribution, e.g. "t(3)" or "N(0,1)".
    reference : str
        The paper the statistic comes from.
    reason : str or None
        Why the test is undefined, when it is.
    """

    __test__ = False  # not a pytest class

    key: str
    stat: float
    p: float
    dist: str
    reference: str
    reason: str | None = None


@dataclass(frozen=True)
class TestArray:
    """Many cross-sections of one test: arrays of statistics, p-values and null df.

    ``df`` is ``inf`` for a statistic compared with N(0, 1); ``reason`` is an object array
    (None where the test is defined) or None when every item is defined. Indexing gives a
    :class:`TestResult`.
    """

    __test__ = False  # not a pytest class

    key: str
    stat: FloatArray
    p: FloatArray
    df: FloatArray
    reference: str
    reason: Any = None

    @property
    def shape(self) -> tuple[int, ...]:
        return self.stat.shape

    def __len__(self) -> int:
        return len(self.stat)

    def __getitem__(self, index: Any) -> TestResult:
        df = float(self.df[index])
        reason = None if self.reason is None else self.reason[index]
        return TestResult(self.key, float(self.stat[index]), float(self.p[index]), _dist(df),
                          self.reference, reason)


def _dist(df: float) -> str:
    if math.isinf(df):
        return "N(0,1)"
    if not math.isfinite(df):
        return "t(N-1)"
    return f"t({df:g})"


def _pack(key: str, stat: Any, df: Any, reasons: list[tuple[Any, str | Any]], scalar: bool
          ) -> TestResult | TestArray:
    """Statistic, df and conditions -> result; the first true condition gives the reason."""
    stat = np.asarray(stat, float)
    df = np.broadcast_to(np.asarray(df, float), stat.shape)
    bad = np.zeros(stat.shape, bool)
    reason: Any = None
    for cond, msg in reasons:
        cond = np.broadcast_to(np.asarray(cond, bool), stat.shape) & ~bad
        if cond.any():
            if reason is None:
                reason = np.full(stat.shape, None, dtype=object)
            reason[cond] = np.broadcast_to(np.asarray(msg, dtype=object), stat.shape)[cond]
            bad |= cond
    stat = np.where(bad | ~np.isfinite(stat), np.nan, stat)
    if reason is not None or np.isnan(stat).any():
        if reason is None:
            reason = np.full(stat.shape, None, dtype=object)
        reason[np.isnan(stat) & (reason == None)] = "undefined (no data)"  # noqa: E711
    with np.errstate(invalid="ignore"):
        p = np.where(np.isinf(df), 2.0 * special.ndtr(-np.abs(stat)),
                     two_sided_p(stat, np.where(np.isinf(df), 1.0, df)))
    out = TestArray(key, stat, np.asarray(p, float), df.copy(), REFERENCES[key], reason)
    return out[0] if scalar else out


def _cross(x: Any) -> tuple[FloatArray, bool]:
    """``x`` as ``(..., N, K)``; True when it was one cross-section (1-D)."""
    x = np.asarray(x, float)
    return (x[:, None], True) if x.ndim == 1 else (x, False)


def _per_pair(v: Any, x: FloatArray) -> FloatArray:
    """A per-pair parameter of shape ``(..., N)`` (or scalar) as ``(..., N, 1)``."""
    v = np.asarray(v, float)
    return v if v.ndim == 0 else v[..., None]


def _per_column(v: Any, x: FloatArray) -> FloatArray:
    """A per-study (``(...)``) or per-column (``(..., K)``) parameter, broadcast to ``(..., K)``."""
    v = np.asarray(v, float)
    out_shape = x.shape[:-2] + x.shape[-1:]
    if v.ndim and v.shape == x.shape[:-2] and v.shape != out_shape:
        v = v[..., None]
    return np.broadcast_to(v, out_shape)


def _moments(x: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Count, mean and sample sd (ddof 1) over axis -2, ignoring NaN."""
    ok = np.isfinite(x)
    n = ok.sum(axis=-2)
    x0 = np.where(ok, x, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = x0.sum(axis=-2) / n
        dev = np.where(ok, x - np.expand_dims(mean, -2), 0.0)
        sd = np.sqrt((dev**2).sum(axis=-2) / (n - 1))
    return n, mean, sd


def _few(n: FloatArray, need: int = 2) -> tuple[FloatArray, Any]:
    return n < need, np.char.add(f"needs N >= {need}, has ", np.asarray(n).astype(int).astype(str))


def csect_t(values: Any) -> Any:
    """Cross-sectional t test of the mean AR (or CAR) across pairs.

    Parameters
    ----------
    values : array
        ARs of one day (or CARs of one window): ``(N,)``, or ``(..., N, K)``.

    Returns
    -------
    TestResult or TestArray
        t with N − 1 df; NaN values (pairs without data) are left out.

    Notes
    -----
    .. math:: t = \\bar{A} / (s / \\sqrt{N}),\\quad s^2 = \\frac{1}{N-1}\\sum (A_i - \\bar A)^2

    Not robust to cross-correlation: with a common event date it over-rejects.

    References
    ----------
    .. [1] Brown, S. and Warner, J. (1985) "Using daily stock returns: the case of event
       studies", Journal of Financial Economics 14(1), 3-31.
    """
    return _mean_t("csect_t", values)


def bmp_t(standardized: Any) -> Any:
    """Boehmer–Musumeci–Poulsen standardized cross-sectional test.

    Parameters
    ----------
    standardized : array
        SAR of one day (or SCAR of one window) per pair, prediction-error corrected.

    Notes
    -----
    .. math:: t = \\overline{SAR} / (s(SAR)/\\sqrt N),\\quad \\text{df } N-1

    The cross-sectional standard deviation of the SARs absorbs event-induced variance; the
    prediction-error correction is kept in SAR (methods.md). Not robust to cross-correlation.

    References
    ----------
    .. [1] Boehmer, E., Musumeci, J. and Poulsen, A. (1991) "Event-study methodology under
       conditions of event-induced variance", Journal of Financial Economics 30(2), 253-272.
    """
    return _mean_t("bmp_t", standardized)


def _mean_t(key: str, values: Any) -> Any:
    """t = mean / (s / √N) across pairs, df N − 1: csect_t on ARs, bmp_t on SARs."""
    x, scalar = _cross(values)
    n, mean, sd = _moments(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = mean / (sd / np.sqrt(n))
    return _pack(key, t, n - 1, [_few(n), (sd == 0, "zero cross-sectional dispersion")], scalar)


def _kp_factor(n: FloatArray, r_bar: FloatArray) -> tuple[FloatArray, list[tuple[Any, str]]]:
    with np.errstate(invalid="ignore"):
        denom = 1.0 + (n - 1) * r_bar
    reasons = [(~np.isfinite(r_bar), "r̄ undefined (residual correlation not estimable)"),
               (denom <= 0, "1 + (N − 1) r̄ <= 0")]
    return denom, reasons


def kp_bmp_t(standardized: Any, r_bar: Any) -> Any:
    """Kolari–Pynnönen (2010) cross-correlation-adjusted BMP test.

    Parameters
    ----------
    standardized : array
        SAR (or SCAR) per pair, as for :func:`bmp_t`.
    r_bar : float or array
        Mean correlation of the pairs' abnormal returns, estimated on the estimation window.

    Notes
    -----
    .. math:: t_{KP} = t_{BMP} \\sqrt{\\frac{1 - \\bar r}{1 + (N - 1)\\bar r}},\\quad
       \\text{df } N - 1

    References
    ----------
    .. [1] Kolari, J. and Pynnönen, S. (2010) "Event study testing with cross-sectional
       correlation of abnormal returns", Review of Financial Studies 23(11), 3996-4025.
    """
    x, scalar = _cross(standardized)
    n, mean, sd = _moments(x)
    r = _per_column(r_bar, x)
    denom, kp = _kp_factor(n, r)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = mean / (sd / np.sqrt(n)) * np.sqrt((1.0 - r) / denom)
    return _pack("kp_bmp_t", t, n - 1,
                 [_few(n), (sd == 0, "zero cross-sectional dispersion"), *kp], scalar)


def _patell(x: FloatArray, df: Any) -> tuple[FloatArray, FloatArray, list[tuple[Any, str]]]:
    d = np.broadcast_to(_per_pair(df, x), x.shape)
    ok = np.isfinite(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.where(ok, d / (d - 2.0), 0.0).sum(axis=-2)
        z = np.where(ok, x, 0.0).sum(axis=-2) / np.sqrt(var)
    n = ok.sum(axis=-2)
    small = (ok & ~(d > 2)).any(axis=-2)
    return z, n, [_few(n, 1), (small, "a pair has M − k <= 2")]


def patell_z(standardized: Any, df: Any) -> Any:
    """Patell (1976) standardized-residual test.

    Parameters
    ----------
    standardized : array
        SAR (or SCAR) per pair, prediction-error corrected.
    df : int or array
        M_i − k_i per pair, shape ``(..., N)``.

    Notes
    -----
    .. math:: z = \\frac{\\sum_i SAR_i}{\\sqrt{\\sum_i (M_i - k)/(M_i - k - 2)}} \\sim N(0, 1)

    Variance factor (M − k)/(M − k − 2), the variance of a t variable (methods.md; some tools use
    (M − 2)/(M − 4)). Assumes independent pairs and no event-induced variance.

    References
    ----------
    .. [1] Patell, J. (1976) "Corporate forecasts of earnings per share and stock price
       behavior: empirical tests", Journal of Accounting Research 14(2), 246-276.
    """
    x, scalar = _cross(standardized)
    z, _, reasons = _patell(x, df)
    return _pack("patell_z", z, NORMAL, reasons, scalar)


def j2(standardized: Any, df: Any) -> Any:
    """CLM's J2: the scaled mean of SCARs (one day: of SARs).

    Notes
    -----
    .. math:: J_2 = \\sqrt{\\frac{N(M-k-2)}{M-k}}\\;\\overline{SCAR}

    for a common M; with pair-specific M_i the same statistic is
    :math:`\\sum_i SCAR_i / \\sqrt{\\sum_i (M_i-k)/(M_i-k-2)}`, numerically Patell's z.

    References
    ----------
    .. [1] Campbell, J., Lo, A. and MacKinlay, A. C. (1997), §4.4.3, eq. (4.4.24).
    """
    x, scalar = _cross(standardized)
    z, _, reasons = _patell(x, df)
    return _pack("j2", z, NORMAL, reasons, scalar)


def adj_patell_z(standardized: Any, df: Any, r_bar: Any) -> Any:
    """Kolari–Pynnönen (2010) adjusted Patell test.

    Notes
    -----
    .. math:: z_{adj} = z_{Patell} / \\sqrt{1 + (N - 1)\\bar r}

    References
    ----------
    .. [1] Kolari, J. and Pynnönen, S. (2010) "Event study testing with cross-sectional
       correlation of abnormal returns", Review of Financial Studies 23(11), 3996-4025.
    """
    x, scalar = _cross(standardized)
    z, n, reasons = _patell(x, df)
    denom, kp = _kp_factor(n, _per_column(r_bar, x))
    with np.errstate(invalid="ignore"):
        z = z / np.sqrt(denom)
    return _pack("adj_patell_z", z, NORMAL, [*reasons, *kp], scalar)


def j1(values: Any, se: Any) -> Any:
    """CLM's J1: CAAR over its standard error from the pairs' own variances.

    Parameters
    ----------
    values, se : array
        CAR (or AR) per pair and its prediction-error-corrected standard error.

    Notes
    -----
    .. math:: J_1 = \\overline{CAR} / \\sqrt{\\textstyle\\sum_i \\sigma^2_i(CAR) / N^2}
       \\sim N(0, 1)

    References
    ----------
    .. [1] Campbell, J., Lo, A. and MacKinlay, A. C. (1997), §4.4.3, eq. (4.4.22).
    """
    x, scalar = _cross(values)
    s = np.asarray(se, float)
    s = s[:, None] if s.ndim == 1 else s
    ok = np.isfinite(x) & np.isfinite(s)
    n = ok.sum(axis=-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(ok, x, 0.0).sum(axis=-2) / n
        z = mean / np.sqrt(np.where(ok, s**2, 0.0).sum(axis=-2) / n**2)
    return _pack("j1", z, NORMAL, [_few(n, 1)], scalar)


def cda_t(values: Any, s_aar: Any, df: Any, length: Any = 1) -> Any:
    """Brown–Warner crude dependence adjustment.

    Parameters
    ----------
    values : array
        ARs of one day (or CARs of one window) per pair.
    s_aar : float or array
        Sample standard deviation (ddof 1) of the daily mean AR over the estimation window
        (event time), per study.
    df : float or array
        Its degrees of freedom: estimation days with a mean AR, minus 1.
    length : int or array
        L, the days of each column (1 for a day, L for a CAR window).

    Notes
    -----
    .. math:: t = \\overline{A} / (\\sqrt{L}\\,S(\\overline{AR})),\\quad
       S^2 = \\frac{1}{D-1}\\sum_{s}(\\overline{AR}_s - \\bar{\\bar{AR}})^2

    The time-series standard deviation of the portfolio mean absorbs any cross-correlation,
    so the test is robust to a common event date; it ignores event-induced variance.

    References
    ----------
    .. [1] Brown, S. and Warner, J. (1980) "Measuring security price performance", Journal of
       Financial Economics 8(3), 205-258.
    .. [2] Brown, S. and Warner, J. (1985) "Using daily stock returns", Journal of Financial
       Economics 14(1), 3-31.
    """
    x, scalar = _cross(values)
    n, mean, _ = _moments(x)
    s = _per_column(s_aar, x)
    lengths = np.broadcast_to(np.asarray(length, float), mean.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = mean / (np.sqrt(lengths) * s)
    return _pack("cda_t", t, _per_column(df, x),
                 [_few(n, 1), (~(s > 0), "no estimation-window dispersion of the mean AR")],
                 scalar)


def skew_t(values: Any) -> Any:
    """Hall (1992) skewness-adjusted t, as used by Lyon, Barber & Tsai (1999).

    Notes
    -----
    .. math:: S = \\bar A / s,\\quad \\hat\\gamma = \\frac{\\sum_i (A_i - \\bar A)^3}{N s^3},
       \\quad t = \\sqrt N \\left(S + \\tfrac13 \\hat\\gamma S^2 + \\tfrac1{27}\\hat\\gamma^2 S^3
       + \\tfrac{1}{6N}\\hat\\gamma\\right)

    with s the sample standard deviation (ddof 1); compared with t(N − 1). Not robust to
    cross-correlation.

    References
    ----------
    .. [1] Hall, P. (1992) "On the removal of skewness by transformation", Journal of the Royal
       Statistical Society B 54(1), 221-228.
    .. [2] Lyon, J., Barber, B. and Tsai, C.-L. (1999) "Improved methods for tests of long-run
       abnormal stock returns", Journal of Finance 54(1), 165-201.
    """
    x, scalar = _cross(values)
    n, mean, sd = _moments(x)
    ok = np.isfinite(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        dev = np.where(ok, x - np.expand_dims(mean, -2), 0.0)
        gamma = (dev**3).sum(axis=-2) / (n * sd**3)
        s = mean / sd
        t = np.sqrt(n) * (s + gamma * s**2 / 3 + gamma**2 * s**3 / 27 + gamma / (6 * n))
    return _pack("skew_t", t, n - 1, [_few(n, 3), (sd == 0, "zero cross-sectional dispersion")],
                 scalar)


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
    p_i = np.broadcast_to(_per_pair(p_pair, x), x.shape)
    ok = np.isfinite(x) & np.isfinite(p_i)
    n = ok.sum(axis=-2)
    w = (ok & (np.where(ok, x, 0.0) > 0)).sum(axis=-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_hat = np.where(ok, p_i, 0.0).sum(axis=-2) / n
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
    order = np.argsort(x, axis=-1, kind="stable")  # NaN sort last
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
    sel = np.asarray(select, float)
    scalar = sel.ndim == 1
    sel = np.atleast_2d(sel)
    ok = np.isfinite(u)
    with np.errstate(invalid="ignore", divide="ignore"):
        u_bar = np.where(ok, u, 0.0).sum(axis=-2) / ok.sum(axis=-2)  # (..., T)
        have = np.isfinite(u_bar)
        s_u = np.sqrt(np.where(have, u_bar**2, 0.0).sum(axis=-1) / have.sum(axis=-1))
        length = np.where(have, 1.0, 0.0) @ sel.T  # (..., K)
        z = (np.where(have, u_bar, 0.0) @ sel.T) / (np.sqrt(length) * s_u[..., None])
    out = _pack("rank_z", z, NORMAL, [(length == 0, "no ranked AR in the column"),
                                      (~(s_u[..., None] > 0), "no dispersion of mean ranks")],
                False)
    return out[0] if scalar else out


def grank_t(estimation_sar: Any, scar: Any, r_bar: Any = None) -> Any:
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
    Robust to cross-correlation and event-induced volatility. Cost: O(N·K·D) comparisons
    (chunk K or N for millions of pairs).

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
    r_est = average_ranks(e, axis=-1)  # (..., N, D)
    ee = e[..., :, None, :]  # (..., N, 1, D)
    gg = g_star[..., :, :, None]  # (..., N, K, 1)
    has_g = np.isfinite(gg)
    below = (gg < ee) + 0.5 * (gg == ee)  # event value below each estimation value
    # ranks of the estimation values with the event value inserted; without it when absent
    r_e = r_est[..., :, None, :] + np.where(has_g, below, 0.0)
    total = n_i[..., None] + has_g  # T_i: values ranked per pair and column
    u_est = np.where(ok_e[..., :, None, :], r_e / (total + 1.0) - 0.5, np.nan)  # (..., N, K, D)
    above = ((ee < gg) + 0.5 * (ee == gg)).sum(axis=-1)  # (..., N, K)
    u_0 = np.where(np.isfinite(g_star), (1.0 + above) / (n_i + 2.0) - 0.5, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = np.isfinite(u_est)
        n_t = ok.sum(axis=-3)  # (..., K, D)
        ubar_t = np.where(ok, u_est, 0.0).sum(axis=-3) / n_t
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


def portfolio_t(aar: Any, sigma_p: Any, inflation: Any, df: Any) -> Any:
    """Portfolio test: the equal-weighted portfolio of the pairs as one security.

    Parameters
    ----------
    aar : array ``(..., K)``
        The portfolio's abnormal return on each tested day (AAR_t) or window (CAAR).
    sigma_p : float or array ``(...)``
        The portfolio's residual standard deviation on the estimation window:
        σ̂_p² = Σ_s P_s² / (M_p − k), P_s the mean of the pairs' estimation ARs on date s.
    inflation : array ``(..., K)``
        The prediction-error factor of each column, the mean over pairs of
        Var(AR_it)/σ̂_i² (a day) or Var(CAR_i)/σ̂_i² (a window).
    df : float or array
        M_p − k.

    Notes
    -----
    .. math:: t = \\frac{\\overline{AR}_t}{\\hat\\sigma_p \\sqrt{c_t}} \\sim t(M_p - k)

    With a common event date, the same benchmark, model and estimation dates for all pairs,
    the portfolio's residuals are exactly those of a regression of the portfolio's return on
    the benchmark, so σ̂_p and c_t are exact and the test is exact under any cross-correlation
    (normal errors). Otherwise it is an approximation.

    References
    ----------
    .. [1] Brown, S. and Warner, J. (1980) "Measuring security price performance", Journal of
       Financial Economics 8(3), 205-258.
    .. [2] Campbell, J., Lo, A. and MacKinlay, A. C. (1997), §4.6 (clustering).
    """
    a = np.asarray(aar, float)
    scalar = a.ndim == 0
    a = np.atleast_1d(a)
    c = np.broadcast_to(np.asarray(inflation, float), a.shape)
    s = np.asarray(sigma_p, float)
    s = s[..., None] if s.ndim and s.shape == a.shape[:-1] else s
    s = np.broadcast_to(s, a.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = a / (s * np.sqrt(c))
    d = np.asarray(df, float)
    d = d[..., None] if d.ndim and d.shape == a.shape[:-1] else d
    out = _pack("portfolio_t", t, np.broadcast_to(d, a.shape),
                [(~(s > 0), "portfolio σ undefined (needs a common event date)")], False)
    return out[0] if scalar else out
