"""Calendar-time portfolio regressions: a portfolio's return series regressed on the market or on
factors, with Newey-West standard errors, daily and monthly.

The calendar-time approach (Jaffe 1974; Mandelker 1974) holds every security in a portfolio for a
fixed period after its event and regresses the portfolio's return in each calendar period on the
market (or on factors, Fama 1998; Mitchell & Stafford 2000):

.. math::

    R_{p,t} = \\alpha + \\beta' F_t + e_t,

so that α is the mean abnormal return per period of the event portfolio, and the test of α = 0
is robust to the cross-sectional dependence of overlapping events, which the portfolio's variance
absorbs. Here the covariance of the OLS estimates is the Newey-West (1987) HAC estimator (Bartlett
kernel, statsmodels' ``cov_type="HAC"``, no small-sample correction), which also allows for the
autocorrelation the overlap of holding periods induces; p-values are two-sided, standard normal
(statsmodels' default with HAC). The lag length defaults to L = ⌊4 (T/100)^(2/9)⌋ (Newey & West
1994).

This module is given the series (:func:`regress`); :mod:`eventstudy.study.calendar_time` builds
them from the pairs and the prices.

References
----------
.. [1] Jaffe, J. F. (1974) "Special information and insider trading", Journal of Business 47(3),
   410-428.
.. [2] Mandelker, G. (1974) "Risk and return: the case of merging firms", Journal of Financial
   Economics 1(4), 303-335.
.. [3] Fama, E. F. (1998) "Market efficiency, long-term returns, and behavioral finance",
   Journal of Financial Economics 49(3), 283-306.
.. [4] Mitchell, M. L. and Stafford, E. (2000) "Managerial decisions and long-term stock price
   performance", Journal of Business 73(3), 287-329.
.. [5] Newey, W. K. and West, K. D. (1987) "A simple, positive semi-definite, heteroskedasticity
   and autocorrelation consistent covariance matrix", Econometrica 55(3), 703-708.
.. [6] Newey, W. K. and West, K. D. (1994) "Automatic lag selection in covariance matrix
   estimation", Review of Economic Studies 61(4), 631-653.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.errors import EstimationError, InputError

#: The frequencies of the regression, in order.
FREQUENCIES = ("daily", "monthly")
#: Columns of a frequency's tidy frame: one row per term (``alpha``, then each factor).
FIT_COLUMNS = ("term", "coef", "se", "t_stat", "p", "n_obs", "lags", "r2", "mean_holdings")

#: How the portfolio is built and the regression run (the result's ``conventions``).
CONVENTIONS = {
    "holding": "pair held on sessions start..start+horizon-1 after its day 0, sessions of its "
               "own exchange; a return after a missing price spans the gap (trade to trade)",
    "portfolio": "on each date the weighted mean of the returns of the pairs held that have "
                 "one; dates with none are left out",
    "weights": "equal: 1/N_t; value: V_i / sum of V_j over the pairs held with a return, V_i "
               "fixed at formation (the pair's value, else shares_outstanding x its last "
               "close on or before day 0)",
    "returns": "simple by default (a portfolio's return is the weighted mean of simple returns "
               "exactly); log: the weighted mean of log returns",
    "factors": "raw returns (no risk-free rate); read by date, or by instant (the last session "
               "that closed before the session opened) for a factor of another exchange when "
               "all pairs share one exchange; a date without a factor return is left out",
    "regression": "OLS on a constant and the factors; Newey-West HAC covariance (Bartlett, no "
                  "small-sample correction), L = floor(4 (T/100)^(2/9)) unless given; p "
                  "two-sided, normal",
    "monthly": "daily portfolio and factor returns of the regression's dates compounded "
               "within each calendar month: prod(1 + R) - 1 (simple), sum (log)",
}


def newey_west_lags(n_obs: int) -> int:
    """The Newey & West (1994) rule of thumb for the Bartlett kernel: ⌊4 (T/100)^(2/9)⌋.

    Examples
    --------
    >>> newey_west_lags(100), newey_west_lags(250), newey_west_lags(12)
    (4, 4, 2)
    """
    return math.floor(4.0 * (n_obs / 100.0) ** (2.0 / 9.0)) if n_obs > 0 else 0


@dataclass(frozen=True)
class HacFit:
    """One OLS fit with Newey-West (HAC) standard errors.

    ``terms`` names the coefficients: ``"alpha"`` (the intercept), then each factor. An
    undefined fit (too few observations, a constant factor) keeps its terms with NaN values
    and says why in ``reason`` (it is not dropped).
    """

    frequency: str
    terms: tuple[str, ...]
    coef: tuple[float, ...]
    se: tuple[float, ...]
    t_stat: tuple[float, ...]
    p: tuple[float, ...]
    n_obs: int
    lags: int
    r2: float = math.nan
    reason: str = ""

    @property
    def alpha(self) -> float:
        """The intercept: the mean abnormal return per period."""
        return self.coef[0]

    def frame(self, mean_holdings: float = math.nan) -> pd.DataFrame:
        """One row per term, with the fit's ``n_obs``, ``lags``, ``r2`` and ``mean_holdings``
        (columns :data:`FIT_COLUMNS`)."""
        k = len(self.terms)
        return pd.DataFrame({
            "term": list(self.terms), "coef": self.coef, "se": self.se, "t_stat": self.t_stat,
            "p": self.p, "n_obs": [self.n_obs] * k, "lags": [self.lags] * k,
            "r2": [self.r2] * k, "mean_holdings": [mean_holdings] * k,
        }, columns=list(FIT_COLUMNS))


def hac_ols(y: np.ndarray | pd.Series, x: np.ndarray | pd.DataFrame, terms: Sequence[str], *,
            frequency: str = "daily", lags: int | None = None) -> HacFit:
    """OLS of ``y`` on a constant and the columns of ``x``, Newey-West (1987) covariance.

    Parameters
    ----------
    y : array of shape (T,)
    x : array of shape (T, k - 1)
        The factors (no constant: it is added first).
    terms : sequence of str
        The names of the k coefficients, ``"alpha"`` first.
    frequency : str
        What one observation is ("daily", "monthly"), for the result and messages.
    lags : int, optional
        The HAC lag length L; default ⌊4 (T/100)^(2/9)⌋ (:func:`newey_west_lags`).

    Returns
    -------
    HacFit
        NaN with a ``reason`` when T < k + 2, L ≥ T, or the design is rank-deficient.

    Notes
    -----
    ``statsmodels.OLS(y, [1, x]).fit(cov_type="HAC", cov_kwds={"maxlags": L})``: Bartlett
    weights 1 − l/(L + 1), no small-sample correction, two-sided normal p-values.

    References
    ----------
    .. [1] Newey, W. K. and West, K. D. (1987), Econometrica 55(3), 703-708.
    """
    values = np.asarray(y, float)
    design = np.column_stack([np.ones(len(values)), np.asarray(x, float).reshape(len(values), -1)])
    n, k = design.shape
    if lags is not None and (isinstance(lags, bool) or int(lags) != lags or lags < 0):
        raise InputError(f"lags = {lags!r}: give a whole number of lags >= 0")
    chosen = newey_west_lags(n) if lags is None else int(lags)
    names = tuple(terms)
    if len(names) != k:
        raise InputError(f"{len(names)} term names for {k} coefficients")
    reason = ""
    if n < k + 2:
        reason = (f"{n} {frequency} observations for {k} coefficients: at least {k + 2} "
                  "needed")
    elif chosen >= n:
        reason = f"lags = {chosen} is not below the {n} {frequency} observations"
    elif np.linalg.matrix_rank(design) < k:
        reason = f"a factor is constant or collinear over the {n} {frequency} observations"
    if reason:
        nan = (math.nan,) * k
        return HacFit(frequency, names, nan, nan, nan, nan, n, chosen, math.nan, reason)
    from statsmodels.regression.linear_model import OLS

    with np.errstate(divide="ignore", invalid="ignore"):
        fit = OLS(values, design).fit(cov_type="HAC", cov_kwds={"maxlags": chosen})
        out = [tuple(float(v) for v in np.asarray(a)) for a in
               (fit.params, fit.bse, fit.tvalues, fit.pvalues)]
    return HacFit(frequency, names, *out, n_obs=n, lags=chosen, r2=float(fit.rsquared))


def compound_monthly(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Each column compounded within each calendar month of the index: Π(1 + R) − 1 for simple
    returns, Σ r for log returns; indexed by the month (a monthly ``PeriodIndex``)."""
    key = pd.PeriodIndex(frame.index, freq="M", name="month")
    if kind == "log":
        return frame.groupby(key).sum()
    return (1.0 + frame).groupby(key).prod() - 1.0


@dataclass(frozen=True)
class CalendarTimeResult:
    """A calendar-time portfolio and its regressions, daily and monthly.

    ``daily`` and ``monthly`` are tidy frames, one row per term (``alpha``, then each factor's
    beta; columns :data:`FIT_COLUMNS`): the coefficient, its Newey-West se, t and two-sided p,
    and the fit's T (``n_obs``), L (``lags``), R² and mean number of holdings. ``fits`` holds
    the same as :class:`HacFit` objects. ``portfolio`` is the daily series (index ``date``:
    ``return``, ``n_holdings``, one column per factor, ``in_sample``); ``monthly_portfolio``
    the monthly one (``return``, factors, ``n_days``, ``mean_holdings``). ``pairs`` lists the
    pairs held (first and last held session, returns held, value), ``excluded`` the others,
    with the reason.
    """

    fits: tuple[HacFit, HacFit]
    portfolio: pd.DataFrame
    monthly_portfolio: pd.DataFrame
    factors: tuple[str, ...]
    horizon: int
    start: int
    weights: str
    returns: str
    pairs: pd.DataFrame = field(default_factory=pd.DataFrame)
    excluded: tuple[tuple[str, str], ...] = ()
    conventions: Mapping[str, str] = field(default_factory=dict)

    @property
    def daily(self) -> pd.DataFrame:
        """The daily regression: one row per term."""
        return self.fits[0].frame(_mean(self.portfolio, "n_holdings"))

    @property
    def monthly(self) -> pd.DataFrame:
        """The monthly regression: one row per term."""
        return self.fits[1].frame(_mean(self.monthly_portfolio, "mean_holdings"))

    def to_frame(self) -> pd.DataFrame:
        """Both regressions as tidy rows: ``frequency`` then the columns of :data:`FIT_COLUMNS`."""
        return pd.concat([self.daily.assign(frequency="daily"),
                          self.monthly.assign(frequency="monthly")], ignore_index=True)[
            ["frequency", *FIT_COLUMNS]]

    def to_dict(self) -> dict[str, Any]:
        """The JSON document: settings, both fits, the pairs, the excluded pairs, the daily and
        monthly series and the conventions (NaN written as None)."""
        def fit(f: HacFit, holdings: float, dates: pd.Index) -> dict[str, Any]:
            rows = f.frame(holdings).drop(columns=["n_obs", "lags", "r2", "mean_holdings"])
            return {"n_obs": f.n_obs, "lags": f.lags, "r2": _num(f.r2),
                    "mean_holdings": _num(holdings),
                    "first": str(dates[0]) if len(dates) else None,
                    "last": str(dates[-1]) if len(dates) else None,
                    "reason": f.reason or None, "coefficients": _records(rows)}

        daily = self.portfolio[self.portfolio["in_sample"]]
        return {
            "settings": {"horizon": self.horizon, "start": self.start, "weights": self.weights,
                         "returns": self.returns, "factors": list(self.factors)},
            "daily": fit(self.fits[0], _mean(self.portfolio, "n_holdings"),
                         daily.index.strftime("%Y-%m-%d")),
            "monthly": fit(self.fits[1], _mean(self.monthly_portfolio, "mean_holdings"),
                           self.monthly_portfolio.index.astype(str)),
            "pairs": _records(self.pairs),
            "excluded": [{"pair": p, "reason": r} for p, r in self.excluded],
            "portfolio": {
                "daily": _records(self.portfolio.reset_index()),
                "monthly": _records(self.monthly_portfolio.reset_index()),
            },
            "conventions": dict(self.conventions),
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False, ensure_ascii=False)

    def __repr__(self) -> str:
        parts = []
        for f in self.fits:
            if f.reason:
                parts.append(f"{f.frequency} alpha undefined ({f.reason})")
            else:
                parts.append(f"{f.frequency} alpha = {f.alpha:+.6f} (t = {f.t_stat[0]:.2f}, "
                             f"T = {f.n_obs}, L = {f.lags})")
        return (f"<CalendarTimeResult: {len(self.pairs)} pairs, {len(self.excluded)} excluded, "
                f"horizon {self.horizon}, {self.weights}-weighted {self.returns} returns on "
                f"{' + '.join(self.factors)}; {'; '.join(parts)}>")

    def _repr_html_(self) -> str:
        return str(self.to_frame().to_html(index=False))


def regress(series: pd.DataFrame, factors: Sequence[str], *, kind: str,
            lags: int | None = None, monthly_lags: int | None = None,
            **fields: Any) -> CalendarTimeResult:
    """The daily and monthly regressions of a portfolio series.

    Parameters
    ----------
    series : DataFrame
        Indexed by date: ``return`` (the portfolio's, NaN when empty), ``n_holdings`` and one
        column per factor's return.
    factors : sequence of str
        The factor columns, in order.
    kind : {"simple", "log"}
        How returns compound into months (:func:`compound_monthly`).
    lags, monthly_lags : int, optional
        The HAC lag length of each frequency (default :func:`newey_west_lags` of its T).
    **fields
        The other fields of :class:`CalendarTimeResult` (horizon, start, weights, returns,
        pairs, excluded, conventions).

    Raises
    ------
    EstimationError
        The daily regression is undefined: too few dates (T < k + 2), L ≥ T, a constant
        factor. (An undefined monthly regression keeps NaN and its reason.)
    """
    cols = list(factors)
    sample = ((series["n_holdings"] > 0) & np.isfinite(series["return"])
              & np.isfinite(series[cols]).all(axis=1))
    used = series[sample]
    terms = ("alpha", *cols)
    daily = hac_ols(used["return"], used[cols], terms, frequency="daily", lags=lags)
    if daily.reason:
        raise EstimationError(f"calendar-time regression: too few dates or no variation "
                              f"({daily.reason}); give a longer horizon, more pairs or fewer "
                              "lags")
    monthly = compound_monthly(used[["return", *cols]], kind)
    key = pd.PeriodIndex(used.index, freq="M", name="month")
    holdings = used["n_holdings"].groupby(key)
    monthly = monthly.assign(n_days=holdings.size(), mean_holdings=holdings.mean())
    fit = hac_ols(monthly["return"], monthly[cols], terms, frequency="monthly",
                  lags=monthly_lags)
    return CalendarTimeResult(fits=(daily, fit), portfolio=series.assign(in_sample=sample),
                              monthly_portfolio=monthly, factors=tuple(cols), **fields)


def _mean(frame: pd.DataFrame, column: str) -> float:
    if "in_sample" in frame:
        frame = frame[frame["in_sample"]]
    return float(frame[column].mean()) if len(frame) else math.nan


def _num(x: Any) -> Any:
    """A JSON value: NaN and NaT as None, numpy scalars as Python ones, stamps as ISO dates."""
    if isinstance(x, pd.Timestamp):
        return None if pd.isna(x) else x.strftime("%Y-%m-%d")
    if isinstance(x, pd.Period):
        return str(x)
    if isinstance(x, (np.bool_, bool)):
        return bool(x)
    if isinstance(x, (np.integer, int)):
        return int(x)
    if isinstance(x, (np.floating, float)):
        return float(x) if math.isfinite(x) else None
    if x is None or (not isinstance(x, str) and pd.isna(x)):
        return None
    return x


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): _num(v) for k, v in row.items()}
            for row in frame.to_dict("records")]
