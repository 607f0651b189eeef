"""Market models with GARCH(1,1) errors, fitted with the ``arch`` package.

Two fits, both by arch's own optimiser (SLSQP on the Gaussian log-likelihood; this module
writes no optimiser):

* :func:`fit_market_garch`: R_t = a + b R_mt + ε_t, h_t = ω + α1 ε²_{t−1} + β1 h_{t−1}
  (Bollerslev 1986), with :meth:`GarchFit.projected`, the conditional variances expected over
  the event window.
* :func:`fit_event_variance`: the same model with an event-window dummy D_t in the mean and in
  the variance equation (Savickas 2003),
  R_t = a + b R_mt + γ D_t + ε_t, h_t = ω + α1 ε²_{t−1} + β1 h_{t−1} + δ D_t,
  and the test of δ = 0 (no event-induced volatility).

Conventions
-----------
* Model: ``arch_model(100 r, x=100 m, mean="LS", vol="GARCH", p=1, q=1, dist="normal")``
  (``mean="Constant"`` without a benchmark), fitted with ``fit(disp="off")``. The event model is
  ``arch.univariate.LS(100 r, x=[100 m, D])`` (``x=D`` without a benchmark) whose volatility is
  the process of :func:`event_garch_process`, parameters (omega, alpha[1], beta[1], delta).
* Scale: returns (and the benchmark) are multiplied by 100 (percent) before fitting, as arch
  advises for its optimiser; every reported number is converted back to return units: the
  intercept, γ and ε / 100, ω, δ and h / 100², the slope b, α1, β1 unchanged. The
  log-likelihood is that of the returns themselves (arch's, on percent returns, + n ln 100).
* Standard errors: arch's default robust (Bollerslev-Wooldridge 1992 sandwich) covariance.
* Sample: the estimation returns in time order, treated as consecutive sessions even where data
  hygiene dropped some. The recursion starts from arch's backcast (the exponentially weighted,
  λ = 0.94, mean of the first 75 squared OLS residuals of the mean model).
* Projection from the last estimation return T: h_{T+1} = ω + α1 ε_T² + β1 h_T and
  h_{T+k} = ω + (α1 + β1) h_{T+k−1}, equal to arch's ``res.forecast(horizon=H)`` variance.
* Failure: :class:`~eventstudy.errors.EstimationError` when inputs are non-finite, the sample
  is shorter than 30 returns, or arch's optimiser does not report convergence
  (``res.convergence_flag != 0``). arch's ConvergenceWarning and DataScaleWarning are
  suppressed inside the fit.

``arch`` is imported inside the functions only: importing this module does not import it.

References
----------
.. [1] Bollerslev, T. (1986) "Generalized autoregressive conditional heteroskedasticity",
   Journal of Econometrics 31(3), 307-327.
.. [2] Bollerslev, T. and Wooldridge, J. (1992) "Quasi-maximum likelihood estimation and
   inference in dynamic models with time-varying covariances", Econometric Reviews 11(2),
   143-172.
.. [3] Savickas, R. (2003) "Event-induced volatility and tests for abnormal performance",
   Journal of Financial Research 26(2), 165-178.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from scipy.special import ndtr

from eventstudy._typing import FloatArray
from eventstudy.errors import EstimationError

SCALE = 100.0  # returns are fitted in percent
MIN_OBS = 30  # shortest sample fitted
_LOG_SCALE = math.log(SCALE)
_VOL_NAMES = ("omega", "alpha[1]", "beta[1]")


@dataclass(frozen=True)
class GarchFit:
    """A market model with GARCH(1,1) errors (Bollerslev 1986), in return units.

    ``alpha``, ``beta`` are the mean's intercept and benchmark slope (``beta`` NaN without a
    benchmark); ``omega``, ``arch``, ``garch`` the variance equation's ω, α1, β1; ``last_resid``
    and ``last_variance`` are ε_T and h_T at the last estimation return; ``params`` and
    ``std_errors`` (robust) every parameter by name (const, market, omega, alpha[1], beta[1]);
    ``sigma`` the unconditional sd √(ω/(1−α1−β1)) when α1 + β1 < 1, else the residuals' sd.
    """

    alpha: float
    beta: float
    omega: float
    arch: float
    garch: float
    n_obs: int
    loglik: float
    last_resid: float
    last_variance: float
    params: tuple[tuple[str, float], ...]
    std_errors: tuple[tuple[str, float], ...]
    sigma: float

    def projected(self, horizons: Any) -> FloatArray:
        """E_T[h_{T+k}], the conditional variance expected k sessions after the last
        estimation return, for each k of ``horizons`` (integers ≥ 1), in return units².

        h_{T+1} = ω + α1 ε_T² + β1 h_T and h_{T+k} = ω + (α1+β1) h_{T+k−1} (Bollerslev 1986,
        the GARCH(1,1) multi-step forecast); equal to arch's analytic variance forecast.
        """
        k = np.asarray(horizons)
        if k.size and (not np.issubdtype(k.dtype, np.number) or not np.all(np.isfinite(k))
                       or np.any(k != np.round(k)) or np.any(k < 1)):
            raise EstimationError("GARCH projection horizons must be integers >= 1")
        k = k.astype(np.int64)
        h1 = self.omega + self.arch * self.last_resid**2 + self.garch * self.last_variance
        rho = self.arch + self.garch
        steps = (k - 1).astype(np.float64)
        if rho == 1.0:
            return np.asarray(self.omega * steps + h1, dtype=np.float64)
        power = rho**steps
        return np.asarray(self.omega * (1.0 - power) / (1.0 - rho) + power * h1, np.float64)


@dataclass(frozen=True)
class EventVarianceFit:
    """GARCH(1,1) market model with an event dummy in mean and variance (Savickas 2003).

    ``delta`` (return units²) is the shift of the conditional variance on event sessions, with
    its robust standard error, t and two-sided normal p; ``mean_shift`` is γ, the mean abnormal
    return over the event sessions (return units), with its robust t; ``ratio`` = (ω+δ)/ω.
    """

    delta: float
    delta_se: float
    delta_t: float
    delta_p: float
    mean_shift: float
    mean_shift_t: float
    omega: float
    arch: float
    garch: float
    n_obs: int
    n_event: int
    loglik: float
    ratio: float


def _series(values: Any, name: str, n: int | None = None) -> FloatArray:
    """``values`` as a finite 1-D float array (of length ``n`` when given)."""
    try:
        out = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise EstimationError(f"GARCH(1,1): {name} is not numeric") from exc
    if out.ndim != 1:
        raise EstimationError(f"GARCH(1,1): {name} must be one-dimensional, not {out.ndim}-D")
    if n is not None and out.shape[0] != n:
        raise EstimationError(f"GARCH(1,1): {name} has {out.shape[0]} values, returns {n}")
    if not np.all(np.isfinite(out)):
        bad = int(np.sum(~np.isfinite(out)))
        raise EstimationError(f"GARCH(1,1): {name} hold {bad} non-finite values")
    return out


def _inputs(r: Any, m: Any) -> tuple[FloatArray, FloatArray | None]:
    ret = _series(r, "returns")
    if ret.shape[0] < MIN_OBS:
        raise EstimationError(
            f"GARCH(1,1) needs at least {MIN_OBS} estimation returns, got {ret.shape[0]}")
    bench = None if m is None else _series(m, "benchmark returns", ret.shape[0])
    design = np.ones((ret.shape[0], 1)) if bench is None else np.column_stack(
        [np.ones_like(ret), bench])
    resid = ret - design @ np.linalg.lstsq(design, ret, rcond=None)[0]
    if not np.any(np.abs(resid) > 1e-12 * max(1.0, float(np.max(np.abs(ret))))):
        raise EstimationError("GARCH(1,1): the returns have no residual variance (constant, "
                              "or an exact linear function of the benchmark)")
    return ret, bench


def _fit(model: Any, n: int, what: str) -> Any:
    """arch's ``fit(disp="off")`` with its scale and convergence warnings silenced; an
    :class:`EstimationError` when it fails or does not converge."""
    from arch.utility.exceptions import ConvergenceWarning, DataScaleWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", DataScaleWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            res = model.fit(disp="off", show_warning=False)
        except (ValueError, ArithmeticError) as exc:  # numpy's LinAlgError is a ValueError
            msg = " ".join(str(exc).split()) or type(exc).__name__
            raise EstimationError(f"{what} failed on the {n} estimation returns "
                                  f"(arch: {msg})") from exc
    if res.convergence_flag != 0 or not np.all(np.isfinite(np.asarray(res.params))):
        msg = " ".join(str(res.optimization_result.message).split())
        raise EstimationError(f"{what} did not converge on the {n} estimation returns "
                              f"(arch: {msg})")
    return res


def _unscale(name: str) -> float:
    """The divisor converting a parameter fitted on percent returns back to return units."""
    if name in ("omega", "delta"):
        return SCALE**2
    return SCALE if name == "const" else 1.0  # slopes on the (scaled) benchmark are unitless


def fit_market_garch(r: Any, m: Any = None) -> GarchFit:
    """Fit the market model with GARCH(1,1) errors (Bollerslev 1986) by quasi-maximum
    likelihood with the ``arch`` package.

    Parameters
    ----------
    r : array_like
        Estimation-window returns of the security, in time order.
    m : array_like, optional
        Benchmark returns on the same sessions; without one the mean is a constant.

    Returns
    -------
    GarchFit
        Parameters in return units, robust (Bollerslev-Wooldridge) standard errors, and the
        state (ε_T, h_T) from which :meth:`GarchFit.projected` extends the variance.

    Raises
    ------
    EstimationError
        Non-finite inputs, fewer than 30 returns, or no convergence.
    """
    from arch import arch_model

    ret, bench = _inputs(r, m)
    n = ret.shape[0]
    x = None if bench is None else SCALE * bench
    model = arch_model(SCALE * ret, x=x, mean="Constant" if x is None else "LS", vol="GARCH",
                       p=1, q=1, dist="normal", rescale=False)
    res = _fit(model, n, "GARCH(1,1)")
    names = ["const", *([] if x is None else ["market"]), *_VOL_NAMES]
    values = [float(v) / _unscale(k) for k, v in zip(names, res.params, strict=True)]
    ses = [float(v) / _unscale(k) for k, v in zip(names, res.std_err, strict=True)]
    par = dict(zip(names, values, strict=True))
    resid = np.asarray(res.resid, dtype=np.float64) / SCALE
    h = (np.asarray(res.conditional_volatility, dtype=np.float64) / SCALE) ** 2
    omega, a1, b1 = par["omega"], par["alpha[1]"], par["beta[1]"]
    persistence = a1 + b1
    sigma = (math.sqrt(omega / (1.0 - persistence)) if persistence < 1.0
             else float(np.std(resid, ddof=1)))
    return GarchFit(
        alpha=par["const"], beta=par.get("market", math.nan), omega=omega, arch=a1, garch=b1,
        n_obs=n, loglik=float(res.loglikelihood) + n * _LOG_SCALE,
        last_resid=float(resid[-1]), last_variance=float(h[-1]),
        params=tuple(zip(names, values, strict=True)),
        std_errors=tuple(zip(names, ses, strict=True)), sigma=sigma)


@cache
def _event_garch_class() -> type:
    """The arch volatility process of the Savickas (2003) variance equation, built on first
    use (arch is imported here, not at module import)."""
    from arch.univariate.volatility import GARCH, VolatilityProcess
    from scipy.signal import lfilter  # 0.6 s to import: not at module import

    class EventGARCH(VolatilityProcess):
        """h_t = ω + α1 ε²_{t−1} + β1 h_{t−1} + δ D_t: GARCH(1,1) with an event dummy in the
        variance equation (Savickas 2003); parameters (omega, alpha[1], beta[1], delta)."""

        _updatable = False

        def __init__(self, dummy: Any) -> None:
            super().__init__()
            self.dummy = np.ascontiguousarray(dummy, dtype=np.float64)
            self._num_params = 4
            self._name = "GARCH(1,1) with event-variance dummy"
            self._garch = GARCH(p=1, o=0, q=1)

        def parameter_names(self) -> list[str]:
            return ["omega", "alpha[1]", "beta[1]", "delta"]

        def _check_resids(self, resids: Any) -> FloatArray:
            e = np.asarray(resids, dtype=np.float64)
            if e.shape[0] != self.dummy.shape[0]:
                raise ValueError(f"event dummy has {self.dummy.shape[0]} values, "
                                 f"residuals {e.shape[0]}")
            return e

        def starting_values(self, resids: Any) -> FloatArray:
            e = self._check_resids(resids)
            base = np.asarray(self._garch.starting_values(e), dtype=np.float64)
            target = float(np.mean(e**2))
            backcast = self.backcast(e)
            bounds = self.variance_bounds(e)
            svs = [np.append(base, c * target) for c in (0.0, 0.5, 1.0, 2.0, 4.0, 8.0)]
            lls = [self._gaussian_loglikelihood(sv, e, backcast, bounds) for sv in svs]
            return svs[int(np.argmax(lls))]  # arch's GARCH start, δ the best of a grid

        def bounds(self, resids: Any) -> list[tuple[float, float]]:
            v = float(np.mean(np.asarray(resids, dtype=np.float64) ** 2))
            return [*self._garch.bounds(resids), (-10.0 * v, 100.0 * v)]

        def constraints(self) -> tuple[FloatArray, FloatArray]:
            # A·θ − b ≥ 0: ω ≥ 0, α1 ≥ 0, β1 ≥ 0, 1 − α1 − β1 ≥ 0, ω + δ ≥ 0.
            a = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0],
                          [0.0, -1.0, -1.0, 0.0], [1.0, 0.0, 0.0, 1.0]])
            return a, np.array([0.0, 0.0, 0.0, -1.0, 0.0])

        def compute_variance(self, parameters: Any, resids: Any, sigma2: Any,
                             backcast: Any, var_bounds: Any) -> Any:
            e = self._check_resids(resids)
            omega, a1, b1, delta = (float(p) for p in parameters)
            lagged = np.empty_like(e)
            lagged[0] = backcast
            lagged[1:] = e[:-1] ** 2
            drive = omega + delta * self.dummy + a1 * lagged
            # h_t − β1 h_{t−1} = drive_t with h_{−1} = backcast: a first-order linear filter.
            h = lfilter([1.0], [1.0, -b1], drive, zi=[b1 * float(backcast)])[0]
            lo, hi = var_bounds[:, 0], var_bounds[:, 1]
            if np.any(h < lo) or np.any(h > hi):  # arch's bounds bind: its clipped recursion
                prev = float(backcast)
                for t in range(e.shape[0]):
                    ht = drive[t] + b1 * prev
                    if ht < lo[t]:
                        ht = lo[t]
                    elif ht > hi[t]:
                        ht = hi[t] + (math.log(ht / hi[t]) if np.isfinite(ht) else 1000.0)
                    h[t] = prev = ht
            sigma2[:] = h
            return sigma2

        def _no_forecast(self, *args: Any, **kwargs: Any) -> Any:
            raise NotImplementedError("the event-variance GARCH neither forecasts nor simulates")

        _check_forecasting_method = _analytic_forecast = _simulation_forecast = _no_forecast
        simulate = _no_forecast

    return EventGARCH


def event_garch_process(dummy: Any) -> Any:
    """An arch ``VolatilityProcess`` for h_t = ω + α1 ε²_{t−1} + β1 h_{t−1} + δ D_t
    (Savickas 2003), ``dummy`` = D_t (one value per residual, 1 on event sessions).

    Its variance recursion starts from arch's GARCH backcast and applies arch's variance
    bounds, so with δ = 0 it equals arch's ``GARCH(1, 0, 1).compute_variance``.
    """
    make: Callable[[Any], Any] = _event_garch_class()
    return make(dummy)


def fit_event_variance(r: Any, m: Any, dummy: Any) -> EventVarianceFit:
    """Fit the GARCH(1,1) market model with an event dummy in the mean and the variance
    equation (Savickas 2003) and test δ = 0, no event-induced volatility.

    R_t = a + b R_mt + γ D_t + ε_t,  h_t = ω + α1 ε²_{t−1} + β1 h_{t−1} + δ D_t.

    Parameters
    ----------
    r : array_like
        Returns over the estimation and event sessions, in time order.
    m : array_like or None
        Benchmark returns on the same sessions (None: constant mean plus the dummy).
    dummy : array_like
        D_t: 1 on event-window sessions, 0 elsewhere.

    Returns
    -------
    EventVarianceFit
        δ with its robust (Bollerslev-Wooldridge) standard error, t and two-sided normal p;
        γ and its t; ω, α1, β1; (ω+δ)/ω.

    Raises
    ------
    EstimationError
        Non-finite inputs, a dummy that is not 0/1, no event session or fewer than 30 others,
        or no convergence.
    """
    from arch.univariate import LS

    ret, bench = _inputs(r, m)
    n = ret.shape[0]
    d = _series(dummy, "event dummy", n)
    if not np.all((d == 0.0) | (d == 1.0)):
        raise EstimationError("GARCH(1,1) event dummy must hold only 0 and 1")
    n_event = int(d.sum())
    if n_event < 1 or n - n_event < MIN_OBS:
        raise EstimationError(f"GARCH(1,1) event-variance fit needs at least one event session "
                              f"and {MIN_OBS} others, got {n_event} and {n - n_event}")
    x = d[:, None] if bench is None else np.column_stack([SCALE * bench, d])
    model = LS(SCALE * ret, x=x, volatility=event_garch_process(d), rescale=False)
    res = _fit(model, n, "GARCH(1,1) with event-variance dummy")
    raw = np.asarray(res.params, dtype=np.float64)
    raw_se = np.asarray(res.std_err, dtype=np.float64)
    k = x.shape[1]  # mean: const, [market,] dummy; then omega, alpha[1], beta[1], delta
    gamma, gamma_se = raw[k] / SCALE, raw_se[k] / SCALE
    omega, a1, b1, delta = raw[k + 1] / SCALE**2, raw[k + 2], raw[k + 3], raw[k + 4] / SCALE**2
    delta_se = raw_se[k + 4] / SCALE**2
    delta_t = delta / delta_se if delta_se > 0 else math.nan
    delta_p = float(2.0 * ndtr(-abs(delta_t))) if np.isfinite(delta_t) else math.nan
    return EventVarianceFit(
        delta=float(delta), delta_se=float(delta_se), delta_t=float(delta_t), delta_p=delta_p,
        mean_shift=float(gamma),
        mean_shift_t=float(gamma / gamma_se) if gamma_se > 0 else math.nan,
        omega=float(omega), arch=float(a1), garch=float(b1), n_obs=n, n_event=n_event,
        loglik=float(res.loglikelihood) + n * _LOG_SCALE, ratio=float((omega + delta) / omega))
