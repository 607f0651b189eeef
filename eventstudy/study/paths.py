"""Running CAR of a pair (and CAAR of pairs) over the event window, with standard errors.

The figures of :mod:`eventstudy.present` draw a pair's CAR path with a confidence band; this
module computes that band on the library side, so that presentation computes nothing.

Notes
-----
CAR(τ1, t) = Σ_{s=τ1..t} AR_s over the window's valid returns (the ``car`` column of
``PairResult.days``). Its variance is γ'Vγ over the same returns, evaluated by
:func:`eventstudy.inference.abnormal.pair_car_variance`: the closed form (CLM 1997, eq. 4.4.13, with
D = diag(span) for returns that span a gap), or the general matrix path for fits with a design
(multi-factor, Dimson, Scholes-Williams), on the regressors in ``PairResult.design``. Under H0,
CAR / se is Student t with M − k degrees of freedom, so the two-sided band of level 1 − a is
CAR ± t_{1−a/2, M−k} · se.

References
----------
.. [1] Campbell, J., Lo, A. and MacKinlay, A. C. (1997) *The Econometrics of Financial
   Markets*, Princeton University Press, §4.4.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import special

from eventstudy.inference import abnormal

if TYPE_CHECKING:
    from eventstudy.study.results import PairResult

PATH_COLUMNS = ("t", "date", "car", "se", "lo", "hi")


def car_path(pair: PairResult, level: float = 0.95) -> pd.DataFrame:
    """The running CAR from the first day of the event window to each day t, with its band.

    Parameters
    ----------
    pair : PairResult
        A studied pair.
    level : float
        Coverage of the two-sided band, in (0, 1).

    Returns
    -------
    pd.DataFrame
        One row per day of the event window with the columns of :data:`PATH_COLUMNS`: ``car``
        (equal to ``pair.days["car"]``), ``se`` = sqrt(Var(CAR(first..t))) and the band
        ``lo``/``hi`` = car ∓ t_{(1+level)/2, M−k} · se. ``se`` is NaN until the first valid
        return of the window.

    Notes
    -----
    .. math:: \\operatorname{Var}(CAR_{\\tau_1..t}) = \\gamma_t' V \\gamma_t,

    γ_t selecting the window's valid returns up to t; evaluated by
    :func:`eventstudy.inference.abnormal.pair_car_variance` (closed form, or the general design
    path), the function that gives the ``se`` of the pair's CAR windows.

    References
    ----------
    .. [1] Campbell, J., Lo, A. and MacKinlay, A. C. (1997) *The Econometrics of Financial
       Markets*, Princeton University Press, eq. 4.4.13.
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    days = pair.days
    fit = pair.estimation
    valid = np.isfinite(days["ar"].to_numpy(float))
    x = days["benchmark_return"].to_numpy(float) if pair.design is None else pair.design
    x = np.nan_to_num(np.asarray(x, float))
    span = days["span"].to_numpy(float)
    var = np.array([
        abnormal.pair_car_variance(fit, x[: j + 1][valid[: j + 1]], span[: j + 1][valid[: j + 1]])
        for j in range(len(days))
    ])
    se = np.sqrt(var)
    q = float(special.stdtrit(fit.df, 0.5 + level / 2.0)) if fit.df > 0 else np.nan
    car = days["car"].to_numpy(float)
    return pd.DataFrame({
        "t": days["t"].to_numpy(), "date": days["date"].to_numpy(), "car": car, "se": se,
        "lo": car - q * se, "hi": car + q * se,
    })


CAAR_COLUMNS = ("t", "n", "caar", "se", "lo", "hi")


def caar_path(pairs: Sequence[PairResult], level: float = 0.95) -> pd.DataFrame:
    """The running CAAR over pairs, from the first day of the event window to each day t.

    Parameters
    ----------
    pairs : sequence of PairResult
        The pairs pooled (of one event or of several).
    level : float
        Coverage of the two-sided band, in (0, 1).

    Returns
    -------
    pd.DataFrame
        One row per offset t with the columns of :data:`CAAR_COLUMNS`: ``n`` pairs with a CAR
        at t, ``caar`` = mean_i CAR_i(τ1..t), its cross-sectional standard error ``se`` =
        s(CAR_i) / sqrt(n) and the band ``lo``/``hi`` = caar ∓ t_{(1+level)/2, n−1} · se
        (NaN where n < 2).

    Notes
    -----
    .. math:: \\overline{CAR}_t = \\frac1{N_t}\\sum_i CAR_i(\\tau_1, t),\\quad
       se_t = \\frac{s_t}{\\sqrt{N_t}},\\quad s_t^2 = \\frac{1}{N_t - 1}
       \\sum_i (CAR_i(\\tau_1, t) - \\overline{CAR}_t)^2

    The cross-sectional variance (the ``csect_t`` of methods.md along the path) allows for
    event-induced variance but not for cross-correlation: pairs sharing a day 0 make the band
    too narrow.

    References
    ----------
    .. [1] Brown, S. and Warner, J. (1985) "Using daily stock returns: the case of event
       studies", Journal of Financial Economics 14(1), 3-31.
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    cars = pd.concat([p.days.set_index("t")["car"].rename(i) for i, p in enumerate(pairs)],
                     axis=1).sort_index()
    c = cars.to_numpy(float)
    n = np.isfinite(c).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        caar = np.where(n > 0, np.nansum(c, axis=1) / np.maximum(n, 1), np.nan)
        dev = np.where(np.isfinite(c), c - caar[:, None], 0.0)
        s = np.sqrt(np.where(n > 1, (dev**2).sum(axis=1) / np.maximum(n - 1, 1), np.nan))
        se = s / np.sqrt(n)
    q = special.stdtrit(np.maximum(n - 1, 1), 0.5 + level / 2.0)
    q = np.where(n > 1, q, np.nan)
    return pd.DataFrame({"t": cars.index.to_numpy(), "n": n, "caar": caar, "se": se,
                         "lo": caar - q * se, "hi": caar + q * se})
